import { describe, expect, it } from 'vitest';
import { defaultRolloutConfig } from '../../src/engine/config';
import { Rng } from '../../src/engine/rng';
import { RolloutEnv, type Trajectory } from '../../src/engine/rollout';
import { Stepper, type Grain } from '../../src/workers/stepper';
import { items, retriever, scriptedPolicy, tokenizer } from './scripted-policy';

const mid = { roundsClosed: false, allDone: false };
const roundEnd = { roundsClosed: true, allDone: false };
const allDone = { roundsClosed: true, allDone: true };

describe('Stepper', () => {
  it('holds at every gate and step boundary until played', () => {
    const s = new Stepper();
    expect(s.held).toBe(true);
    expect(s.holdAtGate(mid)).toBe(true);
    s.play();
    expect(s.held).toBe(false);
    expect(s.holdAtGate(mid)).toBe(false);
    s.pause();
    expect(s.holdAtGate(mid)).toBe(true);
  });

  it('token: passes exactly one gate, then holds', () => {
    const s = new Stepper();
    s.step('token');
    expect(s.held).toBe(false);
    // The gate after the next batch of tokens holds; the one the run was released from is already behind it.
    expect(s.holdAtGate(mid)).toBe(true);
    expect(s.held).toBe(true);
    expect(s.holdAtGate(mid)).toBe(true);
  });

  it('turn: runs through mid-round gates, holds where every active rollout has ended its round', () => {
    const s = new Stepper();
    s.step('turn');
    expect([mid, mid, mid].map((e) => s.holdAtGate(e))).toEqual([false, false, false]);
    expect(s.holdAtGate(roundEnd)).toBe(true);
    expect(s.held).toBe(true);
  });

  it('group: runs through round ends, holds when every rollout is done', () => {
    const s = new Stepper();
    s.step('group');
    expect([mid, roundEnd, mid].map((e) => s.holdAtGate(e))).toEqual([false, false, false]);
    expect(s.holdAtGate(allDone)).toBe(true);
  });

  it('update: runs through every gate, holds after the update', () => {
    const s = new Stepper();
    s.step('update');
    expect([mid, roundEnd, allDone].map((e) => s.holdAtGate(e))).toEqual([false, false, false]);
    expect(s.held).toBe(false);
    s.stepDone();
    expect(s.held).toBe(true);
  });

  it('a token step started between steps carries into the next rollout', () => {
    const s = new Stepper();
    s.step('token');
    s.stepDone(); // an update finished: a token target is not consumed by it
    expect(s.held).toBe(false);
    expect(s.holdAtGate(mid)).toBe(true);
  });

  it('wakes waiters on play, step and wake', async () => {
    const s = new Stepper();
    let woken = 0;
    void s.waitForChange().then(() => woken++);
    s.step('token');
    void s.waitForChange().then(() => woken++);
    s.play();
    void s.waitForChange().then(() => woken++);
    s.wake();
    await Promise.resolve();
    expect(woken).toBe(3);
  });

  describe('over a real rollout whose rows end their rounds at different token counts', () => {
    // maxTurns 2 → 3 rounds; the per-round cap is 6 tokens.
    //   row 0: a search closes round 1 after 3 tokens, an answer closes round 2 after 3 more: done after 2 rounds;
    //   row 1: an answer closes round 1 after 4 tokens: done after 1 round;
    //   row 2: never acts, so every round runs to the 6-token cap (invalid action), the last one forced.
    const scripts = [
      ['<search>', 'telmar', '</search>', '<answer>', 'quelaria', '</answer>'],
      ['born', '<answer>', 'telmar', '</answer>'],
      ['city'],
    ];
    const cfg = { ...defaultRolloutConfig(), maxTurns: 2, maxTurnTokens: 6, maxObsTokens: 40 };
    const generated = (t: Trajectory) => t.gen.reduce((a, b) => a + b, 0);

    /** Press `grain` at every hold until the rollout ends, as the worker's gate does; the rows at each hold. */
    async function holds(grain: Grain) {
      const env = new RolloutEnv(scriptedPolicy(scripts), tokenizer, retriever, cfg);
      const stepper = new Stepper();
      stepper.step(grain); // the first press, before the rollout starts
      let current: readonly Trajectory[] = [];
      const seen: { generated: number[]; turns: number[]; length: number[] }[] = [];
      await env.run([items[0], items[1], items[0]], new Rng(1), {
        onTokens: (trajs) => (current = trajs),
        gate: (e) => {
          const allDone = current.every((t) => t.answered || t.turns === cfg.maxTurns + 1);
          if (!stepper.holdAtGate({ roundsClosed: e.roundsClosed, allDone })) return;
          seen.push({
            generated: current.map(generated),
            turns: current.map((t) => t.turns),
            length: current.map((t) => t.ids.length),
          });
          stepper.step(grain);
        },
      });
      return seen;
    }

    it('+1 turn: every still-active rollout has just closed a round; finished ones stay put', async () => {
      const h = await holds('turn');
      expect(h.map((x) => x.generated)).toEqual([
        [3, 4, 6], // round 1 closed on all three rows (not at row 0's </search> after 3 tokens)
        [6, 4, 12], // round 2 closed on rows 0 and 2; row 1, done, did not move
        [6, 4, 18], // the forced final round of row 2; every row done
      ]);
      expect(h.map((x) => x.turns)).toEqual([
        [1, 1, 1],
        [2, 1, 2],
        [2, 1, 3],
      ]);
      expect(h[1].length[1]).toBe(h[0].length[1]);
      expect(h[2].length[0]).toBe(h[1].length[0]);
    });

    it('+1 token: exactly one more token on every rollout still generating its round', async () => {
      const h = await holds('token');
      expect(h).toHaveLength(18);
      const deltas = scripts.map((_, row) =>
        h.map((x, i) => x.generated[row] - (i ? h[i - 1].generated[row] : 0)).join(''),
      );
      // A row that has closed its round waits (0) for the others before its observation is fed; done rows stay.
      expect(deltas).toEqual(['111000111000000000', '111100000000000000', '111111111111111111']);
    });
  });
});
