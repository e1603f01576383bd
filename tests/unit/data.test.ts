import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  MAX_LINE_CHARS,
  parseCorpus,
  parseQA,
  serializeJsonl,
  splitContents,
} from '../../src/engine/data';
import { Rng } from '../../src/engine/rng';

const FIX = join(__dirname, '..', 'fixtures');
const read = (rel: string) => readFileSync(join(FIX, rel), 'utf8');

/** Runs fn, expects a DataError, returns it. */
function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

describe('parseCorpus: happy path', () => {
  it('parses ids, titles, text; skips blank lines; keeps contents raw', () => {
    const ps = parseCorpus(read('good/corpus.jsonl'), 'corpus.jsonl');
    expect(ps).toEqual([
      {
        id: '0',
        title: 'Ostrel',
        text: 'Ostrel is a city in Quelaria. It lies on the Zel River.',
        contents: '"Ostrel"\nOstrel is a city in Quelaria. It lies on the Zel River.',
      },
      {
        id: '1',
        title: 'Quelaria',
        text: 'Quelaria is a country. Its capital is Ostrel.',
        contents: '"Quelaria"\nQuelaria is a country. Its capital is Ostrel.',
      },
      { id: '2', title: 'no title line', text: '', contents: 'no title line' },
    ]);
  });

  it('strips a leading UTF-8 byte-order mark', () => {
    const ps = parseCorpus(read('good/corpus-bom.jsonl'), 'bom.jsonl');
    expect(ps).toEqual([{ id: '0', title: 'Title', text: 'text', contents: '"Title"\ntext' }]);
  });

  it('splitContents trims the text and only strips surrounding quotes', () => {
    expect(splitContents('"A "B" C"\n  body  \n')).toEqual({ title: 'A "B" C', text: 'body' });
    expect(splitContents('Plain title\nx')).toEqual({ title: 'Plain title', text: 'x' });
    expect(splitContents('"\nx')).toEqual({ title: '"', text: 'x' });
  });
});

describe('parseQA: happy path', () => {
  it('parses \\r\\n files, numeric ids, hops and metadata.hops', () => {
    const qs = parseQA(read('good/qa-crlf.jsonl'), 'qa.jsonl');
    expect(qs).toEqual([
      { id: 'q0', question: 'What is the capital of Quelaria?', golden_answers: ['Ostrel'], hops: 1 },
      {
        id: '7',
        question: 'Which river runs through the capital of Quelaria?',
        golden_answers: ['Zel River', 'Zel'],
        hops: 2,
      },
      { id: 'q2', question: 'Where is Ostrel?', golden_answers: ['Quelaria'] },
    ]);
  });

  it('round-trips through serializeJsonl', () => {
    const rows = [
      { id: 'a', question: 'Q "quoted"\nline?', golden_answers: ['x', 'y'], hops: 2 },
      { id: 'b', question: 'R?', golden_answers: ['z'] },
    ];
    const text = serializeJsonl(rows);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(3);
    expect(parseQA(text, 'x.jsonl')).toEqual(rows);
    expect(serializeJsonl([])).toBe('');
  });
});

// One row per error kind: fixture, parser, expected line, a fragment of the problem.
const corpusCases: [string, number, string][] = [
  ['bad-json.jsonl', 2, 'invalid JSON'],
  ['not-object.jsonl', 2, 'must be a JSON object, got an array'],
  ['missing-contents.jsonl', 2, 'missing "contents"'],
  ['contents-not-string.jsonl', 2, '"contents" must be a string'],
  ['empty-contents.jsonl', 2, '"contents" must not be empty'],
  ['missing-id.jsonl', 1, 'missing "id"'],
  ['id-wrong-type.jsonl', 1, '"id" must be a string or a number'],
  ['duplicate-id.jsonl', 4, 'duplicate id "0" (first used on line 1)'],
  ['empty.jsonl', 1, 'file is empty'],
  ['blank-lines-only.jsonl', 1, 'file is empty'],
  ['qa-as-corpus.jsonl', 1, 'this looks like a QA file, not a corpus'],
];
const qaCases: [string, number, string][] = [
  ['missing-golden.jsonl', 2, 'missing "golden_answers"'],
  ['empty-golden.jsonl', 1, '"golden_answers" must be a non-empty array of strings'],
  ['golden-non-string.jsonl', 1, '"golden_answers" must be a non-empty array of strings'],
  ['golden-not-array.jsonl', 1, '"golden_answers" must be a non-empty array of strings'],
  ['golden-empty-string.jsonl', 1, '"golden_answers" must not contain empty strings'],
  ['empty-question.jsonl', 1, '"question" must not be empty'],
  ['missing-question.jsonl', 1, 'missing "question"'],
  ['bad-hops.jsonl', 1, '"hops" must be a positive integer'],
  ['duplicate-qid.jsonl', 2, 'duplicate id "q0"'],
  ['corpus-as-qa.jsonl', 1, 'this looks like a corpus file, not a QA file'],
  ['bad-json.jsonl', 2, 'invalid JSON'],
  ['empty.jsonl', 1, 'file is empty'],
];

describe('parseCorpus rejects bad files', () => {
  it.each(corpusCases)('%s → line %i: %s', (name, line, fragment) => {
    const err = dataError(() => parseCorpus(read(`bad/${name}`), name));
    expect(err.file).toBe(name);
    expect(err.line).toBe(line);
    expect(err.problem).toContain(fragment);
    expect(err.message).toBe(`${name} line ${line}: ${err.problem}`);
  });
});

describe('parseQA rejects bad files', () => {
  it.each(qaCases)('%s → line %i: %s', (name, line, fragment) => {
    const err = dataError(() => parseQA(read(`bad/${name}`), name));
    expect(err.line).toBe(line);
    expect(err.problem).toContain(fragment);
  });

  it('message format matches the documented example', () => {
    const text = serializeJsonl(
      Array.from({ length: 6 }, (_, i) => ({ id: i, question: 'q?', golden_answers: ['a'] })),
    );
    const err = dataError(() =>
      parseQA(text + '{"id": 6, "question": "q?", "golden_answers": [1]}\n', 'train.jsonl'),
    );
    expect(err.message).toBe('train.jsonl line 7: "golden_answers" must be a non-empty array of strings');
  });

  it('rejects metadata.hops that is not a positive integer', () => {
    const err = dataError(() =>
      parseQA('{"id":1,"question":"q","golden_answers":["a"],"metadata":{"hops":0}}', 'm.jsonl'),
    );
    expect(err.problem).toBe('"metadata.hops" must be a positive integer');
  });
});

describe('limits', () => {
  it('rejects a line longer than MAX_LINE_CHARS, naming its line', () => {
    const long = JSON.stringify({ id: '1', contents: '"T"\n' + 'x'.repeat(MAX_LINE_CHARS) });
    const err = dataError(() => parseCorpus(`{"id":"0","contents":"\\"A\\"\\na"}\n${long}\n`, 'big.jsonl'));
    expect(err.line).toBe(2);
    expect(err.problem).toContain('too long');
  });

  it('a BOM that is not at the start of the file is invalid JSON', () => {
    const err = dataError(() =>
      parseCorpus('{"id":"0","contents":"a"}\n\ufeff{"id":"1","contents":"b"}', 'b.jsonl'),
    );
    expect(err.line).toBe(2);
    expect(err.problem).toContain('invalid JSON');
  });
});

describe('fuzz: seeded mutations of valid files', () => {
  const validCorpus = read('good/corpus.jsonl');
  const validQA = read('good/qa-crlf.jsonl');
  const pieces = [
    '{',
    '}',
    '"',
    ',',
    ':',
    '[',
    ']',
    '\n',
    '\r',
    '\\',
    'null',
    '1',
    '""',
    '\ufeff',
    ' ',
    '"id"',
    '"contents"',
    '"question"',
    '"golden_answers"',
  ];

  function mutate(text: string, rng: Rng): string {
    let s = text;
    const n = 1 + rng.int(4);
    for (let k = 0; k < n; k++) {
      const at = rng.int(s.length + 1);
      switch (rng.int(4)) {
        case 0: // delete a span
          s = s.slice(0, at) + s.slice(Math.min(s.length, at + 1 + rng.int(8)));
          break;
        case 1: // insert a structural piece
          s = s.slice(0, at) + rng.pick(pieces) + s.slice(at);
          break;
        case 2: {
          // duplicate a line
          const lines = s.split('\n');
          const i = rng.int(lines.length);
          lines.splice(i, 0, lines[i]);
          s = lines.join('\n');
          break;
        }
        default: // replace a char with a random printable one
          s = s.slice(0, at) + String.fromCharCode(32 + rng.int(95)) + s.slice(at + 1);
      }
    }
    return s;
  }

  it('only DataError escapes, always with line >= 1 and a problem', () => {
    const rng = new Rng(1234);
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const base = rng.next() < 0.5 ? validCorpus : validQA;
      const text = mutate(base, rng);
      for (const parse of [parseCorpus, parseQA]) {
        try {
          const out = parse(text, 'fuzz.jsonl');
          expect(out.length).toBeGreaterThan(0);
        } catch (e) {
          if (!(e instanceof DataError))
            throw new Error(`non-DataError for input ${JSON.stringify(text)}`, { cause: e });
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.problem.length).toBeGreaterThan(0);
          errors++;
        }
      }
    }
    expect(errors).toBeGreaterThan(1000); // the mutations do break things
  });
});
