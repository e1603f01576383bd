/**
 * bench:learn's command line: the options (SPEC), their parsing and defaults (--quick), and where each corpus's
 * files are (a prefix of the test split under --work for --test-limit). No training, no planning here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_BASE_TRAINING } from '../engine/base';
import type { BackendName } from '../engine/backend';
import { defaultRunConfig } from '../engine/config';
import { parseArgs, usage, UsageError, type OptionSpec } from './args';
import { METHODS, methodById, QUICK_METHODS, type MethodSpec } from './bench-learn-report';
import { InputError } from './common';

const SPEC: Record<string, OptionSpec> = {
  corpora: { type: 'string', help: 'comma-separated corpora under --corpus-dir (default world,countries)' },
  'corpus-dir': {
    type: 'string',
    help: 'folder of corpora, each with corpus/train/test.jsonl (default public/corpus)',
  },
  methods: {
    type: 'string',
    help: `comma-separated methods (default all: ${METHODS.map((m) => m.id).join(',')})`,
  },
  seeds: { type: 'string', help: 'number of seeds (1..N) or a comma-separated list (default 3)' },
  steps: { type: 'number', help: `RL steps per run (default ${defaultRunConfig().steps})` },
  'base-steps': {
    type: 'number',
    help: `reading-practice steps per base policy (default ${DEFAULT_BASE_TRAINING.steps})`,
  },
  'pass-k': {
    type: 'number',
    help: 'k of the base’s pass@k gate on validation questions (default 8, as npm run train; 0 = no gate)',
  },
  'test-limit': {
    type: 'number',
    help: 'evaluate on the first N test questions only (default: the whole test split)',
  },
  'eval-every': {
    type: 'number',
    help: 'held-out eval every N RL steps, in each run’s metrics (default 0: end only)',
  },
  backend: { type: 'string', choices: ['cpu', 'wasm', 'webgpu'], help: 'tfjs backend (default wasm)' },
  out: { type: 'string', help: 'results folder (default bench/results)' },
  work: { type: 'string', help: 'per-run folders, reused on rerun (default bench/results/tmp/learn)' },
  ledger: {
    type: 'string',
    help: 'folder of committable job records (key, summary, cells): reused when nothing that shapes a result changed, so a long benchmark adds up across machines and sessions (default: none)',
  },
  quick: {
    type: 'boolean',
    help: `laptop variant: 1 seed, ${QUICK_METHODS.join(',')}, 50 RL steps, 200 practice steps (flags still override)`,
  },
  estimate: {
    type: 'boolean',
    help: 'calibrate and print a time estimate first (default on; --no-estimate)',
  },
  'dry-run': { type: 'boolean', help: 'print the plan and the estimate, run nothing' },
  'report-only': {
    type: 'boolean',
    help: 'write the table, JSON and plots from the runs already finished under --work and in --ledger; run nothing',
  },
  fresh: {
    type: 'boolean',
    help: 'ignore finished runs under --work and in --ledger (and rewrite their records)',
  },
  help: { type: 'boolean', help: 'show this help' },
};

export interface BenchOptions {
  corpora: string[];
  corpusDir: string;
  methods: MethodSpec[];
  seeds: number[];
  steps: number;
  baseSteps: number;
  evalEvery: number;
  passK: number;
  testLimit: number;
  backend: BackendName;
  out: string;
  work: string;
  /** Ledger folder (bench-learn-ledger.ts), or null. */
  ledger: string | null;
  estimate: boolean;
  dryRun: boolean;
  reportOnly: boolean;
  fresh: boolean;
}

/** The options of `argv`; null after --help (usage printed). */
export function parseOptions(argv: string[]): BenchOptions | null {
  const a = parseArgs(argv, SPEC);
  if (a.help) {
    process.stdout.write(usage('bench:learn', SPEC) + '\n');
    return null;
  }
  const quick = a.quick === true;
  const list = (k: string, d: readonly string[]) =>
    ((a[k] as string | undefined)?.split(',') ?? [...d]).map((s) => s.trim()).filter(Boolean);
  const int = (k: string, d: number, min: number) => {
    const v = (a[k] as number | undefined) ?? d;
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${k} must be an integer ≥ ${min}, got ${v}`);
    return v;
  };
  const seedArg = (a.seeds as string | undefined) ?? (quick ? '1' : '3');
  const seeds = seedArg.includes(',')
    ? seedArg.split(',').map((s) => Number(s.trim()))
    : Array.from({ length: Number(seedArg) }, (_, i) => i + 1);
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UsageError(`--seeds must be a count ≥ 1 or a list of integers ≥ 0, got "${seedArg}"`);
  }
  let methods: MethodSpec[];
  try {
    methods = list('methods', quick ? QUICK_METHODS : METHODS.map((m) => m.id)).map(methodById);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    corpora: list('corpora', ['world', 'countries']),
    corpusDir: (a['corpus-dir'] as string | undefined) ?? 'public/corpus',
    methods,
    seeds,
    steps: int('steps', quick ? 50 : defaultRunConfig().steps, 1),
    baseSteps: int('base-steps', quick ? 200 : DEFAULT_BASE_TRAINING.steps, 0),
    evalEvery: int('eval-every', 0, 0),
    passK: int('pass-k', 8, 0),
    testLimit: int('test-limit', 0, 0),
    backend: ((a.backend as string | undefined) ?? 'wasm') as BackendName,
    out: (a.out as string | undefined) ?? 'bench/results',
    work: (a.work as string | undefined) ?? 'bench/results/tmp/learn',
    ledger: (a.ledger as string | undefined) ?? null,
    estimate: a.estimate !== false,
    dryRun: a['dry-run'] === true,
    reportOnly: a['report-only'] === true,
    fresh: a.fresh === true,
  };
}

/** One corpus's three files. */
export interface Files {
  corpus: string;
  train: string;
  test: string;
}

/** The files of `corpus` (checked to exist); with --test-limit, the test split's prefix under --work. */
export function corpusFiles(o: BenchOptions, corpus: string): Files {
  const dir = path.join(o.corpusDir, corpus);
  const f = {
    corpus: path.join(dir, 'corpus.jsonl'),
    train: path.join(dir, 'train.jsonl'),
    test: path.join(dir, 'test.jsonl'),
  };
  for (const p of Object.values(f)) if (!fs.existsSync(p)) throw new InputError(`${p}: no such file`);
  if (o.testLimit > 0) {
    // A prefix of the test split, written once under --work (the pipeline reads files).
    const lines = fs
      .readFileSync(f.test, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    const file = path.join(o.work, corpus, `test-first${o.testLimit}.jsonl`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.slice(0, o.testLimit).join('\n') + '\n');
    f.test = file;
  }
  return f;
}
