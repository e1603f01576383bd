import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointFromBundle,
  packBundle,
  packCheckpoint,
  unpackBundle,
  unpackCheckpoint,
} from '../../src/engine/checkpoint';
import { defaultGrpoConfig, defaultPpoConfig, defaultRolloutConfig } from '../../src/engine/config';
import { createTrainer, PpoTrainer } from '../../src/engine/ppo';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import { GrpoTrainer } from '../../src/engine/trainer';
import type { Passage, QAItem } from '../../src/engine/types';
import { InputError, loadCheckpoint } from '../../src/cli/common';
import { presetSettings } from '../../src/workers/presets';
import { restoreTrainer, takeSnapshot } from '../../src/workers/resume';
import { checkpointFiles, runFromCheckpoint, runFromFile, runToFile } from '../../src/workers/runFile';
import type { RunRecord } from '../../src/workers/runsDb';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const names = ['Zorvak Lint', 'Mira Tolk', 'Quen Barasu', 'Hildo Prax'];
const cities = ['Telmar', 'Oskovan', 'Brelle', 'Durnhal'];
const corpus: Passage[] = names.map((n, i) => {
  const text = `${n} was born in ${cities[i]}.`;
  return { id: `p${i}`, title: n, text, contents: `"${n}"\n${text}` };
});
const train: QAItem[] = names.map((n, i) => ({
  id: `q${i}`,
  question: `Where was ${n} born?`,
  golden_answers: [cities[i]],
}));
const tokenizer = buildTokenizer({ corpus, train, test: [] });
const retriever = new Retriever(corpus);
const grpo = { ...defaultGrpoConfig(), groupSize: 2, questionsPerStep: 2, lr: 1e-2, warmupSteps: 2 };
const rollout = { ...defaultRolloutConfig(), maxTurnTokens: 5 };
const small = { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 96 };

async function weights(policy: { variables: tf.Variable[] }): Promise<number[]> {
  const parts = await Promise.all(policy.variables.map((v) => v.data()));
  return parts.flatMap((p) => Array.from(p));
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('resume from a snapshot', () => {
  it('continues exactly where an uninterrupted run goes (weights, optimiser, random stream)', async () => {
    const before = tf.memory().numTensors;
    const policy = newPolicy(tokenizer, 3, small);
    const a = new GrpoTrainer(policy, tokenizer, retriever, train, grpo, rollout, new Rng(7));
    await a.step();
    await a.step();
    const snap = await takeSnapshot(a, tokenizer, 2, { note: 'test' });
    const m3 = (await a.step()).metrics;
    const m4 = (await a.step()).metrics;
    const want = await weights(policy);

    // Through the bundle format, as a saved run travels.
    const bundle = packBundle('run', { ...snap.files, 'reference.bin': snap.reference });
    const back = unpackBundle(bundle);
    expect(back.kind).toBe('run');
    const r = restoreTrainer(
      { ...snap, files: checkpointFromBundle(back.entries) },
      retriever,
      train,
      grpo,
      rollout,
    );
    const r3 = (await r.trainer.step()).metrics;
    const r4 = (await r.trainer.step()).metrics;
    expect(r3.reward).toBe(m3.reward);
    expect(r4.kl).toBeCloseTo(m4.kl, 6);
    expect(r4.lr).toBe(m4.lr); // the warm-up went on from update 4, not from 0
    const got = await weights(r.policy);
    expect(got.length).toBe(want.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    expect(maxDiff).toBeLessThan(1e-5);

    a.dispose();
    policy.dispose();
    r.trainer.dispose();
    r.policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PPO: the critic and its optimiser are saved and resumed too (through a run file)', async () => {
    const before = tf.memory().numTensors;
    const cfg = {
      algo: 'ppo' as const,
      grpo: { ...grpo, groupSize: 1, questionsPerStep: 4, miniBatches: 2 },
      ppo: { ...defaultPpoConfig(), criticLr: 1e-2, criticWarmupSteps: 2 },
      rollout,
    };
    const policy = newPolicy(tokenizer, 3, small);
    const a = createTrainer(cfg, policy, tokenizer, retriever, train, new Rng(7)) as PpoTrainer;
    await a.step();
    await a.step();
    const snap = await takeSnapshot(a, tokenizer, 2, { note: 'test' });
    expect(snap.critic?.optimizer.t).toBe(4); // 2 steps × 2 mini-batches
    const m3 = (await a.step()).metrics;
    const m4 = (await a.step()).metrics;
    const want = await weights(policy);
    const wantCritic = await weights(a.critic);

    // As an exported run file travels (IndexedDB stores the same Snapshot object).
    const settings = { ...presetSettings('test', 'countries'), algo: 'ppo' as const };
    const rec: RunRecord = {
      id: 'p',
      name: 'ppo run',
      created: 0,
      updated: 0,
      preset: 'test',
      settings,
      base: null,
      metrics: [],
      evals: { base: null, points: [] },
      trajectories: null,
      steps: 2,
      checkpointStep: 2,
    };
    const back = runFromFile(runToFile(rec, snap), 'p.sr1run').snapshot!;
    expect(back.critic).toEqual(snap.critic);
    const r = restoreTrainer(back, retriever, train, cfg.grpo, rollout, cfg);
    const t = r.trainer as PpoTrainer;
    expect(t).toBeInstanceOf(PpoTrainer);
    const r3 = (await t.step()).metrics;
    const r4 = (await t.step()).metrics;
    expect(r3.reward).toBe(m3.reward);
    expect(r3.valueMean).toBeCloseTo(m3.valueMean, 6); // the critic before step 3's update: the saved one
    expect(r4.valueLoss).toBeCloseTo(m4.valueLoss, 6);
    expect(r4.criticLr).toBe(m4.criticLr); // the critic's warm-up went on too
    expect(r4.lr).toBe(m4.lr);
    expect(maxAbsDiff(await weights(r.policy), want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await weights(t.critic), wantCritic)).toBeLessThan(1e-5);

    // A snapshot saved before the critic was kept still loads: a fresh critic (so the runs part ways).
    const old = restoreTrainer({ ...snap, critic: undefined }, retriever, train, cfg.grpo, rollout, cfg);
    const o = old.trainer as PpoTrainer;
    expect(o.criticOptimizer.stepCount).toBe(0);
    expect(maxAbsDiff(await weights(o.critic), wantCritic)).toBeGreaterThan(1e-3);
    expect((await o.step()).metrics.valueMean).not.toBeCloseTo(m3.valueMean, 6);
    // A critic of the wrong size is refused, and nothing leaks.
    const bad = { ...snap, critic: { ...snap.critic!, weights: snap.critic!.weights.subarray(4) } };
    expect(() => restoreTrainer(bad, retriever, train, cfg.grpo, rollout, cfg)).toThrow(
      /the saved critic holds \d+ floats, the model \d+/,
    );

    for (const x of [a, r.trainer, old.trainer]) x.dispose();
    for (const x of [policy, r.policy, old.policy]) x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('single-file bundles', () => {
  it('round-trip text and binary entries', () => {
    const bin = new Uint8Array([0, 1, 2, 255]);
    const b = unpackBundle(packBundle('checkpoint', { 'a.json': '{"x":"ü"}', 'w.bin': bin }));
    expect(b).toEqual({ kind: 'checkpoint', entries: { 'a.json': '{"x":"ü"}', 'w.bin': bin } });
  });
  it('reject what is not a whole bundle, readably', () => {
    const good = packBundle('checkpoint', { 'a.json': '{}', 'w.bin': new Uint8Array(8) });
    expect(() => unpackBundle(new TextEncoder().encode('{"id": 1}\n'))).toThrow(
      /not a Search-R1 playground bundle/,
    );
    expect(() => unpackBundle(good.subarray(0, good.length - 3))).toThrow(/truncated \(entry "w.bin"\)/);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(() => unpackBundle(longer)).toThrow(/trailing bytes/);
    expect(() => checkpointFromBundle(unpackBundle(good).entries)).toThrow(/missing config.json/);
  });
  it('the CLI loads a checkpoint from an exported file (checkpoint or run) as from a folder', async () => {
    const policy = newPolicy(tokenizer, 9, small);
    const files = await packCheckpoint(policy, tokenizer, { steps: 3 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr1-bundle-'));
    try {
      const one = path.join(dir, 'run.sr1');
      fs.writeFileSync(one, packBundle('run', { ...files, 'history.json': '{}' }));
      const loaded = loadCheckpoint(one);
      expect(await weights(loaded.policy)).toEqual(await weights(policy));
      expect(loaded.tokenizer.vocab).toEqual(tokenizer.vocab);
      expect(loaded.meta).toEqual({ steps: 3 });
      loaded.policy.dispose();
      const bad = path.join(dir, 'bad.sr1');
      fs.writeFileSync(bad, 'hello');
      expect(() => loadCheckpoint(bad)).toThrow(InputError);
      expect(() => loadCheckpoint(bad)).toThrow(/bad\.sr1: not a Search-R1 playground bundle/);
      // The folder form still works.
      const folder = path.join(dir, 'ckpt');
      fs.mkdirSync(folder);
      for (const [n, v] of Object.entries(files)) fs.writeFileSync(path.join(folder, n), v);
      const fromDir = loadCheckpoint(folder);
      expect(await weights(fromDir.policy)).toEqual(await weights(policy));
      fromDir.policy.dispose();
      const u = unpackCheckpoint(files);
      u.policy.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      policy.dispose();
    }
  });
});

describe('the reverse: a CLI checkpoint becomes a run in the browser', () => {
  it('is found among chosen files, and resumes at step 0 with it as the base', async () => {
    const policy = newPolicy(tokenizer, 4, small);
    const files = await packCheckpoint(policy, tokenizer, { from: 'cli' });
    const enc = (v: string | Uint8Array) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
    const folder = Object.entries(files).map(([n, v]) => ({ name: `ckpt/${n}`, bytes: enc(v) }));
    const found = checkpointFiles(folder);
    expect(found).not.toBeNull();
    expect(checkpointFiles(folder.slice(1))).toBeNull();
    expect(checkpointFiles([{ name: 'c.sr1ckpt', bytes: packBundle('checkpoint', files) }])).not.toBeNull();
    expect(
      checkpointFiles([{ name: 'r.sr1run', bytes: packBundle('run', { 'history.json': '{}' }) }]),
    ).toBeNull();
    expect(checkpointFiles([{ name: 'x.json', bytes: enc('{}') }])).toBeNull();

    const settings = presetSettings('test', 'countries');
    const got = runFromCheckpoint(found!, settings, 'test', 'run-1', 'imported');
    expect(got.record).toMatchObject({ steps: 0, checkpointStep: 0, settings: { base: 'checkpoint' } });
    const r = restoreTrainer(got.snapshot!, retriever, train, grpo, rollout);
    expect(await weights(r.policy)).toEqual(await weights(policy));
    expect(await weights(r.trainer.reference)).toEqual(await weights(policy));
    expect(r.trainer.rng.getState()).toBe(new Rng(settings.seed).fork().getState());
    await r.trainer.step(); // trains from it
    expect(await weights(r.policy)).not.toEqual(await weights(policy));
    r.trainer.dispose();
    r.policy.dispose();
    policy.dispose();
  });
});

describe('RunSaver', () => {
  it('saves history each step, checkpoints when due, and reports a failing store once', async () => {
    const { IDBFactory } = await import('fake-indexeddb');
    const { RunsDb } = await import('../../src/workers/runsDb');
    const { RunSaver, CHECKPOINT_EVERY, CHECKPOINT_AFTER_MS } = await import('../../src/workers/saver');
    const db = await RunsDb.open(new IDBFactory());
    const policy = newPolicy(tokenizer, 2, small);
    const trainer = new GrpoTrainer(policy, tokenizer, retriever, train, grpo, rollout, new Rng(1));
    let clock = 0;
    const saved: (number | null)[] = [];
    const failures: string[] = [];
    const record = {
      id: 'r1',
      name: 'r1',
      created: 0,
      updated: 0,
      preset: 'test',
      settings: presetSettings('test', 'countries'),
      base: null,
      metrics: [],
      evals: { base: null, points: [] },
      trajectories: null,
      steps: 0,
      checkpointStep: null,
    };
    const saver = new RunSaver(
      db,
      record,
      (r) => saved.push(r.checkpointStep),
      (m) => failures.push(m),
      undefined,
      () => clock,
    );
    expect(saver.due(0)).toBe(true);
    await saver.checkpoint(trainer, tokenizer, 0);
    expect(saver.due(0)).toBe(false);
    expect(saver.due(1)).toBe(false);
    expect(saver.due(1, true)).toBe(true); // at a hold
    expect(saver.due(CHECKPOINT_EVERY)).toBe(true);
    clock = CHECKPOINT_AFTER_MS;
    expect(saver.due(2)).toBe(true); // a minute has passed
    const r = await trainer.step();
    await saver.step(
      { metrics: r.metrics, rewards: r.rewards, advantages: r.advantages, ratios: [] },
      r.trajectories,
      grpo.groupSize,
      true,
    );
    const back = await db.getRun('r1');
    expect(back?.metrics.map((m) => m.step)).toEqual([1]);
    expect(back?.checkpointStep).toBe(0);
    expect(back?.trajectories?.rows).toHaveLength(r.trajectories.length);
    expect(back?.trajectories?.rows[0].ids).toEqual(r.trajectories[0].ids);
    expect((await db.getCheckpoint('r1'))?.step).toBe(0);
    expect(saved).toEqual([0, 0]);
    db.close(); // writes now fail
    await saver.evalPoint({ step: 1, em: 0, emByHops: {}, n: 1 }, 'current');
    await saver.evalPoint({ step: 1, em: 0, emByHops: {}, n: 1 }, 'current');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/could not be saved in the browser/);
    trainer.dispose();
    policy.dispose();
  });
});
