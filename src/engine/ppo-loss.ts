/**
 * PPO's token-level losses as tfjs ops (Schulman et al. 2017; verl core_algos.compute_policy_loss and
 * compute_value_loss, which Search-R1 uses unchanged). Pure functions of tensors: no models, no optimisers.
 * Every mean is the token-mean over the unmasked positions of the (mini-)batch, as in grpo.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { maskedMean } from './grpo';

export interface PpoPolicyInputs {
  /** log π_θ of each realised token [B, T] (differentiable). */
  logp: tf.Tensor2D;
  /** log π_old [B, T]. */
  oldLogp: tf.Tensor2D;
  /** Entropy term per position [B, T] (differentiable). */
  entropy: tf.Tensor2D;
  /** Whitened GAE advantage per token [B, T]. */
  advantages: tf.Tensor2D;
  /** Loss mask [B, T]. */
  mask: tf.Tensor2D;
}

export interface PpoPolicyParts {
  loss: tf.Scalar;
  policyLoss: tf.Scalar;
  entropy: tf.Scalar;
  clipFrac: tf.Scalar;
}

/**
 * The clipped surrogate with per-token advantages; the KL lives in the reward under PPO, so no KL term here:
 *   ρ = exp(logp − logp_old);  L = mean_tok(max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))) − c_ent·mean_tok(entropy)
 */
export function ppoPolicyLoss(
  x: PpoPolicyInputs,
  c: { clipEps: number; entropyCoef: number },
): PpoPolicyParts {
  return tf.tidy(() => {
    const ratio = tf.exp(tf.clipByValue(tf.sub(x.logp, x.oldLogp), -20, 20)); // [B, T]
    const unclipped = tf.mul(tf.neg(x.advantages), ratio); // [B, T]
    const clipped = tf.mul(tf.neg(x.advantages), tf.clipByValue(ratio, 1 - c.clipEps, 1 + c.clipEps)); // [B, T]
    const policyLoss = maskedMean(tf.maximum(unclipped, clipped), x.mask);
    const entropy = maskedMean(x.entropy, x.mask);
    const loss = tf.sub(policyLoss, tf.mul(c.entropyCoef, entropy)) as tf.Scalar;
    const clipFrac = maskedMean(tf.cast(tf.greater(clipped, unclipped), 'float32'), x.mask);
    return { loss, policyLoss, entropy, clipFrac };
  });
}

export interface ValueInputs {
  /** New value predictions [B, T] (differentiable). */
  values: tf.Tensor2D;
  /** Values the critic gave when the advantages were computed [B, T]. */
  oldValues: tf.Tensor2D;
  /** GAE returns (value targets) [B, T]. */
  returns: tf.Tensor2D;
  /** Loss mask [B, T]. */
  mask: tf.Tensor2D;
}

/**
 * Clipped value loss (verl compute_value_loss; PPO2's value clipping):
 *   V_clip = clip(V, V_old − c, V_old + c);  L_V = ½ · mean_tok(max((V − R)², (V_clip − R)²))
 * clipFrac is the share of tokens where the clipped term is the larger one.
 */
export function valueLoss(x: ValueInputs, valueClip: number): { loss: tf.Scalar; clipFrac: tf.Scalar } {
  return tf.tidy(() => {
    const vClipped = tf.add(
      x.oldValues,
      tf.clipByValue(tf.sub(x.values, x.oldValues), -valueClip, valueClip),
    );
    const l1 = tf.square(tf.sub(x.values, x.returns)); // [B, T]
    const l2 = tf.square(tf.sub(vClipped, x.returns)); // [B, T]
    const loss = tf.mul(0.5, maskedMean(tf.maximum(l1, l2), x.mask)) as tf.Scalar;
    const clipFrac = maskedMean(tf.cast(tf.greater(l2, l1), 'float32'), x.mask);
    return { loss, clipFrac };
  });
}
