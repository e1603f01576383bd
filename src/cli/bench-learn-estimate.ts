/**
 * bench:learn's time estimate: a short calibration on this machine (practice, GRPO and PPO steps, greedy
 * evaluation on a fresh policy), then an estimate per job, an upper bound rather than a forecast. Knows the engine's
 * trainers; nothing of the pipeline or the results.
 */
import { DEFAULT_BASE_TRAINING, trainBase } from '../engine/base';
import { defaultRunConfig, PPO_GROUP_SIZE, PPO_QUESTIONS_PER_STEP, type Mode } from '../engine/config';
import { evaluate } from '../engine/evaluate';
import { PracticeBuilder } from '../engine/practice';
import { PpoTrainer } from '../engine/ppo';
import { Rng } from '../engine/rng';
import { RolloutEnv } from '../engine/rollout';
import { buildRetriever, buildTokenizer, newPolicy, type Dataset } from '../engine/session';
import { SplitRunner } from '../engine/shard';
import { GrpoTrainer } from '../engine/trainer';
import { corpusFiles, type BenchOptions } from './bench-learn-options';
import type { MethodSpec } from './bench-learn-report';
import { loadCorpus, loadQA } from './common';
import { WorkerPeer, defaultThreads } from './peer';

export interface Timing {
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

/** Wall-clock seconds. */
export const seconds = () => performance.now() / 1000;

/**
 * Time 3 practice steps, one GRPO and one PPO step and a greedy evaluation of up to 64 test questions on a fresh
 * policy of the first corpus, on as many compute threads as the runs will use (peer.ts defaultThreads). A barely practised policy writes to every length cap, so RL steps come out on the
 * long side: the estimate is an upper bound rather than a forecast.
 */
export async function calibrate(o: BenchOptions): Promise<Timing> {
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
  const retriever = buildRetriever(data.corpus, cfg.rollout.bm25K1);
  const policy = newPolicy(tokenizer, 1);
  const peer =
    defaultThreads(o.backend) > 1
      ? await WorkerPeer.start(o.backend, policy, tokenizer, data.corpus, cfg.rollout)
      : null;
  try {
    const env = new RolloutEnv(policy, tokenizer, retriever, cfg.rollout);
    const builder = new PracticeBuilder(data.corpus, data.train, retriever, cfg.rollout);
    let t = seconds();
    const practice = { ...DEFAULT_BASE_TRAINING, steps: 3 };
    await trainBase(policy, env, builder, practice, rng.fork(), undefined, undefined, peer);
    const practiceStep = (seconds() - t) / 3;
    const grpo = new GrpoTrainer(
      policy,
      tokenizer,
      retriever,
      data.train,
      cfg.grpo,
      cfg.rollout,
      rng.fork(),
      peer,
    );
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
    await evaluate(new SplitRunner(env, peer), items, rng.fork(), 64);
    const evalQuestion = (seconds() - t) / items.length;
    const testQuestions: Record<string, number> = {};
    for (const c of o.corpora) testQuestions[c] = (await loadQA(corpusFiles(o, c).test)).length;
    return { corpus, practiceStep, grpoStep, ppoStep, evalQuestion, testQuestions };
  } finally {
    policy.dispose();
    await peer?.dispose();
  }
}

/** Validation questions the pass@k gate samples k times each (pipeline.ts VAL_QUESTIONS). */
const GATE_QUESTIONS = 100;

/** Seconds to build and evaluate one base policy of `mode` on `corpus`. */
export function estimateBase(t: Timing, o: BenchOptions, corpus: string, mode: Mode): number {
  const evalAll = t.testQuestions[corpus] * t.evalQuestion;
  // One gate round (a weak base may take up to two more, each with a third of the practice).
  const gate = mode === 'direct' ? 0 : GATE_QUESTIONS * o.passK * t.evalQuestion;
  return o.baseSteps * t.practiceStep + gate + evalAll;
}

/** Seconds for one RL run of method `m` on `corpus`, its evaluations included. */
export function estimateRl(t: Timing, o: BenchOptions, corpus: string, m: MethodSpec): number {
  const evalAll = t.testQuestions[corpus] * t.evalQuestion;
  const d = defaultRunConfig();
  const step =
    m.algo === 'ppo'
      ? t.ppoStep
      : (t.grpoStep * (m.group ?? d.grpo.groupSize) * d.grpo.questionsPerStep) / 64;
  const evals = 2 + (o.evalEvery > 0 ? Math.floor((o.steps - 1) / o.evalEvery) : 0);
  return o.steps * step + evals * evalAll;
}

/** A duration for the log: minutes, or hours and minutes. */
export const hm = (s: number) =>
  s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${(s / 60).toFixed(1)} min`;
