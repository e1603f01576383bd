/**
 * The bridge between the store and the training worker: user actions become protocol messages, worker messages
 * go through `applyMessage`. Reset and any settings change start a new runId, so late messages of the old run
 * are ignored; a backend change replaces the worker (tfjs picks its backend once). Faults: a worker that dies is
 * replaced and the saved run resumes from its last checkpoint; a lost WebGPU device does the same on the next
 * backend, and a notice says so. The worker and the file download come from injected functions, so this file
 * has no bundler- or DOM-specific code.
 */
import { BACKEND_ORDER, type BackendName } from '../engine/backend';
import { experimentToJson, experimentToSvg, variantRuns } from '../workers/experiments';
import { presetSettings, type PresetName } from '../workers/presets';
import type {
  BrowserSettings,
  DebugFault,
  FileBytes,
  FromWorker,
  SearchInfo,
  ToWorker,
} from '../workers/protocol';
import type { BackendPref } from '../workers/settings';
import { validateSettings, withAlgo } from '../workers/settings';
import type { Grain } from '../workers/stepper';
import { freshRun } from './run';
import { addNotice, applyMessage, type AppState, type AppStore } from './state';

/** How many passages a typed query in the search inspector shows, even when the policy reads fewer (top-k). */
const INSPECTOR_HITS = 5;

/** An experiment that a new run interrupts stops showing as running. */
const stopExperiment = (s: AppState): Partial<AppState> =>
  s.experiment.running ? { experiment: { ...s.experiment, running: false, active: null } } : {};

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
  /** Continue a saved run from its checkpoint (held: press Play). */
  resume(id: string): void;
  dismissResume(): void;
  renameRun(id: string, name: string): void;
  deleteRun(id: string): void;
  exportRun(id: string, what: 'run' | 'checkpoint'): void;
  /** A run file, a checkpoint file, or a CLI checkpoint folder's four files. */
  importRun(files: FileBytes[]): void;
  upload(files: FileBytes[]): void;
  dismissNotice(id: number): void;
  /** Simulate a fault (tests and workshops). */
  debug(fault: DebugFault): void;
  /** Train the chosen variants (experiments.ts VARIANTS ids) of the current settings, `updates` steps each. */
  runExperiment(variants: string[], updates: number): void;
  /** Download the experiment's results as JSON or its charts as an SVG image. */
  exportExperiment(format: 'json' | 'svg'): void;
}

/** The backend to continue on when `lost` stops working (WebGL is skipped, as selectBackend does). */
export function fallbackBackend(lost: BackendName): BackendName {
  const rest = BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(lost) + 1).filter((b) => b !== 'webgl');
  return rest[0] ?? 'cpu';
}

/** Worker restarts allowed within RESTART_WINDOW_MS before a crash is shown as an error instead. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export interface WorkerLike {
  postMessage(m: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', f: (e: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', f: (e: ErrorEvent) => void): void;
  terminate(): void;
}

export function connectWorker(
  store: AppStore,
  makeWorker: () => WorkerLike,
  baseUrl: string,
  download: (fileName: string, bytes: ArrayBuffer) => void = () => {},
): Actions {
  let worker: WorkerLike;
  const send = (m: ToWorker, transfer?: Transferable[]) => worker.postMessage(m, transfer);
  let restarts: number[] = [];
  const notice = (level: 'info' | 'warn', text: string) =>
    store.setState((s) => ({ notices: addNotice(s, level, text) }));

  /** Replace the worker (on `backend`, when given) and resume the saved run from its last checkpoint. */
  const restart = (why: string, backend?: BackendPref): boolean => {
    const now = Date.now();
    restarts = restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (restarts.length >= MAX_RESTARTS) return false;
    restarts.push(now);
    const s = store.getState();
    const cur = s.current;
    const playing = (s.phase === 'training' || s.phase === 'loading' || s.phase === 'base') && !s.hold;
    worker.terminate();
    const runId = s.runId + 1;
    store.setState({
      runId,
      ...freshRun(),
      ...stopExperiment(s),
      backend: null,
      phase: 'starting',
      message: `restarting the training worker${backend ? ` on ${backend}` : ''}…`,
      ...(backend ? { settings: { ...s.settings, backend } } : {}),
    });
    startWorker();
    const on = backend ? ` on ${backend.toUpperCase()}` : '';
    if (cur && cur.checkpointStep !== null) {
      send({ type: 'resume', runId, id: cur.id, play: playing });
      notice(
        'warn',
        `${why}: continuing${on} from the last checkpoint (${s.settings.algo === 'ppo' ? 'PPO' : 'GRPO'} step ${cur.checkpointStep})`,
      );
    } else notice('warn', `${why}: the worker was restarted${on}; the run had no checkpoint yet`);
    return true;
  };

  const startWorker = () => {
    const w = makeWorker();
    worker = w;
    w.addEventListener('message', (e) => {
      if (w !== worker) return; // a replaced worker
      const m = e.data;
      if (m.type === 'exported') download(m.fileName, m.bytes);
      if (m.type === 'device-lost') {
        const lost = store.getState().backend?.name ?? 'webgpu';
        if (!restart(m.message, fallbackBackend(lost)))
          store.setState({
            phase: 'error',
            error: `${m.message}: reload the page or choose another backend`,
          });
        return;
      }
      const patch = applyMessage(store.getState(), m);
      if (patch) store.setState(patch);
      if (m.type === 'upload' && m.report.state === 'done' && m.report.corpus) {
        changeSettings({ corpus: m.report.corpus });
        notice('info', m.report.message);
      }
    });
    w.addEventListener('error', (e) => {
      if (w !== worker) return;
      const where = e.filename ? ` (${e.filename}:${e.lineno})` : '';
      const what = `training worker failed: ${e.message || 'unknown error'}${where}`;
      e.preventDefault?.();
      if (!restart(what)) store.setState({ phase: 'error', error: what });
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
      ...stopExperiment(store.getState()),
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
    store.setState((s) => {
      const settings = { ...s.settings, ...patch };
      if (patch.algo === undefined || patch.algo === before.algo) return { settings };
      // A switch of algorithm without an explicit step shape takes the algorithm's (PPO: the CLI's 1 × 64).
      const explicit: Partial<BrowserSettings> = {};
      if (patch.groupSize !== undefined) explicit.groupSize = patch.groupSize;
      if (patch.questionsPerStep !== undefined) explicit.questionsPerStep = patch.questionsPerStep;
      return {
        settings: withAlgo(
          { ...settings, algo: before.algo },
          patch.algo,
          explicit,
          presetSettings(s.preset),
        ),
      };
    });
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
      store.setState({ phase: 'loading', message: 'starting…', error: null, resumeOffer: null });
      send({ type: 'play', runId: store.getState().runId, settings, preset: store.getState().preset });
    },
    pause() {
      const where = store.getState().phase === 'base' ? 'after this practice step' : 'at the next token';
      store.setState({ message: `pausing ${where}…` });
      send({ type: 'pause', runId: store.getState().runId });
    },
    step(grain) {
      const settings = runnable();
      if (!settings) return;
      store.setState({
        phase: 'training',
        message: `stepping one ${grain}…`,
        error: null,
        resumeOffer: null,
      });
      send({ type: 'step', runId: store.getState().runId, settings, grain, preset: store.getState().preset });
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
        k: Math.max(s.settings.topk, INSPECTOR_HITS),
        k1: s.settings.bm25K1,
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
    resume(id) {
      const runId = store.getState().runId + 1;
      store.setState({
        runId,
        ...freshRun(),
        resumeOffer: null,
        offerChecked: true,
        phase: 'loading',
        message: 'restoring the saved run…',
      });
      send({ type: 'reset', runId });
      send({ type: 'resume', runId, id, play: false });
    },
    dismissResume() {
      store.setState({ resumeOffer: null });
    },
    renameRun(id, name) {
      send({ type: 'rename', runId: store.getState().runId, id, name });
    },
    deleteRun(id) {
      send({ type: 'delete', runId: store.getState().runId, id });
    },
    exportRun(id, what) {
      send({ type: 'export', runId: store.getState().runId, id, what });
    },
    importRun(files) {
      const s = store.getState();
      send(
        { type: 'import', runId: s.runId, files, settings: s.settings, preset: s.preset },
        files.map((f) => f.bytes),
      );
    },
    upload(files) {
      store.setState({
        upload: {
          pending: true,
          message: 'sending files to the worker…',
          fraction: 0,
          error: null,
          warnings: [],
        },
      });
      send(
        { type: 'upload', runId: store.getState().runId, files },
        files.map((f) => f.bytes),
      );
    },
    dismissNotice(id) {
      store.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
    },
    debug(fault) {
      send({ type: 'debug', runId: store.getState().runId, fault });
    },
    runExperiment(ids, updates) {
      const s = store.getState();
      let variants;
      try {
        if (!Number.isInteger(updates) || updates < 1 || updates > 1000)
          throw new Error(`updates per variant must be a whole number from 1 to 1000, got ${updates}`);
        variants = variantRuns(ids, s.settings, presetSettings(s.preset));
      } catch (e) {
        store.setState({
          experiment: { ...s.experiment, error: e instanceof Error ? e.message : String(e) },
        });
        return;
      }
      const runId = s.runId + 1;
      store.setState({
        runId,
        ...freshRun(),
        resumeOffer: null,
        phase: 'loading',
        message: `experiment: ${variants.length} variants × ${updates} updates…`,
        experiment: {
          runId,
          running: true,
          updates,
          active: null,
          error: null,
          results: variants.map((v) => ({
            name: v.name,
            settings: v.settings,
            metrics: [],
            evals: { base: null, points: [] },
            error: null,
          })),
        },
      });
      send({ type: 'experiment', runId, variants, updates }); // stops the current run first
    },
    exportExperiment(format) {
      const x = store.getState().experiment;
      if (!x.results.length) return;
      const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
      const names = x.results.map((r) => r.name).join(' vs ');
      const text =
        format === 'json'
          ? experimentToJson(x.results, x.updates)
          : experimentToSvg(x.results, `${names} · ${x.updates} updates each`);
      const bytes = new TextEncoder().encode(text);
      download(`experiment-${stamp}.${format}`, bytes.buffer as ArrayBuffer);
    },
  };
}
