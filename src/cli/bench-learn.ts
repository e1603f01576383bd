/**
 * `npm run bench:learn [-- options]` — the paper's comparison at toy scale: for each shipped corpus and seed, train
 * and evaluate on the held-out test split Direct, RAG, R1, Search-R1 GRPO (with and without the retrieved-token
 * mask), Search-R1 PPO, and GRPO with group sizes 1 / 3 / 5 and top-k 1 / 5. Writes bench/results/learn.md (the
 * table), learn.json (every cell, with its training curves) and SVG plots of reward, response length and valid
 * searches per rollout.
 *
 * Runs the CLI pipeline (pipeline.ts) in-process. One base policy per corpus + seed + prompt mode is built (reading
 * practice and its pass@k gate) and shared through --init by every RL run of that mode. Finished bases and cells are
 * kept under --work and reused on a rerun with the same settings (--fresh ignores them), so an interrupted
 * benchmark resumes. Before running, a short calibration measures practice, RL-step and evaluation times on this
 * machine and prints an estimate of the whole run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_BASE_TRAINING, trainBase } from '../engine/base';
import type { BackendName } from '../engine/backend';
import { defaultRunConfig, PPO_GROUP_SIZE, PPO_QUESTIONS_PER_STEP, type Mode } from '../engine/config';
import { evaluate } from '../engine/evaluate';
import { PracticeBuilder } from '../engine/practice';
import { PpoTrainer } from '../engine/ppo';
import { Rng } from '../engine/rng';
import { RolloutEnv } from '../engine/rollout';
import { buildRetriever, buildTokenizer, newPolicy, type Dataset } from '../engine/session';
import { GrpoTrainer } from '../engine/trainer';
import { parseArgs, usage, UsageError, type OptionSpec } from './args';
import {
  curvePlots,
  emByHopSplit,
  METHODS,
  methodById,
  QUICK_METHODS,
  renderMarkdown,
  summarize,
  type CellResult,
  type CurveName,
  type MethodSpec,
} from './bench-learn-report';
import { InputError, loadCorpus, loadQA, runMain } from './common';
import { nodeBackend, reexecForWebGPU } from './node-backend';
import { runPipeline, type PipelineOptions, type Summary } from './pipeline';

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
  quick: {
    type: 'boolean',
    help: `laptop variant: 1 seed, ${QUICK_METHODS.join(',')}, 50 RL steps, 200 practice steps (flags still override)`,
  },
  estimate: {
    type: 'boolean',
    help: 'calibrate and print a time estimate first (default on; --no-estimate)',
  },
  'dry-run': { type: 'boolean', help: 'print the plan and the estimate, run nothing' },
  fresh: { type: 'boolean', help: 'ignore finished runs under --work' },
  help: { type: 'boolean', help: 'show this help' },
};

interface BenchOptions {
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
  estimate: boolean;
  dryRun: boolean;
  fresh: boolean;
}

function parseOptions(argv: string[]): BenchOptions | null {
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
    estimate: a.estimate !== false,
    dryRun: a['dry-run'] === true,
    fresh: a.fresh === true,
  };
}

interface Files {
  corpus: string;
  train: string;
  test: string;
}

function corpusFiles(o: BenchOptions, corpus: string): Files {
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

/** The pipeline options of one run; `base` = build and save the base policy of this mode only. */
function runOptions(
  o: BenchOptions,
  files: Files,
  seed: number,
  m: MethodSpec | { mode: Mode; base: true },
  out: string,
  init?: string,
): PipelineOptions {
  const d = defaultRunConfig();
  const isBase = 'base' in m;
  const ppo = !isBase && m.algo === 'ppo';
  return {
    ...files,
    out,
    mode: m.mode,
    steps: o.steps,
    group: (!isBase && m.group) || (ppo ? PPO_GROUP_SIZE : d.grpo.groupSize),
    seed,
    backend: o.backend,
    mask: isBase || m.mask !== false,
    reward: d.grpo.reward,
    topk: (!isBase && m.topk) || d.rollout.topk,
    maxTurns: d.rollout.maxTurns,
    init,
    baseSteps: o.baseSteps,
    passK: o.passK,
    evalEvery: o.evalEvery,
    lr: d.grpo.lr,
    klCoef: d.grpo.klCoef,
    questionsPerStep: ppo ? PPO_QUESTIONS_PER_STEP : d.grpo.questionsPerStep,
    turnTokens: d.rollout.maxTurnTokens,
    miniBatches: d.grpo.miniBatches,
    evalOnly: false,
    algo: ppo ? 'ppo' : 'grpo',
    baseOnly: isBase,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Timing: a short calibration, then an estimate per run.

interface Timing {
  corpus: string;
  practiceStep: number;
  /** One GRPO step of 64 rollouts (8 questions × G 8). */
  grpoStep: number;
  /** One PPO step of 64 rollouts. */
  ppoStep: number;
  /** Greedy evaluation, per question. */
  evalQuestion: number;
  testQuestions: Record<string, number>;
}

const seconds = () => performance.now() / 1000;

/**
 * Time 3 practice steps, one GRPO and one PPO step and a greedy evaluation of up to 64 test questions on a fresh
 * policy of the first corpus. A barely practised policy writes to every length cap, so RL steps come out on the
 * long side: the estimate is an upper bound rather than a forecast.
 */
async function calibrate(o: BenchOptions): Promise<Timing> {
  const corpus = o.corpora[0];
  const f = corpusFiles(o, corpus);
  const data: Dataset = {
    corpus: loadCorpus(f.corpus),
    train: await loadQA(f.train),
    test: await loadQA(f.test),
  };
  const cfg = defaultRunConfig();
  const rng = new Rng(12345);
  const tokenizer = buildTokenizer(data);
  const retriever = buildRetriever(data.corpus);
  const policy = newPolicy(tokenizer, 1);
  try {
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg.rollout);
    const builder = new PracticeBuilder(data.corpus, data.train, retriever, cfg.rollout);
    let t = seconds();
    await trainBase(policy, env, builder, { ...DEFAULT_BASE_TRAINING, steps: 3 }, rng.fork());
    const practiceStep = (seconds() - t) / 3;
    const grpo = new GrpoTrainer(policy, tokenizer, retriever, data.train, cfg.grpo, cfg.rollout, rng.fork());
    t = seconds();
    await grpo.step();
    const grpoStep = seconds() - t;
    grpo.dispose();
    const ppoGrpo = { ...cfg.grpo, groupSize: PPO_GROUP_SIZE, questionsPerStep: PPO_QUESTIONS_PER_STEP };
    const ppo = new PpoTrainer(
      policy,
      tokenizer,
      retriever,
      data.train,
      ppoGrpo,
      cfg.rollout,
      rng.fork(),
      cfg.ppo,
    );
    t = seconds();
    await ppo.step();
    const ppoStep = seconds() - t;
    ppo.dispose();
    const items = data.test.slice(0, 64);
    t = seconds();
    await evaluate(env, items, rng.fork(), 64);
    const evalQuestion = (seconds() - t) / items.length;
    const testQuestions: Record<string, number> = {};
    for (const c of o.corpora) testQuestions[c] = (await loadQA(corpusFiles(o, c).test)).length;
    return { corpus, practiceStep, grpoStep, ppoStep, evalQuestion, testQuestions };
  } finally {
    policy.dispose();
  }
}

/** Validation questions the pass@k gate samples k times each (pipeline.ts VAL_QUESTIONS). */
const GATE_QUESTIONS = 100;

function estimateBase(t: Timing, o: BenchOptions, corpus: string, mode: Mode): number {
  const evalAll = t.testQuestions[corpus] * t.evalQuestion;
  // One gate round (a weak base may take up to two more, each with a third of the practice).
  const gate = mode === 'direct' ? 0 : GATE_QUESTIONS * o.passK * t.evalQuestion;
  return o.baseSteps * t.practiceStep + gate + evalAll;
}

function estimateRl(t: Timing, o: BenchOptions, corpus: string, m: MethodSpec): number {
  const evalAll = t.testQuestions[corpus] * t.evalQuestion;
  const d = defaultRunConfig();
  const step =
    m.algo === 'ppo'
      ? t.ppoStep
      : (t.grpoStep * (m.group ?? d.grpo.groupSize) * d.grpo.questionsPerStep) / 64;
  const evals = 2 + (o.evalEvery > 0 ? Math.floor((o.steps - 1) / o.evalEvery) : 0);
  return o.steps * step + evals * evalAll;
}

const hm = (s: number) =>
  s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${(s / 60).toFixed(1)} min`;

// ---------------------------------------------------------------------------------------------------------------
// Plan and run.

interface Job {
  corpus: string;
  seed: number;
  /** A base policy to build (and, for Direct / RAG, the method it answers), or an RL run from a base. */
  kind: 'base' | 'rl';
  mode: Mode;
  method?: MethodSpec;
  /** Methods answered by this base's own evaluation. */
  answers: MethodSpec[];
  dir: string;
  estimate: number;
}

function plan(o: BenchOptions, t: Timing | null): Job[] {
  const jobs: Job[] = [];
  for (const corpus of o.corpora) {
    for (const seed of o.seeds) {
      const root = path.join(o.work, corpus, `seed${seed}`);
      const modes = [...new Set(o.methods.map((m) => m.mode))];
      for (const mode of modes) {
        jobs.push({
          corpus,
          seed,
          kind: 'base',
          mode,
          answers: o.methods.filter((m) => m.mode === mode && !m.rl),
          dir: path.join(root, `base-${mode}`),
          estimate: t ? estimateBase(t, o, corpus, mode) : 0,
        });
        for (const m of o.methods.filter((x) => x.mode === mode && x.rl)) {
          jobs.push({
            corpus,
            seed,
            kind: 'rl',
            mode,
            method: m,
            answers: [m],
            dir: path.join(root, m.id),
            estimate: t ? estimateRl(t, o, corpus, m) : 0,
          });
        }
      }
    }
  }
  return jobs;
}

function readJsonl(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A cell's result from a finished run folder. */
function cellFrom(job: Job, method: MethodSpec, summary: Summary): CellResult {
  const preds = readJsonl(path.join(job.dir, 'predictions.jsonl')) as { em: number; hops?: number }[];
  const split = emByHopSplit(preds);
  const cell: CellResult = {
    corpus: job.corpus,
    seed: job.seed,
    method: method.id,
    em: summary.em,
    emSingle: split.single,
    emMulti: split.multi,
    f1: summary.f1,
    searchesPerQuestion: summary.searches_per_question,
    steps: summary.steps,
    seconds: summary.seconds,
  };
  if (job.kind === 'rl') {
    const steps = readJsonl(path.join(job.dir, 'metrics.jsonl')).filter((r) => !r.eval);
    const pick = (k: CurveName) => steps.map((r) => Number(r[k]));
    cell.curves = {
      reward: pick('reward'),
      responseLength: pick('responseLength'),
      validSearches: pick('validSearches'),
    };
  }
  return cell;
}

interface Done {
  key: string;
  summary: Summary;
}

/**
 * Run one job, or reuse its finished folder when its settings (and, for an RL run, its base) are unchanged.
 * `bases` maps a base folder to the summary of the base run that built it.
 */
async function runJob(
  o: BenchOptions,
  job: Job,
  jobs: readonly Job[],
  bases: Map<string, Summary>,
): Promise<{ summary: Summary; reused: boolean }> {
  const files = corpusFiles(o, job.corpus);
  const baseDir = jobs.find(
    (j) => j.kind === 'base' && j.corpus === job.corpus && j.seed === job.seed && j.mode === job.mode,
  )!.dir;
  const opts =
    job.kind === 'base'
      ? runOptions(o, files, job.seed, { mode: job.mode, base: true }, job.dir)
      : runOptions(o, files, job.seed, job.method!, job.dir, path.join(baseDir, 'checkpoint'));
  // The key names everything that shapes the result; a base's key leaves out the RL settings it does not use.
  const key = JSON.stringify(
    job.kind === 'base' ? { ...opts, steps: 0, evalEvery: 0 } : { ...opts, base: bases.get(baseDir) ?? null },
  );
  const doneFile = `${job.dir}.done.json`;
  if (!o.fresh && fs.existsSync(doneFile) && fs.existsSync(job.dir)) {
    const done = JSON.parse(fs.readFileSync(doneFile, 'utf8')) as Done;
    if (done.key === key) return { summary: done.summary, reused: true };
  }
  fs.rmSync(doneFile, { force: true });
  const summary = await runPipeline(opts);
  fs.writeFileSync(doneFile, JSON.stringify({ key, summary } satisfies Done, null, 1));
  return { summary, reused: false };
}

function writeResults(
  o: BenchOptions,
  cells: readonly CellResult[],
  meta: { seconds: number; command: string; timing: Timing | null },
) {
  fs.mkdirSync(o.out, { recursive: true });
  const plots: Record<string, string[]> = {};
  for (const corpus of o.corpora) {
    plots[corpus] = [];
    for (const [name, svg] of Object.entries(curvePlots(cells, corpus))) {
      fs.writeFileSync(path.join(o.out, name), svg);
      plots[corpus].push(name);
    }
  }
  const rows = summarize(cells, o.corpora);
  const created = new Date().toISOString();
  const md = renderMarkdown(rows, {
    created,
    corpora: o.corpora,
    seeds: o.seeds,
    steps: o.steps,
    baseSteps: o.baseSteps,
    backend: o.backend,
    command: meta.command,
    seconds: meta.seconds,
    plots,
  });
  fs.writeFileSync(path.join(o.out, 'learn.md'), md);
  const json = {
    created,
    command: meta.command,
    seconds: Math.round(meta.seconds),
    settings: {
      corpora: o.corpora,
      seeds: o.seeds,
      methods: o.methods.map((m) => m.id),
      steps: o.steps,
      baseSteps: o.baseSteps,
      evalEvery: o.evalEvery,
      backend: o.backend,
    },
    calibration: meta.timing,
    summary: rows,
    cells,
  };
  fs.writeFileSync(path.join(o.out, 'learn.json'), JSON.stringify(json, null, 1) + '\n');
}

runMain(async () => {
  const argv = process.argv.slice(2);
  if (await reexecForWebGPU(argv)) return;
  const o = parseOptions(argv);
  if (!o) return;
  for (const c of o.corpora) corpusFiles(o, c); // fail fast on a missing corpus
  const command = `npm run bench:learn${argv.length ? ' -- ' + argv.join(' ') : ''}`;
  const log = (s: string) => process.stderr.write(s + '\n');
  const choice = await nodeBackend(o.backend);
  let timing: Timing | null = null;
  if (o.estimate) {
    log(`bench:learn: calibrating on ${o.corpora[0]} (${choice.backend})…`);
    timing = await calibrate(o);
    log(
      `calibration: practice ${timing.practiceStep.toFixed(2)} s/step, GRPO ${timing.grpoStep.toFixed(1)} s/step ` +
        `and PPO ${timing.ppoStep.toFixed(1)} s/step (64 rollouts), eval ${(timing.evalQuestion * 1000).toFixed(0)} ms/question`,
    );
  }
  const jobs = plan(o, timing);
  const baseCount = jobs.filter((j) => j.kind === 'base').length;
  log(
    `plan: ${o.corpora.length} corpora × ${o.seeds.length} seed(s): ${baseCount} base policies (${o.baseSteps} practice steps) ` +
      `and ${jobs.length - baseCount} RL runs (${o.steps} steps); methods ${o.methods.map((m) => m.id).join(', ')}`,
  );
  const totalEstimate = jobs.reduce((s, j) => s + j.estimate, 0);
  if (timing) {
    log(
      `estimate: about ${hm(totalEstimate)} on this machine (an upper bound; finished runs under ${o.work} are reused)`,
    );
  }
  if (o.dryRun) return;

  const t0 = seconds();
  const cells: CellResult[] = [];
  const bases = new Map<string, Summary>();
  let spent = 0;
  let estimatedSpent = 0;
  for (const [i, job] of jobs.entries()) {
    const what = job.kind === 'base' ? `base (${job.mode})` : job.method!.id;
    log(`\n[${i + 1}/${jobs.length}] ${job.corpus} seed ${job.seed}: ${what}`);
    const tj = seconds();
    const { summary, reused } = await runJob(o, job, jobs, bases);
    if (job.kind === 'base') bases.set(job.dir, summary);
    for (const m of job.answers) cells.push(cellFrom(job, m, summary));
    const took = seconds() - tj;
    if (!reused) {
      spent += took;
      estimatedSpent += job.estimate;
    }
    const left = jobs.slice(i + 1).reduce((s, j) => s + j.estimate, 0);
    // Rescale the estimate by how fast runs actually went, once enough of it has been measured.
    const ratio = estimatedSpent > 0.1 * totalEstimate ? spent / estimatedSpent : 1;
    log(
      `[${i + 1}/${jobs.length}] ${what}: EM ${summary.em.toFixed(3)} ${JSON.stringify(summary.em_by_hops)}, ` +
        `${summary.searches_per_question.toFixed(2)} searches/question, ${reused ? 'reused' : hm(took)}` +
        (timing ? `; about ${hm(left * ratio)} left` : ''),
    );
    writeResults(o, cells, { seconds: seconds() - t0, command, timing });
  }
  writeResults(o, cells, { seconds: seconds() - t0, command, timing });
  log(
    `\nbench:learn: ${hm(seconds() - t0)}; wrote ${path.join(o.out, 'learn.md')}, learn.json and the curve SVGs`,
  );
});
