// Experiments (workers/experiments.ts): variant settings, chart geometry, the JSON and SVG exports; and the
// algorithm setting's URL round trip and PPO step shape (workers/settings.ts).
import { describe, expect, it } from 'vitest';
import { PPO_GROUP_SIZE, PPO_QUESTIONS_PER_STEP } from '../../src/engine/config';
import type { StepMetrics } from '../../src/engine/trainer';
import {
  chartGeometry,
  experimentToJson,
  experimentToSvg,
  variantRuns,
  type VariantResult,
} from '../../src/workers/experiments';
import { presetSettings, settingsFromQuery } from '../../src/workers/presets';
import { applyExperimentEvent, NO_EXPERIMENT } from '../../src/store/experiment';
import { withAlgo } from '../../src/workers/settings';
import { settingsToQuery } from '../../src/workers/settings-url';

const base = presetSettings('test');
const metric = (step: number, reward: number): StepMetrics =>
  ({ step, reward, responseLength: 10 + step, validSearches: 1 }) as unknown as StepMetrics;
const result = (name: string, rewards: number[]): VariantResult => ({
  name,
  settings: base,
  metrics: rewards.map((r, i) => metric(i + 1, r)),
  evals: {
    base: { step: 0, em: 0.25, emByHops: {}, n: 4 },
    points: [{ step: 2, em: 0.5, emByHops: {}, n: 4 }],
  },
  error: null,
});

describe('experiments', () => {
  it('builds each variant over the current settings; PPO takes the CLI step shape', () => {
    const runs = variantRuns(['mask-on', 'mask-off', 'ppo'], base, base);
    expect(runs.map((r) => r.name)).toEqual(['masking on', 'masking off', 'PPO']);
    expect(runs.map((r) => r.settings.maskInformation)).toEqual([true, false, base.maskInformation]);
    expect(runs[0].settings.groupSize).toBe(base.groupSize);
    expect(runs[2].settings).toMatchObject({
      algo: 'ppo',
      groupSize: PPO_GROUP_SIZE,
      questionsPerStep: PPO_QUESTIONS_PER_STEP,
    });
    expect(() => variantRuns(['mask-on'], base, base)).toThrow(/at least two/);
    expect(() => variantRuns(['mask-on', 'nope'], base, base)).toThrow(/unknown variant "nope"/);
  });

  it('overlays every variant on shared axes', () => {
    const g = chartGeometry([result('a', [0, 1]), result('b', [0.5, 0.5])], 'reward', 100, 50, 0);
    expect(g.lines.map((l) => l.points)).toEqual(['0,50 100,0', '0,25 100,25']);
    const em = chartGeometry([result('a', [0, 1])], 'em', 100, 50, 0);
    expect(em.lines[0].xy).toEqual([
      [0, 25], // the base policy's EM 0.25 at step 0, on a 0 … 0.5 axis
      [100, 0],
    ]);
  });

  it('exports JSON with every variant (non-finite numbers as null) and an escaped SVG', () => {
    const rs = [result('masking on', [0, 1]), result('masking <off>', [NaN, 0.5])];
    const json = JSON.parse(experimentToJson(rs, 2, new Date(0))) as {
      kind: string;
      updates: number;
      variants: { name: string; metrics: { reward: number | null }[] }[];
    };
    expect(json.kind).toBe('search-r1-playground/experiment');
    expect(json.updates).toBe(2);
    expect(json.variants.map((v) => v.name)).toEqual(['masking on', 'masking <off>']);
    expect(json.variants[1].metrics[0].reward).toBeNull();
    const svg = experimentToSvg(rs, 'a & b');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('masking &lt;off&gt;');
    expect(svg).not.toContain('<off>');
    expect(svg.match(/<polyline/g)).toHaveLength(8); // 4 metrics × 2 variants
  });

  it("collects each variant's reports in the page state; an error stops it with the variant's name", () => {
    let x = { ...NO_EXPERIMENT, running: true, updates: 1, results: [result('a', []), result('b', [])] };
    x = applyExperimentEvent(x, { kind: 'variant', index: 1, name: 'b' });
    x = applyExperimentEvent(x, { kind: 'step', index: 1, metrics: metric(1, 0.5) });
    expect(x.active).toBe(1);
    expect(x.results.map((r) => r.metrics.length)).toEqual([0, 1]);
    x = applyExperimentEvent(x, { kind: 'error', index: 1, message: 'boom' });
    expect(x).toMatchObject({ running: false, active: null, error: 'b: boom' });
    expect(x.results[1].error).toBe('boom');
  });
});

describe('algorithm setting', () => {
  it('round-trips through the URL, with PPO fields', () => {
    const s = { ...base, algo: 'ppo' as const, criticLr: 2e-4, valueClip: 0.3, gamma: 0.99, lambda: 0.95 };
    const back = settingsFromQuery(`?${settingsToQuery('test', s)}`);
    expect(back.errors).toEqual([]);
    expect(back.settings).toEqual(s);
  });

  it('a link naming only algo=ppo takes the CLI PPO shape; explicit values win', () => {
    expect(settingsFromQuery('?preset=browser&algo=ppo').settings).toMatchObject({
      algo: 'ppo',
      groupSize: PPO_GROUP_SIZE,
      questionsPerStep: PPO_QUESTIONS_PER_STEP,
    });
    expect(settingsFromQuery('?preset=browser&algo=ppo&groupSize=2').settings).toMatchObject({
      groupSize: 2,
      questionsPerStep: PPO_QUESTIONS_PER_STEP,
    });
    expect(settingsFromQuery('?algo=sgd').errors[0]).toMatch(/algorithm must be one of grpo, ppo/);
    const ppo = withAlgo(base, 'ppo', {}, base);
    expect(withAlgo(ppo, 'grpo', {}, base)).toMatchObject({
      algo: 'grpo',
      groupSize: base.groupSize,
      questionsPerStep: base.questionsPerStep,
    });
  });
});
