import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  codeFingerprint,
  ledgerKey,
  readRecord,
  recordPath,
  sameKey,
  writeRecord,
  type LedgerRecord,
} from '../../src/cli/bench-learn-ledger';
import { jobLedgerKey, lookup, plan, type Job, type JobContext } from '../../src/cli/bench-learn-jobs';
import { parseOptions } from '../../src/cli/bench-learn-options';
import type { CellResult } from '../../src/cli/bench-learn-report';
import type { PipelineOptions, Summary } from '../../src/cli/pipeline';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string) => {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

const summary = (em: number): Summary => ({
  em,
  f1: em,
  base_em: em / 2,
  base_val_pass_at_k: 0.5,
  em_by_hops: { '1': em },
  base_em_by_hops: { '1': em / 2 },
  searches_per_question: 1.5,
  top_prediction_share: 0.05,
  mode: 'search',
  backend: 'wasm',
  steps: 2,
  steps_planned: 2,
  seconds: 100,
  phase_seconds: { practice: 50, gate: 1, evaluation: 9, rl: 40 },
  algo: 'grpo',
});

const cellOf = (method: string, em: number): CellResult => ({
  corpus: 'a',
  seed: 1,
  method,
  em,
  emSingle: em,
  emMulti: null,
  f1: em,
  searchesPerQuestion: 1.5,
  steps: 2,
  seconds: 100,
  curves: { reward: [0.123456789, 0.5], responseLength: [10, 11], validSearches: [1, 1.25] },
});

describe('bench:learn ledger: fingerprint and key', () => {
  it('fingerprints the code by path and content, in a fixed order', () => {
    write('src/engine/a.ts', 'a');
    write('src/engine/model/b.ts', 'b');
    write('package-lock.json', '{}');
    const paths = ['src/engine', 'package-lock.json', 'missing.ts'];
    const first = codeFingerprint(dir, paths);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(codeFingerprint(dir, paths)).toBe(first);
    write('src/engine/model/b.ts', 'b2');
    const edited = codeFingerprint(dir, paths);
    expect(edited).not.toBe(first);
    write('src/engine/c.ts', '');
    expect(codeFingerprint(dir, paths)).not.toBe(edited);
    fs.rmSync(path.join(dir, 'src/engine/c.ts'));
    fs.renameSync(path.join(dir, 'src/engine/a.ts'), path.join(dir, 'src/engine/a2.ts'));
    expect(codeFingerprint(dir, paths)).not.toBe(edited);
  });

  it('keys files by content, not path, and leaves out folders and the base’s timings', () => {
    const opts = (corpus: string, out: string): PipelineOptions =>
      ({
        corpus,
        train: write('t/train.jsonl', 'train'),
        test: write('t/test.jsonl', 'test'),
        out,
        init: `${out}/base/checkpoint`,
        steps: 200,
        seed: 1,
      }) as PipelineOptions;
    const extra = { threads: 2, code: 'c0', base: summary(0.3) };
    const a = ledgerKey(opts(write('x/corpus.jsonl', 'same'), 'w1'), extra);
    const b = ledgerKey(opts(write('y/corpus.jsonl', 'same'), 'w2'), {
      ...extra,
      base: { ...summary(0.3), seconds: 7, phase_seconds: { practice: 1, gate: 1, evaluation: 1, rl: 4 } },
    });
    expect(sameKey(a, b)).toBe(true);
    expect(JSON.stringify(a)).not.toContain('w1');
    const changed = [
      ledgerKey(opts(write('z/corpus.jsonl', 'other'), 'w1'), extra),
      ledgerKey({ ...opts(write('x/corpus.jsonl', 'same'), 'w1'), steps: 100 }, extra),
      ledgerKey(opts(write('x/corpus.jsonl', 'same'), 'w1'), { ...extra, threads: 1 }),
      ledgerKey(opts(write('x/corpus.jsonl', 'same'), 'w1'), { ...extra, code: 'c1' }),
      ledgerKey(opts(write('x/corpus.jsonl', 'same'), 'w1'), { ...extra, base: summary(0.31) }),
    ];
    for (const k of changed) expect(sameKey(a, k)).toBe(false);
  });

  it('compares keys whatever their field order, ignoring undefined fields', () => {
    expect(sameKey({ a: 1, b: { c: [1, 2] }, d: undefined }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameKey({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [2, 1] } })).toBe(false);
  });
});

describe('bench:learn ledger: records', () => {
  it('writes a record with rounded curves and reads it back only under the same key', () => {
    const file = recordPath(dir, 'a', 1, 'grpo');
    expect(file).toBe(path.join(dir, 'a', 'seed1', 'grpo.json'));
    const rec: LedgerRecord = {
      key: { k: 1 },
      summary: summary(0.6),
      cells: [cellOf('grpo', 0.6)],
      ran: 'now',
    };
    writeRecord(file, rec);
    const back = readRecord(file, { k: 1 })!;
    expect(back.summary).toEqual(rec.summary);
    expect(back.cells[0].curves!.reward).toEqual([0.1235, 0.5]);
    expect(back.cells[0].curves!.validSearches).toEqual([1, 1.25]);
    expect(readRecord(file, { k: 2 })).toBeNull();
    expect(readRecord(path.join(dir, 'none.json'), { k: 1 })).toBeNull();
    fs.writeFileSync(file, '{ not json');
    expect(readRecord(file, { k: 1 })).toBeNull();
  });
});

describe('bench:learn ledger: reuse', () => {
  const setup = () => {
    write('corpora/a/corpus.jsonl', '{"id":"0","contents":"\\"A\\"\\nA is a city."}\n');
    write('corpora/a/train.jsonl', '{"id":"q","question":"Where is A?","golden_answers":["x"]}\n');
    write('corpora/a/test.jsonl', '{"id":"t","question":"Where is A?","golden_answers":["x"]}\n');
    const o = parseOptions([
      ...[
        '--corpus-dir',
        path.join(dir, 'corpora'),
        '--corpora',
        'a',
        '--seeds',
        '1',
        '--methods',
        'direct,grpo',
      ],
      ...['--work', path.join(dir, 'work'), '--ledger', path.join(dir, 'ledger'), '--steps', '2'],
    ])!;
    const jobs = plan(o, null);
    const ctx = (code = 'c0'): JobContext => ({
      o,
      jobs,
      bases: new Map(),
      ledger: { dir: o.ledger!, code },
    });
    const job = (name: string) =>
      jobs.find((j) => (j.kind === 'base' ? `base-${j.mode}` : j.method!.id) === name)!;
    const record = (c: JobContext, j: Job, s: Summary, cells: CellResult[]) =>
      writeRecord(recordPath(o.ledger!, 'a', 1, j.kind === 'base' ? `base-${j.mode}` : j.method!.id), {
        key: jobLedgerKey(c, j),
        summary: s,
        cells,
        ran: 'then',
      });
    return { o, ctx, job, record };
  };

  it('reuses a base and its runs from the ledger, and builds the base again when a run is missing', () => {
    const { ctx, job, record } = setup();
    const c = ctx();
    const base = job('base-search');
    const grpo = job('grpo');
    expect(lookup(c, base)).toBeNull();
    record(c, base, summary(0.3), []);
    // The run is not in the ledger yet, so the base's checkpoint is still needed.
    expect(lookup(c, base)).toBeNull();
    expect(lookup(c, base, false)!.summary).toEqual(summary(0.3));
    c.bases.set(base.dir, summary(0.3));
    record(c, grpo, summary(0.6), [cellOf('grpo', 0.6)]);
    c.bases.clear();
    const hitBase = lookup(c, base)!;
    expect(hitBase.reused).toBe('ledger');
    expect(hitBase.summary).toEqual(summary(0.3));
    c.bases.set(base.dir, hitBase.summary);
    const hitRun = lookup(c, grpo)!;
    expect(hitRun.reused).toBe('ledger');
    expect(hitRun.cells[0].em).toBe(0.6);
    // A base rebuilt with another result is another base: its runs are not reused.
    c.bases.set(base.dir, summary(0.31));
    expect(lookup(c, grpo)).toBeNull();
  });

  it('reuses nothing once the code changes', () => {
    const { ctx, job, record } = setup();
    const c = ctx('c0');
    const direct = job('base-direct');
    record(c, direct, summary(0.1), [cellOf('direct', 0.1)]);
    expect(lookup(c, direct)!.reused).toBe('ledger');
    expect(lookup(ctx('c1'), direct)).toBeNull();
  });
});
