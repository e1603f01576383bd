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
 * Does not know about tokenisation, retrieval or where the text came from (fetch, file input, fs).
 */
import type { Passage, QAItem } from './types';

/** Longest accepted line, in UTF-16 code units. Real corpus lines are a few hundred characters. */
export const MAX_LINE_CHARS = 1_000_000;

export class DataError extends Error {
  readonly file: string;
  /** 1-based line number of the offending line. */
  readonly line: number;
  readonly problem: string;

  constructor(file: string, line: number, problem: string) {
    super(`${file} line ${line}: ${problem}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

type Json = Record<string, unknown>;

/** Non-blank lines with their 1-based numbers, each parsed to a JSON object. Throws DataError. */
function jsonObjects(text: string, file: string): { line: number; obj: Json }[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: { line: number; obj: Json }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
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
export function parseCorpus(text: string, file: string): Passage[] {
  const seen = new Map<string, number>();
  return jsonObjects(text, file).map(({ line, obj }) => {
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
export function parseQA(text: string, file: string): QAItem[] {
  const seen = new Map<string, number>();
  return jsonObjects(text, file).map(({ line, obj }) => {
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
