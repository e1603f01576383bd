/**
 * Policy model: shapes, probability validity, cached decoding ≡ scoreTokens, seeds, serialisation, leaks.
 * CPU backend, small configs, fixed seeds.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import {
  type ModelConfig,
  Policy,
  fromCheckpoint,
  fromJSONBase64,
  toCheckpoint,
  toJSONBase64,
} from '../../src/engine/model';
import { deviceNextMask, hostNextMask } from '../../src/engine/model/continuation';
import { READ_STEP, slotsRead } from '../../src/engine/model/decode';
import { hostInputStates } from '../../src/engine/model/tagstate';
import { roughen } from '../model-helpers';

const small = (over: Partial<ModelConfig> = {}): ModelConfig => ({
  vocabSize: 40,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  contextLen: 40,
  ffMult: 2,
  pointer: true,
  ...over,
});

function randomRows(rng: Rng, B: number, T: number, V: number): number[][] {
  return Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(V)));
}

async function scoreArrays(p: Policy, rows: number[][]): Promise<{ logp: number[][]; entropy: number[][] }> {
  const t = tf.tensor2d(rows, undefined, 'int32');
  const { logp, entropy } = p.scoreTokens(t);
  const out = { logp: (await logp.array()) as number[][], entropy: (await entropy.array()) as number[][] };
  tf.dispose([t, logp, entropy]);
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('scoreTokens', () => {
  for (const pointer of [true, false]) {
    it(`shapes, finite, valid probabilities (pointer=${pointer})`, async () => {
      const p = Policy.create(small({ pointer }), 1);
      roughen(p, 2);
      const rows = randomRows(new Rng(3), 3, 17, 40);
      const { logp, entropy } = await scoreArrays(p, rows);
      expect(logp.length).toBe(3);
      expect(logp[0].length).toBe(17);
      for (let b = 0; b < 3; b++) {
        expect(Math.abs(logp[b][16])).toBe(0);
        expect(Math.abs(entropy[b][16])).toBe(0);
        for (let t = 0; t < 16; t++) {
          expect(Number.isFinite(logp[b][t])).toBe(true);
          expect(logp[b][t]).toBeLessThanOrEqual(1e-6);
          expect(entropy[b][t]).toBeGreaterThanOrEqual(-1e-5);
          expect(entropy[b][t]).toBeLessThanOrEqual(Math.log(40 + 17) + Math.log(2) + 1e-4);
        }
      }
      p.dispose();
    });
  }

  it('positions zero the outputs elsewhere', async () => {
    const p = Policy.create(small(), 4);
    const rows = randomRows(new Rng(5), 2, 10, 40);
    const full = await scoreArrays(p, rows);
    const mask = rows.map((r) => r.map((_, t) => (t % 2 ? 1 : 0)));
    const t = tf.tensor2d(rows, undefined, 'int32');
    const m = tf.tensor2d(mask);
    const { logp } = p.scoreTokens(t, { positions: m });
    const got = (await logp.array()) as number[][];
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 10; i++) {
        const want = mask[b][i] && i < 9 ? full.logp[b][i] : 0;
        expect(got[b][i]).toBeCloseTo(want, 5);
      }
    }
    tf.dispose([t, m, logp]);
    p.dispose();
  });
});

describe('scoreTokens select (host mask, vocabulary head only on selected rows)', () => {
  it('gives the same values and gradients as the full path masked by positions', async () => {
    const p = Policy.create(small(), 61);
    roughen(p, 62);
    const rows = randomRows(new Rng(63), 3, 11, 40);
    const sel = rows.flatMap((r, b) => r.map((_, t) => ((b + t) % 3 === 0 ? 1 : 0)));
    const tok = tf.tensor2d(rows, undefined, 'int32');
    const pos = tf.tensor2d(sel, [3, 11]);
    const run = (opts: object) =>
      tf.tidy(() => {
        const f = () => {
          const { logp, entropy } = p.scoreTokens(tok, opts);
          return logp.sum().add(entropy.sum().mul(0.3)) as tf.Scalar;
        };
        const { value, grads } = tf.variableGrads(f);
        return [value, ...p.variables.map((v) => grads[v.name])];
      });
    const a = run({ positions: pos });
    const b = run({ select: sel });
    for (let i = 0; i < a.length; i++) {
      const da = await a[i].data();
      const db = await b[i].data();
      da.forEach((x, j) => expect(Math.abs(x - db[j])).toBeLessThan(1e-4));
    }
    const full = p.scoreTokens(tok, { select: sel });
    const plain = p.scoreTokens(tok, { positions: pos });
    expect(maxDiff(await full.logp.data(), await plain.logp.data())).toBeLessThan(1e-5);
    tf.dispose([tok, pos, ...a, ...b, full.logp, full.entropy, plain.logp, plain.entropy]);
    p.dispose();
  });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Tag spans as the tokenizer numbers them: think 4/5, search 6/7, information 8/9, answer 10/11. */
const SPANS: [number, number][] = [
  [4, 5],
  [6, 7],
  [8, 9],
  [10, 11],
];

/**
 * Search-R1-shaped rows over vocabulary 16 (words 12..15, plus the odd <pad>..<unk>): spans of search,
 * information, think and answer, well-formed most of the time, sometimes closed by the wrong tag or left open.
 */
function taggedRows(rng: Rng, B: number, T: number): number[][] {
  return Array.from({ length: B }, () => {
    const row: number[] = [1];
    while (row.length < T) {
      const k = rng.int(4);
      row.push(SPANS[k][0]);
      for (let n = 1 + rng.int(4); n > 0; n--) row.push(rng.next() < 0.9 ? 12 + rng.int(4) : rng.int(4));
      const r = rng.next();
      if (r < 0.7) row.push(SPANS[k][1]);
      else if (r < 0.9) row.push(SPANS[rng.int(4)][1]); // often the wrong close
      for (let n = rng.int(3); n > 0; n--) row.push(12 + rng.int(4)); // words outside any span
    }
    return row.slice(0, T);
  });
}

describe('cached decoding matches scoreTokens', () => {
  for (const [
    pointer,
    copyFrom,
    tagSpans,
    keyContext,
    keyAhead,
    queryPool,
    copyGate,
    copyNext,
    questionMatch,
    keyStates,
  ] of [
    [true, undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    [false, undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    [true, 4, undefined, undefined, undefined, undefined, undefined, undefined],
    [true, 4, SPANS, undefined, undefined, undefined, undefined, undefined],
    [false, undefined, SPANS, undefined, undefined, undefined, undefined, undefined],
    [true, 4, SPANS, 3, undefined, undefined, undefined, undefined],
    [true, 4, SPANS, 3, 2, true, true, undefined],
    [true, undefined, undefined, undefined, 3, true, undefined, undefined],
    [true, 4, SPANS, undefined, undefined, undefined, true, undefined],
    [true, 4, SPANS, 3, undefined, undefined, true, true],
    [true, undefined, SPANS, undefined, undefined, undefined, undefined, true],
    [true, 12, SPANS, 3, undefined, undefined, true, true], // as policies are built: only ids ≥ 12 are words
    [true, 12, SPANS, 3, undefined, undefined, true, true, true], // + question match (information words 12–15)
    [false, 4, SPANS, undefined, undefined, undefined, undefined, undefined, true],
    [true, 12, SPANS, 3, undefined, undefined, true, true, true, true], // + keys read the states before a span
    [true, 4, SPANS, 2, 2, true, undefined, undefined, undefined, true],
  ] as const) {
    it(`token by token and in mixed chunks, ragged rows, skipped rows (pointer=${pointer}, copyFrom=${copyFrom}, tagSpans=${!!tagSpans}, keyContext=${keyContext}, keyAhead=${keyAhead}, queryPool=${queryPool}, copyGate=${copyGate}, copyNext=${copyNext}, questionMatch=${!!questionMatch}, keyStates=${!!keyStates})`, async () => {
      // small vocab → many repeated tokens → the copy head matters
      const cfg = small({
        pointer,
        vocabSize: tagSpans ? 16 : 12,
        copyFrom,
        tagSpans: tagSpans?.slice(),
        keyContext,
        keyAhead,
        queryPool,
        copyGate,
        copyNext,
        questionMatch: questionMatch ? { span: 3, skip: [13] } : undefined, // 13: a "function word"
        keyStates,
        commonVocab: copyGate ? (copyFrom === 12 ? 14 : 10) : undefined, // names: the gate's name share varies
      });
      const p = Policy.create(cfg, 7);
      roughen(p, 8);
      const B = 4;
      const T = cfg.contextLen;
      const rows = tagSpans ? taggedRows(new Rng(9), B, T) : randomRows(new Rng(9), B, T, cfg.vocabSize);
      for (const r of rows) r[0] = Math.max(r[0], copyFrom ?? 0); // a row starts with a word it may copy
      if (questionMatch) expect(hostInputStates(rows.flat(), B, T, cfg)).toContain(SPANS.length + 1); // some match
      const ref = await scoreArrays(p, rows);
      const rng = new Rng(10);
      const state = p.startDecode(B);
      const chunkChoices = [1, 1, 3, 8, 9, 20];
      let checked = 0;
      for (let call = 0; call < 40; call++) {
        const feedRows: { row: number; tokens: number[] }[] = [];
        for (let b = 0; b < B; b++) {
          const len = state.lengths[b];
          if (len >= T - 1 || rng.next() < 0.3) continue; // keep the last token to check against
          const n = Math.min(rng.pick(chunkChoices), T - 1 - len);
          feedRows.push({ row: b, tokens: rows[b].slice(len, len + n) });
        }
        if (feedRows.length === 0) continue;
        const probs = await p.feed(state, feedRows);
        const V = cfg.vocabSize;
        for (let b = 0; b < B; b++) {
          const fed = feedRows.some((r) => r.row === b);
          let sum = 0;
          for (let v = 0; v < V; v++) sum += probs[b * V + v];
          if (!fed) {
            expect(sum).toBe(0);
            continue;
          }
          expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
          const t = state.lengths[b] - 1;
          const want = Math.exp(ref.logp[b][t]);
          expect(Math.abs(probs[b * V + rows[b][t + 1]] - want)).toBeLessThan(1e-4);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
      await expect(() => p.feed(state, [{ row: 0, tokens: new Array<number>(T).fill(1) }])).rejects.toThrow(
        /contextLen/,
      );
      state.dispose();
      p.dispose();
    });
  }

  it('reads whole steps of cache slots that hold every fed row, never past the context', () => {
    expect(READ_STEP).toBe(32);
    const big = small({ contextLen: 256 });
    expect([1, 32, 33, 90, 128, 129, 256].map((n) => slotsRead(big, n))).toEqual([
      32, 32, 64, 96, 128, 160, 256,
    ]);
    expect([1, 32, 33, 40].map((n) => slotsRead(small(), n))).toEqual([32, 32, 40, 40]); // contextLen 40
  });

  it('full distribution after a prefix equals exp(logp) of every candidate next token', async () => {
    const cfg = small({ vocabSize: 16 });
    const p = Policy.create(cfg, 11);
    roughen(p, 12);
    const prefix = randomRows(new Rng(13), 1, 9, 16)[0];
    const state = p.startDecode(2);
    await p.feed(state, [{ row: 1, tokens: prefix.slice(0, 4) }]);
    const probs = await p.feed(state, [{ row: 1, tokens: prefix.slice(4) }]);
    const candidates = Array.from({ length: 16 }, (_, v) => [...prefix, v]);
    const ref = await scoreArrays(p, candidates);
    let sum = 0;
    for (let v = 0; v < 16; v++) {
      expect(Math.abs(probs[16 + v] - Math.exp(ref.logp[v][8]))).toBeLessThan(1e-5);
      sum += probs[16 + v];
      expect(probs[v]).toBe(0);
    }
    expect(sum).toBeCloseTo(1, 5);
    state.dispose();
    p.dispose();
  });
});

describe('tags are never copied (copyFrom)', () => {
  it('gives a tag no copy mass, in decoding and in scoring (host and device masks agree)', async () => {
    const cfg = small({ vocabSize: 12, copyFrom: 4 });
    const p = Policy.create(cfg, 21);
    roughen(p, 22);
    // Force the gate to copy: p(v) ≈ copy mass alone.
    const gate = p.variables.find((v) => v.name.includes('b_gate'))!;
    gate.assign(tf.fill(gate.shape, -30));
    const rows = [
      [5, 2, 6, 3, 7, 2, 8, 9, 1],
      [4, 4, 3, 10, 0, 11, 6, 2, 5],
    ];
    const state = p.startDecode(2);
    const probs = await p.feed(
      state,
      rows.map((tokens, row) => ({ row, tokens })),
    );
    for (let b = 0; b < 2; b++) {
      const seen = new Set(rows[b]);
      for (let v = 0; v < 12; v++) {
        const pv = probs[b * 12 + v];
        if (v < 4 || !seen.has(v)) expect(pv).toBeLessThan(1e-6);
      }
    }
    const t = tf.tensor2d(rows, undefined, 'int32');
    const dev = p.scoreTokens(t);
    const host = p.scoreTokens(t, { hostTokens: rows.flat() });
    const [a, h] = [(await dev.logp.array()) as number[][], (await host.logp.array()) as number[][]];
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 8; i++) {
        expect(Math.abs(a[b][i] - h[b][i])).toBeLessThan(1e-4);
        if (rows[b][i + 1] < 4)
          expect(a[b][i]).toBeLessThan(-20); // a tag target: vocabulary only, gate ≈ 0
        else if (rows[b].slice(0, i + 1).includes(rows[b][i + 1])) expect(a[b][i]).toBeGreaterThan(-10);
      }
    tf.dispose([t, dev.logp, dev.entropy, host.logp, host.entropy]);
    state.dispose();
    p.dispose();
  });
});

describe('keyContext', () => {
  it('rejects values outside 1..4 and adds one key weight per extra previous token', () => {
    for (const bad of [0, 5, 1.5])
      expect(() => Policy.create(small({ keyContext: bad }), 1)).toThrow(/keyContext/);
    const p = Policy.create(small({ keyContext: 3 }), 1);
    expect(p.paramNames.filter((n) => n.startsWith('ptr.wk_e'))).toEqual([
      'ptr.wk_e',
      'ptr.wk_e2',
      'ptr.wk_e3',
    ]);
    p.dispose();
  });
});

describe('keyAhead, queryPool and copyGate', () => {
  it('reject bad values, add one weight per token ahead, one for the pool and one for the gate, and keep earlier weights', async () => {
    for (const bad of [-1, 4, 0.5])
      expect(() => Policy.create(small({ keyAhead: bad }), 1)).toThrow(/keyAhead/);
    expect(() => Policy.create(small({ queryPool: 1 as unknown as boolean }), 1)).toThrow(/queryPool/);
    expect(() => Policy.create(small({ copyGate: 'yes' as unknown as boolean }), 1)).toThrow(/copyGate/);
    const p = Policy.create(small({ keyAhead: 2, queryPool: true, copyGate: true }), 1);
    expect(p.paramNames.slice(-4)).toEqual(['ptr.wk_a1', 'ptr.wk_a2', 'ptr.wq_q', 'ptr.w_gate_c']);
    // the new weights come last: every other weight starts as it would without them
    const plain = Policy.create(small(), 1);
    const a = await p.serialize();
    const b = await plain.serialize();
    expect(a.weights.slice(0, b.weights.length).map((w) => Array.from(w.data))).toEqual(
      b.weights.map((w) => Array.from(w.data)),
    );
    [p, plain].forEach((x) => x.dispose());
  });
});

describe('seeds, cloning, serialisation', () => {
  it('same seed → identical weights; different seed → different', async () => {
    const a = Policy.create(small(), 21);
    const b = Policy.create(small(), 21);
    const c = Policy.create(small(), 22);
    const sa = await a.serialize();
    const sb = await b.serialize();
    const sc = await c.serialize();
    expect(sa.weights.map((w) => w.name)).toEqual(a.paramNames);
    expect(sa.weights.map((w) => Array.from(w.data))).toEqual(sb.weights.map((w) => Array.from(w.data)));
    expect(Array.from(sa.weights[0].data)).not.toEqual(Array.from(sc.weights[0].data));
    [a, b, c].forEach((p) => p.dispose());
  });

  it('serialize → deserialize (object, checkpoint, base64) gives identical scores', async () => {
    const p = Policy.create(small(), 31);
    roughen(p, 32);
    const rows = randomRows(new Rng(33), 2, 12, 40);
    const want = await scoreArrays(p, rows);
    const s = await p.serialize();
    const { manifest, bin } = toCheckpoint(s);
    const json = JSON.parse(JSON.stringify(manifest));
    const bytes = new Uint8Array(bin.buffer.slice(0));
    const viaBin = fromCheckpoint(json, bytes);
    const viaB64 = fromJSONBase64(JSON.parse(JSON.stringify(toJSONBase64(s))));
    const viaPlain = {
      config: s.config,
      weights: s.weights.map((w) => ({ ...w, data: Array.from(w.data) })),
    };
    for (const ser of [viaBin, viaB64, viaPlain]) {
      const q = Policy.deserialize(ser);
      expect(await scoreArrays(q, rows)).toEqual(want);
      q.dispose();
    }
    p.dispose();
  });

  it('cloneFrozen is a non-trainable deep copy; copyWeightsFrom syncs', async () => {
    const p = Policy.create(small(), 41);
    const f = p.cloneFrozen();
    expect(f.variables.every((v) => !v.trainable)).toBe(true);
    expect(p.variables.every((v) => v.trainable)).toBe(true);
    const rows = randomRows(new Rng(42), 2, 8, 40);
    const before = await scoreArrays(f, rows);
    roughen(p, 43);
    expect(await scoreArrays(f, rows)).toEqual(before);
    expect(await scoreArrays(p, rows)).not.toEqual(before);
    f.copyWeightsFrom(p);
    expect(await scoreArrays(f, rows)).toEqual(await scoreArrays(p, rows));
    p.dispose();
    f.dispose();
  });
});

describe('memory', () => {
  it('tensor count flat after scoring, a gradient step, feeds and dispose', async () => {
    const start = tf.memory().numTensors;
    const p = Policy.create(small(), 51);
    const afterCreate = tf.memory().numTensors;
    expect(afterCreate - start).toBe(p.variables.length);
    const rows = randomRows(new Rng(52), 2, 10, 40);
    const tok = tf.tensor2d(rows, undefined, 'int32');
    const base = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        p.scoreTokens(tok).logp.sum();
      });
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => p.scoreTokens(tok).logp.sum().neg() as tf.Scalar);
        p.variables.forEach((v) => v.assign(v.sub(grads[v.name].mul(0.01))));
      });
      expect(tf.memory().numTensors).toBe(base);
    }
    const state = p.startDecode(3);
    const withState = tf.memory().numTensors;
    await p.feed(state, [{ row: 0, tokens: [1, 2, 3] }]);
    await p.feed(state, [
      { row: 1, tokens: [4] },
      { row: 2, tokens: [5, 6] },
    ]);
    await p.feed(state, [{ row: 0, tokens: [7] }]);
    expect(tf.memory().numTensors).toBe(withState);
    state.dispose();
    expect(tf.memory().numTensors).toBe(base);
    tok.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('copyNext', () => {
  it('rejects a non-boolean or a config without tag spans, and adds its two weights last', async () => {
    expect(() => Policy.create(small({ copyNext: 1 as unknown as boolean }), 1)).toThrow(/copyNext/);
    expect(() => Policy.create(small({ copyNext: true }), 1)).toThrow(/copyNext needs tagSpans/);
    const spans = { tagSpans: SPANS.map(([o, c]) => [o, c] as [number, number]), copyGate: true };
    const p = Policy.create(small({ ...spans, copyNext: true }), 1);
    expect(p.paramNames.slice(-3)).toEqual(['ptr.w_gate_c', 'ptr.w_next', 'ptr.b_next']);
    const plain = Policy.create(small(spans), 1);
    const a = await p.serialize();
    const b = await plain.serialize();
    expect(a.weights.slice(0, b.weights.length).map((w) => Array.from(w.data))).toEqual(
      b.weights.map((w) => Array.from(w.data)),
    ); // every earlier weight starts as it would without the feature
    expect(Array.from(a.weights[a.weights.length - 1].data)).toEqual([1]); // b_next starts at 1
    [p, plain].forEach((x) => x.dispose());
  });

  it('marks what followed the current word in other spans: never after a tag, never in the span being written', async () => {
    // ids < 4 are tags (copyFrom 4); 2 opens a span and 3 closes it. States: 0 0 0 1 1 1 1 0 0
    const ids = [5, 6, 5, 2, 5, 5, 6, 3, 5];
    const m = (await hostNextMask(ids, 1, 9, 4, [[2, 3]]).array())[0];
    const want = [
      [0, 0, 0, 0, 0, 0, 0, 0, 0], // t=0: nothing before
      [0, 0, 0, 0, 0, 0, 0, 0, 0], // t=1 (6): no earlier 6
      [0, 0, 0, 0, 0, 0, 0, 0, 0], // t=2 (5): the 5 at 0 is followed by j=1, but in the same span (outside)
      [0, 0, 0, 0, 0, 0, 0, 0, 0], // t=3: a tag
      [0, 1, 0, 0, 0, 0, 0, 0, 0], // t=4 (5, in the span): j=1 (outside); j=3 is the span's own opening tag
      [0, 1, 0, 0, 0, 0, 0, 0, 0], // t=5 (5): j=5 follows the 5 at 4, but inside the span being written (a loop)
      [0, 0, 1, 0, 0, 0, 0, 0, 0], // t=6 (6): j=2 follows the 6 at 1
      [0, 0, 0, 0, 0, 0, 0, 0, 0], // t=7: a tag
      [0, 0, 0, 1, 0, 1, 1, 0, 0], // t=8 (5, outside): j=3, 5, 6 lie in the span; j=1 does not
    ];
    expect(m).toEqual(want);
    // a control id below copyFrom (1) whose earlier occurrence is followed by a word in another span: still nothing
    const ctl = (await hostNextMask([1, 5, 2, 1, 6], 1, 5, 4, [[2, 3]]).array())[0];
    expect(ctl[3]).toEqual([0, 0, 0, 0, 0]);
    expect(hostNextMask([1, 5, 2, 1, 6], 1, 5, 0, [[2, 3]]).arraySync()[0][3]).toEqual([0, 1, 0, 0, 0]); // copyFrom 0
  });

  it('device and host masks agree, id 0 and ids below copyFrom included', async () => {
    const rng = new Rng(21);
    const B = 3;
    const T = 24;
    const ids = Array.from({ length: B * T }, () => rng.int(8)); // 2 opens a span, 3 closes it; 0 and 1 repeat
    for (const copyFrom of [0, 4]) {
      const host = hostNextMask(ids, B, T, copyFrom, [[2, 3]]);
      const dev = tf.tidy(() => deviceNextMask(tf.tensor2d(ids, [B, T], 'int32'), copyFrom, [[2, 3]]));
      const [h, d] = [await host.data(), await dev.data()];
      expect(Array.from(d)).toEqual(Array.from(h));
      expect(Array.from(h).reduce((a, x) => a + x, 0)).toBeGreaterThan(10); // the rows do hold continuations
      tf.dispose([host, dev]);
    }
  });

  it('continues a copy: with a strong continuation the next token is the one that followed the current word', async () => {
    const p = Policy.create(small({ vocabSize: 12, copyFrom: 4, tagSpans: [[2, 3]], copyNext: true }), 3);
    roughen(p, 4);
    const byName = new Map(p.paramNames.map((n, i) => [n, p.variables[i]]));
    byName.get('ptr.b_gate')!.assign(tf.fill([1], -30)); // copy only
    byName.get('ptr.b_next')!.assign(tf.fill([1], 40));
    // "7 9 8 10 5 <2> 7": after writing 7 inside the span opened by 2, the copy head points at the 9 that followed it
    const row = [7, 9, 8, 10, 5, 2, 7];
    const state = p.startDecode(1);
    const probs = await p.feed(state, [{ row: 0, tokens: row }]);
    expect(probs[9]).toBeGreaterThan(0.99);
    const t = tf.tensor2d([[...row, 9]], undefined, 'int32');
    const dev = p.scoreTokens(t);
    const host = p.scoreTokens(t, { hostTokens: [...row, 9] });
    const [d, h] = [(await dev.logp.array()) as number[][], (await host.logp.array()) as number[][]];
    expect(Math.exp(d[0][row.length - 1])).toBeGreaterThan(0.99);
    for (let i = 0; i < row.length; i++) expect(Math.abs(d[0][i] - h[0][i])).toBeLessThan(1e-4);
    tf.dispose([t, dev.logp, dev.entropy, host.logp, host.entropy]);
    state.dispose();
    p.dispose();
  });
});
