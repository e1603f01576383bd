import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, ADAMW_DEFAULTS, stateKey, type AdamWState } from '../../src/engine/optim';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let instance = 0;

/** Two variables under a fresh instance scope, as the model makes them ("policyN/w", "policyN/b"). */
function model(): tf.Variable[] {
  instance += 1;
  return [
    tf.variable(tf.tensor2d([0.5, -1, 2, 0.25, 1.5, -0.75], [2, 3]), true, `optimtest${instance}/w`),
    tf.variable(tf.tensor1d([0.1, -0.2, 0.3]), true, `optimtest${instance}/b`),
  ];
}

/** A gradient that differs per update, keyed by the variables' full names. */
function grads(vars: tf.Variable[], k: number): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  vars.forEach((x, i) => (out[x.name] = tf.tidy(() => tf.sin(tf.add(tf.mul(tf.onesLike(x), k + 1), i)))));
  return out;
}

async function step(opt: AdamW, vars: tf.Variable[], k: number) {
  const g = grads(vars, k);
  await opt.apply(g);
  tf.dispose(Object.values(g));
}

const values = async (vars: tf.Variable[]) =>
  (await Promise.all(vars.map((v) => v.data()))).flatMap((a) => Array.from(a));

describe('AdamW state()/restore()', () => {
  const opts = { ...ADAMW_DEFAULTS, lr: 0.05, warmupSteps: 4, gradClip: 0.5 };

  it('restored into a fresh optimiser on another instance, the next update is identical', async () => {
    const a = model();
    const optA = new AdamW(a, opts);
    for (let k = 0; k < 3; k++) await step(optA, a, k);
    const s = await optA.state();
    expect(s.t).toBe(3);
    expect(Object.keys(s.m).sort()).toEqual(['b', 'w']);
    expect(s.m.w).toBeInstanceOf(Float32Array);
    expect(s.v.w.length).toBe(6);
    // structured-cloneable (IndexedDB, postMessage)
    expect(structuredClone(s)).toEqual(s);

    const b = model();
    b.forEach((x, i) => x.assign(a[i]));
    const optB = new AdamW(b, opts);
    const before = tf.memory().numTensors;
    optB.restore(s);
    expect(tf.memory().numTensors).toBe(before);
    expect(optB.stepCount).toBe(3);
    expect(await optB.state()).toEqual(s);
    expect(tf.memory().numTensors).toBe(before);

    await step(optA, a, 3);
    await step(optB, b, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(await values(b)).toEqual(await values(a)); // bit for bit: same arithmetic on the same inputs

    // A fresh optimiser without the state takes a different step (the moments and warm-up matter).
    const c = model();
    c.forEach((x, i) => x.assign(b[i]));
    const optC = new AdamW(c, opts);
    await step(optA, a, 4);
    await step(optC, c, 4);
    expect(await values(c)).not.toEqual(await values(a));

    for (const o of [optA, optB, optC]) o.dispose();
    tf.dispose([...a, ...b, ...c]);
  });

  it('state() is a copy: later updates do not change it', async () => {
    const a = model();
    const opt = new AdamW(a, opts);
    await step(opt, a, 0);
    const s = await opt.state();
    const m = Array.from(s.m.w);
    await step(opt, a, 1);
    expect(Array.from(s.m.w)).toEqual(m);
    opt.dispose();
    tf.dispose(a);
  });

  it('refuses a state of another shape, changing nothing', async () => {
    const a = model();
    const opt = new AdamW(a, opts);
    await step(opt, a, 0);
    const good = await opt.state();
    const bad = (f: (s: AdamWState) => void) => {
      const s = structuredClone(good);
      f(s);
      return s;
    };
    const before = tf.memory().numTensors;
    expect(() => opt.restore(bad((s) => delete s.v.b))).toThrow(/v has no moment for b/);
    expect(() => opt.restore(bad((s) => (s.m.w = new Float32Array(5))))).toThrow(
      /m of w holds 5 values, the variable 6/,
    );
    expect(() => opt.restore(bad((s) => (s.m.extra = new Float32Array(1))))).toThrow(
      /unknown variables \(extra\)/,
    );
    expect(() => opt.restore(bad((s) => (s.t = -1)))).toThrow(/bad update count/);
    expect(tf.memory().numTensors).toBe(before);
    expect(await opt.state()).toEqual(good);
    opt.dispose();
    tf.dispose(a);
  });

  it('keys drop only the instance scope', () => {
    expect(stateKey('policy7/blocks.0.wq')).toBe('blocks.0.wq');
    expect(stateKey('w')).toBe('w');
  });
});
