/**
 * The policy on tfjs-backend-webgpu (Dawn in Node, SwiftShader adapter) agrees with the CPU backend:
 * scoreTokens log-probs (tag states from device and from host ids), a gradient (token and tag-state embeddings
 * included) and one feed() distribution, with copy keys over three previous and two following tokens and the
 * question pool in the copy query, a gate that reads what the copy head points at, copy continuation, the question
 * match (passage words the question has) and copy keys that read the states of the tokens before a span.
 * Fails — does not skip — when no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { Rng } from '../../src/engine/rng';
import { type ModelConfig, Policy } from '../../src/engine/model';
import { allCopyFeatures, roughen } from '../model-helpers';

const cfg: ModelConfig = {
  vocabSize: 50,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  contextLen: 48, // rows of 20 tokens: feeds read a 32-slot window of the 48-slot caches
  ffMult: 2,
  ...allCopyFeatures(), // tag spans think 4/5, search 6/7, information 8/9, answer 10/11: the rows below hold them all
  commonVocab: 12, // ids 12–14 are names (fixed embeddings, copied only)
  copyFrom: 4, // <pad> <bos> <eos> <unk> are never copied (nor matched)
  questionMatch: { span: 3, skip: [13] }, // information words seen earlier outside every span (id 13 never)
  keyStates: true, // copy keys read the input states of the tokens before a span
};

beforeAll(async () => {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      'No WebGPU adapter. Install Chromium for its SwiftShader Vulkan ICD (`apt-get install -y chromium`) and run with ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (vitest.gpu.config.ts adds /usr/lib/chromium to LD_LIBRARY_PATH)',
    );
  }
  await import('@tensorflow/tfjs-backend-webgpu');
});

async function runOn(backend: string) {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  const p = Policy.create(cfg, 3);
  roughen(p, 4);
  const rng = new Rng(5);
  const rows = Array.from({ length: 3 }, () => Array.from({ length: 20 }, () => rng.int(15))); // repeats → copies
  // Every row starts with a word, as prompts do: a position with nothing copyable before it has an entropy of ~1e10
  // (the copy head's masked scores), whose float32 gradients differ by more than any tolerance between backends.
  for (const r of rows) r[0] = Math.max(r[0], 4);
  rows[0].splice(0, 7, 12, 13, 20, 8, 12, 20, 9); // a question (12, 20; 13 never matches), then a passage that matches
  const tok = tf.tensor2d(rows, undefined, 'int32');
  const logp = tf.tidy(() => p.scoreTokens(tok).logp);
  const logpHost = tf.tidy(() => p.scoreTokens(tok, { hostTokens: rows.flat() }).logp);
  const { value, grads } = tf.variableGrads(() => {
    const { logp: l, entropy } = p.scoreTokens(tok);
    return l.sum().neg().sub(entropy.sum().mul(0.1)) as tf.Scalar;
  });
  const gradOf = async (name: string) =>
    Array.from(await grads[p.variables[p.paramNames.indexOf(name)].name].data());
  const out = {
    logp: Array.from(await logp.data()),
    logpHost: Array.from(await logpHost.data()),
    tagGrad: await gradOf('tag_emb'),
    embGrad: await gradOf('tok_emb'),
    ptrGrad: await gradOf('ptr.wk_e'),
    ptr3Grad: await gradOf('ptr.wk_e3'),
    qkvGrad: await gradOf('l0.w_qkv'),
    probs: [] as number[],
  };
  const state = p.startDecode(3);
  await p.feed(state, [
    { row: 0, tokens: rows[0].slice(0, 7) },
    { row: 2, tokens: rows[2].slice(0, 3) },
  ]);
  out.probs = Array.from(
    await p.feed(state, [
      { row: 0, tokens: rows[0].slice(7, 9) },
      { row: 1, tokens: [rows[1][0]] },
    ]),
  );
  state.dispose();
  tf.dispose([tok, logp, logpHost, value, ...Object.values(grads)]);
  p.dispose();
  return out;
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

describe('webgpu backend', () => {
  it('scoreTokens, gradients and feed agree with cpu', async () => {
    const gpu = await runOn('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const cpu = await runOn('cpu');
    expect(maxAbsDiff(gpu.logp, cpu.logp)).toBeLessThan(1e-3);
    expect(maxAbsDiff(gpu.logpHost, cpu.logp)).toBeLessThan(1e-3);
    expect(maxAbsDiff(gpu.tagGrad, cpu.tagGrad)).toBeLessThan(1e-3);
    expect(cpu.tagGrad.some((g) => g !== 0)).toBe(true);
    expect(maxAbsDiff(gpu.embGrad, cpu.embGrad)).toBeLessThan(1e-3);
    expect(maxAbsDiff(gpu.ptrGrad, cpu.ptrGrad)).toBeLessThan(1e-3);
    expect(maxAbsDiff(gpu.ptr3Grad, cpu.ptr3Grad)).toBeLessThan(1e-3);
    expect(cpu.ptr3Grad.some((g) => g !== 0)).toBe(true);
    expect(maxAbsDiff(gpu.qkvGrad, cpu.qkvGrad)).toBeLessThan(1e-3);
    expect(maxAbsDiff(gpu.probs, cpu.probs)).toBeLessThan(1e-4);
    expect(cpu.embGrad.some((g) => g !== 0)).toBe(true);
  });
});
