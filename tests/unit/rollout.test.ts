import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lossMaskRow, makeBatch } from '../../src/engine/batch';
import { defaultRolloutConfig, type RolloutConfig } from '../../src/engine/config';
import { Rng } from '../../src/engine/rng';
import { parseAction, RolloutEnv } from '../../src/engine/rollout';
import { newPolicy } from '../../src/engine/session';
import { items, retriever, scriptedPolicy, tokenizer } from './scripted-policy';

const cfg = (o: Partial<RolloutConfig> = {}): RolloutConfig => ({ ...defaultRolloutConfig(), ...o });

describe('parseAction', () => {
  it('takes the first complete action, content trimmed', () => {
    expect(parseAction('x <search> a b </search> <answer> c </answer>')).toEqual({
      kind: 'search',
      content: 'a b',
    });
    expect(parseAction('<answer> z </answer> <search> q </search>')).toEqual({
      kind: 'answer',
      content: 'z',
    });
    expect(parseAction('<search> unfinished')).toBeNull();
  });
});

describe('rollout loop', () => {
  it('searches, appends masked information, then answers', async () => {
    const script = ['<search>', 'zorvak', 'lint', 'born', '</search>', '<answer>', 'telmar', '</answer>'];
    const env = new RolloutEnv(scriptedPolicy([script]), tokenizer, retriever, cfg());
    const [t] = await env.run([items[0]], new Rng(1));
    expect(t.answered).toBe(true);
    expect(t.validSearches).toBe(1);
    expect(t.turns).toBe(2);
    expect(t.searches[0].query).toBe('zorvak lint born');
    expect(t.searches[0].docs[0].id).toBe('0');
    expect(t.response).toMatch(
      /^<search> zorvak lint born <\/search> <information> doc 1 \( title : " zorvak lint " \)/,
    );
    expect(t.response.endsWith('<answer> telmar </answer>')).toBe(true);
    expect(t.answer).toBe('telmar');
    // The mask is built while appending: generated tokens 1, every information token 0.
    const info = t.roles.map((r, i) => [r, t.gen[i]] as const).filter(([r]) => r === 'information');
    expect(info.length).toBeGreaterThan(5);
    expect(info.every(([, g]) => g === 0)).toBe(true);
    const generated = t.gen.slice(t.promptLen).filter((g) => g === 1).length;
    expect(generated).toBe(script.length);
    expect(t.roles[t.promptLen]).toBe('search');
  });

  it('appends the invalid-action text (masked) and counts the round', async () => {
    const script = ['telmar', 'telmar', 'telmar', 'telmar'];
    const env = new RolloutEnv(
      scriptedPolicy([script]),
      tokenizer,
      retriever,
      cfg({ maxTurnTokens: 3, maxTurns: 1 }),
    );
    const [t] = await env.run([items[0]], new Rng(1));
    expect(t.answered).toBe(false);
    expect(t.turns).toBe(2); // one invalid round + the forced final round
    expect(t.response).toContain('invalid action');
    // The hint's own "<answer> answer </answer>" is an observation, not the policy's answer.
    expect(t.answer).toBeNull();
    expect(t.roles.filter((r) => r === 'observation').length).toBeGreaterThan(3);
    expect(t.gen.filter((g, i) => t.roles[i] === 'observation' && g === 1)).toHaveLength(0);
  });

  it('does not execute a search in the forced final round', async () => {
    const script = ['<search>', 'telmar', '</search>', '<search>', 'brimcorp', '</search>'];
    const env = new RolloutEnv(scriptedPolicy([script]), tokenizer, retriever, cfg({ maxTurns: 1 }));
    const [t] = await env.run([items[0]], new Rng(1));
    expect(t.searches.map((s) => s.executed)).toEqual([true, false]);
    expect(t.validSearches).toBe(1);
    expect(t.answered).toBe(false);
  });

  it('with fresh passages, the same search again reads the next passage; without, the same one', async () => {
    const search = ['<search>', 'zorvak', 'lint', '</search>'];
    const script = [...search, ...search, '<answer>', 'telmar', '</answer>'];
    const ids = async (freshPassages: boolean) => {
      const env = new RolloutEnv(scriptedPolicy([script]), tokenizer, retriever, cfg({ freshPassages }));
      const [t] = await env.run([items[0]], new Rng(1));
      expect(t.validSearches).toBe(2);
      return t.searches.map((s) => s.docs.map((d) => d.id));
    };
    // "zorvak lint" ranks the passage titled with it first, then Brimcorp's, which names him.
    expect(await ids(false)).toEqual([['0'], ['0']]);
    expect(await ids(true)).toEqual([['0'], ['2']]);
  });

  it('stops at the first </answer> even in a batch with different lengths', async () => {
    const env = new RolloutEnv(
      scriptedPolicy([
        ['<answer>', 'telmar', '</answer>'],
        ['<think>', 'city', '</think>', '<answer>', 'zorvak', 'lint', '</answer>'],
      ]),
      tokenizer,
      retriever,
      cfg(),
    );
    const [a, b] = await env.run(items, new Rng(1));
    expect(a.response).toBe('<answer> telmar </answer>');
    expect(b.response).toBe('<think> city </think> <answer> zorvak lint </answer>');
    expect(b.roles.slice(b.promptLen)).toEqual([
      'think',
      'think',
      'think',
      'answer',
      'answer',
      'answer',
      'answer',
    ]);
  });

  it('caps observations and never exceeds the context', async () => {
    const script = ['<search>', 'telmar', '</search>'];
    const env = new RolloutEnv(
      scriptedPolicy([script], 64),
      tokenizer,
      retriever,
      cfg({ maxObsTokens: 12, maxTurns: 3 }),
    );
    const [t] = await env.run([items[0]], new Rng(1));
    const infoRuns = t.roles.filter((r) => r === 'information').length;
    expect(infoRuns).toBeLessThanOrEqual(12 * 3);
    expect(t.ids.length).toBeLessThanOrEqual(64);
    expect(t.response).toContain('</information>');
  });

  it('builds the loss mask from gen, shifted to scoring positions, and can turn masking off', async () => {
    const script = ['<search>', 'telmar', '</search>', '<answer>', 'quelaria', '</answer>'];
    const env = new RolloutEnv(scriptedPolicy([script]), tokenizer, retriever, cfg());
    const [t] = await env.run([items[0]], new Rng(1));
    const T = t.ids.length + 5;
    const on = lossMaskRow(t, T, true);
    const off = lossMaskRow(t, T, false);
    const sum = (m: Float32Array) => m.reduce((a, b) => a + b, 0);
    expect(sum(on)).toBe(script.length);
    expect(sum(off)).toBe(t.ids.length - t.promptLen);
    // position t scores token t+1: the first response token is scored at promptLen − 1
    expect(on[t.promptLen - 1]).toBe(1);
    expect(on[t.promptLen - 2]).toBe(0);
  });
});

describe('rollout with a real (random) policy', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  it('is reproducible for a seed, frees its tensors, and batches to static lengths', async () => {
    const policy = newPolicy(tokenizer, 3, { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 128 });
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg({ maxTurnTokens: 6 }));
    const before = tf.memory().numTensors;
    const a = await env.run([...items, ...items], new Rng(9));
    const b = await env.run([...items, ...items], new Rng(9));
    expect(tf.memory().numTensors).toBe(before);
    expect(a.map((t) => t.ids)).toEqual(b.map((t) => t.ids));
    for (const t of a) {
      expect(t.ids.length).toBeLessThanOrEqual(128);
      expect(t.gen.length).toBe(t.ids.length);
      t.roles.forEach((r, i) => {
        if (r === 'information' || r === 'observation' || r === 'prompt') expect(t.gen[i]).toBe(0);
        else expect(t.gen[i]).toBe(1);
      });
    }
    const batch = makeBatch(a, 128, true);
    expect(batch.tokens.shape[1] % 32).toBe(0);
    batch.dispose();
    const g1 = await env.run(items, new Rng(1), { greedy: true });
    const g2 = await env.run(items, new Rng(2), { greedy: true });
    expect(g1.map((t) => t.ids)).toEqual(g2.map((t) => t.ids));
    const owned = policy.variables.length;
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before - owned);
  });
});

describe('sampling log-probs and stepping', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('records log π of each generated token that a full rescoring reproduces (GRPO old log-probs)', async () => {
    const policy = newPolicy(tokenizer, 5, { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 128 });
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg({ maxTurnTokens: 6 }));
    const trajs = await env.run([...items, ...items], new Rng(4));
    const batch = makeBatch(trajs, 128, true);
    const logp = tf.tidy(() => policy.scoreTokens(batch.tokens, { select: batch.hostMask }).logp);
    const full = await logp.data();
    let checked = 0;
    for (let i = 0; i < full.length; i++) {
      if (!batch.hostMask[i]) {
        expect(batch.hostSampleLogp[i]).toBe(0);
        continue;
      }
      expect(batch.hostSampleLogp[i]).toBeCloseTo(full[i], 4);
      expect(batch.hostSampleLogp[i]).toBeLessThan(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(8);
    tf.dispose(logp);
    batch.dispose();
    policy.dispose();
  });

  it('scores the same with the host-built copy mask as with the device one', async () => {
    const policy = newPolicy(tokenizer, 6, { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 64 });
    const ids = Int32Array.from({ length: 3 * 32 }, (_, i) => 12 + ((i * 7) % 9)); // repeats, so copies matter
    const tokens = tf.tensor2d(ids, [3, 32], 'int32');
    const a = tf.tidy(() => policy.scoreTokens(tokens).logp);
    const b = tf.tidy(() => policy.scoreTokens(tokens, { hostTokens: ids }).logp);
    const [x, y] = await Promise.all([a.data(), b.data()]);
    for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i], 5);
    tf.dispose([a, b, tokens]);
    policy.dispose();
  });

  it('awaits the gate after every sampled token, flagging batches where a round ended', async () => {
    const script = ['<search>', 'telmar', '</search>', '<answer>', 'quelaria', '</answer>'];
    const env = new RolloutEnv(scriptedPolicy([script]), tokenizer, retriever, cfg());
    const events: boolean[] = [];
    const [t] = await env.run([items[0]], new Rng(1), {
      gate: async ({ roundEnded }) => {
        events.push(roundEnded);
      },
    });
    expect(events).toHaveLength(t.gen.reduce((a, b) => a + b, 0));
    expect(events).toEqual([false, false, true, false, false, true]);
  });

  it('flags roundsClosed only at the batch where the last generating row ended its round', async () => {
    const scripts = [
      ['<search>', 'telmar', '</search>', '<answer>', 'quelaria', '</answer>'],
      ['zorvak', 'lint', 'born', '<answer>', 'telmar', '</answer>'],
    ];
    const env = new RolloutEnv(scriptedPolicy(scripts), tokenizer, retriever, cfg());
    const events: string[] = [];
    await env.run(items, new Rng(1), {
      gate: ({ roundEnded, roundsClosed }) => void events.push(`${+roundEnded}${+roundsClosed}`),
    });
    // Row 0 ends round 1 at its 3rd token and waits; row 1 answers at its 6th: only then is the round closed.
    // Round 2 is row 0's alone (row 1 is done): its answer closes it.
    expect(events).toEqual(['00', '00', '10', '00', '00', '11', '00', '00', '11']);
  });
});
