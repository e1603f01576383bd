/**
 * bench:learn's jobs: the plan (per corpus and seed, one base policy per prompt mode and top-k, then the RL runs
 * from it, ordered so that an interrupted benchmark has its headline rows first),
 * each job's pipeline options, running a job in-process (pipeline.ts) or reusing its finished folder under --work
 * when nothing that shapes its result changed, and a finished job's result cells.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultRunConfig, PPO_GROUP_SIZE, PPO_QUESTIONS_PER_STEP, type Mode } from '../engine/config';
import { estimateBase, estimateRl, type Timing } from './bench-learn-estimate';
import { corpusFiles, type BenchOptions, type Files } from './bench-learn-options';
import {
  emByHopSplit,
  meanByHops,
  METHODS,
  type CellResult,
  type CurveName,
  type MethodSpec,
} from './bench-learn-report';
import { ledgerKey, readRecord, recordPath, writeRecord, type LedgerRecord } from './bench-learn-ledger';
import { defaultThreads } from './peer';
import { runPipeline, type PipelineOptions, type Summary } from './pipeline';

/** Passages per search that method `m` reads (the default unless it sets its own). */
const topkOf = (m: MethodSpec): number => m.topk ?? defaultRunConfig().rollout.topk;

/**
 * The pipeline options of one run; `base` = build and save the base policy of this mode only, practised with
 * `topk` passages per search (so a top-k run starts from a reader that saw as many).
 */
function runOptions(
  o: BenchOptions,
  files: Files,
  seed: number,
  m: MethodSpec | { mode: Mode; topk: number; base: true },
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
    topk: isBase ? m.topk : topkOf(m),
    bm25K1: d.rollout.bm25K1,
    freshPassages: d.rollout.freshPassages,
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

export interface Job {
  corpus: string;
  seed: number;
  /** A base policy to build (and, for Direct / RAG, the method it answers), or an RL run from a base. */
  kind: 'base' | 'rl';
  mode: Mode;
  /** Passages per search: a base practises with it, and an RL run starts from the base with the same. */
  topk: number;
  method?: MethodSpec;
  /** Methods answered by this base's own evaluation. */
  answers: MethodSpec[];
  dir: string;
  estimate: number;
}

/**
 * The order methods run in: Search-R1 GRPO first, then the rest of the main comparison, then the group-size and
 * top-k sections (METHODS order). The full benchmark takes many hours on a laptop and resumes where it stopped, so
 * a partial run has the headline row on every corpus and seed before any ablation.
 */
const RUN_FIRST = ['grpo', 'grpo-nomask', 'ppo', 'r1', 'rag', 'direct'];

function runRank(id: string): number {
  const i = RUN_FIRST.indexOf(id);
  return i >= 0 ? i : RUN_FIRST.length + METHODS.findIndex((m) => m.id === id);
}

/** Whether a base of this mode and top-k serves method `m` (answers it, or starts its RL run). */
const serves = (j: { mode: Mode; topk: number }, m: MethodSpec) => m.mode === j.mode && topkOf(m) === j.topk;

/**
 * Every job, in run order (by method as RUN_FIRST says, then corpus, then seed; a base policy runs just before the
 * first job that needs it); each with its estimate in seconds when there is a calibration.
 */
export function plan(o: BenchOptions, t: Timing | null): Job[] {
  const jobs = planByCorpus(o, t);
  const rank = (j: Job) =>
    Math.min(
      ...(j.kind === 'rl' ? [j.method!] : o.methods.filter((m) => serves(j, m))).map((m) => runRank(m.id)),
    );
  // Array.prototype.sort is stable: within a rank, corpus and seed order stay, and a base stays before its runs.
  return jobs
    .map((j) => ({ j, r: rank(j) }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.j);
}

function planByCorpus(o: BenchOptions, t: Timing | null): Job[] {
  const jobs: Job[] = [];
  for (const corpus of o.corpora) {
    for (const seed of o.seeds) {
      const root = path.join(o.work, corpus, `seed${seed}`);
      // One base per mode and top-k, in the order methods first need them (a Map keeps first insertions' order).
      const bases = new Map(
        o.methods.map((m) => [`${m.mode} ${topkOf(m)}`, { mode: m.mode, topk: topkOf(m) }]),
      );
      for (const b of bases.values()) {
        jobs.push({
          corpus,
          seed,
          kind: 'base',
          ...b,
          answers: o.methods.filter((m) => serves(b, m) && !m.rl),
          dir: path.join(root, baseName(b)),
          estimate: t ? estimateBase(t, o, corpus, b.mode) : 0,
        });
        for (const m of o.methods.filter((x) => serves(b, x) && x.rl)) {
          jobs.push({
            corpus,
            seed,
            kind: 'rl',
            ...b,
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

/** A base's folder and ledger record name: base-MODE, and -kK after it when K is not the default top-k. */
function baseName(b: { mode: Mode; topk: number }): string {
  return b.topk === defaultRunConfig().rollout.topk ? `base-${b.mode}` : `base-${b.mode}-k${b.topk}`;
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
export function cellFrom(job: Job, method: MethodSpec, summary: Summary): CellResult {
  const preds = readJsonl(path.join(job.dir, 'predictions.jsonl')) as {
    em: number;
    hops?: number;
    searches?: number;
  }[];
  const split = emByHopSplit(preds);
  const searches = meanByHops(preds, (p) => p.searches ?? 0);
  const cell: CellResult = {
    corpus: job.corpus,
    seed: job.seed,
    method: method.id,
    em: summary.em,
    emSingle: split.single,
    emMulti: split.multi,
    f1: summary.f1,
    searchesPerQuestion: summary.searches_per_question,
    searchesSingle: searches.single,
    searchesMulti: searches.multi,
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

/** What running the jobs shares: the options, the plan, the base summaries so far, and the ledger (--ledger). */
export interface JobContext {
  o: BenchOptions;
  jobs: readonly Job[];
  /** Base folder → the summary of the base run that built it (or of its ledger record). */
  bases: Map<string, Summary>;
  /** The ledger folder and this checkout's code fingerprint; null without --ledger. */
  ledger: { dir: string; code: string } | null;
}

export interface JobResult {
  summary: Summary;
  cells: CellResult[];
  /** Where a reused result came from: the job's folder under --work, or its ledger record; null when it ran. */
  reused: 'work' | 'ledger' | null;
}

/** Whether two jobs share a base: the same corpus, seed, mode and top-k. */
const sameBase = (a: Job, b: Job) =>
  a.corpus === b.corpus && a.seed === b.seed && a.mode === b.mode && a.topk === b.topk;

function baseDirOf(jobs: readonly Job[], job: Job): string {
  return jobs.find((j) => j.kind === 'base' && sameBase(j, job))!.dir;
}

/** A job's pipeline options; an RL run starts from its base's checkpoint. */
export function jobOptions(ctx: JobContext, job: Job): PipelineOptions {
  const files = corpusFiles(ctx.o, job.corpus);
  return job.kind === 'base'
    ? runOptions(ctx.o, files, job.seed, { mode: job.mode, topk: job.topk, base: true }, job.dir)
    : runOptions(
        ctx.o,
        files,
        job.seed,
        job.method!,
        job.dir,
        path.join(baseDirOf(ctx.jobs, job), 'checkpoint'),
      );
}

/** The key of a job's folder under --work: everything that shapes the result (a base's leaves out RL settings). */
function workKey(opts: PipelineOptions, job: Job, base: Summary | null): string {
  return JSON.stringify(job.kind === 'base' ? { ...opts, steps: 0, evalEvery: 0 } : { ...opts, base });
}

function fromWork(job: Job, key: string): Done | null {
  const doneFile = `${job.dir}.done.json`;
  if (!fs.existsSync(doneFile) || !fs.existsSync(job.dir)) return null;
  const done = JSON.parse(fs.readFileSync(doneFile, 'utf8')) as Done;
  return done.key === key ? done : null;
}

/** The name of a job's ledger record: the base's name (baseName) or the method id. */
function recordName(job: Job): string {
  return job.kind === 'base' ? baseName(job) : job.method!.id;
}

/** A job's ledger key (bench-learn-ledger.ts ledgerKey), with its base's summary as ctx.bases has it. */
export function jobLedgerKey(ctx: JobContext, job: Job): Record<string, unknown> {
  return ledgerKeyOf(ctx, jobOptions(ctx, job), job, baseOf(ctx, job));
}

function ledgerKeyOf(ctx: JobContext, opts: PipelineOptions, job: Job, base: Summary | null) {
  const keyed = job.kind === 'base' ? { ...opts, steps: 0, evalEvery: 0 } : opts;
  return ledgerKey(keyed, { threads: defaultThreads(ctx.o.backend), code: ctx.ledger!.code, base });
}

function fromLedger(
  ctx: JobContext,
  opts: PipelineOptions,
  job: Job,
  base: Summary | null,
): LedgerRecord | null {
  if (!ctx.ledger) return null;
  const file = recordPath(ctx.ledger.dir, job.corpus, job.seed, recordName(job));
  return readRecord(file, ledgerKeyOf(ctx, opts, job, base));
}

/**
 * A base's ledger record, when it can stand in for building the base: only if every RL run of this base in the
 * plan is itself in the ledger or under --work, since any other run needs the base's checkpoint.
 */
function baseFromLedger(ctx: JobContext, job: Job, opts: PipelineOptions): LedgerRecord | null {
  const rec = fromLedger(ctx, opts, job, null);
  if (!rec) return null;
  const runs = ctx.jobs.filter((j) => j.kind === 'rl' && sameBase(j, job));
  for (const j of runs) {
    const o = jobOptions(ctx, j);
    if (!fromLedger(ctx, o, j, rec.summary) && !fromWork(j, workKey(o, j, rec.summary))) return null;
  }
  return rec;
}

function baseOf(ctx: JobContext, job: Job): Summary | null {
  return job.kind === 'base' ? null : (ctx.bases.get(baseDirOf(ctx.jobs, job)) ?? null);
}

/**
 * A job's result without running it: from its finished folder under --work, else from its ledger record, when the
 * settings (and, for an RL run, its base) are unchanged; null when it must run. Ignores --fresh (runJob does not).
 * `needCheckpoint` false: a base's record counts even when some of its runs still need the base built again (for
 * reporting, and for planning: the runs are deterministic, so the base would come out as its record says).
 */
export function lookup(ctx: JobContext, job: Job, needCheckpoint = true): JobResult | null {
  const opts = jobOptions(ctx, job);
  const base = baseOf(ctx, job);
  const done = fromWork(job, workKey(opts, job, base));
  if (done) {
    return {
      summary: done.summary,
      cells: job.answers.map((m) => cellFrom(job, m, done.summary)),
      reused: 'work',
    };
  }
  const rec =
    job.kind === 'base' && needCheckpoint ? baseFromLedger(ctx, job, opts) : fromLedger(ctx, opts, job, base);
  return rec && { summary: rec.summary, cells: rec.cells, reused: 'ledger' };
}

/**
 * Run one job, or reuse its result (lookup) unless --fresh. A job that ran, or was reused from --work, is written to
 * the ledger.
 */
export async function runJob(ctx: JobContext, job: Job): Promise<JobResult> {
  const opts = jobOptions(ctx, job);
  const base = baseOf(ctx, job);
  const hit = ctx.o.fresh ? null : lookup(ctx, job);
  if (hit?.reused === 'ledger') return hit;
  let result = hit;
  if (!result) {
    const doneFile = `${job.dir}.done.json`;
    fs.rmSync(doneFile, { force: true });
    const summary = await runPipeline(opts);
    fs.writeFileSync(
      doneFile,
      JSON.stringify({ key: workKey(opts, job, base), summary } satisfies Done, null, 1),
    );
    result = { summary, cells: job.answers.map((m) => cellFrom(job, m, summary)), reused: null };
  }
  // A result reused from --work whose record is already in the ledger leaves the record (and its time) as it is.
  if (ctx.ledger && !(result.reused === 'work' && fromLedger(ctx, opts, job, base))) {
    writeRecord(recordPath(ctx.ledger.dir, job.corpus, job.seed, recordName(job)), {
      key: ledgerKeyOf(ctx, opts, job, base),
      summary: result.summary,
      cells: result.cells,
      ran: new Date().toISOString(),
    });
  }
  return result;
}
