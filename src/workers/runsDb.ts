/**
 * Saved runs in the browser (IndexedDB), written and read only by the training worker (one writer, no races):
 *   runs        — one record per run: name, settings, metric and evaluation history, the last step's rollouts,
 *                 and which step its checkpoint holds;
 *   checkpoints — the run's latest Snapshot (resume.ts), replaced every few RL steps;
 *   datasets    — uploaded corpora (their raw texts), so a run on one can be resumed after a reload.
 * The IDBFactory is injected (tests use fake-indexeddb). Knows nothing of tensors or the page.
 */
import type { StepMetrics } from '../engine/trainer';
import type { BaseInfo, BrowserSettings, CorpusInfo, EvalPoint, SearchInfo } from './protocol';
import type { Snapshot } from './resume';
import type { Role } from '../engine/rollout';
import type { Algo } from '../engine/config';

export const DB_NAME = 'search-r1-playground';
/** Saved runs kept; older ones are deleted when a new run starts (a default-size run takes a few MB). */
export const MAX_SAVED_RUNS = 30;
const VERSION = 1;

/** One scored rollout of the last saved step, as the page shows it. */
export interface SavedTrajectory {
  question: string;
  golden: string[];
  ids: number[];
  roles: Role[];
  gen: number[];
  loss: number[];
  logp: number[];
  searches: SearchInfo[];
  turns: number;
  answer: string | null;
  reward: number;
  advantage: number;
}

export interface RunRecord {
  id: string;
  name: string;
  created: number;
  updated: number;
  preset: string;
  settings: BrowserSettings;
  base: BaseInfo | null;
  metrics: StepMetrics[];
  evals: { base: EvalPoint | null; points: EvalPoint[] };
  trajectories: { step: number; groupSize: number; rows: SavedTrajectory[] } | null;
  /** RL steps (GRPO or PPO, as settings.algo says) done. */
  steps: number;
  /** RL steps held by the saved checkpoint (null: none yet). */
  checkpointStep: number | null;
}

/** What the runs list shows. */
export interface RunSummary {
  id: string;
  name: string;
  created: number;
  updated: number;
  corpus: string;
  preset: string;
  /** The run's RL algorithm (its steps are GRPO or PPO steps). */
  algo: Algo;
  steps: number;
  checkpointStep: number | null;
  /** Reward per step (for comparing curves). */
  rewards: number[];
  /** Held-out EM points (step 0 is the base). */
  em: { step: number; em: number }[];
}

export interface DatasetRecord {
  name: string;
  info: CorpusInfo;
  texts: { corpus: string; train: string; test: string };
}

export function summarize(r: RunRecord): RunSummary {
  const ev = (r.evals.base ? [r.evals.base] : []).concat(r.evals.points);
  return {
    id: r.id,
    name: r.name,
    created: r.created,
    updated: r.updated,
    corpus: r.settings.corpus,
    preset: r.preset,
    algo: r.settings.algo === 'ppo' ? 'ppo' : 'grpo', // records saved before PPO existed have no algo
    steps: r.steps,
    checkpointStep: r.checkpointStep,
    rewards: r.metrics.map((m) => m.reward),
    em: ev.map((p) => ({ step: p.step, em: p.em })),
  };
}

const req = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });

const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });

export class RunsDb {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(factory: IDBFactory, name = DB_NAME): Promise<RunsDb> {
    const r = factory.open(name, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      for (const [store, key] of [
        ['runs', 'id'],
        ['checkpoints', 'runId'],
        ['datasets', 'name'],
      ])
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store, { keyPath: key });
    };
    return new RunsDb(await req(r));
  }

  close(): void {
    this.db.close();
  }

  private async write(stores: string[], f: (tx: IDBTransaction) => void): Promise<void> {
    const tx = this.db.transaction(stores, 'readwrite');
    f(tx);
    await done(tx);
  }

  private get<T>(store: string, key: string): Promise<T | undefined> {
    return req(this.db.transaction(store).objectStore(store).get(key) as IDBRequest<T | undefined>);
  }

  putRun(r: RunRecord): Promise<void> {
    return this.write(['runs'], (tx) => tx.objectStore('runs').put(r));
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.get('runs', id);
  }

  /** Most recently updated first. */
  async listRuns(): Promise<RunSummary[]> {
    const all = await req(
      this.db.transaction('runs').objectStore('runs').getAll() as IDBRequest<RunRecord[]>,
    );
    return all.sort((a, b) => b.updated - a.updated).map(summarize);
  }

  async renameRun(id: string, name: string): Promise<void> {
    const r = await this.getRun(id);
    if (!r) throw new Error(`no saved run "${id}"`);
    await this.putRun({ ...r, name });
  }

  deleteRun(id: string): Promise<void> {
    return this.write(['runs', 'checkpoints'], (tx) => {
      tx.objectStore('runs').delete(id);
      tx.objectStore('checkpoints').delete(id);
    });
  }

  /** The record and its checkpoint in one transaction: they never disagree about the step. */
  putRunWithCheckpoint(r: RunRecord, snap: Snapshot): Promise<void> {
    return this.write(['runs', 'checkpoints'], (tx) => {
      tx.objectStore('runs').put({ ...r, checkpointStep: snap.step });
      tx.objectStore('checkpoints').put({ runId: r.id, ...snap });
    });
  }

  async getCheckpoint(id: string): Promise<Snapshot | undefined> {
    const c = await this.get<Snapshot & { runId: string }>('checkpoints', id);
    if (!c) return undefined;
    const { runId: _, ...snap } = c;
    return snap;
  }

  /** Delete the oldest runs beyond the newest `keep` (never `except`); returns how many went. */
  async prune(keep: number, except: string | null = null): Promise<number> {
    const old = (await this.listRuns()).slice(keep).filter((r) => r.id !== except);
    for (const r of old) await this.deleteRun(r.id);
    return old.length;
  }

  putDataset(d: DatasetRecord): Promise<void> {
    return this.write(['datasets'], (tx) => tx.objectStore('datasets').put(d));
  }

  getDataset(name: string): Promise<DatasetRecord | undefined> {
    return this.get('datasets', name);
  }

  listDatasets(): Promise<DatasetRecord[]> {
    return req(
      this.db.transaction('datasets').objectStore('datasets').getAll() as IDBRequest<DatasetRecord[]>,
    );
  }
}

/** A fresh id for a saved run (time + random, sortable enough to read). */
export function newRunId(now = Date.now(), rand = Math.random): string {
  return `run-${now.toString(36)}-${Math.floor(rand() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
}
