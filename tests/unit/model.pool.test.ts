/**
 * The copy query's question pool (model/pool.ts): which positions are averaged, the causal averaging weights
 * (hand-computed), and the device computation agreeing with the host one.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/engine/model';
import { devicePoolMatrix, hostPoolFlags, hostPoolMatrix } from '../../src/engine/model/pool';

// search 4/5, answer 6/7; ids ≥ 8 are words (copyFrom 8), 1–3 other control tokens
const cfg: ModelConfig = {
  vocabSize: 20,
  dModel: 8,
  nLayers: 1,
  nHeads: 1,
  contextLen: 16,
  ffMult: 1,
  pointer: true,
  copyFrom: 8,
  tagSpans: [
    [4, 5],
    [6, 7],
  ],
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('question pool', () => {
  // question words 10 11 12, a search "13", an answer "14", a control token 2, a word outside again 15
  const row = [10, 11, 2, 12, 4, 13, 5, 6, 14, 7, 15];
  const T = row.length;

  it('pools the words read outside every tag span, and nothing else', () => {
    expect(Array.from(hostPoolFlags(row, 1, T, cfg))).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    // without tag states every word is outside
    const noTags = { ...cfg, tagSpans: undefined };
    expect(Array.from(hostPoolFlags(row, 1, T, noTags))).toEqual([1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
  });

  it('averages the pooled positions up to and including each position', () => {
    const m = hostPoolMatrix(Uint8Array.from([0, 1, 0, 1, 1]), 1, 5);
    const rowAt = (t: number) => Array.from(m.subarray(t * 5, t * 5 + 5));
    expect(rowAt(0)).toEqual([0, 0, 0, 0, 0]); // nothing pooled yet
    expect(rowAt(1)).toEqual([0, 1, 0, 0, 0]);
    expect(rowAt(2)).toEqual([0, 1, 0, 0, 0]);
    expect(rowAt(3)).toEqual([0, 0.5, 0, 0.5, 0]);
    expect(rowAt(4).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 0.333333, 0, 0.333333, 0.333333]);
  });

  it('computes the same matrix on the device as on the host, row by row', async () => {
    const rows = [row, [11, 6, 12, 7, 13, 4, 14, 15, 5, 3, 16]];
    const host = hostPoolMatrix(hostPoolFlags(rows.flat(), 2, T, cfg), 2, T);
    const dev = tf.tidy(() => devicePoolMatrix(tf.tensor2d(rows, undefined, 'int32'), cfg));
    const got = await dev.data();
    dev.dispose();
    expect(got.length).toBe(host.length);
    host.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
  });
});
