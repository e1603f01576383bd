/**
 * bench:learn's ledger (--ledger DIR): one small JSON record per finished job, holding what the table needs (the
 * run's summary and its cells, training curves included) and the key it was run under. Records are plain files
 * meant to be committed, so a benchmark longer than one sitting (the full one takes 10–14 h on a 2-core laptop)
 * adds up across sessions and machines, and anyone can see which runs a table was made from.
 *
 * A record is reused only when everything that shapes its result is unchanged: the run options, the compute
 * threads, the contents of the corpus files, the source of the training code (a SHA-256 over src/engine, the CLI
 * pipeline and its worker, and package-lock.json) and, for an RL run, its base policy's summary. The runs are
 * deterministic for fixed code, options and thread count, so a reused record is the result the run would give.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CellResult } from './bench-learn-report';
import type { PipelineOptions, Summary } from './pipeline';

/** The repository root (this file is src/cli/bench-learn-ledger.ts). */
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** What shapes a run's numbers besides its options: the engine, the pipeline that drives it, the locked packages. */
const CODE_PATHS = [
  'src/engine',
  'src/cli/pipeline.ts',
  'src/cli/peer.ts',
  'src/cli/peer-worker.ts',
  'src/cli/node-backend.ts',
  'package-lock.json',
];

function filesUnder(p: string): string[] {
  if (!fs.existsSync(p)) return [];
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs
    .readdirSync(p)
    .sort()
    .flatMap((name) => filesUnder(path.join(p, name)));
}

/** SHA-256 (hex) over the relative paths and contents of `paths` under `root`, in a fixed order. */
export function codeFingerprint(root = ROOT, paths: readonly string[] = CODE_PATHS): string {
  const h = createHash('sha256');
  for (const file of paths.flatMap((p) => filesUnder(path.join(root, p)))) {
    h.update(path.relative(root, file).split(path.sep).join('/'));
    h.update('\0');
    h.update(fs.readFileSync(file));
    h.update('\0');
  }
  return h.digest('hex');
}

/** SHA-256 (hex) of one file's bytes. */
export function fileDigest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * A job's ledger key: its pipeline options without the folders (--work may differ between machines), the files
 * by content rather than by path, the thread count, the code fingerprint, and the base policy's summary for an RL
 * run (null for a base). Compared as canonical JSON.
 */
export function ledgerKey(
  opts: PipelineOptions,
  extra: { threads: number; code: string; base: Summary | null },
): Record<string, unknown> {
  const { out: _out, init: _init, corpus, train, test, ...rest } = opts;
  const files = {
    corpus: fileDigest(corpus),
    train: train === undefined ? null : fileDigest(train),
    test: fileDigest(test),
  };
  // The base's timings differ from machine to machine and do not shape the RL run.
  const base = extra.base && { ...extra.base, seconds: 0, phase_seconds: null };
  return { ...rest, files, threads: extra.threads, code: extra.code, base };
}

export interface LedgerRecord {
  key: Record<string, unknown>;
  summary: Summary;
  cells: CellResult[];
  /** When the job ran (ISO time), for people reading the ledger. */
  ran: string;
}

/** Where a job's record lives: DIR/<corpus>/seed<S>/<base-MODE[-kK] | METHOD>.json. */
export function recordPath(dir: string, corpus: string, seed: number, name: string): string {
  return path.join(dir, corpus, `seed${seed}`, `${name}.json`);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Whether two keys are equal (key order and undefined fields aside). */
export function sameKey(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return canonical(a) === canonical(b);
}

/** The record at `file` when its key equals `key`, else null (no file, another key, or unreadable). */
export function readRecord(file: string, key: Record<string, unknown>): LedgerRecord | null {
  if (!fs.existsSync(file)) return null;
  let rec: LedgerRecord;
  try {
    rec = JSON.parse(fs.readFileSync(file, 'utf8')) as LedgerRecord;
  } catch {
    return null;
  }
  return rec && rec.key && sameKey(rec.key, key) && Array.isArray(rec.cells) ? rec : null;
}

/** Writes (or replaces) a record; curves are rounded to 4 decimals to keep committed files small. */
export function writeRecord(file: string, rec: LedgerRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const cells = rec.cells.map((c) =>
    c.curves
      ? {
          ...c,
          curves: Object.fromEntries(
            Object.entries(c.curves).map(([k, v]) => [k, v.map(round)]),
          ) as CellResult['curves'],
        }
      : c,
  );
  fs.writeFileSync(file, JSON.stringify({ ...rec, cells }, null, 1) + '\n');
}
