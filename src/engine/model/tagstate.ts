/**
 * Tag state: the structural span each position is in, as a learned input embedding (like BERT's segment embeddings),
 * so that a small model need not remember from attention alone which tag is open (SEARCH-R1.md §3; measured: after
 * RL, 11–22% of greedy trajectories closed an answer with `</search>` or a search with `</answer>`).
 * Owns: the state machine over token ids (host, O(B·T)), the same computation on the device for callers without host
 * ids, and the embedding term added to the token embedding. Knows nothing of the tokenizer: the tag ids come from
 * ModelConfig.tagSpans.
 *
 * States, with spans = [[open_1, close_1], …, [open_n, close_n]]: 0 outside every span, k inside span k.
 *   state_t = state after reading tokens ≤ t:  open_k → k,  any close_j → 0,  any other token → state_{t−1}
 *   (state_{−1} = 0). An opening tag belongs to the span it opens, a closing tag to the outside, so the position
 *   whose next token is the closing tag (the last answer word, or `<answer>` itself) reads "inside answer", and the
 *   position after a closing tag reads "outside". Spans do not nest (Search-R1's format never nests them): a tag
 *   opened inside another span replaces it, and a mismatched close (`<answer> x </search>`) also returns to 0.
 * state_t depends on tokens ≤ t only, as does everything else position t sees: no information from the future.
 * With cfg.questionMatch the embedding reads an *input state*: the tag state, except that a word of the match span
 * (information) whose id occurred earlier outside every span reads one more state, S = spans + 1 (QuestionWords).
 */
import * as tf from '@tensorflow/tfjs';
import { firstCopyId, type ModelConfig } from './config';
import { mm } from './layers';
import type { Weights } from './params';

/** Number of tag states (spans + outside), 0 when the feature is off. */
export function tagStateCount(cfg: ModelConfig): number {
  return cfg.tagSpans ? cfg.tagSpans.length + 1 : 0;
}

/** Rows of tag_emb: the tag states, and with cfg.questionMatch one more, "a passage word the question has". */
export function tagEmbRows(cfg: ModelConfig): number {
  return tagStateCount(cfg) + (cfg.questionMatch ? 1 : 0);
}

/**
 * One row's question words for cfg.questionMatch, read token by token: `see` each token with its tag state, in order;
 * `input` gives the state the embedding reads (the match state tagStateCount(cfg) for a word of the match span that
 * occurred earlier outside every span, else the tag state itself).
 */
export class QuestionWords {
  private readonly words = new Set<number>();
  private readonly skip: ReadonlySet<number>;
  private readonly from: number;
  private readonly span: number;
  private readonly matchState: number;

  constructor(cfg: ModelConfig) {
    this.skip = new Set(cfg.questionMatch?.skip ?? []);
    this.from = firstCopyId(cfg);
    this.span = cfg.questionMatch?.span ?? -1;
    this.matchState = tagStateCount(cfg);
  }

  /** The input state of `id` read in tag state `state` (call before `see` for the same token). */
  input(id: number, state: number): number {
    return state === this.span && this.words.has(id) ? this.matchState : state;
  }

  see(id: number, state: number): void {
    if (state === 0 && id >= this.from && !this.skip.has(id)) this.words.add(id);
  }
}

/**
 * The embedding's input state of every position of B rows of T ids (flat [B·T]): the tag state, or the question-match
 * state where cfg.questionMatch marks a word (QuestionWords).
 */
export function hostInputStates(ids: ArrayLike<number>, B: number, T: number, cfg: ModelConfig): Int32Array {
  const states = hostTagStates(ids, B, T, cfg.tagSpans!);
  if (!cfg.questionMatch) return states;
  for (let b = 0; b < B; b++) {
    const q = new QuestionWords(cfg);
    for (let t = b * T; t < (b + 1) * T; t++) {
      const s = states[t];
      states[t] = q.input(ids[t], s);
      q.see(ids[t], s);
    }
  }
  return states;
}

/** Transition table: table[id] = the state a token sets (−1: keeps the state); ids past the end keep it. */
export function tagTransitions(spans: readonly (readonly number[])[]): Int32Array {
  const maxId = Math.max(...spans.flat());
  const table = new Int32Array(maxId + 1).fill(-1);
  spans.forEach(([open, close], k) => {
    table[open] = k + 1;
    table[close] = 0;
  });
  return table;
}

/** The state after `id`, from the state before it. */
export function nextTagState(table: Int32Array, state: number, id: number): number {
  const s = id < table.length ? table[id] : -1;
  return s < 0 ? state : s;
}

/** state_t for every position of B rows of T ids (row-major, flat [B·T]). */
export function hostTagStates(
  ids: ArrayLike<number>,
  B: number,
  T: number,
  spans: readonly (readonly number[])[],
): Int32Array {
  if (ids.length !== B * T) throw new Error(`tag states: ${ids.length} ids, expected ${B * T}`);
  const table = tagTransitions(spans);
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) {
      s = nextTagState(table, s, ids[b * T + t]);
      out[b * T + t] = s;
    }
  }
  return out;
}

/**
 * The same states from device ids [B, T] → int32 [B, T], for callers that hold no host copy. Every tag is an event
 * whose state does not depend on the state before it, so state_t is the state set by the last event ≤ t:
 * last_t = max_{j ≤ t, event_j} (j + 1) (0: none) by a log-step running max (Hillis–Steele scan), then a gather of
 * the event codes. Integer-valued float32 and int32 ops only (no division), exact on every backend.
 */
export function deviceTagStates(tokens: tf.Tensor2D, spans: readonly (readonly number[])[]): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = tokens.shape;
    let isEvent: tf.Tensor = tf.zerosLike(tokens).cast('float32'); // [B, T]
    let code: tf.Tensor = tf.zerosLike(tokens).cast('float32'); // [B, T] the state an event sets
    spans.forEach(([open, close], k) => {
      const o = tf.equal(tokens, open).cast('float32');
      isEvent = isEvent.add(o).add(tf.equal(tokens, close).cast('float32'));
      code = code.add(o.mul(k + 1));
    });
    const pos1 = tf.tensor2d(
      Float32Array.from({ length: B * T }, (_, i) => (i % T) + 1),
      [B, T],
    ); // [B, T] j + 1
    let last = isEvent.mul(pos1); // [B, T]
    for (let s = 1; s < T; s *= 2) {
      const shifted = tf
        .pad(last, [
          [0, 0],
          [s, 0],
        ])
        .slice([0, 0], [B, T]); // [B, T] last[t − s], 0 before the start
      last = tf.maximum(last, shifted);
    }
    const codes = tf.concat([tf.zeros([B, 1]), code], 1).reshape([B * (T + 1)]); // [B·(T+1)] 0 = no event yet
    const rowBase = tf.tensor2d(
      Float32Array.from({ length: B * T }, (_, i) => Math.floor(i / T) * (T + 1)),
      [B, T],
    ); // [B, T]
    const idx = last.add(rowBase).cast('int32'); // [B, T]
    return tf
      .gather(codes, idx.reshape([B * T]))
      .reshape([B, T])
      .cast('int32') as tf.Tensor2D; // [B, T]
  });
}

/**
 * hostInputStates from device ids [B, T] → int32 [B, T]: the tag states (deviceTagStates), and with cfg.questionMatch
 * the match state where a word of the match span equals a word at an earlier position outside every span: a [B, T, T]
 * comparison of ids, kept to i < j and summed by a matMul. Integer-valued float32 ops, exact on every backend.
 */
export function deviceInputStates(tokens: tf.Tensor2D, cfg: ModelConfig): tf.Tensor2D {
  const m = cfg.questionMatch;
  if (!m) return deviceTagStates(tokens, cfg.tagSpans!);
  return tf.tidy(() => {
    const [B, T] = tokens.shape;
    const states = deviceTagStates(tokens, cfg.tagSpans!).cast('float32'); // [B, T]
    const skip = new Set(m.skip);
    const from = firstCopyId(cfg);
    const wordTable = tf.tensor1d(
      Float32Array.from({ length: cfg.vocabSize }, (_, id) => (id >= from && !skip.has(id) ? 1 : 0)),
    ); // [V] 1 for ids that may match
    const word = tf.gather(wordTable, tokens.reshape([B * T])).reshape([B, T]); // [B, T]
    const question = word.mul(tf.step(tf.scalar(0.5).sub(states))); // [B, T] words outside every span
    const ids = tokens.cast('float32');
    const same = tf.equal(ids.reshape([B, T, 1]), ids.reshape([B, 1, T])).cast('float32'); // [B, T(j), T(i)]
    const earlier = tf.tensor2d(
      Float32Array.from({ length: T * T }, (_, k) => (k % T < Math.floor(k / T) ? 1 : 0)),
      [T, T],
    ); // [T(j), T(i)] 1 where i < j
    const hits = tf.matMul(same.mul(earlier), question.reshape([B, T, 1])).reshape([B, T]); // [B, T]
    const inSpan = tf.equal(states, m.span).cast('float32'); // [B, T]
    const match = tf.step(hits.sub(0.5)).mul(inSpan).mul(word); // [B, T] 1 where matched
    return states.add(match.mul(tagStateCount(cfg) - m.span)).cast('int32') as tf.Tensor2D; // [B, T]
  });
}

/**
 * The tag-state embedding term [B, T, D] = onehot(state) · tag_emb: a plain matMul, whose gradient needs no
 * gather kernel (tfjs-backend-wasm has none for gather's gradient; TFJS-NOTES.md). Input states from host ids when
 * given (training), else from the device ids. Differentiable w.r.t. tag_emb; call inside a tidy.
 */
export function tagEmbedding(
  w: Weights,
  cfg: ModelConfig,
  tokens: tf.Tensor2D,
  hostTokens?: ArrayLike<number>,
): tf.Tensor {
  const [B, T] = tokens.shape;
  const S = tagEmbRows(cfg);
  const states = hostTokens
    ? tf.tensor1d(hostInputStates(hostTokens, B, T, cfg), 'int32')
    : deviceInputStates(tokens, cfg).reshape([B * T]); // [B·T]
  const onehot = tf.oneHot(states as tf.Tensor1D, S).cast('float32'); // [B·T, S]
  return mm(onehot, w.tag_emb).reshape([B, T, cfg.dModel]); // [B, T, D]
}
