/**
 * The page's state: a zustand vanilla store fed by worker messages (bridge.ts). `applyMessage` is the one reducer
 * from protocol messages to state; it drops messages of any run but the current one. Rollout tokens arrive as
 * deltas and are merged into the live rows (run.ts); views that change at token rate subscribe to the store outside
 * React. Saved runs (saved-runs.ts) and the Experiments view (experiment.ts) have reducers of their own, called here.
 * No React, no worker here.
 */
import { createStore } from 'zustand/vanilla';
import type { BackendName } from '../engine/backend';
import type { StepMetrics } from '../engine/trainer';
import { presetSettings, type PresetName } from '../workers/presets';
import type {
  BaseInfo,
  BrowserSettings,
  CompareResult,
  CorpusInfo,
  EvalPoint,
  FromWorker,
  HoldInfo,
  Phase,
  Progress,
  RunSummary,
  SearchHit,
  SearchInfo,
} from '../workers/protocol';
import type { BackendPref } from '../workers/settings';
import { applyExperimentEvent, NO_EXPERIMENT, type ExperimentState } from './experiment';
import { bestRow, MAX_STEPS_KEPT, mergeRow, type LiveRow, type LiveState } from './run';
import { runRestored, runSaved, runsListed } from './saved-runs';

export interface SearchState {
  requestId: number;
  query: string;
  pending: boolean;
  hits: SearchHit[] | null;
  error: string | null;
}

/** What a clicked <search> retrieved, kept as it was (the rollout may move on). */
export interface Inspected {
  where: string;
  search: SearchInfo;
}

export interface CompareState {
  requestId: number;
  pending: boolean;
  result: CompareResult | null;
  error: string | null;
}

export interface Notice {
  id: number;
  level: 'info' | 'warn';
  text: string;
}

export interface UploadState {
  pending: boolean;
  message: string;
  fraction: number;
  error: string | null;
  warnings: string[];
}

export interface AppState {
  runId: number;
  /** Saved runs (most recent first) and, when saving is off, why. */
  savedRuns: RunSummary[];
  storage: string | null;
  /** The saved run being trained here (what a worker restart resumes). */
  current: { id: string; steps: number; checkpointStep: number | null } | null;
  /** Offered once after the page loads: resume the most recent saved run. */
  resumeOffer: RunSummary | null;
  offerChecked: boolean;
  notices: Notice[];
  upload: UploadState;
  preset: PresetName;
  settings: BrowserSettings;
  backend: { name: BackendName; want: BackendPref; notice: string | null } | null;
  corpora: CorpusInfo[];
  /** Corpus name → one line about its shipped checkpoint. */
  checkpoints: Record<string, string>;
  phase: Phase;
  message: string;
  hold: HoldInfo | null;
  progress: Progress | null;
  base: BaseInfo | null;
  vocab: string[];
  metrics: StepMetrics[];
  evals: { base: EvalPoint | null; points: EvalPoint[] };
  live: LiveState | null;
  /** The rollout shown token by token; `auto` follows the most informative one after each step. */
  selection: { row: number; auto: boolean };
  showTags: boolean;
  inspected: Inspected | null;
  /** Latest throughput: practice, live rollout or the last GRPO step. */
  tokensPerSec: number | null;
  error: string | null;
  search: SearchState;
  compare: CompareState;
  experiment: ExperimentState;
}

export type AppStore = ReturnType<typeof createAppStore>;

export function initialState(preset: PresetName, settings?: BrowserSettings): AppState {
  return {
    runId: 1,
    savedRuns: [],
    storage: null,
    current: null,
    resumeOffer: null,
    offerChecked: false,
    notices: [],
    upload: { pending: false, message: '', fraction: 0, error: null, warnings: [] },
    preset,
    settings: settings ?? presetSettings(preset),
    backend: null,
    corpora: [],
    checkpoints: {},
    phase: 'starting',
    message: 'starting the training worker…',
    hold: null,
    progress: null,
    base: null,
    vocab: [],
    metrics: [],
    evals: { base: null, points: [] },
    live: null,
    selection: { row: 0, auto: true },
    showTags: true,
    inspected: null,
    tokensPerSec: null,
    error: null,
    search: { requestId: 0, query: '', pending: false, hits: null, error: null },
    compare: { requestId: 0, pending: false, result: null, error: null },
    experiment: NO_EXPERIMENT,
  };
}

export function createAppStore(preset: PresetName, settings?: BrowserSettings) {
  return createStore<AppState>()(() => initialState(preset, settings));
}

/** Notices kept on screen (older ones drop off). */
export const MAX_NOTICES = 6;

export function addNotice(s: Pick<AppState, 'notices'>, level: Notice['level'], text: string): Notice[] {
  const id = (s.notices[s.notices.length - 1]?.id ?? 0) + 1;
  return s.notices.concat({ id, level, text }).slice(-MAX_NOTICES);
}

/** State after one worker message (pure). */
export function applyMessage(s: AppState, m: FromWorker): Partial<AppState> | null {
  if (m.type === 'search') {
    if (m.requestId !== s.search.requestId) return null;
    return { search: { ...s.search, pending: false, hits: m.hits, error: m.error ?? null } };
  }
  if (m.type === 'runs') return runsListed(s, m);
  if (m.type === 'upload') {
    const r = m.report;
    return {
      upload: {
        pending: r.state === 'progress',
        message: r.message,
        fraction: r.state === 'done' ? 1 : (r.fraction ?? 0),
        error: r.state === 'failed' ? r.message : null,
        warnings: r.warnings,
      },
    };
  }
  if (m.type === 'exported' || m.type === 'device-lost') return null; // the bridge acts on these
  if (m.type === 'notice') return { notices: addNotice(s, m.level, m.message) };
  if (m.runId !== s.runId && m.type !== 'backend' && m.type !== 'corpora') return null; // a stale run
  switch (m.type) {
    case 'backend':
      return { backend: { name: m.backend, want: m.want, notice: m.notice } };
    case 'corpora': {
      const known = m.corpora.some((c) => c.name === s.settings.corpus);
      return {
        corpora: m.corpora,
        checkpoints: Object.fromEntries(m.checkpoints.map((c) => [c.corpus, c.summary])),
        settings: known ? s.settings : { ...s.settings, corpus: m.corpora[0].name },
      };
    }
    case 'status':
      return {
        phase: m.phase,
        message: m.message,
        hold: m.phase === 'paused' ? (m.hold ?? s.hold) : null,
        progress: m.progress ?? (m.phase === 'base' ? s.progress : null),
        tokensPerSec: m.progress ? m.progress.tokensPerSec : s.tokensPerSec,
      };
    case 'base':
      return { base: m.base, vocab: m.vocab };
    case 'rollout': {
      const r = m.rollout;
      const rows: LiveRow[] = r.items.map((it) => ({
        question: it.question,
        golden: it.golden,
        ids: [],
        roles: [],
        gen: [],
        loss: [],
        logp: [],
        searches: [],
        turns: 0,
        answer: null,
        active: false,
        done: false,
        reward: null,
        advantage: null,
        ratios: null,
      }));
      const row = Math.min(s.selection.row, rows.length - 1);
      return {
        live: { step: r.step, groupSize: r.groupSize, rows, scored: false },
        selection: { ...s.selection, row: Math.max(0, row) },
      };
    }
    case 'live': {
      const u = m.live;
      if (!s.live || s.live.step !== u.step) return null;
      const rows = s.live.rows.slice();
      for (const d of u.rows) if (rows[d.row]) rows[d.row] = mergeRow(rows[d.row], d);
      for (let i = 0; i < rows.length; i++) {
        const active = u.active[i] ?? false;
        const done = u.done[i] ?? false;
        if (rows[i].active !== active || rows[i].done !== done) rows[i] = { ...rows[i], active, done };
      }
      return {
        live: { ...s.live, rows },
        tokensPerSec: u.tokensPerSec > 0 ? u.tokensPerSec : s.tokensPerSec,
      };
    }
    case 'steps': {
      if (!m.reports.length) return null;
      const last = m.reports[m.reports.length - 1];
      const metrics = s.metrics.concat(m.reports.map((r) => r.metrics)).slice(-MAX_STEPS_KEPT);
      const patch: Partial<AppState> = { metrics, tokensPerSec: last.metrics.tokensPerSec };
      if (s.live && s.live.step === last.metrics.step) {
        const rows = s.live.rows.map((r, i) => ({
          ...r,
          reward: last.rewards[i] ?? null,
          advantage: last.advantages[i] ?? null,
          ratios: last.ratios[i] ?? null,
        }));
        patch.live = { ...s.live, rows, scored: true };
        if (s.selection.auto) patch.selection = { row: bestRow(rows), auto: true };
      }
      return patch;
    }
    case 'eval':
      return m.policy === 'base'
        ? { evals: { ...s.evals, base: m.point } }
        : { evals: { ...s.evals, points: s.evals.points.concat(m.point) } };
    case 'compare':
      if (m.requestId !== s.compare.requestId) return null;
      return {
        compare: { ...s.compare, pending: false, result: m.result ?? null, error: m.error ?? null },
      };
    case 'restored':
      return runRestored(s, m);
    case 'saved':
      return runSaved(s, m);
    case 'experiment':
      if (s.experiment.runId !== m.runId) return null;
      return { experiment: applyExperimentEvent(s.experiment, m.event) };
    case 'error':
      return {
        ...(s.experiment.running
          ? { experiment: { ...s.experiment, running: false, active: null, error: m.message } }
          : {}),
        phase: 'error',
        error: m.message,
        message: 'stopped by an error',
        hold: null,
        search: { ...s.search, pending: false },
        compare: { ...s.compare, pending: false },
      };
  }
}
