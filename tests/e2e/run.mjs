// End-to-end check of the built app in headless Chromium (Debian's /usr/bin/chromium via playwright-core).
// Usage: npx vite build && node tests/e2e/run.mjs   (env E2E_TIMEOUT_S scales the generous waits; default 900)
// Serves dist/ with scripts/serve.mjs on a free port, opens /?preset=test (a tiny run), and checks: no console
// errors, WebGPU backend badge, Play yields a trajectory with search + information segments and a metrics row,
// Pause stops the step counter, the search inspector returns scored passages. Saves a screenshot to
// $E2E_SCREENSHOT (the README's is refreshed with E2E_SCREENSHOT=docs/screenshot.png), else dist/e2e-screenshot.png.
// Prints "E2E: N passed, M failed" last and exits non-zero on any failure. Server and browser are always stopped.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
const LONG = Number(process.env.E2E_TIMEOUT_S ?? 900) * 1000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const results = [];
const consoleErrors = new Set();
const log = (s) => process.stdout.write(`${s}\n`);

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`  ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    log(`  FAIL ${name}: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startServer(port) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts/serve.mjs'), '--port', String(port)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15_000);
    const onData = (d) => {
      out += d;
      if (out.includes('running')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code}: ${out}`));
    });
  });
}

function watchConsole(target, where) {
  target.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.add(`[${where}] ${m.text()}`);
  });
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    log('error: dist/index.html is missing: run "npx vite build" first');
    log('E2E: 0 passed, 1 failed');
    process.exit(1);
  }
  let server = null;
  let browser = null;
  const t0 = Date.now();
  try {
    const port = await freePort();
    server = await startServer(port);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-unsafe-webgpu',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    watchConsole(page, 'page');
    page.on('worker', (w) => watchConsole(w, 'worker'));
    page.on('pageerror', (e) => consoleErrors.add(`[pageerror] ${e.message}`));
    const url = `http://localhost:${port}/?preset=test${process.env.E2E_QUERY ?? ''}`;
    log(`E2E against ${url}`);

    await check('page loads without console errors', async () => {
      await page.goto(url);
      await page.waitForFunction(
        () => document.querySelector('[data-testid=status]')?.textContent?.includes('ready'),
        null,
        { timeout: LONG },
      );
      const err = await page.locator('[data-testid=error]').count();
      if (err) throw new Error(`error banner: ${await page.locator('[data-testid=error]').innerText()}`);
      if (consoleErrors.size) throw new Error([...consoleErrors].join(' | '));
    });

    await check('backend badge says WebGPU', async () => {
      const badge = (await page.locator('[data-testid=backend-badge]').innerText()).trim();
      if (!badge.includes('WebGPU')) {
        const notice = await page.locator('[data-testid=backend-notice]').allInnerTexts();
        throw new Error(`badge "${badge}"; notice: ${notice.join(' ') || 'none'}`);
      }
    });

    await check('Play yields a metrics row and a trajectory with search + information', async () => {
      await page.click('[data-testid=play]');
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid=error]') !== null ||
          (document.querySelectorAll('[data-testid=metrics-row]').length > 0 &&
            document.querySelector('[data-testid=trajectory] [data-role=search]') !== null &&
            document.querySelector('[data-testid=trajectory] [data-role=information]') !== null),
        null,
        { timeout: LONG, polling: 500 },
      );
      if (await page.locator('[data-testid=error]').count()) {
        throw new Error(await page.locator('[data-testid=error]').innerText());
      }
      log(
        `       (search + information seen at GRPO step ${await page.locator('[data-testid=step-count]').innerText()})`,
      );
    });

    await check('Pause stops the step counter', async () => {
      await page.click('[data-testid=pause]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=status]')?.textContent?.startsWith('paused'),
        null,
        { timeout: LONG, polling: 250 },
      );
      const before = await page.locator('[data-testid=step-count]').innerText();
      await page.waitForTimeout(4000);
      const after = await page.locator('[data-testid=step-count]').innerText();
      if (before !== after) throw new Error(`step counter moved from ${before} to ${after} while paused`);
      if (await page.locator('[data-testid=play]').isDisabled())
        throw new Error('Play is not enabled after pause');
    });

    await check('search inspector returns scored passages', async () => {
      await page.fill('[data-testid=search-input]', 'capital city');
      await page.click('[data-testid=search-button]');
      await page.waitForSelector('[data-testid=search-hit]', { timeout: 60_000 });
      const hits = await page.locator('[data-testid=search-hit]').allInnerTexts();
      if (!hits.length || !hits.every((h) => /score \d+\.\d{3}/.test(h)))
        throw new Error(`hits: ${hits.join(' / ')}`);
    });

    await check('bad data shows a readable error naming file and line', async () => {
      const bad = await browser.newContext();
      try {
        // Dedicated-worker fetches go through the context's routes: serve a broken QA file to the worker.
        await bad.route('**/corpus/countries/train.jsonl', (r) =>
          r.fulfill({
            status: 200,
            contentType: 'application/x-ndjson',
            body: '{"id": "q1", "question": "x"\n',
          }),
        );
        const p2 = await bad.newPage();
        await p2.goto(`http://localhost:${port}/?preset=test&corpus=countries`);
        await p2.waitForFunction(
          () => document.querySelector('[data-testid=status]')?.textContent?.includes('ready'),
          null,
          { timeout: LONG },
        );
        await p2.click('[data-testid=play]');
        await p2.waitForSelector('[data-testid=error]', { timeout: 60_000 });
        const text = await p2.locator('[data-testid=error]').innerText();
        if (!/train\.jsonl line 1: invalid JSON/.test(text)) throw new Error(`error text: ${text}`);
      } finally {
        await bad.close();
      }
    });

    await check('no console errors during the run', async () => {
      if (consoleErrors.size) throw new Error([...consoleErrors].join(' | '));
    });

    fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
    const shot = process.env.E2E_SCREENSHOT || 'dist/e2e-screenshot.png';
    await page.screenshot({ path: path.resolve(root, shot), fullPage: true });
    log(`  screenshot: ${shot} (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`);
  } catch (e) {
    results.push({ name: 'setup', ok: false });
    log(`  FAIL setup: ${e instanceof Error ? e.message : e}`);
  } finally {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) server.kill('SIGTERM');
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`E2E: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
