import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Policy } from '../../src/engine/model';
import { AdamW } from '../../src/engine/optim';
import { Tokenizer } from '../../src/engine/tokenizer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// "born" and "in" occur 3 times, the names once or twice.
const texts = ['Zorvak was born in Telmar', 'Mira was born in Telmar', 'Quen was born in Oskovan'];

describe('names (rare words)', () => {
  it('splits the frequency-ordered vocabulary into common words and names, and round-trips it', () => {
    const tok = Tokenizer.build(texts, { commonMinCount: 3 });
    const common = tok.vocab.slice(12, tok.common);
    expect(common.sort()).toEqual(['born', 'in', 'was']);
    for (const w of ['zorvak', 'telmar', 'oskovan']) expect(tok.isName(tok.id(w))).toBe(true);
    expect(tok.isName(tok.id('born'))).toBe(false);
    expect(Tokenizer.fromJSON(tok.toJSON()).common).toBe(tok.common);
    // Files written before names existed load with every word common.
    expect(Tokenizer.fromJSON({ kind: 'word-v1', vocab: tok.vocab.slice() }).common).toBe(tok.size);
  });

  it('gives names fixed input rows and no vocabulary mass; the optimiser never moves them', async () => {
    const tok = Tokenizer.build(texts, { commonMinCount: 3 });
    const cfg = {
      vocabSize: tok.size,
      dModel: 8,
      nLayers: 1,
      nHeads: 2,
      contextLen: 16,
      ffMult: 2,
      pointer: true,
      commonVocab: tok.common,
    };
    const policy = Policy.create(cfg, 3);
    const masks = policy.updateMasks();
    expect(masks.size).toBe(2);
    const byName = (n: string) => policy.variables[policy.paramNames.indexOf(n)];
    const emb0 = byName('tok_emb').arraySync() as number[][];
    const bias0 = byName('out_bias').arraySync() as number[];
    expect(bias0[tok.common]).toBe(-30);
    expect(bias0[tok.common - 1]).toBe(0);

    // A next-token distribution after "zorvak was": names get mass only where they can be copied.
    const state = policy.startDecode(1);
    const ids = [1, tok.id('zorvak'), tok.id('was')];
    const probs = await policy.feed(state, [{ row: 0, tokens: ids }]);
    state.dispose();
    expect(probs[tok.id('telmar')]).toBeLessThan(1e-9); // a name not in the context
    expect(probs[tok.id('zorvak')]).toBeGreaterThan(1e-4); // a name in the context (copy head)

    const opt = new AdamW(
      policy.variables,
      { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, gradClip: 0, warmupSteps: 0 },
      masks,
    );
    const tokens = tf.tensor2d([ids.concat([tok.id('in'), tok.id('telmar')])], [1, 5], 'int32');
    const { value, grads } = tf.variableGrads(
      () => policy.scoreTokens(tokens).logp.sum().neg() as tf.Scalar,
      policy.variables,
    );
    await opt.apply(grads);
    const emb1 = byName('tok_emb').arraySync() as number[][];
    const bias1 = byName('out_bias').arraySync() as number[];
    for (let v = 0; v < tok.size; v++) {
      if (v >= tok.common) {
        expect(emb1[v]).toEqual(emb0[v]);
        expect(bias1[v]).toBe(bias0[v]);
      }
    }
    expect(emb1[tok.id('born')]).not.toEqual(emb0[tok.id('born')]);
    tf.dispose([value, tokens, ...Object.values(grads), ...masks.values()]);
    opt.dispose();
    policy.dispose();
  });
});
