/**
 * Wiring shared by the CLI and the browser worker: from loaded data to a tokenizer, a retriever, a base policy,
 * and the defaults of a run. No I/O: callers read files and hand over parsed data.
 */
import type { Mode } from './config';
import { Policy, type ModelConfig, DEFAULT_MODEL } from './model';
import { promptTemplate, invalidActionText } from './prompt';
import { Retriever } from './retriever';
import {
  ANSWER,
  ANSWER_END,
  INFORMATION,
  INFORMATION_END,
  NUM_SPECIAL,
  SEARCH,
  SEARCH_END,
  THINK,
  THINK_END,
  Tokenizer,
} from './tokenizer';
import { isContentWord } from './text';
import type { Passage, QAItem } from './types';

export interface Dataset {
  corpus: Passage[];
  train: QAItem[];
  test: QAItem[];
}

const MODES: Mode[] = ['search', 'nosearch', 'rag', 'direct'];

/**
 * The vocabulary: every word of the corpus, of the questions (text only, never the golden answers) and of the
 * prompt templates. Words outside it become <unk>; the copy head can still only copy what it can name.
 */
export function buildTokenizer(data: Dataset): Tokenizer {
  const texts: string[] = [];
  for (const p of data.corpus) texts.push(p.contents);
  for (const q of data.train) texts.push(q.question);
  for (const q of data.test) texts.push(q.question);
  for (const m of MODES) {
    texts.push(promptTemplate(m, 'short'), promptTemplate(m, 'paper'));
  }
  texts.push(
    invalidActionText('short'),
    invalidActionText('paper'),
    'Doc 1 2 3 4 5 6 7 8 9 10 (Title: ) what the one for in:',
  );
  return Tokenizer.build(texts);
}

/** The search engine over `corpus`, ranking with BM25 term saturation `k1` (RolloutConfig.bm25K1). */
export function buildRetriever(corpus: Passage[], k1: number): Retriever {
  return new Retriever(corpus, { k1 });
}

/** The tag spans of the tag-state input (ModelConfig.tagSpans): states outside, think, search, information, answer. */
export const TAG_SPANS: readonly (readonly [number, number])[] = [
  [THINK, THINK_END],
  [SEARCH, SEARCH_END],
  [INFORMATION, INFORMATION_END],
  [ANSWER, ANSWER_END],
];

/**
 * Previous tokens in a new policy's copy-head keys (ModelConfig.keyContext). Three: the span after "currency is the"
 * or "capital of" is found by matching those words, which two layers did not learn to route (docs/experiments.md
 * §2.14: mean held-out EM of 3 seeds, world 0.246 → 0.332, countries 0.333 → 0.351; two-hop EM up on both).
 */
export const KEY_CONTEXT = 3;

/**
 * A new policy's config: names are copied, tags never are, every position knows which tag span it is in, copy
 * keys read the three tokens before a span, and a copy goes on with the word that followed the one just copied
 * (copyNext), with a gate that sees that word (copyGate). docs/experiments.md §2.17: with both, mean held-out EM of 3
 * seeds countries 0.367 → 0.479 (single-hop 0.446 → 0.575), world 0.381 → 0.367 (single-hop 0.469 → 0.547).
 * Passage words that the question has read a state of their own (questionMatch, §2.28).
 */
export function modelConfigFor(tokenizer: Tokenizer, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    ...DEFAULT_MODEL,
    commonVocab: tokenizer.common,
    copyFrom: NUM_SPECIAL,
    tagSpans: TAG_SPANS.map(([open, close]) => [open, close]),
    keyContext: KEY_CONTEXT,
    copyNext: true,
    copyGate: true,
    questionMatch: questionMatchFor(tokenizer),
    ...overrides,
    vocabSize: tokenizer.size,
  };
}

/**
 * A new policy's question match (ModelConfig.questionMatch): passage words inside `<information>` that the question
 * has, function words and punctuation ("the", "of", ",") excepted, read a state of their own, so "the currency is the
 * gowarn" marks "currency" for "What is the currency of …?" (docs/experiments.md §2.28).
 */
export function questionMatchFor(tokenizer: Tokenizer): { span: number; skip: number[] } {
  const span = TAG_SPANS.findIndex(([open]) => open === INFORMATION) + 1;
  const skip = tokenizer.vocab.flatMap((piece, id) =>
    id >= NUM_SPECIAL && !isContentWord(piece) ? [id] : [],
  );
  return { span, skip };
}

export function newPolicy(tokenizer: Tokenizer, seed: number, overrides: Partial<ModelConfig> = {}): Policy {
  return Policy.create(modelConfigFor(tokenizer, overrides), seed);
}
