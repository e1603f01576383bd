#!/usr/bin/env bash
# The whole suite, in a fixed order: format → typecheck → lint → unit → WebGPU numerics → build → browser.
# Chromium is required (WebGPU in Node uses its SwiftShader Vulkan driver; browser tests drive it): never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
ICD=/usr/lib/chromium/vk_swiftshader_icd.json
if [ ! -x "$CHROMIUM" ] || [ ! -f "$ICD" ]; then
  echo "npm test needs Debian's Chromium (browser tests and WebGPU in Node), and it is not installed."
  echo "Install it with:  sudo apt-get install -y chromium"
  exit 1
fi
export VK_ICD_FILENAMES="$ICD"

step() { printf '\n== %s ==\n' "$1"; }
step "format";    npx prettier --check . --log-level warn
step "typecheck"; npx tsc --noEmit -p .
step "lint";      npx eslint . --max-warnings 0
step "unit";      npx vitest run
step "webgpu";    npx vitest run --config vitest.gpu.config.ts
step "build";     npx vite build --logLevel warn
step "browser";   node tests/e2e/run.mjs
