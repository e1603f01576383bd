/**
 * The run's time budget: RL stops early when one more step (and the final evaluation after it) would end the run
 * past the budget. On the shipped corpora the default runs end well inside it and run every step; a corpus with
 * longer passages makes every step dearer, and the budget then trades steps for a run that still ends on time.
 * Pure arithmetic on measured seconds, so it is tested without a clock.
 */

/** Default budget of `npm run train`, in minutes: issue 3's 20-minute run, less a minute for loading and writing. */
export const DEFAULT_BUDGET_MINUTES = 19;

/** How many of the latest RL steps estimate the next one (the slowest of them is taken). */
const RECENT_STEPS = 5;

export interface BudgetClock {
  /** Budget in seconds for the whole run; 0 or less = no budget. */
  budget: number;
  /** Seconds since the run started. */
  elapsed: number;
  /** Wall-clock seconds of the RL steps so far, oldest first. */
  stepSeconds: readonly number[];
  /** Seconds one held-out evaluation is expected to take (the base evaluation's, measured before RL). */
  evalSeconds: number;
}

/** The next step's expected seconds: the slowest of the last few (0 before the first step). */
export function nextStepSeconds(stepSeconds: readonly number[]): number {
  return stepSeconds.slice(-RECENT_STEPS).reduce((m, s) => Math.max(m, s), 0);
}

/** Whether one more RL step and then the final evaluation fit in the budget. */
export function stepFits(c: BudgetClock): boolean {
  if (c.budget <= 0) return true;
  return c.elapsed + nextStepSeconds(c.stepSeconds) + c.evalSeconds <= c.budget;
}

/** Whether a mid-run evaluation fits too: it, one more step and the final evaluation. */
export function midEvalFits(c: BudgetClock): boolean {
  if (c.budget <= 0) return true;
  return c.elapsed + c.evalSeconds + nextStepSeconds(c.stepSeconds) + c.evalSeconds <= c.budget;
}
