/**
 * One training run inside the worker: the base policy (a shipped checkpoint, or practice in the tab:
 * base-build.ts), then RL steps (GRPO or PPO, engine/ppo.ts createTrainer) under a Stepper (play, pause, exact
 * steps at four grains), streaming rollout tokens as they are sampled, step reports, periodic held-out evaluation,
 * and before/after comparisons. Tasks such as a comparison run only at a hold point or a gate, never inside an
 * update. Stop (reset) frees every tensor once the loop is idle.
 * A run is saved as it goes (saver.ts: history every step, a checkpoint every few steps and at holds) and can
 * start from a saved snapshot instead of a base policy, continuing its step count, optimiser and random stream.
 * This file owns the lifecycle (build, loop, holds, gates, stop); base-build.ts the base policy, run-eval.ts the
 * evaluations, saver.ts the saving. Reports through `post`; knows the engine, the protocol and nothing of the page.
 */
import type { RunConfig } from '../engine/config';
import type { Policy } from '../engine/model';
import type { Retriever } from '../engine/retriever';
import { Rng } from '../engine/rng';
import type { RolloutGateEvent, Trajectory } from '../engine/rollout';
import type { Tokenizer } from '../engine/tokenizer';
import { createTrainer, type RlTrainer } from '../engine/ppo';
import type { QAItem } from '../engine/types';
import { loadBase } from './base-build';
import { byHops, type LoadedCorpus } from './corpora';
import { poison } from './faults';
import { LiveStream } from './live';
import { runConfigFor } from './presets';
import {
  describe,
  type BrowserSettings,
  type CompareResult,
  type FromWorker,
  type Progress,
  type StepReport,
} from './protocol';
import { restoreTrainer, type Snapshot } from './resume';
import { compareAnswers, heldOutPoint, ratiosAfterUpdate } from './run-eval';
import type { RunRecord, RunsDb } from './runsDb';
import { newRunRecord, reportingSaver, type RunSaver } from './saver';
import { validateSettings } from './settings';
import { Stepper, type GateEvent, type Grain } from './stepper';

export interface RunOptions {
  /** Where the run is saved; null or absent: not saved. */
  db?: RunsDb | null;
  /** The lesson's name, kept with the saved run. */
  preset?: string;
  /** Continue this saved run from its snapshot (history already truncated to the snapshot's step). */
  resume?: { record: RunRecord; snapshot: Snapshot };
  /** Stop for good after this many RL steps (an experiment's variant); absent: train until stopped. */
  stopAfter?: number;
}

interface Built {
  cfg: RunConfig;
  /** GRPO steps done before this trainer was made (a resumed run's checkpoint step). */
  offset: number;
  tokenizer: Tokenizer;
  policy: Policy;
  trainer: RlTrainer;
  retriever: Retriever;
  evalItems: QAItem[];
}

export class Run {
  readonly stepper = new Stepper();
  private stopped = false;
  private looping = false;
  private built: Built | null = null;
  private policy: Policy | null = null;
  private tasks: (() => Promise<void>)[] = [];
  private holdSeq = 0;
  private baseEvaluated = false;
  private lastYield = 0;
  private saver: RunSaver | null = null;
  /** The trainer's random state when the current step began (a mid-step checkpoint restarts the step). */
  private rngAtStep = 0;
  private poisonNext = false;
  /** A step's loss came out non-finite without its update being skipped: weights may be corrupt, save no more. */
  private tainted = false;
  private endRun: () => void = () => {};
  /** Resolves once the run has stopped for good and freed its tensors (stop, error, or `stopAfter` reached). */
  readonly ended = new Promise<void>((resolve) => (this.endRun = resolve));

  constructor(
    readonly runId: number,
    readonly settings: BrowserSettings,
    private readonly corpus: () => Promise<LoadedCorpus>,
    private readonly baseUrl: string,
    private readonly post: (m: FromWorker) => void,
    private readonly opts: RunOptions = {},
  ) {}

  /** The saved run's id, once it has one. */
  get savedId(): string | null {
    return this.saver?.id ?? this.opts.resume?.record.id ?? null;
  }

  /** Load (or restore) the policy now and hold, without training (a resumed run waits for Play). */
  prepare(): void {
    this.start();
  }

  /** Make the next update's gradient NaN (a fault drill: the optimiser must skip it). */
  poisonNextUpdate(): void {
    this.poisonNext = true;
  }

  /** Resolves when every queued save has been written. */
  async flushSaves(): Promise<void> {
    await this.saver?.flush();
  }

  play(): void {
    this.stepper.play();
    this.start();
  }

  pause(): void {
    this.stepper.pause();
  }

  step(grain: Grain): void {
    this.stepper.step(grain);
    this.start();
  }

  /** Stop for good; tensors are freed now or when the loop reaches its next hold point. */
  stop(): void {
    this.stopped = true;
    this.stepper.wake();
    if (!this.looping) this.dispose();
  }

  /** Run `task` at the next hold point or gate (never during an update). */
  enqueue(task: () => Promise<void>): void {
    if (!this.looping) {
      void task(); // nothing else is using the tensors
      return;
    }
    this.tasks.push(task);
    this.stepper.wake();
  }

  /** Greedy answers of the base (frozen reference) and the current policy to one held-out question. */
  async compare(index: number): Promise<CompareResult> {
    const b = this.built;
    if (!b) throw new Error('no policy yet: press Play or a Step button first');
    return compareAnswers(b, index, [
      ['base policy (before RL)', b.trainer.reference],
      [`current policy (after ${done(b)} ${algoName(b)} steps)`, b.policy],
    ]);
  }

  private start(): void {
    if (!this.looping && !this.stopped) void this.loop();
  }

  private status(phase: 'loading' | 'base' | 'training' | 'paused', message: string, progress?: Progress) {
    this.post({ type: 'status', runId: this.runId, phase, message, progress });
  }

  private async drainTasks(): Promise<void> {
    while (this.tasks.length && !this.stopped) await this.tasks.shift()!();
  }

  /** Wait while held (running queued tasks meanwhile). */
  private async hold(step: number, at: 'token' | 'step', message: string): Promise<void> {
    if (!this.stepper.held) return;
    await this.checkpoint(true, at === 'token' ? this.rngAtStep : undefined);
    this.holdSeq += 1;
    this.post({
      type: 'status',
      runId: this.runId,
      phase: 'paused',
      message,
      hold: { seq: this.holdSeq, step, at },
    });
    await this.waitWhileHeld();
    if (!this.stopped)
      this.status('training', `${this.algoName} step ${step}: ${this.stepper.pendingGrain ?? 'playing'}…`);
  }

  /** Until play, a step or stop (running queued tasks meanwhile). */
  private async waitWhileHeld(): Promise<void> {
    while (this.stepper.held && !this.stopped) {
      if (this.tasks.length) await this.drainTasks();
      else await this.stepper.waitForChange();
    }
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      if (!this.built) {
        this.built = await this.build();
        await this.checkpoint(false); // the base (step 0), or nothing new for a resumed run
      }
      const b = this.built;
      if (this.stopped) return;
      if (!this.stepper.held) this.status('training', `${algoName(b)} step ${done(b) + 1}…`);
      while (!this.stopped) {
        await this.drainTasks();
        await this.hold(done(b), 'step', `paused after ${algoName(b)} step ${done(b)}`);
        if (this.stopped) break;
        this.rngAtStep = b.trainer.rng.getState();
        await this.trainStep(b);
        if (this.stopped) break;
        await this.maybeEvaluate(b);
        await this.checkpoint(false);
        this.stepper.stepDone();
        if (this.opts.stopAfter !== undefined && done(b) >= this.opts.stopAfter) this.stopped = true;
      }
    } catch (e) {
      if (!this.stopped) this.post({ type: 'error', runId: this.runId, message: describe(e) });
      this.stopped = true;
    } finally {
      this.looping = false;
      if (this.stopped) this.dispose();
    }
  }

  /** Save a checkpoint when one is due (every few steps; `force` at holds). Never inside an update. */
  private async checkpoint(force: boolean, rng?: number): Promise<void> {
    const b = this.built;
    const saver = this.saver;
    if (!b || !saver || this.stopped || this.tainted || !saver.due(done(b), force)) return;
    await saver.checkpoint(b.trainer, b.tokenizer, done(b), rng);
  }

  private async trainStep(b: Built): Promise<void> {
    const stepNo = done(b) + 1;
    const restore = this.poisonNext ? poison(b.trainer) : null;
    this.poisonNext = false;
    const maxRounds = b.cfg.rollout.mode === 'search' ? b.cfg.rollout.maxTurns + 1 : 1;
    const live = new LiveStream(stepNo, maxRounds, b.cfg.grpo.maskInformation, (u) =>
      this.post({ type: 'live', runId: this.runId, live: u }),
    );
    let current: readonly Trajectory[] = [];
    let started = false;
    const result = await b.trainer
      .step({
        onTokens: (trajs) => {
          current = trajs;
          if (!started) {
            started = true;
            this.post({
              type: 'rollout',
              runId: this.runId,
              rollout: {
                step: stepNo,
                groupSize: b.cfg.grpo.groupSize,
                items: trajs.map((t) => ({ question: t.item.question, golden: t.item.golden_answers })),
              },
            });
          }
          live.observe(trajs);
        },
        gate: (e) => this.gate(e, live, current, stepNo),
      })
      .finally(() => restore?.());
    result.metrics.step = stepNo; // the trainer counts from 0 on a resumed run
    live.flush(result.trajectories);
    const ratios = await ratiosAfterUpdate(b.policy, result.trajectories);
    const report: StepReport = {
      metrics: result.metrics,
      rewards: result.rewards,
      advantages: result.advantages,
      ratios,
    };
    this.post({ type: 'steps', runId: this.runId, reports: [report] });
    const skipped = result.metrics.skippedUpdates;
    if (skipped > 0) {
      const of = Math.max(1, b.cfg.grpo.miniBatches);
      this.post({
        type: 'notice',
        runId: this.runId,
        level: 'warn',
        message: `${algoName(b)} step ${stepNo}: ${skipped} of ${of} updates skipped (NaN or Inf in the gradient); the weights stayed as they were`,
      });
    }
    const m = result.metrics;
    if (!this.tainted && ![m.kl, m.entropy, m.policyLoss].every(Number.isFinite)) {
      // The backend let a non-finite value through the optimiser's check (seen on WebGPU, where NaN need not
      // propagate through a reduction): keep the last good checkpoint rather than overwrite it.
      this.tainted = true;
      this.post({
        type: 'notice',
        runId: this.runId,
        level: 'warn',
        message: `${algoName(b)} step ${stepNo}: the loss is not finite (NaN or Inf) and this backend did not catch it; the weights may be damaged. Checkpoints are no longer saved for this run: resume it from its last checkpoint (saved runs)`,
      });
    }
    void this.saver?.step(report, result.trajectories, b.cfg.grpo.groupSize, b.cfg.grpo.maskInformation);
  }

  private async gate(
    e: RolloutGateEvent,
    live: LiveStream,
    trajs: readonly Trajectory[],
    stepNo: number,
  ): Promise<void> {
    const event: GateEvent = { roundsClosed: e.roundsClosed, allDone: live.allDone(trajs) };
    await this.drainTasks();
    if (this.stopped) throw new StoppedError();
    if (this.stepper.holdAtGate(event)) {
      live.flush(trajs);
      const where = event.allDone
        ? 'every rollout done, the update is next'
        : event.roundsClosed
          ? 'every active rollout at the end of its round'
          : 'mid-rollout';
      await this.hold(stepNo, 'token', `paused in ${this.algoName} step ${stepNo} (${where})`);
      if (this.stopped) throw new StoppedError();
    } else if (performance.now() - this.lastYield > 50) {
      // Let pause / step / search messages in even when the backend's reads resolve without a macrotask.
      this.lastYield = performance.now();
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  private async maybeEvaluate(b: Built): Promise<void> {
    const every = this.settings.evalEvery;
    if (!every || done(b) % every !== 0) return;
    const run = async (policy: Policy, which: 'base' | 'current', step: number) => {
      const point = await heldOutPoint(b, policy, step);
      this.post({ type: 'eval', runId: this.runId, policy: which, point });
      void this.saver?.evalPoint(point, which);
    };
    this.status('training', `held-out evaluation (${b.evalItems.length} questions, greedy)…`);
    // The frozen reference is the base policy: its score is the curve's step 0, measured without delaying play.
    if (!this.baseEvaluated) {
      this.baseEvaluated = true;
      await run(b.trainer.reference, 'base', 0);
    }
    await run(b.policy, 'current', done(b));
    if (!this.stepper.held && !this.stopped && this.opts.stopAfter !== done(b))
      this.status('training', `${algoName(b)} step ${done(b) + 1}…`);
  }

  private async build(): Promise<Built> {
    const problems = validateSettings(this.settings);
    if (problems.length) throw new Error(`bad settings: ${problems.join('; ')}`);
    this.status('loading', `loading corpus "${this.settings.corpus}"…`);
    const { data, retriever: indexed } = await this.corpus();
    const cfg = runConfigFor(this.settings);
    const retriever = indexed(cfg.rollout.bm25K1);
    const train = byHops(data.train, this.settings.hops, 'training');
    const evalItems = byHops(data.test, this.settings.hops, 'held-out').slice(0, this.settings.evalQuestions);
    if (this.opts.resume) return this.restore(cfg, train, evalItems, retriever);
    const rng = new Rng(cfg.seed);
    const { policy, tokenizer, base } = await loadBase(
      this.settings,
      data,
      retriever,
      cfg,
      rng,
      this.baseUrl,
      {
        stepper: this.stepper,
        stopped: () => this.stopped,
        waitWhileHeld: () => this.waitWhileHeld(),
        status: (phase, message, progress) => this.status(phase, message, progress),
        loading: (message) => this.status('loading', message),
        own: (p) => (this.policy = p),
      },
    );
    this.policy = policy;
    this.post({ type: 'base', runId: this.runId, base, vocab: tokenizer.vocab.slice() });
    const trainer = createTrainer(cfg, policy, tokenizer, retriever, train, rng.fork());
    const built = { cfg, offset: 0, tokenizer, policy, trainer, retriever, evalItems };
    this.startSaving(newRunRecord(this.settings, this.opts.preset, { ...base }));
    return built;
  }

  /** Save from now on (when there is a DB); the first checkpoint is the base, at step 0 (or the resumed step). */
  private startSaving(record: RunRecord, reference?: Uint8Array): void {
    if (!this.opts.db) return;
    this.saver = reportingSaver(this.opts.db, record, this.runId, (m) => this.post(m), reference);
  }

  private async restore(
    cfg: RunConfig,
    train: QAItem[],
    evalItems: QAItem[],
    retriever: Retriever,
  ): Promise<Built> {
    const { record, snapshot } = this.opts.resume!;
    this.status(
      'loading',
      `restoring "${record.name}" from its checkpoint at ${this.algoName} step ${snapshot.step}…`,
    );
    const { policy, tokenizer, trainer } = restoreTrainer(
      snapshot,
      retriever,
      train,
      cfg.grpo,
      cfg.rollout,
      cfg,
    );
    this.policy = policy;
    const summary = `${record.base?.summary ?? 'saved run'} · resumed at ${this.algoName} step ${snapshot.step}`;
    this.post({
      type: 'base',
      runId: this.runId,
      base: { source: record.base?.source ?? 'checkpoint', summary },
      vocab: tokenizer.vocab.slice(),
    });
    this.baseEvaluated = record.evals.base !== null;
    const built = { cfg, offset: snapshot.step, tokenizer, policy, trainer, retriever, evalItems };
    this.startSaving({ ...record, checkpointStep: snapshot.step }, snapshot.reference);
    return built;
  }

  private dispose(): void {
    this.built?.trainer.dispose();
    this.policy?.dispose();
    this.built = null;
    this.policy = null;
    this.endRun();
  }

  /** "GRPO" or "PPO", for messages. */
  private get algoName(): string {
    return algoLabel(this.settings.algo);
  }
}

/** The algorithm's name as the page shows it. */
export const algoLabel = (algo: string | undefined): string => (algo === 'ppo' ? 'PPO' : 'GRPO');
const algoName = (b: Built) => algoLabel(b.cfg.algo);

/** RL steps a run has done (a resumed trainer counts from its checkpoint). */
const done = (b: Built) => b.trainer.steps + b.offset;

/** Thrown out of a gate to abandon the step of a run that was stopped. */
class StoppedError extends Error {
  constructor() {
    super('run stopped');
  }
}
