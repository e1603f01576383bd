/**
 * Generates the `world` corpus: a seeded fictional world (countries, cities, rivers, people, companies,
 * universities) rendered as short encyclopedia-like passages, with 1-hop and 2-hop questions.
 *
 *   npx tsx scripts/gen-world.ts [seed]     → public/corpus/world/{corpus,train,test}.jsonl, README.md, index.json
 *
 * `generateWorld(seed)` is pure (seeded Rng in, bundle out); main() is the thin file-writing edge.
 * Split: test-question subjects (the first-hop entity) never appear as training-question subjects; a company and
 * its founder always share a split. Every fact lives in the corpus, so test answers are findable only by reading it.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { Rng } from '../src/engine/rng';
import { NameMaker } from './names';
import {
  type CorpusBundle,
  type CorpusRow,
  type QARow,
  contents,
  filterByHops,
  finalizeQuestions,
  sampleBalanced,
  stats,
  writeBundle,
} from './corpus-lib';

export const WORLD_SEED = 20250301;

const SIZES = {
  countries: 32,
  citiesPerCountry: 6,
  rivers: 40,
  people: 280,
  companies: 110,
  universities: 50,
  seas: 8,
  languages: 18,
};
export const WORLD_TARGETS = { train1: 750, train2: 750, test1: 150, test2: 150 };
const TEST_FRACTION = 1 / 6;

const PROFESSIONS = [
  'painter',
  'astronomer',
  'engineer',
  'poet',
  'physician',
  'architect',
  'composer',
  'botanist',
  'cartographer',
  'merchant',
  'sculptor',
  'mathematician',
  'historian',
  'navigator',
  'chemist',
  'weaver',
  'judge',
  'philosopher',
  'glassblower',
  'linguist',
];
const INDUSTRIES = [
  'shipbuilding',
  'textiles',
  'mining',
  'brewing',
  'publishing',
  'software',
  'pharmaceuticals',
  'glassmaking',
  'railways',
  'banking',
  'aviation',
  'fishing',
  'clockmaking',
  'shipping',
];
const COMPANY_SUFFIX = ['Works', 'Group', 'Holdings', 'Trading', 'Foundry', 'Labs', 'Company', 'Partners'];
const UNIVERSITY_SUFFIX = ['Institute', 'College', 'Academy', 'University'];
const CITY_FEATURES = [
  'its markets',
  'its stone bridges',
  'its busy harbour',
  'its old walls',
  'its gardens',
  'its spring festival',
  'its observatory',
  'its canals',
  'its tall towers',
  'its copper mines',
  'its libraries',
  'its vineyards',
];
const FIELDS = ['law', 'medicine', 'astronomy', 'music', 'engineering', 'botany', 'history', 'mathematics'];
const GOVERNMENT = ['Kingdom', 'Republic', 'Federation', 'Grand Duchy', 'Commonwealth'];

interface Country {
  name: string;
  official?: string;
  capital: string;
  currency: string;
  language: string;
  cities: string[];
  rivers: string[];
}
interface City {
  name: string;
  country: string;
  river?: string;
  feature: string;
}
interface River {
  name: string;
  short: string;
  country: string;
  sea: string;
}
interface Person {
  name: string;
  he: string;
  born: string;
  profession: string;
  university: string;
  company?: string;
}
interface Company {
  name: string;
  short: string;
  founder: string;
  hq: string;
  industry: string;
}
interface University {
  name: string;
  short: string;
  city: string;
  field: string;
}

export interface World {
  countries: Country[];
  cities: City[];
  rivers: River[];
  people: Person[];
  companies: Company[];
  universities: University[];
}

/** Builds the entity graph. */
export function buildWorld(rng: Rng): World {
  const names = new NameMaker(rng.fork());
  const languages = Array.from({ length: SIZES.languages }, () =>
    names.word(1, 2, rng.pick(['ic', 'ese', 'ish', 'ian', 'i'])),
  );
  const seas = Array.from({ length: SIZES.seas }, () => `${names.word(1, 2)} Sea`);
  const countries: Country[] = [];
  const cities: City[] = [];
  for (let i = 0; i < SIZES.countries; i++) {
    const name = names.word(1, 2, rng.pick(['ia', 'ara', 'enia', 'ovia', 'and', 'oria', 'esh', 'ekka']));
    const cityNames = Array.from({ length: SIZES.citiesPerCountry }, () => names.word(2, 3));
    const c: Country = {
      name,
      capital: cityNames[0],
      currency: names.word(2, 2).toLowerCase(),
      language: languages[i % languages.length],
      cities: cityNames,
      rivers: [],
    };
    if (rng.next() < 0.5) c.official = `${rng.pick(GOVERNMENT)} of ${name}`;
    countries.push(c);
    for (const cn of cityNames) cities.push({ name: cn, country: name, feature: rng.pick(CITY_FEATURES) });
  }
  const rivers: River[] = [];
  for (let i = 0; i < SIZES.rivers; i++) {
    const country = countries[i % countries.length];
    const short = names.word(1, 2);
    const r: River = { name: `${short} River`, short, country: country.name, sea: rng.pick(seas) };
    country.rivers.push(r.name);
    rivers.push(r);
  }
  // Cities lie on one of their country's rivers with probability 0.6.
  for (const city of cities) {
    const country = countries.find((c) => c.name === city.country)!;
    if (country.rivers.length > 0 && rng.next() < 0.6) city.river = rng.pick(country.rivers);
  }
  const universities: University[] = rng
    .shuffle(cities)
    .slice(0, SIZES.universities)
    .map((city) => {
      const short = names.word(2, 3);
      return {
        name: `${short} ${rng.pick(UNIVERSITY_SUFFIX)}`,
        short,
        city: city.name,
        field: rng.pick(FIELDS),
      };
    });
  const people: Person[] = Array.from({ length: SIZES.people }, () => ({
    name: `${names.word(2, 2)} ${names.word(1, 2)}`,
    he: rng.next() < 0.5 ? 'He' : 'She',
    born: rng.pick(cities).name,
    profession: rng.pick(PROFESSIONS),
    university: rng.pick(universities).name,
  }));
  const companies: Company[] = rng
    .shuffle(people)
    .slice(0, SIZES.companies)
    .map((founder) => {
      const short = names.word(1, 2);
      const co: Company = {
        name: `${short} ${rng.pick(COMPANY_SUFFIX)}`,
        short,
        founder: founder.name,
        hq: rng.pick(cities).name,
        industry: rng.pick(INDUSTRIES),
      };
      founder.company = co.name;
      return co;
    });
  return { countries, cities, rivers, people, companies, universities };
}

/** Fills `{key}` slots of one randomly chosen template. */
function say(rng: Rng, templates: readonly string[], slots: Record<string, string>): string {
  return rng.pick(templates).replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in slots)) throw new Error(`template slot {${k}} has no value`);
    return slots[k];
  });
}

function withArticle(noun: string): string {
  return (/^[aeiou]/i.test(noun) ? 'an ' : 'a ') + noun;
}

/** One passage per entity, title = entity name. Sentences use 2–4 phrasings per relation. */
export function renderPassages(w: World, rng: Rng): { title: string; text: string }[] {
  const out: { title: string; text: string }[] = [];
  for (const c of w.countries) {
    const s = { K: c.name, O: c.official ?? '', C: c.capital, L: c.language, M: c.currency };
    const first = c.official
      ? say(rng, ['{K}, officially the {O}, is a country.', 'The {O}, usually called {K}, is a country.'], s)
      : say(rng, ['{K} is a country.', '{K} is a sovereign state.'], s);
    out.push({
      title: c.name,
      text: [
        first,
        say(rng, ['Its capital is {C}.', 'The capital city of {K} is {C}.', '{C} serves as its capital.'], s),
        say(rng, ['Most people speak {L}.', 'The main language is {L}.', '{L} is spoken there.'], s),
        say(rng, ['The currency is the {M}.', 'People there pay with the {M}.', 'Its money is the {M}.'], s),
      ].join(' '),
    });
  }
  for (const c of w.cities) {
    const s = { C: c.name, K: c.country, R: c.river ?? '', F: c.feature };
    const parts = [
      say(rng, ['{C} is a city in {K}.', '{C} is a town located in {K}.', 'The city of {C} lies in {K}.'], s),
    ];
    if (c.river)
      parts.push(
        say(
          rng,
          ['It lies on the {R}.', 'The {R} runs through {C}.', 'It was built on the banks of the {R}.'],
          s,
        ),
      );
    if (w.countries.some((k) => k.capital === c.name))
      parts.push(say(rng, ['It is the capital of {K}.', '{C} is the national capital.'], s));
    parts.push(say(rng, ['It is known for {F}.', '{C} is famous for {F}.', 'Visitors come for {F}.'], s));
    out.push({ title: c.name, text: parts.join(' ') });
  }
  for (const r of w.rivers) {
    const s = { R: r.name, K: r.country, S: r.sea };
    out.push({
      title: r.name,
      text: say(
        rng,
        [
          'The {R} flows through {K} and empties into the {S}.',
          'The {R} is a river in {K}. It flows into the {S}.',
          'Rising in the hills of {K}, the {R} ends in the {S}.',
        ],
        s,
      ),
    });
  }
  for (const p of w.people) {
    const s = {
      P: p.name,
      B: p.born,
      J: p.profession,
      aJ: withArticle(p.profession),
      U: p.university,
      H: p.he,
    };
    const parts = [
      say(
        rng,
        [
          '{P} was {aJ} born in {B}.',
          '{P} was born in {B} and worked as {aJ}.',
          'Born in {B}, {P} became a well-known {J}.',
          '{P} was {aJ} whose birthplace was {B}.',
        ],
        s,
      ),
      say(rng, ['{H} studied at {U}.', '{H} was educated at {U}.', '{H} attended {U}.'], s),
    ];
    out.push({ title: p.name, text: parts.join(' ') });
  }
  for (const c of w.companies) {
    const s = { Co: c.name, P: c.founder, C: c.hq, I: c.industry, aI: withArticle(c.industry) };
    out.push({
      title: c.name,
      text: [
        say(
          rng,
          [
            '{Co} is {aI} company founded by {P}.',
            '{Co} was founded by {P} and works in {I}.',
            '{P} founded {Co}, a firm in {I}.',
          ],
          s,
        ),
        say(
          rng,
          ['It is headquartered in {C}.', 'Its head office is in {C}.', 'The company is based in {C}.'],
          s,
        ),
      ].join(' '),
    });
  }
  for (const u of w.universities) {
    const s = { U: u.name, C: u.city, F: u.field };
    out.push({
      title: u.name,
      text: [
        say(
          rng,
          ['{U} is a university in {C}.', '{U} is located in the city of {C}.', 'The {U} stands in {C}.'],
          s,
        ),
        say(rng, ['It is known for teaching {F}.', 'Its school of {F} is famous.'], s),
      ].join(' '),
    });
  }
  return out;
}

type Make = (q: string, answers: string[], hops: 1 | 2, type: string, subject: string) => void;

/** Every answerable question about the world, tagged with its type and first-hop subject. */
export function allQuestions(w: World, rng: Rng): QARow[] {
  const out: QARow[] = [];
  const add: Make = (question, golden_answers, hops, type, subject) =>
    out.push({ id: '', question, golden_answers, hops, type, subject });
  const country = new Map(w.countries.map((c) => [c.name, c]));
  const city = new Map(w.cities.map((c) => [c.name, c]));
  const person = new Map(w.people.map((p) => [p.name, p]));
  const uni = new Map(w.universities.map((u) => [u.name, u]));
  const river = new Map(w.rivers.map((r) => [r.name, r]));
  const countryAns = (k: Country) => (k.official ? [k.name, k.official] : [k.name]);
  const riverAns = (name: string) => [name, river.get(name)!.short];
  const uniAns = (name: string) => [name, uni.get(name)!.short];
  const q = (templates: string[], slots: Record<string, string>) => say(rng, templates, slots);

  for (const k of w.countries) {
    const s = { K: k.name };
    add(
      q(['What is the capital of {K}?', 'Which city is the capital of {K}?'], s),
      [k.capital],
      1,
      'country_capital',
      k.name,
    );
    add(
      q(['What currency is used in {K}?', 'What is the currency of {K}?'], s),
      [k.currency],
      1,
      'country_currency',
      k.name,
    );
    add(
      q(['What language is spoken in {K}?', 'What is the main language of {K}?'], s),
      [k.language],
      1,
      'country_language',
      k.name,
    );
  }
  for (const c of w.cities) {
    const s = { C: c.name };
    const k = country.get(c.country)!;
    add(
      q(
        ['In which country is {C}?', 'Which country is {C} located in?', '{C} is a city in which country?'],
        s,
      ),
      countryAns(k),
      1,
      'city_country',
      c.name,
    );
    if (c.river)
      add(
        q(['Which river runs through {C}?', 'On which river does {C} lie?'], s),
        riverAns(c.river),
        1,
        'city_river',
        c.name,
      );
    add(
      q(
        [
          'What is the currency of the country where {C} is located?',
          'What currency is used in the country that {C} is in?',
        ],
        s,
      ),
      [k.currency],
      2,
      'city_country_currency',
      c.name,
    );
    if (k.capital !== c.name)
      add(
        q(
          [
            'What is the capital of the country where {C} lies?',
            'Which city is the capital of the country that contains {C}?',
          ],
          s,
        ),
        [k.capital],
        2,
        'city_country_capital',
        c.name,
      );
    add(
      q(['What language is spoken in the country where {C} is located?'], s),
      [k.language],
      2,
      'city_country_language',
      c.name,
    );
  }
  for (const r of w.rivers) {
    const s = { R: r.name };
    const k = country.get(r.country)!;
    add(
      q(['Which country does the {R} flow through?', 'In which country is the {R}?'], s),
      countryAns(k),
      1,
      'river_country',
      r.name,
    );
    add(
      q(['Into which sea does the {R} flow?', 'Where does the {R} end?'], s),
      [r.sea],
      1,
      'river_sea',
      r.name,
    );
    add(
      q(['What is the capital of the country the {R} flows through?'], s),
      [k.capital],
      2,
      'river_country_capital',
      r.name,
    );
  }
  for (const p of w.people) {
    const s = { P: p.name };
    const born = city.get(p.born)!;
    add(
      q(['Where was {P} born?', 'In which city was {P} born?', 'What is the birthplace of {P}?'], s),
      [p.born],
      1,
      'person_born',
      p.name,
    );
    add(
      q(["What was {P}'s profession?", 'What did {P} work as?', 'What was the occupation of {P}?'], s),
      [p.profession],
      1,
      'person_profession',
      p.name,
    );
    add(
      q(['Where did {P} study?', 'Which institution did {P} attend?'], s),
      uniAns(p.university),
      1,
      'person_university',
      p.name,
    );
    if (p.company)
      add(
        q(['Which company did {P} found?', 'What company was founded by {P}?'], s),
        [p.company, p.company.split(' ')[0]],
        1,
        'person_company',
        p.name,
      );
    add(
      q(['In which country was {P} born?', 'In which country is the birthplace of {P}?'], s),
      countryAns(country.get(born.country)!),
      2,
      'person_born_country',
      p.name,
    );
    add(
      q(
        [
          'In which city is the university that {P} attended?',
          'Where is the institution at which {P} studied?',
        ],
        s,
      ),
      [uni.get(p.university)!.city],
      2,
      'person_university_city',
      p.name,
    );
    if (born.river)
      add(
        q(
          [
            'Which river runs through the city where {P} was born?',
            "Which river flows through {P}'s birthplace?",
          ],
          s,
        ),
        riverAns(born.river),
        2,
        'person_born_river',
        p.name,
      );
  }
  for (const co of w.companies) {
    const s = { Co: co.name };
    const f = person.get(co.founder)!;
    const hq = city.get(co.hq)!;
    add(
      q(['Who founded {Co}?', 'Who was the founder of {Co}?'], s),
      [co.founder],
      1,
      'company_founder',
      co.name,
    );
    add(
      q(['Where is {Co} headquartered?', 'In which city is {Co} based?'], s),
      [co.hq],
      1,
      'company_hq',
      co.name,
    );
    add(
      q(['What industry is {Co} in?', 'What business is {Co} in?'], s),
      [co.industry],
      1,
      'company_industry',
      co.name,
    );
    add(
      q(['Where was the founder of {Co} born?', 'In which city was the founder of {Co} born?'], s),
      [f.born],
      2,
      'company_founder_born',
      co.name,
    );
    add(
      q(['What was the profession of the founder of {Co}?', 'What did the founder of {Co} work as?'], s),
      [f.profession],
      2,
      'company_founder_profession',
      co.name,
    );
    add(
      q(['In which country is the city where {Co} is headquartered?', 'In which country is {Co} based?'], s),
      countryAns(country.get(hq.country)!),
      2,
      'company_hq_country',
      co.name,
    );
  }
  for (const u of w.universities) {
    const s = { U: u.name };
    add(q(['In which city is {U}?', 'Where is {U} located?'], s), [u.city], 1, 'university_city', u.name);
    add(
      q(['In which country is {U}?', 'Which country is {U} in?'], s),
      countryAns(country.get(city.get(u.city)!.country)!),
      2,
      'university_country',
      u.name,
    );
  }
  return out;
}

/** Chooses test subjects: TEST_FRACTION of each entity kind; a company always goes with its founder. */
export function testSubjects(w: World, rng: Rng): Set<string> {
  const test = new Set<string>();
  const take = <T>(items: T[], key: (t: T) => string) => {
    const n = Math.round(items.length * TEST_FRACTION);
    for (const t of rng.shuffle(items).slice(0, n)) test.add(key(t));
  };
  take(w.countries, (c) => c.name);
  take(w.cities, (c) => c.name);
  take(w.rivers, (r) => r.name);
  take(w.universities, (u) => u.name);
  take(w.people, (p) => p.name);
  for (const co of w.companies) if (test.has(co.founder)) test.add(co.name);
  return test;
}

export function generateWorld(seed = WORLD_SEED): CorpusBundle {
  const rng = new Rng(seed);
  const world = buildWorld(rng.fork());
  const passages = rng.shuffle(renderPassages(world, rng.fork()));
  const corpus: CorpusRow[] = passages.map((p, i) => ({
    id: String(i),
    contents: contents(p.title, p.text),
  }));
  // Keep only questions whose hop count is real: a 1-hop subject shares a passage with its answer, a 2-hop one never does.
  const pool = filterByHops(allQuestions(world, rng.fork()), corpus);
  const test = testSubjects(world, rng.fork());
  const pick = (inTest: boolean, hops: 1 | 2, target: number, maxShare: number, total: number) =>
    sampleBalanced(
      pool.filter((q) => test.has(q.subject) === inTest && q.hops === hops),
      target,
      Math.ceil(maxShare * total),
      rng.fork(),
    );
  const T = WORLD_TARGETS;
  const trainTotal = T.train1 + T.train2;
  const testTotal = T.test1 + T.test2;
  // Per-answer caps are set per hop bucket so the combined share stays well under 5% (train) / 10% (test).
  const train = finalizeQuestions(
    [...pick(false, 1, T.train1, 0.015, trainTotal), ...pick(false, 2, T.train2, 0.015, trainTotal)],
    'world-train',
    rng.fork(),
  );
  const testQs = finalizeQuestions(
    [...pick(true, 1, T.test1, 0.025, testTotal), ...pick(true, 2, T.test2, 0.025, testTotal)],
    'world-test',
    rng.fork(),
  );
  const bundle: CorpusBundle = {
    name: 'world',
    title: 'Fictional world',
    description:
      'A seeded invented world of countries, cities, rivers, people, companies and universities; 1- and 2-hop questions about entities no model has seen before.',
    corpus,
    train,
    test: testQs,
    readme: '',
  };
  bundle.readme = worldReadme(bundle, seed);
  return bundle;
}

function worldReadme(b: CorpusBundle, seed: number): string {
  const s = stats(b);
  return `# world — a generated fictional world

Invented entities with pronounceable, unique, syllable-built names (checked against a stoplist of common English
words): ${SIZES.countries} countries, ${SIZES.countries * SIZES.citiesPerCountry} cities, ${SIZES.rivers} rivers, ${SIZES.people} people, ${SIZES.companies} companies and
${SIZES.universities} universities. Relations: city in country, country capital / currency / language, river flows through
country into a sea, city on river, person born in city / profession / studied at university, company founded by
person / headquartered in city / industry, university in city. Each entity is one short passage (title = its name)
whose sentences state its facts in 2–4 varied phrasings, so questions are not word-for-word copies of passages.
A person's passage does not name the company they founded (the company's passage names its founder), so a 2-hop
question never has its subject and its answer in one passage; the generator drops any 2-hop question where they
would (e.g. a company headquartered in its founder's birthplace).

## Files
- \`corpus.jsonl\` — ${s.passages} passages, Search-R1 format \`{"id", "contents": "\\"Title\\"\\ntext"}\`; ${s.avgWords} words on average (max ${s.maxWords}).
- \`train.jsonl\` — ${s.train} questions (${s.train1} 1-hop, ${s.train2} 2-hop).
- \`test.jsonl\` — ${s.test} questions (${s.test1} 1-hop, ${s.test2} 2-hop).

QA rows: \`{"id", "question", "golden_answers", "hops", "type", "subject"}\` (FlashRAG style; \`type\` is the question
template, \`subject\` the first-hop entity). Golden answers are the answer's name plus aliases that occur in the corpus
(a country's official name, a river/university/company name without its suffix word).

## Split
Test-question subjects (the entity a question starts from; for 2-hop questions, the first hop) never appear as
subjects of training questions; a company and its founder always share a split. Two-hop questions go through a
bridge entity named in the first passage ("Where was the founder of X born?": X's passage names the founder, the
founder's passage names the city). Answers are spread out: within each hop bucket one answer is used at most
${Math.ceil(0.015 * (WORLD_TARGETS.train1 + WORLD_TARGETS.train2))} times in train and ${Math.ceil(0.025 * (WORLD_TARGETS.test1 + WORLD_TARGETS.test2))} times in test.

## Source and licence
Entirely synthetic, generated by \`scripts/gen-world.ts\` (seed ${seed}); released with this project under its MIT licence.

## Regenerate
\`npx tsx scripts/gen-world.ts\` (deterministic: same seed → byte-identical files; \`tests/unit/corpora.test.ts\` checks
that the shipped files match the generator).
`;
}

function main(): void {
  const seed = process.argv[2] ? Number(process.argv[2]) : WORLD_SEED;
  const bundle = generateWorld(seed);
  const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'public', 'corpus');
  writeBundle(bundle, root);
  console.log(`world: ${JSON.stringify(stats(bundle))}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
