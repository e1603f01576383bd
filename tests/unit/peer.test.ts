// The peer thread of data-parallel training (src/cli/peer.ts, peer-worker.ts): a real worker thread with its own
// backend computes what this thread computes for the same weights, and a GRPO trainer using it learns without
// leaking tensors. CPU backend on both threads.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPeer } from '../../src/cli/peer';
import { hostBatch } from '../../src/engine/batch';
import { defaultGrpoConfig, defaultRolloutConfig } from '../../src/engine/config';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { RolloutEnv } from '../../src/engine/rollout';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import { hostRows, hostWeights, jobGrads, pickRows, rngAt, scoreRows } from '../../src/engine/shard';
import { GrpoTrainer } from '../../src/engine/trainer';
import type { Passage, QAItem } from '../../src/engine/types';

const rivers = ['Ama', 'Bru', 'Cel', 'Dov'];
const corpus: Passage[] = ['Ostrel', 'Zel', 'Brelle', 'Durnhal'].map((c, i) => ({
  id: `${i}`,
  title: c,
  text: `${c} is a town on the river ${rivers[i]}.`,
  contents: `"${c}"\n${c} is a town on the river ${rivers[i]}.`,
}));
const items: QAItem[] = corpus.map((p, i) => ({
  id: `q${i}`,
  question: `Which river runs through ${p.title}?`,
  golden_answers: [rivers[i]],
}));
const rollout = { ...defaultRolloutConfig(), maxTurns: 2, maxTurnTokens: 6, maxObsTokens: 24, topk: 1 };
const tokenizer = buildTokenizer({ corpus, train: items, test: [] });
let peer: WorkerPeer;
const policy0 = () => newPolicy(tokenizer, 5, { dModel: 8, nHeads: 2, nLayers: 1, contextLen: 96 });

beforeAll(async () => {
  await tf.setBackend('cpu');
  const p = policy0();
  peer = await WorkerPeer.start('cpu', p, tokenizer, corpus, rollout);
  p.dispose();
}, 60_000);

afterAll(async () => {
  await peer.dispose();
});

describe('WorkerPeer', () => {
  it('rolls out, scores and differentiates as this thread does, with the weights it was sent', async () => {
    const policy = policy0();
    // Move the weights away from the ones the peer started with, and send them.
    policy.variables.forEach((v) => v.assign(tf.tidy(() => v.add(0.01))));
    peer.setWeights('policy', await hostWeights(policy));
    const env = new RolloutEnv(policy, tokenizer, new Retriever(corpus), rollout);
    const state = new Rng(11).getState();
    const here = await env.run(items, rngAt(state));
    const there = await peer.run(items, state, false);
    expect(there.map((t) => t.ids)).toEqual(here.map((t) => t.ids));
    expect(there.map((t) => t.answer)).toEqual(here.map((t) => t.answer));

    const b = hostBatch(here, policy.cfg.contextLen, true);
    const lengths = here.map((t) => Math.min(t.ids.length, b.length));
    const x = hostRows(b, [0, 2, 3], lengths);
    const local = await scoreRows(policy, x);
    const remote = await peer.score('policy', x);
    expect(Array.from(remote)).toEqual(Array.from(local).map((v) => expect.closeTo(v, 5)));

    const job = {
      kind: 'grpo' as const,
      x,
      oldLogp: local,
      refLogp: local.map((v) => v - 0.2),
      advantages: Float32Array.from([1, -0.5, 0.25]),
      count: b.maskedTokens,
      coefs: { clipEps: 0.2, klCoef: 0.05, entropyCoef: 0.01 },
    };
    const mine = jobGrads(policy, job);
    const theirs = await peer.grads(job);
    expect(theirs.stats).toEqual(Array.from(mine.stats.dataSync()).map((v) => expect.closeTo(v, 5)));
    mine.grads.forEach((g, i) => {
      const d = g.dataSync();
      const scale = Math.max(1e-6, ...Array.from(d, Math.abs));
      theirs.grads[i].forEach((v, j) => expect(Math.abs(v - d[j]) / scale).toBeLessThan(1e-4));
    });
    tf.dispose([...mine.grads, mine.stats]);
    expect(pickRows(remote, x.length, [1], x.length).length).toBe(x.length);
    policy.dispose();
  }, 60_000);

  it('a GRPO trainer with the peer takes steps, keeps tf.memory() flat and reports finite metrics', async () => {
    const policy = policy0();
    const grpo = {
      ...defaultGrpoConfig(),
      groupSize: 4,
      questionsPerStep: 2,
      miniBatches: 2,
      warmupSteps: 0,
    };
    const trainer = new GrpoTrainer(
      policy,
      tokenizer,
      new Retriever(corpus),
      items,
      grpo,
      rollout,
      new Rng(2),
      peer,
    );
    await trainer.step();
    const before = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      const { metrics, trajectories } = await trainer.step();
      expect(trajectories.length).toBe(8);
      for (const k of ['kl', 'entropy', 'policyLoss', 'gradNorm'] as const)
        expect(Number.isFinite(metrics[k])).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    policy.dispose();
  }, 120_000);

  it('reports a failure in the thread on the call that caused it and on every later one', async () => {
    const p = policy0();
    const broken = await WorkerPeer.start('cpu', p, tokenizer, corpus, rollout);
    broken.setWeights('policy', [new Float32Array(3)]);
    await expect(
      broken.score('policy', { rows: 1, length: 4, tokens: new Int32Array(4), select: new Float32Array(4) }),
    ).rejects.toThrow(/assignWeights/);
    await broken.dispose();
    await expect(broken.run(items, 1, true)).rejects.toThrow(/stopped/);
    p.dispose();
  }, 60_000);
});
