/**
 * Fault drills (the page's debug message, used by the browser checks): a simulated worker crash, a lost WebGPU
 * device, WebGPU out of memory on a run's next upload, and a NaN gradient on a run's next update, which the
 * optimiser must skip. Knows the trainer's optimiser, the WebGPU device (device.ts) and the Run's one hook
 * (`poisonNextUpdate`); nothing of the page.
 */
import * as tf from '@tensorflow/tfjs';
import type { RlTrainer } from '../engine/ppo';
import { gpuDevice, type GpuDevice } from './device';
import type { DebugFault, FromWorker } from './protocol';
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

/**
 * What Chromium throws when WebGPU cannot allocate a buffer mapped at creation (Blink's gpu_buffer.cc, with the
 * bindings' "Failed to execute" prefix): a RangeError, as seen in the wild when GPU memory runs out.
 */
export const oomMessage = (size: number) =>
  `Failed to execute 'createBuffer' on 'GPUDevice': createBuffer failed, size (${size}) is too large for the implementation when mappedAtCreation == true`;

/**
 * Make `device`'s next mapped buffer fail as if GPU memory had run out. tfjs-backend-webgpu uploads every tensor it
 * fills from the CPU through such a buffer (uploadToGPU), so the run's next tensor work throws inside tfjs, and the
 * error takes the real path: the Run reports it, DeviceWatch reads it as out of memory and gives the device up.
 */
export function exhaust(device: GpuDevice): boolean {
  const create = device.createBuffer;
  if (!create) return false;
  device.createBuffer = (desc) => {
    if (!desc.mappedAtCreation) return create.call(device, desc);
    device.createBuffer = create; // once
    throw new RangeError(oomMessage(desc.size));
  };
  return true;
}

/** Set off `fault` for run `runId`; `run` is the worker's current run, if any. */
export function debugFault(
  runId: number,
  fault: DebugFault,
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
  if (fault === 'oom') {
    if (!run || run.runId !== runId)
      post({ type: 'notice', runId, level: 'warn', message: 'no run to fail: start one first' });
    else if (!device || !exhaust(device))
      post({
        type: 'notice',
        runId,
        level: 'warn',
        message: 'no WebGPU memory to run out of on this backend',
      });
    return;
  }
  if (device?.destroy) device.destroy();
  else post({ type: 'notice', runId, level: 'warn', message: 'no WebGPU device to lose on this backend' });
}
