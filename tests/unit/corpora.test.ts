/**
 * Checks on the shipped corpora in public/corpus/: they parse, match index.json, keep test subjects apart from
 * training subjects, have findable and varied answers, and are exactly what their seeded generators produce.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCorpus, parseQA, serializeJsonl } from '../../src/engine/data';
import type { QAItem } from '../../src/engine/types';
import { type IndexEntry, normalizeAnswer, textContainsAnswer, wordCount } from '../../scripts/corpus-lib';
import { generateWorld, WORLD_SEED } from '../../scripts/gen-world';
import { generateCountries, COUNTRIES_SEED } from '../../scripts/gen-countries';
import { isStopWord } from '../../scripts/names';

const ROOT = join(__dirname, '..', '..', 'public', 'corpus');
const index: IndexEntry[] = JSON.parse(readFileSync(join(ROOT, 'index.json'), 'utf8'));
const raw = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
/** `subject` is an extra field the parser drops; read it from the raw lines. */
const subjects = (rel: string): string[] =>
  raw(rel)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).subject as string);

function topShare(qs: QAItem[]): { answer: string; share: number } {
  const counts = new Map<string, number>();
  for (const q of qs) {
    const a = normalizeAnswer(q.golden_answers[0]);
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  const [answer, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  return { answer, share: n / qs.length };
}

it('index.json lists both shipped corpora', () => {
  expect(index.map((e) => e.name).sort()).toEqual(['countries', 'world']);
});

describe.each(index.map((e) => [e.name, e] as const))('corpus %s', (_name, entry) => {
  const passages = parseCorpus(raw(entry.corpus), entry.corpus);
  const train = parseQA(raw(entry.train), entry.train);
  const test = parseQA(raw(entry.test), entry.test);
  const normPassages = passages.map((p) => normalizeAnswer(p.contents));

  it('parses and matches the counts in index.json', () => {
    expect(passages.length).toBe(entry.passages);
    expect(train.length).toBe(entry.trainQuestions);
    expect(test.length).toBe(entry.testQuestions);
    expect(passages.length).toBeGreaterThan(400);
    expect(train.length).toBeGreaterThan(1000);
    expect(test.length).toBeGreaterThan(250);
  });

  it('every question has hops 1 or 2, and both kinds occur in each split', () => {
    for (const qs of [train, test]) {
      expect(qs.every((q) => q.hops === 1 || q.hops === 2)).toBe(true);
      expect(qs.filter((q) => q.hops === 2).length).toBeGreaterThan(qs.length / 4);
      expect(qs.filter((q) => q.hops === 1).length).toBeGreaterThan(qs.length / 4);
    }
  });

  it('passages are short Search-R1 "Title"\\ntext records', () => {
    for (const p of passages) {
      expect(p.contents).toBe(`"${p.title}"\n${p.text}`);
      expect(wordCount(p.contents)).toBeLessThanOrEqual(45);
    }
  });

  it('test subjects are disjoint from training subjects', () => {
    const trainSubjects = new Set(subjects(entry.train));
    const overlap = subjects(entry.test).filter((s) => trainSubjects.has(s));
    expect(overlap).toEqual([]);
  });

  it('every golden answer occurs (SQuAD-normalised) in at least one passage', () => {
    const missing = [...train, ...test].flatMap((q) =>
      q.golden_answers.filter((a) => !normPassages.some((t) => textContainsAnswer(t, a))),
    );
    expect(missing).toEqual([]);
  });

  it('2-hop questions need two passages: no passage holds both the subject and an answer', () => {
    const qs = [...train, ...test];
    const subj = [...subjects(entry.train), ...subjects(entry.test)];
    const leaks = qs.filter((q, i) => {
      if (q.hops !== 2) return false;
      return normPassages.some(
        (t) => textContainsAnswer(t, subj[i]) && q.golden_answers.some((a) => textContainsAnswer(t, a)),
      );
    });
    expect(leaks.map((q) => q.question)).toEqual([]);
  });

  it('answers are varied: none covers >15% of test or >5% of training questions', () => {
    expect(topShare(test).share).toBeLessThanOrEqual(0.15);
    expect(topShare(train).share).toBeLessThanOrEqual(0.05);
  });
});

describe('generators', () => {
  it('world: same seed → identical output; another seed → different output', () => {
    const a = generateWorld(7);
    const b = generateWorld(7);
    expect(b).toEqual(a);
    expect(generateWorld(8).corpus).not.toEqual(a.corpus);
  });

  it('countries: same seed → identical output', () => {
    expect(generateCountries(7)).toEqual(generateCountries(7));
  });

  it('the shipped files are exactly what the generators write (rerun the gen scripts after editing them)', () => {
    for (const bundle of [generateWorld(WORLD_SEED), generateCountries(COUNTRIES_SEED)]) {
      expect(serializeJsonl(bundle.corpus)).toBe(raw(`${bundle.name}/corpus.jsonl`));
      expect(serializeJsonl(bundle.train)).toBe(raw(`${bundle.name}/train.jsonl`));
      expect(serializeJsonl(bundle.test)).toBe(raw(`${bundle.name}/test.jsonl`));
      expect(bundle.readme).toBe(raw(`${bundle.name}/README.md`));
    }
  });

  it('world: names are unique and never common English words; about half the questions are 2-hop', () => {
    const w = generateWorld(WORLD_SEED);
    const titles = w.corpus.map((p) => p.contents.split('\n')[0]);
    expect(new Set(titles).size).toBe(titles.length);
    const suffixes = new Set([
      'River',
      'Sea',
      'Works',
      'Group',
      'Holdings',
      'Trading',
      'Foundry',
      'Labs',
      'Company',
      'Partners',
      'Institute',
      'College',
      'Academy',
      'University',
    ]);
    const words = titles.flatMap((t) => t.replace(/"/g, '').split(' ')).filter((x) => !suffixes.has(x));
    expect(words.filter(isStopWord)).toEqual([]);
    for (const qs of [w.train, w.test]) {
      const twoHop = qs.filter((q) => q.hops === 2).length / qs.length;
      expect(twoHop).toBeGreaterThan(0.4);
      expect(twoHop).toBeLessThan(0.6);
    }
  });
});
