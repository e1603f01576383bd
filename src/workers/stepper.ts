/**
 * Play, pause and exact stepping of a training run, as a small state machine the worker consults at two points:
 * the rollout's gate (awaited after every batch of sampled tokens, i.e. exactly one new token on every generating
 * rollout) and the boundary between GRPO steps. Grains:
 *   token  — hold at the next gate (one token on every generating rollout);
 *   turn   — hold at the next gate where every still-generating rollout has ended its round (</search>,
 *            </answer>, <eos> or the per-round cap), each at its own token count; rollouts already done stay put;
 *   group  — hold at the gate where every rollout of the group is done (before the update);
 *   update — hold after the next GRPO update has been applied (between steps).
 * Pause holds at the next of either point (and, while the base is built in the tab, between practice steps:
 * base-build.ts). Knows nothing of tensors, messages or the engine.
 */
export type Grain = 'token' | 'turn' | 'group' | 'update';
export const GRAINS: readonly Grain[] = ['token', 'turn', 'group', 'update'];

export interface GateEvent {
  /** Every rollout not done has ended its current round (engine/rollout.ts RolloutGateEvent.roundsClosed). */
  roundsClosed: boolean;
  /** Every rollout of the batch is done. */
  allDone: boolean;
}

export class Stepper {
  private running = false;
  private target: Grain | null = null;
  private waiters: (() => void)[] = [];

  get playing(): boolean {
    return this.running;
  }

  get pendingGrain(): Grain | null {
    return this.target;
  }

  play(): void {
    this.running = true;
    this.target = null;
    this.wake();
  }

  /** Hold at the next gate or step boundary. */
  pause(): void {
    this.running = false;
    this.target = null;
  }

  /** Advance by one grain, then hold. */
  step(grain: Grain): void {
    this.running = false;
    this.target = grain;
    this.wake();
  }

  /** Wake a holder without changing the mode (e.g. a task was queued, or the run stopped). */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** True while neither playing nor stepping: whoever is at a hold point must wait. */
  get held(): boolean {
    return !this.running && this.target === null;
  }

  /** At a rollout gate: should the run hold here? (Consumes a token/turn/group target that is reached.) */
  holdAtGate(e: GateEvent): boolean {
    if (this.running) return false;
    const t = this.target;
    if (t === null) return true;
    if (t === 'token' || (t === 'turn' && e.roundsClosed) || (t === 'group' && e.allDone)) {
      this.target = null;
      return true;
    }
    return false;
  }

  /** After a GRPO update: consumes an 'update' target. */
  stepDone(): void {
    if (this.target === 'update') this.target = null;
  }

  /** Resolves at the next play / step / wake. */
  waitForChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
