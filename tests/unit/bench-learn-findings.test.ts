import { describe, expect, it } from 'vitest';
import {
  curveMoves,
  findings,
  fmtDiff,
  pairedDiff,
  perSeed,
  renderFindings,
  startLowEnd,
} from '../../src/cli/bench-learn-findings';
import type { CellResult } from '../../src/cli/bench-learn-report';

const cell = (
  corpus: string,
  seed: number,
  method: string,
  emMulti: number,
  extra: Partial<CellResult> = {},
) =>
  ({
    corpus,
    seed,
    method,
    em: emMulti + 0.1,
    emSingle: emMulti + 0.2,
    emMulti,
    f1: 0,
    searchesPerQuestion: 1.5,
    steps: 10,
    seconds: 1,
    ...extra,
  }) satisfies CellResult;

describe('bench:learn findings', () => {
  it('pairs two methods by seed and leaves out seeds one side lacks', () => {
    const cells = [
      cell('world', 1, 'grpo', 0.6),
      cell('world', 2, 'grpo', 0.5),
      cell('world', 3, 'grpo', 0.9),
      cell('world', 1, 'r1', 0.1),
      cell('world', 2, 'r1', 0.2),
      cell('countries', 3, 'r1', 0.0),
    ];
    const d = pairedDiff(cells, 'world', 'grpo', 'r1', (c) => c.emMulti);
    // Seeds 1 and 2 only: differences 0.5 and 0.3.
    expect(d.n).toBe(2);
    expect(d.mean).toBeCloseTo(0.4, 12);
    expect(d.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(pairedDiff(cells, 'countries', 'grpo', 'r1', (c) => c.emMulti).n).toBe(0);
    // A null on either side leaves that seed out.
    const withNull = [...cells.slice(1), cell('world', 1, 'grpo', 0.6, { emMulti: null })];
    expect(pairedDiff(withNull, 'world', 'grpo', 'r1', (c) => c.emMulti).n).toBe(1);
  });

  it("takes one method's own per-seed value, leaving out seeds without it", () => {
    const cells = [
      cell('world', 1, 'grpo', 0, { searchesSingle: 1.1, searchesMulti: 2.0 }),
      cell('world', 2, 'grpo', 0, { searchesSingle: 1.0, searchesMulti: 1.7 }),
      cell('world', 3, 'grpo', 0),
    ];
    const s = perSeed(cells, 'world', 'grpo', (c) => (c.searchesMulti ?? NaN) - (c.searchesSingle ?? NaN));
    expect(s.n).toBe(2);
    expect(s.mean).toBeCloseTo(0.8, 12);
  });

  it('reads a curve at its start, its lowest tenth and its end', () => {
    // 20 points: windows of 2. Start (3 + 1) / 2 = 2, lowest (0 + 0) / 2 = 0 at steps 9-10, end (5 + 7) / 2 = 6.
    const curve = [3, 1, 2, 2, 2, 2, 2, 2, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 5, 7];
    expect(startLowEnd(curve)).toEqual({ start: 2, low: 0, end: 6 });
    expect(startLowEnd([4])).toEqual({ start: 4, low: 4, end: 4 });
    expect(startLowEnd([NaN])).toBeNull();
  });

  it('lists only the findings whose methods share a seed, signed so that agreeing with the paper is positive', () => {
    const cells = [
      cell('world', 1, 'grpo', 0.6),
      cell('world', 1, 'rag', 0.1),
      cell('world', 1, 'grpo-nomask', 0.7),
      cell('countries', 1, 'grpo', 0.5),
    ];
    const fs = findings(cells, ['world', 'countries']);
    expect(fs.map((f) => f.claim)).toEqual([
      'Search-R1 beats RAG: Search-R1 GRPO − RAG (base policy, top-1 up front), multi-hop EM',
      'Masking the retrieved tokens helps: Search-R1 GRPO − Search-R1 GRPO, no masking, all EM',
    ]);
    expect(fs[0].byCorpus.world.mean).toBeCloseTo(0.5, 12);
    expect(fs[0].byCorpus.countries.n).toBe(0);
    expect(fs[1].byCorpus.world.mean).toBeCloseTo(-0.1, 12);
    expect(fmtDiff(fs[1].byCorpus.world)).toBe('−0.100 (1)');
    expect(fmtDiff(fs[0].byCorpus.countries)).toBe('–');
    expect(fmtDiff({ mean: 0.4123, std: 0.03, n: 3 })).toBe('+0.412 ± 0.030 (3)');
    expect(fmtDiff({ mean: -0.0001, std: 0, n: 1 })).toBe('0.000 (1)');
  });

  it('reads the top-k finding against Search-R1 GRPO, which runs the default top-1', () => {
    const cells = [
      cell('world', 1, 'grpo', 0.5),
      cell('world', 1, 'grpo-k3', 0.4),
      cell('world', 1, 'grpo-k5', 0.45),
    ];
    const fs = findings(cells, ['world']);
    expect(fs.map((f) => [f.claim.split(':')[0], f.byCorpus.world.mean.toFixed(3)])).toEqual([
      ['Top-3 passages beat 1', '-0.100'],
      ['Top-3 passages beat 5', '-0.050'],
    ]);
  });

  it('averages curve moves over seeds and renders both tables', () => {
    const curves = (r: number[]) => ({ reward: r, responseLength: [40, 30, 50], validSearches: [1, 1, 2] });
    const cells = [
      cell('world', 1, 'grpo', 0.6, { curves: curves([0.1, 0.2, 0.5]) }),
      cell('world', 2, 'grpo', 0.6, { curves: curves([0.3, 0.0, 0.7]) }),
      cell('world', 1, 'r1', 0.1),
      cell('world', 2, 'r1', 0.2),
    ];
    const moves = curveMoves(cells, ['world'], ['grpo', 'ppo']);
    expect(moves.map((m) => m.curve)).toEqual(['reward', 'responseLength', 'validSearches']);
    expect(moves[0]).toMatchObject({ method: 'grpo', corpus: 'world', seeds: 2 });
    expect(moves[0].start).toBeCloseTo(0.2, 12);
    expect(moves[0].low).toBeCloseTo(0.05, 12);
    expect(moves[0].end).toBeCloseTo(0.6, 12);
    const md = renderFindings(findings(cells, ['world']), moves, ['world'], ['grpo']).join('\n');
    expect(md).toContain(
      '| Search-R1 beats R1: Search-R1 GRPO − R1 (GRPO, no search), multi-hop EM | +0.450 ± 0.071 (2) |',
    );
    expect(md).toContain(
      '| Search-R1 GRPO | world | 0.20 → 0.05 → 0.60 | 40.0 → 30.0 → 50.0 | 1.00 → 1.00 → 2.00 | 2 |',
    );
    expect(renderFindings([], [], ['world'], ['grpo'])).toEqual([]);
  });
});
