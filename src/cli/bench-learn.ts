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
 * benchmark resumes; with --ledger each finished job also leaves a small record that can be committed, so the
 * benchmark adds up across machines and sessions (bench-learn-ledger.ts). Before running, a short calibration
 * measures practice, RL-step and evaluation times on this machine and prints an estimate of the whole run.
 *
 * This file is the entry point (the main loop and the result files); bench-learn-options.ts parses the command
 * line, bench-learn-estimate.ts calibrates, bench-learn-jobs.ts plans and runs the jobs, bench-learn-ledger.ts
 * keys and keeps the records, bench-learn-report.ts renders the table and plots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { calibrate, hm, seconds, type Timing } from './bench-learn-estimate';
import { codeFingerprint } from './bench-learn-ledger';
import { lookup, plan, runJob, type Job, type JobContext } from './bench-learn-jobs';
import { corpusFiles, parseOptions, type BenchOptions } from './bench-learn-options';
import { curveMoves, findings, renderFindings } from './bench-learn-findings';
import { curvePlots, METHODS, renderMarkdown, summarize, type CellResult } from './bench-learn-report';
import { runMain } from './common';
import { nodeBackend, reexecForWebGPU } from './node-backend';
import type { Summary } from './pipeline';

function writeResults(
  o: BenchOptions,
  cells: readonly CellResult[],
  meta: {
    seconds: number;
    runSeconds: number;
    command: string;
    timing: Timing | null;
    progress: { done: number; planned: number };
  },
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
  const rlMethods = METHODS.filter((m) => m.rl).map((m) => m.id);
  const found = findings(cells, o.corpora);
  const moves = curveMoves(cells, o.corpora, rlMethods);
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
    runSeconds: meta.runSeconds,
    plots,
    progress: meta.progress,
    findings: renderFindings(found, moves, o.corpora, rlMethods),
  });
  fs.writeFileSync(path.join(o.out, 'learn.md'), md);
  const json = {
    created,
    command: meta.command,
    seconds: Math.round(meta.seconds),
    runSeconds: Math.round(meta.runSeconds),
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
    findings: found,
    curveMoves: moves,
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
  if (o.estimate && !o.reportOnly) {
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
  const ledger = o.ledger ? { dir: o.ledger, code: codeFingerprint() } : null;
  // What --work and the ledger already hold (walked in plan order, so that RL runs see their bases' summaries).
  const held = new Set<Job>();
  let rebuilt = 0; // bases with a record that must be built again for the checkpoint their remaining runs need
  if (!o.fresh) {
    const seen: JobContext = { o, jobs, bases: new Map(), ledger };
    for (const job of jobs) {
      const hit = lookup(seen, job);
      if (hit) held.add(job);
      // A base that must be built again for its checkpoint gives the summary its record has (the runs are
      // deterministic), so its runs in the ledger count as held.
      const summary = hit?.summary ?? lookup(seen, job, false)?.summary;
      if (!hit && summary) rebuilt++;
      if (job.kind === 'base' && summary) seen.bases.set(job.dir, summary);
    }
    if (held.size || rebuilt) {
      const more = rebuilt
        ? `; ${rebuilt} more base(s) are recorded but must be built again for their other runs`
        : '';
      log(
        `reused: ${held.size} of ${jobs.length} jobs are finished under ${o.work}${o.ledger ? ` or in ${o.ledger}` : ''}${more}`,
      );
    }
  }
  const totalEstimate = jobs.filter((j) => !held.has(j)).reduce((s, j) => s + j.estimate, 0);
  if (timing) {
    log(`estimate: about ${hm(totalEstimate)} on this machine for the jobs left (an upper bound)`);
  }
  if (o.dryRun) return;

  const t0 = seconds();
  const cells: CellResult[] = [];
  const bases = new Map<string, Summary>();
  const ctx: JobContext = { o, jobs, bases, ledger };
  let spent = 0;
  let estimatedSpent = 0;
  // What every run in the table took when it ran, reused ones included (from their summaries).
  let runSeconds = 0;
  let done = 0;
  const progress = () => ({ done, planned: jobs.length });
  for (const [i, job] of jobs.entries()) {
    if (o.reportOnly) {
      // The table from what is already done: nothing runs, and a base counts with its record alone.
      const hit = lookup(ctx, job, false);
      if (!hit) continue;
      if (job.kind === 'base') bases.set(job.dir, hit.summary);
      runSeconds += hit.summary.seconds;
      cells.push(...hit.cells);
      done++;
      continue;
    }
    const what = job.kind === 'base' ? path.basename(job.dir) : job.method!.id;
    log(`\n[${i + 1}/${jobs.length}] ${job.corpus} seed ${job.seed}: ${what}`);
    const tj = seconds();
    const { summary, cells: finished, reused } = await runJob(ctx, job);
    if (job.kind === 'base') bases.set(job.dir, summary);
    runSeconds += summary.seconds;
    cells.push(...finished);
    done++;
    const took = seconds() - tj;
    if (!reused) {
      spent += took;
      estimatedSpent += job.estimate;
    }
    const left = jobs
      .slice(i + 1)
      .filter((j) => !held.has(j))
      .reduce((s, j) => s + j.estimate, 0);
    // Rescale the estimate by how fast runs actually went, once enough of it has been measured.
    const ratio = estimatedSpent > 0.1 * totalEstimate ? spent / estimatedSpent : 1;
    log(
      `[${i + 1}/${jobs.length}] ${what}: EM ${summary.em.toFixed(3)} ${JSON.stringify(summary.em_by_hops)}, ` +
        `${summary.searches_per_question.toFixed(2)} searches/question, ${reused ? `reused from ${reused === 'work' ? o.work : o.ledger}` : hm(took)}` +
        (timing ? `; about ${hm(left * ratio)} left` : ''),
    );
    writeResults(o, cells, { seconds: seconds() - t0, runSeconds, command, timing, progress: progress() });
  }
  writeResults(o, cells, { seconds: seconds() - t0, runSeconds, command, timing, progress: progress() });
  log(
    `\nbench:learn: ${hm(seconds() - t0)}; wrote ${path.join(o.out, 'learn.md')}, learn.json and the curve SVGs`,
  );
});
