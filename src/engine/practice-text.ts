/**
 * The text side of reading practice: sentences of a passage, name spans (with a truecasing rule), content words,
 * a crude stem for word-overlap tests, the answer type a question names. Pure string functions over passages and
 * questions; no retrieval, no tokens, no randomness.
 */
import { STOPWORDS, isContentWord, splitPieces } from './text';
import type { Passage } from './types';

/** Content words of a text: word pieces that are not stopwords. */
export function contentWords(text: string): string[] {
  return splitPieces(text).filter(isContentWord);
}

const ARTICLES: ReadonlySet<string> = new Set(['the', 'a', 'an']);

/** A crude stem for word-overlap tests: the first four letters ("studied" ~ "study", "founded" ~ "found"). */
export function stem(word: string): string {
  return word.slice(0, 4);
}

/** The answer's type named by a question: the content word right after "which" / "what" ("Which country …"). */
export function answerType(question: string): string | null {
  const pieces = splitPieces(question);
  for (let i = 0; i + 1 < pieces.length; i++)
    if ((pieces[i] === 'which' || pieces[i] === 'what') && isContentWord(pieces[i + 1])) return pieces[i + 1];
  return null;
}

/**
 * Whether a question asks for a name by its question word: "Who founded …?", "Where did … study?" want a name
 * (a person, a place, an institution), not an ordinary word such as "mining" or "composer". English question
 * words only; a question without one (or in another language) asks for anything.
 */
export function wantsName(question: string): boolean {
  const pieces = splitPieces(question);
  return pieces.some((w) => w === 'who' || w === 'whom' || w === 'whose' || w === 'where');
}

/** Sentences of a passage text (split after . ! ? followed by a space and a capital or digit). */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Name spans in a sentence: maximal runs of capitalised words or numbers (case from the raw corpus text),
 * allowing lower-case joiners inside ("Bank of Quelaria"); punctuation ends a run. A run after a lower-case article
 * and followed by one or two lower-case words that end the clause takes them along ("is the Guyanese dollar." →
 * "Guyanese dollar"): such names are otherwise cut short ("The Boudai River flows." stays "Boudai River").
 * Returned as raw substrings.
 */
export function nameSpans(sentence: string): string[] {
  const raw = sentence.split(/\s+/).filter((w) => w.length > 0);
  const words = raw.map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''));
  const endsClause = (i: number) => i === raw.length - 1 || /[.,;:!?)]$/u.test(raw[i]);
  const isLower = (w: string) => /^\p{Ll}/u.test(w);
  const spans: string[] = [];
  let run: string[] = [];
  let start = 0; // index of the run's first word
  // Sentence-initial capitals ("It", "The", "He") are not names: drop leading stopwords and lower-case joiners.
  const trimmed = () => {
    let a = 0;
    let b = run.length;
    while (a < b && (isLower(run[a]) || STOPWORDS.has(run[a].toLowerCase()))) a++;
    while (b > a && isLower(run[b - 1])) b--;
    return run.slice(a, b);
  };
  const flush = (tail: string[] = []) => {
    const body = trimmed();
    if (body.length) spans.push([...body, ...tail].join(' '));
    run = [];
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!w) {
      flush();
      continue;
    }
    if (/^[\p{Lu}\p{N}]/u.test(w)) {
      if (!run.length) start = i;
      run.push(w);
    } else if (run.length && (w === 'of' || w === 'de' || w === 'la' || w === 'and')) run.push(w);
    else {
      const tail = run.length && start > 0 && ARTICLES.has(raw[start - 1]) ? clauseTail(i) : 0;
      flush(words.slice(i, i + tail));
      i += Math.max(tail - 1, 0);
      continue;
    }
    if (run.length && endsClause(i)) flush();
  }
  flush();
  return [...new Set(spans)];

  /** 1 or 2 when words[i..] are that many lower-case content words closing the clause; else 0. */
  function clauseTail(i: number): number {
    for (let n = 1; n <= 2 && i + n - 1 < words.length; n++) {
      const w = words[i + n - 1];
      if (!w || !isLower(w) || STOPWORDS.has(w)) return 0;
      if (endsClause(i + n - 1)) return n;
    }
    return 0;
  }
}

/** `s` with the first occurrence of `span` replaced by `by`. */
export function replaceOnce(s: string, span: string, by: string): string {
  const i = s.indexOf(span);
  return i < 0 ? s : s.slice(0, i) + by + s.slice(i + span.length);
}

/**
 * Words the corpus also writes in lower case ("born", "the", "capital"): a capitalised run made only of such words
 * is a sentence start or a heading ("Born in …", "Its capital …"), not a name. Numbers and words only ever
 * written capitalised ("Gouzathou", "French") make a span a name. A truecasing heuristic: no word lists.
 */
export function lowerCaseWords(passages: readonly Passage[]): Set<string> {
  const out = new Set<string>();
  for (const p of passages) {
    for (const w of p.text.split(/\s+/)) {
      const t = w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
      if (/^\p{Ll}/u.test(t)) out.add(t);
    }
  }
  return out;
}

/**
 * Pieces between a span's first occurrence in a sentence's pieces and the nearest of the cue positions (either
 * side; 0 = adjacent). Infinity when there is no cue or the span is not found.
 */
export function distance(pieces: readonly string[], span: string, cueAt: readonly number[]): number {
  const sp = splitPieces(span);
  let at = -1;
  for (let i = 0; i + sp.length <= pieces.length && at < 0; i++)
    if (sp.every((w, j) => pieces[i + j] === w)) at = i;
  if (at < 0) return Infinity;
  const end = at + sp.length - 1;
  return cueAt.reduce(
    (m, c) => Math.min(m, c < at ? at - c - 1 : c > end ? c - end - 1 : Infinity),
    Infinity,
  );
}
