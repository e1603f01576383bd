/// <reference types="vite/client" />
/**
 * The worker's tfjs backend: chosen once, at init (the page's choice, or WebGPU → WebGL → WASM → CPU, through
 * engine/backend.ts), with the bundled wasm files and wasm kept single-threaded; then, on WebGPU, a watch on the
 * device. A lost device, or one out of memory (reported by the device or thrown by tfjs), is given up once, as a
 * 'device-lost' message: the page starts a fresh worker on the next backend and resumes the run from its last
 * checkpoint. Knows tfjs and the protocol; nothing of runs.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../engine/backend';
import type { FromWorker } from './protocol';
import type { BackendPref } from './settings';

export type GpuDevice = {
  lost?: Promise<{ message: string; reason?: string }>;
  destroy?: () => void;
  /** The fault drill 'oom' wraps this (faults.ts); tfjs-backend-webgpu's buffer manager calls it for every buffer. */
  createBuffer?: (desc: { size: number; usage: number; mappedAtCreation?: boolean }) => unknown;
  addEventListener?: (
    type: 'uncapturederror',
    f: (e: { error: { constructor: { name: string }; message: string } }) => void,
  ) => void;
};
export const gpuDevice = () => (tf.backend() as unknown as { device?: GpuDevice }).device;

/**
 * How an allocation failure reads when it is thrown through tfjs rather than reported by the device. Chromium's
 * GPUDevice.createBuffer throws a RangeError "createBuffer failed, size (N) is too large for the implementation when
 * mappedAtCreation == true" when it cannot allocate a mapped buffer (Blink's gpu_buffer.cc), and
 * tfjs-backend-webgpu creates every buffer it fills from the CPU mapped (uploadToGPU); tfjs adds no message of its own.
 */
const GPU_OOM =
  /out of memory|failed to allocate|allocation failed|createBuffer failed.*too large for the implementation/i;

/**
 * The wasm backend's multi-threaded build starts its pthread workers from a blob whose code fails once bundled
 * ("e is not defined"), so the worker keeps wasm single-threaded (SIMD still on). Registers the wasm backend early
 * so that its flag exists; selectBackend finds it registered.
 */
async function singleThreadedWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

/** Whether the worker has given its device up, and the one 'device-lost' message that says so. */
export class DeviceWatch {
  /** Given up: the page restarts on another backend; failures of the lost device are expected. */
  lost = false;
  /** Errors the device reported that were not out of memory (validation, internal); the first is posted once. */
  deviceErrors = 0;

  constructor(
    private readonly post: (m: FromWorker) => void,
    /** The run the 'device-lost' message names (the page's current run when it happens). */
    private readonly runId: () => number,
    /** The tfjs backend in use (a fake in the unit tests). */
    private readonly backend: () => string = () => tf.getBackend(),
  ) {}

  /** Choose the backend (`want`, falling back down the list) and, on WebGPU, watch the device. */
  async select(want: BackendPref, baseUrl: string): Promise<BackendChoice> {
    await singleThreadedWasm();
    // Vite fingerprints the wasm files, so the backend gets a name → URL map rather than a directory prefix.
    const choice = await selectBackend(want, {
      wasmPath: {
        'tfjs-backend-wasm.wasm': new URL(wasmPlain, baseUrl).href,
        'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, baseUrl).href,
        'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, baseUrl).href,
      },
    });
    if (choice.backend === 'webgpu') this.watch();
    return choice;
  }

  /** Give the run up on this device: the page restarts on the next backend from the last checkpoint. */
  abandon(message: string): void {
    if (this.lost) return;
    this.lost = true;
    this.post({ type: 'device-lost', runId: this.runId(), message });
  }

  /** A run's error: one that reads as WebGPU out of memory gives the device up. True: drop it (the device is lost). */
  dropsError(message: string): boolean {
    if (this.backend() === 'webgpu' && GPU_OOM.test(message))
      this.abandon(`WebGPU ran out of memory (${message})`);
    return this.lost;
  }

  /** Watch `device` (public for the unit tests, which pass a fake). */
  watch(device: GpuDevice | undefined = gpuDevice()): void {
    void device?.lost?.then((info) =>
      this.abandon(`the WebGPU device was lost (${info.message || info.reason || 'no reason given'})`),
    );
    device?.addEventListener?.('uncapturederror', (e) => {
      // Out of GPU memory is reported as an uncaptured GPUOutOfMemoryError; the device is of no further use.
      if (e.error.constructor.name === 'GPUOutOfMemoryError') {
        this.abandon(`WebGPU ran out of memory (${e.error.message || 'no details'})`);
        return;
      }
      // A validation or internal error throws nothing in tfjs: the kernel's result is silently wrong. Say so in
      // the page, once, rather than only in the console.
      if (this.deviceErrors++ === 0) {
        const first = (e.error.message || 'no details').split('\n')[0];
        this.post({
          type: 'notice',
          runId: this.runId(),
          level: 'warn',
          message: `WebGPU reported an error (${e.error.constructor.name}: ${first}); results on this device may be wrong — switch the backend to WASM to compare`,
        });
      }
    });
  }
}
