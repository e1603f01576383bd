import { describe, expect, it } from 'vitest';
import { defaultRolloutConfig, type RolloutConfig } from '../../src/engine/config';
import { PracticeBuilder } from '../../src/engine/practice';
import { answerType, distance, wantsName } from '../../src/engine/practice-text';
import { splitPieces } from '../../src/engine/text';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import type { Passage, QAItem } from '../../src/engine/types';

const passage = (id: string, title: string, text: string): Passage => ({
  id,
  title,
  text,
  contents: `"${title}"\n${text}`,
});

/** Share of question-format demonstrations (over 300 draws) for which `f` holds. */
function rate(
  corpus: Passage[],
  question: string,
  f: (d: { searches: string[]; answer: string }) => boolean,
  // Three passages per search (the paper's top-k), each search stateless (the paper's): most cases are about reading
  // among several retrieved passages and searching again through a bridge.
  rollout: Partial<RolloutConfig> = { topk: 3, freshPassages: false },
) {
  const q: QAItem = { id: 'q', question, golden_answers: [] };
  const cfg = { ...defaultRolloutConfig(), ...rollout };
  const builder = new PracticeBuilder(corpus, [q], new Retriever(corpus), cfg);
  const rng = new Rng(4);
  let n = 0;
  let hits = 0;
  for (let i = 0; i < 300; i++) {
    const d = builder.questionFormat(rng);
    if (!d) continue;
    n++;
    if (f(d)) hits++;
  }
  expect(n).toBeGreaterThan(200);
  return hits / n;
}

describe('answerType', () => {
  it('is the content word right after which / what', () => {
    expect(answerType('Which country is Stadrovrai Academy in?')).toBe('country');
    expect(answerType('In which city was Vroukon Helda born?')).toBe('city');
    expect(answerType('What river flows through the city where Mira Tolk was born?')).toBe('river');
    expect(answerType('What is the capital of Zenia?')).toBeNull();
    expect(answerType('Where was Zorvak Lint born?')).toBeNull();
  });
});

describe('wantsName', () => {
  it('is true for questions asking who or where, false otherwise', () => {
    expect(wantsName('Who founded Shaixhou Trading?')).toBe(true);
    expect(wantsName('Who was the founder of Linma Labs?')).toBe(true);
    expect(wantsName('Where did Zistas Traix study?')).toBe(true);
    expect(wantsName('What industry is Linma Labs in?')).toBe(false);
    expect(wantsName('What did Moufa Rounast work as?')).toBe(false);
    // A word that merely contains "who" is not the question word.
    expect(wantsName('What is the capital of Whoville?')).toBe(false);
  });
});

describe('cloze practice', () => {
  const corpus = [
    passage('m', 'Mouvrern Works', 'Mouvrern Works is a publishing company founded by Krowai Krand.'),
    passage('k', 'Krowai Krand', 'Born in Stare, Krowai Krand worked as a judge.'),
    passage('s', 'Stare', 'Stare is a town on a river.'),
  ];
  const builder = new PracticeBuilder(corpus, [], new Retriever(corpus), defaultRolloutConfig());
  /** Distinct "answer <- question" cloze demonstrations over 400 draws. */
  const drawn = () => {
    const rng = new Rng(2);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const d = builder.cloze(rng);
      if (d) seen.add(`${d.answer} <- ${d.question}`);
    }
    return [...seen];
  };

  it("answers with the passage's own title where the sentence names it", () => {
    const seen = drawn();
    expect(seen).toContain('Mouvrern Works <- what is a publishing company founded by Krowai Krand');
    expect(seen).toContain('Krowai Krand <- Mouvrern Works is a publishing company founded by what');
  });

  it('never asks for a title that only the prefix names (the sentence would not contain it)', () => {
    // A sentence without its title gets "Title: " in front, and the title is then not a cloze answer.
    const c2 = [passage('j', 'Jilov Institute', 'It teaches law and medicine to judges.'), ...corpus];
    const b2 = new PracticeBuilder(c2, [], new Retriever(c2), defaultRolloutConfig());
    const rng = new Rng(3);
    for (let i = 0; i < 400; i++) {
      const d = b2.cloze(rng);
      if (d) expect(d.answer).not.toBe('Jilov Institute');
    }
  });
});

describe('distance', () => {
  const pieces = splitPieces('Tajin Airport serves Poza Rico, in Mexico.');
  // tajin airport serves poza rico , in mexico .  (cue "serves" at 2)
  it('counts the pieces between a span and the nearest cue word, on either side', () => {
    expect(distance(pieces, 'Poza Rico', [2])).toBe(0);
    expect(distance(pieces, 'Mexico', [2])).toBe(4);
    expect(distance(pieces, 'Tajin Airport', [2])).toBe(0);
    expect(distance(pieces, 'Tajin', [2])).toBe(1);
    expect(distance(pieces, 'Mexico', [2, 6])).toBe(0);
  });
  it('is Infinity without a cue or when the span is not in the sentence', () => {
    expect(distance(pieces, 'Mexico', [])).toBe(Infinity);
    expect(distance(pieces, 'Lima', [2])).toBe(Infinity);
  });
});

describe('question-format practice reader', () => {
  // Many passages say "city", few say "Cook": the rare word decides which capital sentence answers.
  const fillers = ['Telmar', 'Oskovan', 'Brelle', 'Durnhal', 'Pazoro', 'Wendrik'].map((c, i) =>
    passage(`f${i}`, c, `${c} is a city on the coast. ${c} has an old harbour.`),
  );
  const islands = [
    passage(
      'a',
      'Cook Islands',
      'Cook Islands is a territory in Polynesia. Cook Islands Maori is spoken across Cook Islands.',
    ),
    passage(
      'b',
      'Avarua',
      'Avarua is the capital of Cook Islands. Avarua lies on Rarotonga, an island of lagoons, reefs, hills and harbours.',
    ),
    passage('c', 'Honiara', 'Honiara is the capital city of Solomon Islands.'),
    ...fillers,
  ];

  it('reads every retrieved passage and weighs question words by rarity', () => {
    // The top passage (about Cook Islands) does not name its capital; the second one does.
    const r = new Retriever(islands);
    expect(r.search('capital cook islands', 3)[0].title).toBe('Cook Islands');
    expect(
      rate(islands, 'What is the capital of Cook Islands?', (d) => d.answer === 'Avarua'),
    ).toBeGreaterThan(0.6);
    expect(
      rate(islands, 'What is the capital of Cook Islands?', (d) => d.searches.length === 1),
    ).toBeGreaterThan(0.7);
  });

  const world = [
    passage('p', 'Zorvak Lint', 'Zorvak Lint was born in Telmar. He worked as a painter.'),
    passage('t', 'Telmar', 'Telmar is a city in Quelaria. Telmar lies on a lake.'),
    passage('q', 'Quelaria', 'Quelaria is a country in the north. Its currency is the Quelarian mark.'),
    passage('d', 'Dodra', 'Dodra is the capital of Quelaria.'),
    ...fillers,
  ];

  it('goes one hop further when the span read is not of the type the question asks for', () => {
    // Telmar's own passage calls it a city, not a country: search again through Telmar.
    const born = 'In which country was Zorvak Lint born?';
    expect(rate(world, born, (d) => d.searches.length === 2 && /telmar/.test(d.searches[1]))).toBeGreaterThan(
      0.6,
    );
    expect(rate(world, born, (d) => d.searches.length === 2 && d.answer === 'Quelaria')).toBeGreaterThan(
      0.25,
    );
    // Quelaria's own passage calls it a country: the answer is the span read, in one search.
    const capital = 'Of which country is Dodra the capital?';
    expect(rate(world, capital, (d) => d.searches.length === 1 && d.answer === 'Quelaria')).toBeGreaterThan(
      0.5,
    );
  });

  const airports = [
    passage('s', 'Sturup Airport', 'Sturup Airport (code ESMS) serves Malmoe, in Sweden.'),
    passage('w', 'Sweden', 'Sweden is a country in Northern Europe. Its capital is Stockholm.'),
    ...fillers,
  ];

  it('reads the span next to the question word it matched, among several names of one sentence', () => {
    expect(rate(airports, 'What does Sturup Airport serve?', (d) => d.answer === 'Malmoe')).toBeGreaterThan(
      0.6,
    );
  });

  it('goes one hop further through a name that has a passage of its own, not through a code', () => {
    const q = 'What is the capital of the country where Sturup Airport is?';
    const viaSweden = (d: { searches: string[] }) =>
      d.searches.length === 2 && /^sweden /.test(d.searches[1]);
    expect(rate(airports, q, viaSweden)).toBeGreaterThan(0.6);
    expect(rate(airports, q, (d) => /esms|malmoe/.test(d.searches.slice(1).join(' ')))).toBe(0);
  });

  it('with fresh passages, reads a bridge whose passage the first search returned without searching again', () => {
    // Top-3 already returns Sweden's passage beside the airport's: a second search could only find other passages.
    const q = 'What is the capital of the country where Sturup Airport is?';
    expect(new Retriever(airports).search('capital country sturup airport', 3).map((d) => d.title)).toContain(
      'Sweden',
    );
    const fresh = { topk: 3, freshPassages: true };
    expect(
      rate(airports, q, (d) => d.searches.length === 1 && d.answer === 'Stockholm', fresh),
    ).toBeGreaterThan(0.5);
    expect(rate(airports, q, (d) => d.searches.length === 2 && /^sweden /.test(d.searches[1]), fresh)).toBe(
      0,
    );
  });

  it("reads past the word that names the bridge's kind, unless nothing else is explained", () => {
    // "country" names Sweden ("Sweden is a country …"): the answer is read for "capital".
    const capital = 'What is the capital of the country where Sturup Airport is?';
    expect(rate(airports, capital, (d) => d.answer === 'Stockholm')).toBeGreaterThan(0.6);
    // No sentence says "region": "country" is the cue that finds "… a country in Northern Europe".
    const region = 'Which region is the country where Sturup Airport is in?';
    expect(rate(airports, region, (d) => d.answer === 'Northern Europe')).toBeGreaterThan(0.6);
  });

  it('with fresh passages, searches again when the first passage is about another entity', () => {
    const togoText =
      'Togo, officially the Togolese Republic, is a country in Western Africa. The official language is French. ' +
      'Its currency is the West African CFA franc. It borders Benin, Burkina Faso and Ghana.';
    const togo = [
      passage('t', 'Togo', togoText),
      passage('l', 'Lome', 'Lome is the capital of Togo.'),
      ...fillers,
    ];
    const q = 'Which subregion is Togo in?';
    // One passage per search: the short capital passage ranks above the country's own.
    expect(new Retriever(togo).search('subregion togo', 1)[0].title).toBe('Lome');
    const again = (d: { searches: string[] }) => d.searches.length === 2 && d.searches[1] === d.searches[0];
    const fromTogo = (d: { answer: string }) => togoText.includes(d.answer);
    expect(rate(togo, q, again, { topk: 1, freshPassages: true })).toBeGreaterThan(0.6);
    expect(rate(togo, q, fromTogo, { topk: 1, freshPassages: true })).toBeGreaterThan(0.3);
    // Without them the same search would read the same passage: the Togo passage is never reached.
    expect(rate(togo, q, again, { topk: 1, freshPassages: false })).toBe(0);
    expect(rate(togo, q, fromTogo, { topk: 1, freshPassages: false })).toBe(0);
  });

  it('answers a who / where question with a name, not an ordinary word of the sentence', () => {
    const firms = [
      passage('v', 'Vrost Labs', 'Steli Bolom founded Vrost Labs, a firm in publishing.'),
      passage('b', 'Braiwa Group', 'Sheje Gravain founded Braiwa Group, a firm in mining.'),
      ...fillers,
    ];
    const who = rate(firms, 'Who founded Vrost Labs?', (d) => d.answer === 'Steli Bolom');
    const what = rate(firms, 'What industry is Vrost Labs in?', (d) => d.answer === 'Steli Bolom');
    expect(who).toBeGreaterThan(0.6);
    // Only an unneeded second search that finds no other name left answers with the ordinary word.
    expect(rate(firms, 'Who founded Vrost Labs?', (d) => d.answer === 'publishing')).toBeLessThan(0.1);
    // Without a question word asking for a name, the ordinary word stays a candidate.
    expect(what).toBeLessThan(who);
  });
});
