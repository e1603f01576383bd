import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  curvePlots,
  emByHopSplit,
  fmt,
  lineChartSvg,
  meanByHops,
  meanCurve,
  meanStd,
  methodById,
  movingAverage,
  niceStep,
  renderMarkdown,
  summarize,
  type CellResult,
} from '../../src/cli/bench-learn-report';
import { jobOptions, plan, type JobContext } from '../../src/cli/bench-learn-jobs';
import { parseOptions } from '../../src/cli/bench-learn-options';

const cell = (corpus: string, seed: number, method: string, em: number, extra: Partial<CellResult> = {}) =>
  ({
    corpus,
    seed,
    method,
    em,
    emSingle: em + 0.1,
    emMulti: em - 0.1,
    f1: em,
    searchesPerQuestion: 1 + seed / 10,
    steps: 3,
    seconds: 1,
    ...extra,
  }) satisfies CellResult;

describe('bench:learn aggregation', () => {
  it('mean and sample std', () => {
    const s = meanStd([0.2, 0.4, 0.6]);
    expect(s.mean).toBeCloseTo(0.4, 12);
    expect(s.std).toBeCloseTo(0.2, 12);
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0, n: 1 });
    expect(meanStd([]).n).toBe(0);
  });

  it('formats mean ± std, a single seed without ±, and missing values as –', () => {
    expect(fmt({ mean: 0.4312, std: 0.0123, n: 3 })).toBe('0.431 ± 0.012');
    expect(fmt({ mean: 0.5, std: 0, n: 1 })).toBe('0.500');
    expect(fmt(undefined)).toBe('–');
  });

  it('splits EM by hops', () => {
    expect(
      emByHopSplit([
        { em: 1, hops: 1 },
        { em: 0, hops: 1 },
        { em: 1, hops: 2 },
        { em: 0, hops: 3 },
        { em: 1 },
      ]),
    ).toEqual({ single: 0.5, multi: 0.5 });
    expect(emByHopSplit([{ em: 1, hops: 1 }]).multi).toBeNull();
  });

  it('splits searches per question by hops, and shows the split where every corpus of a seed has it', () => {
    const preds = [
      { hops: 1, searches: 1 },
      { hops: 1, searches: 2 },
      { hops: 2, searches: 2 },
    ];
    expect(meanByHops(preds, (p) => p.searches)).toEqual({ single: 1.5, multi: 2 });
    const split = { searchesSingle: 1.1, searchesMulti: 1.9 };
    const cells = [
      cell('world', 1, 'grpo', 0.4, split),
      cell('countries', 1, 'grpo', 0.2, { searchesSingle: 1.3, searchesMulti: 2.1 }),
      cell('world', 1, 'direct', 0.1),
      cell('countries', 1, 'direct', 0.1),
    ];
    const rows = summarize(cells, ['world', 'countries']);
    expect(rows[1].avgSearchesSingle.mean).toBeCloseTo(1.2, 12);
    expect(rows[1].avgSearchesMulti.mean).toBeCloseTo(2.0, 12);
    // Records written before the split have none: no split is shown for them.
    expect(rows[0].avgSearchesSingle.n).toBe(0);
    const md = renderMarkdown(rows, {
      created: 'now',
      corpora: ['world', 'countries'],
      seeds: [1],
      steps: 3,
      baseSteps: 3,
      backend: 'cpu',
      command: 'x',
      seconds: 1,
      runSeconds: 1,
      plots: {},
    });
    expect(md).toContain('| 1.10 (1.20 / 2.00) |');
    expect(md).toMatch(/\| Direct \(base policy\) [^\n]*\| 1\.10 \|/);
  });

  it('aggregates per method and corpus, in table order, with the per-seed average over corpora', () => {
    const cells = [
      cell('world', 1, 'grpo', 0.4),
      cell('world', 2, 'grpo', 0.6),
      cell('countries', 1, 'grpo', 0.2),
      cell('countries', 2, 'grpo', 0.2),
      cell('world', 1, 'direct', 0.1),
    ];
    const rows = summarize(cells, ['world', 'countries']);
    expect(rows.map((r) => r.method)).toEqual(['direct', 'grpo']);
    const g = rows[1];
    expect(g.byCorpus.world.em.mean).toBeCloseTo(0.5, 12);
    expect(g.byCorpus.world.em.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(g.byCorpus.world.single.mean).toBeCloseTo(0.6, 12);
    // per seed: (0.4 + 0.2)/2 = 0.3 and (0.6 + 0.2)/2 = 0.4
    expect(g.avgEm.mean).toBeCloseTo(0.35, 12);
    expect(g.avgEm.n).toBe(2);
    expect(rows[0].byCorpus.countries).toBeUndefined();
    expect(g.seeds).toEqual({ world: [1, 2], countries: [1, 2] });
    // A method run on one corpus only has no average over corpora yet.
    expect(rows[0].avgEm.n).toBe(0);
    expect(rows[0].seeds).toEqual({ world: [1], countries: [] });
  });

  it('averages over corpora only the seeds that every corpus has', () => {
    const rows = summarize(
      [cell('world', 1, 'grpo', 0.4), cell('world', 2, 'grpo', 0.6), cell('countries', 1, 'grpo', 0.2)],
      ['world', 'countries'],
    );
    expect(rows[0].avgEm).toEqual({ mean: expect.closeTo(0.3, 12), std: 0, n: 1 });
    expect(rows[0].seeds).toEqual({ world: [1, 2], countries: [1] });
  });
});

describe('bench:learn Markdown', () => {
  it('renders a paper-style table per section with mean ± std and missing cells', () => {
    const cells = [
      cell('world', 1, 'grpo', 0.4),
      cell('world', 2, 'grpo', 0.6),
      cell('world', 1, 'grpo-g1', 0.3),
      cell('world', 1, 'direct', 0.1, { emMulti: null }),
    ];
    const meta = {
      created: '2026-01-01T00:00:00Z',
      corpora: ['world'],
      seeds: [1, 2],
      steps: 3,
      baseSteps: 5,
      backend: 'cpu',
      command: 'npm run bench:learn -- --quick',
      seconds: 90,
      runSeconds: 3000,
      plots: { world: ['curves-world-reward.svg'] },
    };
    const md = renderMarkdown(summarize(cells, ['world']), meta);
    // Runs reused from an earlier invocation still count in the time the table cost.
    expect(md).toContain('the runs took 50.0 min in all (this invocation 1.5 min)');
    expect(md).toContain(
      '| Method | world single-hop | world multi-hop | world all | Avg. EM | Searches / question (single-hop / multi-hop) | Seeds (world) |',
    );
    expect(md).toContain(
      '| Search-R1 GRPO | 0.600 ± 0.141 | 0.400 ± 0.141 | 0.500 ± 0.141 | 0.500 ± 0.141 | 1.15 ± 0.07 | 1,2 |',
    );
    expect(md).toContain('| Direct (base policy) | 0.200 | – | 0.100 | 0.100 | 1.10 | 1 |');
    expect(md).toContain('## GRPO group size');
    expect(md).not.toContain('## Passages per search');
    expect(md).toContain('![curves-world-reward.svg](curves-world-reward.svg)');
    expect(md.endsWith('\n')).toBe(true);
    expect(md).not.toContain('**Partial:**');
    const partial = renderMarkdown(summarize(cells, ['world']), {
      ...meta,
      progress: { done: 4, planned: 10 },
    });
    expect(partial).toContain('**Partial:** 4 of the 10 planned jobs');
    expect(renderMarkdown([], { ...meta, progress: { done: 10, planned: 10 } })).not.toContain(
      '**Partial:**',
    );
  });
});

describe('bench:learn SVG', () => {
  it('smooths and averages curves', () => {
    expect(movingAverage([1, 3, 5, 7], 2)).toEqual([1, 2, 4, 6]);
    expect(
      meanCurve([
        [1, 2, 3],
        [3, 4],
      ]),
    ).toEqual([2, 3]);
    expect(niceStep(1, 5)).toBe(0.2);
    expect(niceStep(200, 6)).toBe(50);
  });

  it('draws one polyline per series, a legend, and escapes text', () => {
    const svg = lineChartSvg({
      title: 'reward <a & b>',
      xLabel: 'RL step',
      yLabel: 'reward',
      series: [
        { label: 'A', values: [0, 0.5, 1] },
        { label: 'B', values: [1, NaN, 0] },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('reward &lt;a &amp; b&gt;');
    expect(svg).not.toContain('NaN');
    // The first point of A sits at the left of the plot and the bottom of the y range (0).
    const a = svg.match(/<polyline[^>]*points="([^"]+)"/)![1].split(' ');
    expect(a).toHaveLength(3);
    expect(a[0]).toBe('60,314'); // plot 60..490 × 36..314
    expect(a[2]).toBe('490,36');
    expect(svg).toContain('>A</text>');
  });

  it('writes reward, length and searches plots for the curve methods present, mean over seeds', () => {
    const curves = (r: number) => ({ reward: [r, r], responseLength: [10, 12], validSearches: [1, 2] });
    const cells = [
      cell('world', 1, 'grpo', 0.4, { curves: curves(0) }),
      cell('world', 2, 'grpo', 0.4, { curves: curves(1) }),
      cell('world', 1, 'grpo-nomask', 0.4, { curves: curves(0.2) }),
      cell('world', 1, 'grpo-g3', 0.4, { curves: curves(0.2) }),
    ];
    const plots = curvePlots(cells, 'world');
    expect(Object.keys(plots).sort()).toEqual([
      'curves-world-responseLength.svg',
      'curves-world-reward.svg',
      'curves-world-validSearches.svg',
    ]);
    const svg = plots['curves-world-reward.svg'];
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain(methodById('grpo-nomask').label);
    expect(svg).toContain('mean of 2 seeds');
    expect(curvePlots(cells, 'countries')).toEqual({});
  });
});

describe('bench:learn plan', () => {
  it('runs Search-R1 GRPO on every corpus and seed first, each base before its runs, ablations last', () => {
    const o = parseOptions(['--corpora', 'a,b', '--seeds', '2', '--work', 'w'])!;
    const jobs = plan(o, null);
    const name = (j: (typeof jobs)[number]) =>
      `${j.corpus}${j.seed} ${j.kind === 'base' ? path.basename(j.dir) : j.method!.id}`;
    // 2 corpora × 2 seeds × (6 bases: 4 prompt modes, search also with top-3 and top-5; + 9 RL methods).
    expect(jobs).toHaveLength(60);
    expect(jobs.slice(0, 8).map(name)).toEqual([
      'a1 base-search',
      'a1 grpo',
      'a2 base-search',
      'a2 grpo',
      'b1 base-search',
      'b1 grpo',
      'b2 base-search',
      'b2 grpo',
    ]);
    expect(jobs.slice(8, 12).map(name)).toEqual([
      'a1 grpo-nomask',
      'a2 grpo-nomask',
      'b1 grpo-nomask',
      'b2 grpo-nomask',
    ]);
    expect(jobs.slice(-2).map(name)).toEqual(['b2 base-search-k5', 'b2 grpo-k5']);
    for (const [i, j] of jobs.entries()) {
      if (j.kind !== 'rl') continue;
      const base = jobs.findIndex((b) => b.kind === 'base' && b.mode === j.mode && b.topk === j.topk);
      expect(base).toBeGreaterThanOrEqual(0);
      expect(base).toBeLessThan(i);
    }
    // Every (corpus, seed, method) cell is planned exactly once.
    const cells = jobs.flatMap((j) => j.answers.map((m) => `${j.corpus}${j.seed} ${m.id}`));
    expect(new Set(cells).size).toBe(cells.length);
    expect(cells).toHaveLength(2 * 2 * 11);
  });

  it('starts each run from a base practised with as many passages per search as the run reads', () => {
    const o = parseOptions(['--corpora', 'world', '--seeds', '1', '--methods', 'grpo,grpo-k3,ppo,rag'])!;
    const jobs = plan(o, null);
    const ctx: JobContext = { o, jobs, bases: new Map(), ledger: null };
    const opts = (j: (typeof jobs)[number]) => jobOptions(ctx, j);
    const bases = jobs.filter((j) => j.kind === 'base');
    expect(bases.map((j) => [path.basename(j.dir), opts(j).topk, j.answers.map((m) => m.id)])).toEqual([
      ['base-search', 1, []],
      ['base-rag', 1, ['rag']],
      ['base-search-k3', 3, []],
    ]);
    for (const j of jobs.filter((x) => x.kind === 'rl')) {
      const base = bases.find((b) => path.join(b.dir, 'checkpoint') === opts(j).init)!;
      expect(opts(base).topk).toBe(opts(j).topk);
      expect(opts(j).topk).toBe(j.method!.topk ?? 1);
    }
    expect(
      jobs
        .filter((j) => j.kind === 'rl')
        .map((j) => path.basename(opts(j).init!.replace(/\/checkpoint$/, ''))),
    ).toEqual(['base-search', 'base-search', 'base-search-k3']);
  });
});
