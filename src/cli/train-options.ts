/**
 * Options shared by `npm run train` and `npm run eval`, and their conversion into pipeline options.
 */
import { parseArgs, usage, UsageError, type OptionSpec } from './args';
import type { PipelineOptions } from './pipeline';
import { DEFAULT_BASE_TRAINING } from '../engine/base';
import {
  defaultRunConfig,
  PAPER_VALUES,
  PPO_GROUP_SIZE,
  PPO_QUESTIONS_PER_STEP,
  type Algo,
  type Mode,
} from '../engine/config';
import type { RewardVariant } from '../engine/reward';
import type { BackendName } from '../engine/backend';
import { DEFAULT_BUDGET_MINUTES } from './budget';

export const TRAIN_SPEC: Record<string, OptionSpec> = {
  corpus: { type: 'string', help: 'corpus JSON lines ({"id","contents"})' },
  train: {
    type: 'string',
    help: 'training questions: JSON lines ({"id","question","golden_answers"}) or Parquet (Search-R1 train.parquet, or question/golden_answers columns)',
  },
  test: { type: 'string', help: 'held-out questions, JSON lines or Parquet like --train' },
  out: { type: 'string', help: 'output folder (written atomically)' },
  mode: {
    type: 'string',
    choices: ['search', 'nosearch', 'rag', 'direct'],
    help: 'search (Search-R1), nosearch (R1), rag, direct (default search)',
  },
  algo: {
    type: 'string',
    choices: ['grpo', 'ppo'],
    help: 'RL algorithm: grpo (default) or ppo (critic + GAE, KL in the reward; the paper scripts’ default)',
  },
  steps: { type: 'number', help: `RL steps (default ${defaultRunConfig().steps})` },
  group: {
    type: 'number',
    help: `rollouts per question, G (default 8, ppo ${PPO_GROUP_SIZE}; paper 5, ppo ${PAPER_VALUES.ppoGroupSize})`,
  },
  seed: { type: 'number', help: 'random seed (default 1)' },
  backend: { type: 'string', choices: ['cpu', 'wasm', 'webgpu'], help: 'tfjs backend (default wasm)' },
  reward: {
    type: 'string',
    choices: ['em', 'f1', 'format'],
    help: 'reward: exact match (paper), token F1, or EM + format score (default em)',
  },
  topk: {
    type: 'number',
    help: `passages per search (default ${defaultRunConfig().rollout.topk}; paper ${PAPER_VALUES.topk})`,
  },
  'bm25-k1': {
    type: 'number',
    help: `BM25 term saturation k1 of the search engine (default ${defaultRunConfig().rollout.bm25K1}; textbook 1.2)`,
  },
  'max-turns': {
    type: 'number',
    help: `search rounds before the forced final round (default ${defaultRunConfig().rollout.maxTurns}; paper ${PAPER_VALUES.maxTurns})`,
  },
  'fresh-passages': {
    type: 'boolean',
    help: 'a search passes over the passages its rollout has read, so searching again reads the next one (default on; --no-fresh-passages: the same query always returns the same passages, as the paper)',
  },
  mask: {
    type: 'boolean',
    help: 'mask retrieved tokens out of the loss (default on; --no-mask for the ablation)',
  },
  init: { type: 'string', help: 'start from this checkpoint folder instead of building the base policy' },
  'base-steps': {
    type: 'number',
    help: `reading-practice steps when building the base (default ${DEFAULT_BASE_TRAINING.steps})`,
  },
  'pass-k': {
    type: 'number',
    help: 'k for the base pass@k gate on the validation questions carved from --train (default 8; 0 = no gate)',
  },
  'eval-every': {
    type: 'number',
    help: `held-out greedy eval every N steps, logged in metrics.jsonl (default ${defaultRunConfig().evalEvery}; 0 = end only)`,
  },
  lr: {
    type: 'number',
    help: 'GRPO learning rate after warm-up (default 3e-4; paper 1e-6 for 3B-7B models)',
  },
  kl: {
    type: 'number',
    help: 'KL coefficient to the base policy: k3 in the GRPO loss, k1 in the PPO reward (default 0.02; paper 0.001)',
  },
  'critic-lr': {
    type: 'number',
    help: `ppo: critic learning rate (default ${defaultRunConfig().ppo.criticLr}; paper ${PAPER_VALUES.criticLr})`,
  },
  'value-clip': {
    type: 'number',
    help: `ppo: value-loss clip range (default ${defaultRunConfig().ppo.valueClip}; paper ${PAPER_VALUES.valueClip})`,
  },
  gamma: { type: 'number', help: `ppo: GAE discount γ (default 1; paper ${PAPER_VALUES.gamma})` },
  lambda: { type: 'number', help: `ppo: GAE λ (default 1; paper ${PAPER_VALUES.lambda})` },
  'mini-batches': {
    type: 'number',
    help: `optimiser updates per step: the step's rollouts are split into this many mini-batches (default ${defaultRunConfig().grpo.miniBatches})`,
  },
  resample: {
    type: 'number',
    help: `grpo: extra rollout rounds per step while fewer than --questions groups have reward spread; the update takes the groups with spread first (DAPO dynamic sampling; default ${defaultRunConfig().grpo.resampleRounds}, paper 0)`,
  },
  temperature: {
    type: 'number',
    help: `sampling temperature of training rollouts (default ${defaultRunConfig().rollout.temperature}, as the paper); log-probs are still scored at 1, evaluation stays greedy`,
  },
  'turn-tokens': {
    type: 'number',
    help: `tokens the policy may generate per round (default ${defaultRunConfig().rollout.maxTurnTokens})`,
  },
  questions: {
    type: 'number',
    help: `questions per RL step, each with G rollouts (default 8, ppo ${PPO_QUESTIONS_PER_STEP})`,
  },
  threads: {
    type: 'number',
    help: 'compute threads, 1 or 2: 2 splits every rollout batch, scoring pass and gradient between two wasm threads (default 2 on a machine with 2+ cores for wasm and cpu, else 1; ppo uses 1 for RL)',
  },
  budget: {
    type: 'number',
    help: `time budget of the whole run in minutes: RL stops early, and skips mid-run evaluations, when one more step and the final evaluation would end the run past it (default ${DEFAULT_BUDGET_MINUTES}; 0 = run every step)`,
  },
  help: { type: 'boolean', help: 'show this help' },
};

export function pipelineOptions(argv: string[], command: string, evalOnly: boolean): PipelineOptions | null {
  const a = parseArgs(argv, TRAIN_SPEC);
  if (a.help) {
    process.stdout.write(usage(command, TRAIN_SPEC) + '\n');
    return null;
  }
  const need = evalOnly ? ['corpus', 'test', 'out', 'init'] : ['corpus', 'test', 'out'];
  for (const k of need)
    if (a[k] === undefined) throw new UsageError(`--${k} is required\n${usage(command, TRAIN_SPEC)}`);
  const int = (k: string, d: number, min: number) => {
    const v = (a[k] as number | undefined) ?? d;
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${k} must be an integer ≥ ${min}, got ${v}`);
    return v;
  };
  const num = (k: string, dflt: number) => {
    const v = (a[k] as number | undefined) ?? dflt;
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${k} must be a number ≥ 0, got ${v}`);
    return v;
  };
  const positive = (k: string) => {
    const v = a[k] as number;
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${k} must be a number > 0, got ${v}`);
    return v;
  };
  /** Two threads is the most the split uses (engine/shard.ts halves each batch); more is an error, not a silent 2. */
  const threads = (v: number) => {
    if (v > 2) throw new UsageError(`--threads must be 1 or 2, got ${v}`);
    return v;
  };
  const d = defaultRunConfig();
  const algo = ((a.algo as string) ?? 'grpo') as Algo;
  const unit = (k: string, dflt: number) => {
    const v = num(k, dflt);
    if (v > 1) throw new UsageError(`--${k} must be in [0, 1], got ${v}`);
    return v;
  };
  return {
    corpus: a.corpus as string,
    train: a.train as string | undefined,
    test: a.test as string,
    out: a.out as string,
    mode: ((a.mode as string) ?? 'search') as Mode,
    steps: int('steps', d.steps, 0),
    algo,
    group: int('group', algo === 'ppo' ? PPO_GROUP_SIZE : d.grpo.groupSize, 1),
    seed: int('seed', 1, 0),
    backend: ((a.backend as string) ?? 'wasm') as BackendName,
    mask: (a.mask as boolean | undefined) ?? true,
    freshPassages: (a['fresh-passages'] as boolean | undefined) ?? d.rollout.freshPassages,
    reward: ((a.reward as string) ?? 'em') as RewardVariant,
    topk: int('topk', d.rollout.topk, 1),
    bm25K1: num('bm25-k1', d.rollout.bm25K1),
    maxTurns: int('max-turns', d.rollout.maxTurns, 1),
    init: a.init as string | undefined,
    baseSteps: int('base-steps', DEFAULT_BASE_TRAINING.steps, 0),
    passK: int('pass-k', 8, 0),
    evalEvery: int('eval-every', d.evalEvery, 0),
    lr: num('lr', d.grpo.lr),
    klCoef: num('kl', d.grpo.klCoef),
    questionsPerStep: int('questions', algo === 'ppo' ? PPO_QUESTIONS_PER_STEP : d.grpo.questionsPerStep, 1),
    criticLr: num('critic-lr', d.ppo.criticLr),
    valueClip: num('value-clip', d.ppo.valueClip),
    gamma: unit('gamma', d.ppo.gamma),
    lambda: unit('lambda', d.ppo.lambda),
    turnTokens: int('turn-tokens', d.rollout.maxTurnTokens, 4),
    ...(a.temperature === undefined ? {} : { temperature: positive('temperature') }),
    miniBatches: int('mini-batches', d.grpo.miniBatches, 1),
    resampleRounds: int('resample', d.grpo.resampleRounds, 0),
    ...(a.threads === undefined ? {} : { threads: threads(int('threads', 1, 1)) }),
    budgetMinutes: num('budget', DEFAULT_BUDGET_MINUTES),
    evalOnly,
  };
}
