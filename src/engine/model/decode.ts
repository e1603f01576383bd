/**
 * KV-cache decoding, batched over rows, with static shapes (fixed-size caches, chunks padded to a few buckets).
 * Owns: the DecodeState (device caches + host copy of each row's tokens, length and tag state) and one feed step
 * that appends tokens to some rows and returns their next-token distributions (vocabulary softmax mixed with the copy
 * head; the copy scatter happens on the host). Does not know sampling, stop rules or the rollout loop.
 *
 * Cache writes (cachewrite.ts) leave rows that are not fed untouched. Attention and the copy head read only the first
 * W cache slots, W the smallest multiple of READ_STEP (capped at contextLen) that holds every fed row: rollouts are
 * mostly far shorter than the context, and slots past a row's last token are masked anyway, so the result is the
 * same at a fraction of the work. Every call has the same shapes for a given chunk bucket and W. Copy continuation
 * (copyNext) takes its rule from continuation.ts.
 * Exactly one GPU→CPU readback per feed (await data()).
 */
import * as tf from '@tensorflow/tfjs';
import {
  type ModelConfig,
  chunkBuckets,
  firstCopyId,
  firstNameId,
  headDim,
  keyAhead,
  keyContext,
  pointerDim,
} from './config';
import { bucketLength } from '../batch';
import { NEG_BIG, batchedMatMul, layerNorm, linear, swapLast } from './layers';
import { planWrite, writeKeys, writeRows, writeValues } from './cachewrite';
import { markContinuations } from './continuation';
import { mlp } from './forward';
import { nextTagState, QuestionWords, tagTransitions } from './tagstate';
import { aheadWeightName, keyWeightName, type Weights } from './params';
import { pooled } from './pool';

/** Step of the number of cache slots a feed reads (few distinct shapes: WebGPU compiles a shader per shape). */
export const READ_STEP = 32;

/** Cache slots a feed reads when its longest fed row will hold n ≥ 1 tokens. */
export function slotsRead(cfg: ModelConfig, n: number): number {
  return bucketLength(n, cfg.contextLen, READ_STEP);
}

export class DecodeState {
  /** Tokens already in each row's cache (= position of the next token). */
  readonly lengths: Int32Array;
  /** Host copy of every row's tokens, [batch × contextLen] (the copy head scatters onto these ids). */
  readonly tokens: Int32Array;
  /** Tag state after each row's last token (tagstate.ts; stays 0 without cfg.tagSpans), advanced token by token. */
  readonly tagStates: Int32Array;
  /** 1 at each row's slots that the copy query's question pool averages (pool.ts; cfg.queryPool only). */
  readonly pooled: Uint8Array;
  /** Tag state of every slot, [batch × contextLen] (cfg.copyNext only: a continuation comes from another tag state). */
  readonly slotTags: Int32Array;
  /** Input state of every slot (tagstate.ts hostInputStates), [batch × contextLen] (cfg.keyStates only). */
  readonly slotInputs: Int32Array;
  /** Per layer: keys [B, H, dh, C] (pre-transposed so q·K is a plain matMul) and values [B, H, C, dh]. */
  kCache: tf.Tensor[];
  vCache: tf.Tensor[];
  /** Pointer keys [B, C, P] (null without the pointer head). */
  pkCache: tf.Tensor | null;
  private disposed = false;

  constructor(
    readonly cfg: ModelConfig,
    readonly batch: number,
  ) {
    const H = cfg.nHeads;
    const C = cfg.contextLen;
    this.lengths = new Int32Array(batch);
    this.tokens = new Int32Array(batch * C);
    this.tagStates = new Int32Array(batch);
    this.pooled = new Uint8Array(cfg.queryPool ? batch * C : 0);
    this.slotTags = new Int32Array(cfg.copyNext ? batch * C : 0);
    this.slotInputs = new Int32Array(cfg.keyStates ? batch * C : 0);
    const zeros = (shape: number[]) => tf.keep(tf.zeros(shape));
    this.kCache = Array.from({ length: cfg.nLayers }, () => zeros([batch, H, headDim(cfg), C]));
    this.vCache = Array.from({ length: cfg.nLayers }, () => zeros([batch, H, C, headDim(cfg)]));
    this.pkCache = cfg.pointer ? zeros([batch, C, pointerDim(cfg)]) : null;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Replace the caches (the old tensors are freed). */
  swapCaches(k: tf.Tensor[], v: tf.Tensor[], pk: tf.Tensor | null): void {
    tf.dispose([...this.kCache, ...this.vCache]);
    if (this.pkCache) this.pkCache.dispose();
    this.kCache = k;
    this.vCache = v;
    this.pkCache = pk;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([...this.kCache, ...this.vCache]);
    if (this.pkCache) this.pkCache.dispose();
  }
}

export interface FeedRow {
  row: number;
  tokens: number[];
}

/** Host-side inputs of one feed step, all padded to S tokens per row and W cache slots. */
interface ChunkInputs {
  S: number;
  /** Cache slots read (slotsRead): every fed row's last position is below W. */
  W: number;
  ids: Int32Array; // [B·S]
  prevIds: Int32Array[]; // [keyContext][B·S] token o slots before each slot (for the pointer keys)
  prevOk: Float32Array[]; // [keyContext][B·S] 0 where position − o < 0 (no such token)
  prevStates: Int32Array[] | null; // [keyContext][B·S] input state of the token o slots before (cfg.keyStates only)
  pos: Int32Array; // [B·S] absolute position, clamped to C−1 on padding
  tags: Int32Array; // [B·S] input state of each slot's token (tagstate.ts; 0 on padding; cfg.tagSpans only)
  tagEnd: Int32Array; // [B] tag state after the row's last fed token (committed with the lengths)
  write: Float32Array; // [B·S] 1 for real tokens of fed rows
  writeIdx: Int32Array; // [B·C] source slot of each cache slot in concat(cache, chunk): c, or C + (c − len_b) where written
  lastIdx: Int32Array; // [B] flat index b·S + (n_b − 1) (0 for rows not fed)
  lastPos: Int32Array; // [B] position of the row's last token
  attnBias: Float32Array; // [B·S·W] 0 where cache slot c ≤ pos, −1e9 elsewhere
  ptrBias: Float32Array; // [B·W] 0 where c ≤ lastPos, −1e9 elsewhere
  /** Every row's first W tokens after this chunk [B·W] (0 past the end), when the copy head reads slot embeddings. */
  allIds: Int32Array | null;
  /** [B·W] 1 where slot c ≤ lastPos (keyAhead: a token ahead counts only once read). */
  slotOk: Float32Array | null;
  /** [B·W] question-pool weights: 1/n at the row's pooled slots ≤ lastPos (queryPool). */
  poolW: Float32Array | null;
  /**
   * [B·W] 1 at slots j ≤ lastPos whose previous token equals the row's last token, a word, and whose tag state is not
   * the last token's (copyNext).
   */
  next: Float32Array | null;
}

export function validateRows(state: DecodeState, rows: FeedRow[]): void {
  const C = state.cfg.contextLen;
  const seen = new Set<number>();
  for (const { row, tokens } of rows) {
    if (!Number.isInteger(row) || row < 0 || row >= state.batch) throw new Error(`feed: bad row ${row}`);
    if (seen.has(row)) throw new Error(`feed: row ${row} listed twice`);
    seen.add(row);
    if (tokens.length === 0) throw new Error(`feed: row ${row} has no tokens`);
    if (state.lengths[row] + tokens.length > C) {
      throw new Error(
        `feed: row ${row} would hold ${state.lengths[row] + tokens.length} > contextLen ${C} tokens`,
      );
    }
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= state.cfg.vocabSize)
        throw new Error(`feed: bad token id ${t}`);
    }
  }
}

/** Smallest bucket that holds n tokens. */
export function bucketFor(cfg: ModelConfig, n: number): number {
  const b = chunkBuckets(cfg).find((s) => s >= n);
  if (b === undefined) throw new Error(`feed: chunk of ${n} tokens exceeds contextLen ${cfg.contextLen}`);
  return b;
}

/** A row's question words (cfg.questionMatch) from the tokens already in its cache, re-read from the start. */
function questionWordsOf(state: DecodeState, row: number, table: Int32Array): QuestionWords {
  const q = new QuestionWords(state.cfg);
  const C = state.cfg.contextLen;
  let tag = 0;
  for (let p = 0; p < state.lengths[row]; p++) {
    const id = state.tokens[row * C + p];
    tag = nextTagState(table, tag, id);
    q.see(id, tag);
  }
  return q;
}

/** Build the padded host inputs and append the tokens to the host copy (lengths are advanced by the caller). */
export function buildChunk(state: DecodeState, rows: FeedRow[]): ChunkInputs {
  const B = state.batch;
  const C = state.cfg.contextLen;
  const S = bucketFor(state.cfg, Math.max(...rows.map((r) => r.tokens.length)));
  const W = slotsRead(state.cfg, Math.max(...rows.map((r) => state.lengths[r.row] + r.tokens.length)));
  const c: ChunkInputs = {
    S,
    W,
    ids: new Int32Array(B * S),
    prevIds: Array.from({ length: keyContext(state.cfg) }, () => new Int32Array(B * S)),
    prevOk: Array.from({ length: keyContext(state.cfg) }, () => new Float32Array(B * S)),
    prevStates: state.cfg.keyStates
      ? Array.from({ length: keyContext(state.cfg) }, () => new Int32Array(B * S))
      : null,
    pos: new Int32Array(B * S),
    tags: new Int32Array(B * S),
    tagEnd: Int32Array.from(state.tagStates),
    write: new Float32Array(B * S),
    writeIdx: new Int32Array(B * C),
    lastIdx: new Int32Array(B),
    lastPos: new Int32Array(B),
    attnBias: new Float32Array(B * S * W),
    ptrBias: new Float32Array(B * W),
    allIds: null,
    slotOk: null,
    poolW: null,
    next: null,
  };
  for (let b = 0; b < B; b++)
    for (let i = 0; i < S; i++) c.pos[b * S + i] = Math.min(state.lengths[b] + i, C - 1);
  for (let b = 0; b < B; b++) for (let j = 0; j < C; j++) c.writeIdx[b * C + j] = j;
  const table = state.cfg.tagSpans ? tagTransitions(state.cfg.tagSpans) : null;
  for (const { row, tokens } of rows) {
    const len = state.lengths[row];
    let tag = state.tagStates[row];
    const question = table && state.cfg.questionMatch ? questionWordsOf(state, row, table) : null;
    for (let i = 0; i < tokens.length; i++) {
      const k = row * S + i;
      const p = len + i;
      c.ids[k] = tokens[i];
      // state.tokens already holds this row's earlier tokens, those of this chunk included (written below)
      for (let o = 1; o <= c.prevIds.length; o++) {
        c.prevIds[o - 1][k] = p >= o ? state.tokens[row * C + p - o] : 0;
        c.prevOk[o - 1][k] = p >= o ? 1 : 0;
        if (c.prevStates) c.prevStates[o - 1][k] = p >= o ? state.slotInputs[row * C + p - o] : 0;
      }
      c.write[k] = 1;
      c.writeIdx[row * C + p] = C + i;
      state.tokens[row * C + p] = tokens[i];
      if (table) c.tags[k] = tag = nextTagState(table, tag, tokens[i]);
      if (question) {
        c.tags[k] = question.input(tokens[i], tag);
        question.see(tokens[i], tag);
      }
      if (state.cfg.keyStates) state.slotInputs[row * C + p] = c.tags[k];
      if (state.cfg.queryPool) state.pooled[row * C + p] = pooled(state.cfg, tokens[i], tag) ? 1 : 0;
      if (state.cfg.copyNext) state.slotTags[row * C + p] = tag;
    }
    c.tagEnd[row] = tag;
    c.lastIdx[row] = row * S + tokens.length - 1;
    c.lastPos[row] = len + tokens.length - 1;
  }
  // Rows not fed may hold more than W tokens: their outputs are discarded, and min() keeps the fills in range.
  for (let k = 0; k < B * S; k++) c.attnBias.fill(NEG_BIG, k * W + Math.min(c.pos[k] + 1, W), (k + 1) * W);
  const copyFrom = firstCopyId(state.cfg);
  const lastIn = (b: number) => Math.min(c.lastPos[b], W - 1); // a row's last slot among those read
  if (state.cfg.pointer && (keyAhead(state.cfg) > 0 || state.cfg.queryPool || state.cfg.copyGate)) {
    c.allIds = new Int32Array(B * W);
    for (let b = 0; b < B; b++) c.allIds.set(state.tokens.subarray(b * C, b * C + W), b * W);
    c.slotOk = new Float32Array(B * W);
    for (let b = 0; b < B; b++) c.slotOk.fill(1, b * W, b * W + lastIn(b) + 1);
  }
  if (state.cfg.pointer && state.cfg.queryPool) {
    c.poolW = new Float32Array(B * W);
    for (const { row } of rows) {
      let n = 0;
      for (let j = 0; j <= c.lastPos[row]; j++) n += state.pooled[row * C + j];
      for (let j = 0; j <= c.lastPos[row]; j++) if (state.pooled[row * C + j]) c.poolW[row * W + j] = 1 / n;
    }
  }
  if (state.cfg.pointer && state.cfg.copyNext) {
    c.next = new Float32Array(B * W); // the row of each fed row's last token in continuation.ts hostNextMask
    for (const { row } of rows)
      markContinuations(state.tokens, state.slotTags, row * C, c.lastPos[row], copyFrom, c.next, row * W);
  }
  for (let b = 0; b < B; b++) {
    c.ptrBias.fill(NEG_BIG, b * W + lastIn(b) + 1, (b + 1) * W);
    if (copyFrom > 0)
      for (let j = 0; j <= lastIn(b); j++)
        if (state.tokens[b * C + j] < copyFrom) c.ptrBias[b * W + j] = NEG_BIG; // tags are never copied
  }
  return c;
}

/**
 * The device part of one feed: runs the chunk through the trunk, writes the caches and returns the packed output
 * [B, V (+ W + 1)] = vocabulary softmax, pointer attention over the W cache slots read and the gate (pointer only).
 */
export function feedTensors(
  w: Weights,
  cfg: ModelConfig,
  state: DecodeState,
  c: ChunkInputs,
): { out: tf.Tensor2D; k: tf.Tensor[]; v: tf.Tensor[]; pk: tf.Tensor | null } {
  const B = state.batch;
  const { S, W } = c;
  const C = cfg.contextLen;
  // The first W slots of a cache whose slot axis is `axis` (a plain copy; nothing when W = C).
  const firstSlots = (t: tf.Tensor, axis: number) =>
    W === C
      ? t
      : t.slice(
          new Array<number>(t.rank).fill(0),
          t.shape.map((d, i) => (i === axis ? W : d)),
        );
  const D = cfg.dModel;
  const H = cfg.nHeads;
  const dh = headDim(cfg);
  const ids = tf.tensor2d(c.ids, [B, S], 'int32'); // [B, S]
  const pos = tf.tensor2d(c.pos, [B, S], 'int32'); // [B, S]
  const lastIdx = tf.tensor1d(c.lastIdx, 'int32'); // [B]
  const e = tf.gather(w.tok_emb, ids); // [B, S, D]
  let x = e.add(tf.gather(w.pos_emb, pos)); // [B, S, D]
  if (cfg.tagSpans) x = x.add(tf.gather(w.tag_emb, tf.tensor2d(c.tags, [B, S], 'int32'))); // [B, S, D] as in trunk()
  const wr = planWrite(S, C, c.pos, c.write, c.writeIdx); // how this feed writes the caches
  const mask = tf.tensor4d(c.attnBias, [B, 1, S, W]); // [B, 1, S, W] 0 / −1e9
  const k: tf.Tensor[] = [];
  const v: tf.Tensor[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = layerNorm(x, w[`l${l}.ln1_g`], w[`l${l}.ln1_b`]); // [B, S, D]
    const [qn, kn, vn] = tf.split(linear(h, w[`l${l}.w_qkv`], w[`l${l}.b_qkv`]), 3, -1); // 3 × [B, S, D]
    k.push(writeKeys(state.kCache[l], kn, H, wr)); // [B, H, dh, C]
    v.push(writeValues(state.vCache[l], vn, H, wr)); // [B, H, C, dh]
    const q = qn.reshape([B, S, H, dh]).transpose([0, 2, 1, 3]); // [B, H, S, dh]
    // Chunks: batched products split into 2-D ones on wasm (layers.ts); single tokens: the batched kernel is cheaper.
    const bmm = S === 1 ? tf.matMul : batchedMatMul;
    const scores = bmm(q, firstSlots(k[l], 3))
      .mul(1 / Math.sqrt(dh))
      .add(mask); // [B, H, S, W]
    const o = bmm(tf.softmax(scores), firstSlots(v[l], 2)).transpose([0, 2, 1, 3]).reshape([B, S, D]); // [B, S, D]
    x = x.add(linear(o, w[`l${l}.w_o`], w[`l${l}.b_o`])); // [B, S, D]
    x = x.add(mlp(w, l, layerNorm(x, w[`l${l}.ln2_g`], w[`l${l}.ln2_b`]))); // [B, S, D]
  }
  const hf = layerNorm(x, w.lnf_g, w.lnf_b); // [B, S, D]
  const hl = tf.gather(hf.reshape([B * S, D]), lastIdx); // [B, D]
  const logits = tf.matMul(hl, swapLast(w.tok_emb)).add(w.out_bias); // [B, V] (plain matMul: transposeB is slow on wasm)
  const pv = tf.softmax(logits) as tf.Tensor2D; // [B, V]
  if (!cfg.pointer || !state.pkCache) return { out: pv, k, v, pk: null };

  const P = pointerDim(cfg);
  let pkNew = linear(hf, w['ptr.wk_h']); // [B, S, P]
  c.prevIds.forEach((ids, i) => {
    let ePrev = tf.gather(w.tok_emb, tf.tensor2d(ids, [B, S], 'int32')); // [B, S, D]: e(x_{j−o}), o = i + 1
    // + tag_emb[s_{j−o}] with cfg.keyStates
    if (c.prevStates) ePrev = ePrev.add(tf.gather(w.tag_emb, tf.tensor2d(c.prevStates[i], [B, S], 'int32')));
    ePrev = ePrev.mul(tf.tensor3d(c.prevOk[i], [B, S, 1])); // [B, S, D], 0 before the row's start
    pkNew = pkNew.add(linear(ePrev, w[keyWeightName(i + 1)])); // [B, S, P]
  });
  const pk = writeRows(state.pkCache, pkNew, wr); // [B, C, P]
  const pkw = firstSlots(pk, 1); // [B, W, P]
  const el = tf.gather(e.reshape([B * S, D]), lastIdx); // [B, D]
  let q = linear(hl, w['ptr.wq_h']).add(linear(el, w['ptr.wq_e'])); // [B, P]
  // Embeddings of every slot, for the question pool and the keys' tokens ahead (forward.ts pointerTerms).
  const eAll = c.allIds ? tf.gather(w.tok_emb, tf.tensor2d(c.allIds, [B, W], 'int32')) : null; // [B, W, D]
  if (c.poolW && eAll) {
    const pool = tf.matMul(tf.tensor3d(c.poolW, [B, 1, W]), eAll).reshape([B, D]); // [B, D]
    q = q.add(linear(pool, w['ptr.wq_q'])); // [B, P]
  }
  let raw = tf.matMul(pkw, q.reshape([B, P, 1])).reshape([B, W]); // [B, W]
  for (let a = 1; a <= keyAhead(cfg) && eAll; a++) {
    const u = tf.matMul(q, swapLast(w[aheadWeightName(a)])); // q A_aᵀ: [B, D]
    const ahead = tf
      .matMul(eAll, u.reshape([B, D, 1]))
      .reshape([B, W])
      .mul(tf.tensor2d(c.slotOk!, [B, W])); // q · e(x_s) A_a at slot s, 0 past the last token read: [B, W]
    raw = raw.add(tf.concat([ahead.slice([0, a], [B, W - a]), tf.zeros([B, a])], 1)); // key j reads slot j + a
  }
  let sc = raw.mul(1 / Math.sqrt(P)).add(tf.tensor2d(c.ptrBias, [B, W])); // [B, W]
  if (c.next) sc = sc.add(tf.tensor2d(c.next, [B, W]).mul(linear(hl, w['ptr.w_next'], w['ptr.b_next']))); // as pointerTerms
  const a = tf.softmax(sc); // [B, W]
  let z = linear(hl, w['ptr.w_gate'], w['ptr.b_gate']); // [B, 1]
  if (cfg.copyGate && eAll && c.allIds) {
    const first = firstNameId(cfg);
    const isName = tf.tensor3d(
      Float32Array.from(c.allIds, (id) => (id >= first ? 1 : 0)),
      [B, W, 1],
    ); // [B, W, 1]
    const a3 = a.reshape([B, 1, W]);
    const seen = tf.concat([tf.matMul(a3, eAll), tf.matMul(a3, isName)], -1).reshape([B, D + 1]); // [B, D + 1]
    z = z.add(linear(seen, w['ptr.w_gate_c'])); // as in forward.ts pointerTerms
  }
  const g = tf.sigmoid(z); // [B, 1]
  return { out: tf.concat([pv, a, g], 1) as tf.Tensor2D, k, v, pk }; // [B, V + W + 1]
}

/**
 * Host mixing: probs[row] = g·p_vocab + (1 − g)·scatter(a, row tokens); rows not fed stay 0. W: the slots the feed
 * read (the copy attention's width in `packed`).
 */
export function mixOnHost(
  state: DecodeState,
  rows: FeedRow[],
  packed: Float32Array,
  W: number,
): Float32Array {
  const V = state.cfg.vocabSize;
  const C = state.cfg.contextLen;
  const width = state.cfg.pointer ? V + W + 1 : V;
  const probs = new Float32Array(state.batch * V);
  for (const { row } of rows) {
    const base = row * width;
    const outBase = row * V;
    if (!state.cfg.pointer) {
      probs.set(packed.subarray(base, base + V), outBase);
      continue;
    }
    const g = packed[base + V + W];
    for (let i = 0; i < V; i++) probs[outBase + i] = g * packed[base + i];
    const len = state.lengths[row];
    const copyFrom = firstCopyId(state.cfg);
    for (let j = 0; j < len; j++) {
      const tok = state.tokens[row * C + j];
      if (tok >= copyFrom) probs[outBase + tok] += (1 - g) * packed[base + V + j];
    }
  }
  return probs;
}

/** Append tokens to the listed rows; one readback. Validates before touching any state. */
export async function feedImpl(
  w: Weights,
  cfg: ModelConfig,
  state: DecodeState,
  rows: FeedRow[],
): Promise<Float32Array> {
  if (state.isDisposed) throw new Error('feed: DecodeState was disposed');
  if (state.cfg !== cfg && JSON.stringify(state.cfg) !== JSON.stringify(cfg)) {
    throw new Error('feed: DecodeState belongs to a model with another config');
  }
  if (rows.length === 0) return new Float32Array(state.batch * cfg.vocabSize);
  validateRows(state, rows);
  const chunk = buildChunk(state, rows);
  const L = cfg.nLayers;
  const kept = tf.tidy(() => {
    const r = feedTensors(w, cfg, state, chunk);
    return [r.out, ...r.k, ...r.v, ...(r.pk ? [r.pk] : [])];
  });
  const out = kept[0];
  state.swapCaches(kept.slice(1, 1 + L), kept.slice(1 + L, 1 + 2 * L), cfg.pointer ? kept[1 + 2 * L] : null);
  for (const { row, tokens } of rows) state.lengths[row] += tokens.length;
  state.tagStates.set(chunk.tagEnd);
  const packed = (await out.data()) as Float32Array;
  out.dispose();
  return mixOnHost(state, rows, packed, chunk.W);
}
