/**
 * The bridge between the store and the training worker: user actions become protocol messages, worker messages
 * go through `applyMessage`. Reset and any settings change start a new runId, so late messages of the old run
 * are ignored; a backend change replaces the worker (tfjs picks its backend once). The worker comes from an
 * injected factory, so this file has no bundler-specific code.
 */
import { presetSettings, type PresetName } from '../workers/presets';
import type { BrowserSettings, FromWorker, SearchInfo, ToWorker } from '../workers/protocol';
import { validateSettings } from '../workers/settings';
import type { Grain } from '../workers/stepper';
import { applyMessage, freshRun, type AppStore } from './state';

export interface Actions {
  play(): void;
  pause(): void;
  step(grain: Grain): void;
  reset(): void;
  changeSettings(patch: Partial<BrowserSettings>): void;
  applyPreset(name: PresetName): void;
  search(query: string): void;
  inspectSearch(where: string, search: SearchInfo): void;
  selectRow(row: number): void;
  toggleTags(): void;
  compare(): void;
  reportError(message: string): void;
  dismissError(): void;
}

export interface WorkerLike {
  postMessage(m: ToWorker): void;
  addEventListener(type: 'message', f: (e: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', f: (e: ErrorEvent) => void): void;
  terminate(): void;
}

export function connectWorker(store: AppStore, makeWorker: () => WorkerLike, baseUrl: string): Actions {
  let worker: WorkerLike;
  const send = (m: ToWorker) => worker.postMessage(m);

  const startWorker = () => {
    const w = makeWorker();
    worker = w;
    w.addEventListener('message', (e) => {
      if (w !== worker) return; // a replaced worker
      const patch = applyMessage(store.getState(), e.data);
      if (patch) store.setState(patch);
    });
    w.addEventListener('error', (e) => {
      if (w !== worker) return;
      const where = e.filename ? ` (${e.filename}:${e.lineno})` : '';
      store.setState({
        phase: 'error',
        error: `training worker failed: ${e.message || 'unknown error'}${where}`,
      });
    });
    const s = store.getState();
    send({ type: 'init', runId: s.runId, baseUrl, backend: s.settings.backend });
  };
  startWorker();

  const newRun = () => {
    const runId = store.getState().runId + 1;
    store.setState({
      runId,
      ...freshRun(),
      phase: 'idle',
      message: 'reset: press Play or a Step button to train',
    });
    send({ type: 'reset', runId });
  };

  /** Settings that can run, or null after showing why not. */
  const runnable = (): BrowserSettings | null => {
    const s = store.getState();
    const problems = validateSettings(s.settings);
    if (problems.length) {
      store.setState({ error: `bad settings: ${problems.join('; ')}` });
      return null;
    }
    if (s.phase === 'error') newRun();
    return store.getState().settings;
  };

  const changeSettings = (patch: Partial<BrowserSettings>) => {
    const before = store.getState().settings;
    store.setState((s) => ({ settings: { ...s.settings, ...patch } }));
    if (patch.backend !== undefined && patch.backend !== before.backend) {
      worker.terminate();
      store.setState({ runId: store.getState().runId + 1, ...freshRun(), backend: null, corpora: [] });
      store.setState({ phase: 'starting', message: `starting the training worker on ${patch.backend}…` });
      startWorker();
      return;
    }
    newRun();
  };

  return {
    play() {
      const settings = runnable();
      if (!settings) return;
      store.setState({ phase: 'loading', message: 'starting…', error: null });
      send({ type: 'play', runId: store.getState().runId, settings });
    },
    pause() {
      store.setState({ message: 'pausing at the next token…' });
      send({ type: 'pause', runId: store.getState().runId });
    },
    step(grain) {
      const settings = runnable();
      if (!settings) return;
      store.setState({ phase: 'training', message: `stepping one ${grain}…`, error: null });
      send({ type: 'step', runId: store.getState().runId, settings, grain });
    },
    reset: newRun,
    changeSettings,
    applyPreset(name) {
      const s = store.getState().settings;
      store.setState({ preset: name });
      // The corpus and backend are the user's choice, not the lesson's.
      changeSettings({ ...presetSettings(name, s.corpus), backend: s.backend });
    },
    search(query) {
      const s = store.getState();
      const requestId = s.search.requestId + 1;
      store.setState({ search: { requestId, query, pending: true, hits: s.search.hits, error: null } });
      send({
        type: 'search',
        runId: s.runId,
        requestId,
        corpus: s.settings.corpus,
        query,
        k: s.settings.topk,
      });
    },
    inspectSearch(where, search) {
      store.setState({ inspected: { where, search } });
    },
    selectRow(row) {
      store.setState({ selection: { row, auto: false } });
    },
    toggleTags() {
      store.setState((s) => ({ showTags: !s.showTags }));
    },
    compare() {
      const s = store.getState();
      const requestId = s.compare.requestId + 1;
      store.setState({ compare: { requestId, pending: true, result: s.compare.result, error: null } });
      // Each press asks about the next held-out question.
      send({ type: 'compare', runId: s.runId, requestId, index: requestId - 1 });
    },
    reportError(message) {
      store.setState({ error: message });
    },
    dismissError() {
      store.setState({ error: null });
    },
  };
}
