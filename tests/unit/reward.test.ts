import { describe, expect, it } from 'vitest';
import {
  computeReward,
  exactMatch,
  extractAnswer,
  isValidFormat,
  normalizeAnswer,
  tokenF1,
} from '../../src/engine/reward';

describe('normalizeAnswer (SQuAD v1.1)', () => {
  it('lower-cases, removes ASCII punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer('The Eiffel Tower!')).toBe('eiffel tower');
    expect(normalizeAnswer('  An apple a   day ')).toBe('apple day');
    expect(normalizeAnswer('U.S.A.')).toBe('usa');
    expect(normalizeAnswer('rock-n-roll')).toBe('rocknroll');
    expect(normalizeAnswer("O'Neill, Jr.")).toBe('oneill jr');
    expect(normalizeAnswer('\tParis\n')).toBe('paris');
    expect(normalizeAnswer('')).toBe('');
    expect(normalizeAnswer('The')).toBe('');
  });

  it('removes articles only as whole words', () => {
    expect(normalizeAnswer('theater anthem another')).toBe('theater anthem another');
    expect(normalizeAnswer('The-The')).toBe('thethe'); // punctuation goes first, so "thethe" is one word
    expect(normalizeAnswer('a.b')).toBe('ab');
  });

  it('treats Unicode letters as word characters and keeps non-ASCII punctuation (as Python does)', () => {
    expect(normalizeAnswer('Café  Ñandú')).toBe('café ñandú');
    expect(normalizeAnswer('éthe thé')).toBe('éthe thé'); // "the" inside a word is not an article
    expect(normalizeAnswer('«The» Paris—an')).toBe('« » paris—'); // « » — are not in string.punctuation
    expect(normalizeAnswer('L’Été')).toBe('l’été');
  });
});

describe('exactMatch / tokenF1', () => {
  it('exact match after normalisation against any golden answer', () => {
    expect(exactMatch('the Paris', ['paris'])).toBe(1);
    expect(exactMatch('Paris.', ['London', 'PARIS'])).toBe(1);
    expect(exactMatch('Paris, France', ['paris'])).toBe(0);
    expect(exactMatch('paris', [])).toBe(0);
  });

  it('token F1 with hand-computed values', () => {
    // pred [city, of, paris] vs gold [paris, city, centre]: 2 common, P = 2/3, R = 2/3.
    expect(tokenF1('The city of Paris', ['Paris city centre'])).toBeCloseTo(2 / 3, 12);
    // pred [new, york, city] vs gold [new, york]: P = 2/3, R = 1, F1 = 2·(2/3)/(5/3) = 0.8.
    expect(tokenF1('New York City', ['New York'])).toBeCloseTo(0.8, 12);
    // Max over goldens: 0.8 vs 1.
    expect(tokenF1('New York City', ['New York', 'new york city'])).toBe(1);
    // Counts are clipped: pred [paris, paris] vs [paris]: 1 common, P = 1/2, R = 1, F1 = 2/3.
    expect(tokenF1('paris paris', ['paris'])).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('london', ['paris'])).toBe(0);
    expect(tokenF1('', ['paris'])).toBe(0);
    expect(tokenF1('the', ['a'])).toBe(0); // both normalise to nothing: no common tokens
    expect(tokenF1('paris', [])).toBe(0);
  });
});

describe('extractAnswer', () => {
  it('returns the trimmed content of the last answer block', () => {
    expect(extractAnswer('<think> x </think> <answer> Paris </answer>')).toBe('Paris');
    expect(extractAnswer('<answer> a </answer> text <answer>\n b c \n</answer>')).toBe('b c');
    expect(extractAnswer('<answer></answer>')).toBe('');
    expect(extractAnswer('<answer>   </answer>')).toBe('');
  });

  it('returns null when there is no complete answer block', () => {
    expect(extractAnswer('')).toBeNull();
    expect(extractAnswer('<think> x </think> <answer> Paris')).toBeNull();
    expect(extractAnswer('Paris </answer>')).toBeNull();
  });

  it('matches non-greedily like the Python regex', () => {
    // <answer>(.*?)</answer> from the first <answer>: the inner "<answer>" is part of the content.
    expect(extractAnswer('<answer> a <answer> b </answer>')).toBe('a <answer> b');
  });
});

describe('isValidFormat (Search-R1 qa_em_format.is_valid_sequence)', () => {
  const INFO = '<information>Doc 1(Title: "Paris") Paris is the capital of France.</information>';
  it('accepts think → answer', () => {
    expect(isValidFormat('<think> easy </think> <answer> paris </answer>')).toBe(true);
    expect(isValidFormat('\n<think>easy</think>\n\n<answer>paris</answer>\n')).toBe(true);
  });

  it('accepts think → search → information → think → answer, repeated', () => {
    const one = `<think> a </think> <search> capital of france </search>\n\n${INFO}\n\n`;
    expect(isValidFormat(`${one}<think> b </think> <answer> paris </answer>`)).toBe(true);
    expect(isValidFormat(`${one}${one}<think> b </think> <answer> paris </answer>`)).toBe(true);
  });

  it('rejects broken structures', () => {
    expect(isValidFormat('<answer> paris </answer>')).toBe(false); // no think first
    expect(isValidFormat('<think> a </think> paris <answer> paris </answer>')).toBe(false); // text between tags
    expect(isValidFormat('<think> a </think> <answer> paris </answer> done')).toBe(false); // text after answer
    expect(isValidFormat('<think> a </think> <answer> x </answer><answer> y </answer>')).toBe(false); // two answers
    expect(isValidFormat('<think> a </think> <answer> paris')).toBe(false); // unbalanced
    expect(isValidFormat('<think> a </think>')).toBe(false); // no answer
    expect(isValidFormat('')).toBe(false);
    // information must be followed by a new think
    expect(isValidFormat(`<think> a </think> <search> q </search> ${INFO} <answer> paris </answer>`)).toBe(
      false,
    );
    // a search must be followed by its information block
    expect(
      isValidFormat('<think> a </think> <search> q </search> <think> b </think> <answer> p </answer>'),
    ).toBe(false);
    // nested tags
    expect(isValidFormat('<think> a <search> q </search> </think> <answer> p </answer>')).toBe(false);
    // the environment's invalid-action text breaks the structure
    const invalid =
      '\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n';
    expect(isValidFormat(`<think> a </think> hmm${invalid}<think> b </think> <answer> p </answer>`)).toBe(
      false,
    );
  });
});

describe('computeReward', () => {
  const G = ['Paris', 'City of Paris'];
  const VALID_RIGHT = '<think> a </think> <answer> the Paris </answer>';
  const VALID_WRONG = '<think> a </think> <answer> Lyon </answer>';
  const INVALID_RIGHT = '<answer> Paris </answer>';
  const INVALID_WRONG = 'I think <answer> paris france </answer>';
  const NO_ANSWER = '<think> a </think> <search> q </search>';

  it('em variant', () => {
    expect(computeReward(VALID_RIGHT, G, 'em')).toEqual({
      reward: 1,
      em: 1,
      f1: 1,
      answer: 'the Paris',
      validFormat: true,
    });
    expect(computeReward(INVALID_RIGHT, G, 'em').reward).toBe(1);
    expect(computeReward(VALID_WRONG, G, 'em').reward).toBe(0);
    expect(computeReward(NO_ANSWER, G, 'em')).toEqual({
      reward: 0,
      em: 0,
      f1: 0,
      answer: null,
      validFormat: false,
    });
  });

  it('f1 variant', () => {
    // "paris france" vs "paris": P = 1/2, R = 1 → 2/3; vs "city of paris" → [city, of, paris]: P = 1/2, R = 1/3 → 0.4.
    const r = computeReward(INVALID_WRONG, G, 'f1');
    expect(r.reward).toBeCloseTo(2 / 3, 12);
    expect(r.em).toBe(0);
    expect(r.validFormat).toBe(false);
    expect(computeReward(NO_ANSWER, G, 'f1').reward).toBe(0);
  });

  it('format variant: 1.0 / 0.8 / 0.2 / 0.1 / 0', () => {
    expect(computeReward(VALID_RIGHT, G, 'format').reward).toBe(1.0);
    expect(computeReward(INVALID_RIGHT, G, 'format').reward).toBe(0.8);
    expect(computeReward(VALID_WRONG, G, 'format').reward).toBe(0.2);
    expect(computeReward(INVALID_WRONG, G, 'format').reward).toBe(0.1);
    expect(computeReward(NO_ANSWER, G, 'format').reward).toBe(0);
  });

  it('the last answer counts', () => {
    const r = computeReward('<answer> Lyon </answer> <answer> Paris </answer>', G, 'em');
    expect(r.answer).toBe('Paris');
    expect(r.reward).toBe(1);
    expect(computeReward('<answer> Paris </answer> <answer> Lyon </answer>', G, 'em').reward).toBe(0);
  });

  it('an empty answer is a wrong answer, not a missing one', () => {
    const r = computeReward('<think> a </think> <answer> </answer>', G, 'format');
    expect(r.answer).toBe('');
    expect(r.em).toBe(0);
    expect(r.validFormat).toBe(true);
    expect(r.reward).toBe(0.2);
  });
});

describe('answers with punctuation, as the policy can write them', () => {
  it('scores a token-for-token copy of a golden answer with inner punctuation', async () => {
    const { computeReward, withTokenForms } = await import('../../src/engine/reward');
    // The policy's decoded answer puts spaces around punctuation.
    expect(computeReward('', ['1,234,567'], 'em', '1 , 234 , 567').em).toBe(1);
    expect(computeReward('', ['AC/DC'], 'em', 'ac / dc').em).toBe(1);
    expect(computeReward('', ['Smith, John'], 'em', 'smith , john').em).toBe(1);
    expect(computeReward('', ['1,234,567'], 'em', '1 , 234').em).toBe(0);
    expect(withTokenForms(['AC/DC'])).toEqual(['AC/DC', 'ac / dc']);
  });
});
