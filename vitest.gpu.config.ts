import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// WebGPU numerics in Node (Dawn `webgpu` package over Chromium's SwiftShader Vulkan ICD):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx vitest run --config vitest.gpu.config.ts
// Debian's chromium ships libvulkan.so.1 in /usr/lib/chromium, off the loader path; the forked test workers inherit
// these variables, so Dawn finds the loader and the ICD without system Vulkan packages.
const CHROMIUM_LIB = '/usr/lib/chromium';
if (existsSync(`${CHROMIUM_LIB}/libvulkan.so.1`)) {
  const cur = process.env.LD_LIBRARY_PATH;
  if (!cur?.split(':').includes(CHROMIUM_LIB))
    process.env.LD_LIBRARY_PATH = cur ? `${cur}:${CHROMIUM_LIB}` : CHROMIUM_LIB;
}
process.env.VK_ICD_FILENAMES ??= `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;

export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/gpu/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
