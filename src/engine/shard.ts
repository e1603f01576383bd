/**
 * Data parallelism for training on more than one compute thread. The rows of a batch are split into shards; each
 * shard is scored, or its gradient computed, on its own thread (this one, or a Peer: in Node a worker thread with
 * its own wasm backend, src/cli/peer.ts), and the results are put back together. Every token mean divides by the
 * whole batch's token count, so the shards' losses and gradients add up to the batch's (up to float rounding).
 * Each shard is padded only to its own rows' length bucket. Host arrays in; knows nothing of threads.
 */
import * as tf from '@tensorflow/tfjs';
import { bucketLength, type HostBatch } from './batch';
import { grpoLoss, type LossCoefs } from './grpo';
import type { Policy } from './model';
import { sumAll } from './optim';
import { Rng } from './rng';
import type { RolloutEnv, RolloutOptions, Trajectory } from './rollout';
import type { QAItem } from './types';

/** Some rows of a batch, padded to their own length bucket (flat, row-major). */
export interface HostRows {
  rows: number;
  length: number;
  tokens: Int32Array;
  /** Loss mask by scoring position (1 where the next token counts); also Policy.scoreTokens' `select`. */
  select: Float32Array;
}

/** One shard of a GRPO mini-batch. Stats: [policyLoss, kl, entropy, clipFrac], each divided by `count`. */
export interface GrpoJob {
  kind: 'grpo';
  x: HostRows;
  oldLogp: Float32Array;
  refLogp: Float32Array;
  advantages: Float32Array;
  /** Loss tokens of the whole mini-batch. */
  count: number;
  coefs: LossCoefs;
}

/** One shard of a reading-practice batch (parts of different lengths). Stats: [loss share]. */
export interface PracticeJob {
  kind: 'practice';
  parts: HostRows[];
  /** Loss tokens of the whole batch. */
  count: number;
}

export type GradJob = GrpoJob | PracticeJob;

export type PeerModel = 'policy' | 'reference';

/**
 * A second compute thread holding copies of the policy (and the frozen reference) and the rollout environment.
 * Calls are handled in the order they are made, so weights set before a call are the ones it uses.
 */
export interface Peer {
  /** Overwrite the peer's copy of a model (weights in Policy.variables order). */
  setWeights(which: PeerModel, weights: Float32Array[]): void;
  /** Rollouts of `items` with the peer's policy, sampling from an Rng with this state (greedy: evaluation). */
  run(items: readonly QAItem[], rngState: number, greedy: boolean): Promise<Trajectory[]>;
  /** Log-probs [rows·length] of the rows' tokens under one of the peer's models. */
  score(which: PeerModel, x: HostRows): Promise<Float32Array>;
  /** The gradient of a job's loss share (Policy.variables order) and its stats. */
  grads(job: GradJob): Promise<{ grads: Float32Array[]; stats: number[] }>;
}

/** A policy's weights as host arrays, in Policy.variables order. */
export async function hostWeights(policy: Policy): Promise<Float32Array[]> {
  return Promise.all(policy.variables.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
}

/** Copy host weights (Policy.variables order) into a policy. */
export function assignWeights(policy: Policy, weights: readonly Float32Array[]): void {
  if (weights.length !== policy.variables.length)
    throw new Error(`assignWeights: ${weights.length} arrays for ${policy.variables.length} variables`);
  policy.variables.forEach((v, i) => {
    if (weights[i].length !== v.size) throw new Error(`assignWeights: ${v.name} needs ${v.size} values`);
    tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape, 'float32')));
  });
}

/**
 * Rows split into `n` shards of about equal tokens: by length, longest first, each row to the shard with the fewest
 * tokens so far; rows keep their order within a shard. Empty shards are left out.
 */
export function splitRows(rows: readonly number[], lengths: readonly number[], n: number): number[][] {
  if (n <= 1) return rows.length ? [rows.slice()] : [];
  const shards: number[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  const byLength = rows.slice().sort((a, b) => lengths[b] - lengths[a] || a - b);
  for (const r of byLength) {
    const s = load.indexOf(Math.min(...load));
    shards[s].push(r);
    load[s] += lengths[r];
  }
  return shards.filter((s) => s.length).map((s) => s.sort((a, b) => rows.indexOf(a) - rows.indexOf(b)));
}

/** Some rows of a flat [B·T] array, each cut (or padded with 0) to `length`. */
export function pickRows<A extends Int32Array | Float32Array>(
  flat: A,
  T: number,
  rows: readonly number[],
  length: number,
): A {
  const out = new (flat.constructor as new (n: number) => A)(rows.length * length);
  const n = Math.min(T, length);
  rows.forEach((r, i) => out.set(flat.subarray(r * T, r * T + n), i * length));
  return out;
}

/** The length bucket of some rows of a batch: their longest sequence, rounded up as makeBatch does. */
export function rowsLength(b: HostBatch, rows: readonly number[], lengths: readonly number[]): number {
  return Math.min(b.length, bucketLength(Math.max(...rows.map((r) => lengths[r])), b.length));
}

/** Some rows of a batch, trimmed to their own length bucket. */
export function hostRows(b: HostBatch, rows: readonly number[], lengths: readonly number[]): HostRows {
  const length = rowsLength(b, rows, lengths);
  return {
    rows: rows.length,
    length,
    tokens: pickRows(b.ids, b.length, rows, length),
    select: pickRows(b.mask, b.length, rows, length),
  };
}

/** Log-probs of some rows under a policy, [rows·length]. */
export async function scoreRows(policy: Policy, x: HostRows): Promise<Float32Array> {
  const logp = tf.tidy(
    () =>
      policy.scoreTokens(tf.tensor2d(x.tokens, [x.rows, x.length], 'int32'), {
        select: x.select,
        hostTokens: x.tokens,
      }).logp,
  );
  const out = Float32Array.from((await logp.data()) as Float32Array);
  logp.dispose();
  return out;
}

/**
 * Log-probs of every row of a batch, flat [B·T] like the batch: the rows split into shards, the first scored here
 * and the second by the peer (if any) at the same time.
 */
export async function scoreBatch(
  policy: Policy,
  which: PeerModel,
  b: HostBatch,
  lengths: readonly number[],
  peer: Peer | null,
): Promise<Float32Array> {
  const all = Array.from({ length: b.rows }, (_, i) => i);
  const shards = splitRows(all, lengths, peer ? 2 : 1);
  const xs = shards.map((rows) => hostRows(b, rows, lengths));
  const remote = peer && xs.length > 1 ? peer.score(which, xs[1]) : null;
  const parts = [await scoreRows(policy, xs[0]), ...(remote ? [await remote] : [])];
  const out = new Float32Array(b.rows * b.length);
  shards.forEach((rows, s) => {
    const L = xs[s].length;
    rows.forEach((r, i) => out.set(parts[s].subarray(i * L, i * L + Math.min(L, b.length)), r * b.length));
  });
  return out;
}

/**
 * The gradient of one job's share of the loss w.r.t. the policy's variables (in their order), and its stats.
 * The caller disposes both.
 */
export function jobGrads(policy: Policy, job: GradJob): { grads: tf.Tensor[]; stats: tf.Tensor1D } {
  let stats: tf.Tensor1D | null = null;
  const tensors = (x: HostRows) => ({
    tokens: tf.tensor2d(x.tokens, [x.rows, x.length], 'int32'),
    mask: tf.tensor2d(x.select, [x.rows, x.length]),
  });
  const { value, grads } = tf.variableGrads(() => {
    if (job.kind === 'grpo') {
      const { rows, length } = job.x;
      const { tokens, mask } = tensors(job.x);
      const { logp, entropy } = policy.scoreTokens(tokens, {
        select: job.x.select,
        hostTokens: job.x.tokens,
      });
      const out = grpoLoss(
        {
          logp,
          oldLogp: tf.tensor2d(job.oldLogp, [rows, length]),
          refLogp: tf.tensor2d(job.refLogp, [rows, length]),
          entropy,
          advantages: tf.tensor1d(job.advantages),
          mask,
          count: job.count,
        },
        job.coefs,
      );
      stats = tf.keep(tf.stack([out.policyLoss, out.kl, out.entropy, out.clipFrac]) as tf.Tensor1D);
      return out.loss;
    }
    // One mean over the generated tokens of every part of the whole batch (base.ts).
    const sums = job.parts.map((x) => {
      const { tokens, mask } = tensors(x);
      const { logp } = policy.scoreTokens(tokens, { select: x.select, hostTokens: x.tokens });
      return tf.sum(tf.mul(logp, mask));
    });
    const loss = tf.neg(tf.div(sumAll(sums), Math.max(job.count, 1))) as tf.Scalar;
    stats = tf.keep(tf.reshape(loss, [1]) as tf.Tensor1D);
    return loss;
  }, policy.variables);
  value.dispose();
  return { grads: policy.variables.map((v) => grads[v.name]), stats: stats as unknown as tf.Tensor1D };
}

/**
 * Run shard jobs, the first here and the second on the peer at the same time, and sum their gradients (keyed by
 * the policy's variable names, as AdamW.apply takes them) and stats. The peer gets the policy's current weights
 * first. The caller disposes the gradients.
 */
export async function shardedGrads(
  policy: Policy,
  jobs: readonly GradJob[],
  peer: Peer | null,
): Promise<{ grads: tf.NamedTensorMap; stats: number[] }> {
  if (jobs.length > 2 || (jobs.length === 2 && !peer)) throw new Error('shardedGrads: one job per thread');
  let remote: Promise<{ grads: Float32Array[]; stats: number[] }> | null = null;
  if (jobs.length === 2 && peer) {
    peer.setWeights('policy', await hostWeights(policy));
    remote = peer.grads(jobs[1]);
  }
  const local = jobGrads(policy, jobs[0]);
  const stats = Array.from((await local.stats.data()) as Float32Array);
  local.stats.dispose();
  const grads: tf.NamedTensorMap = {};
  const theirs = remote ? await remote : null;
  policy.variables.forEach((v, i) => {
    const g = local.grads[i];
    if (!theirs) {
      grads[v.name] = g;
      return;
    }
    grads[v.name] = tf.tidy(() => tf.add(g, tf.tensor(theirs.grads[i], v.shape, 'float32')));
    g.dispose();
  });
  if (theirs) theirs.stats.forEach((x, i) => (stats[i] += x));
  return { grads, stats };
}

/**
 * Rollouts on this thread and on the peer side by side: the first half of the items here, the second there, each
 * with its own Rng forked from `rng`. Without a peer, or when a caller watches the tokens (onTokens, gate), all of
 * them run here. The peer gets the policy's current weights first.
 */
export class SplitRunner {
  constructor(
    readonly env: RolloutEnv,
    readonly peer: Peer | null,
  ) {}

  async run(items: readonly QAItem[], rng: Rng, opts: RolloutOptions = {}): Promise<Trajectory[]> {
    if (!this.peer || opts.onTokens || opts.gate || items.length < 2) return this.env.run(items, rng, opts);
    const half = Math.ceil(items.length / 2);
    const mine = rng.fork();
    const theirs = rng.fork();
    this.peer.setWeights('policy', await hostWeights(this.env.policy));
    const remote = this.peer.run(items.slice(half), theirs.getState(), opts.greedy === true);
    const local = await this.env.run(items.slice(0, half), mine, opts);
    return [...local, ...(await remote)];
  }
}

/** An Rng whose state is `state` (the peer's end of SplitRunner's fork). */
export function rngAt(state: number): Rng {
  const r = new Rng(0);
  r.setState(state);
  return r;
}
