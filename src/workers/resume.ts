/**
 * Snapshots of a GRPO or PPO run that can be resumed exactly: the current policy as checkpoint files (the CLI's
 * format), the frozen reference policy's weights (the KL anchor), AdamW's moments and update count
 * (AdamW.state()), the trainer's random stream, and under PPO the critic's weights and its optimiser, all taken
 * at a step boundary. `restoreTrainer` rebuilds a trainer from one, so that the next step is the step the
 * interrupted run would have taken (tested against an uninterrupted run, for both algorithms).
 * Knows the engine and tfjs; nothing of IndexedDB or messages.
 */
import * as tf from '@tensorflow/tfjs';
import { packCheckpoint, unpackCheckpoint, type CheckpointFiles } from '../engine/checkpoint';
import { defaultPpoConfig, type GrpoConfig, type RolloutConfig, type RunConfig } from '../engine/config';
import { Policy, fromCheckpoint, toCheckpoint, type CheckpointManifest } from '../engine/model';
import { stateKey, type AdamW, type AdamWState } from '../engine/optim';
import type { Retriever } from '../engine/retriever';
import { Rng } from '../engine/rng';
import type { Tokenizer } from '../engine/tokenizer';
import { createTrainer, PpoTrainer, type RlTrainer } from '../engine/ppo';
import type { QAItem } from '../engine/types';

/** AdamW's state as stored (IndexedDB, run files): moments concatenated in the model's variable order. */
export interface OptimizerState {
  /** Updates applied so far (bias correction and warm-up). */
  t: number;
  /** First and second moments, float32, concatenated in the model's `variables` order. */
  m: Uint8Array;
  v: Uint8Array;
}

/** PPO's value model at the step boundary. */
export interface CriticState {
  /** The critic's weights, float32, concatenated in `critic.variables` order. */
  weights: Uint8Array;
  optimizer: OptimizerState;
}

export interface Snapshot {
  /** RL steps (GRPO or PPO) done when it was taken. */
  step: number;
  /** The current policy, tokenizer and run.json (loadable by the CLI's --init). */
  files: CheckpointFiles;
  /** weights.bin of the frozen reference (base) policy; same manifest as files['config.json']. */
  reference: Uint8Array;
  optimizer: OptimizerState | null;
  /** The trainer's random stream at the step boundary. */
  rng: number;
  /**
   * PPO only. Absent in GRPO snapshots and in PPO snapshots saved before the critic was kept: such a run resumes
   * with a fresh critic (from the base policy's trunk).
   */
  critic?: CriticState;
}

type Vars = readonly tf.Variable[];

async function concat(tensors: Vars): Promise<Uint8Array> {
  const parts = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  return join(parts);
}

function join(parts: readonly Float32Array[]): Uint8Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return new Uint8Array(out.buffer);
}

/** Split `bytes` (float32) into one array per variable of `vars`; throws when the sizes disagree. */
function split(bytes: Uint8Array, vars: Vars, what: string): Float32Array[] {
  const all = toFloats(bytes);
  const total = vars.reduce((n, x) => n + x.size, 0);
  if (all.length !== total) throw new Error(`${what} holds ${all.length} floats, the model ${total}`);
  let off = 0;
  return vars.map((x) => {
    const part = all.subarray(off, off + x.size);
    off += x.size;
    return part;
  });
}

/** AdamW's state in the stored layout: its moments in `vars` order (the optimiser's variables). */
export async function optimizerState(opt: AdamW, vars: Vars): Promise<OptimizerState> {
  const s = await opt.state();
  const pick = (rec: Record<string, Float32Array>) =>
    vars.map((x) => {
      const a = rec[stateKey(x.name)];
      if (!a) throw new Error(`optimiser has no moment for ${x.name}`);
      return a;
    });
  return { t: s.t, m: join(pick(s.m)), v: join(pick(s.v)) };
}

/** Restore an optimiser over `vars` from the stored layout. */
export function restoreOptimizer(opt: AdamW, vars: Vars, s: OptimizerState): void {
  const byName = (bytes: Uint8Array) => {
    const parts = split(bytes, vars, 'optimiser state');
    return Object.fromEntries(vars.map((x, i) => [stateKey(x.name), parts[i]]));
  };
  const state: AdamWState = { t: s.t, m: byName(s.m), v: byName(s.v) };
  opt.restore(state);
}

function assignWeights(vars: Vars, bytes: Uint8Array, what: string): void {
  const parts = split(bytes, vars, what);
  vars.forEach((x, i) => {
    const t = tf.tensor(parts[i], x.shape, 'float32');
    x.assign(t);
    t.dispose();
  });
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
    optimizer: await optimizerState(trainer.optimizer, trainer.policy.variables),
    rng: trainer.rng.getState(),
    ...(trainer instanceof PpoTrainer
      ? {
          critic: {
            weights: await concat(trainer.critic.variables),
            optimizer: await optimizerState(trainer.criticOptimizer, trainer.critic.variables),
          },
        }
      : {}),
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
 * (`algo`), the critic and its optimiser come from `s.critic`; a snapshot without one (older, or from GRPO)
 * gives a fresh critic from the base policy's trunk.
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
    try {
      if (s.optimizer) restoreOptimizer(trainer.optimizer, policy.variables, s.optimizer);
      if (s.critic && trainer instanceof PpoTrainer) {
        assignWeights(trainer.critic.variables, s.critic.weights, 'the saved critic');
        restoreOptimizer(trainer.criticOptimizer, trainer.critic.variables, s.critic.optimizer);
      }
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    trainer.rng.setState(s.rng);
    return { policy, tokenizer, trainer };
  } catch (e) {
    policy?.dispose();
    throw e;
  } finally {
    current.dispose();
  }
}
