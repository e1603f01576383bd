import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/engine/data';
import { isParquetFile, parseQaParquet, questionFromPrompt } from '../../src/engine/parquet';
import { parquetAsJsonl, readUpload } from '../../src/workers/upload';

// Fixtures written by scripts/make-parquet-fixtures.mjs (hyparquet-writer, snappy).
const FIX = join(__dirname, '..', 'fixtures');
const bytes = (rel: string) => new Uint8Array(readFileSync(join(FIX, rel)));
const pq = (name: string) => bytes(`parquet/${name}`);

async function dataError(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

const QUESTIONS = [
  'what is the capital of quelaria?',
  'which river does ostrel lie on?',
  'ostrel is a city in which country?',
  'what runs through the capital of quelaria?',
  'what kind of place is quelaria?',
];

describe('Parquet QA sets', () => {
  it('the fixtures are snappy-compressed, as pandas writes them', () => {
    const b = pq('nq-search-train.parquet');
    const md = parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    const codecs = new Set(md.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual(['SNAPPY']);
  });

  it("Search-R1's training file: the question after “Question:”, the target answers, extra_info.index", async () => {
    const progress: number[] = [];
    const items = await parseQaParquet(pq('nq-search-train.parquet'), 'train.parquet', (d) =>
      progress.push(d),
    );
    expect(items.map((q) => q.question)).toEqual(QUESTIONS);
    expect(items.map((q) => q.id)).toEqual(['0', '1', '2', '3', '4']);
    expect(items[1].golden_answers).toEqual(['Zel River', 'the Zel']);
    expect(items[0]).toEqual({ id: '0', question: QUESTIONS[0], golden_answers: ['Ostrel'] });
    expect(progress).toEqual([0]);
  });

  it('FlashRAG-style question / golden_answers columns', async () => {
    const items = await parseQaParquet(pq('flashrag-qa.parquet'), 'qa.parquet');
    expect(items.map((q) => q.question)).toEqual(QUESTIONS);
    expect(items[4]).toEqual({
      id: 'train_4',
      question: QUESTIONS[4],
      golden_answers: ['country', 'a country'],
    });
  });

  it("Search-R1's merged files: ids carry their source, since each numbers its rows from 0", async () => {
    const items = await parseQaParquet(pq('mixed-sources.parquet'), 'nq_hotpotqa_train.parquet');
    expect(items.map((q) => q.id)).toEqual(['nq_0', 'nq_1', 'hotpotqa_0', 'hotpotqa_1']);
  });

  const cases: [string, number, RegExp][] = [
    ['not-parquet.parquet', 0, /^not a parquet file \(no PAR1 magic\)$/],
    ['truncated.parquet', 0, /^truncated or damaged parquet file \(no PAR1 magic at its end\)$/],
    ['missing-target.parquet', 3, /^reward_model\.ground_truth\.target is missing$/],
    ['no-user-message.parquet', 2, /^prompt has no user message$/],
    ['empty-golden.parquet', 2, /^golden_answers is empty$/],
    ['no-question-column.parquet', 0, /^no question column: this looks like a corpus/],
  ];
  it.each(cases)('%s → row %i', async (name, row, problem) => {
    const err = await dataError(parseQaParquet(pq(name), name));
    expect(err.file).toBe(name);
    expect(err.unit).toBe('row');
    expect(err.line).toBe(row);
    expect(err.problem).toMatch(problem);
    expect(err.message).toBe(row ? `${name} row ${row}: ${err.problem}` : `${name}: ${err.problem}`);
  });

  it('a PAR1 file that is not whole, and the old bogus fixture, are refused readably', async () => {
    const good = pq('nq-search-train.parquet');
    const noMeta = new Uint8Array([...good.subarray(0, 4), ...good.subarray(good.length - 4)]);
    expect((await dataError(parseQaParquet(noMeta, 'x.parquet'))).problem).toMatch(/truncated or damaged/);
    const bogus = await dataError(parseQaParquet(bytes('bad/wrong-kind.parquet'), 'wrong-kind.parquet'));
    expect(bogus.message).toMatch(/^wrong-kind\.parquet: damaged parquet file \(/);
  });

  it('questionFromPrompt falls back to the whole message', () => {
    expect(questionFromPrompt('Question: a?\nQuestion: b?\n')).toBe('b?');
    expect(questionFromPrompt('  who wrote it?  ')).toBe('who wrote it?');
  });

  it('is told by its magic or its name', () => {
    expect(isParquetFile(pq('flashrag-qa.parquet'), 'qa.bin')).toBe(true);
    expect(isParquetFile(new TextEncoder().encode('{}'), 'qa.PARQUET')).toBe(true);
    expect(isParquetFile(new TextEncoder().encode('{}'), 'qa.jsonl')).toBe(false);
  });
});

describe('uploads with a Parquet QA file', () => {
  const corpus = bytes('good/corpus.jsonl');
  it('a Search-R1 train.parquet beside a JSON-lines corpus loads as its questions', async () => {
    const up = await readUpload(
      [
        { name: 'corpus.jsonl', bytes: corpus },
        { name: 'train.parquet', bytes: pq('nq-search-train.parquet') },
      ],
      new Set(),
    );
    expect(up.data.train.map((q) => q.question).concat(up.data.test.map((q) => q.question))).toEqual(
      QUESTIONS,
    );
    expect(up.record.info.train).toBe('train.parquet');
    expect(up.warnings).toEqual([]); // every answer occurs in the corpus
  });
  it('a bad Parquet file fails the whole upload, naming file and row', async () => {
    await expect(
      readUpload(
        [
          { name: 'corpus.jsonl', bytes: corpus },
          { name: 'train.parquet', bytes: pq('missing-target.parquet') },
        ],
        new Set(),
      ),
    ).rejects.toThrow('train.parquet row 3: reward_model.ground_truth.target is missing');
  });
  it('other files pass through untouched', async () => {
    const files = [{ name: 'corpus.jsonl', bytes: corpus }];
    expect(await parquetAsJsonl(files)).toEqual(files);
  });
});
