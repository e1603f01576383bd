/**
 * Host-side sampling from next-token probabilities downloaded from the model.
 * tf.multinomial is avoided on purpose: on webgpu its first sample of row 0 is always index 0 (tfjs#8057).
 * Pure functions over Float32Array; the randomness comes from an explicit Rng.
 */
import type { Rng } from './rng';

export interface SamplingOptions {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = no truncation. */
  topP: number;
  /** Token ids that may never be sampled (e.g. <pad>, <bos>). */
  banned?: readonly number[];
}

/** Index of the largest value in probs[offset, offset+size); ties go to the lowest index. */
export function argmax(probs: Float32Array, offset: number, size: number): number {
  let best = 0;
  let bestP = -Infinity;
  for (let v = 0; v < size; v++) {
    const p = probs[offset + v];
    if (p > bestP) {
      bestP = p;
      best = v;
    }
  }
  return best;
}

/**
 * The distribution actually sampled from: p^(1/T) renormalised, then restricted to the smallest set of
 * most-likely tokens whose mass reaches topP (Holtzman et al. 2020), renormalised again.
 */
export function adjustedDistribution(
  probs: Float32Array,
  offset: number,
  size: number,
  opts: SamplingOptions,
): Float64Array {
  const out = new Float64Array(size);
  const invT = 1 / Math.max(opts.temperature, 1e-6);
  // (p / p_max)^(1/T): the same distribution after renormalising, without underflow at low temperatures.
  let pMax = 0;
  for (let v = 0; v < size; v++) pMax = Math.max(pMax, probs[offset + v]);
  let total = 0;
  for (let v = 0; v < size; v++) {
    const p = Math.max(probs[offset + v], 0);
    const q = invT === 1 ? p : Math.pow(p / pMax, invT);
    out[v] = q;
    total += q;
  }
  for (const b of opts.banned ?? []) {
    total -= out[b];
    out[b] = 0;
  }
  if (!(total > 0)) throw new Error('sampling: the distribution has no mass');
  for (let v = 0; v < size; v++) out[v] /= total;
  if (opts.topP < 1) {
    const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => out[b] - out[a] || a - b);
    let mass = 0;
    let cut = order.length;
    for (let i = 0; i < order.length; i++) {
      mass += out[order[i]];
      if (mass >= opts.topP) {
        cut = i + 1;
        break;
      }
    }
    let kept = 0;
    for (let i = cut; i < order.length; i++) out[order[i]] = 0;
    for (let i = 0; i < cut; i++) kept += out[order[i]];
    for (let i = 0; i < cut; i++) out[order[i]] /= kept;
  }
  return out;
}

/** Sample one token id for the row starting at `offset`. */
export function sampleToken(
  probs: Float32Array,
  offset: number,
  size: number,
  opts: SamplingOptions,
  rng: Rng,
): number {
  if (opts.temperature <= 0) {
    if (!opts.banned?.length) return argmax(probs, offset, size);
    const copy = probs.slice(offset, offset + size);
    for (const b of opts.banned) copy[b] = -1;
    return argmax(copy, 0, size);
  }
  const dist = adjustedDistribution(probs, offset, size, opts);
  const u = rng.next();
  let acc = 0;
  let last = 0;
  for (let v = 0; v < size; v++) {
    if (dist[v] <= 0) continue;
    acc += dist[v];
    last = v;
    if (u < acc) return v;
  }
  return last;
}
