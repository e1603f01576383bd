import { describe, expect, it } from 'vitest';
import { defaultRunConfig, PAPER_VALUES } from '../../src/engine/config';
import { PRESET_NAMES, presetSettings, runConfigFor, settingsFromQuery } from '../../src/workers/presets';
import {
  completeSettings,
  engineDefaults,
  SETTING_SPECS,
  validateSettings,
} from '../../src/workers/settings';
import { applyQuery, settingsToQuery } from '../../src/workers/settings-url';

describe('settings in the URL', () => {
  it('round-trips every setting of every preset through the query', () => {
    for (const name of PRESET_NAMES) {
      const s = { ...presetSettings(name, 'world'), seed: 7, lr: 0.000123, klCoef: 0.05 };
      const back = settingsFromQuery(`?${settingsToQuery(name, s)}`);
      expect(back.errors).toEqual([]);
      expect(back.preset).toBe(name);
      expect(back.settings).toEqual(s);
    }
  });

  it('writes every setting, so a link is complete', () => {
    const q = new URLSearchParams(settingsToQuery('browser', engineDefaults()));
    for (const spec of SETTING_SPECS) expect(q.has(spec.key)).toBe(true);
    expect(q.get('maskInformation')).toBe('1');
  });

  it('reports bad values and unknown presets, keeping the preset value', () => {
    const { preset, settings, errors } = settingsFromQuery(
      '?preset=nope&groupSize=0&topk=2.5&mode=web&maskInformation=maybe&corpus=world&bogus=1',
    );
    expect(preset).toBe('browser');
    expect(settings.corpus).toBe('world');
    expect(settings.groupSize).toBe(presetSettings('browser').groupSize);
    expect(settings.topk).toBe(presetSettings('browser').topk);
    expect(settings.mode).toBe('search');
    expect(errors).toHaveLength(5);
    expect(errors.join('\n')).toMatch(/group size G must be between 1 and 32, got 0/);
    expect(errors.join('\n')).toMatch(/unknown preset "nope"/);
  });

  it('reads explicit settings over the preset', () => {
    const { settings } = applyQuery('?maskInformation=0&reward=f1&lr=0.001', presetSettings('multi-hop'));
    expect(settings).toMatchObject({ maskInformation: false, reward: 'f1', lr: 0.001, hops: 2 });
  });
});

describe('settings: defaults, validation, presets', () => {
  it('takes its defaults from the engine config', () => {
    const cfg = defaultRunConfig();
    const d = engineDefaults();
    expect([d.klCoef, d.lr, d.maxTurns, d.topk, d.clipEps]).toEqual([
      cfg.grpo.klCoef,
      cfg.grpo.lr,
      cfg.rollout.maxTurns,
      cfg.rollout.topk,
      cfg.grpo.clipEps,
    ]);
  });

  it('shows the paper values from PAPER_VALUES', () => {
    const paper = Object.fromEntries(SETTING_SPECS.map((s) => [s.key, s.paper]));
    expect(paper.groupSize).toBe(PAPER_VALUES.groupSize);
    expect(paper.klCoef).toBe(PAPER_VALUES.klCoef);
    expect(paper.maskInformation).toBe(true);
    expect(paper.seed).toBeUndefined();
  });

  it('every preset is valid and the paper preset carries the paper values', () => {
    for (const name of PRESET_NAMES) expect(validateSettings(presetSettings(name))).toEqual([]);
    const p = presetSettings('paper');
    expect([p.groupSize, p.lr, p.klCoef, p.maxTurns]).toEqual([
      PAPER_VALUES.groupSize,
      PAPER_VALUES.lr,
      PAPER_VALUES.klCoef,
      PAPER_VALUES.maxTurns,
    ]);
    expect(presetSettings('masking-ablation').maskInformation).toBe(false);
  });

  it('rejects out-of-range settings with readable messages', () => {
    const bad = { ...engineDefaults(), groupSize: 0, clipEps: 3, temperature: NaN };
    expect(validateSettings(bad)).toEqual([
      'temperature must be a number',
      'group size G must be between 1 and 32, got 0',
      'clip ε must be between 0.01 and 1, got 3',
    ]);
  });

  it('maps every engine setting into the RunConfig', () => {
    const s = {
      ...engineDefaults(),
      mode: 'rag' as const,
      topk: 5,
      bm25K1: 0.5,
      lr: 0.01,
      klCoef: 0.5,
      reward: 'f1' as const,
    };
    const cfg = runConfigFor({
      ...s,
      maskInformation: false,
      freshPassages: !engineDefaults().freshPassages,
      groupSize: 1,
      questionsPerStep: 1,
    });
    expect(cfg.rollout).toMatchObject({
      mode: 'rag',
      topk: 5,
      bm25K1: 0.5,
      freshPassages: !engineDefaults().freshPassages,
    });
    expect(cfg.grpo).toMatchObject({
      lr: 0.01,
      klCoef: 0.5,
      reward: 'f1',
      maskInformation: false,
      miniBatches: 1,
    });
  });
});

describe('completeSettings (a saved run from before a setting existed)', () => {
  it("fills missing settings with the engine's defaults, but the search engine as such runs searched", () => {
    const { bm25K1: _k1, evalQuestions: _n, freshPassages: _f, ...old } = { ...engineDefaults(), seed: 9 };
    const done = completeSettings(old);
    // BM25 k1 1.2, and every search stateless (fresh passages came later).
    expect(done).toEqual({ ...engineDefaults(), seed: 9, bm25K1: 1.2, freshPassages: false });
    expect(completeSettings({ ...old, bm25K1: 0.4 }).bm25K1).toBe(0.4);
    expect(completeSettings({ ...old, freshPassages: true }).freshPassages).toBe(true);
  });
});
