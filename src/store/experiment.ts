/**
 * The Experiments view's state: the experiment's variants and their curves as its events arrive from the worker
 * (workers/experiment-run.ts). A pure reducer over plain data; state.ts holds it in the page state and routes the
 * 'experiment' messages of the current experiment to it. No React, no worker here.
 */
import type { ExperimentEvent } from '../workers/protocol';
import type { VariantResult } from '../workers/experiments';

/** The experiment of the Experiments view: its variants' curves as they arrive. */
export interface ExperimentState {
  /** The runId it was started under (its events carry it); null before the first. */
  runId: number | null;
  running: boolean;
  updates: number;
  results: VariantResult[];
  /** The variant training now (index into results), or null. */
  active: number | null;
  error: string | null;
}

export const NO_EXPERIMENT: ExperimentState = {
  runId: null,
  running: false,
  updates: 0,
  results: [],
  active: null,
  error: null,
};

/** The experiment after one of its events (pure). */
export function applyExperimentEvent(x: ExperimentState, e: ExperimentEvent): ExperimentState {
  const at = (i: number, f: (r: VariantResult) => VariantResult) => {
    const results = x.results.slice();
    if (results[i]) results[i] = f(results[i]);
    return results;
  };
  switch (e.kind) {
    case 'variant':
      return { ...x, active: e.index };
    case 'step':
      return { ...x, results: at(e.index, (r) => ({ ...r, metrics: r.metrics.concat(e.metrics) })) };
    case 'eval':
      return {
        ...x,
        results: at(e.index, (r) => ({
          ...r,
          evals:
            e.policy === 'base'
              ? { ...r.evals, base: e.point }
              : { ...r.evals, points: r.evals.points.concat(e.point) },
        })),
      };
    case 'error':
      return {
        ...x,
        running: false,
        active: null,
        error: `${x.results[e.index]?.name ?? 'a variant'}: ${e.message}`,
        results: at(e.index, (r) => ({ ...r, error: e.message })),
      };
    case 'done':
      return { ...x, running: false, active: null };
  }
}
