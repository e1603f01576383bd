/**
 * Presets (workshop lessons) over the engine's defaults, the URL entry point, and the one translation from the
 * page's settings to the engine's RunConfig. The engine defaults are sized for the CLI; the browser starts smaller
 * so the first step arrives quickly. Pure data: imported by both the page and the worker, so nothing here may
 * import tfjs.
 */
import { defaultRunConfig, PAPER_VALUES, type RunConfig } from '../engine/config';
import { engineDefaults, type BrowserSettings } from './settings';
import { applyQuery } from './settings-url';

export type { BrowserSettings } from './settings';

export interface Preset {
  title: string;
  /** What the lesson shows and what to look at. */
  lesson: string;
  /** Changes over the browser default. */
  settings: Partial<BrowserSettings>;
}

/**
 * The browser's starting point: the engine's defaults (8 questions × G = 8 per step), with held-out EM every 10
 * steps. Smaller steps (4 × 4) were the default until a real GPU showed they do not learn: on an H200 through Dawn,
 * 60 of them took world's held-out EM from 0.150 to 0.107 while KL drifted to 0.63; the engine's steps took it to
 * 0.177 in 120 steps (2.8 min), and countries from 0.152 to 0.280 in 150 (3.8 min) (docs/experiments.md §2.13).
 */
const BROWSER: Partial<BrowserSettings> = { evalEvery: 10 };

export const PRESETS = {
  browser: {
    title: 'default',
    lesson:
      "Search-R1 with the engine's GRPO steps: watch reward, valid searches per rollout and held-out EM rise.",
    settings: {},
  },
  'first-search': {
    title: 'first search',
    lesson:
      'One-hop questions and one search round: the policy must learn to copy the question into a query and the ' +
      'answer out of the retrieved passage.',
    settings: { hops: 1, maxTurns: 1, groupSize: 8, questionsPerStep: 4 },
  },
  'multi-hop': {
    title: 'multi-hop',
    lesson:
      'Two-hop questions and three search rounds: the answer to the first search is the query of the second.',
    settings: { hops: 2, maxTurns: 3, groupSize: 8, questionsPerStep: 4 },
  },
  'masking-ablation': {
    title: 'masking ablation',
    lesson:
      "Retrieved tokens enter the loss (the paper's ablation): compare KL and reward with the default run; the paper " +
      'found training less stable without the mask.',
    settings: { maskInformation: false },
  },
  'no-search': {
    title: 'R1 (no search)',
    lesson: 'RL without a search engine: the policy can only answer from its weights. Compare held-out EM.',
    settings: { mode: 'nosearch' },
  },
  paper: {
    title: "paper's values",
    lesson:
      "The paper's GRPO values (G, top-k, turns, KL, clip, entropy, learning rate). Its learning rate was chosen " +
      'for a 7B model: at this size learning is barely visible.',
    settings: {
      groupSize: PAPER_VALUES.groupSize,
      topk: PAPER_VALUES.topk,
      maxTurns: PAPER_VALUES.maxTurns,
      temperature: PAPER_VALUES.temperature,
      lr: PAPER_VALUES.lr,
      klCoef: PAPER_VALUES.klCoef,
      clipEps: PAPER_VALUES.clipEps,
      entropyCoef: PAPER_VALUES.entropyCoef,
      maskInformation: PAPER_VALUES.maskInformation,
      freshPassages: PAPER_VALUES.freshPassages,
      reward: PAPER_VALUES.reward,
      promptStyle: 'paper',
    },
  },
  test: {
    title: 'browser test',
    lesson:
      'The end-to-end test (software WebGPU is slow): the smallest run that still exercises every stage.',
    settings: {
      base: 'build',
      baseSteps: 5,
      baseBatch: 4,
      groupSize: 2,
      questionsPerStep: 2,
      evalEvery: 1,
      evalQuestions: 4,
      resampleRounds: 0, // an untrained test policy has no reward spread: every step would roll out three times
    },
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(p: string | null): p is PresetName {
  return p !== null && Object.hasOwn(PRESETS, p);
}

/** The full settings of a preset (engine defaults → browser default → the preset's changes). */
export function presetSettings(name: PresetName, corpus?: string): BrowserSettings {
  const s: BrowserSettings = { ...engineDefaults(), ...BROWSER, ...(PRESETS[name] as Preset).settings };
  if (corpus) s.corpus = corpus;
  return s;
}

/**
 * Settings from the URL: `?preset=multi-hop&corpus=world&groupSize=4&maskInformation=0` (a preset, then any
 * setting; unknown keys ignored, bad values reported and replaced by the preset's).
 */
export function settingsFromQuery(search: string): {
  preset: PresetName;
  settings: BrowserSettings;
  errors: string[];
} {
  const p = new URLSearchParams(search).get('preset');
  const errors: string[] = [];
  if (p !== null && !isPresetName(p)) errors.push(`unknown preset "${p}" in the link: using "browser"`);
  const preset = isPresetName(p) ? p : 'browser';
  const applied = applyQuery(search, presetSettings(preset));
  return { preset, settings: applied.settings, errors: errors.concat(applied.errors) };
}

export function runConfigFor(s: BrowserSettings): RunConfig {
  const cfg = defaultRunConfig();
  cfg.seed = s.seed;
  cfg.rollout.mode = s.mode;
  cfg.rollout.promptStyle = s.promptStyle;
  cfg.rollout.topk = s.topk;
  cfg.rollout.bm25K1 = s.bm25K1;
  cfg.rollout.freshPassages = s.freshPassages;
  cfg.rollout.maxTurns = s.maxTurns;
  cfg.rollout.temperature = s.temperature;
  cfg.grpo.groupSize = s.groupSize;
  cfg.grpo.questionsPerStep = s.questionsPerStep;
  cfg.grpo.lr = s.lr;
  cfg.grpo.klCoef = s.klCoef;
  cfg.grpo.clipEps = s.clipEps;
  cfg.grpo.entropyCoef = s.entropyCoef;
  cfg.grpo.resampleRounds = s.resampleRounds;
  cfg.grpo.maskInformation = s.maskInformation;
  cfg.grpo.reward = s.reward;
  cfg.evalEvery = s.evalEvery;
  cfg.algo = s.algo;
  cfg.ppo.criticLr = s.criticLr;
  cfg.ppo.valueClip = s.valueClip;
  cfg.ppo.gamma = s.gamma;
  cfg.ppo.lambda = s.lambda;
  // Mini-batches of at least two rows each.
  cfg.grpo.miniBatches = Math.max(
    1,
    Math.min(cfg.grpo.miniBatches, Math.floor((s.groupSize * s.questionsPerStep) / 2)),
  );
  return cfg;
}
