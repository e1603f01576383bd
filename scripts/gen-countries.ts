/**
 * Generates the `countries` corpus from real facts in the npm package `world-countries` (ODbL-1.0).
 *
 *   npx tsx scripts/gen-countries.ts [seed]  → public/corpus/countries/{corpus,train,test}.jsonl, README.md, index.json
 *
 * Passages: one per country/territory (subregion, languages, currencies, borders) and one per capital city
 * ("Lima is the capital of Peru."). The country passage deliberately does not name the capital, so
 * "What currency is used in the country whose capital is Lima?" needs two passages (Lima → Peru → sol).
 * All text is folded to ASCII (Bogotá → Bogota) so any word-level tokenizer handles it.
 * `generateCountries(seed)` is pure; main() is the thin file-writing edge.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import worldCountries from 'world-countries';
import { Rng } from '../src/engine/rng';
import {
  type CorpusBundle,
  type CorpusRow,
  type QARow,
  contents,
  filterByHops,
  finalizeQuestions,
  normalizeAnswer,
  sampleBalanced,
  stats,
  textContainsAnswer,
  writeBundle,
} from './corpus-lib';

export const COUNTRIES_SEED = 20250302;
const TEST_FRACTION = 0.2;
/** Largest share of one split's questions (per hop bucket) that may have the same answer. */
const MAX_SHARE = { train: 0.03, test: 0.05 };

/** The fields we read from world-countries (a subset of its Country type). */
export interface RawCountry {
  name: { common: string; official: string };
  cca3: string;
  independent: boolean | null;
  capital: string[];
  subregion: string;
  region: string;
  languages: Record<string, string>;
  currencies: Record<string, { name: string }>;
  borders: string[];
  landlocked: boolean;
}

const SPECIAL: Record<string, string> = {
  đ: 'd',
  Đ: 'D',
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  æ: 'ae',
  Æ: 'AE',
  ß: 'ss',
  ı: 'i',
  ʻ: '',
  ʼ: '',
  '’': "'",
};

/** ASCII folding: strip diacritics (NFD), map a few letters that do not decompose; throws on anything left over. */
export function toAscii(s: string): string {
  const out = s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, (ch) => {
      if (ch in SPECIAL) return SPECIAL[ch];
      throw new Error(`toAscii: no mapping for ${JSON.stringify(ch)} in ${JSON.stringify(s)}`);
    });
  return out;
}

interface C {
  name: string;
  official?: string;
  independent: boolean;
  capitals: string[];
  subregion: string;
  languages: string[];
  currencies: string[];
  borders: string[];
  landlocked: boolean;
}

function clean(raw: RawCountry, byCode: Map<string, string>): C {
  const name = toAscii(raw.name.common);
  const official = toAscii(raw.name.official);
  return {
    name,
    // Long official names would blow the passage budget; keep those of at most 6 words that differ from the name.
    official: official !== name && official.split(' ').length <= 6 ? official : undefined,
    independent: raw.independent === true,
    capitals: raw.capital.map(toAscii),
    subregion: toAscii(raw.subregion),
    languages: Object.values(raw.languages).map(toAscii),
    currencies: Object.values(raw.currencies).map((c) => toAscii(c.name)),
    borders: raw.borders.map((b) => byCode.get(b)).filter((b): b is string => b !== undefined),
    landlocked: raw.landlocked,
  };
}

function list(items: string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function say(rng: Rng, templates: readonly string[], slots: Record<string, string>): string {
  return rng.pick(templates).replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in slots)) throw new Error(`template slot {${k}} has no value`);
    return slots[k];
  });
}

const inPlace = (sub: string) => (sub === 'Caribbean' ? 'the Caribbean' : sub);
const cityState = (c: C) => c.capitals.length === 1 && c.capitals[0] === c.name;

function countryPassage(c: C, rng: Rng): string {
  const kind = c.independent ? 'country' : 'territory';
  const s = { K: c.name, O: c.official ?? '', T: kind, S: c.subregion ? inPlace(c.subregion) : '' };
  const where = c.subregion ? ' in {S}' : '';
  const parts = [
    c.official
      ? say(rng, [`{K}, officially the {O}, is a {T}${where}.`, `The {O}, or {K}, is a {T}${where}.`], s)
      : say(rng, [`{K} is a {T}${where}.`], s),
  ];
  if (cityState(c)) parts.push(`It is a city-state; its capital is ${c.name}.`);
  const L = c.languages;
  if (L.length === 1)
    parts.push(say(rng, ['The official language is {L}.', '{L} is the official language.'], { L: L[0] }));
  else if (L.length > 1 && L.length <= 3) parts.push(`Official languages are ${list(L)}.`);
  else if (L.length > 3) parts.push(`Its ${L.length} official languages include ${list(L.slice(0, 3))}.`);
  const M = c.currencies;
  if (M.length === 1)
    parts.push(
      say(rng, ['The currency is the {M}.', 'It uses the {M}.', 'Its currency is the {M}.'], { M: M[0] }),
    );
  else if (M.length > 1) parts.push(`Currencies used are the ${list(M.slice(0, 3))}.`);
  const B = c.borders;
  if (B.length === 1)
    parts.push(say(rng, ['Its only neighbour is {B}.', 'It borders only {B}.'], { B: B[0] }));
  else if (B.length > 1 && B.length <= 4) parts.push(`It borders ${list(B)}.`);
  else if (B.length > 4) parts.push(`It has ${B.length} neighbours, including ${list(B.slice(0, 3))}.`);
  if (c.landlocked) parts.push('It is landlocked.');
  return parts.join(' ');
}

/** Capital alias forms that the passage text contains: "City of Victoria" → "Victoria", "Washington D.C." → "Washington". */
function capitalAnswers(cap: string): string[] {
  const out = [cap];
  const m = /^City of (.+)$/.exec(cap);
  if (m) out.push(m[1]);
  if (cap === 'Washington D.C.') out.push('Washington');
  return out;
}

/**
 * "Peruvian sol" → ["Peruvian sol", "sol"]. The short form is added only when no other currency shares it, so a bare
 * "dollar" or "franc" never counts as right ("Australian dollar" stays the only golden answer for Australia).
 */
function currencyAnswers(name: string, shortCount: Map<string, number>): string[] {
  const short = name.split(' ').slice(-1)[0];
  return short !== name && shortCount.get(short.toLowerCase()) === 1 ? [name, short] : [name];
}

/** "Persian (Farsi)" → ["Persian (Farsi)", "Persian", "Farsi"]. */
function languageAnswers(name: string): string[] {
  const m = /^(.+) \((.+)\)$/.exec(name);
  return m ? [name, m[1], m[2]] : [name];
}

const countryAnswers = (c: C) => (c.official ? [c.name, c.official] : [c.name]);

/** Whether a capital's name gives its country away (Tunis/Tunisia, Mexico City/Mexico, Bissau/Guinea-Bissau). */
function nameOverlap(cap: string, country: string): boolean {
  const a = normalizeAnswer(cap);
  const b = normalizeAnswer(country);
  return a.includes(b) || b.includes(a);
}

export function generateCountries(
  seed = COUNTRIES_SEED,
  raw: readonly RawCountry[] = worldCountries as unknown as RawCountry[],
): CorpusBundle {
  const rng = new Rng(seed);
  const byCode = new Map(raw.map((r) => [r.cca3, toAscii(r.name.common)]));
  const countries = raw.map((r) => clean(r, byCode)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const shortCount = new Map<string, number>();
  for (const name of new Set(countries.flatMap((c) => c.currencies))) {
    const short = name.split(' ').slice(-1)[0].toLowerCase();
    shortCount.set(short, (shortCount.get(short) ?? 0) + 1);
  }
  const capitalOwners = new Map<string, C[]>();
  for (const c of countries)
    for (const cap of c.capitals) capitalOwners.set(cap, [...(capitalOwners.get(cap) ?? []), c]);

  // Passages.
  const prng = rng.fork();
  const passages: { title: string; text: string }[] = countries.map((c) => ({
    title: c.name,
    text: countryPassage(c, prng),
  }));
  for (const [cap, owners] of [...capitalOwners.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rest = owners.filter((c) => !cityState(c));
    if (rest.length === 0) continue;
    const sentences = rest.map((c, i) => {
      const s = { C: cap, K: c.name, T: c.independent ? 'country' : 'territory' };
      if (i > 0) return say(prng, ['Another {C} is the capital of {K}.'], s);
      if (c.capitals.length > 1) return `${cap} is one of the capitals of ${c.name}.`;
      return say(
        prng,
        [
          '{C} is the capital of {K}.',
          '{C} is the capital city of {K}.',
          '{C} is the capital and seat of government of {K}.',
        ],
        s,
      );
    });
    passages.push({ title: cap, text: sentences.join(' ') });
  }
  const corpus: CorpusRow[] = rng
    .shuffle(passages)
    .map((p, i) => ({ id: String(i), contents: contents(p.title, p.text) }));

  // Questions. `subject` is the entity the question names; `country` decides the split.
  const qrng = rng.fork();
  const pool: (QARow & { country: string })[] = [];
  const add = (
    question: string,
    golden: string[],
    hops: 1 | 2,
    type: string,
    subject: string,
    country: string,
  ) => pool.push({ id: '', question, golden_answers: [...new Set(golden)], hops, type, subject, country });
  const q = (t: string[], s: Record<string, string>) => say(qrng, t, s);
  for (const c of countries) {
    const s = { K: c.name };
    if (c.capitals.length > 0) {
      add(
        q(['What is the capital of {K}?', 'Which city is the capital of {K}?'], s),
        c.capitals.flatMap(capitalAnswers),
        1,
        'country_capital',
        c.name,
        c.name,
      );
    }
    if (c.currencies.length === 1)
      add(
        q(['What currency is used in {K}?', 'What is the currency of {K}?'], s),
        currencyAnswers(c.currencies[0], shortCount),
        1,
        'country_currency',
        c.name,
        c.name,
      );
    if (c.languages.length === 1)
      add(
        q(['What is the official language of {K}?', 'Which language is official in {K}?'], s),
        languageAnswers(c.languages[0]),
        1,
        'country_language',
        c.name,
        c.name,
      );
    if (c.subregion)
      add(
        q(['In which part of the world is {K}?', 'Which subregion is {K} in?'], s),
        [c.subregion],
        1,
        'country_subregion',
        c.name,
        c.name,
      );
    if (c.borders.length === 1)
      add(
        q(['Which country is the only neighbour of {K}?', 'Which is the only country that borders {K}?'], s),
        [c.borders[0]],
        1,
        'country_border',
        c.name,
        c.name,
      );
    // Via the capital: only where the capital name is unambiguous and does not give the country away.
    if (c.capitals.length !== 1 || cityState(c)) continue;
    const cap = c.capitals[0];
    if (capitalOwners.get(cap)!.length > 1 || nameOverlap(cap, c.name)) continue;
    const t = { C: cap };
    add(
      q(['{C} is the capital of which country?', 'Of which country is {C} the capital?'], t),
      countryAnswers(c),
      1,
      'capital_country',
      cap,
      c.name,
    );
    if (c.currencies.length === 1)
      add(
        q(
          [
            'What currency is used in the country whose capital is {C}?',
            'What is the currency of the country with capital {C}?',
          ],
          t,
        ),
        currencyAnswers(c.currencies[0], shortCount),
        2,
        'capital_currency',
        cap,
        c.name,
      );
    if (c.languages.length === 1)
      add(
        q(['What is the official language of the country whose capital is {C}?'], t),
        languageAnswers(c.languages[0]),
        2,
        'capital_language',
        cap,
        c.name,
      );
    if (c.subregion)
      add(
        q(
          [
            'In which part of the world is the country whose capital is {C}?',
            'Which subregion is the country with capital {C} in?',
          ],
          t,
        ),
        [c.subregion],
        2,
        'capital_subregion',
        cap,
        c.name,
      );
  }
  // Keep only aliases the corpus actually contains (the full form always is).
  const normPassages = corpus.map((p) => normalizeAnswer(p.contents));
  for (const row of pool)
    row.golden_answers = row.golden_answers.filter(
      (a, i) => i === 0 || normPassages.some((t) => textContainsAnswer(t, a)),
    );
  const checked = filterByHops(pool, corpus);

  const testCountries = new Set(
    rng.shuffle(countries.map((c) => c.name)).slice(0, Math.round(countries.length * TEST_FRACTION)),
  );
  const pick = (inTest: boolean, hops: 1 | 2) => {
    const part = checked.filter((r) => testCountries.has(r.country) === inTest && r.hops === hops);
    const share = inTest ? MAX_SHARE.test : MAX_SHARE.train;
    return sampleBalanced(part, part.length, Math.max(2, Math.ceil(share * part.length)), rng.fork()).map(
      ({ country: _c, ...row }) => row,
    );
  };
  const train = finalizeQuestions([...pick(false, 1), ...pick(false, 2)], 'countries-train', rng.fork());
  const test = finalizeQuestions([...pick(true, 1), ...pick(true, 2)], 'countries-test', rng.fork());
  const bundle: CorpusBundle = {
    name: 'countries',
    title: 'Countries of the world',
    description:
      'Real facts about 250 countries and territories (capitals, languages, currencies, neighbours) from the world-countries dataset; 1- and 2-hop questions, test countries disjoint from training countries.',
    corpus,
    train,
    test,
    readme: '',
  };
  bundle.readme = countriesReadme(bundle, seed, testCountries.size, countries.length);
  return bundle;
}

function countriesReadme(b: CorpusBundle, seed: number, nTest: number, nCountries: number): string {
  const s = stats(b);
  return `# countries — real country facts

Short encyclopedia-like passages built from the [world-countries](https://github.com/mledoze/countries) npm package
(v5). One passage per country or territory (${nCountries}; title = common name): subregion, official languages,
currencies, neighbours, landlocked. One passage per capital city ("Lima is the capital of Peru."). The country passage
does not name its capital (except for city-states), so questions that start from a capital need two passages.
All text is folded to ASCII (Bogota, Asuncion, Turkiye).

## Files
- \`corpus.jsonl\` — ${s.passages} passages, Search-R1 format \`{"id", "contents": "\\"Title\\"\\ntext"}\`; ${s.avgWords} words on average (max ${s.maxWords}).
- \`train.jsonl\` — ${s.train} questions (${s.train1} 1-hop, ${s.train2} 2-hop).
- \`test.jsonl\` — ${s.test} questions (${s.test1} 1-hop, ${s.test2} 2-hop).

QA rows: \`{"id", "question", "golden_answers", "hops", "type", "subject"}\`. Question types — 1-hop: capital of a
country, its currency (only where it has one), its official language (only where it has one), its subregion, its only
neighbour (where it has exactly one), the country of a capital; 2-hop via the capital city: currency, official language
or subregion of "the country whose capital is X". Capitals that are ambiguous (Kingston, Oranjestad) or give the
country away (Tunis, Mexico City) are not used as 2-hop subjects. Golden answers include aliases that occur in the
corpus: "Peruvian sol" / "sol" (the short form only where no other currency shares it: never a bare "dollar" or
"franc"), official country names,
"City of Victoria" / "Victoria", "Persian (Farsi)" / "Persian" / "Farsi".

## Split
By country: ${nTest} of ${nCountries} countries (chosen with seed ${seed}) are test countries; every question about them (or
starting from their capital) is a test question, all others are training questions. Frequent answers are capped per
split and hop bucket (train ${MAX_SHARE.train * 100}%, test ${MAX_SHARE.test * 100}% of the bucket), so "English", "Euro" or "Caribbean" cannot
carry a reward hack far.

## Source and licence
Facts from \`world-countries\` by Mohammed Le Doze, made available under the Open Database License (ODbL-1.0,
https://opendatacommons.org/licenses/odbl/1.0/). These files are a derived database and are shared under the same
ODbL-1.0 licence. The generator script itself is part of this project (MIT).

## Regenerate
\`npx tsx scripts/gen-countries.ts\` (deterministic: same seed and package version → byte-identical files;
\`tests/unit/corpora.test.ts\` checks that the shipped files match the generator).
`;
}

function main(): void {
  const seed = process.argv[2] ? Number(process.argv[2]) : COUNTRIES_SEED;
  const bundle = generateCountries(seed);
  const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'public', 'corpus');
  writeBundle(bundle, root);
  console.log(`countries: ${JSON.stringify(stats(bundle))}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
