import * as tf from '@tensorflow/tfjs';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { Controls } from '../../src/components/Controls';
import { defaultRunConfig } from '../../src/engine/config';
import { Retriever } from '../../src/engine/retriever';
import { Rng } from '../../src/engine/rng';
import { buildTokenizer, newPolicy } from '../../src/engine/session';
import type { Passage, QAItem } from '../../src/engine/types';
import { applyMessage, initialState, type AppState } from '../../src/store/state';
import { practiseInTab, type PracticeHooks } from '../../src/workers/base-build';
import { presetSettings } from '../../src/workers/presets';
import type { FromWorker } from '../../src/workers/protocol';
import { Stepper } from '../../src/workers/stepper';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const names = ['Zorvak Lint', 'Mira Tolk', 'Quen Barasu', 'Hildo Prax'];
const cities = ['Telmar', 'Oskovan', 'Brelle', 'Durnhal'];
const corpus: Passage[] = [
  ...names.map((n, i) => {
    const text = `${n} was born in ${cities[i]}. ${n} founded ${n.split(' ')[1]} Works.`;
    return { id: `p${i}`, title: n, text, contents: `"${n}"\n${text}` };
  }),
  ...cities.map((c, i) => {
    const text = `${c} is a city in Quelaria. ${c} lies on the ${names[i].split(' ')[0]} River.`;
    return { id: `c${i}`, title: c, text, contents: `"${c}"\n${text}` };
  }),
];
const train: QAItem[] = names.map((n, i) => ({
  id: `q${i}`,
  question: `Where was ${n} born?`,
  golden_answers: [cities[i]],
}));
const data = { corpus, train, test: [] };
const tokenizer = buildTokenizer(data);
const retriever = new Retriever(corpus);
const STEPS = 5;

interface Seen {
  phase: 'base' | 'paused';
  step: number;
  message: string;
}

/**
 * Build a base of STEPS practice steps while playing; Pause is pressed once the first step is reported, and
 * `whilePaused` decides what happens next (resolving waitWhileHeld as the run's own loop would).
 */
async function practise(whilePaused: (s: Stepper, weightsNow: () => number[]) => Promise<{ stop: boolean }>) {
  const policy = newPolicy(tokenizer, 1, { dModel: 16, nHeads: 2, nLayers: 1, contextLen: 128 });
  const weights = () => Array.from(policy.variables[0].dataSync());
  const stepper = new Stepper();
  stepper.play();
  let stopped = false;
  const seen: Seen[] = [];
  const held: { before: number[]; after: number[] }[] = [];
  const hooks: PracticeHooks = {
    stepper,
    stopped: () => stopped,
    status: (phase, message, p) => {
      seen.push({ phase, step: p.step, message });
      if (phase === 'base' && p.step === 1 && !held.length) stepper.pause();
    },
    waitWhileHeld: async () => {
      const before = weights();
      const { stop } = await whilePaused(stepper, weights);
      stopped = stop;
      held.push({ before, after: weights() });
    },
  };
  const base = { steps: STEPS, batchSize: 2, lr: 1e-3, warmupSteps: 1 };
  await practiseInTab(
    policy,
    tokenizer,
    data,
    retriever,
    defaultRunConfig(),
    base,
    new Rng(3),
    'practice',
    hooks,
  );
  policy.dispose();
  return { seen, held };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('building the base in the tab', () => {
  it('Pause holds between practice steps and says so; Play resumes where it stopped', async () => {
    const { seen, held } = await practise(async (s) => {
      await sleep(50); // the page waits; nothing may train meanwhile
      expect(s.held).toBe(true);
      s.play();
      return { stop: false };
    });
    // Progress is throttled, so only the phase changes and the ends are literal.
    const changes = seen.filter((e, i) => i === 0 || e.phase !== seen[i - 1].phase);
    expect(changes.map((e) => [e.phase, e.step])).toEqual([
      ['base', 0],
      ['paused', 1],
      ['base', 1],
    ]);
    expect(seen.find((e) => e.phase === 'paused')!.message).toMatch(/^practice 1\/5, loss \d.*paused/);
    expect(seen.at(-1)).toMatchObject({ phase: 'base', step: STEPS });
    expect(held).toHaveLength(1);
    expect(held[0].after).toEqual(held[0].before); // no practice step ran while paused
  });

  it('Reset while paused ends practice at that step boundary', async () => {
    const { seen, held } = await practise(async () => ({ stop: true }));
    expect(held).toHaveLength(1);
    expect(seen.map((e) => e.step)).toEqual([0, 1, 1]);
    expect(seen.at(-1)!.phase).toBe('paused');
  });
});

describe('building the base in the tab: the page', () => {
  const apply = (s: AppState, m: FromWorker): AppState => ({ ...s, ...(applyMessage(s, m) ?? {}) });
  const progress = { step: 40, steps: 300, loss: 2.5, tokensPerSec: 900 };
  const view = (s: AppState) =>
    renderToStaticMarkup(
      createElement(Controls, {
        corpora: [],
        checkpoints: {},
        settings: presetSettings('browser', 'world'),
        preset: 'browser',
        phase: s.phase,
        progress: s.progress,
        base: null,
        steps: 0,
        onPlay() {},
        onPause() {},
        onReset() {},
        onStep() {},
        onChange() {},
        onPreset() {},
      }),
    );
  const status = (s: AppState, phase: 'base' | 'paused', p?: typeof progress): FromWorker => ({
    type: 'status',
    runId: s.runId,
    phase,
    message: 'practice',
    progress: p,
  });

  it('the progress bar stays, says "paused", and Play is offered; resumed, the bar goes on', () => {
    let s = apply(initialState('browser'), status(initialState('browser'), 'base', progress));
    expect(view(s)).toMatch(/building the base: practice 40\/300<\/div>/);
    s = apply(s, status(s, 'paused', progress));
    expect(s.progress).toEqual(progress);
    const html = view(s);
    expect(html).toMatch(/data-testid="base-progress" data-paused="true"/);
    expect(html).toMatch(/paused \(▶ Play resumes it\)/);
    expect(html).toMatch(/<button[^>]*data-testid="play"/);
    expect(html).not.toMatch(/<button[^>]*disabled=""[^>]*data-testid="play"/);
    expect(html).toMatch(/<button[^>]*disabled=""[^>]*data-testid="pause"/);
    s = apply(s, status(s, 'base', { ...progress, step: 41 }));
    expect(view(s)).toMatch(/data-paused="false"/);
    // A hold of RL (no progress) shows no bar.
    s = apply(s, { type: 'status', runId: s.runId, phase: 'paused', message: 'paused after GRPO step 0' });
    expect(view(s)).not.toMatch(/base-progress/);
  });
});
