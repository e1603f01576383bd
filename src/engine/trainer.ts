/**
 * One GRPO step of Search-R1: sample questions → G rollouts each → rewards → group advantages →
 * log-probs of the old and reference policies on the assembled sequences → clipped, KL-regularised,
 * masked token-mean updates over mini-batches (AdamW). Returns the step's metrics and trajectories.
 * Knows the math through grpo.ts, the environment through rollout.ts; no I/O.
 */
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from './batch';
import type { GrpoConfig, RolloutConfig } from './config';
import { groupAdvantages, grpoLoss, pickGroups, spreadGroups, spreadShare } from './grpo';
import type { Policy } from './model';
import { AdamW, type AdamWOptions } from './optim';
import { normalizeAnswer, computeReward } from './reward';
import type { Retriever } from './retriever';
import { RolloutEnv, type RolloutOptions, type Trajectory } from './rollout';
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
  /** Rollout rounds of the step (more than 1 with dynamic sampling, GrpoConfig.resampleRounds). */
  rolloutRounds?: number;
}

export interface StepResult {
  metrics: StepMetrics;
  trajectories: Trajectory[];
  rewards: number[];
  advantages: number[];
}

const now = () => performance.now() / 1000;

/**
 * The AdamW settings of an RL trainer's optimiser (policy or critic): Adam's β and ε, the run's weight decay and
 * gradient clip, and a warm-up given in RL steps — verl steps its schedule once per training step, our optimiser
 * counts updates, so the warm-up is multiplied by the mini-batches per step.
 */
export function rlAdamOptions(grpo: GrpoConfig, lr: number, warmupSteps: number): AdamWOptions {
  return {
    lr,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: grpo.weightDecay,
    gradClip: grpo.gradClip,
    warmupSteps: warmupSteps * Math.max(1, grpo.miniBatches),
  };
}

export class GrpoTrainer {
  readonly env: RolloutEnv;
  readonly optimizer: AdamW;
  /** Frozen copy of the policy as it was when training began (the KL anchor); owned and freed by the trainer. */
  readonly reference: Policy;
  private readonly masks: Map<string, tf.Tensor>;
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
    this.masks = policy.updateMasks();
    this.optimizer = new AdamW(policy.variables, rlAdamOptions(grpo, grpo.lr, grpo.warmupSteps), this.masks);
  }

  get steps(): number {
    return this.stepIndex;
  }

  /** Questions for one step, each repeated groupSize times (consecutive rows form a group). */
  sampleQuestions(): QAItem[] {
    return sampleGroups(this.items, this.grpo.questionsPerStep, this.grpo.groupSize, this.rng);
  }

  /** One GRPO step. `opts` reaches the rollout (live token views, stepping gate). */
  async step(opts: Pick<RolloutOptions, 'onTokens' | 'gate'> = {}): Promise<StepResult> {
    const g = this.grpo;
    const t0 = now();
    const score = (ts: Trajectory[]) =>
      ts.map((t) => computeReward(t.response, t.item.golden_answers, g.reward, t.answer));
    // Every rollout sampled this step (all rounds): the step's reward and answer metrics describe these.
    let sampled = await this.env.run(this.sampleQuestions(), this.rng, opts);
    let sampledScores = score(sampled);
    let rounds = 1;
    while (
      g.groupSize > 1 &&
      rounds <= g.resampleRounds &&
      spreadGroups(
        sampledScores.map((s) => s.reward),
        g.groupSize,
      ) < g.questionsPerStep
    ) {
      const more = await this.env.run(this.sampleQuestions(), this.rng, opts);
      sampled = sampled.concat(more);
      sampledScores = sampledScores.concat(score(more));
      rounds++;
    }
    const t1 = now();
    // The update's rows: all of them in one round; with extra rounds, the groups with spread first.
    const rows =
      rounds === 1
        ? sampled.map((_, i) => i)
        : pickGroups(
            sampledScores.map((s) => s.reward),
            g.groupSize,
            g.questionsPerStep,
          );
    const trajs = rows.map((i) => sampled[i]);
    const rewards = rows.map((i) => sampledScores[i].reward);
    const advantages = groupAdvantages(rewards, g.groupSize);

    const batch = makeBatch(trajs, this.policy.cfg.contextLen, g.maskInformation);
    const B = trajs.length;
    // logp_old: with masking on, every loss token was generated by the policy, and the rollout recorded its
    // log-prob while sampling (the same weights; this saves a forward pass). With masking off, observation tokens
    // enter the loss too, so logp_old is recomputed on the assembled sequences (as verl does).
    const select = batch.hostMask;
    const scoreOpts = { select, hostTokens: batch.hostTokens };
    const oldLogp = g.maskInformation
      ? tf.tensor2d(batch.hostSampleLogp, [B, batch.length])
      : tf.tidy(() => this.policy.scoreTokens(batch.tokens, scoreOpts).logp);
    const refLogp = tf.tidy(() => this.reference.scoreTokens(batch.tokens, scoreOpts).logp);
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
        const subScore = { select: batch.rowsMask(idx), hostTokens: batch.rowsTokens(idx) };
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
          const { logp, entropy } = this.policy.scoreTokens(sub.tokens, subScore);
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
    const processed = sampled.reduce((s, t) => s + t.ids.length, 0);
    const metrics: StepMetrics = {
      step: this.stepIndex,
      ...rolloutMetrics(sampled, sampledScores, g.groupSize),
      kl: sums.kl / n,
      entropy: sums.entropy / n,
      clipFrac: sums.clipFrac / n,
      policyLoss: sums.policyLoss / n,
      gradNorm: sums.gradNorm / n,
      lr: sums.lr / n,
      tokensPerSec: processed / Math.max(t3 - t0, 1e-9),
      rolloutTokensPerSec: processed / Math.max(t1 - t0, 1e-9),
      updateTokensPerSec: updateTokens / Math.max(t3 - t2, 1e-9),
      seconds: { rollout: t1 - t0, reference: t2 - t1, update: t3 - t2, total: t3 - t0 },
      skippedUpdates: skipped,
      rolloutRounds: rounds,
    };
    return { metrics, trajectories: trajs, rewards, advantages };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.reference.dispose();
    tf.dispose([...this.masks.values()]);
  }
}

/**
 * The rollout-side metrics shared by both trainers: answers, searches, lengths, throughput. `seconds` and the
 * loss-side fields are the caller's.
 */
export function rolloutMetrics(
  trajs: readonly Trajectory[],
  scored: readonly { reward: number; em: number; f1: number }[],
  groupSize: number,
): Pick<
  StepMetrics,
  | 'reward'
  | 'em'
  | 'f1'
  | 'responseLength'
  | 'generatedLength'
  | 'validSearches'
  | 'turns'
  | 'answered'
  | 'spread'
  | 'distinctAnswers'
  | 'topAnswerShare'
  | 'topAnswer'
> {
  const B = Math.max(1, trajs.length);
  const counts = new Map<string, number>();
  for (const t of trajs) {
    if (t.answer === null) continue;
    const a = normalizeAnswer(t.answer);
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  let topAnswer = '';
  let topCount = 0;
  for (const [a, c] of counts) if (c > topCount) [topAnswer, topCount] = [a, c];
  const mean = (f: (t: Trajectory) => number) => trajs.reduce((s, t) => s + f(t), 0) / B;
  return {
    reward: scored.reduce((a, s) => a + s.reward, 0) / B,
    em: scored.reduce((a, s) => a + s.em, 0) / B,
    f1: scored.reduce((a, s) => a + s.f1, 0) / B,
    responseLength: mean((t) => t.ids.length - t.promptLen),
    generatedLength: mean((t) => t.gen.reduce((a, b) => a + b, 0)),
    validSearches: mean((t) => t.validSearches),
    turns: mean((t) => t.turns),
    answered: mean((t) => (t.answered ? 1 : 0)),
    spread: spreadShare(
      scored.map((s) => s.reward),
      groupSize,
    ),
    distinctAnswers: counts.size,
    topAnswerShare: topCount / B,
    topAnswer,
  };
}

/** `questions` items drawn at random, each repeated `groupSize` times (consecutive rows form a group). */
export function sampleGroups(
  items: readonly QAItem[],
  questions: number,
  groupSize: number,
  rng: Rng,
): QAItem[] {
  const out: QAItem[] = [];
  for (let q = 0; q < questions; q++) {
    const item = items[rng.int(items.length)];
    for (let g = 0; g < groupSize; g++) out.push(item);
  }
  return out;
}
