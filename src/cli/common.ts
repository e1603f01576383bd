/**
 * Node-side helpers shared by the CLI commands: reading and validating data files (QA sets as JSON lines or
 * Parquet), writing an output folder atomically, checkpoints on disk, a progress bar on stderr, and exit codes (2 = bad input).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  checkpointFromBundle,
  packCheckpoint,
  unpackBundle,
  unpackCheckpoint,
  type CheckpointFiles,
} from '../engine/checkpoint';
import { DataError, parseCorpus, parseQA } from '../engine/data';
import { isParquetFile, parseQaParquet } from '../engine/parquet';
import type { Policy } from '../engine/model';
import type { Tokenizer } from '../engine/tokenizer';
import type { Passage, QAItem } from '../engine/types';
import { UsageError } from './args';

/** A problem with the user's input: reported on stderr with exit code 2. */
export class InputError extends Error {}

function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new InputError(
      `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

function readText(file: string, buf = readBytes(file)): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new InputError(`${file}: not valid UTF-8 text`);
  }
}

export function loadCorpus(file: string): Passage[] {
  return parseCorpus(readText(file), path.basename(file));
}

/**
 * A QA set: JSON lines, or Parquet (Search-R1's training files, or question / golden_answers columns; told by the
 * PAR1 magic or a .parquet name, as the browser upload does: engine/parquet.ts). Throws DataError naming the file
 * and the line or row.
 */
export async function loadQA(file: string): Promise<QAItem[]> {
  const buf = readBytes(file);
  const name = path.basename(file);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (isParquetFile(bytes, name)) return parseQaParquet(bytes, name);
  return parseQA(readText(file, buf), name);
}

/**
 * Build an output folder next to its destination and move it into place only when complete, so a failed run
 * leaves nothing half-written in DIR.
 */
export class AtomicDir {
  /** Folders still being written, removed if the process is interrupted. */
  static readonly open = new Set<AtomicDir>();
  readonly tmp: string;
  constructor(readonly dest: string) {
    const parent = path.dirname(path.resolve(dest));
    fs.mkdirSync(parent, { recursive: true });
    this.tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dest)}.partial-`));
    AtomicDir.open.add(this);
  }
  file(name: string): string {
    const p = path.join(this.tmp, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    return p;
  }
  /** Move into place; an earlier DIR is kept aside until the new one is there. */
  commit(): void {
    const old = `${this.tmp}.old`;
    const hadOld = fs.existsSync(this.dest);
    if (hadOld) fs.renameSync(this.dest, old);
    fs.renameSync(this.tmp, this.dest);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
    AtomicDir.open.delete(this);
  }
  abandon(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
    AtomicDir.open.delete(this);
  }
}

export async function saveCheckpoint(
  dir: string,
  policy: Policy,
  tokenizer: Tokenizer,
  meta: object,
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const files = await packCheckpoint(policy, tokenizer, meta);
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
}

/**
 * A checkpoint folder (the four files), or one file exported by the browser playground (a checkpoint or a whole
 * saved run: engine/checkpoint.ts packBundle).
 */
export function loadCheckpoint(dir: string): ReturnType<typeof unpackCheckpoint> {
  if (fs.existsSync(dir) && fs.statSync(dir).isFile()) {
    try {
      return unpackCheckpoint(
        checkpointFromBundle(unpackBundle(new Uint8Array(fs.readFileSync(dir))).entries),
      );
    } catch (e) {
      throw new InputError(`${dir}: ${(e as Error).message}`);
    }
  }
  const names = ['config.json', 'weights.bin', 'tokenizer.json', 'run.json'] as const;
  const files = {} as CheckpointFiles;
  for (const n of names) {
    const p = path.join(dir, n);
    if (!fs.existsSync(p)) throw new InputError(`${dir}: not a checkpoint folder (missing ${n})`);
    files[n] = n === 'weights.bin' ? new Uint8Array(fs.readFileSync(p)) : fs.readFileSync(p, 'utf8');
  }
  try {
    return unpackCheckpoint(files);
  } catch (e) {
    throw new InputError(`${dir}: ${(e as Error).message}`);
  }
}

export function writeJsonl(file: string, rows: readonly object[]): void {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}

/** A one-line progress bar on stderr (redrawn in place on a terminal, throttled lines otherwise). */
export class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY;
  constructor(private readonly label: string) {}
  update(done: number, total: number, info = ''): void {
    const t = Date.now();
    if (done < total && t - this.last < (this.tty ? 100 : 5000)) return;
    this.last = t;
    const width = 24;
    const filled = Math.round((width * done) / Math.max(total, 1));
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${this.label.padEnd(8)} ${bar} ${done}/${total} ${info}`;
    process.stderr.write(
      this.tty ? `\r${line.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K` : `${line}\n`,
    );
    if (done >= total && this.tty) process.stderr.write('\n');
  }
}

/** Run a CLI main: bad input → message on stderr, exit 2; other failures → exit 1. */
export function runMain(main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const dir of AtomicDir.open) dir.abandon();
      process.stderr.write(`\ninterrupted (${signal}): nothing was written\n`);
      process.exit(130);
    });
  }
  main().then(
    () => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0),
    (e: unknown) => {
      if (e instanceof DataError || e instanceof InputError || e instanceof UsageError) {
        process.stderr.write(`error: ${(e as Error).message}\n`);
        process.exit(2);
      }
      process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
