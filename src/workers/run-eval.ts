/**
 * What a run measures besides its training step: held-out evaluation of a policy (greedy, one point of the EM
 * curve), the before/after comparison (base and current policy answering the same held-out question), and each
 * sampled token's π_new/π_old ratio after an update. Runs between updates only (runner.ts schedules it at hold
 * points, gates and step ends). Knows the engine and the protocol's result shapes; nothing of saving or the page.
 */
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from '../engine/batch';
import type { RunConfig } from '../engine/config';
import { evaluate } from '../engine/evaluate';
import type { Policy } from '../engine/model';
import type { Retriever } from '../engine/retriever';
import { computeReward } from '../engine/reward';
import { Rng } from '../engine/rng';
import { RolloutEnv, type Trajectory } from '../engine/rollout';
import type { Tokenizer } from '../engine/tokenizer';
import type { QAItem } from '../engine/types';
import type { CompareResult, EvalPoint } from './protocol';

/** What evaluating a run's policies needs (a built run has it all). */
export interface EvalSetup {
  cfg: RunConfig;
  tokenizer: Tokenizer;
  retriever: Retriever;
  /** The held-out questions, in order. */
  evalItems: QAItem[];
}

/** π_new/π_old per generated token after the update: how far the step moved each sampled token (NaN elsewhere). */
export async function ratiosAfterUpdate(policy: Policy, trajs: readonly Trajectory[]): Promise<number[][]> {
  const batch = makeBatch(trajs, policy.cfg.contextLen, true);
  try {
    const logp = tf.tidy(
      () => policy.scoreTokens(batch.tokens, { select: batch.hostMask, hostTokens: batch.hostTokens }).logp,
    );
    const data = await logp.data();
    logp.dispose();
    const T = batch.length;
    return trajs.map((t, b) =>
      t.ids.map((_, i) => (i > 0 && i < T && t.gen[i] ? Math.exp(data[b * T + i - 1] - t.logp[i]) : NaN)),
    );
  } finally {
    batch.dispose();
  }
}

/** Greedy answers of each labelled policy (base, then current) to held-out question `index` (wrapping around). */
export async function compareAnswers(
  b: EvalSetup,
  index: number,
  sides: readonly (readonly [label: string, policy: Policy])[],
): Promise<CompareResult> {
  const item = b.evalItems[((index % b.evalItems.length) + b.evalItems.length) % b.evalItems.length];
  const out = [];
  for (const [label, policy] of sides) {
    const env = new RolloutEnv(policy, b.tokenizer, b.retriever, b.cfg.rollout);
    const [t] = await env.run([item], new Rng(b.cfg.seed), { greedy: true });
    out.push({
      label,
      ids: t.ids,
      roles: t.roles,
      gen: t.gen,
      promptLen: t.promptLen,
      answer: t.answer,
      em: computeReward(t.response, item.golden_answers, 'em', t.answer).em,
      queries: t.searches.filter((s) => s.executed).map((s) => s.query),
    });
  }
  return { question: item.question, golden: item.golden_answers, sides: out };
}

/** `policy`'s greedy exact match on the held-out questions (64 rollouts at a time), as the curve's point at `step`. */
export async function heldOutPoint(b: EvalSetup, policy: Policy, step: number): Promise<EvalPoint> {
  const env = new RolloutEnv(policy, b.tokenizer, b.retriever, b.cfg.rollout);
  const { summary } = await evaluate(env, b.evalItems, new Rng(b.cfg.seed), 64);
  return { step, em: summary.em, emByHops: summary.emByHops, n: summary.n };
}
