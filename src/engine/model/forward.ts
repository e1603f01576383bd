/**
 * Full causal forward pass and the differentiable scoring head (scoreTokens).
 * Owns: the transformer trunk over whole rows, log p(next token) under the vocabulary ⊕ copy mixture, and the
 * entropy term. Does not know about KV caches (decode.ts), variables' lifetimes (policy.ts) or training.
 *
 * Next-token distribution (SEARCH-R1.md §3, second prototype, pointer-generator style):
 *   p(v | ≤t) = g_t · softmax(E h_t + b)_v + (1 − g_t) · Σ_{j≤t} a_{t,j} [token_j = v]
 *   a_t = softmax_j( q_t · k_j / √P ),  q_t = h_t Wq_h + e(token_t) Wq_e,  k_j = h_j Wk_h + e(token_{j−1}) Wk_e
 *   (+ e(token_{j−o}) Wk_eo for o ≤ keyContext; + e(token_{j+a}) A_a for a ≤ keyAhead where j + a ≤ t;
 *    + mean of the pooled words' embeddings · Wq_q in q_t with queryPool, pool.ts)
 *   (j ranges over the positions whose token may be copied: ids ≥ copyFrom, i.e. words, never tags)
 *   g_t = σ(h_t · w_g + b_g),  h = final-LayerNorm output,  E = tok_emb (tied output projection)
 *   (+ [Σ_j a_{t,j} e(token_j), Σ_j a_{t,j}·[token_j is a name]] · w_gc in g_t's logit with copyGate).
 *   (+ (h_t · w_next + b_next)·[token_{j−1} = token_t, tagState_j ≠ tagState_t] in a_t's scores with copyNext:
 *    go on copying where the token just written came from)
 * The copy mass of the target is Σ_j a_{t,j}·[token_j = target] from a [B, T, T] equality mask (no [B, T, V] one-hot),
 * combined in log space: log p = logsumexp(log g + log p_vocab, log(1 − g) + log copy).
 *
 * Entropy: the exact entropy of the mixture needs the scattered [B, T, V] distribution, so we return the cheap upper
 * bound that treats vocabulary and copy outcomes as distinct:  H(g) + g·H(p_vocab) + (1 − g)·H(a_t)  (≥ true entropy).
 * Without the pointer it is the plain softmax entropy.
 */
import * as tf from '@tensorflow/tfjs';
import {
  type ModelConfig,
  firstCopyId,
  firstNameId,
  headDim,
  keyAhead,
  keyContext,
  pointerDim,
} from './config';
import {
  NEG_BIG,
  atLeast,
  causalMask,
  embed,
  embedLookup,
  layerNorm,
  linear,
  logSigmoidPair,
  logSumExpLast,
  mm,
  shiftLeft,
  shiftRight,
  softmaxEntropy,
  swapLast,
} from './layers';
import { tagEmbedding } from './tagstate';
import { deviceNextMask, hostNextMask } from './continuation';
import { vocabLseEntropy } from './vocabhead';
import { aheadWeightName, keyWeightName, type Weights } from './params';
import { devicePoolMatrix, hostPoolFlags, hostPoolMatrix } from './pool';

/** Multi-head causal self-attention over full rows. h: [B, T, D], mask: [T, T] additive. */
function selfAttention(w: Weights, l: number, cfg: ModelConfig, h: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const [B, T, D] = h.shape;
  const H = cfg.nHeads;
  const dh = headDim(cfg);
  const qkv = linear(h, w[`l${l}.w_qkv`], w[`l${l}.b_qkv`]); // [B, T, 3D]
  const [q, k, v] = tf.split(qkv, 3, -1); // 3 × [B, T, D]
  const heads = (x: tf.Tensor) => x.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]); // [B, H, T, dh]
  const kT = k.reshape([B, T, H, dh]).transpose([0, 2, 3, 1]); // [B, H, dh, T]
  const scores = mm(heads(q), kT)
    .mul(1 / Math.sqrt(dh))
    .add(mask); // [B, H, T, T]
  const att = tf.softmax(scores); // [B, H, T, T]
  const o = mm(att, heads(v)).transpose([0, 2, 1, 3]).reshape([B, T, D]); // [B, T, D]
  return linear(o, w[`l${l}.w_o`], w[`l${l}.b_o`]); // [B, T, D]
}

/** Position-wise MLP with ReLU. x: [..., D]. */
export function mlp(w: Weights, l: number, x: tf.Tensor): tf.Tensor {
  const hidden = tf.relu(linear(x, w[`l${l}.w_1`], w[`l${l}.b_1`])); // [..., F]
  return linear(hidden, w[`l${l}.w_2`], w[`l${l}.b_2`]); // [..., D]
}

/**
 * Trunk over whole rows (positions 0..T-1). Returns the final-LN hidden states and the raw token embeddings.
 * Input x_t = tok_emb[token_t] + pos_emb[t] (+ tag_emb[state_t] with cfg.tagSpans, tagstate.ts); hostTokens, the
 * same ids on the host, only make the tag states cheaper. keyEmb, what the copy keys read of previous tokens: the token
 * embeddings, plus their tag-state embeddings with cfg.keyStates.
 */
export function trunk(
  w: Weights,
  cfg: ModelConfig,
  tokens: tf.Tensor2D,
  hostTokens?: ArrayLike<number>,
): { hf: tf.Tensor; emb: tf.Tensor; keyEmb: tf.Tensor } {
  const [, T] = tokens.shape;
  if (T > cfg.contextLen) throw new Error(`scoreTokens: T=${T} exceeds contextLen=${cfg.contextLen}`);
  const emb = embed(w.tok_emb as tf.Tensor2D, tokens); // [B, T, D]
  const pos = w.pos_emb.slice([0, 0], [T, cfg.dModel]); // [T, D]
  let x = emb.add(pos); // [B, T, D]
  let keyEmb = emb; // what the copy keys read of the tokens before a span
  if (cfg.tagSpans) {
    const tag = tagEmbedding(w, cfg, tokens, hostTokens); // [B, T, D]
    x = x.add(tag);
    if (cfg.keyStates) keyEmb = emb.add(tag); // [B, T, D]
  }
  const mask = causalMask(T); // [T, T]
  for (let l = 0; l < cfg.nLayers; l++) {
    const a = selfAttention(w, l, cfg, layerNorm(x, w[`l${l}.ln1_g`], w[`l${l}.ln1_b`]), mask);
    x = x.add(a); // [B, T, D]
    x = x.add(mlp(w, l, layerNorm(x, w[`l${l}.ln2_g`], w[`l${l}.ln2_b`]))); // [B, T, D]
  }
  return { hf: layerNorm(x, w.lnf_g, w.lnf_b), emb, keyEmb }; // [B, T, D] each
}

/** Host-side row selection for the vocabulary head: selected flat rows and, per row, 1 + its slot (0 = none). */
export interface RowSelection {
  selIdx: Int32Array; // [K]
  invIdx: Int32Array; // [B·T]
}

export function buildSelection(select: ArrayLike<number>, B: number, T: number): RowSelection {
  if (select.length !== B * T)
    throw new Error(`scoreTokens: select has ${select.length} entries, expected ${B * T}`);
  const sel: number[] = [];
  const invIdx = new Int32Array(B * T);
  for (let i = 0; i < B * T; i++) {
    if (select[i] && i % T !== T - 1) {
      sel.push(i);
      invIdx[i] = sel.length;
    }
  }
  if (sel.length === 0) sel.push(0); // keep shapes non-empty; invIdx still maps every row to the zero slot
  return { selIdx: Int32Array.from(sel), invIdx };
}

/** log p_vocab(target) and H(p_vocab) at every position. hf, embNext: [B, T, D]; next: [B, T] int. */
function vocabTerms(
  w: Weights,
  hf: tf.Tensor,
  embNext: tf.Tensor,
  next: tf.Tensor,
  selection?: RowSelection,
): { logpV: tf.Tensor; entV: tf.Tensor } {
  const [B, T, D] = hf.shape;
  const N = B * T;
  const V = w.tok_emb.shape[0];
  const h1 = tf.concat([hf.reshape([N, D]), tf.ones([N, 1])], 1) as tf.Tensor2D; // [N, D+1]
  const wOut = tf.concat([swapLast(w.tok_emb), w.out_bias.reshape([1, V])], 0) as tf.Tensor2D; // [D+1, V]
  let le: tf.Tensor2D; // [N, 2] (lse, entropy)
  if (selection) {
    const hSel = embedLookup(h1, tf.tensor1d(selection.selIdx, 'int32')); // [K, D+1]
    const out = vocabLseEntropy(hSel, wOut); // [K, 2]
    const padded = tf.concat([tf.zeros([1, 2]), out], 0) as tf.Tensor2D; // [K+1, 2]
    le = embedLookup(padded, tf.tensor1d(selection.invIdx, 'int32')); // [N, 2], zeros where unselected
  } else {
    le = vocabLseEntropy(h1, wOut); // [N, 2]
  }
  const [lse, entV] = tf.split(le, 2, 1); // [N, 1] each
  const bias = embedLookup(w.out_bias.reshape([V, 1]) as tf.Tensor2D, next.reshape([-1]) as tf.Tensor1D); // [N, 1]
  const tgt = hf.mul(embNext).sum(-1).reshape([N, 1]).add(bias); // [N, 1]
  return { logpV: tgt.sub(lse).reshape([B, T]), entV: entV.reshape([B, T]) }; // [B, T] each
}

/**
 * Additive copy mask [B, T(query), T(key)]: 0 where tokens[b, j] equals the target tokens[b, t+1] (0 past the
 * end) and may be copied (id ≥ copyFrom), NEG_BIG elsewhere. Built from token ids already on the host: on wasm the
 * device version's tiles and comparisons cost ~15% of a training step.
 */
export function hostCopyMask(ids: ArrayLike<number>, B: number, T: number, copyFrom = 0): tf.Tensor3D {
  if (ids.length !== B * T)
    throw new Error(`scoreTokens: hostTokens has ${ids.length} entries, expected ${B * T}`);
  const m = new Float32Array(B * T * T).fill(NEG_BIG);
  for (let b = 0; b < B; b++) {
    const row = b * T;
    for (let t = 0; t < T; t++) {
      const target = t + 1 < T ? ids[row + t + 1] : 0;
      if (target < copyFrom) continue;
      const base = (row + t) * T;
      for (let j = 0; j < T; j++) if (ids[row + j] === target) m[base + j] = 0;
    }
  }
  return tf.tensor3d(m, [B, T, T]);
}

/** Additive key mask [B, 1, T]: NEG_BIG at positions holding an id the copy head may not attend to. */
export function hostKeyMask(ids: ArrayLike<number>, B: number, T: number, copyFrom: number): tf.Tensor3D {
  return tf.tensor3d(
    Float32Array.from({ length: B * T }, (_, i) => (ids[i] < copyFrom ? NEG_BIG : 0)),
    [B, 1, T],
  );
}

/** The same masks from device tensors (explicit tiles: broadcasting binary ops are very slow on wasm). */
function deviceCopyMask(tokens: tf.Tensor2D, next: tf.Tensor, copyFrom: number): tf.Tensor {
  const [B, T] = tokens.shape;
  let same = tf.equal(
    tf.tile(next.reshape([B, T, 1]), [1, 1, T]),
    tf.tile(tokens.reshape([B, 1, T]), [1, T, 1]),
  ); // [B, T, T]
  if (copyFrom > 0)
    same = tf.logicalAnd(same, tf.tile(tf.greaterEqual(next, copyFrom).reshape([B, T, 1]), [1, 1, T]));
  return same.cast('float32').sub(1).mul(-NEG_BIG); // 0 where equal, −1e9 elsewhere
}

function deviceKeyMask(tokens: tf.Tensor2D, copyFrom: number): tf.Tensor {
  const [B, T] = tokens.shape;
  return tf.less(tokens, copyFrom).cast('float32').mul(NEG_BIG).reshape([B, 1, T]); // [B, 1, T]
}

/** [T, T] 1 where key j's token a ahead has been read by query t (j + a ≤ t), 0 elsewhere. */
function aheadMask(T: number, a: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let j = 0; j + a <= t; j++) m[t * T + j] = 1;
  return tf.tensor2d(m, [T, T]);
}

/** Pointer head terms. Returns log copy-mass of the target, H(a_t) and the gate's log g / log(1−g). */
function pointerTerms(
  w: Weights,
  cfg: ModelConfig,
  hf: tf.Tensor,
  emb: tf.Tensor,
  keyEmb: tf.Tensor,
  tokens: tf.Tensor2D,
  next: tf.Tensor,
  hostTokens?: ArrayLike<number>,
): { logCopy: tf.Tensor; entA: tf.Tensor; logG: tf.Tensor; log1mG: tf.Tensor } {
  const [B, T] = tokens.shape;
  let q = linear(hf, w['ptr.wq_h']).add(linear(emb, w['ptr.wq_e'])); // [B, T, P]
  if (cfg.queryPool) {
    const avg = hostTokens
      ? tf.tensor3d(hostPoolMatrix(hostPoolFlags(hostTokens, B, T, cfg), B, T), [B, T, T])
      : devicePoolMatrix(tokens, cfg); // [B, T, T]
    q = q.add(linear(mm(avg, emb), w['ptr.wq_q'])); // mean pooled embedding → [B, T, P]
  }
  let k = linear(hf, w['ptr.wk_h']); // [B, T, P]
  for (let o = 1; o <= keyContext(cfg); o++) k = k.add(linear(shiftRight(keyEmb, o), w[keyWeightName(o)])); // x_{j−o}
  const copyFrom = firstCopyId(cfg);
  let raw = mm(q, swapLast(k)); // [B, T(query), T(key)]
  for (let a = 1; a <= keyAhead(cfg); a++) {
    const ka = linear(shiftLeft(emb, a), w[aheadWeightName(a)]); // e(x_{j+a}) A_a: [B, T, P]
    raw = raw.add(mm(q, swapLast(ka)).mul(aheadMask(T, a))); // only where x_{j+a} has been read (j + a ≤ t)
  }
  let s = raw.mul(1 / Math.sqrt(pointerDim(cfg))).add(causalMask(T)); // [B, T(query), T(key)]
  if (copyFrom > 0)
    s = s.add(hostTokens ? hostKeyMask(hostTokens, B, T, copyFrom) : deviceKeyMask(tokens, copyFrom)); // tags are never attended to
  if (cfg.copyNext) {
    const spans = cfg.tagSpans!;
    const cont = hostTokens
      ? hostNextMask(hostTokens, B, T, copyFrom, spans)
      : deviceNextMask(tokens, copyFrom, spans); // [B, T, T]
    s = s.add(cont.mul(linear(hf, w['ptr.w_next'], w['ptr.b_next']))); // strength per query: [B, T, 1]
  }
  const lseS = logSumExpLast(s); // [B, T]
  const copyMask = hostTokens
    ? hostCopyMask(hostTokens, B, T, copyFrom)
    : deviceCopyMask(tokens, next, copyFrom); // [B, T, T]
  const logCopy = logSumExpLast(s.add(copyMask)).sub(lseS); // [B, T]
  const entA = softmaxEntropy(s, lseS); // [B, T]
  let z = linear(hf, w['ptr.w_gate'], w['ptr.b_gate']); // [B, T, 1]
  if (cfg.copyGate) {
    const a = tf.exp(s.sub(lseS.expandDims(-1))); // copy attention [B, T, T]
    const isName = hostTokens
      ? tf.tensor3d(
          Float32Array.from(hostTokens, (id) => (id >= firstNameId(cfg) ? 1 : 0)),
          [B, T, 1],
        )
      : atLeast(tokens, firstNameId(cfg)).reshape([B, T, 1]); // [B, T, 1]
    const seen = tf.concat([mm(a, emb), mm(a, isName)], -1); // what the copy head points at: [B, T, D + 1]
    z = z.add(linear(seen, w['ptr.w_gate_c'])); // [B, T, 1]
  }
  z = z.reshape([B, T]); // [B, T]
  return { logCopy, entA, ...logSigmoidPair(z) };
}

export interface ScoreOptions {
  /** Device mask of positions to keep. */
  positions?: tf.Tensor2D;
  /** Host mask [B·T] of positions to keep; the vocabulary head then runs only on those rows. */
  select?: ArrayLike<number>;
  /** The same token ids on the host [B·T] (row-major), when the caller has them: a cheaper copy mask. */
  hostTokens?: ArrayLike<number>;
}

/**
 * logp[b, t] = log p(tokens[b, t+1] | tokens[b, ≤t]) and the entropy term at t; the last column is 0, as are
 * positions where opts.positions (device mask) or opts.select (host mask; the vocabulary head then runs only on
 * those rows) is 0. Call inside tf.tidy / tf.variableGrads.
 */
export function scoreTokensImpl(
  w: Weights,
  cfg: ModelConfig,
  tokens: tf.Tensor2D,
  opts: ScoreOptions = {},
): { logp: tf.Tensor2D; entropy: tf.Tensor2D } {
  const [B, T] = tokens.shape;
  const selection = opts.select ? buildSelection(opts.select, B, T) : undefined;
  const ids = tokens.dtype === 'int32' ? tokens : (tokens.cast('int32') as tf.Tensor2D);
  const { hf, emb, keyEmb } = trunk(w, cfg, ids, opts.hostTokens); // [B, T, D] each
  const next = shiftLeft(ids); // [B, T] int32 (0 in the last column)
  const { logpV, entV } = vocabTerms(w, hf, shiftLeft(emb), next, selection);
  let logp = logpV; // [B, T]
  let entropy = entV; // [B, T]
  if (cfg.pointer) {
    const { logCopy, entA, logG, log1mG } = pointerTerms(w, cfg, hf, emb, keyEmb, ids, next, opts.hostTokens);
    logp = logSumExpLast(tf.stack([logG.add(logpV), log1mG.add(logCopy)], -1)); // [B, T]
    const g = tf.exp(logG); // [B, T]
    const oneMinusG = tf.exp(log1mG); // [B, T]
    const entG = g.mul(logG).add(oneMinusG.mul(log1mG)).neg(); // [B, T]
    entropy = entG.add(g.mul(entV)).add(oneMinusG.mul(entA)); // [B, T]
  }
  const lastCol = tf.tensor2d([...new Array<number>(T - 1).fill(1), 0], [1, T]); // [1, T]
  let keep: tf.Tensor = opts.positions ? opts.positions.mul(lastCol) : lastCol; // [B|1, T]
  if (selection)
    keep = keep.mul(
      tf.tensor2d(
        Float32Array.from(selection.invIdx, (i) => (i > 0 ? 1 : 0)),
        [B, T],
      ),
    ); // [B, T]
  return { logp: logp.mul(keep) as tf.Tensor2D, entropy: entropy.mul(keep) as tf.Tensor2D };
}

/**
 * Final-LayerNorm hidden states h [B, T, D] of the trunk over whole rows (h_t has seen tokens ≤ t): the features a
 * value head reads (model/critic.ts). hostTokens: the same ids on the host [B·T], if the caller has them.
 * Call inside tf.tidy / tf.variableGrads.
 */
export function hiddenStates(
  w: Weights,
  cfg: ModelConfig,
  tokens: tf.Tensor2D,
  hostTokens?: ArrayLike<number>,
): tf.Tensor3D {
  const ids = tokens.dtype === 'int32' ? tokens : (tokens.cast('int32') as tf.Tensor2D);
  return trunk(w, cfg, ids, hostTokens).hf as tf.Tensor3D; // [B, T, D]
}
