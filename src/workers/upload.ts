/**
 * An upload of the user's own data, checked whole before anything changes (all-or-nothing): one corpus file and
 * one or two QA files (JSON lines, Search-R1 / FlashRAG), told apart by their first record. A QA file may also be
 * Parquet (Search-R1's training files, or question / golden_answers columns; engine/parquet.ts): it is read first
 * and goes on as the JSON lines it holds. Two QA files: the one named test/dev/val is held out; one QA file: its
 * last fifth is held out. Every problem is a DataError naming the file and line (or row); answers that never occur
 * in the corpus give warnings. Runs in the worker (the page never parses).
 * Knows the engine's loaders and retriever; nothing of IndexedDB or messages.
 */
import {
  answerCoverage,
  decodeText,
  parseCorpus,
  parseQA,
  serializeJsonl,
  sniffKind,
  type ParseProgress,
} from '../engine/data';
import { isParquetFile, parseQaParquet } from '../engine/parquet';
import type { Dataset } from '../engine/session';
import type { QAItem } from '../engine/types';
import type { CorpusInfo } from './protocol';
import type { DatasetRecord } from './runsDb';

export interface UploadFile {
  name: string;
  bytes: Uint8Array;
}

export interface ParsedUpload {
  record: DatasetRecord;
  data: Dataset;
  warnings: string[];
}

/** A corpus name not yet in `taken`, from the corpus file's name. */
export function uploadName(file: string, taken: ReadonlySet<string>): string {
  const stem =
    file
      .replace(/\.[^.]*$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'corpus';
  let name = `upload-${stem}`;
  for (let k = 2; taken.has(name); k++) name = `upload-${stem}-${k}`;
  return name;
}

/** Texts → dataset (used for uploads and for datasets read back from IndexedDB). */
export function parseDataset(
  texts: DatasetRecord['texts'],
  names: { corpus: string; train: string; test: string },
  progress: (stage: string, fraction: number) => void = () => {},
): Dataset {
  const stage =
    (what: string, from: number, span: number): ParseProgress =>
    (done, total) =>
      progress(what, from + (span * done) / Math.max(1, total));
  const corpus = parseCorpus(texts.corpus, names.corpus, stage(`parsing ${names.corpus}`, 0, 0.6));
  const train = parseQA(texts.train, names.train, stage(`parsing ${names.train}`, 0.6, 0.1));
  const test =
    texts.test === texts.train
      ? train
      : parseQA(texts.test, names.test, stage(`parsing ${names.test}`, 0.7, 0.1));
  return { corpus, train, test };
}

/** Parquet QA files become the JSON-lines files they hold (same names); other files pass through. */
export async function parquetAsJsonl(
  files: readonly UploadFile[],
  progress: (stage: string, fraction: number) => void = () => {},
): Promise<UploadFile[]> {
  const out: UploadFile[] = [];
  for (const f of files) {
    if (!isParquetFile(f.bytes, f.name)) {
      out.push(f);
      continue;
    }
    progress(`reading ${f.name}`, 0);
    const items = await parseQaParquet(f.bytes, f.name, (done, total) =>
      progress(`checking ${f.name}: row ${done + 1} of ${total}`, 0),
    );
    out.push({ name: f.name, bytes: new TextEncoder().encode(serializeJsonl(items)) });
  }
  return out;
}

/** parseUpload after reading any Parquet QA files (asynchronous: the Parquet reader is). */
export async function readUpload(
  files: readonly UploadFile[],
  taken: ReadonlySet<string>,
  progress: (stage: string, fraction: number) => void = () => {},
): Promise<ParsedUpload> {
  return parseUpload(await parquetAsJsonl(files, progress), taken, progress);
}

/** Check and parse an upload; throws a DataError (engine/data.ts), or an Error for a wrong set of files. */
export function parseUpload(
  files: readonly UploadFile[],
  taken: ReadonlySet<string>,
  progress: (stage: string, fraction: number) => void = () => {},
): ParsedUpload {
  if (!files.length) throw new Error('no files chosen');
  const texts = files.map((f) => ({ name: f.name, text: decodeText(f.bytes, f.name) }));
  const corpora = texts.filter((t) => sniffKind(t.text, t.name) === 'corpus');
  const qa = texts.filter((t) => !corpora.includes(t));
  if (corpora.length !== 1)
    throw new Error(
      corpora.length
        ? `upload one corpus at a time (got ${corpora.map((c) => c.name).join(', ')})`
        : 'the upload has no corpus file (lines with "id" and "contents"); add one',
    );
  if (qa.length === 0 || qa.length > 2)
    throw new Error(
      `the upload needs one or two QA files (lines with "question" and "golden_answers"), got ${qa.length}`,
    );
  const heldOut = /test|dev|val/i;
  const [trainF, testF] =
    qa.length === 2
      ? heldOut.test(qa[0].name) && !heldOut.test(qa[1].name)
        ? [qa[1], qa[0]]
        : qa
      : [qa[0], qa[0]];
  const c = corpora[0];
  const data = parseDataset(
    { corpus: c.text, train: trainF.text, test: testF.text },
    { corpus: c.name, train: trainF.name, test: testF.name },
    progress,
  );
  let textsOut = { corpus: c.text, train: trainF.text, test: testF.text };
  if (trainF === testF) {
    const { train, test } = splitHeldOut(data.train);
    data.train = train;
    data.test = test;
    textsOut = { corpus: c.text, train: toJsonl(train), test: toJsonl(test) };
  }
  progress('checking answers against the corpus', 0.8);
  const warnings: string[] = [];
  for (const [file, items] of [
    [trainF.name, data.train],
    [testF === trainF ? `${testF.name} (held-out part)` : testF.name, data.test],
  ] as const) {
    const { found, total } = answerCoverage(items, data.corpus);
    if (found === 0)
      warnings.push(
        `${file}: none of the ${total} questions has an answer that occurs in ${c.name}: search cannot help, and copying an answer out of a passage never earns reward`,
      );
    else if (found < total)
      warnings.push(
        `${file}: ${total - found} of ${total} questions have no answer that occurs in ${c.name}`,
      );
  }
  const name = uploadName(c.name, taken);
  const info: CorpusInfo = {
    name,
    title: `${c.name} (uploaded)`,
    description: `Uploaded: ${c.name} with ${trainF === testF ? trainF.name : `${trainF.name} and ${testF.name}`}.`,
    corpus: c.name,
    train: trainF.name,
    test: testF === trainF ? `${testF.name} (held-out part)` : testF.name,
    passages: data.corpus.length,
    trainQuestions: data.train.length,
    testQuestions: data.test.length,
  };
  return { record: { name, info, texts: textsOut }, data, warnings };
}

/** For the upload's outcome line: its first training question and answers, so that a misread column shows. */
export function firstQuestion(items: readonly QAItem[]): string {
  const q = items[0];
  if (!q) return '';
  const short = q.question.length > 200 ? `${q.question.slice(0, 200)}…` : q.question;
  return `; first question: “${short}” → ${q.golden_answers.join(' | ')}`;
}

/** One QA file for both splits: the last fifth (at least one question) is held out. */
export function splitHeldOut(items: readonly QAItem[]): { train: QAItem[]; test: QAItem[] } {
  if (items.length < 2) return { train: items.slice(), test: items.slice() };
  const n = Math.max(1, Math.floor(items.length / 5));
  return { train: items.slice(0, items.length - n), test: items.slice(items.length - n) };
}

function toJsonl(items: readonly QAItem[]): string {
  return items.map((q) => JSON.stringify(q)).join('\n') + '\n';
}
