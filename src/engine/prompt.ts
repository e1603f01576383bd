/**
 * Prompt templates. The paper's exact Search-R1 / R1 / RAG instructions are kept verbatim so the UI can show
 * them; the default "short" style keeps the same structure in fewer tokens for a 256-token context.
 * Pure string functions.
 */
import type { Mode, PromptStyle } from './config';

/** Search-R1's instruction (paper / PeterGriffinJin/Search-R1 make_prefix, base model). */
export const PAPER_SEARCH_TEMPLATE =
  'Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new ' +
  'information. After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query ' +
  '</search> and it will return the top searched results between <information> and </information>. You can search as ' +
  'many times as your want. If you find no further external knowledge needed, you can directly provide the answer ' +
  'inside <answer> and </answer>, without detailed illustrations. For example, <answer> Beijing </answer>. Question: {q}';

/** The R1 baseline (reason and answer, no search). */
export const PAPER_R1_TEMPLATE =
  'Answer the given question. You must conduct reasoning inside <think> and </think> first. After reasoning, ' +
  'provide the answer inside <answer> and </answer>, without detailed illustrations. For example, ' +
  '<answer> Beijing </answer>. Question: {q}';

/** The RAG baseline: the top passages for the question given up front. */
export const PAPER_RAG_TEMPLATE =
  'Answer the given question using the context. You must conduct reasoning inside <think> and </think> first. ' +
  'After reasoning, provide the answer inside <answer> and </answer>, without detailed illustrations. For ' +
  'example, <answer> Beijing </answer>. Context: {context} Question: {q}';

/** Direct inference: answer at once. */
export const PAPER_DIRECT_TEMPLATE =
  'Answer the given question directly inside <answer> and </answer>, without detailed illustrations. Question: {q}';

const SHORT: Record<Mode, string> = {
  search: 'Think, then <search> query </search> or <answer> answer </answer>. Question: {q}',
  nosearch: 'Think, then <answer> answer </answer>. Question: {q}',
  rag: 'Context: {context} Think, then <answer> answer </answer>. Question: {q}',
  direct: '<answer> answer </answer>. Question: {q}',
};

const PAPER: Record<Mode, string> = {
  search: PAPER_SEARCH_TEMPLATE,
  nosearch: PAPER_R1_TEMPLATE,
  rag: PAPER_RAG_TEMPLATE,
  direct: PAPER_DIRECT_TEMPLATE,
};

export function promptTemplate(mode: Mode, style: PromptStyle): string {
  return (style === 'paper' ? PAPER : SHORT)[mode];
}

/** The question stripped, with a "?" appended when it has none (Search-R1 make_prefix). */
export function normalizeQuestion(q: string): string {
  const s = q.trim();
  return s.endsWith('?') ? s : `${s}?`;
}

export function buildPrompt(question: string, mode: Mode, style: PromptStyle, context = ''): string {
  // Function replacers: "$&", "$'" … in a question or passage must stay literal; {q} first, so a passage that
  // happens to contain "{q}" is not filled with the question.
  const q = normalizeQuestion(question);
  return promptTemplate(mode, style)
    .replace('{q}', () => q)
    .replace('{context}', () => context);
}

/** The observation appended after an invalid action (Search-R1 generation.py, verbatim). */
export const INVALID_ACTION_TEXT =
  'My previous action is invalid. If I want to search, I should put the query between <search> and </search>. ' +
  'If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.';

/** The same message in a few tokens, for the short prompt style. */
export const SHORT_INVALID_ACTION_TEXT =
  'Invalid action. Use <search> query </search> or <answer> answer </answer>.';

export function invalidActionText(style: PromptStyle): string {
  return style === 'paper' ? INVALID_ACTION_TEXT : SHORT_INVALID_ACTION_TEXT;
}
