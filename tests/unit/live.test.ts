import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lossMaskRow } from '../../src/engine/batch';
import { defaultRolloutConfig } from '../../src/engine/config';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { RolloutEnv, type Trajectory } from '../../src/engine/rollout';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import type { Passage, QAItem } from '../../src/engine/types';
import { LiveStream, rowDone } from '../../src/workers/live';
import type { LiveUpdate } from '../../src/workers/protocol';

const corpus: Passage[] = ['Telmar is a city in Quelaria.', 'Brimcorp was founded by Zorvak Lint.'].map(
  (text, i) => ({ id: String(i), title: `T${i}`, text, contents: `"T${i}"\n${text}` }),
);
const items: QAItem[] = [
  { id: 'q1', question: 'Where is Telmar', golden_answers: ['Quelaria'] },
  { id: 'q2', question: 'Who founded Brimcorp?', golden_answers: ['Zorvak Lint'] },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('live rollout stream', () => {
  it('at every gate each rollout has exactly one more generated token or none, and deltas rebuild the rollout', async () => {
    const tokenizer = buildTokenizer({ corpus, train: items, test: [] });
    const policy = newPolicy(tokenizer, 3, { dModel: 16, nLayers: 1, nHeads: 2, contextLen: 128 });
    const cfg = { ...defaultRolloutConfig(), maxTurns: 2, maxTurnTokens: 6 };
    const env = new RolloutEnv(policy, tokenizer, new Retriever(corpus), cfg);
    const maxRounds = cfg.maxTurns + 1;
    const updates: LiveUpdate[] = [];
    const stream = new LiveStream(1, maxRounds, true, (u) => updates.push(u), 0);
    const rows = [items[0], items[0], items[1], items[1]];
    let current: readonly Trajectory[] = [];
    let prev: number[] = rows.map(() => 0);
    let gates = 0;
    const count = (t: Trajectory) => t.gen.reduce((a, b) => a + b, 0);
    const trajs = await env.run(rows, new Rng(5), {
      onTokens: (t) => {
        current = t;
        stream.observe(t);
      },
      gate: () => {
        gates++;
        const now = current.map(count);
        const gained = now.map((n, i) => n - prev[i]);
        expect(gained.every((g) => g === 0 || g === 1)).toBe(true);
        expect(gained.some((g) => g === 1)).toBe(true);
        expect(updates[updates.length - 1].active).toEqual(gained.map((g) => g === 1));
        prev = now;
      },
    });
    stream.flush(trajs);
    policy.dispose();
    expect(gates).toBeGreaterThan(1);
    expect(trajs.every((t) => rowDone(t, maxRounds))).toBe(true);
    expect(stream.allDone(trajs)).toBe(true);
    trajs.forEach((t, r) => {
      const ids: number[] = [];
      const loss: number[] = [];
      for (const u of updates)
        for (const d of u.rows.filter((x) => x.row === r)) {
          ids.splice(d.from, ids.length - d.from, ...d.ids);
          loss.splice(d.from, loss.length - d.from, ...d.loss);
        }
      expect(ids).toEqual(t.ids);
      const m = lossMaskRow(t, t.ids.length + 1, true);
      expect(loss).toEqual(t.ids.map((_, i) => (i > 0 ? m[i - 1] : 0)));
    });
  });
});
