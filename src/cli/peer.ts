/**
 * Data-parallel training in Node: a worker thread (peer-worker.ts) with its own wasm backend takes half of every
 * rollout batch, scoring pass and gradient (engine/shard.ts), so a run uses two CPU cores. Owns the thread.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../engine/backend';
import { packCheckpoint } from '../engine/checkpoint';
import type { RolloutConfig } from '../engine/config';
import type { Policy } from '../engine/model';
import type { Trajectory } from '../engine/rollout';
import type { GradJob, HostRows, Peer, PeerModel } from '../engine/shard';
import type { Tokenizer } from '../engine/tokenizer';
import type { Passage, QAItem } from '../engine/types';
import type { PeerReply, PeerRequest } from './peer-worker';

/** Compute threads a run uses by default: two where the machine has two cores or more (wasm and cpu only). */
export function defaultThreads(backend: BackendName): number {
  return (backend === 'wasm' || backend === 'cpu') && os.availableParallelism() >= 2 ? 2 : 1;
}

/** Starts the worker through tsx's loader when this file runs as TypeScript (npm run train), directly otherwise. */
function startWorker(): Worker {
  const url = new URL(`./peer-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true });
}

export class WorkerPeer implements Peer {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (x: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor() {
    this.worker = startWorker();
    this.worker.on('message', (m: PeerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (!this.pending.size) this.worker.unref();
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`peer thread: ${m.error}`));
    });
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e: Error) => fail(new Error(`peer thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`peer thread exited (code ${code})`)));
    // The thread keeps the process alive only while a request is pending, so a run that ends (or fails) without
    // stopping it still exits.
    this.worker.unref();
  }

  /** A started peer holding a copy of `policy` and a rollout environment like the caller's. */
  static async start(
    backend: BackendName,
    policy: Policy,
    tokenizer: Tokenizer,
    corpus: Passage[] | null,
    rollout: RolloutConfig,
  ): Promise<WorkerPeer> {
    const peer = new WorkerPeer();
    const checkpoint = await packCheckpoint(policy, tokenizer, {});
    await peer.call({ op: 'init', backend, checkpoint, corpus, rollout });
    return peer;
  }

  private call<T>(req: PeerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (x: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ id, req }, transfer);
    });
  }

  setWeights(which: PeerModel, weights: Float32Array[]): void {
    // Ordered before every later call; a failure makes every later call fail with it.
    this.call({ op: 'weights', which, weights }).catch((e: unknown) => {
      this.failure ??= e as Error;
    });
  }

  run(items: readonly QAItem[], rngState: number, greedy: boolean): Promise<Trajectory[]> {
    return this.call({ op: 'run', items: items.slice(), rngState, greedy });
  }

  score(which: PeerModel, x: HostRows): Promise<Float32Array> {
    return this.call({ op: 'score', which, x });
  }

  grads(job: GradJob): Promise<{ grads: Float32Array[]; stats: number[] }> {
    return this.call({ op: 'grads', job });
  }

  async dispose(): Promise<void> {
    this.failure = new Error('peer thread was stopped');
    await this.worker.terminate();
  }
}
