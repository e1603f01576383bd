/**
 * One GRPO step of Search-R1: sample questions → G rollouts each → rewards → group advantages →
 * log-probs of the old and reference policies on the assembled sequences → clipped, KL-regularised,
 * masked token-mean updates over mini-batches (AdamW). Returns the step's metrics and trajectories.
 * Knows the math through grpo.ts, the environment through rollout.ts; no I/O.
 */
import * as tf from '@tensorflow/tfjs';
import { hostBatch } from './batch';
import type { GrpoConfig, RolloutConfig } from './config';
import { groupAdvantages, pickGroups, spreadGroups, spreadShare } from './grpo';
import type { Policy } from './model';
import { AdamW, type AdamWOptions } from './optim';
import { normalizeAnswer, computeReward } from './reward';
import type { Retriever } from './retriever';
import { RolloutEnv, type RolloutOptions, type Trajectory } from './rollout';
import type { Rng } from './rng';
import {
  type GradJob,
  type Peer,
  SplitRunner,
  hostRows,
  hostWeights,
  pickRows,
  scoreBatch,
  shardedGrads,
  splitRows,
} from './shard';
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
  /** Rollouts, here and on the peer when there is one (shard.ts). */
  private readonly runner: SplitRunner;
  private referenceSent = false;
  private stepIndex = 0;

  constructor(
    readonly policy: Policy,
    readonly tokenizer: Tokenizer,
    retriever: Retriever | null,
    readonly items: readonly QAItem[],
    readonly grpo: GrpoConfig,
    readonly rolloutCfg: RolloutConfig,
    readonly rng: Rng,
    /** A second compute thread that takes half of every rollout, scoring and gradient (shard.ts); null: none. */
    readonly peer: Peer | null = null,
  ) {
    if (!items.length) throw new Error('GrpoTrainer: no training questions');
    this.reference = policy.cloneFrozen();
    this.env = new RolloutEnv(policy, tokenizer, retriever, rolloutCfg);
    this.runner = new SplitRunner(this.env, peer);
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
    if (this.peer && !this.referenceSent) {
      this.peer.setWeights('reference', await hostWeights(this.reference));
      this.referenceSent = true;
    }
    let sampled = await this.runner.run(this.sampleQuestions(), this.rng, opts);
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
      const more = await this.runner.run(this.sampleQuestions(), this.rng, opts);
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

    const batch = hostBatch(trajs, this.policy.cfg.contextLen, g.maskInformation);
    const B = trajs.length;
    const T = batch.length;
    const lengths = trajs.map((t) => Math.min(t.ids.length, T));
    // logp_old: with masking on, every loss token was generated by the policy, and the rollout recorded its
    // log-prob while sampling (the same weights; this saves a forward pass). With masking off, observation tokens
    // enter the loss too, so logp_old is recomputed on the assembled sequences (as verl does).
    if (this.peer && !g.maskInformation) this.peer.setWeights('policy', await hostWeights(this.policy));
    const oldLogp = g.maskInformation
      ? batch.sampleLogp
      : await scoreBatch(this.policy, 'policy', batch, lengths, this.peer);
    const refLogp = await scoreBatch(this.reference, 'reference', batch, lengths, this.peer);
    const t2 = now();

    const sums = { kl: 0, entropy: 0, clipFrac: 0, policyLoss: 0, gradNorm: 0, lr: 0, n: 0 };
    let skipped = 0;
    let updateTokens = 0;
    const order = this.rng.shuffle(Array.from({ length: B }, (_, i) => i));
    const per = Math.ceil(B / Math.max(1, g.miniBatches));
    for (let start = 0; start < B; start += per) {
      const idx = order.slice(start, start + per);
      // The mini-batch's rows split into shards (one per thread), each padded to its own length.
      let count = 0;
      for (const r of idx) for (let t = 0; t < T; t++) count += batch.mask[r * T + t];
      const jobs: GradJob[] = splitRows(idx, lengths, this.peer ? 2 : 1).map((rows) => {
        const x = hostRows(batch, rows, lengths);
        updateTokens += x.rows * x.length;
        return {
          kind: 'grpo',
          x,
          oldLogp: pickRows(oldLogp, T, rows, x.length),
          refLogp: pickRows(refLogp, T, rows, x.length),
          advantages: Float32Array.from(rows, (r) => advantages[r]),
          count,
          coefs: { clipEps: g.clipEps, klCoef: g.klCoef, entropyCoef: g.entropyCoef },
        };
      });
      const { grads, stats } = await shardedGrads(this.policy, jobs, this.peer);
      let report;
      try {
        report = await this.optimizer.apply(grads);
      } finally {
        tf.dispose(Object.values(grads));
      }
      if (!report.applied) skipped++;
      sums.policyLoss += stats[0];
      sums.kl += stats[1];
      sums.entropy += stats[2];
      sums.clipFrac += stats[3];
      sums.gradNorm += report.gradNorm;
      sums.lr += report.lr;
      sums.n += 1;
    }
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
