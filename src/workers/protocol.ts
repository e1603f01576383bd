/**
 * Typed messages between the page and the training worker. Every message carries the `runId` it belongs to:
 * the page bumps it on Reset (and on a corpus/settings change) and ignores any worker message with an older id,
 * so a step that finishes after a reset can never paint into the new run (TensorFlow Playground's generation
 * counter). Plain data only (structured-clone safe); no tensors, no classes.
 */
import type { BackendName } from '../engine/backend';
import type { Role } from '../engine/rollout';
import type { StepMetrics } from '../engine/trainer';

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

/** What the page lets the user choose; turned into a RunConfig inside the worker (see presets.ts). */
export interface BrowserSettings {
  corpus: string;
  seed: number;
  /** Supervised practice steps that build the base policy before RL. */
  baseSteps: number;
  baseBatch: number;
  /** Rollouts per question (G). */
  groupSize: number;
  questionsPerStep: number;
  /** Mask retrieved <information> tokens out of the loss. */
  maskInformation: boolean;
}

export type Phase = 'starting' | 'idle' | 'loading' | 'base' | 'training' | 'paused' | 'error';

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSec: number;
}

/** A run of consecutive tokens with the same role and loss mask (fewer DOM nodes than one span per token). */
export interface Segment {
  role: Role;
  /** 1 when the policy generated these tokens (they get gradient), 0 for prompt/observation tokens. */
  gen: 0 | 1;
  pieces: string[];
}

export interface SampleTrajectory {
  question: string;
  golden: string[];
  answer: string | null;
  reward: number;
  validSearches: number;
  /** Which rollout of the step this is, and how many there were. */
  index: number;
  of: number;
  segments: Segment[];
}

export interface StepReport {
  metrics: StepMetrics;
  sample: SampleTrajectory;
}

export interface SearchHit {
  rank: number;
  id: string;
  title: string;
  text: string;
  score: number;
}

export type ToWorker =
  | { type: 'init'; runId: number; baseUrl: string }
  | { type: 'play'; runId: number; settings: BrowserSettings }
  | { type: 'pause'; runId: number }
  | { type: 'reset'; runId: number }
  | { type: 'search'; runId: number; requestId: number; corpus: string; query: string; k: number };

export type FromWorker =
  | { type: 'backend'; runId: number; backend: BackendName; notice: string | null }
  | { type: 'corpora'; runId: number; corpora: CorpusInfo[] }
  | { type: 'status'; runId: number; phase: Phase; message: string; progress?: Progress }
  | { type: 'steps'; runId: number; reports: StepReport[] }
  | { type: 'search'; runId: number; requestId: number; query: string; hits: SearchHit[]; error?: string }
  | { type: 'error'; runId: number; message: string };
