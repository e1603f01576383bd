/**
 * Copy continuation (ModelConfig.copyNext): which key positions continue the token a query position just wrote.
 * Key j continues query t when 1 ≤ j ≤ t, tokens[j − 1] = tokens[t], that token is a word (id ≥ copyFrom), and j's
 * tag state differs from t's (tagstate.ts), so a query or an answer continues what it copies from the question or a
 * passage, never its own words (which would loop: "country country country").
 * One host rule (markContinuations) serves scoring (hostNextMask) and KV-cache decoding (decode.ts buildChunk); the
 * device version computes the same mask for callers without host ids.
 */
import * as tf from '@tensorflow/tfjs';
import { atLeast, shiftRight } from './layers';
import { deviceTagStates, hostTagStates } from './tagstate';

/**
 * Sets out[outAt + j] = 1 for every key j (1 ≤ j ≤ t) that continues query t of one row, whose ids and tag states
 * start at `at` in `ids` / `states`. Leaves every other entry as it is.
 */
export function markContinuations(
  ids: ArrayLike<number>,
  states: ArrayLike<number>,
  at: number,
  t: number,
  copyFrom: number,
  out: Float32Array,
  outAt: number,
): void {
  const cur = ids[at + t];
  if (cur < copyFrom) return;
  const st = states[at + t];
  for (let j = 1; j <= t; j++) if (ids[at + j - 1] === cur && states[at + j] !== st) out[outAt + j] = 1;
}

/** The mask [B, T(query), T(key)]: 1 where key j continues query t, 0 elsewhere. From host ids. */
export function hostNextMask(
  ids: ArrayLike<number>,
  B: number,
  T: number,
  copyFrom: number,
  spans: readonly (readonly number[])[],
): tf.Tensor3D {
  if (ids.length !== B * T)
    throw new Error(`scoreTokens: hostTokens has ${ids.length} entries, expected ${B * T}`);
  const states = hostTagStates(ids, B, T, spans);
  const m = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) markContinuations(ids, states, b * T, t, copyFrom, m, (b * T + t) * T);
  return tf.tensor3d(m, [B, T, T]);
}

/** The same mask from device ids, in float arithmetic (compares through step, as atLeast does). */
export function deviceNextMask(
  tokens: tf.Tensor2D,
  copyFrom: number,
  spans: readonly (readonly number[])[],
): tf.Tensor {
  const [B, T] = tokens.shape;
  const pairs = (q: tf.Tensor, k: tf.Tensor) => ({
    q: tf.tile(q.reshape([B, T, 1]), [1, 1, T]), // along the query axis: [B, T, T]
    k: tf.tile(k.reshape([B, 1, T]), [1, T, 1]), // along the key axis: [B, T, T]
  });
  const f = tokens.cast('float32'); // [B, T]
  const ids = pairs(f, shiftRight(f)); // token t, token j − 1
  const same = tf.step(tf.scalar(0.5).sub(tf.abs(ids.q.sub(ids.k)))); // 1 where equal: [B, T, T]
  const st = deviceTagStates(tokens, spans).cast('float32'); // [B, T]
  const states = pairs(st, st);
  const otherSpan = tf.step(tf.abs(states.q.sub(states.k)).sub(0.5)); // 1 where the states differ: [B, T, T]
  const tri = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let j = 1; j <= t; j++) tri[t * T + j] = 1;
  let m = same.mul(otherSpan).mul(tf.tensor2d(tri, [T, T])); // 1 ≤ j ≤ t
  if (copyFrom > 0) m = m.mul(tf.tile(atLeast(tokens, copyFrom).reshape([B, T, 1]), [1, 1, T]));
  return m; // [B, T, T]
}
