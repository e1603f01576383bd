// Data-parallel shards (engine/shard.ts): rows split by tokens, each shard trimmed to its own length, and the
// shards' gradients, stats and log-probs put back together equal the whole batch's. Tiny model, CPU backend. The
// peer thread itself is tested in peer.test.ts.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostBatch } from '../../src/engine/batch';
import { defaultRolloutConfig } from '../../src/engine/config';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { RolloutEnv, type Trajectory } from '../../src/engine/rollout';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import {
  type GradJob,
  type Peer,
  type PeerModel,
  assignWeights,
  hostRows,
  hostWeights,
  jobGrads,
  pickRows,
  scoreBatch,
  scoreRows,
  splitRows,
} from '../../src/engine/shard';
import type { Passage, QAItem } from '../../src/engine/types';
import type { Policy } from '../../src/engine/model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const corpus: Passage[] = ['Ostrel', 'Zel', 'Brelle', 'Durnhal'].map((c, i) => ({
  id: `${i}`,
  title: c,
  text: `${c} is a town on the river ${['Ama', 'Bru', 'Cel', 'Dov'][i]}.`,
  contents: `"${c}"\n${c} is a town on the river ${['Ama', 'Bru', 'Cel', 'Dov'][i]}.`,
}));
const items: QAItem[] = corpus.map((p, i) => ({
  id: `q${i}`,
  question: `Which river runs through ${p.title}?`,
  golden_answers: [['Ama', 'Bru', 'Cel', 'Dov'][i]],
}));

function setup(): { policy: Policy; env: RolloutEnv } {
  const tokenizer = buildTokenizer({ corpus, train: items, test: [] });
  const policy = newPolicy(tokenizer, 3, { dModel: 8, nHeads: 2, nLayers: 1, contextLen: 96 });
  const rollout = { ...defaultRolloutConfig(), maxTurns: 2, maxTurnTokens: 6, maxObsTokens: 24, topk: 1 };
  return { policy, env: new RolloutEnv(policy, tokenizer, new Retriever(corpus), rollout) };
}

async function trajectories(env: RolloutEnv): Promise<Trajectory[]> {
  return env.run([...items, ...items], new Rng(7));
}

/** The same computations as a peer thread, on this thread with a second copy of the models. */
class SameThreadPeer implements Peer {
  calls = 0;
  private readonly models: Record<PeerModel, Policy>;
  constructor(
    policy: Policy,
    private readonly env: RolloutEnv,
  ) {
    this.models = { policy, reference: policy.cloneFrozen() };
  }
  setWeights(which: PeerModel, w: Float32Array[]): void {
    assignWeights(this.models[which], w);
  }
  run(): Promise<Trajectory[]> {
    throw new Error('not used here');
  }
  async score(which: PeerModel, x: Parameters<Peer['score']>[1]): Promise<Float32Array> {
    this.calls++;
    return scoreRows(this.models[which], x);
  }
  async grads(job: GradJob): Promise<{ grads: Float32Array[]; stats: number[] }> {
    const { grads, stats } = jobGrads(this.models.policy, job);
    const out = {
      grads: grads.map((g) => g.dataSync() as Float32Array),
      stats: Array.from(stats.dataSync()),
    };
    tf.dispose([...grads, stats]);
    return out;
  }
  dispose(): void {
    this.models.reference.dispose();
    void this.env;
  }
}

describe('splitRows and pickRows', () => {
  it('splits rows into shards of about equal tokens, keeping their order', () => {
    const lengths = [10, 50, 20, 40, 30, 35];
    // longest first, each to the lighter shard: 50 → A, 40 → B, 35 → B (40 < 50), 30 → A (50 < 75),
    // 20 → B (75 < 80), 10 → A (80 < 95)
    expect(splitRows([0, 1, 2, 3, 4, 5], lengths, 2)).toEqual([
      [0, 1, 4],
      [2, 3, 5],
    ]);
    expect(splitRows([3, 1], lengths, 1)).toEqual([[3, 1]]);
    expect(splitRows([2], lengths, 2)).toEqual([[2]]);
  });
  it('picks rows of a flat array, cut or zero-padded to a length', () => {
    const flat = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 3 rows of 3
    expect(Array.from(pickRows(flat, 3, [2, 0], 2))).toEqual([7, 8, 1, 2]);
    expect(Array.from(pickRows(flat, 3, [1], 4))).toEqual([4, 5, 6, 0]);
  });
});

describe('shards add up to the whole batch', () => {
  it('GRPO: two shards give the one-shard gradient and stats', async () => {
    const { policy, env } = setup();
    const trajs = await trajectories(env);
    const b = hostBatch(trajs, policy.cfg.contextLen, true);
    const lengths = trajs.map((t) => Math.min(t.ids.length, b.length));
    const ref = await scoreBatch(policy, 'reference', b, lengths, null);
    const adv = trajs.map((_, i) => (i % 3) - 1);
    const all = trajs.map((_, i) => i);
    const coefs = { clipEps: 0.2, klCoef: 0.1, entropyCoef: 0.01 };
    // Make the ratio and the KL non-trivial: old and reference log-probs a little off the current ones.
    const old = ref.map((x, i) => (x ? x + 0.05 * Math.sin(i) : 0));
    const job = (rows: number[]): GradJob => {
      const x = hostRows(b, rows, lengths);
      return {
        kind: 'grpo',
        x,
        oldLogp: pickRows(old, b.length, rows, x.length),
        refLogp: pickRows(ref, b.length, rows, x.length).map((v) => v - 0.1),
        advantages: Float32Array.from(rows, (r) => adv[r]),
        count: b.maskedTokens,
        coefs,
      };
    };
    const whole = jobGrads(policy, job(all));
    const shards = splitRows(all, lengths, 2);
    expect(shards.length).toBe(2);
    const parts = shards.map((rows) => jobGrads(policy, job(rows)));
    // each shard is padded only to its own rows' length
    expect(Math.min(...shards.map((rows) => hostRows(b, rows, lengths).length))).toBeLessThanOrEqual(
      b.length,
    );
    const sumStats = parts[0].stats.add(parts[1].stats);
    expect(Array.from(sumStats.dataSync())).toEqual(
      Array.from(whole.stats.dataSync()).map((v) => expect.closeTo(v, 5)),
    );
    let checked = 0;
    whole.grads.forEach((g, i) => {
      const sum = parts[0].grads[i].add(parts[1].grads[i]);
      const scale = Math.max(1e-3, tf.max(tf.abs(g)).dataSync()[0]);
      expect(tf.max(tf.abs(sum.sub(g))).dataSync()[0] / scale).toBeLessThan(1e-4);
      if (tf.max(tf.abs(g)).dataSync()[0] > 0) checked++;
      sum.dispose();
    });
    expect(checked).toBeGreaterThan(5);
    tf.dispose([whole.stats, ...whole.grads, sumStats, ...parts.flatMap((p) => [p.stats, ...p.grads])]);
    policy.dispose();
  });

  it('practice: two shards of every part give the one-shard gradient and loss', async () => {
    const { policy, env } = setup();
    const trajs = await trajectories(env);
    const parts = [trajs.slice(0, 3), trajs.slice(3)].map((p) => ({
      p,
      b: hostBatch(p, policy.cfg.contextLen, true),
    }));
    const count = parts.reduce((a, x) => a + x.b.maskedTokens, 0);
    const split = (n: number) =>
      parts.map(({ p, b }) => {
        const lengths = p.map((t) => Math.min(t.ids.length, b.length));
        return splitRows(
          p.map((_, i) => i),
          lengths,
          n,
        ).map((rows) => hostRows(b, rows, lengths));
      });
    const one = split(1);
    const two = split(2);
    const whole = jobGrads(policy, { kind: 'practice', parts: one.map((s) => s[0]), count });
    const a = jobGrads(policy, { kind: 'practice', parts: two.map((s) => s[0]), count });
    const c = jobGrads(policy, { kind: 'practice', parts: two.map((s) => s[1]), count });
    expect(a.stats.dataSync()[0] + c.stats.dataSync()[0]).toBeCloseTo(whole.stats.dataSync()[0], 5);
    whole.grads.forEach((g, i) => {
      const scale = Math.max(1e-3, tf.max(tf.abs(g)).dataSync()[0]);
      expect(tf.max(tf.abs(a.grads[i].add(c.grads[i]).sub(g))).dataSync()[0] / scale).toBeLessThan(1e-4);
    });
    tf.dispose([whole.stats, a.stats, c.stats, ...whole.grads, ...a.grads, ...c.grads]);
    policy.dispose();
  });

  it('scoreBatch with a peer puts the shards back in the batch layout', async () => {
    const { policy, env } = setup();
    const trajs = await trajectories(env);
    const b = hostBatch(trajs, policy.cfg.contextLen, true);
    const lengths = trajs.map((t) => Math.min(t.ids.length, b.length));
    const peer = new SameThreadPeer(policy, env);
    peer.setWeights('reference', await hostWeights(policy));
    const alone = await scoreBatch(policy, 'reference', b, lengths, null);
    const shared = await scoreBatch(policy, 'reference', b, lengths, peer);
    expect(peer.calls).toBe(1);
    expect(alone.length).toBe(b.rows * b.length);
    let nonzero = 0;
    alone.forEach((v, i) => {
      expect(shared[i]).toBeCloseTo(v, 5);
      if (v !== 0) nonzero++;
    });
    expect(nonzero).toBe(b.maskedTokens);
    peer.dispose();
    policy.dispose();
  });
});
