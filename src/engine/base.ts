/**
 * Building the base policy: supervised training (teacher forcing) on answer-free practice demonstrations,
 * loss = −mean log p over the tokens the policy would generate (observations and prompt masked out).
 * Knows the practice builder and the model; nothing of RL.
 */
import * as tf from '@tensorflow/tfjs';
import { hostBatch } from './batch';
import type { Policy } from './model';
import { AdamW } from './optim';
import { renderDemo, type PracticeBuilder } from './practice';
import type { Rng } from './rng';
import type { RolloutEnv, Trajectory } from './rollout';
import { type PracticeJob, type Peer, hostRows, shardedGrads, splitRows } from './shard';

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
 * Draws rendered demonstrations that fit the rollout caps, as one batch per step split in two parts of similar
 * length: short (one search) and long (two searches) demonstrations, each part padded to its own length rather than
 * to the longest chain (about a third less compute per step). Every step holds both kinds in the proportion the
 * builder makes them, estimated once from the first demonstrations and then fixed, so the parts keep static shapes
 * (WebGPU compiles shaders per shape). Steps made of one kind only swing the search-again-or-answer decision from
 * step to step, and where the last steps left it depended on the seed: one world base searched again after 3% of
 * first searches where its practice did so after about half (docs/experiments.md §2.18).
 */
export class PracticeSampler {
  private readonly pools: Trajectory[][] = [[], []];
  /** Long demonstrations per step, once estimated. */
  private longPerStep: number | null = null;

  constructor(
    private readonly env: RolloutEnv,
    private readonly builder: PracticeBuilder,
    private readonly rng: Rng,
    /** Demonstrations of at most this many tokens are short. */
    private readonly shortLen = 128,
  ) {}

  /** `n` demonstrations, as the short part and the long part of one step (an empty part is left out). */
  next(n: number): Trajectory[][] {
    if (this.longPerStep === null) {
      this.fill((made) => made >= 4 * n);
      const [short, long] = this.pools.map((p) => p.length);
      this.longPerStep = Math.round((n * long) / (short + long));
    }
    const want = [n - this.longPerStep, this.longPerStep];
    this.fill(() => this.pools.every((p, i) => p.length >= want[i]));
    const parts = this.pools.map((p, i) => p.splice(0, want[i]));
    // Leftovers of the kind made more often than its share wait for later steps; a cap keeps them few.
    for (const p of this.pools) p.splice(0, Math.max(0, p.length - 4 * n));
    return parts.filter((p) => p.length);
  }

  private fill(done: (made: number) => boolean): void {
    let made = 0;
    let tries = 0;
    while (!done(made)) {
      if (++tries > 400 * (made + 1))
        throw new Error('practice: could not render demonstrations within the context caps');
      const t = renderDemo(this.env, this.builder.next(this.rng));
      if (!t) continue;
      this.pools[t.ids.length <= this.shortLen ? 0 : 1].push(t);
      made++;
    }
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
  /** A second compute thread that takes half of every step's rows (shard.ts); null: none. */
  peer: Peer | null = null,
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
      const demos = sampler.next(cfg.batchSize);
      const parts = demos.map((p) => hostBatch(p, policy.cfg.contextLen, true));
      // One mean over the generated tokens of both parts, as if they were one batch; each part's rows split
      // between the threads, each shard padded to its own length.
      const count = parts.reduce((a, b) => a + b.maskedTokens, 0);
      const threads = peer ? 2 : 1;
      const shards = parts.map((b, i) => {
        const lengths = demos[i].map((t) => Math.min(t.ids.length, b.length));
        return splitRows(
          Array.from({ length: b.rows }, (_, r) => r),
          lengths,
          threads,
        ).map((rows) => hostRows(b, rows, lengths));
      });
      const jobs: PracticeJob[] = [];
      for (let s = 0; s < threads; s++) {
        const mine = shards.flatMap((p) => (p[s] ? [p[s]] : []));
        if (mine.length) jobs.push({ kind: 'practice', parts: mine, count });
      }
      const { grads, stats } = await shardedGrads(policy, jobs, peer);
      try {
        await opt.apply(grads);
      } finally {
        tf.dispose(Object.values(grads));
      }
      lastLoss = stats[0];
      const tokens = jobs.reduce((a, j) => a + j.parts.reduce((x, p) => x + p.rows * p.length, 0), 0);
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
