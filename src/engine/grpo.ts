/**
 * GRPO math (Shao et al. 2024, DeepSeekMath §4.1) as Search-R1 uses it through verl's core_algos.py.
 * Pure functions: group advantages on the host, the token-level loss as tfjs ops.
 * Knows nothing of models, rollouts or optimisers.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Group-relative advantages: A_i = (r_i − mean(r)) / (std(r) + 1e-6), unbiased std, per group of `groupSize`
 * consecutive rollouts (verl compute_grpo_outcome_advantage). A group of one gets A = r (plain REINFORCE).
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number): number[] {
  if (groupSize < 1 || rewards.length % groupSize !== 0) {
    throw new Error(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  const out: number[] = new Array(rewards.length);
  for (let g = 0; g < rewards.length; g += groupSize) {
    const r = rewards.slice(g, g + groupSize);
    if (groupSize === 1) {
      out[g] = r[0];
      continue;
    }
    const mean = r.reduce((a, b) => a + b, 0) / groupSize;
    const variance = r.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (groupSize - 1);
    const std = Math.sqrt(variance);
    for (let i = 0; i < groupSize; i++) out[g + i] = (r[i] - mean) / (std + 1e-6);
  }
  return out;
}

/**
 * Dynamic sampling (DAPO, Yu et al. 2025 §3.2): the groups to train on, as row indices, from rollouts sampled in
 * rounds. Groups whose rewards differ come first, in sampled order, up to `want` groups; the rest of the `want` is
 * filled with the earliest groups without spread (they carry only the KL and entropy terms), so the update always
 * has `want` groups. Returns the rows of each chosen group, consecutive, groups in the order chosen.
 */
export function pickGroups(rewards: readonly number[], groupSize: number, want: number): number[] {
  const spread = groupSpread(rewards, groupSize);
  const order = [...spread.keys()].sort((a, b) => Number(spread[b]) - Number(spread[a])); // stable: spread first
  return order.slice(0, want).flatMap((g) => Array.from({ length: groupSize }, (_, i) => g * groupSize + i));
}

/** Per consecutive group of `groupSize`: whether its rewards differ (never for groups of one). */
function groupSpread(rewards: readonly number[], groupSize: number): boolean[] {
  const out: boolean[] = [];
  for (let g = 0; g + groupSize <= rewards.length; g += groupSize) {
    const r = rewards.slice(g, g + groupSize);
    out.push(groupSize > 1 && r.some((x) => x !== r[0]));
  }
  return out;
}

/** Groups with reward spread among `rewards` (consecutive groups of `groupSize`). */
export function spreadGroups(rewards: readonly number[], groupSize: number): number {
  return groupSpread(rewards, groupSize).filter(Boolean).length;
}

/** Share of groups whose rewards are not all equal (groups that carry any learning signal). */
export function spreadShare(rewards: readonly number[], groupSize: number): number {
  if (groupSize < 2) return rewards.length ? rewards.filter((r) => r !== 0).length / rewards.length : 0;
  const groups = rewards.length / groupSize;
  return groups ? spreadGroups(rewards, groupSize) / groups : 0;
}

export interface LossCoefs {
  clipEps: number;
  klCoef: number;
  entropyCoef: number;
}

export interface LossInputs {
  /** log π_θ of each realised token [B, T] (differentiable). */
  logp: tf.Tensor2D;
  /** log π_old, recomputed on the assembled sequences before the update [B, T]. */
  oldLogp: tf.Tensor2D;
  /** log π_ref of the frozen reference policy [B, T]. */
  refLogp: tf.Tensor2D;
  /** Entropy term per position [B, T] (differentiable). */
  entropy: tf.Tensor2D;
  /** Advantage per sequence, broadcast to its tokens [B]. */
  advantages: tf.Tensor1D;
  /** 1 where the position's token counts in the loss, 0 elsewhere [B, T]. */
  mask: tf.Tensor2D;
  /**
   * What every token mean divides by (default: the tokens of `mask`). A shard of a mini-batch (shard.ts) passes the
   * whole mini-batch's count, so the shards' losses and gradients add up to the mini-batch's.
   */
  count?: number;
}

export interface LossParts {
  loss: tf.Scalar;
  policyLoss: tf.Scalar;
  kl: tf.Scalar;
  entropy: tf.Scalar;
  clipFrac: tf.Scalar;
}

/**
 * Token-mean over unmasked tokens of the batch (verl agg_loss "token-mean"); `count`, when given, replaces the
 * mask's own token count as the divisor.
 */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor, count?: number): tf.Scalar {
  return tf.tidy(
    () =>
      tf.div(
        tf.sum(tf.mul(x, mask)),
        count === undefined ? tf.maximum(tf.sum(mask), 1) : Math.max(count, 1),
      ) as tf.Scalar,
  );
}

/**
 * k3 ("low-variance") KL estimator of KL(π_θ‖π_ref) per token (Schulman 2020; verl kl_penalty "low_var_kl"):
 * d = logp_ref − logp, kl = exp(d) − d − 1, clamped to [−10, 10].
 */
export function k3Kl(logp: tf.Tensor, refLogp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = tf.clipByValue(tf.sub(refLogp, logp), -20, 20);
    return tf.clipByValue(tf.sub(tf.sub(tf.exp(d), d), 1), -10, 10);
  });
}

/**
 * The GRPO objective as a loss to minimise (Search-R1 / verl compute_policy_loss):
 *   ρ = exp(logp − logp_old);  L_clip = max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))
 *   loss = mean_tok(L_clip) + β·mean_tok(k3 KL) − c_ent·mean_tok(entropy)
 * every mean over the unmasked tokens of the batch.
 */
export function grpoLoss(x: LossInputs, c: LossCoefs): LossParts {
  return tf.tidy(() => {
    const adv = tf.expandDims(x.advantages, 1); // [B, 1]
    const logRatio = tf.clipByValue(tf.sub(x.logp, x.oldLogp), -20, 20);
    const ratio = tf.exp(logRatio); // [B, T]
    const unclipped = tf.mul(tf.neg(adv), ratio);
    const clipped = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - c.clipEps, 1 + c.clipEps));
    const perToken = tf.maximum(unclipped, clipped); // [B, T]
    const policyLoss = maskedMean(perToken, x.mask, x.count);
    const kl = maskedMean(k3Kl(x.logp, x.refLogp), x.mask, x.count);
    const entropy = maskedMean(x.entropy, x.mask, x.count);
    const loss = tf.sub(
      tf.add(policyLoss, tf.mul(c.klCoef, kl)),
      tf.mul(c.entropyCoef, entropy),
    ) as tf.Scalar;
    const clipFrac = maskedMean(tf.cast(tf.greater(clipped, unclipped), 'float32'), x.mask, x.count);
    return { loss, policyLoss, kl, entropy, clipFrac };
  });
}
