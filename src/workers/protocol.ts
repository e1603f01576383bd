/**
 * Typed messages between the page and the training worker. Every message carries the `runId` it belongs to:
 * the page bumps it on Reset (and on a corpus/settings change) and ignores any worker message with an older id,
 * so a step that finishes after a reset can never paint into the new run (TensorFlow Playground's generation
 * counter). Plain data only (structured-clone safe); no tensors, no classes. Rollout tokens travel as ids in
 * throttled deltas (the vocabulary is sent once per run), never one message per token.
 */
import type { BackendName } from '../engine/backend';
import type { Role } from '../engine/rollout';
import type { StepMetrics } from '../engine/trainer';
import type { VariantRun } from './experiments';
import type { BackendPref, BrowserSettings } from './settings';
import type { RunRecord, RunSummary } from './runsDb';
import type { Grain } from './stepper';

export type { BrowserSettings } from './settings';
export type { RunRecord, RunSummary, SavedTrajectory } from './runsDb';

/** One file handed to the worker (read by the page as bytes, transferred). */
export interface FileBytes {
  name: string;
  bytes: ArrayBuffer;
}

/** Progress and outcome of an upload (parsed and indexed in the worker; all-or-nothing). */
export interface UploadReport {
  state: 'progress' | 'done' | 'failed';
  message: string;
  /** 0..1 while in progress. */
  fraction?: number;
  warnings: string[];
  /** The new corpus's name, once done. */
  corpus?: string;
}

/**
 * Faults the page can simulate (tests, workshops): a lost WebGPU device, a crashed worker, a NaN gradient, WebGPU out
 * of memory on the run's next upload.
 */
export type DebugFault = 'lose-device' | 'crash' | 'nan' | 'oom';

/** One shipped corpus, as listed in public/corpus/index.json. */
export interface CorpusInfo {
  name: string;
  title: string;
  description: string;
  corpus: string;
  train: string;
  test: string;
  passages: number;
  trainQuestions: number;
  testQuestions: number;
}

/** A shipped base checkpoint (public/checkpoints/<corpus>/), as probed by the worker. */
export interface CheckpointInfo {
  corpus: string;
  /** One line: model size and what run.json says about how it was made. */
  summary: string;
}

export type Phase = 'starting' | 'idle' | 'loading' | 'base' | 'training' | 'paused' | 'error';

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSec: number;
}

export interface DocInfo {
  id: string;
  title: string;
  text: string;
  score: number;
}

export interface SearchInfo {
  query: string;
  /** False for a search in the forced final round (not executed, nothing retrieved). */
  executed: boolean;
  /** Token index of the closing </search>. */
  at: number;
  docs: DocInfo[];
}

/** New tokens (and searches) of one rollout since the previous delta. */
export interface RowDelta {
  row: number;
  /** Index of the first token in this delta. */
  from: number;
  ids: number[];
  roles: Role[];
  /** 1 when the policy generated the token. */
  gen: number[];
  /** 1 when the token is in the GRPO loss (the engine's lossMaskRow). */
  loss: number[];
  /** Sampling log-prob of generated tokens (0 elsewhere). */
  logp: number[];
  searchesFrom: number;
  searches: SearchInfo[];
  turns: number;
  answer: string | null;
}

export interface RolloutStart {
  /** The GRPO step these rollouts belong to (1-based). */
  step: number;
  groupSize: number;
  items: { question: string; golden: string[] }[];
}

export interface LiveUpdate {
  step: number;
  rows: RowDelta[];
  /** Per rollout: received a sampled token in the last batch. */
  active: boolean[];
  /** Per rollout: finished (answered, out of rounds or out of context). */
  done: boolean[];
  /** Tokens appended per second over the last interval. */
  tokensPerSec: number;
}

/** The scores of one finished GRPO step, per rollout. */
export interface StepReport {
  metrics: StepMetrics;
  rewards: number[];
  advantages: number[];
  /** Per rollout, per token: π_new/π_old of generated tokens after this step's update (NaN elsewhere). */
  ratios: number[][];
}

export interface EvalPoint {
  step: number;
  em: number;
  emByHops: Record<string, number>;
  n: number;
}

export interface BaseInfo {
  source: 'checkpoint' | 'built';
  summary: string;
}

export interface CompareSide {
  label: string;
  ids: number[];
  roles: Role[];
  gen: number[];
  promptLen: number;
  answer: string | null;
  em: number;
  queries: string[];
}

export interface CompareResult {
  question: string;
  golden: string[];
  sides: CompareSide[];
}

export interface SearchHit {
  rank: number;
  id: string;
  title: string;
  text: string;
  score: number;
}

/** Where a held run stands: the step and the grain it stopped at. */
export interface HoldInfo {
  /** Increases with every hold (the page and tests can tell one hold from the next). */
  seq: number;
  step: number;
  at: 'token' | 'step';
}

/** What the worker reports of an experiment (variants run one after another, each for `updates` steps). */
export type ExperimentEvent =
  /** Variant `index` starts (from the base policy). */
  | { kind: 'variant'; index: number; name: string }
  | { kind: 'step'; index: number; metrics: StepMetrics }
  | { kind: 'eval'; index: number; point: EvalPoint; policy: 'base' | 'current' }
  /** Variant `index` failed; the experiment stops there. */
  | { kind: 'error'; index: number; message: string }
  | { kind: 'done' };

export type ToWorker =
  | { type: 'init'; runId: number; baseUrl: string; backend: BackendPref }
  | { type: 'play'; runId: number; settings: BrowserSettings; preset?: string }
  | { type: 'step'; runId: number; settings: BrowserSettings; grain: Grain; preset?: string }
  | { type: 'pause'; runId: number }
  | { type: 'reset'; runId: number }
  | { type: 'compare'; runId: number; requestId: number; index: number }
  | { type: 'search'; runId: number; requestId: number; corpus: string; query: string; k: number; k1: number }
  /** Continue a saved run from its checkpoint (and play on when `play`). */
  | { type: 'resume'; runId: number; id: string; play: boolean }
  | { type: 'runs'; runId: number }
  | { type: 'rename'; runId: number; id: string; name: string }
  | { type: 'delete'; runId: number; id: string }
  | { type: 'export'; runId: number; id: string; what: 'run' | 'checkpoint' }
  /** A run file, a checkpoint file, or a CLI checkpoint folder's four files (trained with `settings`). */
  | { type: 'import'; runId: number; files: FileBytes[]; settings: BrowserSettings; preset: string }
  | { type: 'upload'; runId: number; files: FileBytes[] }
  | { type: 'debug'; runId: number; fault: DebugFault }
  /** Train each variant for `updates` steps, one after another, from the same base; a reset stops it. */
  | { type: 'experiment'; runId: number; variants: VariantRun[]; updates: number };

export type FromWorker =
  | { type: 'backend'; runId: number; backend: BackendName; want: BackendPref; notice: string | null }
  | { type: 'corpora'; runId: number; corpora: CorpusInfo[]; checkpoints: CheckpointInfo[] }
  | {
      type: 'status';
      runId: number;
      phase: Phase;
      message: string;
      progress?: Progress;
      hold?: HoldInfo;
    }
  | { type: 'base'; runId: number; base: BaseInfo; vocab: string[] }
  | { type: 'rollout'; runId: number; rollout: RolloutStart }
  | { type: 'live'; runId: number; live: LiveUpdate }
  | { type: 'steps'; runId: number; reports: StepReport[] }
  | { type: 'eval'; runId: number; point: EvalPoint; policy: 'base' | 'current' }
  | { type: 'compare'; runId: number; requestId: number; result?: CompareResult; error?: string }
  | { type: 'search'; runId: number; requestId: number; query: string; hits: SearchHit[]; error?: string }
  | { type: 'error'; runId: number; message: string }
  /** The saved runs (most recent first); `storage` says why saving is off, when it is. */
  | { type: 'runs'; runs: RunSummary[]; storage: string | null }
  /** A resumed run's saved history, up to its checkpoint. */
  | { type: 'restored'; runId: number; record: RunRecord }
  /** The current run was saved under `id`. */
  | { type: 'saved'; runId: number; id: string; steps: number; checkpointStep: number | null }
  | { type: 'exported'; fileName: string; bytes: ArrayBuffer }
  | { type: 'upload'; report: UploadReport }
  | { type: 'notice'; runId: number; level: 'info' | 'warn'; message: string }
  | { type: 'experiment'; runId: number; event: ExperimentEvent }
  /** The WebGPU device is gone: the page restarts the worker on the next backend and resumes. */
  | { type: 'device-lost'; runId: number; message: string };

/** How a thrown value reads in an 'error' or 'notice' message: its message, led by its class unless plain Error. */
export function describe(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}
