import { describe, expect, it } from 'vitest';
import { formatInformation, retrieveApi, Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { buildRetriever } from '../../src/engine/session';
import { defaultRolloutConfig } from '../../src/engine/config';
import { indexedCorpus } from '../../src/workers/corpora';
import type { CorpusInfo } from '../../src/workers/protocol';
import { isContentWord, splitWords } from '../../src/engine/text';
import type { Passage } from '../../src/engine/types';

function passage(id: string, title: string, text: string): Passage {
  return { id, title, text, contents: `"${title}"\n${text}` };
}

// Word tokens of title + text (all counted in |d|):
// p0 paris paris is the capital of france                                  |d| = 7
// p1 berlin berlin is the capital of germany                               |d| = 7
// p2 france france is a country in europe its capital is paris             |d| = 11
// p3 lyon lyon is a city in france                                         |d| = 7
const CORPUS: Passage[] = [
  passage('p0', 'Paris', 'Paris is the capital of France.'),
  passage('p1', 'Berlin', 'Berlin is the capital of Germany.'),
  passage('p2', 'France', 'France is a country in Europe. Its capital is Paris.'),
  passage('p3', 'Lyon', 'Lyon is a city in France.'),
];

describe('Retriever', () => {
  it('ranks by BM25 with hand-computed scores', () => {
    const r = new Retriever(CORPUS);
    expect(r.size).toBe(4);
    // Query terms: capital, france ("of" is a stopword). N = 4, avgdl = 32 / 4 = 8, k1 = 1.2, b = 0.75.
    // df(capital) = 3 (p0 p1 p2), df(france) = 3 (p0 p2 p3) → idf = ln(1 + (4 − 3 + 0.5) / (3 + 0.5)).
    const idf = Math.log(1 + 1.5 / 3.5);
    const k1 = 1.2;
    const b = 0.75;
    const part = (tf: number, dl: number) => (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * dl) / 8));
    const p0 = part(1, 7) + part(1, 7); // capital ×1, france ×1
    const p1 = part(1, 7); // capital ×1
    const p2 = part(1, 11) + part(2, 11); // capital ×1, france ×2
    const p3 = part(1, 7); // france ×1 — ties p1 exactly
    const res = r.search('Capital of France?', 10);
    expect(res.map((d) => d.id)).toEqual(['p2', 'p0', 'p1', 'p3']); // p2 2.1108·idf > p0 2.1078·idf
    expect(res[0].score).toBeCloseTo(p2, 12);
    expect(res[1].score).toBeCloseTo(p0, 12);
    expect(res[2].score).toBeCloseTo(p1, 12);
    expect(res[3].score).toBeCloseTo(p3, 12);
    expect(res[2].score).toBe(res[3].score);
    expect(res[0]).toMatchObject({ id: 'p2', title: 'France', contents: CORPUS[2].contents });
  });

  it('takes k1 from its options: a low k1 stops a repeated word from outranking the passage with the answer', () => {
    // The same query as above at k1 = 0.3 (RolloutConfig.bm25K1 reaches the engine through buildRetriever).
    const idf = Math.log(1 + 1.5 / 3.5);
    const k1 = 0.3;
    const b = 0.75;
    const part = (tf: number, dl: number) => (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * dl) / 8));
    const p0 = part(1, 7) + part(1, 7); // 2.0442·idf
    const p2 = part(1, 11) + part(2, 11); // 2.0295·idf: France's second "france" now adds less than p0's shorter length
    const res = buildRetriever(CORPUS, 0.3).search('Capital of France?', 2);
    expect(res.map((d) => d.id)).toEqual(['p0', 'p2']);
    expect(res[0].score).toBeCloseTo(p0, 12);
    expect(res[1].score).toBeCloseTo(p2, 12);
    expect(buildRetriever(CORPUS, 0.3).explain('capital france', 'p0')?.k1).toBe(0.3);
  });

  it('breaks ties by corpus order', () => {
    const twins = [passage('b', 'Twin', 'same words here'), passage('a', 'Twin', 'same words here')];
    const r = new Retriever([passage('x', 'Other', 'nothing'), ...twins]);
    const res = r.search('twin words', 3);
    expect(res.map((d) => d.id)).toEqual(['b', 'a']);
    expect(res[0].score).toBe(res[1].score);
  });

  it('returns [] for empty, stopword-only and unknown queries', () => {
    const r = new Retriever(CORPUS);
    expect(r.search('', 3)).toEqual([]);
    expect(r.search('  ?! ', 3)).toEqual([]);
    expect(r.search('what is the capital', 0)).toEqual([]);
    expect(r.search('what is the of a', 3)).toEqual([]);
    expect(r.search('<search> who was it </search>', 3)).toEqual([]);
    expect(r.search('zanzibar', 3)).toEqual([]);
  });

  it('caps results at topk and returns only passages sharing a term', () => {
    const r = new Retriever(CORPUS);
    expect(r.search('capital france', 2).map((d) => d.id)).toEqual(['p2', 'p0']);
    expect(r.search('lyon', 3).map((d) => d.id)).toEqual(['p3']);
    expect(
      r
        .search('germany europe', 10)
        .map((d) => d.id)
        .sort(),
    ).toEqual(['p1', 'p2']);
  });

  it('passes over the passages in skip, keeping the ranking of the rest', () => {
    const r = new Retriever(CORPUS);
    expect(r.search('capital france', 3).map((d) => d.id)).toEqual(['p2', 'p0', 'p1']);
    expect(r.search('capital france', 3, new Set(['p2'])).map((d) => d.id)).toEqual(['p0', 'p1', 'p3']);
    expect(r.search('capital france', 1, new Set(['p2', 'p0'])).map((d) => d.id)).toEqual(['p1']);
    expect(r.search('lyon', 3, new Set(['p3']))).toEqual([]);
    // Scores do not change with what is skipped.
    expect(r.search('capital france', 2, new Set(['p2']))[0].score).toBe(
      r.search('capital france', 2)[1].score,
    );
  });

  it('ranks the passage whose title words the query repeats first', () => {
    const r = new Retriever([
      passage(
        '0',
        'Kingdom of Sweden',
        'A Nordic country. Its capital is Stockholm and its currency is the krona.',
      ),
      passage(
        '1',
        'Norway',
        'A Nordic country west of Sweden. Its capital is Oslo and its currency is the krone.',
      ),
      passage('2', 'Stockholm', 'Stockholm is the capital of Sweden.'),
      passage('3', 'Krona', 'The krona is a currency used in Sweden and Iceland.'),
    ]);
    expect(r.search('Norway', 3)[0].id).toBe('1');
    expect(r.search('kingdom of sweden', 3)[0].id).toBe('0');
    expect(r.search('Stockholm', 3)[0].id).toBe('2');
  });

  it('limits the candidates to maxCandidates, rarest query term first', () => {
    const r = new Retriever(CORPUS, { maxCandidates: 1 });
    // lyon (df 1) is looked up before capital (df 3): only p3 is a candidate.
    expect(r.search('capital lyon', 3).map((d) => d.id)).toEqual(['p3']);
  });

  it('works on an empty corpus', () => {
    const r = new Retriever([]);
    expect(r.size).toBe(0);
    expect(r.search('anything', 3)).toEqual([]);
    expect(retrieveApi(r, { queries: ['x'], topk: 3, return_scores: true })).toEqual({ result: [[]] });
  });

  it('explains a score as the sum of per-term contributions', () => {
    const r = new Retriever(CORPUS);
    const e = r.explain('capital of France', 'p2');
    expect(e).not.toBeNull();
    expect(e!.terms.map((t) => [t.term, t.tf, t.df])).toEqual([
      ['capital', 1, 3],
      ['france', 2, 3],
    ]);
    expect(e!.dl).toBe(11);
    expect(e!.avgdl).toBe(8);
    expect(e!.score).toBeCloseTo(r.search('capital of France', 1)[0].score, 12);
    expect(r.explain('capital', 'nope')).toBeNull();
  });

  it('agrees with a brute-force BM25 over the whole corpus', () => {
    const rng = new Rng(7);
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const pick = () => words[Math.min(39, Math.floor(Math.exp(rng.next() * Math.log(40))))];
    const corpus = Array.from({ length: 60 }, (_, i) =>
      passage(String(i), `${pick()} ${pick()}`, Array.from({ length: 5 + rng.int(20) }, pick).join(' ')),
    );
    const r = new Retriever(corpus);
    const docs = corpus.map((p) => splitWords(`${p.title} ${p.text}`));
    const avgdl = docs.reduce((a, d) => a + d.length, 0) / docs.length;
    for (let q = 0; q < 50; q++) {
      const query = Array.from({ length: 1 + rng.int(4) }, pick).join(' ');
      const terms = [...new Set(splitWords(query).filter(isContentWord))];
      const expected = docs
        .map((d, i) => {
          let s = 0;
          let hit = false;
          for (const t of terms) {
            const tf = d.filter((w) => w === t).length;
            if (tf === 0) continue;
            hit = true;
            const df = docs.filter((x) => x.includes(t)).length;
            const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
            s += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * d.length) / avgdl));
          }
          return { i, s, hit };
        })
        .filter((x) => x.hit)
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .slice(0, 5);
      const got = r.search(query, 5);
      expect(got.map((d) => d.id)).toEqual(expected.map((x) => String(x.i)));
      got.forEach((d, j) => expect(d.score).toBeCloseTo(expected[j].s, 10));
    }
  });
});

describe('formatInformation', () => {
  it('matches the Search-R1 observation text exactly (titles keep their quotes)', () => {
    const r = new Retriever(CORPUS);
    const docs = r.search('capital of France', 3);
    expect(formatInformation(docs)).toBe(
      'Doc 1(Title: "France") France is a country in Europe. Its capital is Paris.\n' +
        'Doc 2(Title: "Paris") Paris is the capital of France.\n' +
        'Doc 3(Title: "Berlin") Berlin is the capital of Germany.',
    );
  });

  it('splits contents on the first newline and keeps later newlines', () => {
    const d = { id: '9', title: 'T', text: 'a\nb', contents: '"T"\na\nb', score: 1 };
    expect(formatInformation([d])).toBe('Doc 1(Title: "T") a\nb');
    expect(formatInformation([])).toBe('');
  });
});

describe('retrieveApi', () => {
  it('answers in the /retrieve JSON shape', () => {
    const r = new Retriever(CORPUS);
    const withScores = retrieveApi(r, { queries: ['lyon', 'zzz'], topk: 3, return_scores: true });
    expect(withScores).toEqual({
      result: [
        [
          {
            document: { id: 'p3', contents: '"Lyon"\nLyon is a city in France.' },
            score: expect.any(Number),
          },
        ],
        [],
      ],
    });
    const bare = retrieveApi(r, { queries: ['lyon'], topk: 3, return_scores: false });
    expect(bare).toEqual({ result: [[{ id: 'p3', contents: '"Lyon"\nLyon is a city in France.' }]] });
  });
});

describe("indexedCorpus (the worker's index per BM25 k1)", () => {
  const info: CorpusInfo = {
    name: 'tiny',
    title: 'tiny',
    description: '',
    corpus: 'c.jsonl',
    train: 'tr.jsonl',
    test: 'te.jsonl',
    passages: CORPUS.length,
    trainQuestions: 0,
    testQuestions: 0,
  };
  it('keeps the default index, and one other k1 at a time, each ranking with its own k1', () => {
    const c = indexedCorpus(info, { corpus: CORPUS, train: [], test: [] });
    const k1Default = defaultRolloutConfig().bm25K1;
    const atDefault = c.retriever(k1Default);
    expect(c.retriever(k1Default)).toBe(atDefault);
    const low = c.retriever(0.3);
    expect(c.retriever(0.3)).toBe(low);
    expect(low.search('capital france', 1)[0].id).toBe('p0'); // as in the k1 = 0.3 case above
    expect(atDefault.search('capital france', 4)).toEqual(
      buildRetriever(CORPUS, k1Default).search('capital france', 4),
    );
    const other = c.retriever(0.5);
    expect(other).not.toBe(low);
    expect(c.retriever(0.3)).not.toBe(low); // rebuilt: only one non-default index is kept
    expect(c.retriever(k1Default)).toBe(atDefault);
  });
});
