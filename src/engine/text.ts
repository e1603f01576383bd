/**
 * Shared word splitting for the tokenizer and the retriever, so that what the policy sees as a "word" and what
 * the search engine indexes as a term are the same thing.
 *
 * Rules (docs/ARCHITECTURE.md, "Token conventions"):
 * - text is Unicode-NFC-normalised, typographic apostrophes (’ ‘) become ASCII ', and everything is lower-cased;
 * - the eight Search-R1 tag literals (<think> … </answer>) are recognised anywhere, even without surrounding spaces;
 * - a word is a run of letters / digits (any script: é, ñ, ü, ß …), possibly joined by single apostrophes, hyphens
 *   or dots that sit *between* two letters or digits ("o'neill", "well-known", "u.s", "3.5");
 * - every other non-space character is a token of its own (punctuation, symbols).
 *
 * Knows nothing of vocabularies, ids or scoring. No DOM / Node APIs: runs in a Web Worker too.
 */

/** The Search-R1 tags, in the order of their token ids (4..11). */
export const TAG_LITERALS = [
  '<think>',
  '</think>',
  '<search>',
  '</search>',
  '<information>',
  '</information>',
  '<answer>',
  '</answer>',
] as const;

export type TagLiteral = (typeof TAG_LITERALS)[number];

const TAG_SET: ReadonlySet<string> = new Set(TAG_LITERALS);

// A tag, or a word (letters/digits/combining marks joined by ' - . between them), or any single non-space char.
// The tag alternative comes first so "<search>" is one piece, never "<", "search", ">".
const PIECE_RE =
  /<\/?(?:think|search|information|answer)>|[\p{L}\p{N}\p{M}]+(?:['.-][\p{L}\p{N}\p{M}]+)*|[^\s]/gu;

const WORD_START_RE = /^[\p{L}\p{N}\p{M}]/u;

/** Lower-case, NFC-normalise and unify apostrophes. Idempotent. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .toLowerCase();
}

/** True for the eight tag literals. */
export function isTag(piece: string): piece is TagLiteral {
  return TAG_SET.has(piece);
}

/** True if the piece is a word or number (not a tag, not punctuation). */
export function isWordPiece(piece: string): boolean {
  return WORD_START_RE.test(piece);
}

/**
 * Split text into normalised pieces: tags, words/numbers, single punctuation marks.
 * `splitPieces("<search>Capital of X?</search>")` → ["<search>", "capital", "of", "x", "?", "</search>"].
 */
export function splitPieces(text: string): string[] {
  return normalizeText(text).match(PIECE_RE) ?? [];
}

/** Only the words/numbers of a text (tags and punctuation dropped), normalised. Used for indexing and BM25. */
export function splitWords(text: string): string[] {
  return splitPieces(text).filter(isWordPiece);
}

/**
 * A small English stopword list (function words only; no content words that could be answers).
 * The retriever ignores these in queries; practice/data code may use it to pick "content words".
 */
// prettier-ignore
export const STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'of', 'in', 'on', 'at', 'to', 'for', 'by', 'with', 'from', 'into', 'about', 'as',
  'and', 'or', 'but', 'nor', 'not',
  'is', 'are', 'was', 'were', 'be', 'been', 'being', 'am',
  'do', 'does', 'did', 'has', 'have', 'had',
  'it', 'its', "it's", 'this', 'that', 'these', 'those', 'there', 'their', 'they', 'them', 'he', 'she', 'his',
  'her', 'i', 'you', 'we', 'me', 'my', 'our', 'your',
  'what', 'which', 'who', 'whom', 'whose', 'where', 'when', 'why', 'how',
  'can', 'could', 'would', 'should', 'will', 'shall', 'may', 'might', 'must',
  'than', 'then', 'so', 'if', 'also', 'such', 'very',
]);

/** True for a word worth searching on: a word/number piece that is not a stopword. */
export function isContentWord(piece: string): boolean {
  return isWordPiece(piece) && !STOPWORDS.has(piece);
}
