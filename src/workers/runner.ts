/**
 * One training run inside the worker: build the base policy by practice (trainBase), then GRPO steps while
 * playing. Pause takes effect after the current step; stop (reset) disposes every tensor once the loop is idle.
 * Reports through `post`; knows the engine, the protocol and nothing of the page.
 */
import { DEFAULT_BASE_TRAINING, trainBase, type BaseTrainingConfig } from '../engine/base';
import { parseCorpus, parseQA } from '../engine/data';
import type { Policy } from '../engine/model';
import { heldOutPassages, PracticeBuilder } from '../engine/practice';
import type { Retriever } from '../engine/retriever';
import { Rng } from '../engine/rng';
import { RolloutEnv, type Trajectory } from '../engine/rollout';
import { buildRetriever, buildTokenizer, newPolicy, type Dataset } from '../engine/session';
import type { Tokenizer } from '../engine/tokenizer';
import { GrpoTrainer, type StepResult } from '../engine/trainer';
import { runConfigFor } from './presets';
import type {
  BrowserSettings,
  CorpusInfo,
  FromWorker,
  Progress,
  SampleTrajectory,
  Segment,
} from './protocol';

export interface LoadedCorpus {
  info: CorpusInfo;
  data: Dataset;
  retriever: Retriever;
}

async function fetchText(url: URL): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname}: HTTP ${res.status}`);
  return res.text();
}

/** Fetch and validate a shipped corpus (all three files) and index it for search. */
export async function loadCorpus(baseUrl: string, info: CorpusInfo): Promise<LoadedCorpus> {
  const dir = new URL('corpus/', baseUrl);
  const [c, tr, te] = await Promise.all(
    [info.corpus, info.train, info.test].map((f) => fetchText(new URL(f, dir))),
  );
  const data: Dataset = {
    corpus: parseCorpus(c, info.corpus),
    train: parseQA(tr, info.train),
    test: parseQA(te, info.test),
  };
  return { info, data, retriever: buildRetriever(data.corpus) };
}

export function baseConfigFor(s: BrowserSettings): BaseTrainingConfig {
  const warmupSteps = Math.min(DEFAULT_BASE_TRAINING.warmupSteps, Math.max(1, Math.floor(s.baseSteps / 4)));
  return { ...DEFAULT_BASE_TRAINING, steps: s.baseSteps, batchSize: s.baseBatch, warmupSteps };
}

/** Group a trajectory's tokens into runs of equal role and mask. */
export function segmentsOf(t: Trajectory, tok: Tokenizer): Segment[] {
  const out: Segment[] = [];
  for (let i = 0; i < t.ids.length; i++) {
    const role = t.roles[i];
    const gen = t.gen[i] ? 1 : 0;
    const last = out[out.length - 1];
    const piece = tok.vocab[t.ids[i]] ?? '<unk>';
    if (last && last.role === role && last.gen === gen) last.pieces.push(piece);
    else out.push({ role, gen, pieces: [piece] });
  }
  return out;
}

/** The step's most informative rollout: highest reward, then most valid searches, then the first. */
export function pickSample(r: StepResult, tok: Tokenizer): SampleTrajectory {
  let best = 0;
  r.trajectories.forEach((t, i) => {
    const b = r.trajectories[best];
    if (
      r.rewards[i] > r.rewards[best] ||
      (r.rewards[i] === r.rewards[best] && t.validSearches > b.validSearches)
    ) {
      best = i;
    }
  });
  const t = r.trajectories[best];
  return {
    question: t.item.question,
    golden: t.item.golden_answers,
    answer: t.answer,
    reward: r.rewards[best],
    validSearches: t.validSearches,
    index: best,
    of: r.trajectories.length,
    segments: segmentsOf(t, tok),
  };
}

export class Run {
  private playing = false;
  private stopped = false;
  private looping = false;
  private policy: Policy | null = null;
  private trainer: GrpoTrainer | null = null;
  private tokenizer: Tokenizer | null = null;

  constructor(
    readonly runId: number,
    readonly settings: BrowserSettings,
    private readonly corpus: () => Promise<LoadedCorpus>,
    private readonly post: (m: FromWorker) => void,
  ) {}

  play(): void {
    this.playing = true;
    if (!this.looping) void this.loop();
  }

  pause(): void {
    this.playing = false;
  }

  /** Stop for good; tensors are freed now or when the current step ends. */
  stop(): void {
    this.playing = false;
    this.stopped = true;
    if (!this.looping) this.dispose();
  }

  private status(phase: 'loading' | 'base' | 'training' | 'paused', message: string, progress?: Progress) {
    this.post({ type: 'status', runId: this.runId, phase, message, progress });
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      if (!this.trainer) await this.build();
      while (this.playing && !this.stopped && this.trainer && this.tokenizer) {
        this.status('training', `GRPO step ${this.trainer.steps + 1}…`);
        const result = await this.trainer.step();
        if (this.stopped) break;
        const report = { metrics: result.metrics, sample: pickSample(result, this.tokenizer) };
        this.post({ type: 'steps', runId: this.runId, reports: [report] });
      }
      if (!this.stopped) this.status('paused', `paused after step ${this.trainer?.steps ?? 0}`);
    } catch (e) {
      this.stopped = true;
      this.post({ type: 'error', runId: this.runId, message: describe(e) });
    } finally {
      this.looping = false;
      if (this.stopped) this.dispose();
    }
  }

  private async build(): Promise<void> {
    this.status('loading', `loading corpus "${this.settings.corpus}"…`);
    const { data, retriever } = await this.corpus();
    const cfg = runConfigFor(this.settings);
    const rng = new Rng(cfg.seed);
    const tokenizer = buildTokenizer(data);
    const policy = newPolicy(tokenizer, cfg.seed);
    this.policy = policy;
    this.tokenizer = tokenizer;
    const base = baseConfigFor(this.settings);
    if (base.steps > 0) {
      const env = new RolloutEnv(policy, tokenizer, retriever, cfg.rollout);
      const builder = new PracticeBuilder(
        data.corpus,
        data.train,
        retriever,
        cfg.rollout,
        heldOutPassages(data.corpus, data.test),
      );
      let lastPost = 0;
      this.status('base', `practice 0/${base.steps}`, {
        step: 0,
        steps: base.steps,
        loss: NaN,
        tokensPerSec: 0,
      });
      await trainBase(
        policy,
        env,
        builder,
        base,
        rng.fork(),
        (p) => {
          const t = performance.now();
          if (t - lastPost < 250 && p.step < p.steps) return; // at most 4 progress messages a second
          lastPost = t;
          this.status('base', `practice ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}`, p);
        },
        () => this.stopped,
      );
    }
    if (this.stopped) return;
    this.trainer = new GrpoTrainer(
      policy,
      tokenizer,
      retriever,
      data.train,
      cfg.grpo,
      cfg.rollout,
      rng.fork(),
    );
  }

  private dispose(): void {
    this.trainer?.dispose();
    this.policy?.dispose();
    this.trainer = this.policy = null;
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}
