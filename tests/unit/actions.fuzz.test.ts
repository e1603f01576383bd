// Fuzzing the parsers that read what the policy generated: the action parser (rollout.ts parseAction), the answer
// extractor and the format check (reward.ts). Random texts built from tag fragments, whitespace, unicode and noise;
// each parser is compared with a plain loop written from its specification, and must never throw.
import { describe, expect, it } from 'vitest';
import { extractAnswer, isValidFormat } from '../../src/engine/reward';
import { Rng } from '../../src/engine/rng';
import { parseAction } from '../../src/engine/rollout';

const PIECES = [
  '<search>',
  '</search>',
  '<answer>',
  '</answer>',
  '<think>',
  '</think>',
  '<information>',
  '</information>',
  '<search',
  'answer>',
  '</',
  '<',
  '>',
  ' ',
  '\n',
  '\r\n',
  'paris',
  'the eiffel tower',
  'ü中🙂',
  '$1',
  '\\',
  '<<answer>>',
  '<SEARCH>',
];

function randomText(rng: Rng): string {
  let s = '';
  const n = rng.int(14);
  for (let i = 0; i < n; i++)
    s += rng.next() < 0.85 ? rng.pick(PIECES) : String.fromCharCode(32 + rng.int(95));
  return s;
}

/** The first complete action, by a left-to-right scan (the regex's leftmost, shortest match). */
function firstAction(text: string): { kind: 'search' | 'answer'; content: string } | null {
  for (let i = 0; i < text.length; i++) {
    for (const kind of ['search', 'answer'] as const) {
      const open = `<${kind}>`;
      if (!text.startsWith(open, i)) continue;
      const close = text.indexOf(`</${kind}>`, i + open.length);
      if (close >= 0) return { kind, content: text.slice(i + open.length, close).trim() };
    }
  }
  return null;
}

/** The last answer of non-overlapping left-to-right matches. */
function lastAnswer(text: string): string | null {
  let last: string | null = null;
  let i = 0;
  for (;;) {
    const a = text.indexOf('<answer>', i);
    if (a < 0) break;
    const b = text.indexOf('</answer>', a + 8);
    if (b < 0) break;
    last = text.slice(a + 8, b).trim();
    i = b + 9;
  }
  return last;
}

describe('fuzz: parsers of generated text', () => {
  it('parseAction and extractAnswer agree with plain scans on 20,000 random texts', () => {
    const rng = new Rng(2024);
    let actions = 0;
    for (let k = 0; k < 20_000; k++) {
      const text = randomText(rng);
      const got = parseAction(text);
      expect(got, JSON.stringify(text)).toEqual(firstAction(text));
      if (got) actions++;
      expect(extractAnswer(text), JSON.stringify(text)).toBe(lastAnswer(text));
    }
    expect(actions).toBeGreaterThan(1000); // the generator does produce complete actions
  });

  it('isValidFormat never throws, and is false whenever tags are unbalanced', () => {
    const rng = new Rng(7);
    let valid = 0;
    for (let k = 0; k < 20_000; k++) {
      const text =
        rng.next() < 0.2 ? `<think> ${randomText(rng)} </think> <answer> x </answer>` : randomText(rng);
      const ok = isValidFormat(text);
      if (ok) valid++;
      for (const tag of ['think', 'search', 'information', 'answer']) {
        const open = text.split(`<${tag}>`).length;
        const close = text.split(`</${tag}>`).length;
        if (open !== close) expect(ok, JSON.stringify(text)).toBe(false);
      }
    }
    expect(valid).toBeGreaterThan(0);
  });

  it('long and pathological inputs parse without blowing up', () => {
    const long = '<search>'.repeat(5000) + 'x' + '</answer>'.repeat(5000);
    expect(parseAction(long)).toBeNull();
    expect(parseAction(`${'<'.repeat(10_000)}answer> y </answer>`)).toEqual({ kind: 'answer', content: 'y' });
    expect(extractAnswer('<answer>'.repeat(3000))).toBeNull();
  });
});
