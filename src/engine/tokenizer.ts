/**
 * Word-level tokenizer built at run time from whatever corpus / questions are loaded.
 *
 * Ids 0..11 are the special tokens, always in this order (docs/ARCHITECTURE.md "Token conventions"):
 *   <pad> <bos> <eos> <unk> <think> </think> <search> </search> <information> </information> <answer> </answer>
 * then the words of the build texts by descending count, ties broken by code-unit (not locale) order, so the same
 * texts always give the same vocabulary on every machine.
 *
 * Splitting rules live in text.ts (shared with the retriever). This file knows nothing of tensors or the model.
 */
import { isTag, splitPieces, TAG_LITERALS } from './text';

export const SPECIAL_TOKENS = [
  '<pad>',
  '<bos>',
  '<eos>',
  '<unk>',
  '<think>',
  '</think>',
  '<search>',
  '</search>',
  '<information>',
  '</information>',
  '<answer>',
  '</answer>',
] as const;

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const THINK = 4;
export const THINK_END = 5;
export const SEARCH = 6;
export const SEARCH_END = 7;
export const INFORMATION = 8;
export const INFORMATION_END = 9;
export const ANSWER = 10;
export const ANSWER_END = 11;
/** Number of special tokens; the first word id. */
export const NUM_SPECIAL = SPECIAL_TOKENS.length;

/** Serialised form (stored next to checkpoints). */
export interface TokenizerJSON {
  kind: 'word-v1';
  vocab: string[];
  /** Ids below this are common words; the rest (rarer) are names. Absent in older files: all common. */
  common?: number;
}

export interface TokenizerBuildOptions {
  /** Words seen fewer times than this are left out (→ <unk>). Default 1. */
  minCount?: number;
  /** Cap on the total vocabulary size, special tokens included. Default: no cap. */
  maxVocab?: number;
  /**
   * Words seen at least this often are *common* (relation and function words); rarer words are *names*, which
   * the policy learns to copy rather than to memorise (ModelConfig.commonVocab). Default COMMON_MIN_COUNT.
   */
  commonMinCount?: number;
}

/** Default count from which a word is common rather than a name. */
export const COMMON_MIN_COUNT = 20;

// Sanity: the tag literals of text.ts are exactly the specials 4..11.
if (TAG_LITERALS.some((t, i) => SPECIAL_TOKENS[THINK + i] !== t)) {
  throw new Error('tokenizer: TAG_LITERALS and SPECIAL_TOKENS disagree');
}

export class Tokenizer {
  readonly vocab: readonly string[];
  /** Ids below this are specials and common words; ids from here on are names (rarest last). */
  readonly common: number;
  private readonly index: ReadonlyMap<string, number>;

  private constructor(vocab: readonly string[], common = vocab.length) {
    this.vocab = Object.freeze(vocab.slice());
    if (!Number.isInteger(common) || common < NUM_SPECIAL || common > vocab.length) {
      throw new Error(
        `tokenizer: common must be an integer in [${NUM_SPECIAL}, ${vocab.length}], got ${common}`,
      );
    }
    this.common = common;
    const index = new Map<string, number>();
    vocab.forEach((piece, i) => {
      if (index.has(piece)) throw new Error(`tokenizer: duplicate vocabulary entry ${JSON.stringify(piece)}`);
      index.set(piece, i);
    });
    this.index = index;
  }

  /** Build from texts: specials first, then words by descending frequency, ties in code-unit order. */
  static build(texts: Iterable<string>, opts: TokenizerBuildOptions = {}): Tokenizer {
    const minCount = opts.minCount ?? 1;
    const maxVocab = opts.maxVocab ?? Infinity;
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const p of splitPieces(text)) {
        if (isTag(p)) continue;
        counts.set(p, (counts.get(p) ?? 0) + 1);
      }
    }
    // Words that happen to spell a special (e.g. the literal "<unk>" can't: it splits into "<", "unk", ">")
    // can never collide, but guard anyway.
    const specials: ReadonlySet<string> = new Set(SPECIAL_TOKENS);
    const words = [...counts.entries()]
      .filter(([w, c]) => c >= minCount && !specials.has(w))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([w]) => w);
    const room = Math.max(0, maxVocab - NUM_SPECIAL);
    const kept = words.slice(0, room);
    const commonMin = opts.commonMinCount ?? COMMON_MIN_COUNT;
    const common = NUM_SPECIAL + kept.filter((w) => counts.get(w)! >= commonMin).length; // sorted: a prefix
    return new Tokenizer([...SPECIAL_TOKENS, ...kept], common);
  }

  static fromJSON(j: TokenizerJSON): Tokenizer {
    if (j.kind !== 'word-v1') throw new Error(`tokenizer: unknown kind ${JSON.stringify(j.kind)}`);
    if (!Array.isArray(j.vocab) || SPECIAL_TOKENS.some((s, i) => j.vocab[i] !== s)) {
      throw new Error('tokenizer: vocabulary must start with the special tokens in order');
    }
    return new Tokenizer(j.vocab, j.common ?? j.vocab.length);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'word-v1', vocab: this.vocab.slice(), common: this.common };
  }

  /** True for a name (a rare word: copied, not generated). */
  isName(id: number): boolean {
    return id >= this.common && id < this.vocab.length;
  }

  get size(): number {
    return this.vocab.length;
  }

  /** Id of an already-normalised piece (as produced by `pieces`); UNK if unknown. Case-sensitive. */
  id(piece: string): number {
    return this.index.get(piece) ?? UNK;
  }

  /** Normalised pieces of a text: tags, lower-cased words/numbers, single punctuation marks. */
  pieces(text: string): string[] {
    return splitPieces(text);
  }

  /** Text → ids. Adds no <bos>/<eos>; callers add them where the sequence format wants them. */
  encode(text: string): number[] {
    return splitPieces(text).map((p) => this.index.get(p) ?? UNK);
  }

  /** Ids → text: pieces joined by single spaces; <pad>, <bos>, <eos> skipped; out-of-range ids shown as <unk>. */
  decode(ids: readonly number[]): string {
    const out: string[] = [];
    for (const id of ids) {
      if (id === PAD || id === BOS || id === EOS) continue;
      out.push(this.vocab[id] ?? SPECIAL_TOKENS[UNK]);
    }
    return out.join(' ');
  }

  /** True for ids 0..11. */
  isSpecial(id: number): boolean {
    return id >= 0 && id < NUM_SPECIAL;
  }
}
