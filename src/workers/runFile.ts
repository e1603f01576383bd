/**
 * A saved run as one file (engine/checkpoint.ts bundle, kind "run"): history.json (the RunRecord), the
 * checkpoint's four files under their own names (so `npm run train -- --init FILE` accepts it), reference.bin,
 * resume.json with the optimiser moments beside it, under PPO the critic (critic.bin and its optimiser's
 * moments), and dataset.json when the run used an uploaded corpus.
 * The reverse of an export: a CLI checkpoint (its folder's four files, or a checkpoint bundle) becomes a saved run
 * at step 0 whose base policy it is, ready to resume (train) in the browser.
 * Pure: bytes in, records out, with readable errors naming the file.
 */
import {
  checkpointFromBundle,
  packBundle,
  unpackBundle,
  type BundleEntries,
  type CheckpointFiles,
} from '../engine/checkpoint';
import { Rng } from '../engine/rng';
import type { BrowserSettings } from './protocol';
import type { DatasetRecord, RunRecord } from './runsDb';
import type { Snapshot } from './resume';

export const RUN_FILE_EXT = '.sr1run';
export const CHECKPOINT_FILE_EXT = '.sr1ckpt';

export function runToFile(rec: RunRecord, snap: Snapshot | undefined, dataset?: DatasetRecord): Uint8Array {
  const entries: BundleEntries = { 'history.json': JSON.stringify(rec) };
  if (snap) {
    Object.assign(entries, snap.files);
    entries['reference.bin'] = snap.reference;
    entries['resume.json'] = JSON.stringify({
      step: snap.step,
      rng: snap.rng,
      optimizer: snap.optimizer ? { t: snap.optimizer.t } : null,
      ...(snap.critic ? { critic: { optimizer: { t: snap.critic.optimizer.t } } } : {}),
    });
    if (snap.optimizer) {
      entries['optimizer-m.bin'] = snap.optimizer.m;
      entries['optimizer-v.bin'] = snap.optimizer.v;
    }
    if (snap.critic) {
      entries['critic.bin'] = snap.critic.weights;
      entries['critic-optimizer-m.bin'] = snap.critic.optimizer.m;
      entries['critic-optimizer-v.bin'] = snap.critic.optimizer.v;
    }
  }
  if (dataset) entries['dataset.json'] = JSON.stringify(dataset);
  return packBundle('run', entries);
}

export function checkpointToFile(snap: Snapshot): Uint8Array {
  return packBundle('checkpoint', snap.files);
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);
const bin = (v: unknown) => (v instanceof Uint8Array ? v : null);

function json<T>(entries: BundleEntries, name: string, file: string): T {
  const s = text(entries[name]);
  if (s === null) throw new Error(`${file}: ${name} is missing`);
  try {
    return JSON.parse(s) as T;
  } catch {
    throw new Error(`${file}: ${name} is not valid JSON`);
  }
}

export interface ImportedRun {
  record: RunRecord;
  snapshot?: Snapshot;
  dataset?: DatasetRecord;
}

/** Read a run file; `file` names it in errors. A checkpoint-only file is refused with a hint. */
export function runFromFile(bytes: Uint8Array, file: string): ImportedRun {
  let b: ReturnType<typeof unpackBundle>;
  try {
    b = unpackBundle(bytes);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  if (b.kind !== 'run')
    throw new Error(`${file}: this is a checkpoint, not a saved run (use it with the CLI's --init)`);
  const rec = json<RunRecord>(b.entries, 'history.json', file);
  if (
    typeof rec !== 'object' ||
    rec === null ||
    typeof rec.name !== 'string' ||
    typeof rec.settings !== 'object' ||
    rec.settings === null ||
    !Array.isArray(rec.metrics) ||
    typeof rec.evals !== 'object'
  )
    throw new Error(`${file}: history.json is not a saved run's history`);
  const out: ImportedRun = { record: rec };
  if ('config.json' in b.entries) {
    const files = checkpointFromBundle(b.entries);
    const reference = bin(b.entries['reference.bin']);
    if (!reference) throw new Error(`${file}: reference.bin is missing`);
    const r = json<{
      step: number;
      rng: number;
      optimizer: { t: number } | null;
      critic?: { optimizer: { t: number } };
    }>(b.entries, 'resume.json', file);
    if (typeof r.step !== 'number' || typeof r.rng !== 'number')
      throw new Error(`${file}: resume.json lacks step or rng`);
    let optimizer: Snapshot['optimizer'] = null;
    if (r.optimizer) {
      const m = bin(b.entries['optimizer-m.bin']);
      const v = bin(b.entries['optimizer-v.bin']);
      if (!m || !v) throw new Error(`${file}: optimiser moments are missing`);
      optimizer = { t: r.optimizer.t, m, v };
    }
    out.snapshot = { step: r.step, files, reference, optimizer, rng: r.rng };
    if (r.critic) {
      const weights = bin(b.entries['critic.bin']);
      const m = bin(b.entries['critic-optimizer-m.bin']);
      const v = bin(b.entries['critic-optimizer-v.bin']);
      if (!weights || !m || !v || typeof r.critic.optimizer?.t !== 'number')
        throw new Error(
          `${file}: the PPO critic is incomplete (critic.bin or its optimiser moments are missing)`,
        );
      out.snapshot.critic = { weights, optimizer: { t: r.critic.optimizer.t, m, v } };
    }
  }
  if ('dataset.json' in b.entries) out.dataset = json<DatasetRecord>(b.entries, 'dataset.json', file);
  return out;
}

const CHECKPOINT_NAMES = ['config.json', 'weights.bin', 'tokenizer.json', 'run.json'] as const;

/** The checkpoint in a set of chosen files: the four files of a CLI folder, or one checkpoint bundle; else null. */
export function checkpointFiles(
  files: readonly { name: string; bytes: Uint8Array }[],
): CheckpointFiles | null {
  if (files.length === 1) {
    let b: ReturnType<typeof unpackBundle>;
    try {
      b = unpackBundle(files[0].bytes);
    } catch {
      return null;
    }
    return b.kind === 'checkpoint' ? checkpointFromBundle(b.entries) : null;
  }
  const base = (n: string) => n.split(/[\\/]/).pop() ?? n;
  const byName = new Map(files.map((f) => [base(f.name), f.bytes]));
  if (!CHECKPOINT_NAMES.every((n) => byName.has(n))) return null;
  const text = (n: string) => new TextDecoder().decode(byName.get(n));
  return {
    'config.json': text('config.json'),
    'weights.bin': byName.get('weights.bin')!,
    'tokenizer.json': text('tokenizer.json'),
    'run.json': text('run.json'),
  };
}

/** A saved run at step 0 whose base (and reference) policy is `files`, trained with `settings` once resumed. */
export function runFromCheckpoint(
  files: CheckpointFiles,
  settings: BrowserSettings,
  preset: string,
  id: string,
  name: string,
  now = Date.now(),
): ImportedRun {
  const weights = files['weights.bin'];
  if (typeof weights === 'string') throw new Error(`${name}: weights.bin must be binary`);
  const record: RunRecord = {
    id,
    name,
    created: now,
    updated: now,
    preset,
    settings: { ...settings, base: 'checkpoint' },
    base: { source: 'checkpoint', summary: `imported checkpoint ${name}` },
    metrics: [],
    evals: { base: null, points: [] },
    trajectories: null,
    steps: 0,
    checkpointStep: 0,
  };
  // The trainer's stream, as a fresh run would fork it from the seed.
  const rng = new Rng(settings.seed).fork().getState();
  return { record, snapshot: { step: 0, files, reference: weights, optimizer: null, rng } };
}
