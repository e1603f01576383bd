/**
 * Every setting the page lets a user change, in one typed object: its specification (label, range, the paper's
 * value where the paper has one) and validation with readable messages; settings-url.ts carries them through the
 * URL query. Defaults are read from the engine's defaultRunConfig, never copied. Pure data and functions: imported
 * by the page and the worker, so nothing here may import tfjs.
 */
import type { BackendName } from '../engine/backend';
import {
  defaultRunConfig,
  PAPER_VALUES,
  PPO_GROUP_SIZE,
  PPO_QUESTIONS_PER_STEP,
  type Algo,
  type Mode,
  type PromptStyle,
} from '../engine/config';
import type { RewardVariant } from '../engine/reward';

export type BackendPref = 'auto' | BackendName;
/** Where the base policy comes from: the corpus's shipped checkpoint (when there is one) or practice in the tab. */
export type BaseSource = 'checkpoint' | 'build';

export interface BrowserSettings {
  corpus: string;
  backend: BackendPref;
  base: BaseSource;
  seed: number;
  /** Supervised practice steps that build the base policy in the browser (when no checkpoint is used). */
  baseSteps: number;
  baseBatch: number;
  mode: Mode;
  promptStyle: PromptStyle;
  /** Only questions with this many hops (0 = all). */
  hops: number;
  /** The RL algorithm: GRPO (group baseline) or PPO (critic + GAE). */
  algo: Algo;
  /** Rollouts per question (G). */
  groupSize: number;
  questionsPerStep: number;
  topk: number;
  /** BM25 term saturation k1 of the search engine. */
  bm25K1: number;
  /** A search passes over the passages its rollout has read. */
  freshPassages: boolean;
  maxTurns: number;
  temperature: number;
  lr: number;
  klCoef: number;
  clipEps: number;
  entropyCoef: number;
  /** GRPO dynamic sampling: extra rollout rounds while too few groups have reward spread (0 = the paper). */
  resampleRounds: number;
  /** Mask retrieved <information> tokens out of the loss. */
  maskInformation: boolean;
  reward: RewardVariant;
  /** PPO only: critic learning rate, value clip, GAE γ and λ. */
  criticLr: number;
  valueClip: number;
  gamma: number;
  lambda: number;
  /** Greedy held-out evaluation every N GRPO steps (0 = never). */
  evalEvery: number;
  /** Held-out questions per evaluation (the first N of the test split). */
  evalQuestions: number;
}

export type NumberKey =
  | 'seed'
  | 'baseSteps'
  | 'baseBatch'
  | 'hops'
  | 'groupSize'
  | 'questionsPerStep'
  | 'topk'
  | 'bm25K1'
  | 'maxTurns'
  | 'temperature'
  | 'lr'
  | 'klCoef'
  | 'clipEps'
  | 'entropyCoef'
  | 'resampleRounds'
  | 'evalEvery'
  | 'evalQuestions'
  | 'criticLr'
  | 'valueClip'
  | 'gamma'
  | 'lambda';
export type ChoiceKey = 'backend' | 'base' | 'mode' | 'promptStyle' | 'reward' | 'algo';
/** `grpo` holds the settings both algorithms share (its title follows the algorithm); `ppo` only PPO's own. */
export type SettingGroup = 'rollout' | 'grpo' | 'ppo' | 'run';

interface SpecBase {
  label: string;
  group: SettingGroup;
  help: string;
  /** The paper's value, where the paper fixes one (engine/config.ts PAPER_VALUES). */
  paper?: number | string | boolean;
  /** The paper's value under PPO, where it differs (train_ppo.sh). */
  paperPpo?: number;
}
export interface NumberSpec extends SpecBase {
  kind: 'number';
  key: NumberKey;
  min: number;
  max: number;
  integer: boolean;
}
export interface ChoiceSpec extends SpecBase {
  kind: 'choice';
  key: ChoiceKey;
  options: readonly { value: string; label: string }[];
}
export interface BoolSpec extends SpecBase {
  kind: 'bool';
  key: 'maskInformation' | 'freshPassages';
}
export type SettingSpec = NumberSpec | ChoiceSpec | BoolSpec;

const int = (
  key: NumberKey,
  label: string,
  group: SettingGroup,
  min: number,
  max: number,
  help: string,
  paper?: number,
): NumberSpec => ({ kind: 'number', key, label, group, min, max, integer: true, help, paper });
const real = (
  key: NumberKey,
  label: string,
  group: SettingGroup,
  min: number,
  max: number,
  help: string,
  paper?: number,
): NumberSpec => ({ kind: 'number', key, label, group, min, max, integer: false, help, paper });

/** Every setting, in display order. */
export const SETTING_SPECS: readonly SettingSpec[] = [
  {
    kind: 'choice',
    key: 'mode',
    label: 'mode',
    group: 'rollout',
    help: 'Search-R1 (search), R1 (reason, no search), RAG (passages up front) or direct answering',
    paper: 'search',
    options: [
      { value: 'search', label: 'Search-R1 (search)' },
      { value: 'nosearch', label: 'R1 (no search)' },
      { value: 'rag', label: 'RAG (retrieve once)' },
      { value: 'direct', label: 'direct answer' },
    ],
  },
  {
    kind: 'choice',
    key: 'promptStyle',
    label: 'prompt',
    group: 'rollout',
    help: "the paper's instruction verbatim, or the same structure in fewer tokens",
    paper: 'paper',
    options: [
      { value: 'short', label: 'short' },
      { value: 'paper', label: "paper's text" },
    ],
  },
  int(
    'maxTurns',
    'max turns',
    'rollout',
    1,
    8,
    'search rounds before the forced final round',
    PAPER_VALUES.maxTurns,
  ),
  int('topk', 'top-k passages', 'rollout', 1, 10, 'passages returned per search', PAPER_VALUES.topk),
  real(
    'bm25K1',
    'BM25 k1',
    'rollout',
    0,
    10,
    "the search engine's term saturation: lower counts a passage's repeats of one query word for less",
  ),
  {
    kind: 'bool',
    key: 'freshPassages',
    label: 'fresh passages',
    group: 'rollout',
    help: 'a search skips the passages its rollout has already read, so searching again reads the next one (the paper: off, the same query always finds the same passages)',
    paper: PAPER_VALUES.freshPassages,
  },
  real(
    'temperature',
    'temperature',
    'rollout',
    0.05,
    5,
    'sampling temperature of the rollouts',
    PAPER_VALUES.temperature,
  ),
  int('hops', 'hops (0 = all)', 'rollout', 0, 2, 'train and evaluate only on 1-hop or 2-hop questions'),
  {
    kind: 'choice',
    key: 'algo',
    label: 'algorithm',
    group: 'grpo',
    help: 'GRPO (group-relative advantages, k3 KL in the loss) or PPO (a critic and GAE, k1 KL in the reward)',
    paper: 'ppo',
    options: [
      { value: 'grpo', label: 'GRPO' },
      { value: 'ppo', label: 'PPO' },
    ],
  },
  {
    ...int('groupSize', 'group size G', 'grpo', 1, 32, 'rollouts per question', PAPER_VALUES.groupSize),
    paperPpo: PAPER_VALUES.ppoGroupSize,
  },
  int('questionsPerStep', 'questions / step', 'grpo', 1, 64, 'questions sampled per RL step'),
  real('lr', 'learning rate', 'grpo', 1e-8, 0.1, 'AdamW learning rate after warm-up', PAPER_VALUES.lr),
  real(
    'klCoef',
    'KL coefficient β',
    'grpo',
    0,
    10,
    'k3 KL to the frozen base policy, in the loss',
    PAPER_VALUES.klCoef,
  ),
  real('clipEps', 'clip ε', 'grpo', 0.01, 1, 'PPO ratio clip', PAPER_VALUES.clipEps),
  real('entropyCoef', 'entropy bonus', 'grpo', 0, 1, 'entropy bonus coefficient', PAPER_VALUES.entropyCoef),
  int(
    'resampleRounds',
    'resample rounds',
    'grpo',
    0,
    4,
    'GRPO: roll out more questions while fewer groups than questions / step have reward spread, and train on those first (DAPO dynamic sampling)',
    0,
  ),
  {
    kind: 'bool',
    key: 'maskInformation',
    label: 'mask retrieved tokens from the loss',
    group: 'grpo',
    help: '<information> tokens get no gradient (the paper; off = the ablation)',
    paper: PAPER_VALUES.maskInformation,
  },
  {
    kind: 'choice',
    key: 'reward',
    label: 'reward',
    group: 'grpo',
    help: 'exact match, token F1, or exact match with a format score',
    paper: PAPER_VALUES.reward,
    options: [
      { value: 'em', label: 'exact match' },
      { value: 'f1', label: 'token F1' },
      { value: 'format', label: 'EM + format' },
    ],
  },
  real(
    'criticLr',
    'critic learning rate',
    'ppo',
    1e-8,
    0.1,
    'AdamW learning rate of the value model after warm-up',
    PAPER_VALUES.criticLr,
  ),
  real(
    'valueClip',
    'value clip',
    'ppo',
    0.01,
    100,
    'how far a new value may move from the old one before the clipped loss takes over',
    PAPER_VALUES.valueClip,
  ),
  real('gamma', 'GAE discount γ', 'ppo', 0, 1, 'discount of future rewards', PAPER_VALUES.gamma),
  real(
    'lambda',
    'GAE λ',
    'ppo',
    0,
    1,
    'bias/variance trade-off of the advantage estimate',
    PAPER_VALUES.lambda,
  ),
  int('seed', 'seed', 'run', 0, 1_000_000_000, 'seed of every random choice of the run'),
  {
    kind: 'choice',
    key: 'base',
    label: 'base policy',
    group: 'run',
    help: "the corpus's shipped checkpoint when there is one, else practice in this tab",
    options: [
      { value: 'checkpoint', label: 'shipped checkpoint' },
      { value: 'build', label: 'build in the browser' },
    ],
  },
  int('baseSteps', 'practice steps', 'run', 0, 5000, 'reading-practice steps when the base is built here'),
  int('baseBatch', 'practice batch', 'run', 1, 128, 'demonstrations per practice step'),
  int('evalEvery', 'eval every N steps', 'run', 0, 1000, 'greedy held-out evaluation period (0 = never)'),
  int('evalQuestions', 'eval questions', 'run', 1, 2000, 'the first N held-out questions'),
  {
    kind: 'choice',
    key: 'backend',
    label: 'backend',
    group: 'run',
    help: 'tfjs backend; auto tries WebGPU, WebGL, WASM, CPU in turn',
    options: [
      { value: 'auto', label: 'auto' },
      { value: 'webgpu', label: 'WebGPU' },
      { value: 'webgl', label: 'WebGL' },
      { value: 'wasm', label: 'WASM' },
      { value: 'cpu', label: 'CPU' },
    ],
  },
];

/** The engine's defaults, as browser settings (before any preset). */
export function engineDefaults(): BrowserSettings {
  const cfg = defaultRunConfig();
  return {
    corpus: 'countries',
    backend: 'auto',
    base: 'checkpoint',
    seed: cfg.seed,
    baseSteps: 60,
    baseBatch: 16,
    mode: cfg.rollout.mode,
    promptStyle: cfg.rollout.promptStyle,
    hops: 0,
    algo: cfg.algo,
    groupSize: cfg.grpo.groupSize,
    questionsPerStep: cfg.grpo.questionsPerStep,
    topk: cfg.rollout.topk,
    bm25K1: cfg.rollout.bm25K1,
    freshPassages: cfg.rollout.freshPassages,
    maxTurns: cfg.rollout.maxTurns,
    temperature: cfg.rollout.temperature,
    lr: cfg.grpo.lr,
    klCoef: cfg.grpo.klCoef,
    clipEps: cfg.grpo.clipEps,
    entropyCoef: cfg.grpo.entropyCoef,
    resampleRounds: cfg.grpo.resampleRounds,
    maskInformation: cfg.grpo.maskInformation,
    reward: cfg.grpo.reward,
    criticLr: cfg.ppo.criticLr,
    valueClip: cfg.ppo.valueClip,
    gamma: cfg.ppo.gamma,
    lambda: cfg.ppo.lambda,
    evalEvery: 5,
    evalQuestions: 64,
  };
}

/** BM25 k1 of every run saved before it became a setting: the retriever's built-in value then. */
const BM25_K1_BEFORE_SETTING = 1.2;

/**
 * Settings saved before a setting existed (an older saved run or run file), completed with the engine's defaults,
 * except BM25 k1 and fresh passages, which such a run searched with as the engine did then (k1 1.2, stateless).
 */
export function completeSettings(s: Partial<BrowserSettings>): BrowserSettings {
  return { ...engineDefaults(), bm25K1: BM25_K1_BEFORE_SETTING, freshPassages: false, ...s };
}

function numberError(spec: NumberSpec, v: number): string | null {
  if (!Number.isFinite(v)) return `${spec.label} must be a number`;
  if (spec.integer && !Number.isInteger(v)) return `${spec.label} must be a whole number, got ${v}`;
  if (v < spec.min || v > spec.max)
    return `${spec.label} must be between ${spec.min} and ${spec.max}, got ${v}`;
  return null;
}

/** Why one value of a setting is not allowed, or null when it is. */
export function settingError(spec: SettingSpec, v: unknown): string | null {
  if (spec.kind === 'number')
    return typeof v === 'number' ? numberError(spec, v) : `${spec.label} must be a number`;
  if (spec.kind === 'bool') return typeof v === 'boolean' ? null : `${spec.label} must be on or off`;
  return spec.options.some((o) => o.value === v)
    ? null
    : `${spec.label} must be one of ${spec.options.map((o) => o.value).join(', ')}, got "${String(v)}"`;
}

/** Every problem with a whole settings object (empty when it can run). */
export function validateSettings(s: BrowserSettings): string[] {
  const out: string[] = [];
  for (const spec of SETTING_SPECS) {
    const e = settingError(spec, s[spec.key]);
    if (e) out.push(e);
  }
  if (!s.corpus) out.push('no corpus chosen');
  return out;
}

/** The paper's value of a setting under the chosen algorithm (undefined where the paper fixes none). */
export function paperValue(spec: SettingSpec, algo: Algo): number | string | boolean | undefined {
  return algo === 'ppo' && spec.paperPpo !== undefined ? spec.paperPpo : spec.paper;
}

/** Whether a setting applies under the chosen algorithm (PPO's own settings are hidden under GRPO). */
export const settingShown = (spec: SettingSpec, algo: Algo): boolean =>
  spec.group !== 'ppo' || algo === 'ppo';

/**
 * Settings switched to `algo`. A switch to PPO takes the CLI's PPO step shape (PPO_GROUP_SIZE rollouts ×
 * PPO_QUESTIONS_PER_STEP questions, src/cli/train-options.ts) unless the group size or question count is given in
 * `explicit`; a switch back to GRPO takes them from `grpoShape` (the lesson's values). No switch: unchanged.
 */
export function withAlgo(
  s: BrowserSettings,
  algo: Algo,
  explicit: Partial<Pick<BrowserSettings, 'groupSize' | 'questionsPerStep'>>,
  grpoShape: Pick<BrowserSettings, 'groupSize' | 'questionsPerStep'>,
): BrowserSettings {
  if (s.algo === algo) return { ...s, ...explicit };
  const shape =
    algo === 'ppo'
      ? { groupSize: PPO_GROUP_SIZE, questionsPerStep: PPO_QUESTIONS_PER_STEP }
      : { groupSize: grpoShape.groupSize, questionsPerStep: grpoShape.questionsPerStep };
  return { ...s, ...shape, ...explicit, algo };
}
