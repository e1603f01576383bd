/**
 * The bridge between the store and the training worker: user actions become protocol messages, worker messages
 * go through `applyMessage`. Reset and any settings change start a new runId, so late messages of the old run
 * are ignored. The worker is injected (a factory) so this file has no bundler-specific code.
 */
import type { BrowserSettings, FromWorker, ToWorker } from '../workers/protocol';
import { applyMessage, type AppStore } from './state';

export interface Actions {
  play(): void;
  pause(): void;
  reset(): void;
  changeSettings(patch: Partial<BrowserSettings>): void;
  search(query: string): void;
  dismissError(): void;
}

export interface WorkerLike {
  postMessage(m: ToWorker): void;
  addEventListener(type: 'message', f: (e: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', f: (e: ErrorEvent) => void): void;
  terminate(): void;
}

export function connectWorker(store: AppStore, worker: WorkerLike, baseUrl: string): Actions {
  const send = (m: ToWorker) => worker.postMessage(m);
  worker.addEventListener('message', (e) => {
    const patch = applyMessage(store.getState(), e.data);
    if (patch) store.setState(patch);
  });
  worker.addEventListener('error', (e) => {
    const where = e.filename ? ` (${e.filename}:${e.lineno})` : '';
    store.setState({
      phase: 'error',
      error: `training worker failed: ${e.message || 'unknown error'}${where}`,
    });
  });
  send({ type: 'init', runId: store.getState().runId, baseUrl });

  const newRun = () => {
    const runId = store.getState().runId + 1;
    store.setState({ runId, metrics: [], sample: null, progress: null, error: null, phase: 'idle' });
    send({ type: 'reset', runId });
  };

  return {
    play() {
      const s = store.getState();
      if (s.phase === 'error') newRun();
      const { runId, settings } = store.getState();
      store.setState({ phase: 'loading', message: 'starting…', error: null });
      send({ type: 'play', runId, settings });
    },
    pause() {
      store.setState({ message: 'pausing after the current step…' });
      send({ type: 'pause', runId: store.getState().runId });
    },
    reset: newRun,
    changeSettings(patch) {
      store.setState((s) => ({ settings: { ...s.settings, ...patch } }));
      newRun();
    },
    search(query) {
      const s = store.getState();
      const requestId = s.search.requestId + 1;
      store.setState({ search: { requestId, query, pending: true, hits: s.search.hits, error: null } });
      send({ type: 'search', runId: s.runId, requestId, corpus: s.settings.corpus, query, k: 3 });
    },
    dismissError() {
      store.setState({ error: null });
    },
  };
}
