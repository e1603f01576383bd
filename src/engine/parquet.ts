/**
 * QA sets in Parquet, read with hyparquet (pure JavaScript; snappy, pandas' default compression, built in).
 * Two layouts, told apart by their columns:
 *
 *   Search-R1 training files (scripts/data_process/nq_search.py, written by pandas):
 *     data_source: string, prompt: list<{role, content}>, ability: string,
 *     reward_model: {style: "rule", ground_truth: {target: list<string>}}, extra_info: {split, index}
 *     → question: the text after the last "Question:" of the last user message, trimmed (the whole message when it
 *       has none); golden_answers: reward_model.ground_truth.target (a lone string is one answer);
 *       id: extra_info.index, else the row number; prefixed "<data_source>_" when the file mixes several sources
 *       (Search-R1's merged files number each source from 0).
 *   FlashRAG-style files: question: string, golden_answers: list<string>, optional id (else the row number).
 *
 * All-or-nothing like the JSON-lines loaders (data.ts): every problem is a DataError naming the file and the
 * 1-based row ("row 12: reward_model.ground_truth.target is missing"), or the file alone when its structure is
 * wrong ("not a parquet file (no PAR1 magic)", "no question column"). Bytes in, QAItems out: no DOM, no Node APIs.
 * Parquet corpora are not read (corpora are JSON lines); other columns (ability, data_source, …) are ignored.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { DataError, type ParseProgress } from './data';
import type { QAItem } from './types';

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1", at both ends of every parquet file
const PROGRESS_EVERY = 2000;

const startsWithMagic = (b: Uint8Array) => b.length >= 4 && MAGIC.every((x, i) => b[i] === x);

/** Whether an uploaded file is (meant to be) Parquet: its first bytes, or its name. */
export function isParquetFile(bytes: Uint8Array, name: string): boolean {
  return startsWithMagic(bytes) || /\.parquet$/i.test(name);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string cell (a UTF-8 byte array without the STRING annotation is decoded); null for anything else. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(v);
    } catch {
      return null;
    }
  }
  return null;
}

/** An id cell: a string, or an integer (int64 cells arrive as bigint). */
function idText(v: unknown): string | null {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  const s = text(v);
  return s !== null && s.trim() !== '' ? s : null;
}

/** The question in a Search-R1 user message: after the last "Question:", trimmed; else the whole message. */
export function questionFromPrompt(content: string): string {
  const at = content.lastIndexOf('Question:');
  return (at < 0 ? content : content.slice(at + 'Question:'.length)).trim();
}

/** Read a QA set from a Parquet file's bytes; `file` names it in errors. Throws DataError. */
export async function parseQaParquet(
  bytes: Uint8Array,
  file: string,
  onProgress?: ParseProgress,
): Promise<QAItem[]> {
  const fail = (problem: string) => new DataError(file, 0, problem, 'row');
  if (!startsWithMagic(bytes)) throw fail('not a parquet file (no PAR1 magic)');
  const end = bytes.subarray(Math.max(4, bytes.length - 4));
  if (bytes.length < 12 || !MAGIC.every((x, i) => end[i] === x))
    throw fail('truncated or damaged parquet file (no PAR1 magic at its end)');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (e) {
    throw fail(`damaged parquet file (${(e as Error).message})`);
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  const has = (c: string) => columns.includes(c);
  const layout = pickLayout(has, columns, fail);
  if (Number(metadata.num_rows) === 0) throw fail('the file has no rows');

  let rows: Obj[];
  try {
    rows = await parquetReadObjects({ file: buffer, metadata, columns: layout.columns.filter(has) });
  } catch (e) {
    const why = (e as Error).message;
    const hint = /compression codec/.test(why) ? '; save it with snappy compression, pandas’ default' : '';
    throw fail(`cannot decode the parquet data (${why})${hint}`);
  }
  const sources = new Set(rows.map((r) => text(r.data_source)).filter((s) => s !== null));
  const prefixIds = layout.kind === 'search-r1' && sources.size > 1;
  const seen = new Map<string, number>();
  return rows.map((r, i) => {
    const row = i + 1;
    if (onProgress && i % PROGRESS_EVERY === 0) onProgress(i, rows.length);
    const bad = (problem: string) => new DataError(file, row, problem, 'row');
    const item = layout.kind === 'search-r1' ? searchR1Row(r, bad) : flashRagRow(r, bad);
    let id = item.id ?? String(row);
    if (prefixIds) id = `${text(r.data_source) ?? 'unknown'}_${id}`;
    const first = seen.get(id);
    if (first !== undefined) throw bad(`duplicate id "${id}" (first used on row ${first})`);
    seen.set(id, row);
    return { id, question: item.question, golden_answers: item.golden };
  });
}

interface Layout {
  kind: 'search-r1' | 'flashrag';
  /** Columns to read (those present). */
  columns: string[];
}

function pickLayout(has: (c: string) => boolean, columns: string[], fail: (p: string) => DataError): Layout {
  if (has('question')) {
    if (!has('golden_answers'))
      throw fail('no golden_answers column (a QA set needs question and golden_answers)');
    return { kind: 'flashrag', columns: ['id', 'question', 'golden_answers'] };
  }
  if (has('prompt') || has('reward_model')) {
    for (const c of ['prompt', 'reward_model'])
      if (!has(c)) throw fail(`no ${c} column (a Search-R1 file has prompt and reward_model)`);
    return { kind: 'search-r1', columns: ['data_source', 'prompt', 'reward_model', 'extra_info'] };
  }
  if (has('contents'))
    throw fail('no question column: this looks like a corpus, and corpora are read from JSON lines only');
  throw fail(
    `no question column, and no prompt and reward_model columns of a Search-R1 file (columns: ${columns.join(', ')})`,
  );
}

interface RowItem {
  id: string | null;
  question: string;
  golden: string[];
}

function answers(v: unknown, where: string, bad: (p: string) => DataError): string[] {
  if (v === undefined || v === null) throw bad(`${where} is missing`);
  const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(text) : null;
  if (!list || list.some((a) => a === null)) throw bad(`${where} must be a list of strings`);
  if (!list.length) throw bad(`${where} is empty`);
  if (list.some((a) => a!.trim() === '')) throw bad(`${where} must not contain empty answers`);
  return list as string[];
}

function searchR1Row(r: Obj, bad: (p: string) => DataError): RowItem {
  const prompt = r.prompt;
  if (!Array.isArray(prompt) || !prompt.length)
    throw bad('prompt is missing or empty (a list of {role, content} messages)');
  const user = prompt.findLast((m) => isObj(m) && m.role === 'user') as Obj | undefined;
  if (!user) throw bad('prompt has no user message');
  const content = text(user.content);
  if (content === null || content.trim() === '') throw bad('the user message has no content');
  const question = questionFromPrompt(content);
  if (!question) throw bad('the question after "Question:" in the user message is empty');
  const rm = r.reward_model;
  if (!isObj(rm)) throw bad('reward_model is missing');
  if (!isObj(rm.ground_truth)) throw bad('reward_model.ground_truth is missing');
  const golden = answers(rm.ground_truth.target, 'reward_model.ground_truth.target', bad);
  const extra = r.extra_info;
  return { id: isObj(extra) ? idText(extra.index) : null, question, golden };
}

function flashRagRow(r: Obj, bad: (p: string) => DataError): RowItem {
  const q = r.question;
  if (q === undefined || q === null) throw bad('question is missing');
  const question = text(q);
  if (question === null) throw bad('question must be a string');
  if (question.trim() === '') throw bad('question is empty');
  return { id: idText(r.id), question, golden: answers(r.golden_answers, 'golden_answers', bad) };
}
