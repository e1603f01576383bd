/**
 * The copy head's question pool (ModelConfig.queryPool): which positions' word embeddings the pointer query averages.
 * A position is pooled when its token is a word (id ≥ copyFrom) read outside every tag span (tag state 0, tagstate.ts;
 * every position is outside when the model has no tag states): the prompt's words, the question's among them, and
 * not the query, the retrieved passages or the answer. Bookkeeping over token ids, shared by scoring (a [B, T, T]
 * averaging matrix, from host ids or, for callers without them, on the device) and KV-cache decoding (one weight
 * row per fed row).
 */
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, firstCopyId } from './config';
import { atLeast } from './layers';
import { deviceTagStates, hostTagStates } from './tagstate';

/** 1 where a position is pooled, for B rows of T ids (row-major, flat [B·T]). */
export function hostPoolFlags(ids: ArrayLike<number>, B: number, T: number, cfg: ModelConfig): Uint8Array {
  const copyFrom = firstCopyId(cfg);
  const states = cfg.tagSpans ? hostTagStates(ids, B, T, cfg.tagSpans) : null;
  return Uint8Array.from({ length: B * T }, (_, i) =>
    ids[i] >= copyFrom && (!states || states[i] === 0) ? 1 : 0,
  );
}

/** Whether one token, read in tag state `state` (the state after it), is pooled. */
export function pooled(cfg: ModelConfig, id: number, state: number): boolean {
  return id >= firstCopyId(cfg) && state === 0;
}

/**
 * Averaging weights [B·T·T]: row (b, t) holds 1/n at the pooled positions i ≤ t of row b (n of them), 0 elsewhere
 * (all 0 while none is pooled yet). Causal: position t averages only what it has read.
 */
export function hostPoolMatrix(flags: Uint8Array, B: number, T: number): Float32Array {
  const m = new Float32Array(B * T * T);
  const at: number[] = [];
  for (let b = 0; b < B; b++) {
    at.length = 0;
    for (let t = 0; t < T; t++) {
      if (flags[b * T + t]) at.push(t);
      const base = (b * T + t) * T;
      for (const i of at) m[base + i] = 1 / at.length;
    }
  }
  return m;
}

/** The same averaging matrix [B, T, T] from device ids [B, T], for callers without a host copy. Call inside a tidy. */
export function devicePoolMatrix(tokens: tf.Tensor2D, cfg: ModelConfig): tf.Tensor3D {
  const [B, T] = tokens.shape;
  let flags = atLeast(tokens, firstCopyId(cfg)); // [B, T]
  if (cfg.tagSpans)
    flags = flags.mul(tf.step(tf.scalar(0.5).sub(deviceTagStates(tokens, cfg.tagSpans).cast('float32')))); // state 0
  const upper = new Float32Array(T * T); // [T(i), T(t)] 1 where i ≤ t
  for (let i = 0; i < T; i++) for (let t = i; t < T; t++) upper[i * T + t] = 1;
  const n = tf.matMul(flags, tf.tensor2d(upper, [T, T])); // [B, T] pooled positions ≤ t
  const inv = tf.div(1, tf.maximum(n, 1)).reshape([B, T, 1]); // [B, T, 1]
  const lower = tf.tensor2d(upper, [T, T]).transpose().reshape([1, T, T]); // [1, T(t), T(i)] 1 where i ≤ t
  return lower.mul(flags.reshape([B, 1, T])).mul(inv) as tf.Tensor3D; // [B, T, T]
}
