import { describe, expect, it } from 'vitest';
import { midEvalFits, nextStepSeconds, stepFits } from '../../src/cli/budget';

describe('run time budget', () => {
  it('estimates the next step as the slowest of the last five', () => {
    expect(nextStepSeconds([])).toBe(0);
    expect(nextStepSeconds([3])).toBe(3);
    // 9 s is six steps back, so it no longer counts; the slowest of the last five is 4 s.
    expect(nextStepSeconds([9, 1, 2, 4, 3, 2])).toBe(4);
  });

  it('runs a step only when it and the final evaluation end inside the budget', () => {
    const c = { budget: 100, stepSeconds: [2, 5, 3], evalSeconds: 10 };
    expect(stepFits({ ...c, elapsed: 85 })).toBe(true); // 85 + 5 + 10 = 100
    expect(stepFits({ ...c, elapsed: 85.5 })).toBe(false);
    // Before any step the next one is free to try: only the final evaluation must fit.
    expect(stepFits({ ...c, stepSeconds: [], elapsed: 90 })).toBe(true);
    expect(stepFits({ ...c, stepSeconds: [], elapsed: 91 })).toBe(false);
  });

  it('skips a mid-run evaluation that would leave no room for a step and the final evaluation', () => {
    const c = { budget: 100, stepSeconds: [5], evalSeconds: 10 };
    expect(midEvalFits({ ...c, elapsed: 75 })).toBe(true); // 75 + 10 + 5 + 10 = 100
    expect(midEvalFits({ ...c, elapsed: 76 })).toBe(false);
    expect(stepFits({ ...c, elapsed: 76 })).toBe(true);
  });

  it('has no limit at 0', () => {
    const c = { budget: 0, elapsed: 1e9, stepSeconds: [1e6], evalSeconds: 1e6 };
    expect(stepFits(c)).toBe(true);
    expect(midEvalFits(c)).toBe(true);
  });
});
