import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultGrpoConfig,
  defaultPpoConfig,
  defaultRolloutConfig,
  defaultRunConfig,
} from '../../src/engine/config';
import { Critic } from '../../src/engine/model';
import { createTrainer, PpoTrainer } from '../../src/engine/ppo';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import { GrpoTrainer } from '../../src/engine/trainer';
import type { Passage, QAItem } from '../../src/engine/types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const names = ['Zorvak Lint', 'Mira Tolk', 'Quen Barasu', 'Hildo Prax'];
const cities = ['Telmar', 'Oskovan', 'Brelle', 'Durnhal'];
const corpus: Passage[] = names.map((n, i) => {
  const text = `${n} was born in ${cities[i]}. ${n} founded ${n.split(' ')[1]} Works.`;
  return { id: `p${i}`, title: n, text, contents: `"${n}"\n${text}` };
});
const train: QAItem[] = names.map((n, i) => ({
  id: `q${i}`,
  question: `Where was ${n} born?`,
  golden_answers: [cities[i]],
}));
const tokenizer = buildTokenizer({ corpus, train, test: [] });
const retriever = new Retriever(corpus);
const small = { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 128 };

describe('Critic', () => {
  it('starts from a copy of the policy trunk, is causal, and leaves the policy alone', () => {
    const policy = newPolicy(tokenizer, 3, small);
    const critic = Critic.fromPolicy(policy, 1);
    const emb = (vs: tf.Variable[]) => Array.from(vs.find((v) => v.name.endsWith('/tok_emb'))!.dataSync());
    expect(emb(critic.variables)).toEqual(emb(policy.variables));
    const [a, b] = tf.tidy(() => {
      const x = critic.values(tf.tensor2d([[1, 20, 21, 22]], [1, 4], 'int32'));
      const y = critic.values(tf.tensor2d([[1, 20, 21, 5]], [1, 4], 'int32'));
      return [Array.from(x.dataSync()), Array.from(y.dataSync())];
    });
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3)); // V_t sees tokens ≤ t only
    expect(a[3]).not.toBe(b[3]);
    critic.variables[0].assign(tf.zerosLike(critic.variables[0]));
    expect(emb(policy.variables).some((x) => x !== 0)).toBe(true);
    critic.dispose();
    policy.dispose();
  });
});

describe('PpoTrainer', () => {
  async function run(seed: number, steps: number, maskInformation = true) {
    const policy = newPolicy(tokenizer, 5, small);
    const grpo = {
      ...defaultGrpoConfig(),
      groupSize: 1,
      questionsPerStep: 4,
      entropyCoef: 0.01,
      maskInformation,
    };
    const rollout = { ...defaultRolloutConfig(), maxTurnTokens: 6 };
    const trainer = new PpoTrainer(policy, tokenizer, retriever, train, grpo, rollout, new Rng(seed), {
      ...defaultPpoConfig(),
      criticWarmupSteps: 0,
    });
    const w0 = Array.from(policy.variables[0].dataSync());
    const c0 = Array.from(trainer.critic.variables.at(-2)!.dataSync());
    const counts: number[] = [];
    const results = [];
    for (let s = 0; s < steps; s++) {
      results.push(await trainer.step());
      counts.push(tf.memory().numTensors);
    }
    const w1 = Array.from(policy.variables[0].dataSync());
    const c1 = Array.from(trainer.critic.variables.at(-2)!.dataSync());
    const stepsDone = trainer.steps;
    trainer.dispose();
    policy.dispose();
    return { counts, results, metrics: results.map((r) => r.metrics), w0, w1, c0, c1, stepsDone };
  }

  it('updates policy and critic, keeps tf.memory flat, and reports finite metrics', async () => {
    const before = tf.memory().numTensors;
    const { counts, metrics, results, w0, w1, c0, c1, stepsDone } = await run(1, 3);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(stepsDone).toBe(3);
    expect(w1).not.toEqual(w0);
    expect(c1).not.toEqual(c0);
    for (const m of metrics) {
      for (const k of [
        'reward',
        'kl',
        'entropy',
        'clipFrac',
        'gradNorm',
        'valueLoss',
        'valueClipFrac',
        'explainedVariance',
        'criticGradNorm',
        'responseLength',
        'validSearches',
      ] as const) {
        expect(Number.isFinite(m[k])).toBe(true);
      }
      expect(m.skippedUpdates).toBe(0);
      expect(m.valueLoss).toBeGreaterThan(0);
    }
    expect(results[0].advantages).toHaveLength(4);
    expect(results[0].rewards).toHaveLength(4);
  });

  it('is reproducible: same seed, same run', async () => {
    const a = await run(7, 2);
    const b = await run(7, 2);
    expect(a.w1).toEqual(b.w1);
    expect(a.c1).toEqual(b.c1);
    expect(a.metrics.map((m) => m.valueLoss)).toEqual(b.metrics.map((m) => m.valueLoss));
  });

  it('trains with masking off (observation tokens in the losses)', async () => {
    const { metrics, counts } = await run(2, 2, false);
    expect(new Set(counts).size).toBe(1);
    for (const m of metrics) expect(Number.isFinite(m.valueLoss)).toBe(true);
  });
});

describe('createTrainer', () => {
  it('returns the trainer cfg.algo names', () => {
    const policy = newPolicy(tokenizer, 5, small);
    const cfg = defaultRunConfig();
    const g = createTrainer(cfg, policy, tokenizer, retriever, train, new Rng(1));
    expect(g).toBeInstanceOf(GrpoTrainer);
    g.dispose();
    const p = createTrainer({ ...cfg, algo: 'ppo' }, policy, tokenizer, retriever, train, new Rng(1));
    expect(p).toBeInstanceOf(PpoTrainer);
    p.dispose();
    policy.dispose();
  });
});
