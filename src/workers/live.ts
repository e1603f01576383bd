/**
 * The live rollout stream of the worker: turns the rollout's `onTokens` callbacks (one per batch of sampled
 * tokens) into throttled deltas of token ids, so the page sees every token without one message per token.
 * Tracks which rollouts received a token in the last batch (what "step one token" advanced) and which are done.
 * Knows the engine's Trajectory and the protocol; nothing of the page.
 */
import { lossMaskRow } from '../engine/batch';
import type { Trajectory } from '../engine/rollout';
import type { LiveUpdate, RowDelta, SearchInfo } from './protocol';

/** A rollout is done when it answered, ran out of context, or used its last round (rollout.ts endRound). */
export function rowDone(t: Trajectory, maxRounds: number): boolean {
  return t.answered || t.truncated || t.turns >= maxRounds;
}

export function searchInfo(t: Trajectory, from = 0): SearchInfo[] {
  return t.searches.slice(from).map((s) => ({
    query: s.query,
    executed: s.executed,
    at: s.at,
    docs: s.docs.map((d) => ({ id: d.id, title: d.title, text: d.text, score: d.score })),
  }));
}

/** The tokens of `t` from index `from` on, with their loss mask (as the trainer will build it). */
export function rowDelta(
  t: Trajectory,
  row: number,
  from: number,
  searchesFrom: number,
  mask: boolean,
): RowDelta {
  const n = t.ids.length;
  // lossMaskRow is indexed by scoring position p (predicting token p+1): token i is in the loss iff m[i-1] = 1.
  const m = lossMaskRow(t, n + 1, mask);
  const loss: number[] = [];
  for (let i = from; i < n; i++) loss.push(i > 0 ? m[i - 1] : 0);
  return {
    row,
    from,
    ids: t.ids.slice(from),
    roles: t.roles.slice(from),
    gen: t.gen.slice(from),
    loss,
    logp: t.logp.slice(from),
    searchesFrom,
    searches: searchInfo(t, searchesFrom),
    turns: t.turns,
    answer: t.answer,
  };
}

export class LiveStream {
  private sentIds: number[] = [];
  private sentSearches: number[] = [];
  private genCount: number[] = [];
  private active: boolean[] = [];
  private lastPost = 0;
  private tokensAtPost = 0;

  constructor(
    readonly step: number,
    private readonly maxRounds: number,
    private readonly mask: boolean,
    private readonly send: (u: LiveUpdate) => void,
    /** Minimum milliseconds between unforced updates. */
    private readonly intervalMs = 150,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Record one batch of the rollout (called from onTokens) and send a delta when the interval has passed. */
  observe(trajs: readonly Trajectory[]): void {
    let gained = false;
    const active = trajs.map((t, i) => {
      let g = 0;
      for (const x of t.gen) g += x;
      const got = g > (this.genCount[i] ?? 0);
      this.genCount[i] = g;
      gained ||= got;
      return got;
    });
    // A batch that only fed observations (no sampled token) keeps the last token batch's picture.
    if (gained) this.active = active;
    if (this.now() - this.lastPost >= this.intervalMs) this.flush(trajs);
  }

  allDone(trajs: readonly Trajectory[]): boolean {
    return trajs.every((t) => rowDone(t, this.maxRounds));
  }

  /** Send everything not yet sent (before a hold and at the end of the rollout, so the page is exact). */
  flush(trajs: readonly Trajectory[]): void {
    const rows: RowDelta[] = [];
    let total = 0;
    trajs.forEach((t, i) => {
      total += t.ids.length;
      const from = this.sentIds[i] ?? 0;
      const sFrom = this.sentSearches[i] ?? 0;
      if (t.ids.length > from || t.searches.length > sFrom || from === 0) {
        rows.push(rowDelta(t, i, from, sFrom, this.mask));
        this.sentIds[i] = t.ids.length;
        this.sentSearches[i] = t.searches.length;
      }
    });
    const t = this.now();
    const dt = (t - this.lastPost) / 1000;
    const tokensPerSec = this.lastPost > 0 && dt > 0 ? (total - this.tokensAtPost) / dt : 0;
    this.lastPost = t;
    this.tokensAtPost = total;
    this.send({
      step: this.step,
      rows,
      active: trajs.map((_, i) => this.active[i] ?? false),
      done: trajs.map((tr) => rowDone(tr, this.maxRounds)),
      tokensPerSec,
    });
  }
}
