/**
 * Training on tfjs-backend-webgpu (Dawn in Node, SwiftShader adapter): AdamW agrees with the CPU backend for a
 * policy-sized list of variables (more than the 8 storage buffers a shader stage may bind), and a GRPO step
 * leaves the tensor count flat — with no error reported by the device in the whole file. A device error
 * throws nothing in tfjs (tfjs-backend-webgpu's AddN over ~36 inputs made an invalid pipeline, and the optimiser
 * read a garbage norm), so the file listens for them.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { defaultGrpoConfig, defaultRolloutConfig } from '../../src/engine/config';
import { AdamW, ADAMW_DEFAULTS, sumAll } from '../../src/engine/optim';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import { GrpoTrainer } from '../../src/engine/trainer';
import type { Passage, QAItem } from '../../src/engine/types';

const errors: string[] = [];

beforeAll(async () => {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  if (!(await gpu.requestAdapter())) throw new Error('No WebGPU adapter (see tests/gpu/model.gpu.test.ts)');
  await import('@tensorflow/tfjs-backend-webgpu');
  expect(await tf.setBackend('webgpu')).toBe(true);
  const device = (tf.backend() as unknown as { device: EventTarget }).device;
  device.addEventListener('uncapturederror', (e) => {
    errors.push(String((e as unknown as { error: { message: string } }).error.message).split('\n')[0]);
  });
});

afterAll(() => {
  expect(errors).toEqual([]);
});

/** One clipped AdamW step over 40 variables; returns the reported norm and the updated values. */
async function step(backend: string) {
  expect(await tf.setBackend(backend)).toBe(true);
  const rng = new Rng(11);
  const vars = Array.from({ length: 40 }, (_, i) =>
    tf.variable(tf.tensor1d(Array.from({ length: 5 }, () => rng.normal())), true, `w${i}`),
  );
  const grads: tf.NamedTensorMap = {};
  for (const v of vars) grads[v.name] = tf.tensor1d(Array.from({ length: 5 }, () => rng.normal()));
  const opt = new AdamW(vars, { ...ADAMW_DEFAULTS, lr: 0.1, gradClip: 1 });
  const report = await opt.apply(grads);
  const values = (await Promise.all(vars.map((v) => v.data()))).flatMap((d) => Array.from(d));
  const sum = await sumAll(vars.slice(0, 9).map((v) => v.sum())).data();
  tf.dispose([...vars, ...Object.values(grads)]);
  opt.dispose();
  return { report, values, sum: sum[0] };
}

describe('AdamW on webgpu', () => {
  it('clips by the same global norm as cpu over 40 variables, with no device error', async () => {
    const gpu = await step('webgpu');
    const cpu = await step('cpu');
    expect(cpu.report.gradNorm).toBeGreaterThan(1); // the clip is active
    expect(gpu.report.applied).toBe(true);
    expect(Math.abs(gpu.report.gradNorm - cpu.report.gradNorm)).toBeLessThan(1e-3 * cpu.report.gradNorm);
    expect(Math.max(...gpu.values.map((x, i) => Math.abs(x - cpu.values[i])))).toBeLessThan(1e-4);
    expect(Math.abs(gpu.sum - cpu.sum)).toBeLessThan(1e-4);
  });
});

describe('GRPO on webgpu', () => {
  it('a step (rollout, reference, update) leaves the tensor count flat, with no device error', async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    const corpus: Passage[] = ['Ostrel', 'Zel', 'Brelle', 'Carn'].map((c, i) => ({
      id: `${i}`,
      title: c,
      text: `${c} is a town on the river.`,
      contents: `"${c}"\n${c} is a town on the river.`,
    }));
    const items: QAItem[] = corpus.map((p, i) => ({
      id: `q${i}`,
      question: `Where is ${p.title}?`,
      golden_answers: [p.title],
    }));
    const tokenizer = buildTokenizer({ corpus, train: items, test: [] });
    const policy = newPolicy(tokenizer, 1, { dModel: 16, nHeads: 2, nLayers: 2, contextLen: 64 });
    const grpo = { ...defaultGrpoConfig(), groupSize: 4, questionsPerStep: 2, warmupSteps: 0 };
    const rollout = { ...defaultRolloutConfig(), maxTurns: 1, maxTurnTokens: 4, maxObsTokens: 12, topk: 1 };
    const trainer = new GrpoTrainer(
      policy,
      tokenizer,
      new Retriever(corpus),
      items,
      grpo,
      rollout,
      new Rng(3),
    );
    await trainer.step(); // warm-up: the optimiser's moments, cached constants
    const flat = tf.memory().numTensors;
    const { metrics } = await trainer.step();
    expect(Number.isFinite(metrics.kl)).toBe(true);
    expect(metrics.skippedUpdates).toBe(0);
    expect(tf.memory().numTensors).toBe(flat);
    trainer.dispose();
    policy.dispose();
  });
});
