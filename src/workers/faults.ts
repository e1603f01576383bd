/**
 * Fault drills (the page's debug message, used by the browser checks): a simulated worker crash, a lost WebGPU
 * device, and a NaN gradient on a run's next update, which the optimiser must skip. Knows the trainer's optimiser,
 * the device watch (device.ts) and the Run's one hook (`poisonNextUpdate`); nothing of the page.
 */
import * as tf from '@tensorflow/tfjs';
import type { RlTrainer } from '../engine/ppo';
import { gpuDevice } from './device';
import type { FromWorker } from './protocol';
import type { Run } from './runner';

/** Make the trainer's next optimiser update see a NaN gradient; returns the undo. */
export function poison(trainer: RlTrainer): () => void {
  const opt = trainer.optimizer;
  const apply = opt.apply.bind(opt);
  opt.apply = async (grads) => {
    opt.apply = apply;
    const bad = tf.tidy(() => {
      const out: tf.NamedTensorMap = {};
      for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, NaN);
      return out;
    });
    try {
      return await apply(bad);
    } finally {
      tf.dispose(Object.values(bad));
    }
  };
  return () => {
    opt.apply = apply;
  };
}

/** Set off `fault` for run `runId`; `run` is the worker's current run, if any. */
export function debugFault(
  runId: number,
  fault: 'lose-device' | 'crash' | 'nan',
  run: Run | null,
  post: (m: FromWorker) => void,
): void {
  if (fault === 'crash') {
    setTimeout(() => {
      throw new Error('simulated worker crash');
    }, 0);
    return;
  }
  if (fault === 'nan') {
    if (run && run.runId === runId) run.poisonNextUpdate();
    return;
  }
  const device = gpuDevice();
  if (device?.destroy) device.destroy();
  else post({ type: 'notice', runId, level: 'warn', message: 'no WebGPU device to lose on this backend' });
}
