import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  answerCoverage,
  decodeText,
  parseCorpus,
  parseQA,
  sniffKind,
} from '../../src/engine/data';
import { parseUpload, splitHeldOut, uploadName } from '../../src/workers/upload';

const FIX = join(__dirname, '..', 'fixtures');
const bytes = (rel: string) => new Uint8Array(readFileSync(join(FIX, rel)));
const enc = (s: string) => new TextEncoder().encode(s);

function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

/** Bytes → text → records, as an upload goes (the kind decides the loader). */
const load = (name: string) => {
  const text = decodeText(bytes(`bad/${name}`), name);
  return sniffKind(text, name) === 'corpus' ? parseCorpus(text, name) : parseQA(text, name);
};

describe('every bad upload names file, line and problem', () => {
  const cases: [string, number, RegExp][] = [
    ['latin1.jsonl', 2, /not valid UTF-8 \(byte 0xe9 at offset \d+\)/],
    ['overlong-utf8.jsonl', 1, /not valid UTF-8 \(byte 0xc0/],
    ['truncated-utf8.jsonl', 3, /not valid UTF-8 \(byte 0xe2/],
    ['wrong-kind.parquet', 1, /this is a Parquet file, not a JSON-lines text file/],
    ['image.png', 1, /this is a PNG image/],
    ['nul-bytes.jsonl', 2, /binary data \(a NUL byte\)/],
    ['html-page.jsonl', 1, /looks like HTML or XML/],
    ['neither-kind.jsonl', 1, /neither a corpus line \(no "contents"\) nor a QA line/],
    ['bom-middle.jsonl', 2, /invalid JSON/],
    ['contents-number.jsonl', 2, /"contents" must be a string/],
    ['question-array.jsonl', 1, /"question" must be a string/],
    ['json-array.jsonl', 1, /each line must be a JSON object, got an array/],
    ['duplicate-id.jsonl', 4, /duplicate id "0" \(first used on line 1\)/],
    ['id-wrong-type.jsonl', 1, /"id" must be a string or a number/],
    ['golden-non-string.jsonl', 1, /"golden_answers" must be a non-empty array of strings/],
    ['empty.jsonl', 1, /file is empty/],
    ['bad-json.jsonl', 2, /invalid JSON/],
  ];
  it.each(cases)('%s → line %i', (name, line, problem) => {
    const err = dataError(() => load(name));
    expect(err.file).toBe(name);
    expect(err.line).toBe(line);
    expect(err.problem).toMatch(problem);
    expect(err.message.startsWith(`${name} line ${line}: `)).toBe(true);
  });

  it('an absurdly long line is refused on its line', () => {
    const long = `{"id":"0","contents":"\\"A\\"\\na"}\n{"id":"1","contents":"${'x'.repeat(1_100_000)}"}\n`;
    const err = dataError(() => parseCorpus(decodeText(enc(long), 'long.jsonl'), 'long.jsonl'));
    expect(err.line).toBe(2);
    expect(err.problem).toMatch(/line is too long \(\d+ characters; the limit is 1000000\)/);
  });

  it('a leading BOM is fine; valid multi-byte UTF-8 (4-byte too) decodes', () => {
    const ps = parseCorpus(decodeText(bytes('good/corpus-bom.jsonl'), 'c.jsonl'), 'c.jsonl');
    expect(ps.length).toBeGreaterThan(0);
    expect(decodeText(enc('{"a":"é ü 中 🙂"}'), 'x')).toBe('{"a":"é ü 中 🙂"}');
  });
});

describe('answer coverage', () => {
  const corpus = parseCorpus(
    '{"id":"1","contents":"\\"Zorvak\\"\\nZorvak is the capital of Quelaria."}\n{"id":"2","contents":"\\"T\\"\\nThe Zel River."}\n',
    'c.jsonl',
  );
  it('counts questions with some answer as whole normalised words', () => {
    const qa = [
      { id: '1', question: 'a', golden_answers: ['zorvak'] },
      { id: '2', question: 'b', golden_answers: ['Nowhere', 'the Zel River!'] },
      { id: '3', question: 'c', golden_answers: ['Zor'] }, // a prefix of a word is not the word
      { id: '4', question: 'd', golden_answers: ['Atlantis'] },
    ];
    expect(answerCoverage(qa, corpus)).toEqual({ found: 2, total: 4 });
  });
});

describe('parseUpload: all or nothing', () => {
  const corpus = enc(readFileSync(join(FIX, 'good/corpus.jsonl'), 'utf8'));
  const qa = bytes('good/qa-crlf.jsonl');
  it('tells corpus from QA by content, splits one QA file, and names the new corpus', () => {
    const frac: number[] = [];
    const up = parseUpload(
      [
        { name: 'qa.jsonl', bytes: qa },
        { name: 'My Corpus.jsonl', bytes: corpus },
      ],
      new Set(['upload-my-corpus']),
      (_, f) => frac.push(f),
    );
    expect(up.record.name).toBe('upload-my-corpus-2');
    expect(up.data.corpus.length).toBeGreaterThan(0);
    expect(up.data.train.length + up.data.test.length).toBe(
      parseQA(new TextDecoder().decode(qa), 'q').length,
    );
    expect(up.data.test.length).toBeGreaterThan(0);
    expect(frac[frac.length - 1]).toBeLessThanOrEqual(1);
    expect(frac.every((f, i) => i === 0 || f >= frac[i - 1])).toBe(true);
    // The stored texts parse back to the same split (a reload reads them).
    expect(parseQA(up.record.texts.test, 't').map((q) => q.id)).toEqual(up.data.test.map((q) => q.id));
  });
  it('two QA files: the one named test is held out', () => {
    const up = parseUpload(
      [
        { name: 'corpus.jsonl', bytes: corpus },
        { name: 'nq_test.jsonl', bytes: qa },
        { name: 'nq_train.jsonl', bytes: qa },
      ],
      new Set(),
    );
    expect(up.record.info.train).toBe('nq_train.jsonl');
    expect(up.record.info.test).toBe('nq_test.jsonl');
  });
  it('warns when no answer of a QA set occurs in the corpus', () => {
    const never = enc('{"id":"1","question":"q?","golden_answers":["Xyzzyplugh"]}\n');
    const up = parseUpload(
      [
        { name: 'corpus.jsonl', bytes: corpus },
        { name: 'qa.jsonl', bytes: never },
      ],
      new Set(),
    );
    expect(up.warnings.join(' ')).toMatch(
      /qa\.jsonl: none of the 1 questions has an answer that occurs in corpus\.jsonl/,
    );
  });
  it('a bad file anywhere fails the whole upload, naming it', () => {
    expect(() =>
      parseUpload(
        [
          { name: 'corpus.jsonl', bytes: corpus },
          { name: 'latin1.jsonl', bytes: bytes('bad/latin1.jsonl') },
        ],
        new Set(),
      ),
    ).toThrow(/latin1\.jsonl line 2: not valid UTF-8/);
    expect(() => parseUpload([{ name: 'qa.jsonl', bytes: qa }], new Set())).toThrow(/no corpus file/);
    expect(() => parseUpload([{ name: 'corpus.jsonl', bytes: corpus }], new Set())).toThrow(
      /one or two QA files/,
    );
  });
  it('helpers', () => {
    expect(uploadName('../Wiki 2018!.jsonl', new Set())).toBe('upload-wiki-2018');
    const items = Array.from({ length: 10 }, (_, i) => ({
      id: `${i}`,
      question: 'q',
      golden_answers: ['a'],
    }));
    expect(splitHeldOut(items).test.map((q) => q.id)).toEqual(['8', '9']);
    expect(splitHeldOut(items.slice(0, 1)).test.length).toBe(1);
  });
});
