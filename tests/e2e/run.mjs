// End-to-end check of the built app in headless Chromium (Debian's /usr/bin/chromium via playwright-core).
// Usage: npx vite build && node tests/e2e/run.mjs   (env E2E_TIMEOUT_S scales the generous waits; default 900)
// Serves dist/ with scripts/serve.mjs on a free port and opens /?preset=test&base=checkpoint (a tiny run from the shipped base policy). Checks: no console
// errors; the WebGPU badge; Play streams rollout tokens and a step yields curves and a trajectory with search +
// information; Pause holds; token details on hover; "+1 token" adds exactly one token to every generating rollout;
// "+1 update" applies exactly one update; a clicked search shows what it retrieved; before/after; the search
// inspector; no long task over 200 ms on the main thread once the model is loaded; a shared link restores the
// settings; a backend switch; the shipped-checkpoint path (a tiny checkpoint made here by the CLI, served through a
// route) and its fallback (no checkpoint: built in the browser with a progress bar); readable errors for bad data
// and bad link settings; saved runs (a reload resumes with its history), uploads (a bad one names file and line and
// leaves the loaded corpus answering; HTML in a passage shows as text; a Search-R1 train.parquet loads as its
// questions, a bad one names file and row), and faults (a lost WebGPU device, and WebGPU out of memory, fall back
// to WASM and a crashed worker restarts, all resuming from the checkpoint), and an experiment (a masking ablation,
// two variants × 1 update, overlaid and exported as JSON and SVG). Never asserts on training speed. Saves a screenshot to $E2E_SCREENSHOT (the README's is
// refreshed with E2E_SCREENSHOT=docs/screenshot.png), else dist/e2e-screenshot.png.
// E2E_ONLY=regex runs only the checks whose names match (for working on one; the others are not counted).
// Prints "E2E: N passed, M failed" last and exits non-zero on any failure. Server and browser are always stopped.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
const LONG = Number(process.env.E2E_TIMEOUT_S ?? 900) * 1000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Longest main-thread task allowed once the model is loaded (the responsiveness bar). */
const LONG_TASK_MS = 200;

const results = [];
const consoleErrors = new Set();
const log = (s) => process.stdout.write(`${s}\n`);

const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;

async function check(name, fn) {
  if (ONLY && !ONLY.test(name)) return;
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

/** A tiny base checkpoint of the countries corpus, made by the CLI (`--steps 0`) into a temporary folder. */
function makeCheckpoint(dir) {
  const c = path.join(root, 'public/corpus/countries');
  const test = path.join(dir, 'test.jsonl');
  fs.writeFileSync(
    test,
    fs.readFileSync(path.join(c, 'test.jsonl'), 'utf8').split('\n').slice(0, 20).join('\n'),
  );
  const out = path.join(dir, 'run');
  const args = [
    path.join(root, 'node_modules/tsx/dist/cli.mjs'),
    'src/cli/train.ts',
    ...['--corpus', path.join(c, 'corpus.jsonl'), '--train', path.join(c, 'train.jsonl'), '--test', test],
    ...['--out', out, '--steps', '0', '--base-steps', '1', '--pass-k', '0'],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) =>
      code === 0
        ? resolve(path.join(out, 'checkpoint'))
        : reject(new Error(`CLI exit ${code}: ${err.slice(-400)}`)),
    );
  });
}

function watchConsole(target, where) {
  target.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.add(`[${where}] ${m.text()}`);
  });
}

/** Long tasks on the main thread, recorded from the first script on. */
function recordLongTasks() {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

const ready = (p) =>
  p.waitForFunction(
    () => document.querySelector('[data-testid=status]')?.textContent?.includes('ready'),
    null,
    {
      timeout: LONG,
    },
  );

/** Wait for the worker to hold after `seq` (the status element's data-hold changes). */
const nextHold = (p, seq) =>
  p.waitForFunction(
    (s) => {
      const el = document.querySelector('[data-testid=status]');
      return (
        document.querySelector('[data-testid=error]') !== null || (el?.dataset.hold && el.dataset.hold !== s)
      );
    },
    seq,
    { timeout: LONG, polling: 100 },
  );

const holdSeq = (p) => p.locator('[data-testid=status]').getAttribute('data-hold');
const cells = (p) =>
  p.$$eval('[data-testid=row-cell]', (els) =>
    els.map((e) => ({ gen: Number(e.dataset.gen), took: e.dataset.took === '1', state: e.dataset.state })),
  );
const stripStep = (p) => p.locator('[data-testid=rollout-strip]').getAttribute('data-step');
const stepCount = async (p) => Number(await p.locator('[data-testid=step-count]').innerText());
const curvePoints = (p) => p.locator('[data-testid=spark]').first().getAttribute('data-points').then(Number);
/** Wait until the status says the run holds after exactly `step` GRPO steps. */
const heldAfter = (p, step) =>
  p.waitForFunction(
    (n) =>
      document.querySelector('[data-testid=error]') !== null ||
      document.querySelector('[data-testid=status]')?.textContent === `paused after GRPO step ${n}`,
    step,
    { timeout: LONG, polling: 200 },
  );
/** Wait until the runs list says the run training here has a checkpoint at `step`. */
const checkpointAt = (p, step) =>
  p.waitForFunction(
    (n) =>
      [...document.querySelectorAll('[data-testid=saved-run]')].some(
        (el) => el.textContent.includes('training here') && el.textContent.includes(`checkpoint at ${n}`),
      ),
    step,
    { timeout: LONG, polling: 200 },
  );
/** Play until at least one GRPO step is done, then pause; returns the step it holds after. */
async function trainAndPause(p) {
  await p.click('[data-testid=play]');
  await p.waitForFunction(
    () =>
      document.querySelector('[data-testid=error]') !== null ||
      Number(document.querySelector('[data-testid=step-count]')?.textContent) >= 1,
    null,
    { timeout: LONG, polling: 250 },
  );
  await failOnError(p);
  await p.click('[data-testid=pause]');
  const status = () => p.locator('[data-testid=status]').innerText();
  await p.waitForFunction(
    () =>
      document.querySelector('[data-testid=error]') !== null ||
      document.querySelector('[data-testid=status]')?.textContent?.startsWith('paused'),
    null,
    { timeout: LONG, polling: 200 },
  );
  await failOnError(p);
  if (!/^paused after GRPO step \d+$/.test(await status())) {
    // Held mid-step: finish this step's update, then hold at the step boundary.
    const seq = await holdSeq(p);
    await p.click('[data-testid=step-update]');
    await nextHold(p, seq);
    await failOnError(p);
    if (!/^paused after GRPO step \d+$/.test(await status())) throw new Error(`status: ${await status()}`);
  }
  return stepCount(p);
}
const jsonl = (rows) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

const failOnError = async (p) => {
  if (await p.locator('[data-testid=error]').count())
    throw new Error(await p.locator('[data-testid=error]').innerText());
};

async function main() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    log('error: dist/index.html is missing: run "npx vite build" first');
    log('E2E: 0 passed, 1 failed');
    process.exit(1);
  }
  let server = null;
  let browser = null;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sr1-e2e-'));
  const t0 = Date.now();
  try {
    const port = await freePort();
    server = await startServer(port);
    // Made before the browser starts, so the CLI does not compete with the page for the CPU.
    const checkpoint = makeCheckpoint(tmp);
    await checkpoint.catch(() => {});
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
    const origin = `http://localhost:${port}`;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.addInitScript(recordLongTasks);
    watchConsole(page, 'page');
    page.on('worker', (w) => watchConsole(w, 'worker'));
    page.on('pageerror', (e) => consoleErrors.add(`[pageerror] ${e.message}`));
    const url = `${origin}/?preset=test&base=checkpoint${process.env.E2E_QUERY ?? ''}`;
    log(`E2E against ${url}`);
    let loadedAt = Infinity;

    await check('page loads without console errors', async () => {
      await page.goto(url);
      await ready(page);
      await failOnError(page);
      if (consoleErrors.size) throw new Error([...consoleErrors].join(' | '));
    });

    await check('backend badge says WebGPU', async () => {
      const badge = (await page.locator('[data-testid=backend-badge]').innerText()).trim();
      if (!badge.includes('WebGPU')) {
        const notice = await page.locator('[data-testid=backend-notice]').allInnerTexts();
        throw new Error(`badge "${badge}"; notice: ${notice.join(' ') || 'none'}`);
      }
    });

    await check('Play streams tokens; steps advance the curves and show search + information', async () => {
      await page.click('[data-testid=play]');
      await page.waitForSelector('[data-testid=trajectory] .tok.g', { timeout: LONG });
      loadedAt = await page.evaluate(() => performance.now()); // the model is loaded: rollouts are streaming
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid=error]') !== null ||
          (document.querySelectorAll('[data-testid=metrics-row]').length >= 2 &&
            Number(document.querySelector('[data-testid=eval-curve]')?.dataset.points) >= 2 &&
            document.querySelector('[data-testid=trajectory] [data-role=search]') !== null &&
            document.querySelector('[data-testid=trajectory] [data-role=information]') !== null),
        null,
        { timeout: LONG, polling: 500 },
      );
      await failOnError(page);
      const points = await page.$$eval('[data-testid=spark]', (els) =>
        els.map((e) => Number(e.dataset.points)),
      );
      if (!points.length || points.some((n) => n < 2)) throw new Error(`curve points: ${points.join(',')}`);
      log(
        `       (search + information seen by GRPO step ${await page.locator('[data-testid=step-count]').innerText()})`,
      );
    });

    await check('Pause holds the run: no new tokens, no new steps', async () => {
      await page.click('[data-testid=pause]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=status]')?.textContent?.startsWith('paused'),
        null,
        { timeout: LONG, polling: 250 },
      );
      const before = [
        await page.locator('[data-testid=step-count]').innerText(),
        JSON.stringify(await cells(page)),
      ];
      await page.waitForTimeout(4000);
      const after = [
        await page.locator('[data-testid=step-count]').innerText(),
        JSON.stringify(await cells(page)),
      ];
      if (before.join() !== after.join()) throw new Error(`moved while paused: ${before} → ${after}`);
      if (await page.locator('[data-testid=play]').isDisabled())
        throw new Error('Play is not enabled after pause');
    });

    await check('hovering a generated token shows its log-prob, advantage, ratio and mask', async () => {
      await page.locator('[data-testid=trajectory] .tok.g').first().hover();
      const text = await page.locator('[data-testid=token-details]').innerText();
      for (const want of [/log-prob\s+-?\d+\.\d{3}/, /mask\s+1 \(generated/, /advantage/, /ratio/])
        if (!want.test(text)) throw new Error(`details lack ${want}: ${text}`);
    });

    await check('"+1 token" adds exactly one token to every generating rollout', async () => {
      for (let k = 0; k < 4; k++) {
        const [step0, before, seq] = [await stripStep(page), await cells(page), await holdSeq(page)];
        await page.click('[data-testid=step-token]');
        await nextHold(page, seq);
        await failOnError(page);
        const [step1, after] = [await stripStep(page), await cells(page)];
        if (step1 !== step0) {
          // The held rollout was complete: the update ran and the next group got its first token, each rollout one.
          if (!after.every((c) => c.gen === 1))
            throw new Error(`new step ${step1}: ${JSON.stringify(after)}`);
          continue;
        }
        const gained = after.map((c, i) => c.gen - before[i].gen);
        const took = after.map((c) => c.took);
        if (!gained.every((g, i) => g === (took[i] ? 1 : 0)) || !took.some(Boolean))
          throw new Error(`gained ${gained} (took a token: ${took}) from ${JSON.stringify(before)}`);
        if (before.some((c, i) => c.state === 'done' && gained[i] !== 0))
          throw new Error('a done rollout grew');
      }
    });

    await check('"+1 update" applies exactly one GRPO update, then holds', async () => {
      const before = Number(await page.locator('[data-testid=step-count]').innerText());
      const seq = await holdSeq(page);
      await page.click('[data-testid=step-update]');
      await nextHold(page, seq);
      await failOnError(page);
      const after = Number(await page.locator('[data-testid=step-count]').innerText());
      const status = await page.locator('[data-testid=status]').innerText();
      if (after !== before + 1 || !status.startsWith('paused after GRPO step'))
        throw new Error(`steps ${before} → ${after}, status "${status}"`);
    });

    await check('clicking a <search> in a trajectory shows what it retrieved', async () => {
      // Prefer a search that retrieved passages; one that retrieved nothing must show that, and its
      // <information> block in the trajectory must hold no passage text either.
      const n = await page.locator('[data-testid=row-cell]').count();
      let seen = null;
      for (let i = 0; i < n; i++) {
        await page.locator('[data-testid=row-cell]').nth(i).click();
        const q = page.locator('[data-testid=trajectory] .r-search.g:not(.tag)');
        for (let k = 0; k < Math.min(5, await q.count()); k++) {
          await q.nth(k).click();
          if (!(await page.locator('[data-testid=inspected]').count())) continue;
          const text = await page.locator('[data-testid=inspected]').innerText();
          const hits = await page.locator('[data-testid=retrieved-hit]').allInnerTexts();
          if (hits.length) {
            if (!hits.every((h) => /score \d+\.\d{3}/.test(h))) throw new Error(`hits: ${hits.join(' / ')}`);
            return;
          }
          const passages = await page.locator('[data-testid=trajectory] .r-information:not(.tag)').count();
          if (/No passage matched/.test(text)) {
            if (passages === 0) seen = text;
          } else if (!/not executed/.test(text)) throw new Error(`inspected: ${text.replace(/\n/g, ' ')}`);
        }
      }
      if (!seen) throw new Error('no rollout of the held step has a search query to click');
    });

    await check('before/after: base and current policy answer the same held-out question', async () => {
      await page.click('[data-testid=compare]');
      await page.waitForFunction(
        () =>
          document.querySelectorAll('[data-testid=compare-side]').length === 2 ||
          document.querySelector('#compare-title')?.parentElement?.querySelector('.error-text'),
        null,
        { timeout: LONG },
      );
      const sides = await page.locator('[data-testid=compare-side]').allInnerTexts();
      if (sides.length !== 2 || !/base policy/.test(sides[0]) || !/current policy/.test(sides[1]))
        throw new Error(`sides: ${sides.join(' / ')}`);
    });

    await check('search inspector returns scored passages', async () => {
      await page.fill('[data-testid=search-input]', 'capital city');
      await page.click('[data-testid=search-button]');
      await page.waitForSelector('[data-testid=search-hit]', { timeout: 60_000 });
      const hits = await page.locator('[data-testid=search-hit]').allInnerTexts();
      if (!hits.length || !hits.every((h) => /score \d+\.\d{3}/.test(h)))
        throw new Error(`hits: ${hits.join(' / ')}`);
      // Passages ranked past the run's top-k are shown for context and marked as not read by the policy.
      const topk = Number(await page.locator('[data-testid=setting-topk]').inputValue());
      const unread = await page.locator('[data-testid=search-hit].hit-unread').count();
      if (unread !== Math.max(0, hits.length - topk))
        throw new Error(`${unread} of ${hits.length} hits marked unread with top-k ${topk}`);
    });

    fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
    const shot = process.env.E2E_SCREENSHOT || 'dist/e2e-screenshot.png';
    await page.screenshot({ path: path.resolve(root, shot), fullPage: true });
    log(`  screenshot: ${shot}`);

    await check(`the main thread had no task over ${LONG_TASK_MS} ms once the model was loaded`, async () => {
      const tasks = await page.evaluate(() => window.__longTasks);
      const bad = tasks.filter((t) => t.start >= loadedAt && t.duration > LONG_TASK_MS);
      if (!Number.isFinite(loadedAt)) throw new Error('the model never loaded');
      if (bad.length)
        throw new Error(bad.map((t) => `${t.duration.toFixed(0)} ms at ${t.start.toFixed(0)}`).join(', '));
    });

    await check('a shared link restores the same settings', async () => {
      const set = async (key, value) => {
        const el = page.locator(`[data-testid=setting-${key}]`);
        await el.fill(String(value));
        await el.press('Enter');
      };
      await set('groupSize', 3);
      await set('klCoef', 0.05);
      await page.locator('[data-testid=setting-reward]').selectOption('f1');
      await page.locator('[data-testid=setting-maskInformation]').uncheck();
      const link = await page.locator('[data-testid=share-link]').getAttribute('href');
      if (link !== page.url()) throw new Error(`share link ${link} is not the page URL ${page.url()}`);
      const p2 = await browser.newPage();
      try {
        await p2.goto(link);
        await ready(p2);
        const read = (p) =>
          p.$$eval('[data-testid^=setting-]', (els) =>
            els.map((e) => `${e.dataset.testid}=${e.type === 'checkbox' ? e.checked : e.value}`),
          );
        const [a, b] = [await read(page), await read(p2)];
        if (a.join() !== b.join()) throw new Error(`settings differ:\n${a}\n${b}`);
        for (const want of [
          'setting-groupSize=3',
          'setting-klCoef=0.05',
          'setting-reward=f1',
          'setting-maskInformation=false',
        ])
          if (!b.includes(want)) throw new Error(`restored page lacks ${want}: ${b}`);
        if (p2.url() !== link) throw new Error(`restored URL ${p2.url()} differs from ${link}`);
      } finally {
        await p2.close();
      }
    });

    await check('switching the backend to WASM restarts the worker on WASM', async () => {
      await page.locator('[data-testid=backend-select]').selectOption('wasm');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=backend-badge]')?.textContent?.includes('WASM'),
        null,
        { timeout: LONG },
      );
      const notice = await page.locator('[data-testid=backend-notice]').innerText();
      if (!/chosen in the settings/.test(notice)) throw new Error(`notice: ${notice}`);
      if (!page.url().includes('backend=wasm')) throw new Error(`URL lacks the backend: ${page.url()}`);
    });

    const ckptDir = await checkpoint.catch((e) => e);
    await check('a shipped checkpoint starts RL at once (no practice)', async () => {
      if (ckptDir instanceof Error) throw ckptDir;
      const ctx = await browser.newContext();
      try {
        await ctx.route('**/checkpoints/countries/*', (r) => {
          const name = new URL(r.request().url()).pathname.split('/').pop();
          const file = path.join(ckptDir, name);
          return fs.existsSync(file)
            ? r.fulfill({ status: 200, body: fs.readFileSync(file), contentType: 'application/octet-stream' })
            : r.fulfill({ status: 404, body: 'not found' });
        });
        const p = await ctx.newPage();
        watchConsole(p, 'checkpoint page');
        await p.goto(`${origin}/?preset=test&corpus=countries&base=checkpoint`);
        await ready(p);
        const info = await p.locator('[data-testid=base-info]').innerText();
        if (!/shipped checkpoint: d=\d+/.test(info)) throw new Error(`before play: ${info}`);
        await p.evaluate(() => {
          window.__sawProgress = false;
          new MutationObserver(() => {
            if (document.querySelector('[data-testid=base-progress]')) window.__sawProgress = true;
          }).observe(document.body, { subtree: true, childList: true });
        });
        await p.click('[data-testid=play]');
        await p.waitForSelector('[data-testid=trajectory] .tok.g, [data-testid=error]', { timeout: LONG });
        await failOnError(p);
        if (await p.evaluate(() => window.__sawProgress))
          throw new Error('practice ran although a checkpoint exists');
        const after = await p.locator('[data-testid=base-info]').innerText();
        if (!/shipped checkpoint/.test(after)) throw new Error(`after play: ${after}`);
      } finally {
        await ctx.close();
      }
    });

    await check('without a checkpoint the base is built in the browser, with a progress bar', async () => {
      const ctx = await browser.newContext();
      try {
        await ctx.route('**/checkpoints/**', (r) => r.fulfill({ status: 404, body: 'not found' }));
        const p = await ctx.newPage();
        watchConsole(p, 'fallback page');
        await p.goto(`${origin}/?preset=test&corpus=countries&base=checkpoint`);
        await ready(p);
        await p.click('[data-testid=play]');
        await p.waitForSelector('[data-testid=base-progress], [data-testid=error]', { timeout: LONG });
        await failOnError(p);
        const status = await p.locator('[data-testid=status]').innerText();
        if (!/no shipped checkpoint/.test(status)) throw new Error(`status: ${status}`);
        await p.waitForSelector('[data-testid=trajectory] .tok.g, [data-testid=error]', { timeout: LONG });
        await failOnError(p);
      } finally {
        await ctx.close();
      }
    });

    await check('Pause while the base is built holds practice and says paused; Play resumes it', async () => {
      const ctx = await browser.newContext();
      try {
        const p = await ctx.newPage();
        watchConsole(p, 'base-pause page');
        await p.goto(`${origin}/?preset=test&corpus=countries&base=build&baseSteps=200`);
        await ready(p);
        await p.click('[data-testid=play]');
        await p.waitForSelector('[data-testid=base-progress], [data-testid=error]', { timeout: LONG });
        await failOnError(p);
        await p.click('[data-testid=pause]');
        await p.waitForSelector('[data-testid=base-progress][data-paused=true], [data-testid=error]', {
          timeout: LONG,
        });
        await failOnError(p);
        const bar = p.locator('[data-testid=base-progress]');
        const before = await bar.innerText();
        if (!/paused/.test(before)) throw new Error(`progress: ${before}`);
        const status = await p.locator('[data-testid=status]').innerText();
        if (!/paused/.test(status)) throw new Error(`status: ${status}`);
        await p.waitForTimeout(3000);
        const after = await bar.innerText();
        if (after !== before) throw new Error(`practice moved while paused: ${before} → ${after}`);
        if (await p.locator('[data-testid=play]').isDisabled()) throw new Error('Play is not enabled');
        await p.click('[data-testid=play]');
        const step = (t) => Number(/practice (\d+)\//.exec(t)?.[1] ?? NaN);
        await p.waitForFunction(
          (n) => {
            const el = document.querySelector('[data-testid=base-progress]');
            const m = /practice (\d+)\//.exec(el?.textContent ?? '');
            return (el && el.getAttribute('data-paused') === 'false' && m && Number(m[1]) > n) || !el;
          },
          step(before),
          { timeout: LONG, polling: 250 },
        );
        await failOnError(p);
      } finally {
        await ctx.close();
      }
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
        await p2.goto(`${origin}/?preset=test&corpus=countries`);
        await ready(p2);
        await p2.click('[data-testid=play]');
        await p2.waitForSelector('[data-testid=error]', { timeout: 60_000 });
        const text = await p2.locator('[data-testid=error]').innerText();
        if (!/train\.jsonl line 1: invalid JSON/.test(text)) throw new Error(`error text: ${text}`);
      } finally {
        await bad.close();
      }
    });

    await check('bad settings in a link show a readable message', async () => {
      const p = await browser.newPage();
      try {
        await p.goto(`${origin}/?preset=test&groupSize=0`);
        await p.waitForSelector('[data-testid=error]', { timeout: 60_000 });
        const text = await p.locator('[data-testid=error]').innerText();
        if (!/group size G must be between 1 and 32, got 0/.test(text))
          throw new Error(`error text: ${text}`);
      } finally {
        await p.close();
      }
    });

    // One page for the saved-run and fault checks (each new page would build its own base policy).
    const faultCtx = await browser.newContext();
    const fp = await faultCtx.newPage();
    watchConsole(fp, 'saved-run page');
    let held = -1;
    await check('a reload mid-run offers to resume; history intact, training continues', async () => {
      await fp.goto(`${url}&evalEvery=0&baseSteps=2`);
      await ready(fp);
      const step = await trainAndPause(fp);
      await checkpointAt(fp, step);
      const points = await curvePoints(fp);
      await fp.reload();
      await fp.waitForSelector('[data-testid=resume-offer]', { timeout: LONG });
      const offer = await fp.locator('[data-testid=resume-offer]').innerText();
      if (!offer.includes(`GRPO step ${step}`)) throw new Error(`offer: ${offer}`);
      await fp.click('[data-testid=resume]');
      await heldAfter(fp, step);
      await failOnError(fp);
      if ((await stepCount(fp)) !== step || (await curvePoints(fp)) !== points)
        throw new Error(
          `after resume: step ${await stepCount(fp)}, ${await curvePoints(fp)} points; want ${step}, ${points}`,
        );
      if (!(await fp.locator('[data-testid=trajectory] .tok').count()))
        throw new Error('no saved trajectory shown');
      if (!/resumed at GRPO step/.test(await fp.locator('[data-testid=base-info]').innerText()))
        throw new Error('base info does not say the run was resumed');
      await fp.click('[data-testid=step-update]');
      await heldAfter(fp, step + 1);
      await failOnError(fp);
      if ((await curvePoints(fp)) !== points + 1)
        throw new Error(`curve has ${await curvePoints(fp)} points`);
      held = step + 1;
    });

    await check(
      'a lost WebGPU device falls back to WASM and a crashed worker restarts, both from the checkpoint',
      async () => {
        if (held < 0) throw new Error('needs the run of the previous check');
        if (!(await fp.locator('[data-testid=backend-badge]').innerText()).includes('WebGPU'))
          throw new Error('not on WebGPU');
        await checkpointAt(fp, held);
        await fp.evaluate(() => window.__playground.debug('lose-device'));
        await fp.waitForFunction(
          () => document.querySelector('[data-testid=backend-badge]')?.textContent?.includes('WASM'),
          null,
          { timeout: LONG },
        );
        await heldAfter(fp, held);
        await failOnError(fp);
        const notices = (await fp.locator('[data-testid=notice]').allInnerTexts()).join(' | ');
        if (
          !/WebGPU device was lost.*continuing on WASM from the last checkpoint \(GRPO step \d+\)/.test(
            notices,
          )
        )
          throw new Error(`notices: ${notices}`);
        await fp.click('[data-testid=step-update]');
        await heldAfter(fp, held + 1);
        await failOnError(fp);
        await checkpointAt(fp, held + 1);
        await fp.evaluate(() => window.__playground.debug('crash'));
        await fp.waitForFunction(
          () =>
            [...document.querySelectorAll('[data-testid=notice]')].some((n) =>
              /training worker failed.*continuing from the last checkpoint/.test(n.textContent),
            ),
          null,
          { timeout: LONG },
        );
        await heldAfter(fp, held + 1);
        await failOnError(fp);
        if ((await curvePoints(fp)) !== held + 1)
          throw new Error(`curve has ${await curvePoints(fp)} points`);
        // The restarted worker stays on the fallback backend (the saved run's settings do not undo it).
        if (!(await fp.locator('[data-testid=backend-badge]').innerText()).includes('WASM'))
          throw new Error(
            `after the restart: ${await fp.locator('[data-testid=backend-badge]').innerText()}`,
          );
      },
    );

    await check(
      'WebGPU out of memory falls back to WASM and the run continues from the checkpoint, saying so',
      async () => {
        // A page of its own: the page above is on WASM by now.
        const ctx = await browser.newContext();
        try {
          const p = await ctx.newPage();
          watchConsole(p, 'out-of-memory page');
          await p.goto(`${url}&evalEvery=0&baseSteps=2`);
          await ready(p);
          if (!(await p.locator('[data-testid=backend-badge]').innerText()).includes('WebGPU'))
            throw new Error('not on WebGPU');
          const step = await trainAndPause(p);
          await checkpointAt(p, step);
          // The next upload of the run's tensors fails inside tfjs as Chromium fails it when GPU memory runs out.
          await p.evaluate(() => window.__playground.debug('oom'));
          await p.click('[data-testid=play]');
          await p.waitForFunction(
            () => document.querySelector('[data-testid=backend-badge]')?.textContent?.includes('WASM'),
            null,
            { timeout: LONG },
          );
          const notices = (await p.locator('[data-testid=notice]').allInnerTexts()).join(' | ');
          if (
            !new RegExp(
              `WebGPU ran out of memory \\(RangeError: .*createBuffer failed.*\\): continuing on WASM from the last checkpoint \\(GRPO step ${step}\\)`,
            ).test(notices)
          )
            throw new Error(`notices: ${notices}`);
          // Still playing: the resumed run trains on past its checkpoint.
          await p.waitForFunction(
            (n) =>
              document.querySelector('[data-testid=error]') !== null ||
              Number(document.querySelector('[data-testid=step-count]')?.textContent) > n,
            step,
            { timeout: LONG, polling: 250 },
          );
          await failOnError(p);
          await p.click('[data-testid=pause]');
        } finally {
          await ctx.close();
        }
      },
    );

    await check(
      'a saved run exports to one file and imports again (then renamed, compared); its checkpoint exports for the CLI',
      async () => {
        if (held < 0) throw new Error('needs the run of the previous checks');
        const run = fp.locator('[data-testid=saved-run]', { hasText: 'training here' });
        const [runFile] = await Promise.all([
          fp.waitForEvent('download', { timeout: 60_000 }),
          run.locator('[data-testid=run-export]').click(),
        ]);
        const runPath = path.join(tmp, runFile.suggestedFilename());
        await runFile.saveAs(runPath);
        const [ckptFile] = await Promise.all([
          fp.waitForEvent('download', { timeout: 60_000 }),
          run.locator('[data-testid=run-export-checkpoint]').click(),
        ]);
        const ckptPath = path.join(tmp, ckptFile.suggestedFilename());
        await ckptFile.saveAs(ckptPath);
        const head = fs.readFileSync(ckptPath).subarray(0, 200).toString('latin1');
        if (!head.startsWith('SR1BUNDLE1\n{"kind":"checkpoint"') || !head.includes('"weights.bin"'))
          throw new Error(`checkpoint file starts ${JSON.stringify(head.slice(0, 60))}`);
        const before = await fp.locator('[data-testid=saved-run]').count();
        await fp.setInputFiles('[data-testid=run-import]', runPath);
        await fp.waitForFunction(
          (n) => document.querySelectorAll('[data-testid=saved-run]').length === n + 1,
          before,
          { timeout: 60_000 },
        );
        const names = await fp.locator('[data-testid=run-name]').allInnerTexts();
        if (!names.some((n) => n.endsWith('(imported)'))) throw new Error(`runs: ${names.join(' / ')}`);
        // Rename the import, then compare the two runs' curves.
        const imported = fp.locator('[data-testid=saved-run]', { hasText: '(imported)' });
        await imported.getByRole('button', { name: 'rename' }).click();
        await fp.fill('[data-testid=run-name-input]', 'workshop copy');
        await fp.press('[data-testid=run-name-input]', 'Enter');
        await fp.locator('[data-testid=run-name]', { hasText: 'workshop copy' }).waitFor({ timeout: 60_000 });
        await fp
          .locator('[data-testid=saved-run]', { hasText: 'workshop copy' })
          .locator('[data-testid=run-compare]')
          .check();
        await run.locator('[data-testid=run-compare]').check();
        const lines = await fp.locator('[data-testid=compare-curves] polyline').count();
        if (lines !== 2) throw new Error(`compare shows ${lines} curves`);
      },
    );
    await check('a CLI checkpoint folder imports as a run and trains in the browser', async () => {
      if (held < 0) throw new Error('needs the run of the previous checks');
      const dir = await checkpoint;
      const names = ['config.json', 'weights.bin', 'tokenizer.json', 'run.json'];
      await fp.setInputFiles(
        '[data-testid=run-import]',
        names.map((n) => path.join(dir, n)),
      );
      const item = fp.locator('[data-testid=saved-run]', { hasText: 'checkpoint folder' });
      await item.waitFor({ timeout: 60_000 });
      if (!/checkpoint at 0/.test(await item.innerText())) throw new Error(await item.innerText());
      await item.locator('[data-testid=run-resume]').click();
      await heldAfter(fp, 0);
      await failOnError(fp);
      await fp.click('[data-testid=step-update]');
      await heldAfter(fp, 1);
      await failOnError(fp);
      if (!/imported checkpoint/.test(await fp.locator('[data-testid=base-info]').innerText()))
        throw new Error(await fp.locator('[data-testid=base-info]').innerText());
    });

    await check('a NaN gradient skips the update: a notice, a mark on the curves', async () => {
      if (held < 0) throw new Error('needs the run of the previous checks');
      const step = await stepCount(fp);
      await fp.evaluate(() => window.__playground.debug('nan'));
      await fp.click('[data-testid=step-update]');
      await heldAfter(fp, step + 1);
      await failOnError(fp);
      const notices = (await fp.locator('[data-testid=notice]').allInnerTexts()).join(' | ');
      if (!new RegExp(`GRPO step ${step + 1}: 1 of \\d+ updates skipped \\(NaN or Inf`).test(notices))
        throw new Error(`notices: ${notices}`);
      if (!(await fp.locator('[data-testid=skip-mark]').count())) throw new Error('no mark on the curves');
      const note = await fp.locator('[data-testid=skipped-steps]').innerText();
      if (!note.includes(String(step + 1))) throw new Error(`note: ${note}`);
    });
    await faultCtx.close();

    await check(
      'uploads: a bad file names file and line, the loaded corpus still answers; HTML shows as text',
      async () => {
        const ctx = await browser.newContext();
        try {
          const p = await ctx.newPage();
          watchConsole(p, 'upload page');
          await p.goto(`${origin}/?preset=test&corpus=countries`);
          await ready(p);
          const corpus = jsonl([
            {
              id: '1',
              contents:
                '"Zorvak"\nZorvak is the capital of <b>Quelaria</b> <img src=x onerror="window.__xss=1">.',
            },
            { id: '2', contents: '"Telmar"\nTelmar lies on the Brelle river.' },
          ]);
          const put = (files) => p.setInputFiles('[data-testid=upload-input]', files);
          const uploadError = async () => {
            await p.waitForSelector('[data-testid=upload-error]', { timeout: 60_000 });
            return p.locator('[data-testid=upload-error]').innerText();
          };
          await put([
            { name: 'corpus.jsonl', mimeType: 'application/json', buffer: corpus },
            {
              name: 'qa.jsonl',
              mimeType: 'application/json',
              buffer: Buffer.from(
                '{"id":"q1","question":"capital of Quelaria?","golden_answers":["Zorvak"]}\n{"id": "q2", \n',
              ),
            },
          ]);
          let text = await uploadError();
          if (!/qa\.jsonl line 2: invalid JSON/.test(text)) throw new Error(`error: ${text}`);
          await put([
            {
              name: 'latin1.jsonl',
              mimeType: 'text/plain',
              buffer: Buffer.from([0x7b, 0x7d, 0x0a, 0xe9, 0x0a]),
            },
          ]);
          await p.waitForFunction(() =>
            /latin1/.test(document.querySelector('[data-testid=upload-error]')?.textContent ?? ''),
          );
          text = await uploadError();
          if (!/latin1\.jsonl line 2: not valid UTF-8/.test(text)) throw new Error(`error: ${text}`);
          if ((await p.locator('[data-testid=corpus-select]').inputValue()) !== 'countries')
            throw new Error('the corpus changed after a failed upload');
          await p.fill('[data-testid=search-input]', 'capital city');
          await p.click('[data-testid=search-button]');
          await p.waitForSelector('[data-testid=search-hit]', { timeout: 60_000 });
          // A good upload whose QA answers never occur in the corpus: loaded, with a warning; its HTML is text.
          await put([
            { name: 'corpus.jsonl', mimeType: 'application/json', buffer: corpus },
            {
              name: 'qa.jsonl',
              mimeType: 'application/json',
              buffer: jsonl([
                { id: 'q1', question: 'what is the capital of quelaria?', golden_answers: ['Nowhere'] },
                { id: 'q2', question: 'where does telmar lie?', golden_answers: ['Atlantis'] },
              ]),
            },
          ]);
          await p.waitForSelector('[data-testid=upload-done]', { timeout: 60_000 });
          const warn = (await p.locator('[data-testid=upload-warning]').allInnerTexts()).join(' ');
          if (!/none of the \d+ questions has an answer that occurs in corpus\.jsonl/.test(warn))
            throw new Error(`warnings: ${warn}`);
          await p.waitForFunction(() =>
            document.querySelector('[data-testid=corpus-select]')?.value?.startsWith('upload-'),
          );
          await p.fill('[data-testid=search-input]', 'capital quelaria');
          await p.click('[data-testid=search-button]');
          await p.waitForFunction(
            () =>
              [...document.querySelectorAll('[data-testid=search-hit]')].some((h) =>
                h.textContent.includes('Zorvak'),
              ),
            null,
            { timeout: 60_000 },
          );
          const hit = p.locator('[data-testid=search-hit]', { hasText: 'Zorvak' }).first();
          const hitText = await hit.innerText();
          if (!hitText.includes('<b>Quelaria</b>') || !hitText.includes('<img src=x'))
            throw new Error(`passage not shown as text: ${hitText}`);
          if ((await hit.locator('b, img').count()) || (await p.evaluate(() => window.__xss)))
            throw new Error('passage HTML was interpreted');
        } finally {
          await ctx.close();
        }
      },
    );

    await check(
      'uploads: a Search-R1 train.parquet loads as its questions; a bad one names file and row',
      async () => {
        const ctx = await browser.newContext();
        try {
          const p = await ctx.newPage();
          watchConsole(p, 'parquet upload page');
          await p.goto(`${origin}/?preset=test&corpus=countries`);
          await ready(p);
          const fixture = (rel) => path.join(root, 'tests/fixtures', rel);
          const put = (files) => p.setInputFiles('[data-testid=upload-input]', files);
          await put([fixture('good/corpus.jsonl'), fixture('parquet/missing-target.parquet')]);
          await p.waitForSelector('[data-testid=upload-error]', { timeout: 60_000 });
          const err = await p.locator('[data-testid=upload-error]').innerText();
          if (!/missing-target\.parquet row 3: reward_model\.ground_truth\.target is missing/.test(err))
            throw new Error(`error: ${err}`);
          if ((await p.locator('[data-testid=corpus-select]').inputValue()) !== 'countries')
            throw new Error('the corpus changed after a failed upload');
          await put([fixture('good/corpus.jsonl'), fixture('parquet/nq-search-train.parquet')]);
          await p.waitForSelector('[data-testid=upload-done]', { timeout: 60_000 });
          const done = await p.locator('[data-testid=upload-done]').innerText();
          // The question is the text after "Question:" in the prompt, the answers those of reward_model.
          if (
            !done.includes('4 training / 1 held-out questions') ||
            !done.includes('first question: “what is the capital of quelaria?” → Ostrel')
          )
            throw new Error(`done: ${done}`);
          await p.waitForFunction(() =>
            document.querySelector('[data-testid=corpus-select]')?.value?.startsWith('upload-'),
          );
        } finally {
          await ctx.close();
        }
      },
    );

    await check(
      'Experiments: a masking ablation overlays two variants’ curves; the JSON export holds both',
      async () => {
        const ep = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        watchConsole(ep, 'experiments');
        ep.on('worker', (w) => watchConsole(w, 'experiments worker'));
        try {
          await ep.goto(url);
          await ready(ep);
          await ep.locator('[data-testid=experiment-preset-mask-on-mask-off]').click();
          await ep.fill('[data-testid=experiment-updates]', '1');
          await ep.locator('[data-testid=experiment-run]').click();
          await ep.waitForFunction(
            () =>
              ['done', 'error'].includes(
                document.querySelector('[data-testid=experiment-status]')?.getAttribute('data-state') ?? '',
              ),
            null,
            { timeout: LONG },
          );
          if (await ep.locator('[data-testid=experiment-error]').count())
            throw new Error(await ep.locator('[data-testid=experiment-error]').innerText());
          for (const chart of ['reward', 'em', 'responseLength', 'validSearches']) {
            const lines = await ep.locator(`[data-testid=experiment-chart-${chart}] polyline`).count();
            if (lines !== 2) throw new Error(`${chart}: ${lines} curves`);
          }
          const legend = await ep.locator('[data-testid=experiment-legend] li').allInnerTexts();
          if (legend.length !== 2 || !legend.every((l) => l.includes('1 / 1 updates')))
            throw new Error(`legend: ${legend.join(' / ')}`);
          const [file] = await Promise.all([
            ep.waitForEvent('download', { timeout: 60_000 }),
            ep.locator('[data-testid=experiment-export-json]').click(),
          ]);
          const jsonPath = path.join(tmp, file.suggestedFilename());
          await file.saveAs(jsonPath);
          const got = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
          const summary = got.variants.map(
            (v) => `${v.name}:${v.settings.maskInformation}:${v.metrics.length}:${v.evals.points.length}`,
          );
          if (summary.join(' ') !== 'masking on:true:1:1 masking off:false:1:1')
            throw new Error(`exported ${summary.join(' ')}`);
          const [image] = await Promise.all([
            ep.waitForEvent('download', { timeout: 60_000 }),
            ep.locator('[data-testid=experiment-export-svg]').click(),
          ]);
          const svgPath = path.join(tmp, image.suggestedFilename());
          await image.saveAs(svgPath);
          if (!fs.readFileSync(svgPath, 'utf8').startsWith('<svg xmlns="http://www.w3.org/2000/svg"'))
            throw new Error(`the image export is not an SVG: ${image.suggestedFilename()}`);
        } finally {
          await ep.close();
        }
      },
    );

    await check('no console errors and no WebGPU device error during the run', async () => {
      if (consoleErrors.size) throw new Error([...consoleErrors].join(' | '));
      // A WebGPU validation error throws nothing in tfjs (the kernel's result is silently wrong) and Chromium logs it
      // in the worker, out of reach here; the worker's DeviceWatch turns the first one into a notice on the page.
      const deviceError = (await page.textContent('body'))?.match(/WebGPU reported an error[^\n]*/);
      if (deviceError) throw new Error(deviceError[0]);
    });
    log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`);
  } catch (e) {
    results.push({ name: 'setup', ok: false });
    log(`  FAIL setup: ${e instanceof Error ? e.message : e}`);
  } finally {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) server.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`E2E: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
