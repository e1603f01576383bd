/**
 * Held-out evaluation: greedy rollouts scored by exact match and token F1 (split by hops), and pass@k
 * from k sampled rollouts per question (the base's pass@k is what RL can amplify).
 * Golden answers are read here and in reward.ts only.
 */
import { computeReward, normalizeAnswer } from './reward';
import type { RolloutEnv, Trajectory } from './rollout';
import type { Rng } from './rng';
import type { QAItem } from './types';

export interface Prediction {
  id: string;
  question: string;
  prediction: string | null;
  golden_answers: string[];
  em: number;
  f1: number;
  hops?: number;
  searches: string[];
  trajectory: string;
}

export interface EvalSummary {
  em: number;
  f1: number;
  /** EM per hop count ("1", "2", …) where the data says. */
  emByHops: Record<string, number>;
  searchesPerQuestion: number;
  answered: number;
  n: number;
  /** Share of questions whose most common prediction covers. */
  topPredictionShare: number;
  topPrediction: string;
}

export function summarize(preds: readonly Prediction[]): EvalSummary {
  const n = preds.length || 1;
  const byHops = new Map<string, { em: number; n: number }>();
  const counts = new Map<string, number>();
  for (const p of preds) {
    const key = String(p.hops ?? 'all');
    const h = byHops.get(key) ?? { em: 0, n: 0 };
    h.em += p.em;
    h.n += 1;
    byHops.set(key, h);
    if (p.prediction !== null) {
      const answer = normalizeAnswer(p.prediction);
      counts.set(answer, (counts.get(answer) ?? 0) + 1);
    }
  }
  let top = '';
  let topCount = 0;
  for (const [a, c] of counts) if (c > topCount) [top, topCount] = [a, c];
  const emByHops: Record<string, number> = {};
  for (const [k, v] of byHops) emByHops[k] = v.em / v.n;
  return {
    em: preds.reduce((s, p) => s + p.em, 0) / n,
    f1: preds.reduce((s, p) => s + p.f1, 0) / n,
    emByHops,
    searchesPerQuestion: preds.reduce((s, p) => s + p.searches.length, 0) / n,
    answered: preds.filter((p) => p.prediction !== null).length / n,
    n: preds.length,
    topPredictionShare: topCount / n,
    topPrediction: top,
  };
}

function toPrediction(t: Trajectory): Prediction {
  const r = computeReward(t.response, t.item.golden_answers, 'em', t.answer);
  return {
    id: t.item.id,
    question: t.item.question,
    prediction: t.answer,
    golden_answers: t.item.golden_answers,
    em: r.em,
    f1: r.f1,
    hops: t.item.hops,
    searches: t.searches.filter((s) => s.executed).map((s) => s.query),
    trajectory: t.response,
  };
}

/** Greedy rollouts over `items` in batches of `batchSize`. */
export async function evaluate(
  env: Pick<RolloutEnv, 'run'>,
  items: readonly QAItem[],
  rng: Rng,
  batchSize = 64,
  onProgress?: (done: number, total: number) => void,
): Promise<{ summary: EvalSummary; predictions: Prediction[] }> {
  const predictions: Prediction[] = [];
  for (let i = 0; i < items.length; i += batchSize) {
    const trajs = await env.run(items.slice(i, i + batchSize), rng, { greedy: true });
    predictions.push(...trajs.map(toPrediction));
    onProgress?.(Math.min(i + batchSize, items.length), items.length);
  }
  return { summary: summarize(predictions), predictions };
}

/** pass@k: share of questions with at least one exact match among k sampled rollouts. */
export async function passAtK(
  env: Pick<RolloutEnv, 'run'>,
  items: readonly QAItem[],
  k: number,
  rng: Rng,
  batchSize = 128,
): Promise<number> {
  const perBatch = Math.max(1, Math.floor(batchSize / k));
  let hits = 0;
  for (let i = 0; i < items.length; i += perBatch) {
    const chunk = items.slice(i, i + perBatch);
    const rows = chunk.flatMap((q) => Array.from({ length: k }, () => q));
    const trajs = await env.run(rows, rng);
    for (let q = 0; q < chunk.length; q++) {
      const group = trajs.slice(q * k, (q + 1) * k);
      if (group.some((t) => computeReward(t.response, t.item.golden_answers, 'em', t.answer).em === 1))
        hits++;
    }
  }
  return items.length ? hits / items.length : 0;
}
