import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../src/engine/trainer';
import { connectWorker, fallbackBackend, type WorkerLike } from '../../src/store/bridge';
import { applyMessage, createAppStore, initialState, type AppState } from '../../src/store/state';
import { presetSettings } from '../../src/workers/presets';
import type { FromWorker, ToWorker } from '../../src/workers/protocol';
import type { Snapshot } from '../../src/workers/resume';
import { checkpointToFile, runFromFile, runToFile } from '../../src/workers/runFile';
import { newRunId, RunsDb, type RunRecord } from '../../src/workers/runsDb';
import { packBundle, unpackBundle } from '../../src/engine/checkpoint';

const metrics = (step: number, skipped = 0) =>
  ({ step, reward: step / 10, tokensPerSec: 1, skippedUpdates: skipped }) as unknown as StepMetrics;

function record(id: string, steps: number, updated = 1): RunRecord {
  return {
    id,
    name: `run ${id}`,
    created: 1,
    updated,
    preset: 'test',
    settings: presetSettings('test', 'countries'),
    base: { source: 'built', summary: 'built in the browser' },
    metrics: Array.from({ length: steps }, (_, i) => metrics(i + 1)),
    evals: { base: { step: 0, em: 0.1, emByHops: {}, n: 4 }, points: [] },
    trajectories: null,
    steps,
    checkpointStep: null,
  };
}

const snapshot = (step: number): Snapshot => ({
  step,
  files: {
    'config.json': '{"format":"search-r1-policy/v1"}',
    'weights.bin': new Uint8Array([1, 2, 3, 4]),
    'tokenizer.json': '{}',
    'run.json': '{}',
  },
  reference: new Uint8Array([5, 6, 7, 8]),
  optimizer: { t: 3, m: new Uint8Array([9, 9, 9, 9]), v: new Uint8Array([1, 1, 1, 1]) },
  rng: 12345,
});

describe('RunsDb (IndexedDB)', () => {
  it('saves, lists newest first, renames, keeps record and checkpoint together, deletes both', async () => {
    const db = await RunsDb.open(new IDBFactory());
    await db.putRun(record('a', 3, 10));
    await db.putRunWithCheckpoint(record('b', 5, 20), snapshot(5));
    let list = await db.listRuns();
    expect(list.map((r) => r.id)).toEqual(['b', 'a']);
    expect(list[0]).toMatchObject({ steps: 5, checkpointStep: 5, rewards: [0.1, 0.2, 0.3, 0.4, 0.5] });
    expect(list[1].checkpointStep).toBeNull();
    const snap = await db.getCheckpoint('b');
    expect(snap?.rng).toBe(12345);
    expect(Array.from(snap!.optimizer!.m)).toEqual([9, 9, 9, 9]);
    await db.renameRun('a', 'my run');
    expect((await db.getRun('a'))?.name).toBe('my run');
    await db.deleteRun('b');
    list = await db.listRuns();
    expect(list.map((r) => r.id)).toEqual(['a']);
    expect(await db.getCheckpoint('b')).toBeUndefined();
    await expect(db.renameRun('zz', 'x')).rejects.toThrow(/no saved run "zz"/);
    db.close();
  });
  it('prunes the oldest runs beyond a limit, never the one training', async () => {
    const db = await RunsDb.open(new IDBFactory());
    for (let i = 0; i < 5; i++) await db.putRunWithCheckpoint(record(`r${i}`, 1, i), snapshot(1));
    expect(await db.prune(2, 'r0')).toBe(2);
    expect((await db.listRuns()).map((r) => r.id)).toEqual(['r4', 'r3', 'r0']);
    expect(await db.getCheckpoint('r1')).toBeUndefined();
    db.close();
  });
  it('ids are distinct', () => {
    let k = 0;
    const r = () => (k++ % 7) / 7;
    expect(new Set(Array.from({ length: 7 }, () => newRunId(1000, r))).size).toBe(7);
  });
});

describe('run files', () => {
  it('round-trip a run with its checkpoint and optimiser state', () => {
    const rec = record('a', 4);
    const back = runFromFile(runToFile(rec, snapshot(4)), 'a.sr1run');
    expect(back.record).toEqual(rec);
    expect(back.snapshot).toEqual(snapshot(4));
    expect(back.dataset).toBeUndefined();
  });
  it('a PPO run carries its critic; a file missing part of it is refused by name', () => {
    const snap: Snapshot = {
      ...snapshot(4),
      critic: {
        weights: new Uint8Array([2, 4, 6, 8]),
        optimizer: { t: 8, m: new Uint8Array([1, 2, 3, 4]), v: new Uint8Array([5, 6, 7, 8]) },
      },
    };
    const file = runToFile(record('a', 4), snap);
    expect(runFromFile(file, 'a.sr1run').snapshot).toEqual(snap);
    const { entries } = unpackBundle(file);
    delete entries['critic-optimizer-v.bin'];
    expect(() => runFromFile(packBundle('run', entries), 'a.sr1run')).toThrow(
      /a\.sr1run: the PPO critic is incomplete/,
    );
    // A GRPO snapshot (or one saved before the critic was kept) has none.
    expect(runFromFile(runToFile(record('a', 4), snapshot(4)), 'a.sr1run').snapshot?.critic).toBeUndefined();
  });
  it('a run without a checkpoint yet travels as history only', () => {
    const back = runFromFile(runToFile(record('a', 0), undefined), 'a.sr1run');
    expect(back.snapshot).toBeUndefined();
  });
  it('readable errors: a checkpoint file, a broken file, a bundle without history', () => {
    expect(() => runFromFile(checkpointToFile(snapshot(1)), 'c.sr1ckpt')).toThrow(
      /c\.sr1ckpt: this is a checkpoint, not a saved run/,
    );
    expect(() => runFromFile(new TextEncoder().encode('{"id":1}'), 'x.sr1run')).toThrow(
      /x\.sr1run: not a Search-R1 playground bundle/,
    );
    const good = runToFile(record('a', 1), snapshot(1));
    expect(() => runFromFile(good.subarray(0, good.length - 2), 't.sr1run')).toThrow(
      /t\.sr1run: bundle is truncated/,
    );
  });
  it('a checkpoint file holds exactly the four files the CLI reads', () => {
    expect(Object.keys(unpackBundle(checkpointToFile(snapshot(2))).entries).sort()).toEqual([
      'config.json',
      'run.json',
      'tokenizer.json',
      'weights.bin',
    ]);
  });
});

const apply = (s: AppState, m: FromWorker): AppState => ({ ...s, ...(applyMessage(s, m) ?? {}) });
const summary = (id: string, checkpointStep: number | null) => ({
  id,
  name: id,
  created: 1,
  updated: 1,
  corpus: 'countries',
  preset: 'test',
  algo: 'grpo' as const,
  steps: 3,
  checkpointStep,
  rewards: [0, 0.5, 1],
  em: [],
});

describe('store: saved runs', () => {
  it('offers the last run once after load, only when it can be resumed', () => {
    let s: AppState = { ...initialState('test'), phase: 'idle' };
    s = apply(s, { type: 'runs', runs: [summary('a', 2), summary('b', 1)], storage: null });
    expect(s.resumeOffer?.id).toBe('a');
    s = apply({ ...s, resumeOffer: null }, { type: 'runs', runs: [summary('a', 2)], storage: null });
    expect(s.resumeOffer).toBeNull(); // not again
    const t = apply(
      { ...initialState('test'), phase: 'idle' },
      { type: 'runs', runs: [summary('a', null)], storage: null },
    );
    expect(t.resumeOffer).toBeNull();
  });
  it('a restored run brings its history, settings and last rollouts', () => {
    const rec = record('a', 3);
    rec.trajectories = {
      step: 3,
      groupSize: 2,
      rows: [0, 1].map((i) => ({
        question: 'q',
        golden: ['a'],
        ids: [1, 2],
        roles: ['prompt', 'think'],
        gen: [0, 1],
        loss: [0, 1],
        logp: [0, -1],
        searches: [],
        turns: 1,
        answer: null,
        reward: i,
        advantage: i - 0.5,
      })),
    };
    const before = initialState('browser');
    before.settings = { ...before.settings, backend: 'wasm' }; // e.g. after a device loss
    const s = apply(before, { type: 'restored', runId: 1, record: rec });
    expect(s.settings.backend).toBe('wasm');
    expect(s.metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(s.preset).toBe('test');
    expect(s.settings.corpus).toBe('countries');
    expect(s.live?.scored).toBe(true);
    expect(s.selection.row).toBe(1); // the rewarded rollout
    expect(s.current).toEqual({ id: 'a', steps: 3, checkpointStep: null });
  });
  it('notices accumulate (capped) and upload reports become state', () => {
    let s = initialState('test');
    for (let i = 0; i < 10; i++) s = apply(s, { type: 'notice', runId: 1, level: 'warn', message: `n${i}` });
    expect(s.notices.map((n) => n.text)).toEqual(['n4', 'n5', 'n6', 'n7', 'n8', 'n9']);
    s = apply(s, {
      type: 'upload',
      report: { state: 'failed', message: 'qa.jsonl line 2: invalid JSON', warnings: [] },
    });
    expect(s.upload).toMatchObject({ pending: false, error: 'qa.jsonl line 2: invalid JSON' });
  });
});

class FakeWorker implements WorkerLike {
  sent: ToWorker[] = [];
  terminated = false;
  private handlers: {
    message: ((e: MessageEvent<FromWorker>) => void)[];
    error: ((e: ErrorEvent) => void)[];
  } = {
    message: [],
    error: [],
  };
  postMessage(m: ToWorker) {
    this.sent.push(m);
  }
  addEventListener(type: 'message' | 'error', f: (e: never) => void) {
    this.handlers[type].push(f as never);
  }
  terminate() {
    this.terminated = true;
  }
  emit(m: FromWorker) {
    for (const f of this.handlers.message) f({ data: m } as MessageEvent<FromWorker>);
  }
  fail(message: string) {
    for (const f of this.handlers.error) f({ message, preventDefault() {} } as unknown as ErrorEvent);
  }
}

describe('bridge: faults', () => {
  function setup() {
    const workers: FakeWorker[] = [];
    const store = createAppStore('test');
    const downloads: string[] = [];
    const actions = connectWorker(
      store,
      () => {
        const w = new FakeWorker();
        workers.push(w);
        return w;
      },
      'http://x/',
      (name) => downloads.push(name),
    );
    return { workers, store, actions, downloads };
  }

  it('a crashed worker is replaced and the saved run resumes from its checkpoint, playing on', () => {
    const { workers, store } = setup();
    const w = workers[0];
    const runId = store.getState().runId;
    w.emit({ type: 'status', runId, phase: 'training', message: 'GRPO step 7…' });
    w.emit({ type: 'saved', runId, id: 'run-x', steps: 6, checkpointStep: 5 });
    w.fail('out of memory');
    expect(w.terminated).toBe(true);
    expect(workers).toHaveLength(2);
    const sent = workers[1].sent;
    expect(sent[0].type).toBe('init');
    expect(sent[1]).toMatchObject({ type: 'resume', id: 'run-x', play: true, runId: runId + 1 });
    expect(store.getState().notices[0].text).toMatch(/training worker failed: out of memory.*GRPO step 5/);
    w.emit({ type: 'status', runId: runId + 1, phase: 'error', message: 'late' }); // the old worker is ignored
    expect(store.getState().phase).toBe('starting');
  });

  it('a lost WebGPU device restarts on the next backend (WASM) and says so', () => {
    const { workers, store } = setup();
    const runId = store.getState().runId;
    workers[0].emit({ type: 'backend', runId, backend: 'webgpu', want: 'auto', notice: null });
    workers[0].emit({
      type: 'status',
      runId,
      phase: 'paused',
      message: 'paused',
      hold: { seq: 1, step: 2, at: 'step' },
    });
    workers[0].emit({ type: 'saved', runId, id: 'r', steps: 2, checkpointStep: 2 });
    workers[0].emit({ type: 'device-lost', runId, message: 'the WebGPU device was lost (destroyed)' });
    expect(workers).toHaveLength(2);
    expect(workers[1].sent[0]).toMatchObject({ type: 'init', backend: 'wasm' });
    expect(workers[1].sent[1]).toMatchObject({ type: 'resume', id: 'r', play: false });
    expect(store.getState().settings.backend).toBe('wasm');
    expect(store.getState().notices[0].text).toMatch(
      /device was lost.*continuing on WASM from the last checkpoint \(GRPO step 2\)/,
    );
    expect(fallbackBackend('wasm')).toBe('cpu');
    expect(fallbackBackend('cpu')).toBe('cpu');
  });

  it('restarts are capped: a worker that keeps dying shows an error', () => {
    const { workers, store } = setup();
    for (let i = 0; i < 4; i++) workers[workers.length - 1].fail(`boom ${i}`);
    expect(workers).toHaveLength(4);
    expect(store.getState().phase).toBe('error');
    expect(store.getState().error).toMatch(/boom 3/);
  });

  it('an exported file is handed to the download function; an upload switches the corpus when done', () => {
    const { workers, store, downloads } = setup();
    workers[0].emit({ type: 'exported', fileName: 'r.sr1run', bytes: new ArrayBuffer(1) });
    expect(downloads).toEqual(['r.sr1run']);
    workers[0].emit({
      type: 'upload',
      report: { state: 'done', message: 'loaded', warnings: ['w'], corpus: 'upload-x' },
    });
    expect(store.getState().settings.corpus).toBe('upload-x');
    expect(store.getState().upload.warnings).toEqual(['w']);
  });
});
