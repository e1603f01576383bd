/**
 * Outcome rewards and QA metrics for Search-R1.
 *
 * Sources, ported line by line where noted:
 * - SQuAD v1.1 official evaluation script (evaluate-v1.1.py): `normalize_answer`, `exact_match_score`, `f1_score`.
 * - Search-R1 (PeterGriffinJin/Search-R1) `verl/utils/reward_score/qa_em.py`: `em_check`, `extract_solution`,
 *   `compute_score_em`; and `qa_em_format.py`: `is_valid_sequence`, `compute_score_em` with
 *   structure_format_score = 0.2, final_format_score = 0.1, retrieval_score = 0 (the values in its training script).
 *
 * The one deliberate difference: Search-R1 passes prompt + response to `extract_solution`, and since its prompt
 * contains the example "<answer> Beijing </answer>" it returns None unless there are at least two matches. Here
 * `response` is the response only (everything after the prompt), so one match is enough.
 *
 * Pure string functions; knows nothing of tokens or tensors.
 */
import { splitPieces } from './text';

// Python's string.punctuation: ASCII only. SQuAD removes exactly these; Unicode punctuation (’ – «) stays.
const PUNCT_RE = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Python 3 `\b(a|an|the)\b` on str: a word char is a Unicode letter, digit or "_" (not a combining mark).
// JS `\b` is ASCII-only even with /u, so spell the boundaries out with look-arounds.
const ARTICLES_RE = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
// Python str.split() with no argument: Unicode whitespace, which also counts \x1c-\x1f.
// eslint-disable-next-line no-control-regex -- deliberate: Python's str.split() treats \x1c-\x1f as whitespace
const WS_RE = /[\s\x1c-\x1f]+/u;

/**
 * SQuAD v1.1 `normalize_answer`: lower → remove punctuation → remove articles a|an|the (as words) → collapse
 * whitespace. `normalizeAnswer("The  Eiffel-Tower!")` → "eiffeltower".
 */
export function normalizeAnswer(s: string): string {
  const lower = s.toLowerCase();
  const noPunc = lower.replace(PUNCT_RE, '');
  const noArticles = noPunc.replace(ARTICLES_RE, ' ');
  return splitWs(noArticles).join(' ');
}

function splitWs(s: string): string[] {
  return s.split(WS_RE).filter((t) => t.length > 0);
}

/** Search-R1 `em_check`: 1 if the normalised prediction equals any normalised golden answer, else 0. */
export function exactMatch(pred: string, goldens: readonly string[]): number {
  const p = normalizeAnswer(pred);
  return goldens.some((g) => normalizeAnswer(g) === p) ? 1 : 0;
}

/** SQuAD `f1_score` for one golden answer: bag-of-tokens overlap after normalisation. */
function f1One(pred: string, golden: string): number {
  const pt = splitWs(normalizeAnswer(pred));
  const gt = splitWs(normalizeAnswer(golden));
  const gCounts = new Map<string, number>();
  for (const t of gt) gCounts.set(t, (gCounts.get(t) ?? 0) + 1);
  let same = 0; // sum(Counter(pt) & Counter(gt))
  for (const t of pt) {
    const c = gCounts.get(t) ?? 0;
    if (c > 0) {
      same++;
      gCounts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / pt.length;
  const recall = same / gt.length;
  return (2 * precision * recall) / (precision + recall);
}

/** SQuAD token F1, max over the golden answers (`metric_max_over_ground_truths`). 0 for no goldens. */
export function tokenF1(pred: string, goldens: readonly string[]): number {
  let best = 0;
  for (const g of goldens) best = Math.max(best, f1One(pred, g));
  return best;
}

/**
 * Search-R1 `extract_solution`: content of the LAST `<answer>…</answer>` (regex `<answer>(.*?)</answer>`, DOTALL,
 * non-greedy), stripped; null if there is none. See the file header for the one-match difference.
 * Note: the environment's invalid-action text contains "<answer> and </answer>"; as in Search-R1, if the policy
 * never answers after it, that "and" is what gets extracted (and scores as a wrong answer).
 */
export function extractAnswer(response: string): string | null {
  let last: string | null = null;
  for (const m of response.matchAll(/<answer>([\s\S]*?)<\/answer>/g)) last = m[1];
  return last === null ? null : last.trim();
}

type FormatState =
  | 'start'
  | 'in_think'
  | 'after_think'
  | 'in_search'
  | 'after_search'
  | 'in_information'
  | 'information'
  | 'in_answer'
  | 'end';

/** Allowed transitions of qa_em_format.py `is_valid_sequence`: [state][tag] → next state. */
const TRANSITIONS: Partial<Record<FormatState, Record<string, FormatState>>> = {
  start: { '<think>': 'in_think' },
  information: { '<think>': 'in_think' },
  in_think: { '</think>': 'after_think' },
  after_think: { '<search>': 'in_search', '<answer>': 'in_answer' },
  in_search: { '</search>': 'after_search' },
  after_search: { '<information>': 'in_information' },
  in_information: { '</information>': 'information' },
  in_answer: { '</answer>': 'end' },
};
const CONTENT_STATES: ReadonlySet<FormatState> = new Set([
  'in_think',
  'in_search',
  'in_information',
  'in_answer',
]);

/**
 * Search-R1 `is_valid_sequence` (qa_em_format.py), applied to the response (the original first cuts the text
 * after the "<|im_start|>assistant" marker; our response already starts there). Valid iff:
 * 1. for each of think/search/information/answer, the number of opening and closing tags is equal;
 * 2. splitting on the tags, the sequence follows the state machine
 *      start → <think>…</think> → ( <search>…</search> <information>…</information> → <think>…</think> )* →
 *      <answer>…</answer> → end
 *    i.e. every search and the answer come right after a think block, every search is followed by its
 *    information block, and the next step after information is a new think;
 * 3. only whitespace between tags, nothing (not even another tag) after the single final </answer>.
 */
export function isValidFormat(response: string): boolean {
  for (const tag of ['think', 'search', 'information', 'answer']) {
    const open = response.split(`<${tag}>`).length - 1;
    const close = response.split(`</${tag}>`).length - 1;
    if (open !== close) return false;
  }
  let state: FormatState = 'start';
  for (const part of response.split(/(<\/?(?:think|search|information|answer)>)/)) {
    if (part.trim() === '') continue; // Python: `if not part.strip(): continue`
    if (/^<\/?(?:think|search|information|answer)>$/.test(part)) {
      const next: FormatState | undefined = TRANSITIONS[state]?.[part];
      if (next === undefined) return false;
      state = next;
    } else if (!CONTENT_STATES.has(state)) {
      return false; // non-whitespace text between tags, or after </answer>
    }
  }
  return state === 'end';
}

export type RewardVariant = 'em' | 'f1' | 'format';

export interface RewardResult {
  /** The scalar reward placed on the last response token. */
  reward: number;
  /** Exact match of the extracted answer (0 if none). */
  em: number;
  /** Token F1 of the extracted answer (0 if none). */
  f1: number;
  answer: string | null;
  validFormat: boolean;
}

/** Format-variant scores, qa_em_format.py `compute_score_em` with Search-R1's defaults. */
export const FORMAT_SCORES = {
  correctValid: 1.0, // score
  correctInvalid: 0.8, // score − structure_format_score
  wrongValid: 0.2, // structure_format_score
  wrongInvalid: 0.1, // final_format_score
  noAnswer: 0, // invalid and no answer (valid implies an answer: the state machine must reach 'end')
} as const;

/**
 * The golden answers plus each one as our tokenizer writes it (pieces joined by spaces). The policy emits tokens,
 * and decoding puts spaces around punctuation: a perfect copy of "1,234,567" reads "1 , 234 , 567", which SQuAD
 * normalisation turns into "1 234 567", never "1234567". Comparing against the golden answer's own token form
 * as well scores exactly the answers the policy can write; nothing looser.
 */
export function withTokenForms(goldens: readonly string[]): string[] {
  const out = new Set(goldens);
  for (const g of goldens) out.add(splitPieces(g).join(' '));
  return [...out];
}

/**
 * Outcome reward of one response. `answer` is the policy's own final answer when the caller knows it (the rollout
 * parses it from generated tokens, so answer tags inside observations, e.g. the invalid-action hint, never count);
 * otherwise it is extracted from the text.
 * - 'em': exact match of the extracted answer (Search-R1 qa_em.py), 0 if none.
 * - 'f1': SQuAD token F1 of the extracted answer, 0 if none.
 * - 'format': qa_em_format.py: 1.0 correct+valid, 0.8 correct+invalid, 0.2 wrong+valid, 0.1 wrong+invalid,
 *   0 no answer.
 */
export function computeReward(
  response: string,
  goldens: readonly string[],
  variant: RewardVariant,
  policyAnswer?: string | null,
): RewardResult {
  const answer = policyAnswer === undefined ? extractAnswer(response) : policyAnswer;
  const validFormat = isValidFormat(response);
  const targets = withTokenForms(goldens);
  const em = answer === null ? 0 : exactMatch(answer, targets);
  const f1 = answer === null ? 0 : tokenF1(answer, targets);
  let reward: number;
  switch (variant) {
    case 'em':
      reward = em;
      break;
    case 'f1':
      reward = f1;
      break;
    case 'format':
      if (answer === null) reward = validFormat ? FORMAT_SCORES.wrongValid : FORMAT_SCORES.noAnswer;
      else if (em === 1) reward = validFormat ? FORMAT_SCORES.correctValid : FORMAT_SCORES.correctInvalid;
      else reward = validFormat ? FORMAT_SCORES.wrongValid : FORMAT_SCORES.wrongInvalid;
      break;
  }
  return { reward, em, f1, answer, validFormat };
}
