/**
 * Tag-state input (ModelConfig.tagSpans, model/tagstate.ts): the state definition on a literal sequence, host and
 * device states agree, an untrained model is barely disturbed, configs without the field are unchanged, and the
 * weight is saved, loaded, copied into the critic and freed. CPU backend, fixed seeds.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import {
  Critic,
  type ModelConfig,
  Policy,
  fromCheckpoint,
  toCheckpoint,
  validateConfig,
} from '../../src/engine/model';
import {
  deviceInputStates,
  deviceTagStates,
  hostInputStates,
  hostTagStates,
} from '../../src/engine/model/tagstate';
import { TAG_SPANS, modelConfigFor, questionMatchFor } from '../../src/engine/session';
import { Tokenizer } from '../../src/engine/tokenizer';
import { roughen } from '../model-helpers';

const SPANS: [number, number][] = [
  [4, 5],
  [6, 7],
  [8, 9],
  [10, 11],
];

const small = (over: Partial<ModelConfig> = {}): ModelConfig => ({
  vocabSize: 20,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  contextLen: 40,
  ffMult: 2,
  pointer: true,
  copyFrom: 12,
  tagSpans: SPANS,
  ...over,
});

function randomRows(rng: Rng, B: number, T: number, V: number): number[][] {
  return Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(V)));
}

async function logpOf(p: Policy, rows: number[][], host = false): Promise<number[]> {
  const t = tf.tensor2d(rows, undefined, 'int32');
  const { logp, entropy } = p.scoreTokens(t, host ? { hostTokens: rows.flat() } : undefined);
  const out = Array.from(await logp.data());
  tf.dispose([t, logp, entropy]);
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** The gradient of Σ log p w.r.t. tag_emb, with tag states from host ids or from the device ids. */
async function tagGrad(p: Policy, rows: number[][], host: boolean): Promise<number[]> {
  const tok = tf.tensor2d(rows, undefined, 'int32');
  const { value, grads } = tf.variableGrads(
    () => p.scoreTokens(tok, host ? { hostTokens: rows.flat() } : undefined).logp.sum() as tf.Scalar,
  );
  const g = Array.from(await grads[p.variables[p.paramNames.indexOf('tag_emb')].name].data());
  tf.dispose([tok, value, ...Object.values(grads)]);
  return g;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('tag states', () => {
  it('an opening tag is inside its span, a closing tag outside; any close ends a span', () => {
    // prettier-ignore
    const ids = [
      1, 12, 4, 13, 5,      // <bos> w <think> w </think>
      6, 14, 15, 7,         // <search> w w </search>
      8, 12, 9,             // <information> w </information>
      10, 13, 14, 7, 12,    // <answer> w w </search> (wrong close) w
      10, 13, 11, 2,        // <answer> w </answer> <eos>
      6, 10, 13,            // <search> <answer> w: a new tag replaces the open span
    ];
    // prettier-ignore
    const want = [
      0, 0, 1, 1, 0,
      2, 2, 2, 0,
      3, 3, 0,
      4, 4, 4, 0, 0,
      4, 4, 0, 0,
      2, 4, 4,
    ];
    expect(Array.from(hostTagStates(ids, 1, ids.length, SPANS))).toEqual(want);
  });

  it('device states equal host states (ragged tags, no tags, T not a power of two, T = 1)', async () => {
    const rng = new Rng(1);
    for (const [B, T] of [
      [3, 37],
      [2, 64],
      [4, 1],
      [1, 5],
    ]) {
      const rows = randomRows(rng, B, T, 16);
      if (B > 1) rows[1] = rows[1].map((x) => 12 + (x % 4)); // a row without any tag
      const dev = tf.tidy(() => deviceTagStates(tf.tensor2d(rows, [B, T], 'int32'), SPANS));
      expect(Array.from(await dev.data())).toEqual(Array.from(hostTagStates(rows.flat(), B, T, SPANS)));
      dev.dispose();
    }
  });

  it('validates tagSpans', () => {
    expect(() => validateConfig(small())).not.toThrow();
    expect(() => validateConfig(small({ tagSpans: [] }))).toThrow(/tagSpans/);
    expect(() => validateConfig(small({ tagSpans: [[4, 4]] }))).toThrow(/twice/);
    expect(() => validateConfig(small({ tagSpans: [[4, 20]] }))).toThrow(/token ids/);
    expect(() => validateConfig(small({ tagSpans: [[4]] as unknown as [number, number][] }))).toThrow(
      /pairs/,
    );
  });

  it('new policies get the think/search/information/answer spans', () => {
    const tok = Tokenizer.build(['a b c d']);
    const cfg = modelConfigFor(tok);
    expect(cfg.tagSpans).toEqual(TAG_SPANS.map((p) => [...p]));
    expect(cfg.tagSpans).toEqual(SPANS);
    expect(() => validateConfig(cfg)).not.toThrow();
  });
});

describe('tag-state embedding in the policy', () => {
  it('adds only tag_emb (small, last); zeroed, the scores are exactly those of a model without it', async () => {
    const plain = Policy.create(small({ tagSpans: undefined }), 3);
    const tagged = Policy.create(small(), 3);
    expect(plain.paramNames).not.toContain('tag_emb');
    expect(tagged.paramNames).toEqual([...plain.paramNames, 'tag_emb']);
    const tagVar = tagged.variables[tagged.variables.length - 1];
    expect(tagVar.shape).toEqual([SPANS.length + 1, 16]);
    const tagVals = Array.from(await tagVar.data());
    expect(Math.max(...tagVals.map(Math.abs))).toBeLessThan(0.05); // std 0.01, like pos_emb
    for (let i = 0; i < plain.variables.length; i++)
      expect(Array.from(await tagged.variables[i].data())).toEqual(
        Array.from(await plain.variables[i].data()),
      );
    const rows = randomRows(new Rng(4), 3, 20, 16);
    const base = await logpOf(plain, rows);
    // Untrained: log-probs (≈ −3 each) move by ≤ 0.1, about what the position embedding itself contributes.
    expect(maxAbsDiff(await logpOf(tagged, rows), base)).toBeLessThan(0.15);
    tagVar.assign(tf.zerosLike(tagVar));
    expect(await logpOf(tagged, rows)).toEqual(base);
    plain.dispose();
    tagged.dispose();
  });

  it('host and device tag states give the same scores and gradients', async () => {
    const p = Policy.create(small(), 5);
    roughen(p, 6);
    const rows = randomRows(new Rng(7), 3, 24, 16);
    expect(maxAbsDiff(await logpOf(p, rows, true), await logpOf(p, rows))).toBeLessThan(1e-5);
    const [gh, gd] = [await tagGrad(p, rows, true), await tagGrad(p, rows, false)];
    expect(maxAbsDiff(gh, gd)).toBeLessThan(1e-5);
    expect(gh.some((g) => g !== 0)).toBe(true);
    p.dispose();
  });

  it('round-trips through a checkpoint; a checkpoint without the field loads without the weight', async () => {
    for (const tagSpans of [SPANS, undefined]) {
      const p = Policy.create(small({ tagSpans }), 8);
      roughen(p, 9);
      const rows = randomRows(new Rng(10), 2, 16, 16);
      const { manifest, bin } = toCheckpoint(await p.serialize());
      const q = Policy.deserialize(fromCheckpoint(JSON.parse(JSON.stringify(manifest)), bin.slice()));
      expect(q.cfg.tagSpans).toEqual(tagSpans);
      expect(q.paramNames.includes('tag_emb')).toBe(!!tagSpans);
      expect(await logpOf(q, rows)).toEqual(await logpOf(p, rows));
      [p, q].forEach((x) => x.dispose());
    }
  });

  it('the critic copies tag_emb with the trunk and reads tag states from host or device ids', async () => {
    const p = Policy.create(small(), 11);
    roughen(p, 12);
    const c = Critic.fromPolicy(p, 13);
    const i = p.paramNames.indexOf('tag_emb');
    const cv = c.variables.find((v) => v.name.endsWith('/tag_emb'))!;
    expect(Array.from(await cv.data())).toEqual(Array.from(await p.variables[i].data()));
    const rows = randomRows(new Rng(14), 2, 18, 16);
    const tok = tf.tensor2d(rows, undefined, 'int32');
    const [vd, vh] = [c.values(tok), c.values(tok, rows.flat())];
    expect(maxAbsDiff(await vd.data(), await vh.data())).toBeLessThan(1e-5);
    tf.dispose([tok, vd, vh]);
    c.dispose();
    p.dispose();
  });

  it('keeps tf.memory().numTensors flat over scoring, a gradient step and feeds', async () => {
    const p = Policy.create(small(), 15);
    const rows = randomRows(new Rng(16), 2, 12, 16);
    const tok = tf.tensor2d(rows, undefined, 'int32');
    const base = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      for (const opts of [undefined, { hostTokens: rows.flat() }]) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => p.scoreTokens(tok, opts).logp.sum().neg() as tf.Scalar);
          p.variables.forEach((v) => v.assign(v.sub(grads[v.name].mul(0.01))));
        });
        expect(tf.memory().numTensors).toBe(base);
      }
    }
    const state = p.startDecode(2);
    const withState = tf.memory().numTensors;
    await p.feed(state, [{ row: 0, tokens: [1, 6, 12, 7] }]);
    await p.feed(state, [
      { row: 0, tokens: [10] },
      { row: 1, tokens: [4, 13] },
    ]);
    expect(Array.from(state.tagStates)).toEqual([4, 1]);
    expect(tf.memory().numTensors).toBe(withState);
    state.dispose();
    tok.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(base - p.variables.length - 1);
  });
});

describe('question match (ModelConfig.questionMatch)', () => {
  const MATCH = { span: 3, skip: [13] }; // the information span; id 13 is a function word
  const matched = (over: Partial<ModelConfig> = {}) => small({ questionMatch: MATCH, ...over });

  it('marks information words that occurred earlier outside every span, never skipped words or tags', async () => {
    // prettier-ignore
    const ids = [
      1, 12, 13, 14,        // <bos> then the question: w12 w13 (skipped) w14
      6, 12, 15, 7,         // <search> w12 w15 </search>: words in a search are not question words
      8, 13, 12, 15, 14, 9, // <information> w13 w12 w15 w14 </information>
      15,                   // w15 outside, after the first passage
      8, 15, 16, 9,         // <information> w15 w16 </information>
      10, 12, 11,           // <answer> w12 </answer>: only the information span is marked
    ];
    // prettier-ignore
    const want = [
      0, 0, 0, 0,
      2, 2, 2, 0,
      3, 3, 5, 3, 5, 0,
      0,
      3, 5, 3, 0,
      4, 4, 0,
    ];
    const cfg = matched();
    expect(Array.from(hostInputStates(ids, 1, ids.length, cfg))).toEqual(want);
    // Without the field the input states are the tag states.
    expect(Array.from(hostInputStates(ids, 1, ids.length, small()))).toEqual(
      Array.from(hostTagStates(ids, 1, ids.length, SPANS)),
    );
    // Ids below copyFrom never match: <unk> (3) in the question and in a passage is not a match.
    expect(Array.from(hostInputStates([1, 3, 8, 3, 9], 1, 5, cfg))).toEqual([0, 0, 3, 3, 0]);
    const dev = tf.tidy(() => deviceInputStates(tf.tensor2d([ids], undefined, 'int32'), cfg));
    expect(Array.from(await dev.data())).toEqual(want);
    dev.dispose();
  });

  it('device input states equal host input states (random tagged rows, T = 1)', async () => {
    const cfg = matched();
    const rng = new Rng(3);
    for (const [B, T] of [
      [3, 37],
      [2, 64],
      [4, 1],
    ]) {
      const rows = randomRows(rng, B, T, 17).map((r) => r.map((x) => (x === 16 ? 8 : x))); // more passages
      const want = hostInputStates(rows.flat(), B, T, cfg);
      if (T > 1) expect(want).toContain(5);
      const dev = tf.tidy(() => deviceInputStates(tf.tensor2d(rows, [B, T], 'int32'), cfg));
      expect(Array.from(await dev.data())).toEqual(Array.from(want));
      dev.dispose();
    }
  });

  it('validates the field (and keyStates) and adds one tag_emb row', () => {
    expect(() => validateConfig(matched())).not.toThrow();
    expect(() => validateConfig(matched({ copyFrom: undefined }))).toThrow(/questionMatch needs/);
    expect(() => validateConfig(matched({ tagSpans: undefined }))).toThrow(/questionMatch needs/);
    expect(() => validateConfig(small({ questionMatch: { span: 5, skip: [] } }))).toThrow(/span/);
    expect(() => validateConfig(small({ questionMatch: { span: 3, skip: [20] } }))).toThrow(/skip/);
    expect(() => validateConfig(matched({ keyStates: true }))).not.toThrow();
    expect(() => validateConfig(matched({ keyStates: true, pointer: false }))).toThrow(/keyStates needs/);
    expect(() => validateConfig(small({ keyStates: 1 as unknown as boolean }))).toThrow(/keyStates must/);
    const p = Policy.create(matched(), 1);
    expect(p.variables[p.paramNames.indexOf('tag_emb')].shape).toEqual([SPANS.length + 2, 16]);
    p.dispose();
  });

  it('new policies match in the information span and skip function words and punctuation', () => {
    const tok = Tokenizer.build(['the currency of zenia is the gowarn .']);
    const m = modelConfigFor(tok).questionMatch!;
    expect(m).toEqual(questionMatchFor(tok));
    expect(TAG_SPANS[m.span - 1][0]).toBe(8); // <information>
    const skipped = m.skip.map((id) => tok.vocab[id]).sort();
    expect(skipped).toEqual(['.', 'is', 'of', 'the']);
  });

  it('host and device ids give the same scores and gradients; the match moves them', async () => {
    const p = Policy.create(matched(), 5);
    roughen(p, 6);
    // Rows whose information spans repeat question words: a question, then passages of words 12–15.
    const rng = new Rng(7);
    const rows = Array.from({ length: 3 }, () => {
      const row = [1, 12 + rng.int(4), 12 + rng.int(4), 13];
      while (row.length < 22) row.push(8, 12 + rng.int(4), 12 + rng.int(4), 12 + rng.int(4), 9);
      return row.slice(0, 24);
    });
    expect(maxAbsDiff(await logpOf(p, rows, true), await logpOf(p, rows))).toBeLessThan(1e-5);
    const [gh, gd] = [await tagGrad(p, rows, true), await tagGrad(p, rows, false)];
    expect(maxAbsDiff(gh, gd)).toBeLessThan(1e-5);
    // The match row (the last) gets a gradient: some passage word matched.
    expect(gh.slice(5 * 16).some((g) => g !== 0)).toBe(true);
    // The same weights without the match state (its row dropped) score the rows differently.
    const plain = Policy.create(small(), 5);
    plain.variables.forEach((v, i) =>
      v.assign(i === plain.variables.length - 1 ? p.variables[i].slice([0, 0], [5, 16]) : p.variables[i]),
    );
    expect(maxAbsDiff(await logpOf(plain, rows, true), await logpOf(p, rows, true))).toBeGreaterThan(1e-3);
    plain.dispose();
    p.dispose();
  });
});
