/// <reference types="vite/client" />
/**
 * The training worker: owns tfjs and the engine, so the page never runs a tensor op. A thin switch from
 * protocol messages onto runner.ts. Backend choice happens once, at init (the page's choice, or WebGPU → WebGL →
 * WASM → CPU); switching backend means a fresh worker. A lost WebGPU device is reported as an error.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../engine/backend';
import { probeCheckpoint } from './checkpoints';
import type { BackendPref } from './settings';
import type { BrowserSettings, CorpusInfo, FromWorker, ToWorker } from './protocol';
import { describe, loadCorpus, Run, type LoadedCorpus } from './runner';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

let baseUrl = '';
let currentRunId = 0;
let ready: Promise<CorpusInfo[]> | null = null;
let run: Run | null = null;
const corpora = new Map<string, Promise<LoadedCorpus>>();

function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message: string }> } }).device;
  void device?.lost?.then((info) =>
    post({
      type: 'error',
      runId: currentRunId,
      message: `the WebGPU device was lost (${info.message || 'no reason given'}): reload the page or choose another backend`,
    }),
  );
}

/**
 * The wasm backend's multi-threaded build starts its pthread workers from a blob whose code fails once bundled
 * ("e is not defined"), so the worker keeps wasm single-threaded (SIMD still on). Registers the wasm backend early
 * so that its flag exists; selectBackend finds it registered.
 */
async function singleThreadedWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

async function init(runId: number, want: BackendPref): Promise<CorpusInfo[]> {
  await singleThreadedWasm();
  // Vite fingerprints the wasm files, so the backend gets a name → URL map rather than a directory prefix.
  const choice = await selectBackend(want, {
    wasmPath: {
      'tfjs-backend-wasm.wasm': new URL(wasmPlain, baseUrl).href,
      'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, baseUrl).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, baseUrl).href,
    },
  });
  if (choice.backend === 'webgpu') watchDevice();
  post({ type: 'backend', runId, backend: choice.backend, want, notice: choice.notice });
  const res = await fetch(new URL('corpus/index.json', baseUrl));
  if (!res.ok) throw new Error(`could not load corpus/index.json: HTTP ${res.status}`);
  const list = (await res.json()) as CorpusInfo[];
  if (!Array.isArray(list) || !list.length) throw new Error('corpus/index.json lists no corpora');
  const probes = await Promise.all(list.map((c) => probeCheckpoint(baseUrl, c.name).catch(() => null)));
  post({ type: 'corpora', runId, corpora: list, checkpoints: probes.filter((p) => p !== null) });
  post({ type: 'status', runId, phase: 'idle', message: 'ready: press Play or a Step button to train' });
  return list;
}

/** Loaded once per corpus name and shared by runs and the search inspector. */
function corpus(name: string): Promise<LoadedCorpus> {
  let p = corpora.get(name);
  if (!p) {
    p = (async () => {
      const list = await (ready ?? Promise.reject(new Error('worker not initialised')));
      const info = list.find((c) => c.name === name);
      if (!info) throw new Error(`unknown corpus "${name}"`);
      return loadCorpus(baseUrl, info);
    })();
    p.catch(() => corpora.delete(name)); // a failed load may be retried
    corpora.set(name, p);
  }
  return p;
}

/** The run of `runId`, created (with these settings) if the page started a new one. */
async function runFor(runId: number, settings: BrowserSettings): Promise<Run> {
  if (!ready) throw new Error('worker not initialised');
  await ready;
  if (!run || run.runId !== runId) {
    run?.stop();
    currentRunId = runId;
    run = new Run(runId, settings, () => corpus(settings.corpus), baseUrl, post);
  }
  return run;
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      baseUrl = m.baseUrl;
      currentRunId = m.runId;
      ready = init(m.runId, m.backend);
      await ready;
      return;
    case 'play':
      (await runFor(m.runId, m.settings)).play();
      return;
    case 'step':
      (await runFor(m.runId, m.settings)).step(m.grain);
      return;
    case 'pause':
      if (run && run.runId === m.runId) run.pause();
      return;
    case 'reset':
      run?.stop();
      run = null;
      currentRunId = m.runId;
      post({
        type: 'status',
        runId: m.runId,
        phase: 'idle',
        message: 'reset: press Play or a Step button to train',
      });
      return;
    case 'compare': {
      const reply = { type: 'compare' as const, runId: m.runId, requestId: m.requestId };
      const r = run && run.runId === m.runId ? run : null;
      if (!r) {
        post({ ...reply, error: 'no policy yet: press Play or a Step button first' });
        return;
      }
      r.enqueue(async () => {
        try {
          post({ ...reply, result: await r.compare(m.index) });
        } catch (e) {
          post({ ...reply, error: describe(e) });
        }
      });
      return;
    }
    case 'search': {
      const reply = { type: 'search' as const, runId: m.runId, requestId: m.requestId, query: m.query };
      try {
        const { retriever } = await corpus(m.corpus);
        const hits = retriever.search(m.query, m.k).map((d, i) => ({
          rank: i + 1,
          id: d.id,
          title: d.title,
          text: d.text,
          score: d.score,
        }));
        post({ ...reply, hits });
      } catch (e) {
        post({ ...reply, hits: [], error: describe(e) }); // a search failure is not a training failure
      }
      return;
    }
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  handle(m).catch((err: unknown) =>
    post({ type: 'error', runId: m.runId ?? currentRunId, message: describe(err) }),
  );
};
