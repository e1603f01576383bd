/**
 * Model configuration: the one typed object that fixes the policy's shape, its defaults and validation.
 * Knows nothing of tensors, weights or backends.
 */
export interface ModelConfig {
  /** Vocabulary size (tokenizer's, special tokens included). */
  vocabSize: number;
  /** Residual stream width. */
  dModel: number;
  nLayers: number;
  /** Attention heads; dModel must be divisible by nHeads. */
  nHeads: number;
  /** Maximum tokens per row (positions 0..contextLen-1); also the KV-cache length. */
  contextLen: number;
  /** MLP hidden width = ffMult * dModel. */
  ffMult: number;
  /** Copy (pointer) head mixed into the next-token distribution (SEARCH-R1.md §3, second prototype). */
  pointer: boolean;
  /**
   * Ids ≥ commonVocab are *names* (the tokenizer orders words by frequency, rare last): their input embeddings are
   * fixed random vectors that training never changes, and the vocabulary head never emits them (only the copy
   * head does). Names seen in training and names first met at test time then look alike to the model, so it
   * learns to copy a name rather than to memorise it. Omitted (or ≥ vocabSize): every word is learned.
   */
  commonVocab?: number;
  /**
   * Ids below copyFrom (the tag and control tokens) are never copied: the copy head attends only to words, so tags
   * such as `</answer>` come from the vocabulary head alone (a copied `</search>` would close an answer with the
   * wrong tag). Omitted: every position can be copied (checkpoints from before this field).
   */
  copyFrom?: number;
  /**
   * Tag-state input feature (model/tagstate.ts): pairs [open id, close id] of the structural spans (think, search,
   * information, answer). Each position gets a learned embedding `tag_emb[state]` added to its token and position
   * embeddings, state = 0 outside every span, k inside span k, an opening tag inside the span it opens and a closing
   * tag outside it. Omitted: no such input and no `tag_emb` weight (checkpoints from before this field).
   */
  tagSpans?: [number, number][];
  /**
   * How many previous tokens' embeddings enter each copy-head key (pointer only): the key of position j adds
   * e(x_{j−1}) W_e1 + … + e(x_{j−K}) W_eK to its hidden state's term, so "copy the words after `currency is the`"
   * is a direct match of the query against the words before a span, not something two layers must learn to route.
   * Omitted: 1 (checkpoints from before this field; weights `ptr.wk_e`, then `ptr.wk_e2` … `ptr.wk_eK`).
   */
  keyContext?: number;
  /**
   * How many following tokens' embeddings enter each copy-head key (pointer only): the key of position j also adds
   * e(x_{j+1}) A_1 + … + e(x_{j+N}) A_N, each term only once x_{j+a} has been read (j + a ≤ the query's position),
   * so "Shikra Zasho founded …" can be found from "founded" after the span, not only from words before it.
   * Omitted: 0 (weights `ptr.wk_a1` … `ptr.wk_aN`).
   */
  keyAhead?: number;
  /**
   * The copy-head query also reads the question (pointer only): the mean embedding of the words read so far outside
   * every tag span (the prompt's words, the question's among them) enters the query through `ptr.wq_q`, so the
   * relation a question asks for ("currency", "founded") reaches the query directly instead of through two layers of
   * attention over a long context. Omitted: false.
   */
  queryPool?: boolean;
  /**
   * The copy gate also reads what the copy head points at (pointer only; See et al.'s pointer-generator gate reads
   * the attention's context the same way): the attention-weighted mean embedding of the candidate tokens and the
   * share of the attention on names (ids ≥ commonVocab) enter g_t through `ptr.w_gate_c` [D + 1, 1]. Without it the
   * gate sees only h_t, so after copying "grarn" it cannot tell that the token it would copy next is "sea" (go on)
   * rather than "." (close the answer), and trained policies answered with the first word of multi-word names.
   * Omitted: false.
   */
  copyGate?: boolean;
  /**
   * Copy continuation (pointer and tagSpans only): after the policy has written token x_t, every position j whose
   * previous token is also x_t (x_{j−1} = x_t, j ≤ t, x_t a word) and whose tag state differs from t's (the question
   * or a passage, not the query or answer being written: that would loop, "country country") gets
   * s_{t,j} += h_t · w_next + b_next in the copy head's scores, so "the word that followed the one I just copied" is
   * an exact match on token ids, not a bilinear match of two random name vectors. With copyGate the gate then sees
   * the word it would copy next ("sea" → go on, "." → close the answer). Without it trained policies answered with
   * the first word of multi-word answers (docs/experiments.md §2.16, §2.17). Omitted: false (weights `ptr.w_next`
   * [D, 1], `ptr.b_next` [1]).
   */
  copyNext?: boolean;
  /**
   * Question match (tagSpans and copyFrom only; DrQA's exact-match feature, Chen et al. 2017): a word inside tag span
   * `span` (1-based, as tag states count: the information span) whose id also occurs at an earlier position outside
   * every span (the prompt, so the question) reads one more tag state, S = spans + 1, so that "the currency is the
   * gowarn" marks "currency" for "What is the currency of …?" without the model having to learn that match word by
   * word. Ids below copyFrom and the `skip` ids (function words: "the", "of", "is") never match. Computed on the host
   * from the ids, in scoring and decoding alike (tagstate.ts); state_t still depends on tokens ≤ t only. Omitted: no
   * such state (checkpoints from before this field).
   */
  questionMatch?: { span: number; skip: number[] };
  /**
   * Copy keys read the states of the tokens before a span too (pointer and tagSpans only): the key of position j
   * adds (e(x_{j−o}) + tag_emb[s_{j−o}]) W_eo instead of e(x_{j−o}) W_eo, s being the input state (with
   * questionMatch, the match state), so "copy the words after a word the question has" is one direction of the
   * query for every relation word. Omitted: false (docs/experiments.md §2.28: not better at step 50).
   */
  keyStates?: boolean;
}

/** Most previous tokens a copy-head key may read. */
export const MAX_KEY_CONTEXT = 4;

/** Most following tokens a copy-head key may read. */
export const MAX_KEY_AHEAD = 3;

/** Following tokens in each copy-head key (0 when the field is omitted). */
export function keyAhead(cfg: ModelConfig): number {
  return cfg.keyAhead ?? 0;
}

/** Previous tokens in each copy-head key (1 when the field is omitted). */
export function keyContext(cfg: ModelConfig): number {
  return cfg.keyContext ?? 1;
}

/** Scale of a name's fixed random input embedding (common words start at 0.02 and are learned). */
export const NAME_EMBEDDING_STD = 0.125;
/** Output bias of names: the vocabulary head gives them ~e^-30 of its mass, so names come from copying. */
export const NAME_OUTPUT_BIAS = -30;

/** First name id, or vocabSize when every word is learned. */
export function firstNameId(cfg: ModelConfig): number {
  const c = cfg.commonVocab;
  return c === undefined ? cfg.vocabSize : Math.min(Math.max(c, 0), cfg.vocabSize);
}

export const DEFAULT_MODEL: Omit<ModelConfig, 'vocabSize'> = {
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  contextLen: 256,
  ffMult: 4,
  pointer: true,
};

/** Throws a readable error when the config cannot build a model. */
export function validateConfig(cfg: ModelConfig): void {
  const ints: (keyof ModelConfig)[] = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'contextLen', 'ffMult'];
  for (const k of ints) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new Error(`ModelConfig.${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (cfg.dModel % cfg.nHeads !== 0) {
    throw new Error(`ModelConfig.dModel (${cfg.dModel}) must be divisible by nHeads (${cfg.nHeads})`);
  }
  if (typeof cfg.pointer !== 'boolean') throw new Error('ModelConfig.pointer must be a boolean');
  if (cfg.commonVocab !== undefined && (!Number.isInteger(cfg.commonVocab) || cfg.commonVocab < 0)) {
    throw new Error(`ModelConfig.commonVocab must be a non-negative integer, got ${String(cfg.commonVocab)}`);
  }
  if (cfg.copyFrom !== undefined && (!Number.isInteger(cfg.copyFrom) || cfg.copyFrom < 0)) {
    throw new Error(`ModelConfig.copyFrom must be a non-negative integer, got ${String(cfg.copyFrom)}`);
  }
  if (cfg.tagSpans !== undefined) validateTagSpans(cfg.tagSpans, cfg.vocabSize);
  if (
    cfg.keyContext !== undefined &&
    (!Number.isInteger(cfg.keyContext) || cfg.keyContext < 1 || cfg.keyContext > MAX_KEY_CONTEXT)
  ) {
    throw new Error(
      `ModelConfig.keyContext must be an integer from 1 to ${MAX_KEY_CONTEXT}, got ${String(cfg.keyContext)}`,
    );
  }
  if (
    cfg.keyAhead !== undefined &&
    (!Number.isInteger(cfg.keyAhead) || cfg.keyAhead < 0 || cfg.keyAhead > MAX_KEY_AHEAD)
  ) {
    throw new Error(
      `ModelConfig.keyAhead must be an integer from 0 to ${MAX_KEY_AHEAD}, got ${String(cfg.keyAhead)}`,
    );
  }
  if (cfg.queryPool !== undefined && typeof cfg.queryPool !== 'boolean')
    throw new Error(`ModelConfig.queryPool must be a boolean, got ${String(cfg.queryPool)}`);
  if (cfg.copyGate !== undefined && typeof cfg.copyGate !== 'boolean')
    throw new Error(`ModelConfig.copyGate must be a boolean, got ${String(cfg.copyGate)}`);
  if (cfg.copyNext !== undefined && typeof cfg.copyNext !== 'boolean')
    throw new Error(`ModelConfig.copyNext must be a boolean, got ${String(cfg.copyNext)}`);
  if (cfg.copyNext && !cfg.tagSpans)
    throw new Error(
      'ModelConfig.copyNext needs tagSpans: a continuation is copied from another span than the one written',
    );
  if (cfg.questionMatch !== undefined) validateQuestionMatch(cfg);
  if (cfg.keyStates !== undefined && typeof cfg.keyStates !== 'boolean')
    throw new Error(`ModelConfig.keyStates must be a boolean, got ${String(cfg.keyStates)}`);
  if (cfg.keyStates && (!cfg.pointer || !cfg.tagSpans))
    throw new Error('ModelConfig.keyStates needs the copy head (pointer) and tagSpans');
  if (cfg.commonVocab !== undefined && cfg.commonVocab < cfg.vocabSize && !cfg.pointer) {
    throw new Error(
      'ModelConfig.commonVocab needs the copy head (pointer: true): names are only ever copied',
    );
  }
}

function validateQuestionMatch(cfg: ModelConfig): void {
  const m = cfg.questionMatch as unknown;
  const bad = (why: string) => new Error(`ModelConfig.questionMatch ${why}, got ${JSON.stringify(m)}`);
  if (!cfg.tagSpans || cfg.copyFrom === undefined) throw bad('needs tagSpans and copyFrom');
  if (typeof m !== 'object' || m === null) throw bad('must be { span, skip }');
  const { span, skip } = m as { span: unknown; skip: unknown };
  if (!Number.isInteger(span) || (span as number) < 1 || (span as number) > cfg.tagSpans.length)
    throw bad(`.span must be a tag state from 1 to ${cfg.tagSpans.length}`);
  if (!Array.isArray(skip) || skip.some((x) => !Number.isInteger(x) || x < 0 || x >= cfg.vocabSize))
    throw bad(`.skip must be a list of token ids below vocabSize ${cfg.vocabSize}`);
}

function validateTagSpans(spans: unknown, vocabSize: number): void {
  const bad = (why: string) => new Error(`ModelConfig.tagSpans ${why}, got ${JSON.stringify(spans)}`);
  if (!Array.isArray(spans) || spans.length === 0)
    throw bad('must be a non-empty list of [open, close] id pairs');
  const seen = new Set<number>();
  for (const pair of spans as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) throw bad('must hold [open, close] pairs');
    for (const id of pair as unknown[]) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize)
        throw bad(`must hold token ids in [0, ${vocabSize})`);
      if (seen.has(id)) throw bad(`uses id ${id} twice`);
      seen.add(id);
    }
  }
}

export function headDim(cfg: ModelConfig): number {
  return cfg.dModel / cfg.nHeads;
}

/** First id the copy head may copy (0: all). */
export function firstCopyId(cfg: ModelConfig): number {
  return cfg.copyFrom ?? 0;
}

/** Width of the pointer head's query/key space. */
export function pointerDim(cfg: ModelConfig): number {
  return cfg.dModel;
}

/**
 * Chunk lengths that feed() pads to, so the set of compiled shapes stays small. 64 and 96 fit shorter observations (two
 * passages: 57–65 tokens on average, docs/experiments.md §2.19) without padding them to 128; 48 fits one passage
 * (33–48 tokens with its tags, §2.25).
 */
export function chunkBuckets(cfg: ModelConfig): number[] {
  const out = [1, 8, 32, 48, 64, 96, 128].filter((s) => s < cfg.contextLen);
  out.push(cfg.contextLen);
  return out;
}
