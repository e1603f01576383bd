/**
 * Browser presets and the one translation from the page's settings to the engine's RunConfig.
 * The engine defaults are sized for the CLI; the browser starts smaller so the first step arrives quickly.
 * Pure data: imported by both the page (to show the settings) and the worker (to run them), so nothing here may
 * import tfjs (the page must not load it).
 */
import { defaultRunConfig, type RunConfig } from '../engine/config';
import type { BrowserSettings } from './protocol';

export type PresetName = 'browser' | 'test';

export const PRESETS: Record<PresetName, Omit<BrowserSettings, 'corpus'>> = {
  /** The default in the page: a short practice phase, then small GRPO steps. */
  browser: {
    seed: 1,
    baseSteps: 60,
    baseBatch: 16,
    groupSize: 4,
    questionsPerStep: 4,
    maskInformation: true,
  },
  /** The end-to-end test (software WebGPU is slow): the smallest run that still exercises every stage. */
  test: { seed: 1, baseSteps: 5, baseBatch: 4, groupSize: 2, questionsPerStep: 2, maskInformation: true },
};

export function presetFromQuery(search: string): PresetName {
  const p = new URLSearchParams(search).get('preset');
  return p === 'test' ? 'test' : 'browser';
}

const NUMERIC: (keyof Omit<BrowserSettings, 'corpus' | 'maskInformation'>)[] = [
  'seed',
  'baseSteps',
  'baseBatch',
  'groupSize',
  'questionsPerStep',
];

/** Settings from the URL: `?preset=test&corpus=world&baseSteps=20&groupSize=4&mask=0` (unknown keys ignored). */
export function settingsFromQuery(search: string): {
  preset: PresetName;
  settings: Partial<BrowserSettings>;
} {
  const q = new URLSearchParams(search);
  const out: Partial<BrowserSettings> = {};
  for (const k of NUMERIC) {
    const v = Number(q.get(k));
    if (q.has(k) && Number.isInteger(v) && v >= (k === 'baseSteps' || k === 'seed' ? 0 : 1)) out[k] = v;
  }
  const corpus = q.get('corpus');
  if (corpus) out.corpus = corpus;
  if (q.has('mask')) out.maskInformation = q.get('mask') !== '0';
  return { preset: presetFromQuery(search), settings: out };
}

export function runConfigFor(s: BrowserSettings): RunConfig {
  const cfg = defaultRunConfig();
  cfg.seed = s.seed;
  cfg.grpo.groupSize = s.groupSize;
  cfg.grpo.questionsPerStep = s.questionsPerStep;
  cfg.grpo.maskInformation = s.maskInformation;
  // Mini-batches of at least two rows each.
  cfg.grpo.miniBatches = Math.max(
    1,
    Math.min(cfg.grpo.miniBatches, Math.floor((s.groupSize * s.questionsPerStep) / 2)),
  );
  return cfg;
}
