import { describe, expect, it } from 'vitest';
import { Stepper } from '../../src/workers/stepper';

const mid = { roundEnded: false, allDone: false };
const roundEnd = { roundEnded: true, allDone: false };
const allDone = { roundEnded: true, allDone: true };

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

  it('turn: runs through mid-round gates, holds where a round ends', () => {
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
});
