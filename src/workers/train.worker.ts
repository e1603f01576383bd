/// <reference types="vite/client" />
/**
 * The training worker: owns tfjs and the engine, so the page never runs a tensor op. A thin switch from
 * protocol messages onto runner.ts. Backend choice happens once, at init (WebGPU → WebGL → WASM → CPU).
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { selectBackend } from '../engine/backend';
import type { CorpusInfo, FromWorker, ToWorker } from './protocol';
import { describe, loadCorpus, Run, type LoadedCorpus } from './runner';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

let baseUrl = '';
let currentRunId = 0;
let ready: Promise<CorpusInfo[]> | null = null;
let run: Run | null = null;
const corpora = new Map<string, Promise<LoadedCorpus>>();

async function init(runId: number): Promise<CorpusInfo[]> {
  // Vite fingerprints the wasm files, so the backend gets a name → URL map rather than a directory prefix.
  const choice = await selectBackend('auto', {
    wasmPath: {
      'tfjs-backend-wasm.wasm': new URL(wasmPlain, baseUrl).href,
      'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, baseUrl).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, baseUrl).href,
    },
  });
  post({ type: 'backend', runId, backend: choice.backend, notice: choice.notice });
  const res = await fetch(new URL('corpus/index.json', baseUrl));
  if (!res.ok) throw new Error(`could not load corpus/index.json: HTTP ${res.status}`);
  const list = (await res.json()) as CorpusInfo[];
  if (!Array.isArray(list) || !list.length) throw new Error('corpus/index.json lists no corpora');
  post({ type: 'corpora', runId, corpora: list });
  post({ type: 'status', runId, phase: 'idle', message: 'ready: press Play to train' });
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

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      baseUrl = m.baseUrl;
      currentRunId = m.runId;
      ready = init(m.runId);
      await ready;
      return;
    case 'play':
      if (!ready) throw new Error('worker not initialised');
      await ready;
      if (!run || run.runId !== m.runId) {
        run?.stop();
        currentRunId = m.runId;
        const settings = m.settings;
        run = new Run(m.runId, settings, () => corpus(settings.corpus), post);
      }
      run.play();
      return;
    case 'pause':
      if (run && run.runId === m.runId) run.pause();
      return;
    case 'reset':
      run?.stop();
      run = null;
      currentRunId = m.runId;
      post({ type: 'status', runId: m.runId, phase: 'idle', message: 'reset: press Play to train' });
      return;
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
