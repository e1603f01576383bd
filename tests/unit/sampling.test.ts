import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import { adjustedDistribution, argmax, sampleToken } from '../../src/engine/sampling';

describe('Rng', () => {
  it('is reproducible and seed-sensitive', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
  it('restores a saved state exactly', () => {
    const a = new Rng(3);
    a.next();
    const s = a.getState();
    const x = a.next();
    a.setState(s);
    expect(a.next()).toBe(x);
  });
});

describe('sampling', () => {
  const p = new Float32Array([0.1, 0.6, 0.3, 0.0]);
  it('greedy is argmax with ties to the lowest id', () => {
    expect(argmax(new Float32Array([0.2, 0.4, 0.4]), 0, 3)).toBe(1);
    expect(sampleToken(p, 0, 4, { temperature: 0, topP: 1 }, new Rng(1))).toBe(1);
  });
  it('temperature reshapes p^(1/T)', () => {
    const d = adjustedDistribution(p, 0, 4, { temperature: 0.5, topP: 1 });
    const z = 0.01 + 0.36 + 0.09;
    expect(d[1]).toBeCloseTo(0.36 / z, 6);
  });
  it('top-p keeps the smallest nucleus reaching the mass', () => {
    const d = adjustedDistribution(p, 0, 4, { temperature: 1, topP: 0.7 });
    expect(Array.from(d)).toEqual(
      [0, 0.6 / 0.9, 0.3 / 0.9, 0].map((x) => expect.closeTo(x, 6) as unknown as number),
    );
  });
  it('never samples banned or zero-probability tokens, and matches the distribution', () => {
    const rng = new Rng(5);
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(p, 0, 4, { temperature: 1, topP: 1, banned: [0] }, rng)]++;
    expect(counts[0]).toBe(0);
    expect(counts[3]).toBe(0);
    expect(counts[1] / n).toBeCloseTo(0.6 / 0.9, 1);
  });
  it('is reproducible for a seed', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => sampleToken(p, 0, 4, { temperature: 1, topP: 1 }, rng));
    };
    expect(draw(11)).toEqual(draw(11));
  });
});

describe('sampling at very low temperature', () => {
  it('does not underflow when every probability is small', () => {
    const flat = new Float32Array(100).fill(0.01);
    flat[7] = 0.02;
    expect(sampleToken(flat, 0, 100, { temperature: 0.001, topP: 1 }, new Rng(1))).toBe(7);
  });
});
