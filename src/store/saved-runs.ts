/**
 * Saved runs in the page state: the runs list (and the one-time offer to resume the most recent run), the saved
 * run being trained here, and the page state of a saved run's history when it is resumed. Pure functions from
 * worker messages to state patches; state.ts calls them from `applyMessage`. No React, no worker here.
 */
import { isPresetName } from '../workers/presets';
import type { FromWorker, RunRecord } from '../workers/protocol';
import { bestRow, MAX_STEPS_KEPT, type LiveState } from './run';
import type { AppState } from './state';

type Msg<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/** The page state of a saved run's history (a resumed run starts from it). */
export function restoredState(r: RunRecord): Partial<AppState> {
  const t = r.trajectories;
  const live: LiveState | null = t
    ? {
        step: t.step,
        groupSize: t.groupSize,
        scored: true,
        rows: t.rows.map((x) => ({
          ...x,
          active: false,
          done: true,
          ratios: null,
        })),
      }
    : null;
  return {
    metrics: r.metrics.slice(-MAX_STEPS_KEPT),
    evals: { base: r.evals.base, points: r.evals.points.slice() },
    live,
    selection: { row: live ? bestRow(live.rows) : 0, auto: true },
    settings: r.settings,
    ...(isPresetName(r.preset) ? { preset: r.preset } : {}),
    current: { id: r.id, steps: r.steps, checkpointStep: r.checkpointStep },
    resumeOffer: null,
    offerChecked: true,
  };
}

/** The runs list; the first one after the page loads also decides the resume offer. */
export function runsListed(s: AppState, m: Msg<'runs'>): Partial<AppState> {
  const patch: Partial<AppState> = { savedRuns: m.runs, storage: m.storage };
  if (!s.offerChecked) {
    patch.offerChecked = true;
    const fresh = !s.current && !s.metrics.length && (s.phase === 'idle' || s.phase === 'starting');
    const last = m.runs[0];
    if (fresh && last && last.checkpointStep !== null) patch.resumeOffer = last;
  }
  return patch;
}

/** A resumed run's history arrived from the worker. */
export function runRestored(s: AppState, m: Msg<'restored'>): Partial<AppState> {
  // The backend is this machine's choice (a fallback may have changed it), not the saved run's.
  const patch = restoredState(m.record);
  return { ...patch, settings: { ...m.record.settings, backend: s.settings.backend } };
}

/** The current run was saved (again): it is the one a worker restart resumes. */
export function runSaved(s: AppState, m: Msg<'saved'>): Partial<AppState> {
  const current = { id: m.id, steps: m.steps, checkpointStep: m.checkpointStep };
  return {
    current,
    savedRuns: s.savedRuns.map((r) =>
      r.id === m.id ? { ...r, steps: m.steps, checkpointStep: m.checkpointStep } : r,
    ),
  };
}
