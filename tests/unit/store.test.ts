import { describe, expect, it } from 'vitest';
import { applyMessage, initialState } from '../../src/store/state';
import { settingsFromQuery } from '../../src/workers/presets';
import type { StepMetrics } from '../../src/engine/trainer';

const metrics = (step: number) => ({ step, tokensPerSec: 100 + step }) as unknown as StepMetrics;

describe('store: worker messages', () => {
  it('ignores messages from a stale run', () => {
    const s = initialState('browser');
    expect(
      applyMessage(s, { type: 'status', runId: s.runId + 1, phase: 'training', message: 'x' }),
    ).toBeNull();
    const next = applyMessage(s, { type: 'status', runId: s.runId, phase: 'training', message: 'go' });
    expect(next).toMatchObject({ phase: 'training', message: 'go' });
  });

  it('appends step reports in order and keeps the latest sample and throughput', () => {
    const s = initialState('browser');
    const next = applyMessage(s, {
      type: 'steps',
      runId: s.runId,
      reports: [
        { metrics: metrics(1), sample: null as never },
        { metrics: metrics(2), sample: null as never },
      ],
    });
    expect(next?.metrics?.map((m) => m.step)).toEqual([1, 2]);
    expect(next?.tokensPerSec).toBe(102);
  });

  it('matches search replies by request id only', () => {
    const s = initialState('browser');
    const pending = { ...s, search: { ...s.search, requestId: 3, pending: true } };
    expect(
      applyMessage(pending, { type: 'search', runId: 0, requestId: 2, query: 'q', hits: [] }),
    ).toBeNull();
    expect(
      applyMessage(pending, { type: 'search', runId: 0, requestId: 3, query: 'q', hits: [] }),
    ).toMatchObject({
      search: { pending: false, hits: [] },
    });
  });

  it('shows errors as state, never only in the console', () => {
    const s = initialState('browser');
    expect(
      applyMessage(s, { type: 'error', runId: s.runId, message: 'train.jsonl line 1: invalid JSON' }),
    ).toMatchObject({
      phase: 'error',
      error: 'train.jsonl line 1: invalid JSON',
    });
  });
});

describe('settings from the URL', () => {
  it('reads known keys, validates numbers and ignores the rest', () => {
    const { preset, settings } = settingsFromQuery(
      '?preset=test&corpus=world&groupSize=4&seed=-2&mask=0&bogus=1',
    );
    expect(preset).toBe('test');
    expect(settings).toEqual({ corpus: 'world', groupSize: 4, maskInformation: false });
  });
});
