/**
 * The page's state: a zustand vanilla store fed by worker messages (bridge.ts). `applyMessage` is the one reducer
 * from protocol messages to state; it drops messages of any run but the current one. No React, no worker here.
 */
import { createStore } from 'zustand/vanilla';
import type { BackendName } from '../engine/backend';
import type { StepMetrics } from '../engine/trainer';
import { PRESETS, type PresetName } from '../workers/presets';
import type {
  BrowserSettings,
  CorpusInfo,
  FromWorker,
  Phase,
  Progress,
  SampleTrajectory,
  SearchHit,
} from '../workers/protocol';

/** Steps kept for the curves (older ones are dropped). */
export const MAX_STEPS_KEPT = 2000;

export interface SearchState {
  requestId: number;
  query: string;
  pending: boolean;
  hits: SearchHit[] | null;
  error: string | null;
}

export interface AppState {
  runId: number;
  preset: PresetName;
  settings: BrowserSettings;
  backend: { name: BackendName; notice: string | null } | null;
  corpora: CorpusInfo[];
  phase: Phase;
  message: string;
  progress: Progress | null;
  metrics: StepMetrics[];
  sample: SampleTrajectory | null;
  /** Latest throughput: practice progress or the last GRPO step. */
  tokensPerSec: number | null;
  error: string | null;
  search: SearchState;
}

export type AppStore = ReturnType<typeof createAppStore>;

export function initialState(preset: PresetName, overrides: Partial<BrowserSettings> = {}): AppState {
  return {
    runId: 1,
    preset,
    settings: { corpus: 'countries', ...PRESETS[preset], ...overrides },
    backend: null,
    corpora: [],
    phase: 'starting',
    message: 'starting the training worker…',
    progress: null,
    metrics: [],
    sample: null,
    tokensPerSec: null,
    error: null,
    search: { requestId: 0, query: '', pending: false, hits: null, error: null },
  };
}

export function createAppStore(preset: PresetName, overrides?: Partial<BrowserSettings>) {
  return createStore<AppState>()(() => initialState(preset, overrides));
}

/** State after one worker message (pure). */
export function applyMessage(s: AppState, m: FromWorker): Partial<AppState> | null {
  if (m.type === 'search') {
    if (m.requestId !== s.search.requestId) return null;
    return { search: { ...s.search, pending: false, hits: m.hits, error: m.error ?? null } };
  }
  if (m.runId !== s.runId && m.type !== 'backend' && m.type !== 'corpora') return null; // a stale run
  switch (m.type) {
    case 'backend':
      return { backend: { name: m.backend, notice: m.notice } };
    case 'corpora': {
      const known = m.corpora.some((c) => c.name === s.settings.corpus);
      return {
        corpora: m.corpora,
        settings: known ? s.settings : { ...s.settings, corpus: m.corpora[0].name },
      };
    }
    case 'status':
      return {
        phase: m.phase,
        message: m.message,
        progress: m.progress ?? (m.phase === 'base' ? s.progress : null),
        tokensPerSec: m.progress ? m.progress.tokensPerSec : s.tokensPerSec,
      };
    case 'steps': {
      if (!m.reports.length) return null;
      const last = m.reports[m.reports.length - 1];
      const metrics = s.metrics.concat(m.reports.map((r) => r.metrics)).slice(-MAX_STEPS_KEPT);
      return { metrics, sample: last.sample, tokensPerSec: last.metrics.tokensPerSec };
    }
    case 'error':
      return {
        phase: 'error',
        error: m.message,
        message: 'stopped by an error',
        search: { ...s.search, pending: false },
      };
  }
}
