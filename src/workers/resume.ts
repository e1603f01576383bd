/**
 * Snapshots of a GRPO run that can be resumed exactly: the current policy as checkpoint files (the CLI's format),
 * the frozen reference policy's weights (the KL anchor), AdamW's moments and update count, and the trainer's
 * random stream, all taken at a step boundary. `restoreTrainer` rebuilds a trainer from one, so that the next
 * step is the step the interrupted run would have taken (tested against an uninterrupted run).
 *
 * AdamW keeps its moments private (engine/optim.ts); `optimizerInternals` reads them through a narrow
 * structural view. If optim.ts renames those fields the round-trip test fails. (Asked of the engine: an
 * AdamW.state()/restore() pair.) Knows the engine and tfjs; nothing of IndexedDB or messages.
 */
import * as tf from '@tensorflow/tfjs';
import { packCheckpoint, unpackCheckpoint, type CheckpointFiles } from '../engine/checkpoint';
import { defaultPpoConfig, type GrpoConfig, type RolloutConfig, type RunConfig } from '../engine/config';
import { Policy, fromCheckpoint, toCheckpoint, type CheckpointManifest } from '../engine/model';
import type { AdamW } from '../engine/optim';
import type { Retriever } from '../engine/retriever';
import { Rng } from '../engine/rng';
import type { Tokenizer } from '../engine/tokenizer';
import { createTrainer, type RlTrainer } from '../engine/ppo';
import type { QAItem } from '../engine/types';

export interface OptimizerState {
  /** Updates applied so far (bias correction and warm-up). */
  t: number;
  /** First and second moments, float32, concatenated in policy.variables order. */
  m: Uint8Array;
  v: Uint8Array;
}

export interface Snapshot {
  /** GRPO steps done when it was taken. */
  step: number;
  /** The current policy, tokenizer and run.json (loadable by the CLI's --init). */
  files: CheckpointFiles;
  /** weights.bin of the frozen reference (base) policy; same manifest as files['config.json']. */
  reference: Uint8Array;
  optimizer: OptimizerState | null;
  /** The trainer's random stream at the step boundary. */
  rng: number;
}

interface AdamWInternals {
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
  t: number;
}

function optimizerInternals(opt: AdamW): AdamWInternals {
  const o = opt as unknown as Partial<AdamWInternals>;
  if (!(o.m instanceof Map) || !(o.v instanceof Map) || typeof o.t !== 'number')
    throw new Error('AdamW internals changed: cannot save the optimiser state');
  return o as AdamWInternals;
}

async function concat(tensors: tf.Tensor[]): Promise<Uint8Array> {
  const parts = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return new Uint8Array(out.buffer);
}

export async function optimizerState(opt: AdamW, policy: Policy): Promise<OptimizerState> {
  const o = optimizerInternals(opt);
  const pick = (map: Map<string, tf.Variable>) =>
    policy.variables.map((x) => {
      const t = map.get(x.name);
      if (!t) throw new Error(`optimiser has no moment for ${x.name}`);
      return t;
    });
  return { t: o.t, m: await concat(pick(o.m)), v: await concat(pick(o.v)) };
}

export function restoreOptimizer(opt: AdamW, policy: Policy, s: OptimizerState): void {
  const o = optimizerInternals(opt);
  for (const [map, bytes] of [
    [o.m, s.m],
    [o.v, s.v],
  ] as const) {
    const all = toFloats(bytes);
    const total = policy.variables.reduce((n, x) => n + x.size, 0);
    if (all.length !== total) throw new Error(`optimiser state holds ${all.length} floats, model ${total}`);
    let off = 0;
    for (const x of policy.variables) {
      const t = tf.tensor(all.subarray(off, off + x.size), x.shape);
      map.get(x.name)!.assign(t);
      t.dispose();
      off += x.size;
    }
  }
  o.t = s.t;
}

function toFloats(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** Take a snapshot at a step boundary (between trainer.step calls). */
export async function takeSnapshot(
  trainer: RlTrainer,
  tokenizer: Tokenizer,
  step: number,
  meta: object,
  reference?: Uint8Array,
): Promise<Snapshot> {
  const files = await packCheckpoint(trainer.policy, tokenizer, { ...meta, steps: step });
  const ref = reference ?? new Uint8Array(toCheckpoint(await trainer.reference.serialize()).bin.buffer);
  return {
    step,
    files,
    reference: ref,
    optimizer: await optimizerState(trainer.optimizer, trainer.policy),
    rng: trainer.rng.getState(),
  };
}

export interface Restored {
  policy: Policy;
  tokenizer: Tokenizer;
  trainer: RlTrainer;
}

/**
 * A trainer in the state of `s`: the reference policy from `s.reference`, the weights, optimiser and random
 * stream from the snapshot. The trainer's own step counter starts at 0; callers add `s.step`. Under PPO
 * (`algo`), the critic is not in the snapshot: it starts again from the base policy's trunk.
 */
export function restoreTrainer(
  s: Snapshot,
  retriever: Retriever | null,
  items: readonly QAItem[],
  grpo: GrpoConfig,
  rollout: RolloutConfig,
  algo: Pick<RunConfig, 'algo' | 'ppo'> = { algo: 'grpo', ppo: defaultPpoConfig() },
): Restored {
  const { policy: current, tokenizer } = unpackCheckpoint(s.files);
  let policy: Policy | null = null;
  try {
    const manifest = JSON.parse(
      typeof s.files['config.json'] === 'string'
        ? s.files['config.json']
        : new TextDecoder().decode(s.files['config.json']),
    ) as CheckpointManifest;
    // The trainer clones its reference from the policy it is given: give it the base weights first.
    policy = Policy.deserialize(fromCheckpoint(manifest, s.reference));
    const trainer = createTrainer(
      { ...algo, grpo, rollout },
      policy,
      tokenizer,
      retriever,
      items,
      new Rng(0),
    );
    policy.copyWeightsFrom(current);
    if (s.optimizer) restoreOptimizer(trainer.optimizer, policy, s.optimizer);
    trainer.rng.setState(s.rng);
    return { policy, tokenizer, trainer };
  } catch (e) {
    policy?.dispose();
    throw e;
  } finally {
    current.dispose();
  }
}
