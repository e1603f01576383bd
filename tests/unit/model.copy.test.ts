/**
 * The copy (pointer) head can copy: trained briefly on "X name … Q → name", it answers with names it never saw in
 * training, which a vocabulary-only softmax cannot do. CPU backend, tiny model.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import { type ModelConfig, Policy } from '../../src/engine/model';

const X = 1; // marker before the name
const Q = 2; // query marker: the next token should be the name
const FILLER = [4, 20]; // ids [4, 20)
// Many rare names: memorising each through the vocabulary softmax is slower to learn than one pointer rule.
const TRAIN_NAMES = [20, 200];
const TEST_NAMES = [200, 256];
const T = 12;

function example(rng: Rng, names: number[]): number[] {
  const seq = Array.from({ length: T }, () => FILLER[0] + rng.int(FILLER[1] - FILLER[0]));
  const at = 1 + rng.int(T - 5);
  seq[at] = X;
  seq[at + 1] = names[0] + rng.int(names[1] - names[0]);
  seq[T - 2] = Q;
  seq[T - 1] = seq[at + 1];
  return seq;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('copy head', () => {
  it('learns to copy names never seen in training', async () => {
    const cfg: ModelConfig = {
      vocabSize: 256,
      dModel: 32,
      nLayers: 1,
      nHeads: 2,
      contextLen: 16,
      ffMult: 2,
      pointer: true,
    };
    const p = Policy.create(cfg, 1);
    const rng = new Rng(2);
    const opt = tf.train.adam(0.01);
    const B = 32;
    const select = new Float32Array(B * T);
    for (let b = 0; b < B; b++) select[b * T + T - 2] = 1; // only the answer position counts
    for (let step = 0; step < 40; step++) {
      const batch = Array.from({ length: B }, () => example(rng, TRAIN_NAMES));
      const tok = tf.tensor2d(batch, undefined, 'int32');
      const cost = opt.minimize(
        () => p.scoreTokens(tok, { select }).logp.sum().div(-B) as tf.Scalar,
        true,
        p.variables,
      );
      tok.dispose();
      cost?.dispose();
    }
    opt.dispose();

    const tests = Array.from({ length: 32 }, () => example(rng, TEST_NAMES));
    const state = p.startDecode(tests.length);
    const probs = await p.feed(
      state,
      tests.map((seq, row) => ({ row, tokens: seq.slice(0, T - 1) })),
    );
    state.dispose();
    let correct = 0;
    tests.forEach((seq, row) => {
      const dist = probs.subarray(row * cfg.vocabSize, (row + 1) * cfg.vocabSize);
      const argmax = dist.indexOf(Math.max(...dist));
      if (argmax === seq[T - 1]) correct++;
    });
    expect(correct / tests.length).toBeGreaterThanOrEqual(0.8);
    p.dispose();
  });
});
