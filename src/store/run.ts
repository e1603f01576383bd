/**
 * The current run's rollout view in the page state: the live rows of the step being sampled (token deltas merged
 * in, idempotently), the pick of the most informative row, what a new run clears, and how many steps the curves
 * keep. Pure functions over plain data; state.ts applies them. No React, no worker here.
 */
import type { Role } from '../engine/rollout';
import type { RowDelta, SearchInfo } from '../workers/protocol';
import type { AppState } from './state';

/** Steps kept for the curves (older ones are dropped). */
export const MAX_STEPS_KEPT = 2000;

/** One rollout of the current GRPO step, as far as it has been sampled. */
export interface LiveRow {
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
  /** Received a sampled token in the last batch. */
  active: boolean;
  done: boolean;
  /** Known once the step is scored. */
  reward: number | null;
  advantage: number | null;
  ratios: number[] | null;
}

export interface LiveState {
  step: number;
  groupSize: number;
  rows: LiveRow[];
  scored: boolean;
}

/** The part of the state a new run starts from scratch. */
export function freshRun(): Partial<AppState> {
  return {
    metrics: [],
    evals: { base: null, points: [] },
    live: null,
    base: null,
    vocab: [],
    hold: null,
    progress: null,
    error: null,
    inspected: null,
    selection: { row: 0, auto: true },
    compare: { requestId: 0, pending: false, result: null, error: null },
    current: null,
  };
}

/** A row with a delta appended (idempotent: the delta says where it starts). */
export function mergeRow(row: LiveRow, d: RowDelta): LiveRow {
  const at = <T>(old: T[], add: T[]) => old.slice(0, d.from).concat(add);
  return {
    ...row,
    ids: at(row.ids, d.ids),
    roles: at(row.roles, d.roles),
    gen: at(row.gen, d.gen),
    loss: at(row.loss, d.loss),
    logp: at(row.logp, d.logp),
    searches: row.searches.slice(0, d.searchesFrom).concat(d.searches),
    turns: d.turns,
    answer: d.answer,
  };
}

/** The most informative rollout: highest reward, then most executed searches, then the first. */
export function bestRow(rows: readonly LiveRow[]): number {
  const searches = (r: LiveRow) => r.searches.filter((s) => s.executed).length;
  let best = 0;
  rows.forEach((r, i) => {
    const b = rows[best];
    const dr = (r.reward ?? 0) - (b.reward ?? 0);
    if (dr > 0 || (dr === 0 && searches(r) > searches(b))) best = i;
  });
  return best;
}
