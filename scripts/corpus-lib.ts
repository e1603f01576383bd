/**
 * Shared helpers for the corpus generators (scripts/gen-world.ts, scripts/gen-countries.ts):
 * the in-memory bundle shape, SQuAD-style normalisation for answer checks, balanced question sampling,
 * and the thin file-writing edge (corpus files + README + public/corpus/index.json).
 * Generation itself stays pure (seeded Rng in, bundle out); only writeBundle touches the file system.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { serializeJsonl } from '../src/engine/data';
import type { Rng } from '../src/engine/rng';

export interface CorpusRow {
  id: string;
  contents: string;
}

export interface QARow {
  id: string;
  question: string;
  golden_answers: string[];
  hops: 1 | 2;
  /** Question template kind, e.g. "person_born" or "company_founder_born" (extra field; parsers ignore it). */
  type: string;
  /** The entity the question starts from (the first hop). Train and test subjects are disjoint. */
  subject: string;
}

export interface CorpusBundle {
  name: string;
  title: string;
  description: string;
  corpus: CorpusRow[];
  train: QARow[];
  test: QARow[];
  readme: string;
}

export interface IndexEntry {
  name: string;
  title: string;
  description: string;
  corpus: string;
  train: string;
  test: string;
  passages: number;
  trainQuestions: number;
  testQuestions: number;
}

/** SQuAD normalisation: lower-case, drop punctuation, drop a/an/the, collapse whitespace. */
export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether the normalised answer occurs as a whole-word span of the normalised text. */
export function textContainsAnswer(normText: string, answer: string): boolean {
  const a = normalizeAnswer(answer);
  return a !== '' && ` ${normText} `.includes(` ${a} `);
}

/**
 * Keeps questions whose hop count is real in this corpus: a 1-hop question's subject and first golden answer share
 * a passage; no passage holds a 2-hop question's subject together with any of its golden answers.
 */
export function filterByHops<T extends QARow>(qs: T[], corpus: CorpusRow[]): T[] {
  const norm = corpus.map((p) => normalizeAnswer(p.contents));
  return qs.filter((q) => {
    const withSubject = norm.filter((t) => textContainsAnswer(t, q.subject));
    if (q.hops === 1) return withSubject.some((t) => textContainsAnswer(t, q.golden_answers[0]));
    return !withSubject.some((t) => q.golden_answers.some((a) => textContainsAnswer(t, a)));
  });
}

/** Search-R1 passage contents: the quoted title on the first line, then the text. */
export function contents(title: string, text: string): string {
  return `"${title}"\n${text}`;
}

export function wordCount(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

/**
 * Picks up to `target` questions from `pool`, cycling over question types (so that no type dominates) and
 * refusing any question whose first golden answer (normalised) has already been used `maxPerAnswer` times.
 */
export function sampleBalanced<T extends QARow>(
  pool: T[],
  target: number,
  maxPerAnswer: number,
  rng: Rng,
): T[] {
  const byType = new Map<string, T[]>();
  for (const q of pool) {
    const list = byType.get(q.type) ?? [];
    list.push(q);
    byType.set(q.type, list);
  }
  const queues = [...byType.keys()].sort().map((k) => rng.shuffle(byType.get(k)!));
  const answerCount = new Map<string, number>();
  const out: T[] = [];
  while (out.length < target && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      if (out.length >= target) break;
      while (queue.length > 0) {
        const q = queue.shift()!;
        const key = normalizeAnswer(q.golden_answers[0]);
        const n = answerCount.get(key) ?? 0;
        if (n >= maxPerAnswer) continue;
        answerCount.set(key, n + 1);
        out.push(q);
        break;
      }
    }
  }
  return out;
}

/** Orders questions by a seeded shuffle and numbers their ids `${prefix}-${i}`. */
export function finalizeQuestions(qs: QARow[], prefix: string, rng: Rng): QARow[] {
  return rng.shuffle(qs).map((q, i) => ({ ...q, id: `${prefix}-${i}` }));
}

export function indexEntry(b: CorpusBundle): IndexEntry {
  return {
    name: b.name,
    title: b.title,
    description: b.description,
    corpus: `${b.name}/corpus.jsonl`,
    train: `${b.name}/train.jsonl`,
    test: `${b.name}/test.jsonl`,
    passages: b.corpus.length,
    trainQuestions: b.train.length,
    testQuestions: b.test.length,
  };
}

/** Summary figures used in READMEs and the console. */
export function stats(b: CorpusBundle) {
  const hops = (qs: QARow[], h: number) => qs.filter((q) => q.hops === h).length;
  const words = b.corpus.map((p) => wordCount(p.contents));
  return {
    passages: b.corpus.length,
    train: b.train.length,
    test: b.test.length,
    train1: hops(b.train, 1),
    train2: hops(b.train, 2),
    test1: hops(b.test, 1),
    test2: hops(b.test, 2),
    avgWords: Math.round((words.reduce((a, w) => a + w, 0) / words.length) * 10) / 10,
    maxWords: Math.max(...words),
  };
}

/** Writes NAME/{corpus,train,test}.jsonl + README.md under `root` and upserts the entry in root/index.json. */
export function writeBundle(b: CorpusBundle, root: string): void {
  const dir = join(root, b.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'corpus.jsonl'), serializeJsonl(b.corpus));
  writeFileSync(join(dir, 'train.jsonl'), serializeJsonl(b.train));
  writeFileSync(join(dir, 'test.jsonl'), serializeJsonl(b.test));
  writeFileSync(join(dir, 'README.md'), b.readme);
  const indexPath = join(root, 'index.json');
  const entries: IndexEntry[] = existsSync(indexPath) ? JSON.parse(readFileSync(indexPath, 'utf8')) : [];
  const next = entries.filter((e) => e.name !== b.name).concat(indexEntry(b));
  next.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  writeFileSync(indexPath, JSON.stringify(next, null, 2) + '\n');
}
