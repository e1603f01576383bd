/**
 * The training worker: owns tfjs and the engine, so the page never runs a tensor op. A thin switch from
 * protocol messages onto runner.ts. Backend choice happens once, at init (device.ts); switching backend means a
 * fresh worker, and a lost WebGPU device is reported as 'device-lost' for the page to restart on the next one.
 * Also owns the saved runs (runsDb.ts: the only writer) and uploads (parsed and indexed here, all-or-nothing);
 * experiments run through experiment-run.ts, fault drills through faults.ts.
 */
import { probeCheckpoint } from './checkpoints';
import { indexedCorpus, loadCorpus, type LoadedCorpus } from './corpora';
import { DeviceWatch } from './device';
import { runExperiment } from './experiment-run';
import type { VariantRun } from './experiments';
import { debugFault } from './faults';
import { completeSettings, type BackendPref } from './settings';
import {
  describe,
  type BrowserSettings,
  type CheckpointInfo,
  type CorpusInfo,
  type FromWorker,
  type ToWorker,
} from './protocol';
import {
  checkpointFiles,
  checkpointToFile,
  runFromCheckpoint,
  runFromFile,
  runToFile,
  CHECKPOINT_FILE_EXT,
  RUN_FILE_EXT,
  type ImportedRun,
} from './runFile';
import { unpackCheckpoint } from '../engine/checkpoint';
import { Run, type RunOptions } from './runner';
import { MAX_SAVED_RUNS, newRunId, RunsDb, type RunRecord } from './runsDb';
import { firstQuestion, parseDataset, readUpload } from './upload';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

let baseUrl = '';
let currentRunId = 0;
let ready: Promise<CorpusInfo[]> | null = null;
let run: Run | null = null;
const corpora = new Map<string, Promise<LoadedCorpus>>();
/** Shipped corpora, then uploaded ones. */
let corpusList: CorpusInfo[] = [];
let checkpointInfos: CheckpointInfo[] = [];
let db: RunsDb | null = null;
let storageProblem: string | null = null;
/** The backend's device: given up (`lost`) once it is lost or out of memory. */
const device = new DeviceWatch(post, () => currentRunId);

async function openDb(): Promise<void> {
  try {
    if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available here');
    db = await RunsDb.open(indexedDB);
  } catch (e) {
    storageProblem = `runs are not saved: ${describe(e)}`;
  }
}

async function postRuns(): Promise<void> {
  try {
    post({ type: 'runs', runs: db ? await db.listRuns() : [], storage: storageProblem });
  } catch (e) {
    post({ type: 'runs', runs: [], storage: `could not read the saved runs: ${describe(e)}` });
  }
}

const postCorpora = (runId: number) =>
  post({ type: 'corpora', runId, corpora: corpusList, checkpoints: checkpointInfos });

async function init(runId: number, want: BackendPref): Promise<CorpusInfo[]> {
  const choice = await device.select(want, baseUrl);
  post({ type: 'backend', runId, backend: choice.backend, want, notice: choice.notice });
  const res = await fetch(new URL('corpus/index.json', baseUrl));
  if (!res.ok) throw new Error(`could not load corpus/index.json: HTTP ${res.status}`);
  const list = (await res.json()) as CorpusInfo[];
  if (!Array.isArray(list) || !list.length) throw new Error('corpus/index.json lists no corpora');
  const probes = await Promise.all(list.map((c) => probeCheckpoint(baseUrl, c.name).catch(() => null)));
  checkpointInfos = probes.filter((p) => p !== null);
  await openDb();
  const uploaded = db ? await db.listDatasets().catch(() => []) : [];
  corpusList = list.concat(uploaded.map((d) => d.info));
  postCorpora(runId);
  post({ type: 'status', runId, phase: 'idle', message: 'ready: press Play or a Step button to train' });
  await postRuns();
  return corpusList;
}

/** Loaded once per corpus name and shared by runs and the search inspector. */
function corpus(name: string): Promise<LoadedCorpus> {
  let p = corpora.get(name);
  if (!p) {
    p = (async () => {
      const list = await (ready ?? Promise.reject(new Error('worker not initialised')));
      const info = list.find((c) => c.name === name);
      if (!info) throw new Error(`unknown corpus "${name}"`);
      const saved = name.startsWith('upload-') ? await db?.getDataset(name) : undefined;
      if (saved) {
        const data = parseDataset(saved.texts, { corpus: info.corpus, train: info.train, test: info.test });
        return indexedCorpus(info, data);
      }
      return loadCorpus(baseUrl, info);
    })();
    p.catch(() => corpora.delete(name)); // a failed load may be retried
    corpora.set(name, p);
  }
  return p;
}

/** The run of `runId`, created (with these settings) if the page started a new one. */
async function runFor(
  runId: number,
  settings: BrowserSettings,
  opts: Omit<RunOptions, 'db'> = {},
): Promise<Run> {
  if (!ready) throw new Error('worker not initialised');
  await ready;
  if (!run || run.runId !== runId) {
    run?.stop();
    currentRunId = runId;
    let first = true;
    const report = (m: FromWorker) => {
      if (m.type === 'error' && device.dropsError(m.message)) return; // the page restarts on another backend
      post(m);
      if (m.type === 'saved' && first) {
        first = false; // a new entry in the runs list
        void (db?.prune(MAX_SAVED_RUNS, m.id) ?? Promise.resolve(0)).catch(() => 0).then(postRuns);
      }
    };
    run = new Run(runId, settings, () => corpus(settings.corpus), baseUrl, report, { ...opts, db });
  }
  return run;
}

/** Continue a saved run: its history (up to the checkpoint) to the page, then the run, held or playing. */
async function resume(runId: number, id: string, play: boolean): Promise<void> {
  await ready;
  if (!db) throw new Error(storageProblem ?? 'no saved runs here');
  const [rec, snapshot] = await Promise.all([db.getRun(id), db.getCheckpoint(id)]);
  if (!rec) throw new Error(`no saved run "${id}"`);
  if (!snapshot) throw new Error(`"${rec.name}" has no checkpoint yet: it cannot be resumed`);
  if (!corpusList.some((c) => c.name === rec.settings.corpus))
    throw new Error(`"${rec.name}" trained on corpus "${rec.settings.corpus}", which is not loaded here`);
  const record: RunRecord = {
    ...rec,
    settings: completeSettings(rec.settings),
    metrics: rec.metrics.filter((m) => m.step <= snapshot.step),
    evals: {
      base: rec.evals.base,
      points: rec.evals.points.filter((p) => p.step <= snapshot.step),
    },
    trajectories: rec.trajectories && rec.trajectories.step <= snapshot.step ? rec.trajectories : null,
    steps: snapshot.step,
  };
  post({ type: 'restored', runId, record });
  const r = await runFor(runId, record.settings, { preset: record.preset, resume: { record, snapshot } });
  if (play) r.play();
  else r.prepare();
}

async function exportRun(id: string, what: 'run' | 'checkpoint'): Promise<void> {
  if (!db) throw new Error(storageProblem ?? 'no saved runs here');
  await run?.flushSaves();
  const [rec, snap] = await Promise.all([db.getRun(id), db.getCheckpoint(id)]);
  if (!rec) throw new Error(`no saved run "${id}"`);
  const stem = rec.name.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-|-$/g, '') || 'run';
  let bytes: Uint8Array;
  let fileName: string;
  if (what === 'checkpoint') {
    if (!snap) throw new Error(`"${rec.name}" has no checkpoint yet`);
    bytes = checkpointToFile(snap);
    fileName = `${stem}-step${snap.step}${CHECKPOINT_FILE_EXT}`;
  } else {
    const dataset = rec.settings.corpus.startsWith('upload-')
      ? await db.getDataset(rec.settings.corpus)
      : undefined;
    bytes = runToFile(rec, snap, dataset);
    fileName = `${stem}${RUN_FILE_EXT}`;
  }
  const buf = bytes.buffer as ArrayBuffer;
  (self as unknown as Worker).postMessage({ type: 'exported', fileName, bytes: buf } satisfies FromWorker, [
    buf,
  ]);
}

/** A run file, or a checkpoint (bundle or CLI folder) as a new run at step 0 on the page's settings. */
async function importFiles(
  runId: number,
  files: { name: string; bytes: ArrayBuffer }[],
  settings: BrowserSettings,
  preset: string,
): Promise<void> {
  await ready;
  if (!db) throw new Error(storageProblem ?? 'runs cannot be saved here');
  const chosen = files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }));
  const ckpt = checkpointFiles(chosen);
  const id = newRunId();
  let got: ImportedRun;
  if (ckpt) {
    const label = chosen.length === 1 ? chosen[0].name : 'folder';
    try {
      unpackCheckpoint(ckpt).policy.dispose(); // a readable error now rather than at resume
    } catch (e) {
      throw new Error(`${label}: ${describe(e)}`, { cause: e });
    }
    const name = `${settings.corpus} · checkpoint ${label}`;
    got = runFromCheckpoint(ckpt, settings, preset, id, name);
  } else if (chosen.length === 1) {
    got = runFromFile(chosen[0].bytes, chosen[0].name);
  } else
    throw new Error(
      'choose one run file (.sr1run), one checkpoint file (.sr1ckpt), or the four files of a CLI checkpoint folder (config.json, weights.bin, tokenizer.json, run.json)',
    );
  const record: RunRecord = {
    ...got.record,
    id,
    name: ckpt ? got.record.name : `${got.record.name} (imported)`,
    updated: Date.now(),
  };
  if (got.dataset && !corpusList.some((c) => c.name === got.dataset!.name)) {
    await db.putDataset(got.dataset);
    corpusList = corpusList.concat(got.dataset.info);
    postCorpora(runId);
  }
  if (got.snapshot) await db.putRunWithCheckpoint(record, got.snapshot);
  else await db.putRun({ ...record, checkpointStep: null });
  post({ type: 'notice', runId, level: 'info', message: `imported "${record.name}"` });
  await postRuns();
}

async function upload(runId: number, files: { name: string; bytes: ArrayBuffer }[]): Promise<void> {
  const list = await (ready ?? Promise.reject(new Error('worker not initialised')));
  const progress = (message: string, fraction: number) =>
    post({ type: 'upload', report: { state: 'progress', message, fraction, warnings: [] } });
  try {
    progress('reading files', 0);
    const parsed = await readUpload(
      files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) })),
      new Set(list.map((c) => c.name)),
      progress,
    );
    progress(`indexing ${parsed.data.corpus.length} passages for search`, 0.9);
    const loaded = indexedCorpus(parsed.record.info, parsed.data);
    // Nothing changed until here: a failure above leaves the loaded corpora as they were.
    if (db) await db.putDataset(parsed.record).catch(() => {});
    corpora.set(loaded.info.name, Promise.resolve(loaded));
    corpusList = corpusList.concat(loaded.info);
    ready = Promise.resolve(corpusList);
    postCorpora(runId);
    post({
      type: 'upload',
      report: {
        state: 'done',
        message: `loaded ${loaded.info.title}: ${loaded.info.passages} passages, ${loaded.info.trainQuestions} training / ${loaded.info.testQuestions} held-out questions${firstQuestion(parsed.data.train)}`,
        warnings: parsed.warnings,
        corpus: loaded.info.name,
      },
    });
  } catch (e) {
    post({ type: 'upload', report: { state: 'failed', message: describe(e), warnings: [] } });
  }
}

/** An experiment (experiment-run.ts) in place of the current run; a reset (a newer runId) stops it. */
async function experiment(runId: number, variants: VariantRun[], updates: number): Promise<void> {
  await (ready ?? Promise.reject(new Error('worker not initialised')));
  run?.stop();
  run = null;
  currentRunId = runId;
  await runExperiment(runId, variants, updates, {
    baseUrl,
    post,
    corpus,
    isCurrent: (id) => currentRunId === id,
    adopt: (r) => (run = r),
    release: (r) => {
      if (run === r) run = null;
    },
  });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      baseUrl = m.baseUrl;
      currentRunId = m.runId;
      ready = init(m.runId, m.backend);
      await ready;
      return;
    case 'play':
      (await runFor(m.runId, m.settings, { preset: m.preset })).play();
      return;
    case 'step':
      (await runFor(m.runId, m.settings, { preset: m.preset })).step(m.grain);
      return;
    case 'resume':
      await resume(m.runId, m.id, m.play);
      return;
    case 'runs':
      await ready;
      await postRuns();
      return;
    case 'rename':
      await db?.renameRun(m.id, m.name);
      await postRuns();
      return;
    case 'delete':
      if (run?.savedId === m.id) throw new Error('this run is the one training now: reset it first');
      await db?.deleteRun(m.id);
      await postRuns();
      return;
    case 'export':
      await exportRun(m.id, m.what);
      return;
    case 'import':
      await importFiles(m.runId, m.files, m.settings, m.preset);
      return;
    case 'upload':
      await upload(m.runId, m.files);
      return;
    case 'debug':
      debugFault(m.runId, m.fault, run, post);
      return;
    case 'experiment':
      await experiment(m.runId, m.variants, m.updates);
      return;
    case 'pause':
      if (run && run.runId === m.runId) run.pause();
      return;
    case 'reset':
      run?.stop();
      run = null;
      currentRunId = m.runId;
      post({
        type: 'status',
        runId: m.runId,
        phase: 'idle',
        message: 'reset: press Play or a Step button to train',
      });
      return;
    case 'compare': {
      const reply = { type: 'compare' as const, runId: m.runId, requestId: m.requestId };
      const r = run && run.runId === m.runId ? run : null;
      if (!r) {
        post({ ...reply, error: 'no policy yet: press Play or a Step button first' });
        return;
      }
      r.enqueue(async () => {
        try {
          post({ ...reply, result: await r.compare(m.index) });
        } catch (e) {
          post({ ...reply, error: describe(e) });
        }
      });
      return;
    }
    case 'search': {
      const reply = { type: 'search' as const, runId: m.runId, requestId: m.requestId, query: m.query };
      try {
        const { retriever } = await corpus(m.corpus);
        const hits = retriever(m.k1)
          .search(m.query, m.k)
          .map((d, i) => ({
            rank: i + 1,
            id: d.id,
            title: d.title,
            text: d.text,
            score: d.score,
          }));
        post({ ...reply, hits });
      } catch (e) {
        post({ ...reply, hits: [], error: describe(e) }); // a search failure is not a training failure
      }
      return;
    }
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  handle(m).catch((err: unknown) => {
    if (device.lost) return; // the page restarts on another backend; failures of the lost device are expected
    const message = describe(err);
    // Runs-list chores fail without stopping training.
    if (['rename', 'delete', 'export', 'import'].includes(m.type))
      post({ type: 'notice', runId: m.runId ?? currentRunId, level: 'warn', message });
    else post({ type: 'error', runId: m.runId ?? currentRunId, message });
  });
};
