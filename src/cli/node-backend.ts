/**
 * Node host preparation for the engine's backend choice: Dawn WebGPU through the `webgpu` package, and the
 * wasm binaries from node_modules. The engine's backend.ts then picks and reports.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { selectBackend, type BackendChoice, type BackendName } from '../engine/backend';

/** Debian's chromium ships the SwiftShader Vulkan driver and a Vulkan loader here. */
const CHROMIUM_LIB = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;

async function installNodeWebGPU(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  if (!process.env.VK_ICD_FILENAMES && (await import('node:fs')).existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const { create, globals } = (await import('webgpu')) as unknown as {
    create: (flags: string[]) => unknown;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}

export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  // entry: …/tfjs-backend-wasm/dist/tf-backend-wasm.node.js (or similar) → the dist folder holds the .wasm files
  return path.dirname(entry) + path.sep;
}

/**
 * Dawn loads libvulkan.so.1, which Debian's chromium ships off the loader path; the dynamic loader reads
 * LD_LIBRARY_PATH only at process start, so a WebGPU run re-executes itself once with the path set.
 * Returns true when the caller should stop (the child ran and this process mirrors its exit code).
 */
export async function reexecForWebGPU(argv: readonly string[]): Promise<boolean> {
  const i = argv.indexOf('--backend');
  const wantsGpu = (i >= 0 && argv[i + 1] === 'webgpu') || argv.includes('--backend=webgpu');
  const fs = await import('node:fs');
  const current = process.env.LD_LIBRARY_PATH ?? '';
  if (
    !wantsGpu ||
    current.split(':').includes(CHROMIUM_LIB) ||
    !fs.existsSync(`${CHROMIUM_LIB}/libvulkan.so.1`)
  )
    return false;
  const { spawnSync } = await import('node:child_process');
  const env = { ...process.env, LD_LIBRARY_PATH: current ? `${current}:${CHROMIUM_LIB}` : CHROMIUM_LIB };
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env,
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
  return true;
}

export async function nodeBackend(want: BackendName | 'auto'): Promise<BackendChoice> {
  if (want === 'webgpu') {
    try {
      await installNodeWebGPU();
    } catch (e) {
      throw new Error(
        `WebGPU in Node needs the 'webgpu' package and a Vulkan driver (apt-get install -y chromium for SwiftShader): ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  const choice = await selectBackend(want === 'auto' ? 'wasm' : want, { wasmPath: wasmDir() });
  if (want !== 'auto' && choice.backend !== want) {
    throw new Error(`backend ${want} could not start: ${choice.notice}`);
  }
  return choice;
}
