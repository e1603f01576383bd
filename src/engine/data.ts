/**
 * Parsing and validation of corpus and QA files in the Search-R1 / FlashRAG JSON-lines formats.
 *
 *   corpus line: {"id": "0", "contents": "\"Title\"\ntext"}                      → Passage
 *   QA line:     {"id": "q1", "question": "...", "golden_answers": ["..", ..]}  → QAItem
 *
 * Works on strings only (no DOM, no Node APIs) so the browser worker, the CLI and the tests share it.
 * All-or-nothing: a file either parses completely or a DataError names the file, the 1-based line and the problem.
 *
 * Decisions (documented here because callers see them):
 * - A leading UTF-8 byte-order mark is stripped silently; a BOM anywhere else is invalid JSON.
 * - Blank / whitespace-only lines are skipped (so a trailing newline and \r\n endings are fine).
 * - `id` may be a string or a finite number (a number becomes its decimal string); an empty id is rejected.
 * - Extra fields are ignored. QA `hops` is kept when it is a positive integer at the top level; if the top level has
 *   none, `metadata.hops` is used (FlashRAG keeps extra info under `metadata`). A present but invalid `hops` is an error.
 * - Golden answers must be non-empty strings: an empty answer would normalise to "" and reward an empty reply.
 * - A file with no records is an error ("file is empty") reported on line 1.
 * - Bytes (an uploaded file) go through decodeText first: not UTF-8, or a binary file of another kind (parquet,
 *   zip, gzip, PNG, PDF), is a DataError on the line where it shows.
 * Does not know about tokenisation, retrieval or where the text came from (fetch, file input, fs).
 */
import { normalizeAnswer } from './reward';
import type { Passage, QAItem } from './types';

/** Called every PROGRESS_EVERY lines while a file is parsed: lines done, lines in all. */
export type ParseProgress = (done: number, total: number) => void;
const PROGRESS_EVERY = 2000;

/** Longest accepted line, in UTF-16 code units. Real corpus lines are a few hundred characters. */
export const MAX_LINE_CHARS = 1_000_000;

export class DataError extends Error {
  readonly file: string;
  /** 1-based number of the offending line (JSON lines) or row (Parquet); 0 when the file as a whole is wrong. */
  readonly line: number;
  readonly problem: string;
  /** What `line` counts. */
  readonly unit: 'line' | 'row';

  constructor(file: string, line: number, problem: string, unit: 'line' | 'row' = 'line') {
    super(line > 0 ? `${file} ${unit} ${line}: ${problem}` : `${file}: ${problem}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.problem = problem;
    this.unit = unit;
  }
}

type Json = Record<string, unknown>;

/** Non-blank lines with their 1-based numbers, each parsed to a JSON object. Throws DataError. */
function jsonObjects(text: string, file: string, onProgress?: ParseProgress): { line: number; obj: Json }[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: { line: number; obj: Json }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    if (onProgress && i % PROGRESS_EVERY === 0) onProgress(i, lines.length);
    let raw = lines[i];
    if (raw.length > MAX_LINE_CHARS) {
      throw new DataError(
        file,
        lineNo,
        `line is too long (${raw.length} characters; the limit is ${MAX_LINE_CHARS})`,
      );
    }
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new DataError(file, lineNo, `invalid JSON (${why})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new DataError(file, lineNo, `each line must be a JSON object, got ${kind}`);
    }
    out.push({ line: lineNo, obj: value as Json });
  }
  if (out.length === 0) throw new DataError(file, 1, 'file is empty (no JSON records)');
  onProgress?.(lines.length, lines.length);
  return out;
}

function readId(obj: Json, file: string, line: number, seen: Map<string, number>): string {
  const v = obj.id;
  let id: string;
  if (typeof v === 'string') id = v;
  else if (typeof v === 'number' && Number.isFinite(v)) id = String(v);
  else if (v === undefined) throw new DataError(file, line, 'missing "id"');
  else throw new DataError(file, line, '"id" must be a string or a number');
  if (id.trim() === '') throw new DataError(file, line, '"id" must not be empty');
  const first = seen.get(id);
  if (first !== undefined)
    throw new DataError(file, line, `duplicate id "${id}" (first used on line ${first})`);
  seen.set(id, line);
  return id;
}

function nonEmptyString(obj: Json, key: string, file: string, line: number): string {
  const v = obj[key];
  if (v === undefined) throw new DataError(file, line, `missing "${key}"`);
  if (typeof v !== 'string') throw new DataError(file, line, `"${key}" must be a string`);
  if (v.trim() === '') throw new DataError(file, line, `"${key}" must not be empty`);
  return v;
}

/** Splits Search-R1 `contents` into title (first line, surrounding quotes stripped) and text (the rest, trimmed). */
export function splitContents(contents: string): { title: string; text: string } {
  const nl = contents.indexOf('\n');
  const first = (nl < 0 ? contents : contents.slice(0, nl)).trim();
  const rest = nl < 0 ? '' : contents.slice(nl + 1);
  const title =
    first.length >= 2 && first.startsWith('"') && first.endsWith('"') ? first.slice(1, -1).trim() : first;
  return { title, text: rest.trim() };
}

/** Parses a corpus JSON-lines file. `file` is the name used in error messages. */
export function parseCorpus(text: string, file: string, onProgress?: ParseProgress): Passage[] {
  const seen = new Map<string, number>();
  return jsonObjects(text, file, onProgress).map(({ line, obj }) => {
    if (!('contents' in obj) && 'question' in obj) {
      throw new DataError(
        file,
        line,
        'this looks like a QA file, not a corpus (it has "question" but no "contents")',
      );
    }
    const id = readId(obj, file, line, seen);
    const contents = nonEmptyString(obj, 'contents', file, line);
    const { title, text: body } = splitContents(contents);
    return { id, title, text: body, contents };
  });
}

function readHops(obj: Json, file: string, line: number): number | undefined {
  let v: unknown = obj.hops;
  let key = 'hops';
  if (v === undefined) {
    const meta = obj.metadata;
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
      v = (meta as Json).hops;
      key = 'metadata.hops';
    }
  }
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new DataError(file, line, `"${key}" must be a positive integer`);
  }
  return v;
}

/** Parses a QA JSON-lines file (FlashRAG style). `file` is the name used in error messages. */
export function parseQA(text: string, file: string, onProgress?: ParseProgress): QAItem[] {
  const seen = new Map<string, number>();
  return jsonObjects(text, file, onProgress).map(({ line, obj }) => {
    if (!('question' in obj) && 'contents' in obj) {
      throw new DataError(
        file,
        line,
        'this looks like a corpus file, not a QA file (it has "contents" but no "question")',
      );
    }
    const id = readId(obj, file, line, seen);
    const question = nonEmptyString(obj, 'question', file, line);
    const ga = obj.golden_answers;
    if (ga === undefined) throw new DataError(file, line, 'missing "golden_answers"');
    if (!Array.isArray(ga) || ga.length === 0 || !ga.every((a) => typeof a === 'string')) {
      throw new DataError(file, line, '"golden_answers" must be a non-empty array of strings');
    }
    if (ga.some((a) => (a as string).trim() === '')) {
      throw new DataError(file, line, '"golden_answers" must not contain empty strings');
    }
    const item: QAItem = { id, question, golden_answers: (ga as string[]).slice() };
    const hops = readHops(obj, file, line);
    if (hops !== undefined) item.hops = hops;
    return item;
  });
}

/** One JSON object per line, each line ending in "\n" (an empty list gives ""). */
export function serializeJsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r) + '\n').join('');
}

/** Binary formats people upload by mistake, by their first bytes. */
const MAGIC: { bytes: number[]; what: string }[] = [
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive' },
  { bytes: [0x1f, 0x8b], what: 'a gzip file' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
];

/** Length of the valid UTF-8 sequence at `i`, or 0 when it is not one (overlongs and surrogates included). */
function utf8Len(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return i + 1 < b.length && b[i + 1] >= lo && b[i + 1] <= hi && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return i + 1 < b.length && b[i + 1] >= lo && b[i + 1] <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * The text of an uploaded file: strict UTF-8 (a leading BOM is kept for the parsers to strip). A file of another
 * kind (by its first bytes, or a NUL byte) or a byte sequence that is not UTF-8 is a DataError naming the line.
 */
export function decodeText(bytes: Uint8Array, file: string): string {
  for (const m of MAGIC)
    if (m.bytes.every((x, i) => bytes[i] === x))
      throw new DataError(file, 1, `this is ${m.what}, not a JSON-lines text file`);
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      const line = text.slice(0, nul).split('\n').length;
      throw new DataError(file, line, 'binary data (a NUL byte): this is not a JSON-lines text file');
    }
    return text;
  } catch (e) {
    if (e instanceof DataError) throw e;
  }
  let line = 1;
  for (let i = 0; i < bytes.length;) {
    const n = utf8Len(bytes, i);
    if (n === 0) {
      const hex = bytes[i].toString(16).padStart(2, '0');
      throw new DataError(
        file,
        line,
        `not valid UTF-8 (byte 0x${hex} at offset ${i}); save the file as UTF-8`,
      );
    }
    if (bytes[i] === 0x0a) line++;
    i += n;
  }
  throw new DataError(file, line, 'not valid UTF-8');
}

/** Which kind of file this is, from its first record: a corpus ("contents") or a QA set ("question"). */
export function sniffKind(text: string, file: string): 'corpus' | 'qa' {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw) continue;
    if (raw.length > MAX_LINE_CHARS) return 'corpus'; // the parser reports the long line
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      if (raw.startsWith('<'))
        throw new DataError(file, i + 1, 'this looks like HTML or XML, not JSON lines');
      return 'corpus'; // the parser reports the invalid JSON on this line
    }
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      if ('contents' in v) return 'corpus';
      if ('question' in v) return 'qa';
      throw new DataError(file, i + 1, 'neither a corpus line (no "contents") nor a QA line (no "question")');
    }
    return 'corpus';
  }
  throw new DataError(file, 1, 'file is empty (no JSON records)');
}

/**
 * How many questions have some golden answer in the corpus text (as whole normalised words, SQuAD
 * normalisation): one pass over the corpus, answers indexed by their first word.
 */
export function answerCoverage(
  qa: readonly QAItem[],
  corpus: readonly Passage[],
): { found: number; total: number } {
  const byFirst = new Map<string, { words: string[]; q: number }[]>();
  qa.forEach((item, q) => {
    for (const a of item.golden_answers) {
      const words = normalizeAnswer(a).split(' ').filter(Boolean);
      if (!words.length) continue;
      const list = byFirst.get(words[0]) ?? [];
      list.push({ words, q });
      byFirst.set(words[0], list);
    }
  });
  const hit = new Uint8Array(qa.length);
  for (const p of corpus) {
    const w = normalizeAnswer(p.contents).split(' ');
    for (let i = 0; i < w.length; i++) {
      const cands = byFirst.get(w[i]);
      if (!cands) continue;
      for (const c of cands) if (!hit[c.q] && c.words.every((x, k) => w[i + k] === x)) hit[c.q] = 1;
    }
  }
  return { found: hit.reduce((a, b) => a + b, 0), total: qa.length };
}
