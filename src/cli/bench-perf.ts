/**
 * `npm run bench:perf [-- --backend cpu|wasm|webgpu]` — prints speed figures for the default model and a larger
 * one: rollout tokens/s with the KV cache vs full recompute, update tokens/s, one GRPO step split into
 * rollout / reference / update, and the backend's large-matmul GFLOP/s (the ceiling) measured in the same run.
 * Figures only; nothing here is asserted.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../engine/backend';
import { defaultGrpoConfig, defaultRolloutConfig } from '../engine/config';
import { grpoLoss } from '../engine/grpo';
import { Policy, type ModelConfig } from '../engine/model';
import { Rng } from '../engine/rng';
import { buildRetriever, buildTokenizer, modelConfigFor, newPolicy } from '../engine/session';
import { GrpoTrainer } from '../engine/trainer';
import { parseArgs } from './args';
import { loadCorpus, loadQA, runMain } from './common';
import { WorkerPeer, defaultThreads } from './peer';
import { nodeBackend, reexecForWebGPU } from './node-backend';

const now = () => performance.now() / 1000;

async function matmulGflops(n: number, reps: number): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  await tf.matMul(a, b).data(); // warm-up (shader / kernel compilation)
  const t0 = now();
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  const s = now() - t0;
  tf.dispose([a, b]);
  return (2 * n * n * n * reps) / s / 1e9;
}

async function kvCacheTokensPerSec(
  cfg: ModelConfig,
  B: number,
  prompt: number,
  gen: number,
): Promise<number> {
  const policy = newPolicyFor(cfg);
  const state = policy.startDecode(B);
  const rows = (k: number) =>
    Array.from({ length: B }, (_, row) => ({
      row,
      tokens: Array.from({ length: k }, (_, i) => 12 + ((row + i) % 50)),
    }));
  await policy.feed(state, rows(prompt));
  await policy.feed(state, rows(1)); // warm-up
  const t0 = now();
  for (let i = 0; i < gen; i++) await policy.feed(state, rows(1));
  const s = now() - t0;
  state.dispose();
  policy.dispose();
  return (B * gen) / s;
}

async function recomputeTokensPerSec(
  cfg: ModelConfig,
  B: number,
  prompt: number,
  gen: number,
): Promise<number> {
  const policy = newPolicyFor(cfg);
  const run = async (len: number) => {
    const T = Math.min(cfg.contextLen, Math.ceil(len / 32) * 32);
    const ids = tf.tidy(() => tf.randomUniform([B, T], 12, 60, 'int32') as tf.Tensor2D);
    const out = tf.tidy(() => policy.scoreTokens(ids).logp);
    await out.data();
    tf.dispose([ids, out]);
  };
  await run(prompt); // warm-up
  const t0 = now();
  for (let i = 0; i < gen; i++) await run(prompt + i + 1);
  const s = now() - t0;
  policy.dispose();
  return (B * gen) / s;
}

async function updateTokensPerSec(cfg: ModelConfig, B: number, T: number): Promise<number> {
  const policy = newPolicyFor(cfg);
  const ids = tf.randomUniform([B, T], 12, 60, 'int32') as tf.Tensor2D;
  const mask = tf.ones([B, T]) as tf.Tensor2D;
  const old = tf.zeros([B, T]).sub(2) as tf.Tensor2D;
  const adv = tf.linspace(-1, 1, B) as tf.Tensor1D;
  const once = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const { logp, entropy } = policy.scoreTokens(ids, { positions: mask });
      return grpoLoss(
        { logp, oldLogp: old, refLogp: old, entropy, advantages: adv, mask },
        { clipEps: 0.2, klCoef: 0.02, entropyCoef: 0.001 },
      ).loss;
    }, policy.variables);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await once();
  const reps = 3;
  const t0 = now();
  for (let i = 0; i < reps; i++) await once();
  const s = now() - t0;
  tf.dispose([ids, mask, old, adv]);
  policy.dispose();
  return (B * T * reps) / s;
}

let seedCounter = 1;
function newPolicyFor(cfg: ModelConfig): Policy {
  return Policy.create(cfg, seedCounter++);
}

runMain(async () => {
  if (await reexecForWebGPU(process.argv.slice(2))) return;
  const args = parseArgs(process.argv.slice(2), {
    backend: { type: 'string', choices: ['cpu', 'wasm', 'webgpu'], help: 'tfjs backend (default wasm)' },
    quick: { type: 'boolean', help: 'fewer repetitions' },
  });
  const backend = ((args.backend as string) ?? 'wasm') as BackendName;
  const quick = Boolean(args.quick);
  const choice = await nodeBackend(backend);
  const root = path.resolve('public/corpus/world');
  const data = {
    corpus: loadCorpus(path.join(root, 'corpus.jsonl')),
    train: await loadQA(path.join(root, 'train.jsonl')),
    test: await loadQA(path.join(root, 'test.jsonl')),
  };
  const tokenizer = buildTokenizer(data);
  const retriever = buildRetriever(data.corpus, defaultRolloutConfig().bm25K1);
  console.log(
    `backend: ${choice.backend}   vocabulary: ${tokenizer.size} (world corpus)   node ${process.version}`,
  );
  const n = quick ? 512 : 1024;
  console.log(
    `large matmul ${n}x${n}: ${(await matmulGflops(n, quick ? 2 : 5)).toFixed(1)} GFLOP/s (the backend's ceiling)`,
  );

  // The larger model's forward+backward over 32 rows of 256 tokens outgrows the wasm heap (4 GiB): its update
  // figures use 16 rows, and its GRPO step four mini-batches of 16 rows instead of two of 32.
  const sizes: [string, Partial<ModelConfig>, { updateRows: number; miniBatches: number }][] = [
    ['default d=64 L=2 H=4 ctx=256', {}, { updateRows: 32, miniBatches: defaultGrpoConfig().miniBatches }],
    [
      'larger  d=128 L=4 H=4 ctx=256',
      { dModel: 128, nLayers: 4, nHeads: 4 },
      { updateRows: 16, miniBatches: 4 },
    ],
  ];
  for (const [label, o, fit] of sizes) {
    const cfg = modelConfigFor(tokenizer, o);
    console.log(`\n${label}`);
    const B = 64;
    const kv = await kvCacheTokensPerSec(cfg, B, 24, quick ? 8 : 24);
    const full = await recomputeTokensPerSec(cfg, B, 24, quick ? 2 : 4);
    console.log(
      `  rollout, batch ${B}: KV cache ${kv.toFixed(0)} tok/s | full recompute ${full.toFixed(0)} tok/s (×${(kv / full).toFixed(1)})`,
    );
    const up = await updateTokensPerSec(cfg, fit.updateRows, 256);
    console.log(`  update (forward+backward, ${fit.updateRows}×256 tokens): ${up.toFixed(0)} tok/s`);
    // The same step on one thread and, where runs use two (peer.ts), on two. The two sample different rollouts
    // (each thread has its own random stream), so compare the tok/s figures rather than the seconds alone.
    for (let threads = 1; threads <= defaultThreads(choice.backend); threads++) {
      const policy = newPolicy(tokenizer, 3, o);
      const grpo = { ...defaultGrpoConfig(), miniBatches: fit.miniBatches };
      const rollout = defaultRolloutConfig();
      const peer =
        threads > 1 ? await WorkerPeer.start(choice.backend, policy, tokenizer, data.corpus, rollout) : null;
      const trainer = new GrpoTrainer(
        policy,
        tokenizer,
        retriever,
        data.train,
        grpo,
        rollout,
        new Rng(1),
        peer,
      );
      await trainer.step(); // warm-up: shape compilation
      const { metrics: m } = await trainer.step();
      console.log(
        `  one GRPO step, ${threads} thread${threads > 1 ? 's' : ''} (${grpo.questionsPerStep} questions × G=${grpo.groupSize}, ${grpo.miniBatches} mini-batches, ${m.rolloutRounds} rollout rounds): ` +
          `${m.seconds.total.toFixed(2)} s = rollout ${m.seconds.rollout.toFixed(2)} + reference ${m.seconds.reference.toFixed(2)} + update ${m.seconds.update.toFixed(2)}` +
          ` | ${m.rolloutTokensPerSec.toFixed(0)} rollout tok/s, ${m.updateTokensPerSec.toFixed(0)} update tok/s`,
      );
      trainer.dispose();
      policy.dispose();
      await peer?.dispose();
    }
  }
});
