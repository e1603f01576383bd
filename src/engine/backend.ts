/**
 * The one place that chooses the tfjs backend: WebGPU first, then WebGL, WASM, CPU, with a notice that says
 * which one runs and why. The host (browser worker or Node CLI) prepares what it must beforehand
 * (navigator.gpu, wasm file location) and passes it in; nothing here touches the DOM or Node APIs.
 */
import * as tf from '@tensorflow/tfjs';
import { installWasmSliceKernels } from './wasm-kernels';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendChoice {
  backend: BackendName;
  /** Why this backend and not a preferred one; null when the first choice ran. */
  notice: string | null;
}

export interface BackendOptions {
  /**
   * Where the tfjs wasm binaries are: a directory (URL or path prefix ending in "/"), or a map from file name
   * (e.g. "tfjs-backend-wasm-simd.wasm") to URL, for bundlers that fingerprint file names.
   */
  wasmPath?: string | Record<string, string>;
  /** Number of wasm threads (where the host supports them). */
  wasmThreads?: number;
}

async function register(name: BackendName, opts: BackendOptions): Promise<void> {
  if (name === 'webgpu') {
    const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    if (!gpu) throw new Error('WebGPU unavailable in this environment (no navigator.gpu)');
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmPath) wasm.setWasmPaths(opts.wasmPath as Parameters<typeof wasm.setWasmPaths>[0]);
    if (opts.wasmThreads) wasm.setThreadsCount(opts.wasmThreads);
  }
}

/** Try `want` (or every backend in order for "auto") and return the first that initialises. */
export async function selectBackend(
  want: BackendName | 'auto',
  opts: BackendOptions = {},
): Promise<BackendChoice> {
  const order =
    want === 'auto' ? BACKEND_ORDER : [want, ...BACKEND_ORDER.filter((b) => b !== want && b !== 'webgl')];
  const failures: string[] = [];
  for (const name of order) {
    try {
      await register(name, opts);
      if (!tf.findBackendFactory(name)) throw new Error(`${name} backend is not registered here`);
      if (!(await tf.setBackend(name))) throw new Error(`${name} failed to initialise`);
      await tf.ready();
      if (name === 'wasm') installWasmSliceKernels();
      const notice = failures.length ? `${failures.join('; ')}: running on ${name.toUpperCase()}` : null;
      return { backend: name, notice };
    } catch (e) {
      failures.push(`${name.toUpperCase()} unavailable (${(e as Error).message})`);
    }
  }
  throw new Error(`no tfjs backend could start: ${failures.join('; ')}`);
}
