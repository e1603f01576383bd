/**
 * npm run bench:learn's methods and writers: the method table (what each row of the paper-style table runs),
 * aggregation of per-cell results into mean ± std over seeds, the Markdown table, and hand-written SVG line charts
 * of training curves. Pure functions of plain data: no I/O, no tfjs (the runner is bench-learn.ts).
 */
import { defaultRolloutConfig, type Algo, type Mode } from '../engine/config';

export type Section = 'main' | 'group' | 'topk';

export interface MethodSpec {
  id: string;
  label: string;
  section: Section;
  mode: Mode;
  /** false: the base policy is evaluated as it is (the paper's Direct and RAG are inference-only baselines). */
  rl: boolean;
  algo?: Algo;
  group?: number;
  topk?: number;
  mask?: boolean;
}

/** Every method of the benchmark, in table order. Unset RL fields take the CLI defaults (G 8, top-1, masking). */
export const METHODS: readonly MethodSpec[] = [
  { id: 'direct', label: 'Direct (base policy)', section: 'main', mode: 'direct', rl: false },
  {
    id: 'rag',
    label: `RAG (base policy, top-${defaultRolloutConfig().topk} up front)`,
    section: 'main',
    mode: 'rag',
    rl: false,
  },
  { id: 'r1', label: 'R1 (GRPO, no search)', section: 'main', mode: 'nosearch', rl: true },
  { id: 'grpo', label: 'Search-R1 GRPO', section: 'main', mode: 'search', rl: true },
  {
    id: 'grpo-nomask',
    label: 'Search-R1 GRPO, no masking',
    section: 'main',
    mode: 'search',
    rl: true,
    mask: false,
  },
  { id: 'ppo', label: 'Search-R1 PPO', section: 'main', mode: 'search', rl: true, algo: 'ppo' },
  { id: 'grpo-g1', label: 'GRPO, group size 1', section: 'group', mode: 'search', rl: true, group: 1 },
  { id: 'grpo-g3', label: 'GRPO, group size 3', section: 'group', mode: 'search', rl: true, group: 3 },
  { id: 'grpo-g5', label: 'GRPO, group size 5', section: 'group', mode: 'search', rl: true, group: 5 },
  // The paper's top-k comparison (1 / 3 / 5); the value Search-R1 GRPO above already uses gets no row of its own.
  ...[1, 3, 5]
    .filter((k) => k !== defaultRolloutConfig().topk)
    .map((k): MethodSpec => ({
      id: `grpo-k${k}`,
      label: `GRPO, top-${k} passages`,
      section: 'topk',
      mode: 'search',
      rl: true,
      topk: k,
    })),
];

export const QUICK_METHODS = ['direct', 'rag', 'r1', 'grpo', 'grpo-nomask', 'ppo'] as const;

/** The methods whose training curves the plots show (masking on vs off, and PPO beside GRPO). */
export const CURVE_METHODS = ['grpo', 'grpo-nomask', 'ppo', 'r1'] as const;

export function methodById(id: string): MethodSpec {
  const m = METHODS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown method "${id}" (known: ${METHODS.map((x) => x.id).join(', ')})`);
  return m;
}

export type CurveName = 'reward' | 'responseLength' | 'validSearches';
export const CURVES: readonly { name: CurveName; title: string }[] = [
  { name: 'reward', title: 'training reward' },
  { name: 'responseLength', title: 'response length (tokens)' },
  { name: 'validSearches', title: 'valid searches per rollout' },
];

export interface CellResult {
  corpus: string;
  seed: number;
  method: string;
  /** Held-out (test split) exact match over all questions, single-hop and multi-hop ones (null: none). */
  em: number;
  emSingle: number | null;
  emMulti: number | null;
  f1: number;
  searchesPerQuestion: number;
  /** Searches per single-hop and per multi-hop question (null: none; absent in records written before them). */
  searchesSingle?: number | null;
  searchesMulti?: number | null;
  /** RL steps run (0 for base-policy methods). */
  steps: number;
  seconds: number;
  /** Per RL step; absent for base-policy methods. */
  curves?: Record<CurveName, number[]>;
}

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(xs: readonly number[]): Stat {
  const n = xs.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export interface CorpusStats {
  em: Stat;
  single: Stat;
  multi: Stat;
  searches: Stat;
}

export interface SummaryRow {
  method: string;
  label: string;
  section: Section;
  byCorpus: Record<string, CorpusStats>;
  /**
   * Per seed that has a cell on every corpus, the mean over corpora of overall EM; then mean ± std over those
   * seeds (n = 0 when no seed has every corpus yet, as in a benchmark still adding up).
   */
  avgEm: Stat;
  avgSearches: Stat;
  /** The same, for single-hop and multi-hop questions (over the seeds whose cells have them). */
  avgSearchesSingle: Stat;
  avgSearchesMulti: Stat;
  /** The seeds with a cell, per corpus. */
  seeds: Record<string, number[]>;
}

/** Aggregate cells into one row per method that has any cell, in METHODS order. */
export function summarize(cells: readonly CellResult[], corpora: readonly string[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const m of METHODS) {
    const mine = cells.filter((c) => c.method === m.id);
    if (!mine.length) continue;
    const byCorpus: Record<string, CorpusStats> = {};
    for (const corpus of corpora) {
      const cs = mine.filter((c) => c.corpus === corpus);
      if (!cs.length) continue;
      const vals = (f: (c: CellResult) => number | null) =>
        cs.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
      byCorpus[corpus] = {
        em: meanStd(vals((c) => c.em)),
        single: meanStd(vals((c) => c.emSingle)),
        multi: meanStd(vals((c) => c.emMulti)),
        searches: meanStd(vals((c) => c.searchesPerQuestion)),
      };
    }
    const seedsOf = (corpus: string) =>
      [...new Set(mine.filter((c) => c.corpus === corpus).map((c) => c.seed))].sort((a, b) => a - b);
    const seeds = seedsOf(corpora[0] ?? '').filter((s) => corpora.every((x) => seedsOf(x).includes(s)));
    const perSeed = (f: (c: CellResult) => number | null | undefined) =>
      seeds
        .map((s) => mine.filter((c) => c.seed === s).map(f))
        .filter((xs) => xs.every((x): x is number => typeof x === 'number' && Number.isFinite(x)))
        .map((xs) => meanStd(xs as number[]).mean);
    rows.push({
      method: m.id,
      label: m.label,
      section: m.section,
      byCorpus,
      avgEm: meanStd(perSeed((c) => c.em)),
      avgSearches: meanStd(perSeed((c) => c.searchesPerQuestion)),
      avgSearchesSingle: meanStd(perSeed((c) => c.searchesSingle)),
      avgSearchesMulti: meanStd(perSeed((c) => c.searchesMulti)),
      seeds: Object.fromEntries(corpora.map((x) => [x, seedsOf(x)])),
    });
  }
  return rows;
}

/** "0.431 ± 0.012" (3 decimals; "–" when missing; no ± for a single seed). */
export function fmt(s: Stat | undefined, digits = 3): string {
  if (!s || !s.n || !Number.isFinite(s.mean)) return '–';
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

export interface ReportMeta {
  created: string;
  corpora: string[];
  seeds: number[];
  steps: number;
  baseSteps: number;
  backend: string;
  command: string;
  /** Wall time of the invocation that wrote the report. */
  seconds: number;
  /** Sum of the runs' own times (practice, RL, evaluation), runs reused from an earlier invocation included. */
  runSeconds: number;
  /** Plot files (relative to the Markdown file), per corpus. */
  plots: Record<string, string[]>;
  /** Jobs (base policies and RL runs) finished and planned, when the table is still partial. */
  progress?: { done: number; planned: number };
  /** Markdown lines after the paper's figures (bench-learn-findings.ts). */
  findings?: string[];
}

const SECTION_TITLE: Record<Section, string> = {
  main: 'Main comparison',
  group: 'GRPO group size (Search-R1 GRPO above is G = 8)',
  topk: `Passages per search (Search-R1 GRPO above is top-${defaultRolloutConfig().topk})`,
};

/** The paper-style table: EM mean ± std over seeds per corpus split by hops, the average, searches per question. */
export function renderMarkdown(rows: readonly SummaryRow[], meta: ReportMeta): string {
  const c = meta.corpora;
  const head = [
    'Method',
    ...c.flatMap((x) => [`${x} single-hop`, `${x} multi-hop`, `${x} all`]),
    'Avg. EM',
    'Searches / question (single-hop / multi-hop)',
    `Seeds (${c.join(' / ')})`,
  ];
  const lines: string[] = [
    '# Learning benchmark (npm run bench:learn)',
    '',
    `Held-out exact match on each corpus's test split, mean ± std over seeds ${meta.seeds.join(', ')}` +
      ` (${meta.seeds.length} seed${meta.seeds.length === 1 ? '' : 's'}). RL: ${meta.steps} steps from a base of` +
      ` ${meta.baseSteps} reading-practice steps; backend ${meta.backend}; the runs took` +
      ` ${(meta.runSeconds / 60).toFixed(1)} min in all (this invocation ${(meta.seconds / 60).toFixed(1)} min).` +
      ` Created ${meta.created}.`,
    '',
    `Command: \`${meta.command}\``,
    '',
    ...(meta.progress && meta.progress.done < meta.progress.planned
      ? [
          `**Partial:** ${meta.progress.done} of the ${meta.progress.planned} planned jobs (base policies and RL runs)` +
            ' are finished; missing cells show –, and the Seeds column says which seeds each row has.',
          '',
        ]
      : []),
    'Direct and RAG evaluate the base policy without RL (as in the paper, where they are prompting baselines); the',
    'other rows are RL runs from the same base policy per corpus and seed (R1 from a base practised without',
    'search). Avg. EM: per seed the mean of the corpora, then mean ± std over the seeds run on every corpus.',
    'Searches / question: greedy evaluation, averaged over corpora, overall and (where recorded) for single-hop /',
    'multi-hop questions. Seeds: the seeds each cell has, per corpus.',
  ];
  for (const section of ['main', 'group', 'topk'] as const) {
    const rs = rows.filter((r) => r.section === section);
    if (!rs.length) continue;
    lines.push(
      '',
      `## ${SECTION_TITLE[section]}`,
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---').join('|')}|`,
    );
    for (const r of rs) {
      const cells = c.flatMap((x) => {
        const s = r.byCorpus[x];
        return [fmt(s?.single), fmt(s?.multi), fmt(s?.em)];
      });
      const seeds = c.map((x) => r.seeds[x]?.join(',') || '–').join(' / ');
      const split = r.avgSearchesSingle.n
        ? ` (${r.avgSearchesSingle.mean.toFixed(2)} / ${r.avgSearchesMulti.mean.toFixed(2)})`
        : '';
      const searches = `${fmt(r.avgSearches, 2)}${split}`;
      lines.push(`| ${[r.label, ...cells, fmt(r.avgEm), searches, seeds].join(' | ')} |`);
    }
  }
  lines.push(
    '',
    '## Paper (Qwen2.5-7B base, average EM over seven datasets)',
    '',
    'Direct 0.181 · RAG 0.304 · R1 without search 0.276 · Search-R1 0.431 · without the retrieved-token mask 0.343.',
    'Top-3 passages beat 1 and 5; GRPO group size 1 beat 3 and 5 in the final score, larger groups learn faster.',
  );
  if (meta.findings?.length) lines.push('', ...meta.findings);
  const plotCorpora = Object.keys(meta.plots).filter((k) => meta.plots[k].length);
  if (plotCorpora.length) {
    lines.push('', '## Training curves (mean over seeds, moving average)', '');
    for (const k of plotCorpora) {
      lines.push(`### ${k}`, '', ...meta.plots[k].map((p) => `![${p}](${p})`), '');
    }
  }
  return lines.join('\n').trimEnd() + '\n';
}

/** Trailing moving average over `window` points (the first points average what exists). */
export function movingAverage(xs: readonly number[], window: number): number[] {
  const w = Math.max(1, Math.floor(window));
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i];
    if (i >= w) sum -= xs[i - w];
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

/** Pointwise mean over runs, truncated to the shortest run. */
export function meanCurve(runs: readonly (readonly number[])[]): number[] {
  if (!runs.length) return [];
  const len = Math.min(...runs.map((r) => r.length));
  return Array.from({ length: len }, (_, i) => runs.reduce((a, r) => a + r[i], 0) / runs.length);
}

export interface Series {
  label: string;
  /** y per step; step i is x = i + 1. */
  values: number[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round to a "nice" tick step (1, 2, 5 × 10^k) for a range split in about `n` parts. */
export function niceStep(range: number, n: number): number {
  if (!(range > 0)) return 1;
  const raw = range / n;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A line chart as a standalone SVG document (axes, ticks, one polyline per series, legend). */
export function lineChartSvg(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}): string {
  const W = o.width ?? 700;
  const H = o.height ?? 360;
  const m = { l: 60, r: 210, t: 36, b: 46 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = o.series.flatMap((s) => s.values).filter(Number.isFinite);
  const xMax = Math.max(1, ...o.series.map((s) => s.values.length));
  let yMin = all.length ? Math.min(...all) : 0;
  let yMax = all.length ? Math.max(...all) : 1;
  if (yMin > 0 && yMin < 0.5 * yMax) yMin = 0;
  if (yMax === yMin) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const yStep = niceStep(yMax - yMin, 5);
  yMin = Math.floor(yMin / yStep) * yStep;
  yMax = Math.ceil(yMax / yStep) * yStep;
  const xStep = Math.max(1, niceStep(xMax, 6)); // whole steps
  const X = (x: number) => m.l + (xMax <= 1 ? 0 : ((x - 1) / (xMax - 1)) * pw);
  const Y = (y: number) => m.t + ph - ((y - yMin) / (yMax - yMin)) * ph;
  const f = (v: number) => (Math.round(v * 10) / 10).toString();
  const decimals = Math.max(0, -Math.floor(Math.log10(yStep)));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.l + pw / 2}" y="20" text-anchor="middle" font-size="13">${esc(o.title)}</text>`,
  ];
  for (let y = yMin; y <= yMax + yStep / 2; y += yStep) {
    out.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${f(Y(y))}" y2="${f(Y(y))}" stroke="#e5e5e5"/>`,
      `<text x="${m.l - 6}" y="${f(Y(y) + 4)}" text-anchor="end">${y.toFixed(decimals)}</text>`,
    );
  }
  for (let x = xStep; x <= xMax; x += xStep) {
    out.push(
      `<line x1="${f(X(x))}" x2="${f(X(x))}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#333"/>`,
      `<text x="${f(X(x))}" y="${m.t + ph + 16}" text-anchor="middle">${x}</text>`,
    );
  }
  out.push(
    `<path d="M${m.l} ${m.t}V${m.t + ph}H${m.l + pw}" fill="none" stroke="#333"/>`,
    `<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.values
      .map((v, j) => (Number.isFinite(v) ? `${f(X(j + 1))},${f(Y(v))}` : null))
      .filter((p): p is string => p !== null);
    if (pts.length)
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${pts.join(' ')}"/>`);
    const ly = m.t + 8 + i * 18;
    out.push(
      `<line x1="${m.l + pw + 12}" x2="${m.l + pw + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${m.l + pw + 38}" y="${ly + 4}">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * The curve plots for one corpus: per curve, one series per CURVE_METHOD present (mean over seeds, then a moving
 * average over a twentieth of the run). Returns file name → SVG text.
 */
export function curvePlots(cells: readonly CellResult[], corpus: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const curve of CURVES) {
    const series: Series[] = [];
    let window = 1;
    let seeds = 0;
    for (const id of CURVE_METHODS) {
      const runs = cells
        .filter((c) => c.corpus === corpus && c.method === id && c.curves)
        .map((c) => c.curves![curve.name]);
      if (!runs.length) continue;
      const mean = meanCurve(runs);
      window = Math.max(window, Math.round(mean.length / 20));
      seeds = Math.max(seeds, runs.length);
      series.push({ label: methodById(id).label, values: mean });
    }
    if (!series.length) continue;
    const smoothed = series.map((s) => ({ ...s, values: movingAverage(s.values, window) }));
    out[`curves-${corpus}-${curve.name}.svg`] = lineChartSvg({
      title: `${corpus}: ${curve.title} (mean of ${seeds} seed${seeds === 1 ? '' : 's'}, moving average ${window})`,
      xLabel: 'RL step',
      yLabel: curve.title,
      series: smoothed,
    });
  }
  return out;
}

/** EM over single-hop (hops = 1) and multi-hop (hops ≥ 2) predictions; null where a split has none. */
export function emByHopSplit(preds: readonly { em: number; hops?: number | null }[]): {
  single: number | null;
  multi: number | null;
} {
  return meanByHops(preds, (p) => p.em);
}

/** Mean of `f` over single-hop (hops 1) and multi-hop (hops ≥ 2) predictions; null where there are none. */
export function meanByHops<P extends { hops?: number | null }>(
  preds: readonly P[],
  f: (p: P) => number,
): { single: number | null; multi: number | null } {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    single: mean(preds.filter((p) => p.hops === 1).map(f)),
    multi: mean(preds.filter((p) => (p.hops ?? 0) >= 2).map(f)),
  };
}
