import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  explainedVariance,
  klShapedRewards,
  lastAction,
  maskedGae,
  maskedWhiten,
  rowMeans,
} from '../../src/engine/gae';
import { ppoPolicyLoss, valueLoss } from '../../src/engine/ppo-loss';
import { pipelineOptions } from '../../src/cli/train-options';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const close = (got: ArrayLike<number>, want: number[], digits = 6) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

// One row, T = 6 scoring positions: 0 = prompt, 1–2 generated, 3 = an observation token, 4 generated, 5 = padding.
const MASK = [0, 1, 1, 0, 1, 0];
const SHAPE = { B: 1, T: 6 };

describe('klShapedRewards (k1 KL in the reward, score on the last action)', () => {
  it('matches hand-computed rewards', () => {
    const old = [0, -1, -2, -9, -0.5, 0];
    const ref = [0, -1.5, -1.8, -1, -0.5, 0];
    // k1 = old − ref at actions: [·, 0.5, −0.2, ·, 0, ·]; r = −0.1·k1, + score 1 at position 4.
    const out = klShapedRewards([1], old, ref, MASK, SHAPE, 0.1);
    close(out.kl, [0, 0.5, -0.2, 0, 0, 0]);
    close(out.rewards, [0, -0.05, 0.02, 0, 1, 0]);
    expect(out.meanKl).toBeCloseTo(0.1, 6);
  });
  it('puts the score on each row’s own last action', () => {
    const mask = [1, 1, 0, 0, 1, 0, 0, 0];
    const out = klShapedRewards(
      [0.5, 2],
      new Array(8).fill(0),
      new Array(8).fill(0),
      mask,
      { B: 2, T: 4 },
      1,
    );
    close(out.rewards, [0, 0.5, 0, 0, 2, 0, 0, 0]);
    expect(lastAction(mask, 1, 4)).toBe(0);
  });
});

describe('maskedGae', () => {
  const values = [9, 0.5, 0.4, 7, 0.8, 9]; // values at non-actions must not matter
  const rewards = [0, -0.1, 0.05, 0, 1, 0];

  it('matches hand-computed GAE with γ = 0.9, λ = 0.8, stepping over the observation', () => {
    // t=4: δ = 1 + 0 − 0.8 = 0.2, A = 0.2
    // t=2: δ = 0.05 + 0.9·0.8 − 0.4 = 0.37, A = 0.37 + 0.72·0.2 = 0.514
    // t=1: δ = −0.1 + 0.9·0.4 − 0.5 = −0.24, A = −0.24 + 0.72·0.514 = 0.13008
    const { advantages, returns } = maskedGae(rewards, values, MASK, SHAPE, 0.9, 0.8);
    close(advantages, [0, 0.13008, 0.514, 0, 0.2, 0]);
    close(returns, [0, 0.63008, 0.914, 0, 1.0, 0]);
  });

  it('with γ = λ = 1 gives A_t = Σ_{k≥t} r_k − V_t and R_t = Σ_{k≥t} r_k', () => {
    const { advantages, returns } = maskedGae(rewards, values, MASK, SHAPE, 1, 1);
    close(advantages, [0, 0.45, 0.65, 0, 0.2, 0]);
    close(returns, [0, 0.95, 1.05, 0, 1, 0]);
  });

  it('with γ = λ = 1 agrees with verl’s recursion over every response position', () => {
    // verl compute_gae_advantage_return runs over all response tokens (observations carry reward 0 there).
    const T = 9;
    const mask = [1, 1, 0, 0, 0, 1, 1, 0, 1];
    const rew = [0.1, -0.2, 0, 0, 0, 0.3, -0.1, 0, 1];
    const vals = [0.3, 0.2, 0.9, -0.4, 0.7, 0.5, 0.1, 0.6, 0.8];
    let last = 0;
    const verl = new Array<number>(T);
    for (let t = T - 1; t >= 0; t--) {
      const next = t < T - 1 ? vals[t + 1] : 0;
      last = rew[t] + next - vals[t] + last;
      verl[t] = last;
    }
    const { advantages } = maskedGae(rew, vals, mask, { B: 1, T }, 1, 1);
    for (let t = 0; t < T; t++) if (mask[t]) expect(advantages[t]).toBeCloseTo(verl[t], 5);
  });

  it('treats rows independently', () => {
    const out = maskedGae([1, 0, 0, 2], [0, 0, 0, 0.5], [1, 0, 0, 1], { B: 2, T: 2 }, 1, 1);
    close(out.advantages, [1, 0, 0, 1.5]);
  });
});

describe('maskedWhiten and diagnostics', () => {
  it('whitens over the masked entries with the unbiased variance', () => {
    // mean 2, unbiased var 1 → (x − 2)/√(1 + 1e−8)
    close(maskedWhiten([1, 2, 3, 100], [1, 1, 1, 0]), [-1, 0, 1, 0]);
  });
  it('gives zeros for one entry or none', () => {
    close(maskedWhiten([5, 7], [0, 1]), [0, 0]);
    close(maskedWhiten([5, 7], [0, 0]), [0, 0]);
  });
  it('explained variance is 1 for perfect values and 0 for constant ones', () => {
    expect(explainedVariance([1, 2, 3], [1, 2, 3], [1, 1, 1])).toBeCloseTo(1, 6);
    expect(explainedVariance([1, 2, 3], [0, 0, 0], [1, 1, 1])).toBeCloseTo(0, 4);
  });
  it('row means average over a row’s actions', () => {
    expect(rowMeans([1, 3, 99, 4], [1, 1, 0, 1], { B: 2, T: 2 })).toEqual([2, 4]);
  });
});

describe('valueLoss (clipped)', () => {
  // token 0: V 0.2, old 0.0, R 1.0 → unclipped (0.64 both ways)
  // token 1: V 1.5, old 0.5, R 2.0 → V_clip = 1.0, (V−R)² = 0.25 < (V_clip−R)² = 1.0: the clipped term wins
  // token 2: masked
  const inputs = () => ({
    values: tf.tensor2d([[0.2, 1.5, 5]]),
    oldValues: tf.tensor2d([[0, 0.5, 0]]),
    returns: tf.tensor2d([[1, 2, 0]]),
    mask: tf.tensor2d([[1, 1, 0]]),
  });

  it('matches hand-computed values: ½·mean(max(unclipped, clipped))', () => {
    const [loss, cf] = tf.tidy(() => {
      const out = valueLoss(inputs(), 0.5);
      return [out.loss.dataSync()[0], out.clipFrac.dataSync()[0]];
    });
    expect(loss).toBeCloseTo(0.5 * ((0.64 + 1.0) / 2), 6);
    expect(cf).toBeCloseTo(0.5, 6);
  });

  it('has no gradient where the clip binds or the mask is 0', () => {
    const g = tf.tidy(() => {
      const x = inputs();
      return tf
        .grad((v: tf.Tensor) => valueLoss({ ...x, values: v as tf.Tensor2D }, 0.5).loss)(x.values)
        .arraySync();
    }) as number[][];
    // token 0: d/dV ½·(V − R)²/2 = (0.2 − 1)/2 = −0.4
    expect(g[0][0]).toBeCloseTo(-0.4, 6);
    expect(g[0][1]).toBe(0);
    expect(g[0][2]).toBe(0);
  });
});

describe('ppoPolicyLoss', () => {
  it('matches a token-by-token reference with per-token advantages', () => {
    const logp = [
      [-1.0, -0.5, -2.0],
      [-0.2, -3.0, -1.2],
    ];
    const old = [
      [-1.3, -0.5, -1.0],
      [-0.2, -2.0, -1.0],
    ];
    const adv = [
      [1.5, -0.5, 3],
      [-0.8, 0.4, 1],
    ];
    const ent = [
      [1.0, 2.0, 0.5],
      [0.3, 0.7, 1.1],
    ];
    const mask = [
      [1, 1, 0],
      [1, 1, 1],
    ];
    const c = { clipEps: 0.2, entropyCoef: 0.01 };
    let pl = 0;
    let en = 0;
    let clipped = 0;
    let n = 0;
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 3; t++) {
        if (!mask[b][t]) continue;
        const r = Math.exp(logp[b][t] - old[b][t]);
        const l1 = -adv[b][t] * r;
        const l2 = -adv[b][t] * Math.min(Math.max(r, 1 - c.clipEps), 1 + c.clipEps);
        pl += Math.max(l1, l2);
        if (l2 > l1) clipped++;
        en += ent[b][t];
        n++;
      }
    const out = tf.tidy(() => {
      const parts = ppoPolicyLoss(
        {
          logp: tf.tensor2d(logp),
          oldLogp: tf.tensor2d(old),
          entropy: tf.tensor2d(ent),
          advantages: tf.tensor2d(adv),
          mask: tf.tensor2d(mask),
        },
        c,
      );
      return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.dataSync()[0]]));
    });
    expect(out.policyLoss).toBeCloseTo(pl / n, 5);
    expect(out.entropy).toBeCloseTo(en / n, 5);
    expect(out.clipFrac).toBeCloseTo(clipped / n, 5);
    expect(out.loss).toBeCloseTo(pl / n - c.entropyCoef * (en / n), 5);
  });
});

describe('ppoPolicyLoss masking', () => {
  it('gives masked tokens exactly zero gradient', () => {
    const g = tf.tidy(() => {
      const f = (lp: tf.Tensor) =>
        ppoPolicyLoss(
          {
            logp: lp as tf.Tensor2D,
            oldLogp: tf.tensor2d([[-1, -1, -1]]),
            entropy: tf.tensor2d([[1, 1, 1]]),
            advantages: tf.tensor2d([[1, -2, 3]]),
            mask: tf.tensor2d([[1, 1, 0]]),
          },
          { clipEps: 0.2, entropyCoef: 0 },
        ).loss;
      return tf
        .grad(f)(tf.tensor2d([[-1, -1, -1]]))
        .arraySync() as number[][];
    });
    // ρ = 1 (unclipped): d/dlogp of −A·ρ/2 = −A/2
    expect(g[0][0]).toBeCloseTo(-0.5, 6);
    expect(g[0][1]).toBeCloseTo(1, 6);
    expect(Math.abs(g[0][2])).toBe(0);
  });
});

describe('--algo', () => {
  const base = ['--corpus', 'c', '--test', 't', '--out', 'o'];
  it('defaults to grpo with G 8 × 8 questions', () => {
    const o = pipelineOptions(base, 'train', false)!;
    expect([o.algo, o.group, o.questionsPerStep]).toEqual(['grpo', 8, 8]);
  });
  it('ppo: one rollout per question (the paper’s n = 1), 64 questions, paper-valued GAE and value clip', () => {
    const o = pipelineOptions([...base, '--algo', 'ppo'], 'train', false)!;
    expect([o.algo, o.group, o.questionsPerStep, o.gamma, o.lambda, o.valueClip]).toEqual([
      'ppo',
      1,
      64,
      1,
      1,
      0.5,
    ]);
    const p = pipelineOptions(
      [...base, '--algo', 'ppo', '--group', '4', '--gamma', '0.9', '--critic-lr', '1e-4'],
      'train',
      false,
    )!;
    expect([p.group, p.gamma, p.criticLr]).toEqual([4, 0.9, 1e-4]);
  });
  it('rejects a bad algorithm or γ above 1', () => {
    expect(() => pipelineOptions([...base, '--algo', 'sac'], 'train', false)).toThrow(/grpo\|ppo/);
    expect(() => pipelineOptions([...base, '--gamma', '1.5'], 'train', false)).toThrow(/\[0, 1\]/);
  });
});
