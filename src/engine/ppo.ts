/**
 * One PPO step of Search-R1 (its default algorithm; verl ray_trainer.fit with adv_estimator = "gae"): sample
 * questions → rollouts → outcome rewards → log-probs of the old and reference policies and the critic's values on
 * the assembled sequences → k1 KL subtracted from the per-token reward → GAE (γ = λ = 1 by default) → whitened
 * advantages → per mini-batch a clipped value-loss update of the critic and a clipped-surrogate update of the
 * policy (two AdamW optimisers). Same step()/metrics interface as GrpoTrainer, so callers switch with createTrainer.
 * The loss mask is the one GRPO uses (makeBatch): retrieved and observation tokens are in neither the policy loss
 * nor the value loss nor the KL reward, unless masking is off. Math in gae.ts and ppo-loss.ts; no I/O.
 */
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from './batch';
import {
  defaultPpoConfig,
  type GrpoConfig,
  type PpoConfig,
  type RolloutConfig,
  type RunConfig,
} from './config';
import { explainedVariance, klShapedRewards, maskedGae, maskedWhiten, rowMeans, type Shape } from './gae';
import { Critic, type Policy } from './model';
import { AdamW } from './optim';
import { ppoPolicyLoss, valueLoss } from './ppo-loss';
import { computeReward } from './reward';
import type { Retriever } from './retriever';
import { RolloutEnv, type RolloutOptions } from './rollout';
import type { Rng } from './rng';
import type { Peer } from './shard';
import type { Tokenizer } from './tokenizer';
import {
  GrpoTrainer,
  rlAdamOptions,
  rolloutMetrics,
  sampleGroups,
  type StepMetrics,
  type StepResult,
} from './trainer';
import type { QAItem } from './types';

export interface PpoStepMetrics extends StepMetrics {
  /** ½·token-mean of the clipped squared value error, averaged over mini-batches. */
  valueLoss: number;
  /** Share of tokens where the clipped value term was the larger one. */
  valueClipFrac: number;
  /** Token-mean of the critic's values (before the update) and of the GAE returns. */
  valueMean: number;
  returnMean: number;
  /** 1 − Var(R − V)/Var(R) over action tokens (verl's critic/vf_explained_var). */
  explainedVariance: number;
  criticGradNorm: number;
  criticLr: number;
}

const now = () => performance.now() / 1000;

export class PpoTrainer {
  readonly algo = 'ppo' as const;
  readonly env: RolloutEnv;
  readonly optimizer: AdamW;
  readonly criticOptimizer: AdamW;
  /** Frozen copy of the policy as it was when training began (the KL anchor); owned and freed by the trainer. */
  readonly reference: Policy;
  /** The value model; owned and freed by the trainer. Not in checkpoints; resumable snapshots keep it. */
  readonly critic: Critic;
  private readonly masks: Map<string, tf.Tensor>;
  private readonly criticMasks: Map<string, tf.Tensor>;
  private stepIndex = 0;

  constructor(
    readonly policy: Policy,
    readonly tokenizer: Tokenizer,
    retriever: Retriever | null,
    readonly items: readonly QAItem[],
    readonly grpo: GrpoConfig,
    readonly rolloutCfg: RolloutConfig,
    readonly rng: Rng,
    readonly ppo: PpoConfig = defaultPpoConfig(),
  ) {
    if (!items.length) throw new Error('PpoTrainer: no training questions');
    this.reference = policy.cloneFrozen();
    this.critic = Critic.fromPolicy(policy, rng.int(2 ** 31));
    this.env = new RolloutEnv(policy, tokenizer, retriever, rolloutCfg);
    this.masks = policy.updateMasks();
    this.criticMasks = this.critic.updateMasks();
    this.optimizer = new AdamW(policy.variables, rlAdamOptions(grpo, grpo.lr, grpo.warmupSteps), this.masks);
    this.criticOptimizer = new AdamW(
      this.critic.variables,
      rlAdamOptions(grpo, ppo.criticLr, ppo.criticWarmupSteps),
      this.criticMasks,
    );
  }

  get steps(): number {
    return this.stepIndex;
  }

  /** Questions for one step, each repeated groupSize times (Search-R1's PPO: n = 1). */
  sampleQuestions(): QAItem[] {
    return sampleGroups(this.items, this.grpo.questionsPerStep, this.grpo.groupSize, this.rng);
  }

  async step(
    opts: Pick<RolloutOptions, 'onTokens' | 'gate'> = {},
  ): Promise<StepResult & { metrics: PpoStepMetrics }> {
    const g = this.grpo;
    const t0 = now();
    const trajs = await this.env.run(this.sampleQuestions(), this.rng, opts);
    const t1 = now();
    const scored = trajs.map((t) => computeReward(t.response, t.item.golden_answers, g.reward, t.answer));
    const rewards = scored.map((s) => s.reward);

    const batch = makeBatch(trajs, this.policy.cfg.contextLen, g.maskInformation);
    const B = trajs.length;
    const T = batch.length;
    const shape: Shape = { B, T };
    const score = { select: batch.hostMask, hostTokens: batch.hostTokens };
    // π_old as in GrpoTrainer: the sampler's recorded log-probs when only generated tokens count, a forward pass
    // on the assembled sequences when observation tokens enter the loss (masking off).
    const oldLogp = g.maskInformation
      ? tf.tensor2d(batch.hostSampleLogp, [B, T])
      : tf.tidy(() => this.policy.scoreTokens(batch.tokens, score).logp);
    const refLogp = tf.tidy(() => this.reference.scoreTokens(batch.tokens, score).logp);
    const oldValues = this.critic.values(batch.tokens, batch.hostTokens); // [B, T]
    const [oldH, refH, valH] = (await Promise.all([oldLogp.data(), refLogp.data(), oldValues.data()])) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    // Host math (gae.ts): r_t = score·[last action] − β·k1_t; GAE over actions; whitening over the batch.
    const shaped = klShapedRewards(rewards, oldH, refH, batch.hostMask, shape, g.klCoef);
    const gae = maskedGae(shaped.rewards, valH, batch.hostMask, shape, this.ppo.gamma, this.ppo.lambda);
    const adv = maskedWhiten(gae.advantages, batch.hostMask);
    const advT = tf.tensor2d(adv, [B, T]);
    const retT = tf.tensor2d(gae.returns, [B, T]);
    const t2 = now();

    const sums = {
      entropy: 0,
      clipFrac: 0,
      policyLoss: 0,
      gradNorm: 0,
      lr: 0,
      valueLoss: 0,
      valueClipFrac: 0,
      criticGradNorm: 0,
      criticLr: 0,
      n: 0,
    };
    let skipped = 0;
    try {
      const order = this.rng.shuffle(Array.from({ length: B }, (_, i) => i));
      const per = Math.ceil(B / Math.max(1, g.miniBatches));
      for (let start = 0; start < B; start += per) {
        const idx = order.slice(start, start + per);
        const idxT = tf.tensor1d(idx, 'int32');
        const subScore = { select: batch.rowsMask(idx), hostTokens: batch.rowsTokens(idx) };
        const sub = tf.tidy(() => ({
          tokens: tf.gather(batch.tokens, idxT) as tf.Tensor2D,
          mask: tf.gather(batch.mask, idxT) as tf.Tensor2D,
          old: tf.gather(oldLogp, idxT) as tf.Tensor2D,
          adv: tf.gather(advT, idxT) as tf.Tensor2D,
          ret: tf.gather(retT, idxT) as tf.Tensor2D,
          values: tf.gather(oldValues, idxT) as tf.Tensor2D,
        }));
        const kept: tf.Tensor[] = [];
        const keep = <T extends tf.Tensor>(t: T): T => {
          kept.push(tf.keep(t));
          return t;
        };

        // Critic: clipped value loss (verl update_critic runs before update_actor).
        let vParts: { loss: tf.Scalar; clipFrac: tf.Scalar } | null = null;
        const vGrads = tf.variableGrads(() => {
          const out = valueLoss(
            {
              values: this.critic.values(sub.tokens, subScore.hostTokens),
              oldValues: sub.values,
              returns: sub.ret,
              mask: sub.mask,
            },
            this.ppo.valueClip,
          );
          vParts = { loss: keep(out.loss), clipFrac: keep(out.clipFrac) };
          return out.loss;
        }, this.critic.variables);
        const vReport = await this.criticOptimizer.apply(vGrads.grads);

        // Actor: the clipped surrogate with per-token advantages; the KL is already in the reward.
        let pParts: { policyLoss: tf.Scalar; entropy: tf.Scalar; clipFrac: tf.Scalar } | null = null;
        const pGrads = tf.variableGrads(() => {
          const { logp, entropy } = this.policy.scoreTokens(sub.tokens, subScore);
          const out = ppoPolicyLoss(
            { logp, oldLogp: sub.old, entropy, advantages: sub.adv, mask: sub.mask },
            { clipEps: g.clipEps, entropyCoef: g.entropyCoef },
          );
          pParts = {
            policyLoss: keep(out.policyLoss),
            entropy: keep(out.entropy),
            clipFrac: keep(out.clipFrac),
          };
          return out.loss;
        }, this.policy.variables);
        const report = await this.optimizer.apply(pGrads.grads);
        if (!report.applied || !vReport.applied) skipped++;

        const v = vParts as unknown as { loss: tf.Scalar; clipFrac: tf.Scalar };
        const p = pParts as unknown as { policyLoss: tf.Scalar; entropy: tf.Scalar; clipFrac: tf.Scalar };
        const [vl, vcf, pl, ent, cf] = await Promise.all(
          [v.loss, v.clipFrac, p.policyLoss, p.entropy, p.clipFrac].map((s) => s.data()),
        );
        sums.valueLoss += vl[0];
        sums.valueClipFrac += vcf[0];
        sums.policyLoss += pl[0];
        sums.entropy += ent[0];
        sums.clipFrac += cf[0];
        sums.gradNorm += report.gradNorm;
        sums.lr += report.lr;
        sums.criticGradNorm += vReport.gradNorm;
        sums.criticLr += vReport.lr;
        sums.n += 1;
        tf.dispose([...kept, idxT, ...Object.values(sub), vGrads.value, pGrads.value]);
        tf.dispose([...Object.values(vGrads.grads), ...Object.values(pGrads.grads)]);
      }
    } finally {
      tf.dispose([oldLogp, refLogp, oldValues, advT, retT]);
      batch.dispose();
    }
    const t3 = now();
    this.stepIndex += 1;

    const n = Math.max(1, sums.n);
    const processed = trajs.reduce((s, t) => s + t.ids.length, 0);
    const maskSum = batch.hostMask.reduce((a, b) => a + b, 0) || 1;
    const maskedSum = (x: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) if (batch.hostMask[i]) s += x[i];
      return s;
    };
    const metrics: PpoStepMetrics = {
      step: this.stepIndex,
      ...rolloutMetrics(trajs, scored, g.groupSize),
      kl: shaped.meanKl,
      entropy: sums.entropy / n,
      clipFrac: sums.clipFrac / n,
      policyLoss: sums.policyLoss / n,
      gradNorm: sums.gradNorm / n,
      lr: sums.lr / n,
      tokensPerSec: processed / Math.max(t3 - t0, 1e-9),
      rolloutTokensPerSec: processed / Math.max(t1 - t0, 1e-9),
      updateTokensPerSec: (T * B) / Math.max(t3 - t2, 1e-9),
      seconds: { rollout: t1 - t0, reference: t2 - t1, update: t3 - t2, total: t3 - t0 },
      skippedUpdates: skipped,
      valueLoss: sums.valueLoss / n,
      valueClipFrac: sums.valueClipFrac / n,
      valueMean: maskedSum(valH) / maskSum,
      returnMean: maskedSum(gae.returns) / maskSum,
      explainedVariance: explainedVariance(gae.returns, valH, batch.hostMask),
      criticGradNorm: sums.criticGradNorm / n,
      criticLr: sums.criticLr / n,
    };
    // Per rollout: the mean whitened advantage over its action tokens (GRPO's is one number per rollout).
    return { metrics, trajectories: trajs, rewards, advantages: rowMeans(adv, batch.hostMask, shape) };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.criticOptimizer.dispose();
    this.reference.dispose();
    this.critic.dispose();
    tf.dispose([...this.masks.values(), ...this.criticMasks.values()]);
  }
}

/** Either trainer: both expose step(opts) → StepResult, steps, reference, policy and dispose(). */
export type RlTrainer = GrpoTrainer | PpoTrainer;

/** The trainer that `cfg.algo` names, on the given policy and training questions. */
export function createTrainer(
  cfg: Pick<RunConfig, 'algo' | 'grpo' | 'ppo' | 'rollout'>,
  policy: Policy,
  tokenizer: Tokenizer,
  retriever: Retriever | null,
  items: readonly QAItem[],
  rng: Rng,
  /** A second compute thread for GRPO (shard.ts); PPO runs on this thread alone. */
  peer: Peer | null = null,
): RlTrainer {
  return cfg.algo === 'ppo'
    ? new PpoTrainer(policy, tokenizer, retriever, items, cfg.grpo, cfg.rollout, rng, cfg.ppo)
    : new GrpoTrainer(policy, tokenizer, retriever, items, cfg.grpo, cfg.rollout, rng, peer);
}
