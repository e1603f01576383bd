/**
 * The CLI's run pipeline on the shared engine: load and validate data, choose the backend, get a base policy
 * (from --init or by reading practice), evaluate, train with GRPO or PPO (--algo), and write DIR atomically.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { trainBase, DEFAULT_BASE_TRAINING, type BaseTrainingConfig } from '../engine/base';
import type { BackendName } from '../engine/backend';
import { defaultRunConfig, type Algo, type Mode, type RunConfig } from '../engine/config';
import type { RewardVariant } from '../engine/reward';
import { evaluate, passAtK, type EvalSummary, type Prediction } from '../engine/evaluate';
import type { Policy } from '../engine/model';
import { heldOutPassages, PracticeBuilder } from '../engine/practice';
import { Rng } from '../engine/rng';
import { RolloutEnv } from '../engine/rollout';
import { SplitRunner } from '../engine/shard';
import { buildRetriever, buildTokenizer, newPolicy, type Dataset } from '../engine/session';
import type { Tokenizer } from '../engine/tokenizer';
import type { QAItem } from '../engine/types';
import { createTrainer } from '../engine/ppo';
import type { StepMetrics } from '../engine/trainer';
import {
  AtomicDir,
  InputError,
  loadCheckpoint,
  loadCorpus,
  loadQA,
  Progress,
  saveCheckpoint,
  writeJsonl,
} from './common';
import { midEvalFits, stepFits, type BudgetClock } from './budget';
import { nodeBackend } from './node-backend';
import { WorkerPeer, defaultThreads } from './peer';

export interface PipelineOptions {
  corpus: string;
  train?: string;
  test: string;
  out: string;
  mode: Mode;
  steps: number;
  group: number;
  seed: number;
  backend: BackendName | 'auto';
  mask: boolean;
  reward: RewardVariant;
  topk: number;
  /** BM25 k1 of the search engine (RolloutConfig.bm25K1). */
  bm25K1: number;
  maxTurns: number;
  init?: string;
  baseSteps: number;
  passK: number;
  evalEvery: number;
  lr: number;
  klCoef: number;
  questionsPerStep: number;
  turnTokens: number;
  miniBatches: number;
  /** Extra rollout rounds for dynamic sampling (GrpoConfig.resampleRounds). */
  resampleRounds?: number;
  /** Sampling temperature of training rollouts (default config.ts, 1). */
  temperature?: number;
  /** A search passes over the passages its rollout has read (RolloutConfig.freshPassages; default on). */
  freshPassages?: boolean;
  /** Compute threads (1 or 2; default peer.ts defaultThreads): 2 runs half of every batch on a worker thread. */
  threads?: number;
  /** Only evaluate (npm run eval). */
  evalOnly: boolean;
  /** RL algorithm (default grpo). */
  algo?: Algo;
  /** PPO settings (defaults: defaultRunConfig().ppo). */
  criticLr?: number;
  valueClip?: number;
  gamma?: number;
  lambda?: number;
  /**
   * Build the base (reading practice and its pass@k gate, exactly as a training run would), evaluate it, save it
   * as the checkpoint and stop: a base that several runs can share through --init (npm run bench:learn).
   */
  baseOnly?: boolean;
  /**
   * Wall-clock budget of the whole run in minutes (cli/budget.ts): RL stops early, and mid-run evaluations are
   * skipped, when they would end the run past it. Absent or 0: every step runs.
   */
  budgetMinutes?: number;
}

export interface Summary {
  em: number;
  f1: number;
  base_em: number;
  base_val_pass_at_k: number | null;
  em_by_hops: Record<string, number>;
  base_em_by_hops: Record<string, number>;
  searches_per_question: number;
  top_prediction_share: number;
  mode: Mode;
  backend: string;
  steps: number;
  /** The steps asked for; more than `steps` when the time budget stopped RL early. */
  steps_planned: number;
  seconds: number;
  /** Wall-clock seconds by phase: reading practice, the pass@k gate, held-out evaluations, RL steps. */
  phase_seconds: PhaseSeconds;
  algo: Algo;
}

export interface PhaseSeconds {
  practice: number;
  gate: number;
  evaluation: number;
  rl: number;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Validation questions carved from the end of the training set: never trained on by RL, and their entities'
 * passages are kept out of reading practice like the test entities' (so validation behaves like test). Only the
 * validation split steers training (the pass@k gate); the test split is only reported.
 */
const VAL_QUESTIONS = 100;
/** RL starts once the base finds a correct answer in at least this share of validation questions (pass@k). */
const PASS_K_GATE = 0.1;
/** Extra practice rounds the gate may ask for, each a third of the requested practice. */
const GATE_ROUNDS = 2;

export function splitValidation(train: readonly QAItem[]): { train: QAItem[]; val: QAItem[] } {
  const n = train.length >= 10 * VAL_QUESTIONS ? VAL_QUESTIONS : Math.floor(train.length / 10);
  return { train: train.slice(0, train.length - n), val: train.slice(train.length - n) };
}

export async function runPipeline(o: PipelineOptions): Promise<Summary> {
  const t0 = performance.now();
  const phases: PhaseSeconds = { practice: 0, gate: 0, evaluation: 0, rl: 0 };
  /** Runs f and adds its wall-clock seconds to one phase. */
  const timed = async <T>(phase: keyof PhaseSeconds, f: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await f();
    } finally {
      phases[phase] += (performance.now() - start) / 1000;
    }
  };
  // 1. Input first: every file is validated before any work, so bad input fails fast with exit code 2.
  const data: Dataset = {
    corpus: loadCorpus(o.corpus),
    train: o.train ? await loadQA(o.train) : [],
    test: await loadQA(o.test),
  };
  if (!o.evalOnly && o.steps > 0 && o.mode !== 'direct' && !data.train.length) {
    throw new InputError('--train is required to train (or pass --steps 0 / --mode direct)');
  }
  if (o.init && !fs.existsSync(o.init)) throw new InputError(`--init ${o.init}: no such checkpoint folder`);
  const out = new AtomicDir(o.out);
  let peer: WorkerPeer | null = null;
  try {
    const choice = await nodeBackend(o.backend);
    if (choice.notice) process.stderr.write(`backend: ${choice.notice}\n`);
    const cfg: RunConfig = defaultRunConfig();
    cfg.seed = o.seed;
    cfg.steps = o.mode === 'direct' || o.evalOnly || o.baseOnly ? 0 : o.steps;
    cfg.algo = o.algo ?? 'grpo';
    cfg.ppo.criticLr = o.criticLr ?? cfg.ppo.criticLr;
    cfg.ppo.valueClip = o.valueClip ?? cfg.ppo.valueClip;
    cfg.ppo.gamma = o.gamma ?? cfg.ppo.gamma;
    cfg.ppo.lambda = o.lambda ?? cfg.ppo.lambda;
    cfg.evalEvery = o.evalEvery;
    cfg.rollout.mode = o.mode;
    cfg.grpo.groupSize = o.group;
    cfg.grpo.maskInformation = o.mask;
    cfg.grpo.reward = o.reward;
    cfg.rollout.topk = o.topk;
    cfg.rollout.bm25K1 = o.bm25K1;
    cfg.rollout.maxTurns = o.maxTurns;
    cfg.grpo.lr = o.lr;
    cfg.grpo.klCoef = o.klCoef;
    cfg.grpo.questionsPerStep = o.questionsPerStep;
    cfg.rollout.maxTurnTokens = o.turnTokens;
    cfg.grpo.miniBatches = o.miniBatches;
    if (o.resampleRounds !== undefined) cfg.grpo.resampleRounds = o.resampleRounds;
    if (o.temperature !== undefined) cfg.rollout.temperature = o.temperature;
    if (o.freshPassages !== undefined) cfg.rollout.freshPassages = o.freshPassages;
    const rng = new Rng(o.seed);
    const retriever = buildRetriever(data.corpus, cfg.rollout.bm25K1);
    const threads = o.threads ?? defaultThreads(choice.backend);
    /** A worker thread that takes half of every batch (engine/shard.ts), holding a copy of `p`. */
    const startPeer = async (p: Policy, t: Tokenizer) =>
      threads > 1 ? WorkerPeer.start(choice.backend, p, t, data.corpus, cfg.rollout) : null;
    const { train: rlTrain, val } = splitValidation(data.train);

    // 2. The base policy.
    let policy: Policy;
    let tokenizer: Tokenizer;
    let baseInfo: object;
    let lastGatePassK: number | null = null;
    if (o.init) {
      ({ policy, tokenizer } = loadCheckpoint(o.init));
      peer = await startPeer(policy, tokenizer);
      baseInfo = { init: o.init };
    } else {
      tokenizer = buildTokenizer(data);
      policy = newPolicy(tokenizer, o.seed);
      peer = await startPeer(policy, tokenizer);
      const env = new SplitRunner(new RolloutEnv(policy, tokenizer, retriever, cfg.rollout), peer);
      const held = heldOutPassages(data.corpus, [...data.test, ...val]);
      const builder = new PracticeBuilder(data.corpus, rlTrain, retriever, cfg.rollout, held);
      const practiceRng = rng.fork();
      const practise = async (steps: number, label: string, warmup: boolean) => {
        const bar = new Progress(label);
        const baseCfg: BaseTrainingConfig = {
          ...DEFAULT_BASE_TRAINING,
          steps,
          ...(warmup ? {} : { warmupSteps: 0 }),
        };
        return timed('practice', () =>
          trainBase(
            policy,
            env.env,
            builder,
            baseCfg,
            practiceRng,
            (p) =>
              bar.update(p.step, p.steps, `loss ${p.loss.toFixed(3)} ${Math.round(p.tokensPerSec)} tok/s`),
            undefined,
            peer,
          ),
        );
      };
      let loss = await practise(o.baseSteps, 'base', true);
      let practiceSteps = o.baseSteps;
      // The gate: RL needs a base that sometimes finds the answer (SEARCH-R1.md §3: with pass@8 near 0 the reward
      // stays 0). Measured on validation questions only; more practice until it passes or the rounds run out.
      const gate: { round: number; passK: number }[] = [];
      const willTrain = cfg.steps > 0 || (o.baseOnly === true && !o.evalOnly);
      if (o.passK > 0 && o.baseSteps > 0 && val.length && willTrain && o.mode !== 'direct') {
        for (let round = 0; ; round++) {
          const pk = await timed('gate', () => passAtK(env, val, o.passK, rng.fork()));
          gate.push({ round, passK: r4(pk) });
          lastGatePassK = pk;
          process.stderr.write(
            `gate: pass@${o.passK} ${pk.toFixed(3)} on ${val.length} validation questions (needs ${PASS_K_GATE})\n`,
          );
          if (pk >= PASS_K_GATE) break;
          if (round >= GATE_ROUNDS) {
            process.stderr.write('gate: still below after the extra practice; RL starts anyway\n');
            break;
          }
          const extra = Math.ceil(o.baseSteps / 3);
          loss = await practise(extra, 'practice+', false);
          practiceSteps += extra;
        }
      }
      baseInfo = { practiceSteps, practiceLoss: loss, heldOutPassagesExcluded: held.size, gate };
    }
    const env = new SplitRunner(new RolloutEnv(policy, tokenizer, retriever, cfg.rollout), peer);
    const evalBar = new Progress('eval');
    const evalStart = performance.now();
    const base = await timed('evaluation', () =>
      evaluate(env, data.test, rng.fork(), 64, (d, n) => evalBar.update(d, n)),
    );
    const evalSeconds = (performance.now() - evalStart) / 1000;
    const passK =
      lastGatePassK ??
      (o.passK > 0 && val.length ? await timed('gate', () => passAtK(env, val, o.passK, rng.fork())) : null);
    process.stderr.write(
      `base: held-out EM ${base.summary.em.toFixed(3)} ${JSON.stringify(base.summary.emByHops)}` +
        (passK !== null ? `, validation pass@${o.passK} ${passK.toFixed(3)}` : '') +
        '\n',
    );

    // 3. RL.
    const metrics: (StepMetrics | (Record<string, unknown> & { step: number }))[] = [];
    /** Wall-clock seconds of each RL step run (the time budget's estimate of the next one). */
    const stepSeconds: number[] = [];
    let final: { summary: EvalSummary; predictions: Prediction[] } = base;
    if (cfg.steps > 0) {
      const trainer = createTrainer(cfg, policy, tokenizer, retriever, rlTrain, rng.fork(), peer);
      const bar = new Progress('train');
      const before = tf.memory().numTensors;
      const clock = (): BudgetClock => ({
        budget: (o.budgetMinutes ?? 0) * 60,
        elapsed: (performance.now() - t0) / 1000,
        stepSeconds,
        evalSeconds,
      });
      for (let s = 0; s < cfg.steps; s++) {
        if (!stepFits(clock())) {
          process.stderr.write(
            `\nbudget: RL stops after ${s} of ${cfg.steps} steps so that the run ends within ${o.budgetMinutes} min ` +
              `(--budget 0 runs every step)\n`,
          );
          break;
        }
        const stepStart = performance.now();
        const { metrics: m } = await timed('rl', () => trainer.step());
        stepSeconds.push((performance.now() - stepStart) / 1000);
        metrics.push(m);
        bar.update(
          s + 1,
          cfg.steps,
          `reward ${m.reward.toFixed(2)} kl ${m.kl.toFixed(3)} search ${m.validSearches.toFixed(2)} ` +
            `spread ${m.spread.toFixed(2)} top ${(m.topAnswerShare * 100).toFixed(0)}% ${Math.round(m.tokensPerSec)} tok/s` +
            ('valueLoss' in m ? ` vf ${(m.valueLoss as number).toFixed(3)}` : ''),
        );
        if (cfg.evalEvery > 0 && (s + 1) % cfg.evalEvery === 0 && s + 1 < cfg.steps && midEvalFits(clock())) {
          const ev = await timed('evaluation', () => evaluate(env, data.test, new Rng(o.seed + s)));
          process.stderr.write(
            `\nheld-out EM at step ${s + 1}: ${ev.summary.em.toFixed(3)} ${JSON.stringify(ev.summary.emByHops)}\n`,
          );
          metrics.push({
            step: s + 1,
            eval: true,
            test_em: ev.summary.em,
            test_em_by_hops: ev.summary.emByHops,
          });
        }
      }
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) process.stderr.write(`warning: ${leaked} tensors not freed during training\n`);
      trainer.dispose();
      final = await timed('evaluation', () =>
        evaluate(env, data.test, rng.fork(), 64, (d, n) => evalBar.update(d, n)),
      );
    }

    // 4. Outputs.
    const seconds = (performance.now() - t0) / 1000;
    const summary: Summary = {
      em: r4(final.summary.em),
      f1: r4(final.summary.f1),
      base_em: r4(base.summary.em),
      base_val_pass_at_k: passK === null ? null : r4(passK),
      em_by_hops: Object.fromEntries(Object.entries(final.summary.emByHops).map(([k, v]) => [k, r4(v)])),
      base_em_by_hops: Object.fromEntries(Object.entries(base.summary.emByHops).map(([k, v]) => [k, r4(v)])),
      searches_per_question: r4(final.summary.searchesPerQuestion),
      top_prediction_share: r4(final.summary.topPredictionShare),
      mode: o.mode,
      backend: choice.backend,
      steps: stepSeconds.length,
      steps_planned: cfg.steps,
      seconds: Math.round(seconds * 10) / 10,
      phase_seconds: {
        practice: Math.round(phases.practice),
        gate: Math.round(phases.gate),
        evaluation: Math.round(phases.evaluation),
        rl: Math.round(phases.rl),
      },
      algo: cfg.algo,
    };
    if (!o.evalOnly) writeJsonl(out.file('metrics.jsonl'), metrics);
    writeJsonl(
      out.file('predictions.jsonl'),
      final.predictions.map((p) => ({
        id: p.id,
        prediction: p.prediction,
        golden_answers: p.golden_answers,
        em: p.em,
        f1: p.f1,
        hops: p.hops,
        searches: p.searches.length,
        queries: p.searches,
        trajectory: p.trajectory,
      })),
    );
    fs.writeFileSync(out.file('summary.json'), JSON.stringify(summary, null, 1));
    if (!o.evalOnly) {
      await saveCheckpoint(out.file('checkpoint'), policy, tokenizer, {
        run: cfg,
        base: baseInfo,
        summary,
        created: new Date().toISOString(),
      });
    }
    policy.dispose();
    out.commit();
    return summary;
  } catch (e) {
    out.abandon();
    throw e;
  } finally {
    await peer?.dispose();
  }
}
