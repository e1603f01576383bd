/**
 * The Search-R1 rollout loop (PeterGriffinJin/Search-R1 search_r1/llm_agent/generation.py), batched over rows.
 * Each round generates until </search>, </answer>, <eos> or the per-round cap; the first complete
 * <search>…</search> or <answer>…</answer> is the action; searches run only before the forced final round.
 * The loss mask is built while tokens are appended: policy tokens 1, every observation token 0.
 * Knows the model only through Policy.startDecode/feed, and nothing of rewards or optimisation.
 */
import type { RolloutConfig } from './config';
import type { Policy } from './model';
import { buildPrompt, invalidActionText } from './prompt';
import type { Retriever } from './retriever';
import { formatInformation } from './retriever';
import type { Rng } from './rng';
import { sampleToken } from './sampling';
import { BOS, EOS, PAD, UNK, type Tokenizer } from './tokenizer';
import type { QAItem, RetrievedDoc } from './types';

export type Role = 'prompt' | 'think' | 'search' | 'answer' | 'text' | 'information' | 'observation';

export interface SearchCall {
  query: string;
  docs: RetrievedDoc[];
  /** False for a search issued in the forced final round (not executed). */
  executed: boolean;
  /** Token index in `ids` of the query's closing </search>. */
  at: number;
}

export interface Trajectory {
  item: QAItem;
  /** <bos> + prompt + response token ids. */
  ids: number[];
  promptLen: number;
  /** 1 where the policy generated the token, 0 for prompt and observation tokens. */
  gen: number[];
  /**
   * log π(token) under the policy that sampled it (temperature 1, no truncation: the model's own distribution), at
   * positions the policy generated; 0 elsewhere. GRPO's old log-probs come from here (no extra forward pass).
   */
  logp: number[];
  roles: Role[];
  /** Decoded response (everything after the prompt, observations included). */
  response: string;
  searches: SearchCall[];
  turns: number;
  validActions: number;
  /** Search actions executed by the environment (Search-R1's valid_search count), whatever they retrieved. */
  validSearches: number;
  /** Ended with an <answer> action. */
  answered: boolean;
  /** Content of the policy's <answer> action (parsed from generated tokens only), null if it never answered. */
  answer: string | null;
  /** Stopped because the context was full. */
  truncated: boolean;
}

export interface RolloutOptions {
  /** Greedy decoding (evaluation). */
  greedy?: boolean;
  /** Called after every batch of sampled tokens (for live views); must be cheap. */
  onTokens?: (trajectories: readonly Trajectory[]) => void;
  /**
   * Awaited after every batch of sampled tokens (one token added to every generating row). Lets a caller step
   * exactly one token or one round at a time.
   */
  gate?: (event: RolloutGateEvent) => Promise<void> | void;
}

export interface RolloutGateEvent {
  /** Some row ended its round in this batch. */
  roundEnded: boolean;
  /**
   * No row is generating any more in the current lockstep round: every row not done has ended its round (it waits
   * for its observation, fed next) and the rest are done. Rows end rounds at different token counts; this is the
   * batch where the last of them did.
   */
  roundsClosed: boolean;
}

const ACTION_RE = /<(search|answer)>(.*?)<\/\1>/s;

/** The first complete action in a round's text (Search-R1 postprocess_predictions). */
export function parseAction(text: string): { kind: 'search' | 'answer'; content: string } | null {
  const m = ACTION_RE.exec(text);
  return m ? { kind: m[1] as 'search' | 'answer', content: m[2].trim() } : null;
}

/**
 * A search's top-k passages after the passages in `read` (those its rollout or demonstration has read so far):
 * with `freshPassages` they are passed over, else the search is stateless, as the paper's.
 */
export function searchAfter(
  retriever: Retriever,
  cfg: Pick<RolloutConfig, 'topk' | 'freshPassages'>,
  query: string,
  read: readonly { id: string }[],
): RetrievedDoc[] {
  const skip = cfg.freshPassages && read.length ? new Set(read.map((d) => d.id)) : undefined;
  return retriever.search(query, cfg.topk, skip);
}

interface RowState {
  traj: Trajectory;
  /** Index in ids where the current round's generation began. */
  roundStart: number;
  round: number;
  block: Role;
  done: boolean;
}

function roleAfter(tokenText: string, current: Role): { role: Role; next: Role } {
  switch (tokenText) {
    case '<think>':
      return { role: 'think', next: 'think' };
    case '<search>':
      return { role: 'search', next: 'search' };
    case '<answer>':
      return { role: 'answer', next: 'answer' };
    case '</think>':
    case '</search>':
    case '</answer>':
      return { role: current, next: 'text' };
    default:
      return { role: current, next: current };
  }
}

export class RolloutEnv {
  readonly tags: { search: number; searchEnd: number; answerEnd: number };

  constructor(
    readonly policy: Policy,
    readonly tokenizer: Tokenizer,
    readonly retriever: Retriever | null,
    readonly cfg: RolloutConfig,
  ) {
    this.tags = {
      search: tokenizer.id('<search>'),
      searchEnd: tokenizer.id('</search>'),
      answerEnd: tokenizer.id('</answer>'),
    };
    if ((cfg.mode === 'search' || cfg.mode === 'rag') && !retriever) {
      throw new Error(`mode "${cfg.mode}" needs a retriever`);
    }
  }

  /** <bos> + prompt tokens for one question (RAG retrieves once with the question). */
  promptIds(item: QAItem): number[] {
    const context =
      this.cfg.mode === 'rag' && this.retriever
        ? formatInformation(this.retriever.search(item.question, this.cfg.topk))
        : '';
    const text = buildPrompt(item.question, this.cfg.mode, this.cfg.promptStyle, context);
    const ids = [BOS, ...this.tokenizer.encode(text)];
    const cap = this.policy.cfg.contextLen - this.cfg.maxTurnTokens - 1;
    // A prompt longer than the context keeps its end (the question): left truncation, as the paper does.
    return ids.length > cap ? [BOS, ...ids.slice(ids.length - cap + 1)] : ids;
  }

  async run(items: readonly QAItem[], rng: Rng, opts: RolloutOptions = {}): Promise<Trajectory[]> {
    const { policy, tokenizer, cfg } = this;
    const V = tokenizer.size;
    const B = items.length;
    const ctx = policy.cfg.contextLen;
    const rows: RowState[] = items.map((item) => {
      const ids = this.promptIds(item);
      return {
        traj: {
          item,
          ids,
          promptLen: ids.length,
          gen: ids.map(() => 0),
          logp: ids.map(() => 0),
          roles: ids.map(() => 'prompt' as Role),
          response: '',
          searches: [],
          turns: 0,
          validActions: 0,
          validSearches: 0,
          answered: false,
          answer: null,
          truncated: false,
        },
        roundStart: ids.length,
        round: 0,
        block: 'text',
        done: false,
      };
    });
    const probs = new Float32Array(B * V);
    const state = policy.startDecode(B);
    const sampling = {
      temperature: opts.greedy ? 0 : cfg.temperature,
      topP: cfg.topP,
      banned: [PAD, BOS, UNK],
    };
    const feed = async (batch: { row: number; tokens: number[] }[]) => {
      if (!batch.length) return;
      const out = await policy.feed(state, batch);
      for (const { row } of batch) probs.set(out.subarray(row * V, (row + 1) * V), row * V);
    };
    try {
      await feed(rows.map((r, row) => ({ row, tokens: r.traj.ids })));
      const maxRounds = cfg.mode === 'search' ? cfg.maxTurns + 1 : 1;
      // Rounds run in lockstep across the batch (as Search-R1's generation loop does): every active row
      // generates until its round ends, then all observations are fed in one batched call.
      const pending = new Map<number, number[]>();
      while (rows.some((r) => !r.done)) {
        const generating = rows
          .map((r, row) => (!r.done && !pending.has(row) ? row : -1))
          .filter((row) => row >= 0);
        if (!generating.length) {
          await feed([...pending].map(([row, tokens]) => ({ row, tokens })));
          pending.clear();
          opts.onTokens?.(rows.map((r) => r.traj));
          continue;
        }
        const singles: { row: number; tokens: number[] }[] = [];
        let roundEnded = false;
        for (const row of generating) {
          const r = rows[row];
          const tok = sampleToken(probs, row * V, V, sampling, rng);
          const pieceRole = roleAfter(tokenizer.vocab[tok], r.block);
          r.block = pieceRole.next;
          this.append(r, [tok], 1, pieceRole.role, Math.log(Math.max(probs[row * V + tok], 1e-30)));
          const roundLen = r.traj.ids.length - r.roundStart;
          const stop =
            tok === EOS ||
            tok === this.tags.answerEnd ||
            (tok === this.tags.searchEnd && cfg.mode === 'search') ||
            roundLen >= cfg.maxTurnTokens;
          if (!stop) {
            if (r.traj.ids.length >= ctx) this.finish(r, true);
            else singles.push({ row, tokens: [tok] });
            continue;
          }
          roundEnded = true;
          const forced = this.endRound(r, maxRounds);
          if (!r.done) pending.set(row, [tok, ...forced]);
        }
        await feed(singles);
        opts.onTokens?.(rows.map((r) => r.traj));
        const roundsClosed = rows.every((r, row) => r.done || pending.has(row));
        await opts.gate?.({ roundEnded, roundsClosed });
      }
    } finally {
      state.dispose();
    }
    for (const r of rows) r.traj.response = tokenizer.decode(r.traj.ids.slice(r.traj.promptLen));
    return rows.map((r) => r.traj);
  }

  private append(r: RowState, tokens: number[], gen: 0 | 1, role: Role, logp = 0): void {
    for (const t of tokens) {
      r.traj.ids.push(t);
      r.traj.gen.push(gen);
      r.traj.logp.push(logp);
      r.traj.roles.push(role);
    }
  }

  private finish(r: RowState, truncated: boolean): void {
    r.done = true;
    r.traj.truncated = truncated;
  }

  /** Close the current round: act on it, append the observation, and return the forced tokens to feed. */
  private endRound(r: RowState, maxRounds: number): number[] {
    const { tokenizer, cfg } = this;
    const t = r.traj;
    const roundText = tokenizer.decode(t.ids.slice(r.roundStart));
    const action = parseAction(roundText);
    r.round += 1;
    t.turns = r.round;
    const finalRound = r.round >= maxRounds;
    let obs: number[];
    if (action?.kind === 'answer') {
      t.validActions += 1;
      t.answered = true;
      t.answer = action.content;
      r.done = true;
      return [];
    }
    if (action?.kind === 'search') {
      t.validActions += 1;
      if (finalRound) {
        t.searches.push({ query: action.content, docs: [], executed: false, at: t.ids.length - 1 });
        r.done = true;
        return [];
      }
      const docs = this.retrieve(
        action.content,
        t.searches.flatMap((s) => s.docs),
      );
      t.searches.push({ query: action.content, docs, executed: true, at: t.ids.length - 1 });
      t.validSearches += 1;
      obs = this.informationTokens(docs);
    } else {
      if (finalRound) {
        r.done = true;
        return [];
      }
      obs = tokenizer.encode(invalidActionText(cfg.promptStyle));
    }
    // Context cap: the observation must leave room for at least one more round.
    const room = this.policy.cfg.contextLen - t.ids.length - cfg.maxTurnTokens - 1;
    if (room < 4) {
      this.finish(r, true);
      return [];
    }
    if (obs.length > room) obs = this.clip(obs, room);
    this.append(r, obs, 0, action?.kind === 'search' ? 'information' : 'observation');
    r.roundStart = t.ids.length;
    r.block = 'text';
    return obs;
  }

  /**
   * A search action's passages: the retriever's top-k, passing over the passages in `read` (what the rollout has
   * read so far) when RolloutConfig.freshPassages is on.
   */
  retrieve(query: string, read: readonly { id: string }[]): RetrievedDoc[] {
    return searchAfter(this.retriever!, this.cfg, query, read);
  }

  /** <information> Doc 1(Title: …) … </information>, capped at maxObsTokens with the closing tag kept. */
  informationTokens(docs: RetrievedDoc[]): number[] {
    const inner = this.tokenizer.encode(formatInformation(docs));
    const open = this.tokenizer.id('<information>');
    const close = this.tokenizer.id('</information>');
    return this.clip([open, ...inner, close], this.cfg.maxObsTokens);
  }

  private clip(obs: number[], cap: number): number[] {
    if (obs.length <= cap) return obs;
    const close = this.tokenizer.id('</information>');
    const last = obs[obs.length - 1];
    return last === close ? [...obs.slice(0, cap - 1), close] : obs.slice(0, cap);
  }
}
