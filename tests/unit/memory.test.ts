// A long GRPO run keeps tf.memory() flat: after a warm-up step (which creates the optimiser's first buffers and
// any cached constants), hundreds of further updates leave the tensor count exactly where it was. Tiny model,
// CPU backend; the search round-trip and the NaN-skip path are both exercised.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultGrpoConfig, defaultRolloutConfig } from '../../src/engine/config';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import { GrpoTrainer } from '../../src/engine/trainer';
import type { Passage, QAItem } from '../../src/engine/types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const corpus: Passage[] = ['Ostrel', 'Zel', 'Brelle'].map((c, i) => ({
  id: `${i}`,
  title: c,
  text: `${c} is a town.`,
  contents: `"${c}"\n${c} is a town.`,
}));
const items: QAItem[] = corpus.map((p, i) => ({
  id: `q${i}`,
  question: `Where is ${p.title}?`,
  golden_answers: [p.title],
}));

describe('no tensor leaks', () => {
  it('hundreds of GRPO updates keep tf.memory().numTensors flat', async () => {
    const tokenizer = buildTokenizer({ corpus, train: items, test: [] });
    const policy = newPolicy(tokenizer, 1, { dModel: 8, nHeads: 1, nLayers: 1, contextLen: 64 });
    const grpo = {
      ...defaultGrpoConfig(),
      groupSize: 4,
      questionsPerStep: 2,
      miniBatches: 8,
      warmupSteps: 0,
    };
    const rollout = { ...defaultRolloutConfig(), maxTurns: 1, maxTurnTokens: 2, maxObsTokens: 8, topk: 1 };
    const trainer = new GrpoTrainer(
      policy,
      tokenizer,
      new Retriever(corpus),
      items,
      grpo,
      rollout,
      new Rng(3),
    );
    await trainer.step(); // warm-up
    const flat = tf.memory().numTensors;
    const counts: number[] = [];
    let updates = 0;
    let skipped = 0;
    // One update in ten sees a NaN gradient (the skip path must free what it allocated too).
    const opt = trainer.optimizer;
    const apply = opt.apply.bind(opt);
    opt.apply = async (grads) => {
      updates++;
      if (updates % 10 !== 0) return apply(grads);
      const bad = tf.tidy(() =>
        Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, NaN)])),
      );
      try {
        return await apply(bad);
      } finally {
        tf.dispose(Object.values(bad));
      }
    };
    while (updates < 240) {
      skipped += (await trainer.step()).metrics.skippedUpdates;
      counts.push(tf.memory().numTensors);
    }
    expect(skipped).toBe(24);
    expect(new Set(counts)).toEqual(new Set([flat]));
    trainer.dispose();
    policy.dispose();
  });
});
