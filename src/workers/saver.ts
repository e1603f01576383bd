/**
 * Keeps one run saved while it trains: its record (settings, metric and evaluation history, the last step's
 * scored rollouts) after every step, and a Snapshot (resume.ts) at step 0, every CHECKPOINT_EVERY steps (or
 * CHECKPOINT_AFTER_MS) and at holds. Writes are queued one after another; a failed write (quota, private mode)
 * becomes one notice and the run goes on unsaved. Also a new run's first record and the saver a run reports
 * through (newRunRecord, reportingSaver). Knows the engine's trainer, the DB and the worker's messages; nothing of
 * the page.
 */
import type { Trajectory } from '../engine/rollout';
import type { Tokenizer } from '../engine/tokenizer';
import type { RlTrainer } from '../engine/ppo';
import { rowDelta } from './live';
import type { BaseInfo, BrowserSettings, EvalPoint, FromWorker, StepReport } from './protocol';
import { takeSnapshot } from './resume';
import { newRunId, type RunRecord, type RunsDb, type SavedTrajectory } from './runsDb';

/** Steps and evaluation points kept in a saved run's history (as on the page). */
export const MAX_HISTORY = 2000;

/** A checkpoint every this many GRPO steps, or after this long (and at every hold). */
export const CHECKPOINT_EVERY = 5;
export const CHECKPOINT_AFTER_MS = 60_000;

export function savedTrajectories(
  trajs: readonly Trajectory[],
  rewards: readonly number[],
  advantages: readonly number[],
  mask: boolean,
): SavedTrajectory[] {
  return trajs.map((t, i) => {
    const d = rowDelta(t, i, 0, 0, mask);
    return {
      question: t.item.question,
      golden: t.item.golden_answers.slice(),
      ids: d.ids,
      roles: d.roles,
      gen: d.gen,
      loss: d.loss,
      logp: d.logp,
      searches: d.searches,
      turns: d.turns,
      answer: d.answer,
      reward: rewards[i] ?? 0,
      advantage: advantages[i] ?? 0,
    };
  });
}

export class RunSaver {
  private queue: Promise<void> = Promise.resolve();
  private failed = false;
  /** The reference policy's weights never change during a run: read once. */
  private reference: Uint8Array | undefined;
  private lastCheckpointAt = 0;

  constructor(
    private readonly db: RunsDb,
    readonly record: RunRecord,
    private readonly onSaved: (r: RunRecord) => void,
    private readonly onFailure: (message: string) => void,
    reference?: Uint8Array,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.reference = reference;
  }

  get id(): string {
    return this.record.id;
  }

  private enqueue(f: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(f).then(
      () => this.onSaved(this.record),
      (e: unknown) => {
        if (this.failed) return;
        this.failed = true;
        this.onFailure(`this run could not be saved in the browser (${(e as Error).message ?? e})`);
      },
    );
    return this.queue;
  }

  setBase(base: BaseInfo): void {
    this.record.base = base;
  }

  step(report: StepReport, trajs: readonly Trajectory[], groupSize: number, mask: boolean): Promise<void> {
    const r = this.record;
    r.metrics = r.metrics.concat(report.metrics).slice(-MAX_HISTORY);
    r.steps = report.metrics.step;
    r.updated = Date.now();
    r.trajectories = {
      step: report.metrics.step,
      groupSize,
      rows: savedTrajectories(trajs, report.rewards, report.advantages, mask),
    };
    const snap = { ...r };
    return this.enqueue(() => this.db.putRun(snap));
  }

  evalPoint(point: EvalPoint, which: 'base' | 'current'): Promise<void> {
    const r = this.record;
    if (which === 'base') r.evals = { ...r.evals, base: point };
    else r.evals = { ...r.evals, points: r.evals.points.concat(point).slice(-MAX_HISTORY) };
    const snap = { ...r };
    return this.enqueue(() => this.db.putRun(snap));
  }

  /** Whether a checkpoint is due after `step` steps (or forced, at a hold). */
  due(step: number, force = false): boolean {
    if (this.record.checkpointStep === step) return false;
    return (
      force ||
      step === 0 ||
      step % CHECKPOINT_EVERY === 0 ||
      this.now() - this.lastCheckpointAt >= CHECKPOINT_AFTER_MS
    );
  }

  /** Snapshot now (the caller is at a step boundary) and store it with the record. */
  async checkpoint(trainer: RlTrainer, tokenizer: Tokenizer, step: number, rng?: number): Promise<void> {
    const meta = { source: 'browser playground', run: this.record.id, settings: this.record.settings };
    const snap = await takeSnapshot(trainer, tokenizer, step, meta, this.reference);
    if (rng !== undefined) snap.rng = rng; // taken mid-step: the step is redone from its start
    this.reference = snap.reference;
    this.lastCheckpointAt = this.now();
    this.record.checkpointStep = step;
    this.record.updated = Date.now();
    const rec = { ...this.record };
    await this.enqueue(() => this.db.putRunWithCheckpoint(rec, snap));
  }

  /** Resolves when every queued write has finished. */
  flush(): Promise<void> {
    return this.queue;
  }
}

/** The record a new run is saved under (no history yet): named after its corpus, lesson and start time. */
export function newRunRecord(
  settings: BrowserSettings,
  preset: string | undefined,
  base: BaseInfo,
): RunRecord {
  const now = Date.now();
  const when = new Date(now).toISOString().slice(0, 16).replace('T', ' ');
  return {
    id: newRunId(now),
    name: `${settings.corpus} · ${preset ?? 'custom'} · ${when}`,
    created: now,
    updated: now,
    preset: preset ?? 'custom',
    settings: { ...settings },
    base,
    metrics: [],
    evals: { base: null, points: [] },
    trajectories: null,
    steps: 0,
    checkpointStep: null,
  };
}

/** A saver for run `runId` that reports every write ('saved') and the first failed one (a warning notice). */
export function reportingSaver(
  db: RunsDb,
  record: RunRecord,
  runId: number,
  post: (m: FromWorker) => void,
  reference?: Uint8Array,
): RunSaver {
  return new RunSaver(
    db,
    record,
    (r) =>
      post({
        type: 'saved',
        runId,
        id: r.id,
        steps: r.steps,
        checkpointStep: r.checkpointStep,
      }),
    (message) => post({ type: 'notice', runId, level: 'warn', message }),
    reference,
  );
}
