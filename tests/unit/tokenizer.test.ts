import { describe, expect, it } from 'vitest';
import {
  ANSWER,
  ANSWER_END,
  BOS,
  EOS,
  PAD,
  SEARCH,
  SEARCH_END,
  SPECIAL_TOKENS,
  Tokenizer,
  UNK,
} from '../../src/engine/tokenizer';
import { splitWords } from '../../src/engine/text';

const TEXTS = ['Paris is the capital of France.', 'Berlin is the capital of Germany.', 'The Seine flows.'];

describe('Tokenizer', () => {
  it('puts the special tokens first with fixed ids', () => {
    const tok = Tokenizer.build(TEXTS);
    expect(tok.vocab.slice(0, 12)).toEqual([
      '<pad>',
      '<bos>',
      '<eos>',
      '<unk>',
      '<think>',
      '</think>',
      '<search>',
      '</search>',
      '<information>',
      '</information>',
      '<answer>',
      '</answer>',
    ]);
    expect([PAD, BOS, EOS, UNK]).toEqual([0, 1, 2, 3]);
    SPECIAL_TOKENS.forEach((s, i) => expect(tok.id(s)).toBe(i));
  });

  it('orders words by descending count, ties in code-unit order', () => {
    const tok = Tokenizer.build(TEXTS);
    // "." and "the" ×3 ("." sorts before letters); capital is of ×2; then singletons alphabetically.
    expect(tok.vocab.slice(12)).toEqual([
      '.',
      'the',
      'capital',
      'is',
      'of',
      'berlin',
      'flows',
      'france',
      'germany',
      'paris',
      'seine',
    ]);
    expect(tok.size).toBe(23);
  });

  it('is deterministic regardless of text order', () => {
    const a = Tokenizer.build(TEXTS);
    const b = Tokenizer.build([...TEXTS].reverse());
    expect(b.vocab).toEqual(a.vocab);
  });

  it('honours minCount and maxVocab', () => {
    expect(Tokenizer.build(TEXTS, { minCount: 2 }).vocab.slice(12)).toEqual([
      '.',
      'the',
      'capital',
      'is',
      'of',
    ]);
    expect(Tokenizer.build(TEXTS, { maxVocab: 14 }).vocab.slice(12)).toEqual(['.', 'the']);
    expect(Tokenizer.build(TEXTS, { maxVocab: 5 }).size).toBe(12);
  });

  it('recognises tag literals inside text without spaces', () => {
    const tok = Tokenizer.build(['capital of x']);
    expect(tok.pieces('<search>capital of x</search>')).toEqual([
      '<search>',
      'capital',
      'of',
      'x',
      '</search>',
    ]);
    expect(tok.encode('<search>capital of x</search>')).toEqual([
      SEARCH,
      tok.id('capital'),
      tok.id('of'),
      tok.id('x'),
      SEARCH_END,
    ]);
    expect(tok.encode('x<answer>x</answer>x')).toEqual([
      tok.id('x'),
      ANSWER,
      tok.id('x'),
      ANSWER_END,
      tok.id('x'),
    ]);
    expect(tok.pieces('<SEARCH>X</Search>')).toEqual(['<search>', 'x', '</search>']);
    // Non-tag angle-bracket words are ordinary punctuation + words.
    expect(tok.pieces('<pad><b>')).toEqual(['<', 'pad', '>', '<', 'b', '>']);
  });

  it('lower-cases and maps unknown words to <unk>', () => {
    const tok = Tokenizer.build(TEXTS);
    expect(tok.encode('PARIS Paris paris')).toEqual([tok.id('paris'), tok.id('paris'), tok.id('paris')]);
    expect(tok.encode('Madrid')).toEqual([UNK]);
    expect(tok.id('never-seen')).toBe(UNK);
    expect(tok.id('Paris')).toBe(UNK); // id() takes already-normalised pieces
  });

  it('splits words, numbers and single punctuation marks', () => {
    const tok = Tokenizer.build([]);
    expect(tok.pieces("O'Neill's well-known U.S. team won 3.5% (in 1990)!")).toEqual([
      "o'neill's",
      'well-known',
      'u.s',
      '.',
      'team',
      'won',
      '3.5',
      '%',
      '(',
      'in',
      '1990',
      ')',
      '!',
    ]);
    expect(tok.pieces('Café Ñandú über São-Paulo')).toEqual(['café', 'ñandú', 'über', 'são-paulo']);
    expect(tok.pieces('O’Neill')).toEqual(["o'neill"]); // typographic apostrophe unified
    expect(tok.pieces('a--b ...x -5')).toEqual(['a', '-', '-', 'b', '.', '.', '.', 'x', '-', '5']);
    expect(tok.pieces('   ')).toEqual([]);
    expect(tok.pieces('Paris.France')).toEqual(['paris.france']); // a dot between letters joins (like "u.s")
    expect(splitWords('<think> Hello, world! </think>')).toEqual(['hello', 'world']);
  });

  it('decodes by joining pieces with spaces, skipping pad/bos/eos', () => {
    const tok = Tokenizer.build(TEXTS);
    const x = '<think>Paris. France, Seine?</think>';
    expect(tok.decode(tok.encode(x))).toBe('<think> paris . france <unk> seine <unk> </think>');
    expect(tok.decode([BOS, ...tok.encode('the capital'), EOS, PAD, PAD])).toBe('the capital');
    expect(tok.decode([UNK, 99999])).toBe('<unk> <unk>');
    // Round trip: decode(encode(x)) is the normalised piece sequence when every word is known.
    const y = 'Berlin is the capital of Germany.';
    expect(tok.decode(tok.encode(y))).toBe(tok.pieces(y).join(' '));
    // Without unknown words, decoded text re-encodes to the same ids.
    const z = '<search>capital of France</search>';
    expect(tok.encode(tok.decode(tok.encode(z)))).toEqual(tok.encode(z));
  });

  it('round-trips through JSON', () => {
    const tok = Tokenizer.build(TEXTS);
    const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.vocab).toEqual(tok.vocab);
    expect(back.encode('Paris is the capital of Spain.')).toEqual(
      tok.encode('Paris is the capital of Spain.'),
    );
    expect(tok.toJSON().kind).toBe('word-v1');
  });

  it('rejects malformed JSON', () => {
    expect(() => Tokenizer.fromJSON({ kind: 'word-v1', vocab: ['a', 'b'] })).toThrow();
    expect(() => Tokenizer.fromJSON({ kind: 'bpe' as 'word-v1', vocab: [...SPECIAL_TOKENS] })).toThrow();
    expect(() => Tokenizer.fromJSON({ kind: 'word-v1', vocab: [...SPECIAL_TOKENS, 'x', 'x'] })).toThrow();
  });
});
