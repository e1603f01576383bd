/**
 * bench:learn's findings: the paper's claims (SEARCH-R1.md §1) read off the benchmark's own cells, as differences
 * between methods paired by corpus and seed, and how each RL run's training curves moved from its first steps to
 * its last. Pure functions of plain data; the table itself is bench-learn-report.ts.
 */
import { defaultRolloutConfig } from '../engine/config';
import {
  CURVES,
  meanStd,
  methodById,
  type CellResult,
  type CurveName,
  type Stat,
} from './bench-learn-report';

type Split = 'em' | 'emSingle' | 'emMulti';

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

export interface Finding {
  /** What the paper reports, and which difference reads it here. */
  claim: string;
  /** Per corpus: mean ± std over the seeds that both sides have (n = 0 when none has both). */
  byCorpus: Record<string, Stat>;
}

/**
 * Differences a − b per seed that has both cells on `corpus` (`value` null or non-finite: that seed is left out),
 * then mean ± sample std over those seeds.
 */
export function pairedDiff(
  cells: readonly CellResult[],
  corpus: string,
  a: string,
  b: string,
  value: (c: CellResult) => number | null | undefined,
): Stat {
  const diffs: number[] = [];
  for (const ca of cells.filter((c) => c.corpus === corpus && c.method === a)) {
    const cb = cells.find((c) => c.corpus === corpus && c.method === b && c.seed === ca.seed);
    const va = value(ca);
    const vb = cb ? value(cb) : null;
    if (finite(va) && finite(vb)) diffs.push(va - vb);
  }
  return meanStd(diffs);
}

/** `value` of each of `method`'s cells on `corpus` (non-finite values left out), then mean ± sample std. */
export function perSeed(
  cells: readonly CellResult[],
  corpus: string,
  method: string,
  value: (c: CellResult) => number | null | undefined,
): Stat {
  const xs = cells.filter((c) => c.corpus === corpus && c.method === method).map(value);
  return meanStd(xs.filter(finite));
}

/**
 * A curve's first-tenth mean, its lowest mean over any window of a tenth of the steps, and its last-tenth mean (a
 * window of at least one step); null for a curve with no finite point.
 */
export function startLowEnd(curve: readonly number[]): { start: number; low: number; end: number } | null {
  const xs = curve.filter(Number.isFinite);
  if (!xs.length) return null;
  const w = Math.max(1, Math.round(xs.length / 10));
  const windows: number[] = [];
  for (let i = 0; i + w <= xs.length; i++) windows.push(xs.slice(i, i + w).reduce((s, y) => s + y, 0) / w);
  return { start: windows[0], low: Math.min(...windows), end: windows[windows.length - 1] };
}

const SPLIT_LABEL: Record<Split, string> = { em: 'all', emSingle: 'single-hop', emMulti: 'multi-hop' };

/**
 * The paper's findings (SEARCH-R1.md §1) as paired differences, each "a − b" so that a positive figure agrees with
 * the paper (PPO against GRPO has no expected sign); a finding whose two methods share no seed on any corpus is left out.
 */
export function findings(cells: readonly CellResult[], corpora: readonly string[]): Finding[] {
  const label = (id: string) => methodById(id).label;
  const diff = (
    claim: string,
    a: string,
    b: string,
    value: (c: CellResult) => number | null | undefined,
  ) => ({
    claim,
    byCorpus: Object.fromEntries(corpora.map((k) => [k, pairedDiff(cells, k, a, b, value)])),
  });
  const em = (claim: string, a: string, b: string, split: Split) =>
    diff(`${claim}: ${label(a)} − ${label(b)}, ${SPLIT_LABEL[split]} EM`, a, b, (c) => c[split]);
  // The top-k rows: the default top-k is Search-R1 GRPO itself.
  const topk = (n: number) => (n === defaultRolloutConfig().topk ? 'grpo' : `grpo-k${n}`);
  const list: Finding[] = [
    em('Search-R1 beats R1', 'grpo', 'r1', 'emMulti'),
    em('Search-R1 beats RAG', 'grpo', 'rag', 'emMulti'),
    ...(['emSingle', 'emMulti', 'em'] as const).map((s) => em('Search-R1 beats Direct', 'grpo', 'direct', s)),
    em('Masking the retrieved tokens helps', 'grpo', 'grpo-nomask', 'em'),
    {
      claim:
        'Multi-hop questions get more searches: Search-R1 GRPO, searches per multi-hop − per single-hop question',
      byCorpus: Object.fromEntries(
        corpora.map((k) => [
          k,
          perSeed(cells, k, 'grpo', (c) => (c.searchesMulti ?? NaN) - (c.searchesSingle ?? NaN)),
        ]),
      ),
    },
    em('PPO beside GRPO (no sign expected: GRPO learns faster, PPO is steadier)', 'ppo', 'grpo', 'em'),
    em('Group size 1 beats 3 in the final score', 'grpo-g1', 'grpo-g3', 'em'),
    em('Group size 1 beats 5 in the final score', 'grpo-g1', 'grpo-g5', 'em'),
    em('Top-3 passages beat 1', topk(3), topk(1), 'em'),
    em('Top-3 passages beat 5', topk(3), topk(5), 'em'),
  ];
  return list.filter((f) => Object.values(f.byCorpus).some((x) => x.n > 0));
}

export interface CurveMove {
  method: string;
  corpus: string;
  curve: CurveName;
  /** Means over seeds of each run's startLowEnd. */
  start: number;
  low: number;
  end: number;
  seeds: number;
}

/** How each RL method's curves moved through its run, per corpus (methods in `order`, curves in CURVES order). */
export function curveMoves(
  cells: readonly CellResult[],
  corpora: readonly string[],
  order: readonly string[],
): CurveMove[] {
  const out: CurveMove[] = [];
  for (const method of order) {
    for (const corpus of corpora) {
      const runs = cells.filter((c) => c.method === method && c.corpus === corpus && c.curves);
      for (const { name } of CURVES) {
        const xs = runs.map((c) => startLowEnd(c.curves![name])).filter((x) => x !== null);
        if (!xs.length) continue;
        const mean = (f: (x: { start: number; low: number; end: number }) => number) =>
          meanStd(xs.map(f)).mean;
        out.push({
          method,
          corpus,
          curve: name,
          start: mean((x) => x.start),
          low: mean((x) => x.low),
          end: mean((x) => x.end),
          seeds: xs.length,
        });
      }
    }
  }
  return out;
}

/** "+0.412 ± 0.030 (3)": signed mean, ± std over seeds when there are several, and the number of seeds. */
export function fmtDiff(s: Stat): string {
  if (!s.n) return '–';
  const sign = s.mean >= 0.0005 ? '+' : s.mean <= -0.0005 ? '−' : '';
  return `${sign}${Math.abs(s.mean).toFixed(3)}${s.n > 1 ? ` ± ${s.std.toFixed(3)}` : ''} (${s.n})`;
}

/** `findings` and `curveMoves` as Markdown lines (none when both lists are empty). */
export function renderFindings(
  fs: readonly Finding[],
  moves: readonly CurveMove[],
  corpora: readonly string[],
  order: readonly string[],
): string[] {
  const lines: string[] = [];
  const table = (head: string[], rows: string[][]) => [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  if (fs.length) {
    lines.push(
      '## The paper’s findings, measured here',
      '',
      'Each figure is taken per seed, as a difference between two methods on the same corpus and seed (or, for',
      'searches, between the two kinds of question in one run), then mean ± std over those seeds (their number in',
      'brackets). A positive figure agrees with the paper; for PPO beside GRPO the paper expects no sign.',
      '',
      ...table(
        ['Paper’s finding: the difference that reads it here', ...corpora],
        fs.map((f) => [f.claim, ...corpora.map((c) => fmtDiff(f.byCorpus[c]))]),
      ),
    );
  }
  if (moves.length) {
    const rows: string[][] = [];
    for (const method of order) {
      for (const corpus of corpora) {
        const mine = moves.filter((m) => m.method === method && m.corpus === corpus);
        if (!mine.length) continue;
        const cell = ({ name }: { name: CurveName }) => {
          const m = mine.find((x) => x.curve === name);
          const d = name === 'responseLength' ? 1 : 2;
          return m ? [m.start, m.low, m.end].map((v) => v.toFixed(d)).join(' → ') : '–';
        };
        rows.push([methodById(method).label, corpus, ...CURVES.map(cell), String(mine[0].seeds)]);
      }
    }
    lines.push(
      ...(lines.length ? [''] : []),
      '## Training curves: start → lowest → end',
      '',
      'Per run, the mean over the first tenth of the RL steps, the lowest mean over any stretch of a tenth of the',
      'steps, and the mean over the last tenth; then the mean over seeds. The paper: response length first drops,',
      'then rises as the policy learns to search; valid searches per rollout rise.',
      '',
      ...table(['Method', 'Corpus', ...CURVES.map((c) => c.title), 'Seeds'], rows),
    );
  }
  return lines;
}
