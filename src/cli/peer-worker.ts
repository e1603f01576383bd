/**
 * The peer's side of data-parallel training (engine/shard.ts): a worker thread with its own wasm backend, copies of
 * the policy and the frozen reference, and its own rollout environment over the same corpus. Handles the main
 * thread's requests strictly in order (WorkerPeer in peer.ts).
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../engine/backend';
import { unpackCheckpoint, type CheckpointFiles } from '../engine/checkpoint';
import type { RolloutConfig } from '../engine/config';
import type { Policy } from '../engine/model';
import { RolloutEnv } from '../engine/rollout';
import { buildRetriever } from '../engine/session';
import {
  type GradJob,
  type HostRows,
  type PeerModel,
  assignWeights,
  jobGrads,
  rngAt,
  scoreRows,
} from '../engine/shard';
import type { Passage, QAItem } from '../engine/types';
import { nodeBackend } from './node-backend';

export type PeerRequest =
  | {
      op: 'init';
      backend: BackendName;
      checkpoint: CheckpointFiles;
      corpus: Passage[] | null;
      rollout: RolloutConfig;
    }
  | { op: 'weights'; which: PeerModel; weights: Float32Array[] }
  | { op: 'run'; items: QAItem[]; rngState: number; greedy: boolean }
  | { op: 'score'; which: PeerModel; x: HostRows }
  | { op: 'grads'; job: GradJob };

export type PeerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

interface State {
  policy: Policy;
  reference: Policy | null;
  env: RolloutEnv;
}

let state: State | null = null;

function ready(): State {
  if (!state) throw new Error('peer: not initialised');
  return state;
}

function model(which: PeerModel): Policy {
  const s = ready();
  if (which === 'policy') return s.policy;
  if (!s.reference) throw new Error('peer: no reference weights were set');
  return s.reference;
}

async function handle(req: PeerRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (req.op) {
    case 'init': {
      const choice = await nodeBackend(req.backend);
      if (choice.backend !== req.backend) throw new Error(`peer: backend ${req.backend} did not start`);
      const { policy, tokenizer } = unpackCheckpoint(req.checkpoint);
      const retriever = req.corpus ? buildRetriever(req.corpus, req.rollout.bm25K1) : null;
      state = { policy, reference: null, env: new RolloutEnv(policy, tokenizer, retriever, req.rollout) };
      return { result: null, transfer: [] };
    }
    case 'weights': {
      const s = ready();
      if (req.which === 'reference' && !s.reference) s.reference = s.policy.cloneFrozen();
      assignWeights(model(req.which), req.weights);
      return { result: null, transfer: [] };
    }
    case 'run':
      return {
        result: await ready().env.run(req.items, rngAt(req.rngState), { greedy: req.greedy }),
        transfer: [],
      };
    case 'score': {
      const out = await scoreRows(model(req.which), req.x);
      return { result: out, transfer: [out.buffer as ArrayBuffer] };
    }
    case 'grads': {
      const { grads, stats } = jobGrads(ready().policy, req.job);
      const arrays = await Promise.all(
        grads.map(async (g) => Float32Array.from((await g.data()) as Float32Array)),
      );
      const s = Array.from((await stats.data()) as Float32Array);
      tf.dispose([...grads, stats]);
      return { result: { grads: arrays, stats: s }, transfer: arrays.map((a) => a.buffer as ArrayBuffer) };
    }
  }
}

const port = parentPort;
if (!port) throw new Error('peer-worker.ts runs only as a worker thread');
let queue: Promise<void> = Promise.resolve();
/** The first failure: every later request fails with it (it may have left the models out of step). */
let broken: string | null = null;
port.on('message', (msg: { id: number; req: PeerRequest }) => {
  queue = queue.then(async () => {
    try {
      if (broken) throw new Error(`an earlier request failed: ${broken}`);
      const { result, transfer } = await handle(msg.req);
      port.postMessage({ id: msg.id, ok: true, result } satisfies PeerReply, transfer);
    } catch (e) {
      broken ??= (e as Error).message;
      port.postMessage({ id: msg.id, ok: false, error: (e as Error).stack ?? String(e) } satisfies PeerReply);
    }
  });
});
