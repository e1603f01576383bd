import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelConfig, Policy } from '../../src/engine/model';
import { batchedMatMul } from '../../src/engine/model/layers';
import { Rng } from '../../src/engine/rng';
import {
  installWasmSliceKernels,
  slotWrite,
  slotWriteAvailable,
  wasmSliceKernelsInstalled,
} from '../../src/engine/wasm-kernels';
import { allCopyFeatures, roughen } from '../model-helpers';

const rng = new Rng(11);
const rand = (shape: number[]) =>
  Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());

/** Runs f on cpu and on wasm (with the view-based kernels) and returns both results as flat arrays. */
async function both(f: () => tf.Tensor | tf.Tensor[]): Promise<[number[][], number[][]]> {
  const out: number[][][] = [];
  for (const b of ['cpu', 'wasm']) {
    await tf.setBackend(b);
    const r = f();
    const list = Array.isArray(r) ? r : [r];
    out.push(await Promise.all(list.map(async (t) => Array.from(await t.data()))));
    tf.dispose(list);
  }
  return [out[0], out[1]];
}

describe('view-based wasm slice kernels', () => {
  beforeAll(async () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(dist + path.sep);
    expect(await tf.setBackend('wasm')).toBe(true);
    installWasmSliceKernels();
    expect(wasmSliceKernelsInstalled()).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const shapes = [[7], [5, 6], [3, 4, 5], [2, 3, 4, 5]];
  it('slice matches cpu for contiguous and strided slices of ranks 1-4, int and float', async () => {
    for (const shape of shapes) {
      const data = rand(shape);
      const begin = shape.map((d) => Math.min(1, d - 1));
      const size = shape.map((d, i) => (i === 0 ? d - begin[i] : Math.max(1, d - 2)));
      const [c, w] = await both(() => [
        tf.slice(tf.tensor(data, shape), begin, size),
        tf.slice(tf.tensor(data, shape).cast('int32'), begin, size),
        tf.slice(
          tf.tensor(data, shape),
          shape.map(() => 0),
          shape.map((d, i) => (i === 0 ? 1 : d)),
        ),
      ]);
      expect(w).toEqual(c);
    }
  });

  it('slice matches cpu when whole inner axes fold into longer copies', async () => {
    const shape = [2, 3, 4, 5];
    const data = rand(shape);
    const cases: [number[], number[]][] = [
      [
        [0, 0, 0, 0],
        [2, 3, 2, 5],
      ], // a KV-cache window: the first slots of axis 2, axis 3 whole
      [
        [0, 1, 1, 0],
        [2, 2, 2, 5],
      ],
      [
        [1, 0, 0, 0],
        [1, 3, 4, 5],
      ], // every inner axis whole: one copy
      [
        [0, 0, 2, 0],
        [2, 3, 2, 5],
      ],
      [
        [0, 0, 0, 1],
        [2, 3, 4, 4],
      ], // axis 3 cut: no folding
      [
        [0, 0, 0, 0],
        [2, 1, 4, 5],
      ],
    ];
    for (const [begin, size] of cases) {
      const [c, w] = await both(() => [
        tf.slice(tf.tensor(data, shape), begin, size),
        tf.slice(tf.tensor(data, shape).cast('int32'), begin, size),
        tf.slice(tf.tensor(data.slice(0, 60), [12, 5]), [2, 0], [7, 5]),
      ]);
      expect(w).toEqual(c);
    }
  });

  it('unstack and split match cpu on every axis', async () => {
    const shape = [3, 4, 5];
    const data = rand(shape);
    for (let axis = 0; axis < 3; axis++) {
      const [c, w] = await both(() => [
        ...tf.unstack(tf.tensor(data, shape), axis),
        ...tf.split(tf.tensor(data, shape), [1, shape[axis] - 1], axis),
      ]);
      expect(w).toEqual(c);
    }
  });

  it('axis-0 gather matches cpu for float and int tables and any index shape, and rejects bad indices', async () => {
    const table = rand([6, 3, 2]);
    const [c, w] = await both(() => [
      tf.gather(tf.tensor(table, [6, 3, 2]), tf.tensor1d([5, 0, 0, 3], 'int32')),
      tf.gather(tf.tensor(table, [6, 3, 2]).cast('int32'), tf.tensor2d([1, 2, 4, 5], [2, 2], 'int32')),
      tf.gather(tf.tensor(table, [6, 3, 2]), tf.tensor1d([2, 1], 'int32'), 1), // other axis: stock kernel
    ]);
    expect(w).toEqual(c);
    expect(() => tf.gather(tf.tensor(table, [6, 3, 2]), tf.tensor1d([6], 'int32'))).toThrow(
      /not in \[0, 5\]/,
    );
  });

  it('slot write equals the one-hot formula on every axis, skips rows with slot −1, rejects bad slots', async () => {
    await tf.setBackend('wasm');
    expect(slotWriteAvailable()).toBe(true);
    for (const [shape, axis] of [
      [[3, 2, 4, 5], 3],
      [[3, 2, 5, 4], 2],
      [[3, 5, 6], 1],
    ] as [number[], number][]) {
      const C = shape[axis];
      const slots = [2, -1, C - 1];
      const xShape = shape.map((d, i) => (i === axis ? 1 : d));
      const cache = tf.tensor(rand(shape), shape);
      const x = tf.tensor(rand(xShape), xShape);
      const got = slotWrite(cache, x, tf.tensor1d(slots, 'int32'), axis);
      const oneShape = shape.map((d, i) => (i === 0 || i === axis ? d : 1));
      const wr = tf
        .oneHot(
          tf.tensor1d(
            slots.map((s) => Math.max(s, 0)),
            'int32',
          ),
          C,
        )
        .mul(
          tf.tensor2d(
            slots.map((s) => (s < 0 ? 0 : 1)),
            [3, 1],
          ),
        )
        .reshape(oneShape);
      const want = cache.mul(tf.scalar(1).sub(wr)).add(x.mul(wr));
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      expect(() => slotWrite(cache, x, tf.tensor1d([0, 0, C], 'int32'), axis)).toThrow(/slot/);
      tf.dispose([cache, x, got, wr, want]);
    }
    await tf.setBackend('cpu');
    expect(slotWriteAvailable()).toBe(false);
  });

  it('cached decoding reads its cache slots through these kernels and matches cpu, rows longer than the slots read included', async () => {
    const cfg: ModelConfig = {
      vocabSize: 40,
      dModel: 32,
      nLayers: 2,
      nHeads: 4,
      contextLen: 96, // windows of 32, 64 and 96 slots below
      ffMult: 2,
      ...allCopyFeatures(),
      commonVocab: 30,
      copyFrom: 12,
    };
    const tokens = (n: number, seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: n }, () => 12 + r.int(28));
    };
    // Row 0 fills 70 slots at once (a 96-slot window); then rows 1–2 are fed alone, in 32- and 64-slot windows that
    // leave row 0 outside. cpu ≡ full scoring is tests/unit/model.test.ts; here wasm must agree with cpu.
    const calls: { row: number; tokens: number[] }[][] = [
      [{ row: 0, tokens: [6, ...tokens(69, 1)] }],
      [
        { row: 1, tokens: [4, ...tokens(9, 2)] },
        { row: 2, tokens: tokens(3, 3) },
      ],
      [{ row: 1, tokens: [5] }],
      [
        { row: 2, tokens: [8, ...tokens(40, 4), 9] },
        { row: 0, tokens: [7] },
      ],
      [{ row: 1, tokens: tokens(30, 5) }],
      [
        { row: 0, tokens: [10, 13] },
        { row: 2, tokens: [14] },
      ],
    ];
    const probs: Float32Array[][] = [];
    for (const b of ['cpu', 'wasm']) {
      await tf.setBackend(b);
      const p = Policy.create(cfg, 5);
      roughen(p, 6);
      const state = p.startDecode(3);
      const out: Float32Array[] = [];
      for (const rows of calls) out.push(await p.feed(state, rows));
      state.dispose();
      p.dispose();
      probs.push(out);
    }
    const [cpu, wasm] = probs;
    cpu.forEach((c, k) => c.forEach((x, i) => expect(Math.abs(wasm[k][i] - x)).toBeLessThan(1e-5)));
    expect(cpu[2].some((x) => x > 0)).toBe(true);
  });

  it('batched matmul split into 2-D products matches cpu, values and gradients', async () => {
    const a = rand([2, 3, 4, 5]);
    const b = rand([2, 3, 5, 6]);
    const [c, w] = await both(() => {
      const A = tf.tensor(a, [2, 3, 4, 5]);
      const B = tf.tensor(b, [2, 3, 5, 6]);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => batchedMatMul(x, y).square().sum())([A, B]);
      return [batchedMatMul(A, B), ...g];
    });
    c.forEach((arr, k) => arr.forEach((x, i) => expect(w[k][i]).toBeCloseTo(x, 4)));
  });
});
