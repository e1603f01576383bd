/**
 * Experiments: a few variants of the current settings (masking on/off, GRPO/PPO, search or not), each trained for
 * N updates one after another from the same base policy, their curves overlaid. This file holds the pure parts:
 * the variant catalogue, a variant's settings, the chart geometry shared by the page and the SVG export, and the
 * JSON and SVG exports. Pure data and functions (imported by the page and the worker): no tfjs, no DOM, no React.
 * Every text that reaches the SVG is escaped.
 */
import type { StepMetrics } from '../engine/trainer';
import type { EvalPoint } from './protocol';
import { validateSettings, withAlgo, type BrowserSettings } from './settings';

/** One variant of an experiment: a name and the settings it changes. */
export interface VariantDef {
  id: string;
  name: string;
  patch: Partial<BrowserSettings>;
}

/** The variants the page offers, in display order. */
export const VARIANTS: readonly VariantDef[] = [
  { id: 'mask-on', name: 'masking on', patch: { maskInformation: true } },
  { id: 'mask-off', name: 'masking off', patch: { maskInformation: false } },
  { id: 'grpo', name: 'GRPO', patch: { algo: 'grpo' } },
  { id: 'ppo', name: 'PPO', patch: { algo: 'ppo' } },
  { id: 'nosearch', name: 'R1 (no search)', patch: { mode: 'nosearch' } },
];

/** Preset pairs: the masking ablation and the algorithm comparison. */
export const ABLATIONS: readonly { name: string; variants: readonly string[] }[] = [
  { name: 'masking ablation', variants: ['mask-on', 'mask-off'] },
  { name: 'GRPO vs PPO', variants: ['grpo', 'ppo'] },
];

/** A variant to run: its name and its full settings. */
export interface VariantRun {
  name: string;
  settings: BrowserSettings;
}

/**
 * The settings of each chosen variant over `base` (the page's settings). A switch of algorithm takes that
 * algorithm's step shape (settings.ts withAlgo; `grpoShape` gives GRPO's). Throws a readable error for fewer than
 * two variants, an unknown one, or settings that cannot run.
 */
export function variantRuns(
  ids: readonly string[],
  base: BrowserSettings,
  grpoShape: Pick<BrowserSettings, 'groupSize' | 'questionsPerStep'>,
): VariantRun[] {
  if (ids.length < 2) throw new Error('choose at least two variants to compare');
  return ids.map((id) => {
    const v = VARIANTS.find((x) => x.id === id);
    if (!v) throw new Error(`unknown variant "${id}"`);
    const { algo, ...rest } = v.patch;
    const settings = { ...withAlgo(base, algo ?? base.algo, {}, grpoShape), ...rest };
    const problems = validateSettings(settings);
    if (problems.length) throw new Error(`variant "${v.name}": ${problems.join('; ')}`);
    return { name: v.name, settings };
  });
}

/** What one variant produced so far. */
export interface VariantResult {
  name: string;
  settings: BrowserSettings;
  metrics: StepMetrics[];
  evals: { base: EvalPoint | null; points: EvalPoint[] };
  /** Why the variant stopped early, when it did. */
  error: string | null;
}

/** A curve to overlay: which metric, its title, and the points of one variant, as (step, value). */
export interface MetricDef {
  key: 'reward' | 'em' | 'responseLength' | 'validSearches';
  label: string;
}

export const EXPERIMENT_METRICS: readonly MetricDef[] = [
  { key: 'reward', label: 'reward' },
  { key: 'em', label: 'held-out EM (greedy)' },
  { key: 'responseLength', label: 'response length (tokens)' },
  { key: 'validSearches', label: 'valid searches / rollout' },
];

/** Colours of the variants' curves (a sixth variant reuses the first colour). */
export const VARIANT_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
export const variantColor = (i: number) => VARIANT_COLORS[i % VARIANT_COLORS.length];

/** (step, value) points of one metric of one variant; held-out EM starts at the base policy's step 0. */
export function seriesOf(r: VariantResult, key: MetricDef['key']): [number, number][] {
  if (key === 'em') {
    const pts = (r.evals.base ? [r.evals.base] : []).concat(r.evals.points);
    return pts.map((p) => [p.step, p.em]);
  }
  return r.metrics.map((m) => [m.step, m[key]]).filter(([, v]) => Number.isFinite(v)) as [number, number][];
}

export interface ChartGeometry {
  width: number;
  height: number;
  /** One per variant, in order: SVG polyline points ("x,y x,y"), and the same points as pairs. */
  lines: { color: string; points: string; xy: [number, number][] }[];
  min: number;
  max: number;
  maxStep: number;
}

/** The geometry of one metric's chart: every variant on shared axes (steps on x, from 0 or 1). */
export function chartGeometry(
  results: readonly VariantResult[],
  key: MetricDef['key'],
  width = 320,
  height = 100,
  pad = 6,
): ChartGeometry {
  const series = results.map((r) => seriesOf(r, key));
  const values = series.flat().map(([, v]) => v);
  const steps = series.flat().map(([s]) => s);
  const min = Math.min(0, ...values);
  const max = Math.max(min + 1e-9, ...values);
  const minStep = Math.min(1, ...steps);
  const maxStep = Math.max(minStep + 1, ...steps);
  const x = (s: number) => pad + ((s - minStep) / (maxStep - minStep)) * (width - 2 * pad);
  const y = (v: number) => height - pad - ((v - min) / (max - min)) * (height - 2 * pad);
  const lines = series.map((pts, i) => {
    const xy = pts.map(([s, v]) => [Number(x(s).toFixed(1)), Number(y(v).toFixed(1))] as [number, number]);
    return { color: variantColor(i), points: xy.map(([a, b]) => `${a},${b}`).join(' '), xy };
  });
  return { width, height, lines, min, max, maxStep };
}

/** Everything an exported experiment holds (JSON). */
export interface ExperimentExport {
  kind: 'search-r1-playground/experiment';
  version: 1;
  created: string;
  updates: number;
  variants: VariantResult[];
}

export function experimentToJson(
  results: readonly VariantResult[],
  updates: number,
  now = new Date(),
): string {
  const out: ExperimentExport = {
    kind: 'search-r1-playground/experiment',
    version: 1,
    created: now.toISOString(),
    updates,
    variants: results.map((r) => ({ ...r })),
  };
  // NaN and Infinity are not JSON: they become null.
  return JSON.stringify(
    out,
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);

/** The experiment's charts as one standalone SVG image: one chart per metric, a legend below. */
export function experimentToSvg(results: readonly VariantResult[], title: string): string {
  const cw = 320;
  const ch = 100;
  const gap = 36;
  const cols = 2;
  const rows = Math.ceil(EXPERIMENT_METRICS.length / cols);
  const width = cols * cw + (cols + 1) * 16;
  const legendTop = 40 + rows * (ch + gap);
  const height = legendTop + results.length * 18 + 16;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="20" font-size="14">${escapeXml(title)}</text>`,
  ];
  EXPERIMENT_METRICS.forEach((m, k) => {
    const g = chartGeometry(results, m.key, cw, ch);
    const left = 16 + (k % cols) * (cw + 16);
    const top = 40 + Math.floor(k / cols) * (ch + gap);
    parts.push(`<g transform="translate(${left},${top + 14})">`);
    parts.push(`<text x="0" y="-4">${escapeXml(m.label)} (${fmt(g.min)} … ${fmt(g.max)})</text>`);
    parts.push(`<rect width="${cw}" height="${ch}" fill="none" stroke="#d1d5db"/>`);
    for (const l of g.lines) {
      parts.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.5" points="${l.points}"/>`);
      for (const [x, y] of l.xy) parts.push(`<circle cx="${x}" cy="${y}" r="2" fill="${l.color}"/>`);
    }
    parts.push('</g>');
  });
  results.forEach((r, i) => {
    const y = legendTop + i * 18;
    parts.push(`<rect x="16" y="${y}" width="12" height="12" fill="${variantColor(i)}"/>`);
    const tail = r.error ? ` (stopped: ${r.error})` : '';
    parts.push(
      `<text x="34" y="${y + 10}">${escapeXml(`${r.name}: ${r.metrics.length} updates${tail}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
