import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultGrpoConfig, defaultRolloutConfig } from '../../src/engine/config';
import { AdamW, warmupLr } from '../../src/engine/optim';
import { PracticeBuilder, renderDemo } from '../../src/engine/practice';
import { contentWords, nameSpans } from '../../src/engine/practice-text';
import { PracticeSampler, trainBase } from '../../src/engine/base';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { RolloutEnv } from '../../src/engine/rollout';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import { GrpoTrainer } from '../../src/engine/trainer';
import { spreadGroups } from '../../src/engine/grpo';
import type { Passage, QAItem } from '../../src/engine/types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const names = ['Zorvak Lint', 'Mira Tolk', 'Quen Barasu', 'Hildo Prax', 'Sefa Drun', 'Ulmo Kaitar'];
const cities = ['Telmar', 'Oskovan', 'Brelle', 'Durnhal', 'Pazoro', 'Wendrik'];
const corpus: Passage[] = [
  ...names.map((n, i) => {
    const text = `${n} was born in ${cities[i]}. ${n} founded ${n.split(' ')[1]} Works.`;
    return { id: `p${i}`, title: n, text, contents: `"${n}"\n${text}` };
  }),
  ...cities.map((c, i) => {
    const text = `${c} is a city in Quelaria. ${c} lies on the ${names[i].split(' ')[0]} River.`;
    return { id: `c${i}`, title: c, text, contents: `"${c}"\n${text}` };
  }),
];
const SENTINEL = 'Xylophonequux';
const train: QAItem[] = names.map((n, i) => ({
  id: `q${i}`,
  question: `Where was ${n} born?`,
  golden_answers: [cities[i], SENTINEL],
}));

describe('AdamW', () => {
  it('matches one hand-computed step (bias-corrected, decoupled decay)', async () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]), true, 'w_test');
    const opt = new AdamW([w], {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.5,
      gradClip: 0,
      warmupSteps: 0,
    });
    const g = tf.tensor2d([[0.5, 0.5]]);
    await opt.apply({ w_test: g });
    // step 1: m̂ = g, v̂ = g², update = g/|g| = 1 → θ − 0.1·(1 + 0.5·θ)
    expect(Array.from(w.dataSync())).toEqual([
      expect.closeTo(1 - 0.1 * (1 + 0.5), 6),
      expect.closeTo(-2 - 0.1 * (1 - 1), 6),
    ]);
    tf.dispose([w, g]);
    opt.dispose();
  });
  it('clips the global gradient norm and skips non-finite gradients', async () => {
    const w = tf.variable(tf.tensor1d([0, 0]), true, 'w_clip');
    const opt = new AdamW([w], {
      lr: 1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      gradClip: 1,
      warmupSteps: 0,
    });
    const bad = tf.tensor1d([NaN, 1]);
    const r1 = await opt.apply({ w_clip: bad });
    expect(r1.applied).toBe(false);
    expect(Array.from(w.dataSync())).toEqual([0, 0]);
    const big = tf.tensor1d([30, 40]);
    const r2 = await opt.apply({ w_clip: big });
    expect(r2.gradNorm).toBeCloseTo(50, 4);
    expect(r2.applied).toBe(true);
    tf.dispose([w, bad, big]);
    opt.dispose();
  });
  it('warms up linearly then holds', () => {
    expect(warmupLr(0, 1, 4)).toBe(0.25);
    expect(warmupLr(3, 1, 4)).toBe(1);
    expect(warmupLr(99, 1, 4)).toBe(1);
  });
});

describe('practice', () => {
  const tokenizer = buildTokenizer({ corpus, train, test: [] });
  const retriever = new Retriever(corpus);
  const cfg = defaultRolloutConfig();

  it('finds name spans and content words', () => {
    expect(nameSpans('Zorvak Lint was born in Telmar.')).toEqual(['Zorvak Lint', 'Telmar']);
    expect(nameSpans('It is the Bank of Quelaria.')).toEqual(['Bank of Quelaria']);
    expect(nameSpans('The Boudai River flows.')).toEqual(['Boudai River']);
    // A name after an article takes clause-final lower-case words along; punctuation ends a run.
    expect(nameSpans('Its currency is the Belarusian ruble.')).toEqual(['Belarusian ruble']);
    expect(nameSpans('In Totresheth, Stava Graishek became a merchant.')).toEqual([
      'Totresheth',
      'Stava Graishek',
    ]);
    expect(contentWords('Where was Zorvak Lint born?')).toEqual(['zorvak', 'lint', 'born']);
  });

  it('never puts a golden answer into practice text', () => {
    const policy = newPolicy(tokenizer, 1, { dModel: 16, nHeads: 2, nLayers: 1 });
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg);
    const builder = new PracticeBuilder(corpus, train, retriever, cfg);
    const rng = new Rng(4);
    const kinds = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const d = builder.next(rng);
      kinds.add(d.kind);
      expect(JSON.stringify(d).toLowerCase()).not.toContain(SENTINEL.toLowerCase());
      const t = renderDemo(env, d);
      if (t) expect(t.response.toLowerCase()).not.toContain(SENTINEL.toLowerCase());
    }
    expect(kinds).toEqual(new Set(['cloze', 'chain', 'question']));
    policy.dispose();
  });

  it('question-format practice reads like a word-overlap reader and searches again for unexplained words', () => {
    const oneHop: QAItem = { id: 'h1', question: 'Where was Zorvak Lint born?', golden_answers: [] };
    const twoHop: QAItem = {
      id: 'h2',
      question: 'What river flows through the city where Mira Tolk was born?',
      golden_answers: [],
    };
    const rate = (q: QAItem, f: (d: { searches: string[]; answer: string }) => boolean) => {
      const builder = new PracticeBuilder(corpus, [q], retriever, cfg);
      const rng = new Rng(9);
      let n = 0;
      let hits = 0;
      for (let i = 0; i < 300; i++) {
        const d = builder.questionFormat(rng);
        if (!d) continue;
        n++;
        if (f(d)) hits++;
      }
      expect(n).toBeGreaterThan(200);
      return hits / n;
    };
    // "born" is in the passage about Zorvak Lint: answer from it, from the sentence that says "born".
    expect(rate(oneHop, (d) => d.searches.length === 2)).toBeLessThan(0.3);
    expect(rate(oneHop, (d) => d.searches.length === 1 && d.answer === 'Telmar')).toBeGreaterThan(0.6);
    // "river", "flows", "city" are not: a name read there plus those words make a second search.
    expect(rate(twoHop, (d) => d.searches.length === 2)).toBeGreaterThan(0.6);
    expect(rate(twoHop, (d) => d.searches.length === 2 && /oskovan/.test(d.searches[1]))).toBeGreaterThan(
      0.2,
    );
  });

  it('gives every step both lengths of demonstration, in fixed counts, in the proportion the builder makes them', () => {
    const policy = newPolicy(tokenizer, 1, { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 128 });
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg);
    const builder = new PracticeBuilder(corpus, train, retriever, cfg);
    // The builder's own mix, from an independent draw; the split is the length that halves it most evenly.
    const lengths: number[] = [];
    const rng = new Rng(11);
    while (lengths.length < 400) {
      const t = renderDemo(env, builder.next(rng));
      if (t) lengths.push(t.ids.length);
    }
    const shareAbove = (x: number) => lengths.filter((y) => y > x).length / lengths.length;
    const split = [...new Set(lengths)].reduce((a, b) =>
      Math.abs(shareAbove(b) - 0.5) < Math.abs(shareAbove(a) - 0.5) ? b : a,
    );
    const longShare = shareAbove(split);
    expect(longShare).toBeGreaterThan(0.1);
    expect(longShare).toBeLessThan(0.9);

    const sampler = new PracticeSampler(env, builder, new Rng(3), split);
    const sizes = new Set<string>();
    let long = 0;
    for (let step = 0; step < 30; step++) {
      const parts = sampler.next(10);
      expect(parts).toHaveLength(2);
      expect(parts[0].every((t) => t.ids.length <= split)).toBe(true);
      expect(parts[1].every((t) => t.ids.length > split)).toBe(true);
      expect(parts[0].length + parts[1].length).toBe(10);
      sizes.add(parts.map((p) => p.length).join('+'));
      long += parts[1].length;
    }
    expect(sizes.size).toBe(1); // static shapes
    expect(Math.abs(long / 300 - longShare)).toBeLessThan(0.15);
    policy.dispose();
  });

  it('lowers the practice loss and leaks no tensors', async () => {
    const policy = newPolicy(tokenizer, 1, { dModel: 32, nHeads: 2, nLayers: 1, contextLen: 128 });
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg);
    const builder = new PracticeBuilder(corpus, train, retriever, cfg);
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    await trainBase(
      policy,
      env,
      builder,
      { steps: 16, batchSize: 4, lr: 3e-3, warmupSteps: 2 },
      new Rng(2),
      (p) => losses.push(p.loss),
    );
    expect(tf.memory().numTensors).toBe(before);
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(tail).toBeLessThan(head);
    policy.dispose();
  });
});

describe('GrpoTrainer', () => {
  const tokenizer = buildTokenizer({ corpus, train, test: [] });
  const retriever = new Retriever(corpus);

  async function run(seed: number, steps: number, resampleRounds = 0) {
    const policy = newPolicy(tokenizer, 5, { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 128 });
    const grpo = {
      ...defaultGrpoConfig(),
      groupSize: 3,
      questionsPerStep: 2,
      entropyCoef: 0.01,
      resampleRounds,
    };
    const rollout = { ...defaultRolloutConfig(), maxTurnTokens: 6 };
    const trainer = new GrpoTrainer(policy, tokenizer, retriever, train, grpo, rollout, new Rng(seed));
    const w0 = Array.from(policy.variables[0].dataSync());
    const counts: number[] = [];
    const metrics = [];
    const results = [];
    for (let s = 0; s < steps; s++) {
      const r = await trainer.step();
      metrics.push(r.metrics);
      results.push({ rewards: r.rewards, advantages: r.advantages, n: r.trajectories.length });
      counts.push(tf.memory().numTensors);
    }
    const w1 = Array.from(policy.variables[0].dataSync());
    trainer.dispose();
    policy.dispose();
    return { counts, metrics, results, w0, w1 };
  }

  it('updates the weights, keeps tf.memory flat, and reports finite metrics', async () => {
    const { counts, metrics, w0, w1 } = await run(1, 3);
    expect(new Set(counts).size).toBe(1);
    expect(w1).not.toEqual(w0);
    for (const m of metrics) {
      for (const k of [
        'reward',
        'kl',
        'entropy',
        'clipFrac',
        'gradNorm',
        'responseLength',
        'validSearches',
        'spread',
      ] as const) {
        expect(Number.isFinite(m[k])).toBe(true);
      }
      expect(m.skippedUpdates).toBe(0);
    }
  });

  it('dynamic sampling rolls out more rounds while too few groups have spread, and trains on a full batch', async () => {
    const { counts, metrics, results } = await run(3, 2, 2);
    expect(new Set(counts).size).toBe(1);
    for (const [i, m] of metrics.entries()) {
      const { rewards, n } = results[i];
      expect(n).toBe(6); // questionsPerStep × G, whatever was sampled
      expect(m.rolloutRounds).toBeGreaterThanOrEqual(1);
      expect(m.rolloutRounds).toBeLessThanOrEqual(3);
      // it stops early only once enough groups have spread, and those are the ones trained on
      if (m.rolloutRounds! < 3) expect(spreadGroups(rewards, 3)).toBe(2);
    }
    // a policy that has learned nothing rarely answers right: at least one step needed the extra rounds
    expect(metrics.some((m) => m.rolloutRounds === 3)).toBe(true);
  });

  it('is reproducible: same seed, same run', async () => {
    const a = await run(7, 2);
    const b = await run(7, 2);
    expect(a.w1).toEqual(b.w1);
    expect(a.metrics.map((m) => m.reward)).toEqual(b.metrics.map((m) => m.reward));
  });
});

describe('held-out passages', () => {
  it('finds passages whose title a held-out question names, and practice never uses them', async () => {
    const { heldOutPassages } = await import('../../src/engine/practice');
    const held = heldOutPassages(corpus, [
      { id: 't', question: 'Where was Mira Tolk born?', golden_answers: ['x'] },
    ]);
    expect([...held]).toEqual(['p1']);
    const tokenizer = buildTokenizer({ corpus, train, test: [] });
    const retriever = new Retriever(corpus);
    const builder = new PracticeBuilder(corpus, train, retriever, defaultRolloutConfig(), held);
    const rng = new Rng(8);
    for (let i = 0; i < 200; i++) {
      const d = builder.next(rng);
      if (d.kind !== 'question') expect(JSON.stringify(d).toLowerCase()).not.toContain('mira tolk');
    }
    expect(tokenizer.size).toBeGreaterThan(12);
  });
});
