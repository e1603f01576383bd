import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  groupAdvantages,
  grpoLoss,
  k3Kl,
  maskedMean,
  pickGroups,
  spreadGroups,
  spreadShare,
} from '../../src/engine/grpo';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('groupAdvantages', () => {
  it('normalises within each group with the unbiased std and 1e-6', () => {
    // mean 0.5, unbiased variance (4 × 0.25) / 3 = 1/3, std = 0.5773503
    const a = groupAdvantages([1, 0, 0, 1], 4);
    const expected = 0.5 / (Math.sqrt(1 / 3) + 1e-6);
    expect(a[0]).toBeCloseTo(expected, 6);
    expect(a[1]).toBeCloseTo(-expected, 6);
    expect(a[0]).toBeCloseTo(0.8660239, 6);
  });
  it('gives zero advantage when all rewards in a group are equal', () => {
    expect(groupAdvantages([1, 1, 1, 0, 0, 0], 3)).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it('is plain REINFORCE (A = r) for a group of one', () => {
    expect(groupAdvantages([1, 0, 0.2], 1)).toEqual([1, 0, 0.2]);
  });
  it('treats groups independently', () => {
    const a = groupAdvantages([1, 0, 5, 5], 2);
    expect(a[2]).toBe(0);
    expect(a[0]).toBeCloseTo(0.5 / (Math.sqrt(0.5) + 1e-6), 6);
  });
  it('rejects a batch that does not split into groups', () => {
    expect(() => groupAdvantages([1, 0, 1], 2)).toThrow(/groups of 2/);
  });
  it('reports the share of groups with any reward spread', () => {
    expect(spreadShare([1, 0, 1, 1, 0, 0], 2)).toBeCloseTo(1 / 3, 9);
    expect(spreadGroups([1, 0, 1, 1, 0, 0, 0, 1], 2)).toBe(2);
    expect(spreadGroups([1, 0, 1], 1)).toBe(0); // a group of one never has spread
  });
  it('dynamic sampling trains on the groups with spread first, then fills with the earliest flat ones', () => {
    // groups of 2: g0 flat, g1 spread, g2 flat, g3 spread, g4 spread
    const r = [0, 0, 1, 0, 1, 1, 0, 1, 1, 0];
    expect(pickGroups(r, 2, 2)).toEqual([2, 3, 6, 7]);
    expect(pickGroups(r, 2, 3)).toEqual([2, 3, 6, 7, 8, 9]);
    expect(pickGroups(r, 2, 4)).toEqual([2, 3, 6, 7, 8, 9, 0, 1]);
    expect(pickGroups(r, 2, 5)).toEqual([2, 3, 6, 7, 8, 9, 0, 1, 4, 5]);
    expect(pickGroups([0, 0, 0], 3, 1)).toEqual([0, 1, 2]);
  });
});

/** Loop reference of the loss (verl compute_policy_loss + low_var_kl + entropy), token by token. */
function referenceLoss(
  logp: number[][],
  old: number[][],
  ref: number[][],
  ent: number[][],
  adv: number[],
  mask: number[][],
  c: { clipEps: number; klCoef: number; entropyCoef: number },
) {
  let pl = 0;
  let kl = 0;
  let en = 0;
  let n = 0;
  let clipped = 0;
  for (let b = 0; b < logp.length; b++) {
    for (let t = 0; t < logp[b].length; t++) {
      if (!mask[b][t]) continue;
      const ratio = Math.exp(logp[b][t] - old[b][t]);
      const l1 = -adv[b] * ratio;
      const l2 = -adv[b] * Math.min(Math.max(ratio, 1 - c.clipEps), 1 + c.clipEps);
      pl += Math.max(l1, l2);
      if (l2 > l1) clipped++;
      const d = ref[b][t] - logp[b][t];
      kl += Math.min(Math.max(Math.exp(d) - d - 1, -10), 10);
      en += ent[b][t];
      n++;
    }
  }
  return {
    policyLoss: pl / n,
    kl: kl / n,
    entropy: en / n,
    clipFrac: clipped / n,
    loss: pl / n + c.klCoef * (kl / n) - c.entropyCoef * (en / n),
  };
}

describe('grpoLoss', () => {
  const logp = [
    [-1.0, -0.5, -2.0],
    [-0.2, -3.0, -1.2],
  ];
  const old = [
    [-1.3, -0.5, -1.0],
    [-0.2, -2.0, -1.0],
  ];
  const ref = [
    [-1.5, -0.4, -2.0],
    [-0.1, -2.5, -1.0],
  ];
  const ent = [
    [1.0, 2.0, 0.5],
    [0.3, 0.7, 1.1],
  ];
  const adv = [1.5, -0.8];
  const mask = [
    [1, 1, 0],
    [1, 1, 1],
  ];
  const c = { clipEps: 0.2, klCoef: 0.05, entropyCoef: 0.01 };

  it('matches a token-by-token reference', () => {
    const out = tf.tidy(() => {
      const parts = grpoLoss(
        {
          logp: tf.tensor2d(logp),
          oldLogp: tf.tensor2d(old),
          refLogp: tf.tensor2d(ref),
          entropy: tf.tensor2d(ent),
          advantages: tf.tensor1d(adv),
          mask: tf.tensor2d(mask),
        },
        c,
      );
      return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.dataSync()[0]]));
    });
    const want = referenceLoss(logp, old, ref, ent, adv, mask, c);
    for (const k of ['loss', 'policyLoss', 'kl', 'entropy', 'clipFrac'] as const)
      expect(out[k]).toBeCloseTo(want[k], 5);
    // one hand-checked token: b=0, t=0: ratio e^0.3 = 1.34986 > 1.2 → clipped; −1.5·1.2 = −1.8
    expect(want.clipFrac).toBeGreaterThan(0);
  });

  it('k3 KL matches exp(d) − d − 1 by hand', () => {
    // d = −1.5 − (−1) = −0.5 → e^−0.5 + 0.5 − 1 = 0.1065307
    const v = tf.tidy(() => k3Kl(tf.scalar(-1), tf.scalar(-1.5)).dataSync()[0]);
    expect(v).toBeCloseTo(0.1065307, 6);
  });

  it('gives masked tokens exactly zero gradient', () => {
    const g = tf.tidy(() => {
      const f = (lp: tf.Tensor) =>
        grpoLoss(
          {
            logp: lp as tf.Tensor2D,
            oldLogp: tf.tensor2d(old),
            refLogp: tf.tensor2d(ref),
            entropy: tf.tensor2d(ent),
            advantages: tf.tensor1d(adv),
            mask: tf.tensor2d(mask),
          },
          c,
        ).loss;
      return tf.grad(f)(tf.tensor2d(logp)).arraySync() as number[][];
    });
    expect(g[0][2]).toBe(0);
    expect(g[0][0]).not.toBe(0);
    expect(g[1][1]).not.toBe(0);
  });

  it('token-mean divides by the unmasked count only', () => {
    const v = tf.tidy(() => maskedMean(tf.tensor2d([[2, 4, 100]]), tf.tensor2d([[1, 1, 0]])).dataSync()[0]);
    expect(v).toBe(3);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const inputs = {
      logp: tf.tensor2d(logp),
      oldLogp: tf.tensor2d(old),
      refLogp: tf.tensor2d(ref),
      entropy: tf.tensor2d(ent),
      advantages: tf.tensor1d(adv),
      mask: tf.tensor2d(mask),
    };
    const parts = grpoLoss(inputs, c);
    tf.dispose([...Object.values(parts), ...Object.values(inputs)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
