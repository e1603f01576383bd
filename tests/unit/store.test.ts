import { describe, expect, it } from 'vitest';
import { bestRow, mergeRow } from '../../src/store/run';
import { applyMessage, initialState, type AppState } from '../../src/store/state';
import type { StepMetrics } from '../../src/engine/trainer';
import type { FromWorker, RowDelta } from '../../src/workers/protocol';

const metrics = (step: number) => ({ step, tokensPerSec: 100 + step }) as unknown as StepMetrics;

const apply = (s: AppState, m: FromWorker): AppState => ({ ...s, ...(applyMessage(s, m) ?? {}) });

const delta = (row: number, from: number, ids: number[], extra: Partial<RowDelta> = {}): RowDelta => ({
  row,
  from,
  ids,
  roles: ids.map(() => 'think'),
  gen: ids.map(() => 1),
  loss: ids.map(() => 1),
  logp: ids.map(() => -1),
  searchesFrom: 0,
  searches: [],
  turns: 0,
  answer: null,
  ...extra,
});

function withRollout(rows = 2): AppState {
  const s = initialState('browser');
  return apply(s, {
    type: 'rollout',
    runId: s.runId,
    rollout: {
      step: 1,
      groupSize: rows,
      items: Array.from({ length: rows }, (_, i) => ({ question: `q${i}`, golden: ['a'] })),
    },
  });
}

describe('store: worker messages', () => {
  it('ignores messages from a stale run', () => {
    const s = initialState('browser');
    expect(
      applyMessage(s, { type: 'status', runId: s.runId + 1, phase: 'training', message: 'x' }),
    ).toBeNull();
    const next = applyMessage(s, { type: 'status', runId: s.runId, phase: 'training', message: 'go' });
    expect(next).toMatchObject({ phase: 'training', message: 'go' });
  });

  it('appends live token deltas per rollout, idempotently, and records who took a token', () => {
    let s = withRollout(2);
    const live = (rows: RowDelta[], active: boolean[]) =>
      apply(s, {
        type: 'live',
        runId: s.runId,
        live: { step: 1, rows, active, done: [false, false], tokensPerSec: 50 },
      });
    s = live([delta(0, 0, [1, 5, 6]), delta(1, 0, [1, 7])], [true, true]);
    s = live([delta(0, 3, [9])], [true, false]);
    s = live([delta(0, 3, [9])], [true, false]); // the same delta again changes nothing
    expect(s.live?.rows[0].ids).toEqual([1, 5, 6, 9]);
    expect(s.live?.rows[1].ids).toEqual([1, 7]);
    expect(s.live?.rows.map((r) => r.active)).toEqual([true, false]);
    expect(s.tokensPerSec).toBe(50);
  });

  it('drops live deltas of another step', () => {
    const s = withRollout(1);
    expect(
      applyMessage(s, {
        type: 'live',
        runId: s.runId,
        live: { step: 2, rows: [delta(0, 0, [1])], active: [true], done: [false], tokensPerSec: 1 },
      }),
    ).toBeNull();
  });

  it('puts a step report on its rollouts and auto-selects the best one', () => {
    let s = withRollout(3);
    s = apply(s, {
      type: 'steps',
      runId: s.runId,
      reports: [
        {
          metrics: metrics(1),
          rewards: [0, 1, 0],
          advantages: [-0.5, 1, -0.5],
          ratios: [[NaN], [1.1], [0.9]],
        },
      ],
    });
    expect(s.metrics.map((m) => m.step)).toEqual([1]);
    expect(s.live?.rows.map((r) => r.advantage)).toEqual([-0.5, 1, -0.5]);
    expect(s.live?.rows[1].ratios).toEqual([1.1]);
    expect(s.live?.scored).toBe(true);
    expect(s.selection).toEqual({ row: 1, auto: true });
    expect(s.tokensPerSec).toBe(101);
  });

  it('keeps a user-chosen rollout selected', () => {
    let s = { ...withRollout(2), selection: { row: 0, auto: false } };
    s = apply(s, {
      type: 'steps',
      runId: s.runId,
      reports: [{ metrics: metrics(1), rewards: [0, 1], advantages: [-1, 1], ratios: [[], []] }],
    });
    expect(s.selection).toEqual({ row: 0, auto: false });
  });

  it('keeps the base evaluation apart from the curve points', () => {
    let s = initialState('browser');
    const point = (step: number, em: number) => ({ step, em, emByHops: {}, n: 4 });
    s = apply(s, { type: 'eval', runId: s.runId, policy: 'base', point: point(0, 0.25) });
    s = apply(s, { type: 'eval', runId: s.runId, policy: 'current', point: point(1, 0.5) });
    expect(s.evals.base?.em).toBe(0.25);
    expect(s.evals.points.map((p) => p.em)).toEqual([0.5]);
  });

  it('matches search and compare replies by request id only', () => {
    const s = initialState('browser');
    const pending = { ...s, search: { ...s.search, requestId: 3, pending: true } };
    expect(
      applyMessage(pending, { type: 'search', runId: 0, requestId: 2, query: 'q', hits: [] }),
    ).toBeNull();
    expect(
      applyMessage(pending, { type: 'search', runId: 0, requestId: 3, query: 'q', hits: [] }),
    ).toMatchObject({ search: { pending: false, hits: [] } });
    const c = { ...s, compare: { ...s.compare, requestId: 2, pending: true } };
    expect(applyMessage(c, { type: 'compare', runId: s.runId, requestId: 1, error: 'x' })).toBeNull();
    expect(applyMessage(c, { type: 'compare', runId: s.runId, requestId: 2, error: 'x' })).toMatchObject({
      compare: { pending: false, error: 'x' },
    });
  });

  it('shows errors as state, never only in the console', () => {
    const s = initialState('browser');
    expect(
      applyMessage(s, { type: 'error', runId: s.runId, message: 'train.jsonl line 1: invalid JSON' }),
    ).toMatchObject({
      phase: 'error',
      error: 'train.jsonl line 1: invalid JSON',
    });
  });
});

describe('store: rollout helpers', () => {
  it('mergeRow replaces from the delta start and appends searches', () => {
    const s = withRollout(1);
    const row = s.live!.rows[0];
    const search = { query: 'x', executed: true, at: 2, docs: [] };
    const a = mergeRow(row, delta(0, 0, [1, 2, 3], { searches: [search] }));
    const b = mergeRow(a, delta(0, 2, [4, 5], { searchesFrom: 1 }));
    expect(b.ids).toEqual([1, 2, 4, 5]);
    expect(b.searches).toEqual([search]);
  });

  it('bestRow prefers reward, then executed searches, then the first', () => {
    const s = withRollout(3);
    const rows = s.live!.rows.map((r, i) => ({
      ...r,
      reward: i === 0 ? 0 : 1,
      searches: i === 2 ? [{ query: 'q', executed: true, at: 0, docs: [] }] : [],
    }));
    expect(bestRow(rows)).toBe(2);
    expect(bestRow(rows.map((r) => ({ ...r, searches: [] })))).toBe(1);
  });
});
