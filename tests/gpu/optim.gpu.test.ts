/**
 * AdamW on tfjs-backend-webgpu (Dawn in Node, SwiftShader adapter) agrees with the CPU backend for a policy-sized
 * list of variables (more than the 8 storage buffers a shader stage may bind), and the device reports no error:
 * tfjs-backend-webgpu's AddN over ~36 inputs made an invalid pipeline, which Dawn reports without tfjs throwing.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { AdamW, ADAMW_DEFAULTS, sumAll } from '../../src/engine/optim';
import { Rng } from '../../src/engine/rng';

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
