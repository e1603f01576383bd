import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ResumeBanner } from '../../src/components/ResumeBanner';
import { summarize, type RunRecord } from '../../src/workers/runsDb';
import { presetSettings } from '../../src/workers/presets';

function offer(algo: 'grpo' | 'ppo' | undefined) {
  const settings = { ...presetSettings('test', 'countries'), algo } as RunRecord['settings'];
  if (algo === undefined) delete (settings as { algo?: string }).algo; // saved before PPO existed
  return summarize({
    id: 'r',
    name: 'my run',
    created: 0,
    updated: 0,
    preset: 'test',
    settings,
    base: null,
    metrics: [],
    evals: { base: null, points: [] },
    trajectories: null,
    steps: 7,
    checkpointStep: 5,
  });
}

const text = (algo: 'grpo' | 'ppo' | undefined) =>
  renderToStaticMarkup(
    createElement(ResumeBanner, { offer: offer(algo), onResume() {}, onDismiss() {} }),
  ).replace(/<[^>]+>/g, '');

describe('the resume banner names the run’s algorithm', () => {
  it('PPO step / GRPO step (and GRPO for runs saved before PPO existed)', () => {
    expect(text('ppo')).toContain('from its checkpoint at PPO step 5 (0 steps of history)?');
    expect(text('grpo')).toContain('from its checkpoint at GRPO step 5 (');
    expect(text(undefined)).toContain('at GRPO step 5');
  });
});
