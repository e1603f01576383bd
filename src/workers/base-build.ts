/**
 * The run's base policy: a shipped checkpoint (checkpoints.ts), or — "base policy: build in the browser", or no shipped
 * checkpoint — one built in the tab by answer-free reading practice (engine/base.ts trainBase) with a progress report,
 * and Pause honoured between practice steps: the run holds there, says so, and Play (or a step button) resumes it;
 * Reset ends it at the next step boundary.
 * Knows the engine's practice and the Stepper; reports through callbacks, nothing of messages or the page.
 */
import { DEFAULT_BASE_TRAINING, trainBase, type BaseTrainingConfig } from '../engine/base';
import { unpackCheckpoint } from '../engine/checkpoint';
import type { RunConfig } from '../engine/config';
import type { Policy } from '../engine/model';
import { heldOutPassages, PracticeBuilder } from '../engine/practice';
import type { Retriever } from '../engine/retriever';
import type { Rng } from '../engine/rng';
import { RolloutEnv } from '../engine/rollout';
import { buildTokenizer, newPolicy, type Dataset } from '../engine/session';
import type { Tokenizer } from '../engine/tokenizer';
import { describeCheckpoint, fetchCheckpoint } from './checkpoints';
import { describe, type BaseInfo, type BrowserSettings, type Progress } from './protocol';
import type { Stepper } from './stepper';

/** Progress messages at most this often (and at every pause, resume and the last step). */
const PROGRESS_MS = 250;

export function baseConfigFor(s: BrowserSettings): BaseTrainingConfig {
  const warmupSteps = Math.min(DEFAULT_BASE_TRAINING.warmupSteps, Math.max(1, Math.floor(s.baseSteps / 4)));
  return { ...DEFAULT_BASE_TRAINING, steps: s.baseSteps, batchSize: s.baseBatch, warmupSteps };
}

export interface PracticeHooks {
  /** Play / pause / step state of the run: practice holds between steps while it is held. */
  stepper: Stepper;
  /** The run was reset: practice ends at the next step boundary. */
  stopped(): boolean;
  /** Resolves once the stepper is no longer held or the run stopped (running queued tasks meanwhile). */
  waitWhileHeld(): Promise<void>;
  /** 'base' while practising, 'paused' while held between practice steps. */
  status(phase: 'base' | 'paused', message: string, progress: Progress): void;
}

/** Practise `policy` on the corpus for `base.steps` steps; `label` starts every progress message. */
export async function practiseInTab(
  policy: Policy,
  tokenizer: Tokenizer,
  data: Dataset,
  retriever: Retriever,
  cfg: RunConfig,
  base: BaseTrainingConfig,
  rng: Rng,
  label: string,
  hooks: PracticeHooks,
): Promise<void> {
  if (base.steps <= 0) return;
  const env = new RolloutEnv(policy, tokenizer, retriever, cfg.rollout);
  const builder = new PracticeBuilder(
    data.corpus,
    data.train,
    retriever,
    cfg.rollout,
    heldOutPassages(data.corpus, data.test),
  );
  let last: Progress = { step: 0, steps: base.steps, loss: NaN, tokensPerSec: 0 };
  const line = (p: Progress) =>
    `${label} ${p.step}/${p.steps}${Number.isFinite(p.loss) ? `, loss ${p.loss.toFixed(3)}` : ''}`;
  let lastPost = 0;
  hooks.status('base', line(last), last);
  /** Awaited before every practice step: holds while paused; true ends practice (reset). */
  const between = async (): Promise<boolean> => {
    if (hooks.stepper.held && !hooks.stopped()) {
      hooks.status('paused', `${line(last)} — paused (Play resumes it)`, last);
      await hooks.waitWhileHeld();
      if (!hooks.stopped()) hooks.status('base', line(last), last);
    }
    return hooks.stopped();
  };
  await trainBase(
    policy,
    env,
    builder,
    base,
    rng.fork(),
    (p) => {
      last = p;
      const t = performance.now();
      if (t - lastPost < PROGRESS_MS && p.step < p.steps) return;
      lastPost = t;
      hooks.status('base', line(p), p);
    },
    between,
  );
}

export interface BaseHooks extends PracticeHooks {
  /** A 'loading' status line. */
  loading(message: string): void;
  /** The new policy exists (before practice): the run frees it if practice is reset or fails. */
  own(policy: Policy): void;
}

/**
 * The base policy of a fresh run: the shipped checkpoint of `settings.corpus` when the settings ask for it and it
 * exists, otherwise a new policy practised in the tab. `base` says which, for the page and the saved run.
 */
export async function loadBase(
  settings: BrowserSettings,
  data: Dataset,
  retriever: Retriever,
  cfg: RunConfig,
  rng: Rng,
  baseUrl: string,
  hooks: BaseHooks,
): Promise<{ policy: Policy; tokenizer: Tokenizer; base: BaseInfo }> {
  let tokenizer: Tokenizer;
  let policy: Policy;
  let summary: string;
  const files = settings.base === 'checkpoint' ? await fetchCheckpoint(baseUrl, settings.corpus) : null;
  if (files) {
    hooks.loading(`loading the shipped base checkpoint of "${settings.corpus}"…`);
    let unpacked: ReturnType<typeof unpackCheckpoint>;
    try {
      unpacked = unpackCheckpoint(files);
    } catch (e) {
      throw new Error(
        `checkpoints/${settings.corpus}: ${describe(e)} (choose "base policy: build in the browser")`,
        { cause: e },
      );
    }
    ({ policy, tokenizer } = unpacked);
    summary = `shipped checkpoint: ${describeCheckpoint(JSON.parse(files['config.json'] as string), unpacked.meta)}`;
  } else {
    tokenizer = buildTokenizer(data);
    policy = newPolicy(tokenizer, cfg.seed);
    hooks.own(policy);
    const why = settings.base === 'checkpoint' ? `no shipped checkpoint for "${settings.corpus}": ` : '';
    summary = `${why}built in the browser by ${settings.baseSteps} practice steps`;
    await practiseInTab(
      policy,
      tokenizer,
      data,
      retriever,
      cfg,
      baseConfigFor(settings),
      rng,
      `${why}building the base policy: practice`,
      hooks,
    );
  }
  return { policy, tokenizer, base: { source: files ? 'checkpoint' : 'built', summary } };
}
