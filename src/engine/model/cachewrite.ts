/**
 * Writing a feed's new keys and values into the fixed-size KV caches without touching other slots, so every feed
 * has the same shapes for a given chunk bucket. Three routes, picked once per feed (planWrite):
 *   - single-token feeds on wasm: the SlotWrite kernel (wasm-kernels.ts) writes each row's slot in place;
 *   - other single-token feeds: a one-hot slot mask, cache·keep + x·wr (cheaper than a batched gather there);
 *   - chunks: gather(concat(cache, chunk), writeIdx) along the slot axis, where writeIdx [B, C] picks the old slot c
 *     or the chunk slot C + i: one copy of the cache, whatever S is (a one-hot matMul write costs B·D·S·C and
 *     dominated long observation chunks).
 * Knows nothing of the model: only cache layouts. Call inside a tidy.
 */
import * as tf from '@tensorflow/tfjs';
import { slotWrite, slotWriteAvailable } from '../wasm-kernels';

/** How one feed writes: exactly one of `slots` (SlotWrite kernel), `wr`/`keep` (one-hot mask) or `idx` (gather). */
export interface CacheWrite {
  /** int32 [B]: the slot each row writes (−1: none), for the SlotWrite kernel. */
  slots: tf.Tensor | null;
  /** [B, C] 1 at each fed row's slot, and keep = 1 − wr (one-hot route). */
  wr: tf.Tensor | null;
  keep: tf.Tensor | null;
  /** int32 [B·C]: flat source rows b·(C+S) + writeIdx[b, c] in concat(cache, chunk) (chunk route). */
  idx: tf.Tensor | null;
}

/**
 * The route for a feed of S tokens per row. pos [B·S]: each chunk slot's position; write [B·S]: 1 for real tokens
 * of fed rows; writeIdx [B·C]: source slot of each cache slot in concat(cache, chunk).
 */
export function planWrite(
  S: number,
  C: number,
  pos: Int32Array,
  write: Float32Array,
  writeIdx: Int32Array,
): CacheWrite {
  const B = pos.length / S;
  const none = { slots: null, wr: null, keep: null, idx: null };
  if (S === 1 && slotWriteAvailable())
    return {
      ...none,
      slots: tf.tensor1d(
        Int32Array.from(pos, (p, b) => (write[b] ? p : -1)),
        'int32',
      ),
    };
  if (S === 1) {
    const wr = tf
      .oneHot(tf.tensor1d(pos, 'int32'), C)
      .cast('float32')
      .mul(tf.tensor2d(write, [B, 1])); // [B, C]
    return { ...none, wr, keep: tf.scalar(1).sub(wr) };
  }
  const flat = new Int32Array(B * C);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) flat[b * C + c] = b * (C + S) + writeIdx[b * C + c];
  return { ...none, idx: tf.tensor1d(flat, 'int32') };
}

/** Attention keys: cache [B, H, dh, C] (pre-transposed), x [B, S, D] → [B, H, dh, C]. */
export function writeKeys(cache: tf.Tensor, x: tf.Tensor, H: number, w: CacheWrite): tf.Tensor {
  const [B, , dh, C] = cache.shape;
  if (w.slots) return slotWrite(cache, x.reshape([B, H, dh, 1]), w.slots, 3);
  if (w.wr && w.keep)
    return cache
      .mul(w.keep.reshape([B, 1, 1, C]))
      .add(x.reshape([B, H, dh, 1]).mul(w.wr.reshape([B, 1, 1, C])));
  const slots = cache.transpose([0, 3, 1, 2]).reshape([B, C, H * dh]); // [B, C, D]
  return gatherSlots(slots, x, w.idx!).reshape([B, C, H, dh]).transpose([0, 2, 3, 1]); // [B, H, dh, C]
}

/** Attention values: cache [B, H, C, dh], x [B, S, D] → [B, H, C, dh]. */
export function writeValues(cache: tf.Tensor, x: tf.Tensor, H: number, w: CacheWrite): tf.Tensor {
  const [B, , C, dh] = cache.shape;
  if (w.slots) return slotWrite(cache, x.reshape([B, H, 1, dh]), w.slots, 2);
  if (w.wr && w.keep)
    return cache
      .mul(w.keep.reshape([B, 1, C, 1]))
      .add(x.reshape([B, H, 1, dh]).mul(w.wr.reshape([B, 1, C, 1])));
  const slots = cache.transpose([0, 2, 1, 3]).reshape([B, C, H * dh]); // [B, C, D]
  return gatherSlots(slots, x, w.idx!).reshape([B, C, H, dh]).transpose([0, 2, 1, 3]); // [B, H, C, dh]
}

/** Slot-major rows (the copy head's keys): cache [B, C, P], x [B, S, P] → [B, C, P]. */
export function writeRows(cache: tf.Tensor, x: tf.Tensor, w: CacheWrite): tf.Tensor {
  const [B, C, P] = cache.shape;
  if (w.slots) return slotWrite(cache, x.reshape([B, 1, P]), w.slots, 1);
  if (w.wr && w.keep)
    return cache.mul(w.keep.reshape([B, C, 1])).add(x.reshape([B, 1, P]).mul(w.wr.reshape([B, C, 1])));
  return gatherSlots(cache, x, w.idx!);
}

/**
 * Rows of concat(cache, chunk) [B·(C+S), F] gathered by flat index. A plain axis-0 gather on purpose:
 * tfjs-backend-wasm 4.22's GatherV2 with batchDims = 1 returns wrong rows for b > 0.
 */
function gatherSlots(slots: tf.Tensor, x: tf.Tensor, flatIdx: tf.Tensor): tf.Tensor {
  const [B, C, F] = slots.shape;
  const S = x.shape[1] as number;
  const src = tf.concat([slots, x.reshape([B, S, F])], 1).reshape([B * (C + S), F]); // [B·(C+S), F]
  return tf.gather(src, flatIdx).reshape([B, C, F]); // [B, C, F]
}
