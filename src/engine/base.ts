/**
 * Building the base policy: supervised training (teacher forcing) on answer-free practice demonstrations,
 * loss = −mean log p over the tokens the policy would generate (observations and prompt masked out).
 * Knows the practice builder and the model; nothing of RL.
 */
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from './batch';
import type { Policy } from './model';
import { AdamW } from './optim';
import { renderDemo, type PracticeBuilder } from './practice';
import type { Rng } from './rng';
import type { RolloutEnv, Trajectory } from './rollout';

export interface BaseTrainingConfig {
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
}

export const DEFAULT_BASE_TRAINING: BaseTrainingConfig = {
  steps: 300,
  batchSize: 32,
  lr: 2e-3,
  warmupSteps: 20,
};

export interface BaseProgress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSec: number;
}

/**
 * Draws rendered demonstrations that fit the rollout caps, in batches of similar length: short (one search) and
 * long (two searches) demonstrations wait in separate pools, and each batch is taken from the fuller pool, so a
 * batch is padded to its own length rather than to the longest chain (about a third less compute per step).
 */
export class PracticeSampler {
  private readonly pools: Trajectory[][] = [[], []];

  constructor(
    private readonly env: RolloutEnv,
    private readonly builder: PracticeBuilder,
    private readonly rng: Rng,
    /** Demonstrations of at most this many tokens go to the short pool. */
    private readonly shortLen = 128,
  ) {}

  next(n: number): Trajectory[] {
    let tries = 0;
    while (this.pools.every((p) => p.length < n)) {
      if (++tries > n * 100)
        throw new Error('practice: could not render demonstrations within the context caps');
      const t = renderDemo(this.env, this.builder.next(this.rng));
      if (t) this.pools[t.ids.length <= this.shortLen ? 0 : 1].push(t);
    }
    const pool = this.pools[0].length >= n ? this.pools[0] : this.pools[1];
    return pool.splice(0, n);
  }
}

export async function trainBase(
  policy: Policy,
  env: RolloutEnv,
  builder: PracticeBuilder,
  cfg: BaseTrainingConfig,
  rng: Rng,
  onProgress?: (p: BaseProgress) => void,
  /** Awaited before every step (a caller may hold there, e.g. while paused); true ends training there. */
  shouldStop?: () => boolean | Promise<boolean>,
): Promise<number> {
  const masks = policy.updateMasks();
  const opt = new AdamW(
    policy.variables,
    {
      lr: cfg.lr,
      beta1: 0.9,
      beta2: 0.98,
      eps: 1e-8,
      weightDecay: 0.01,
      gradClip: 1,
      warmupSteps: cfg.warmupSteps,
    },
    masks,
  );
  let lastLoss = NaN;
  const sampler = new PracticeSampler(env, builder, rng, Math.min(128, policy.cfg.contextLen));
  try {
    for (let step = 0; step < cfg.steps; step++) {
      if (await shouldStop?.()) break;
      const t0 = performance.now();
      const batch = makeBatch(sampler.next(cfg.batchSize), policy.cfg.contextLen, true);
      const { value, grads } = tf.variableGrads(() => {
        const { logp } = policy.scoreTokens(batch.tokens, {
          select: batch.hostMask,
          hostTokens: batch.hostTokens,
        });
        return tf.neg(
          tf.div(tf.sum(tf.mul(logp, batch.mask)), tf.maximum(tf.sum(batch.mask), 1)),
        ) as tf.Scalar;
      }, policy.variables);
      await opt.apply(grads);
      lastLoss = (await value.data())[0];
      const tokens = batch.length * cfg.batchSize;
      tf.dispose([value, ...Object.values(grads)]);
      batch.dispose();
      onProgress?.({
        step: step + 1,
        steps: cfg.steps,
        loss: lastLoss,
        tokensPerSec: tokens / Math.max((performance.now() - t0) / 1000, 1e-9),
      });
    }
  } finally {
    opt.dispose();
    tf.dispose([...masks.values()]);
  }
  return lastLoss;
}
