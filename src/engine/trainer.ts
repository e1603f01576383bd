/**
 * One GRPO step of Search-R1: sample questions → G rollouts each → rewards → group advantages →
 * log-probs of the old and reference policies on the assembled sequences → clipped, KL-regularised,
 * masked token-mean updates over mini-batches (AdamW). Returns the step's metrics and trajectories.
 * Knows the math through grpo.ts, the environment through rollout.ts; no I/O.
 */
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from './batch';
import type { GrpoConfig, RolloutConfig } from './config';
import { groupAdvantages, grpoLoss, spreadShare } from './grpo';
import type { Policy } from './model';
import { AdamW } from './optim';
import { normalizeAnswer, computeReward } from './reward';
import type { Retriever } from './retriever';
import { RolloutEnv, type Trajectory } from './rollout';
import type { Rng } from './rng';
import type { Tokenizer } from './tokenizer';
import type { QAItem } from './types';

export interface StepMetrics {
  step: number;
  reward: number;
  em: number;
  f1: number;
  kl: number;
  entropy: number;
  clipFrac: number;
  policyLoss: number;
  gradNorm: number;
  lr: number;
  /** Mean response tokens (observations included). */
  responseLength: number;
  /** Mean tokens the policy generated per rollout. */
  generatedLength: number;
  validSearches: number;
  turns: number;
  answered: number;
  /** Share of groups whose rewards are not all equal. */
  spread: number;
  /** Distinct normalised answers over answered rollouts. */
  distinctAnswers: number;
  /** Share of rollouts giving the single most common answer. */
  topAnswerShare: number;
  topAnswer: string;
  /** Rollout tokens per second of the whole step (rollout + reference + update). */
  tokensPerSec: number;
  rolloutTokensPerSec: number;
  updateTokensPerSec: number;
  seconds: { rollout: number; reference: number; update: number; total: number };
  /** Updates skipped because the gradient was not finite. */
  skippedUpdates: number;
}

export interface StepResult {
  metrics: StepMetrics;
  trajectories: Trajectory[];
  rewards: number[];
  advantages: number[];
}

const now = () => performance.now() / 1000;

export class GrpoTrainer {
  readonly env: RolloutEnv;
  readonly optimizer: AdamW;
  /** Frozen copy of the policy as it was when training began (the KL anchor); owned and freed by the trainer. */
  readonly reference: Policy;
  private stepIndex = 0;

  constructor(
    readonly policy: Policy,
    readonly tokenizer: Tokenizer,
    retriever: Retriever | null,
    readonly items: readonly QAItem[],
    readonly grpo: GrpoConfig,
    readonly rolloutCfg: RolloutConfig,
    readonly rng: Rng,
  ) {
    if (!items.length) throw new Error('GrpoTrainer: no training questions');
    this.reference = policy.cloneFrozen();
    this.env = new RolloutEnv(policy, tokenizer, retriever, rolloutCfg);
    this.optimizer = new AdamW(policy.variables, {
      lr: grpo.lr,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: grpo.weightDecay,
      gradClip: grpo.gradClip,
      // The schedule counts GRPO steps (verl steps it once per training step); the optimiser counts updates.
      warmupSteps: grpo.warmupSteps * Math.max(1, grpo.miniBatches),
    });
  }

  get steps(): number {
    return this.stepIndex;
  }

  /** Questions for one step, each repeated groupSize times (consecutive rows form a group). */
  sampleQuestions(): QAItem[] {
    const out: QAItem[] = [];
    for (let q = 0; q < this.grpo.questionsPerStep; q++) {
      const item = this.items[this.rng.int(this.items.length)];
      for (let g = 0; g < this.grpo.groupSize; g++) out.push(item);
    }
    return out;
  }

  async step(onTokens?: (t: readonly Trajectory[]) => void): Promise<StepResult> {
    const g = this.grpo;
    const t0 = now();
    const trajs = await this.env.run(this.sampleQuestions(), this.rng, { onTokens });
    const t1 = now();
    const scored = trajs.map((t) => computeReward(t.response, t.item.golden_answers, g.reward, t.answer));
    const rewards = scored.map((s) => s.reward);
    const advantages = groupAdvantages(rewards, g.groupSize);

    const batch = makeBatch(trajs, this.policy.cfg.contextLen, g.maskInformation);
    const B = trajs.length;
    // logp_old recomputed by the trainer on the assembled sequences (verl), and the frozen reference's.
    const select = batch.hostMask;
    const oldLogp = tf.tidy(() => this.policy.scoreTokens(batch.tokens, { select }).logp);
    const refLogp = tf.tidy(() => this.reference.scoreTokens(batch.tokens, { select }).logp);
    await Promise.all([oldLogp.data(), refLogp.data()]);
    const t2 = now();

    const sums = { kl: 0, entropy: 0, clipFrac: 0, policyLoss: 0, gradNorm: 0, lr: 0, n: 0 };
    let skipped = 0;
    try {
      const order = this.rng.shuffle(Array.from({ length: B }, (_, i) => i));
      const per = Math.ceil(B / Math.max(1, g.miniBatches));
      for (let start = 0; start < B; start += per) {
        const idx = order.slice(start, start + per);
        const idxT = tf.tensor1d(idx, 'int32');
        const subSelect = batch.rowsMask(idx);
        const sub = tf.tidy(() => ({
          tokens: tf.gather(batch.tokens, idxT) as tf.Tensor2D,
          mask: tf.gather(batch.mask, idxT) as tf.Tensor2D,
          old: tf.gather(oldLogp, idxT) as tf.Tensor2D,
          ref: tf.gather(refLogp, idxT) as tf.Tensor2D,
          adv: tf.tensor1d(idx.map((i) => advantages[i])),
        }));
        let parts: { kl: tf.Scalar; entropy: tf.Scalar; clipFrac: tf.Scalar; policyLoss: tf.Scalar } | null =
          null;
        const { value, grads } = tf.variableGrads(() => {
          const { logp, entropy } = this.policy.scoreTokens(sub.tokens, { select: subSelect });
          const out = grpoLoss(
            { logp, oldLogp: sub.old, refLogp: sub.ref, entropy, advantages: sub.adv, mask: sub.mask },
            { clipEps: g.clipEps, klCoef: g.klCoef, entropyCoef: g.entropyCoef },
          );
          parts = {
            kl: tf.keep(out.kl),
            entropy: tf.keep(out.entropy),
            clipFrac: tf.keep(out.clipFrac),
            policyLoss: tf.keep(out.policyLoss),
          };
          return out.loss;
        }, this.policy.variables);
        const report = await this.optimizer.apply(grads);
        if (!report.applied) skipped++;
        const p = parts as unknown as {
          kl: tf.Scalar;
          entropy: tf.Scalar;
          clipFrac: tf.Scalar;
          policyLoss: tf.Scalar;
        };
        const [kl, ent, cf, pl] = await Promise.all([
          p.kl.data(),
          p.entropy.data(),
          p.clipFrac.data(),
          p.policyLoss.data(),
        ]);
        sums.kl += kl[0];
        sums.entropy += ent[0];
        sums.clipFrac += cf[0];
        sums.policyLoss += pl[0];
        sums.gradNorm += report.gradNorm;
        sums.lr += report.lr;
        sums.n += 1;
        tf.dispose([
          value,
          idxT,
          sub.tokens,
          sub.mask,
          sub.old,
          sub.ref,
          sub.adv,
          p.kl,
          p.entropy,
          p.clipFrac,
          p.policyLoss,
        ]);
        tf.dispose(Object.values(grads));
      }
    } finally {
      oldLogp.dispose();
      refLogp.dispose();
      batch.dispose();
    }
    const updateTokens = batch.length * B;
    const t3 = now();
    this.stepIndex += 1;

    const n = Math.max(1, sums.n);
    const answers = trajs.map((t) => t.answer).filter((a): a is string => a !== null);
    const counts = new Map<string, number>();
    for (const a of answers) counts.set(normalizeAnswer(a), (counts.get(normalizeAnswer(a)) ?? 0) + 1);
    let topAnswer = '';
    let topCount = 0;
    for (const [a, c] of counts) if (c > topCount) [topAnswer, topCount] = [a, c];
    const generated = trajs.reduce((s, t) => s + t.gen.reduce((a, b) => a + b, 0), 0);
    const processed = trajs.reduce((s, t) => s + t.ids.length, 0);
    const mean = (f: (t: Trajectory) => number) => trajs.reduce((s, t) => s + f(t), 0) / B;
    const metrics: StepMetrics = {
      step: this.stepIndex,
      reward: rewards.reduce((a, b) => a + b, 0) / B,
      em: scored.reduce((a, s) => a + s.em, 0) / B,
      f1: scored.reduce((a, s) => a + s.f1, 0) / B,
      kl: sums.kl / n,
      entropy: sums.entropy / n,
      clipFrac: sums.clipFrac / n,
      policyLoss: sums.policyLoss / n,
      gradNorm: sums.gradNorm / n,
      lr: sums.lr / n,
      responseLength: mean((t) => t.ids.length - t.promptLen),
      generatedLength: generated / B,
      validSearches: mean((t) => t.validSearches),
      turns: mean((t) => t.turns),
      answered: mean((t) => (t.answered ? 1 : 0)),
      spread: spreadShare(rewards, g.groupSize),
      distinctAnswers: counts.size,
      topAnswerShare: topCount / B,
      topAnswer,
      tokensPerSec: processed / Math.max(t3 - t0, 1e-9),
      rolloutTokensPerSec: processed / Math.max(t1 - t0, 1e-9),
      updateTokensPerSec: updateTokens / Math.max(t3 - t2, 1e-9),
      seconds: { rollout: t1 - t0, reference: t2 - t1, update: t3 - t2, total: t3 - t0 },
      skippedUpdates: skipped,
    };
    return { metrics, trajectories: trajs, rewards, advantages };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.reference.dispose();
  }
}
