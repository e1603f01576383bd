/**
 * bench:learn's jobs: the plan (per corpus and seed, one base policy per prompt mode, then the RL runs from it,
 * ordered so that an interrupted benchmark has its headline rows first),
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
  METHODS,
  type CellResult,
  type CurveName,
  type MethodSpec,
} from './bench-learn-report';
import { runPipeline, type PipelineOptions, type Summary } from './pipeline';

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
    bm25K1: d.rollout.bm25K1,
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

/**
 * Every job, in run order (by method as RUN_FIRST says, then corpus, then seed; a base policy runs just before the
 * first job that needs it); each with its estimate in seconds when there is a calibration.
 */
export function plan(o: BenchOptions, t: Timing | null): Job[] {
  const jobs = planByCorpus(o, t);
  const rank = (j: Job) =>
    Math.min(
      ...(j.kind === 'rl' ? [j.method!] : o.methods.filter((m) => m.mode === j.mode)).map((m) =>
        runRank(m.id),
      ),
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
export function cellFrom(job: Job, method: MethodSpec, summary: Summary): CellResult {
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
export async function runJob(
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
