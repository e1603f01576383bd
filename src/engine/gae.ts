/**
 * PPO's host-side advantage math as Search-R1 runs it through verl (ray_trainer.apply_kl_penalty,
 * core_algos.compute_gae_advantage_return, verl_F.masked_whiten): k1 KL subtracted from the per-token reward, the
 * outcome score on the last action token, GAE (Schulman et al. 2016) and masked whitening.
 * Pure functions over flat row-major [B·T] Float32Arrays indexed by scoring position t (position t scores token t+1,
 * as Policy.scoreTokens and makeBatch do). Knows nothing of tensors, models or rollouts.
 *
 * Actions are the positions where `mask` is 1 (the loss mask: tokens the policy generated; with masking off, every
 * response token). Observation tokens (<information> passages, the invalid-action hint) are not actions: GAE steps
 * over them. The next state's value after an action is the critic's value at the NEXT action position, whose prefix
 * already contains the observation, so an observation is part of the environment's transition, and γ, λ are applied
 * once per action, not once per observation token. verl runs the recursion over every response position instead
 * (observation rewards are 0 there); with the paper's γ = λ = 1 the two agree exactly (the sum telescopes, so
 * A_t = Σ_{k≥t} r_k − V_t either way), and for γ, λ < 1 ours does not discount an action by the length of the passage
 * it retrieved.
 */

export interface Shape {
  /** Rows. */
  B: number;
  /** Positions per row. */
  T: number;
}

/** Index of the last action position of row b, or −1 if the row has none. */
export function lastAction(mask: ArrayLike<number>, b: number, T: number): number {
  for (let t = T - 1; t >= 0; t--) if (mask[b * T + t]) return t;
  return -1;
}

export interface ShapedRewards {
  /** Token-level rewards [B·T]: −β·k1 at every action, plus the outcome score on each row's last action. */
  rewards: Float32Array;
  /** k1 = logp_old − logp_ref at actions, 0 elsewhere [B·T]. */
  kl: Float32Array;
  /** Token-mean of k1 over all actions of the batch (the step's KL metric). */
  meanKl: number;
}

/**
 * Search-R1's PPO reward (verl apply_kl_penalty, kl_penalty = "kl", fixed controller):
 *   r_t = score · [t = last action] − β · (log π_old(a_t) − log π_ref(a_t))   at actions, 0 elsewhere.
 * The outcome score sits on the last generated token (verl: the last valid response token).
 */
export function klShapedRewards(
  scores: readonly number[],
  oldLogp: ArrayLike<number>,
  refLogp: ArrayLike<number>,
  mask: ArrayLike<number>,
  { B, T }: Shape,
  klCoef: number,
): ShapedRewards {
  if (scores.length !== B) throw new Error(`klShapedRewards: ${scores.length} scores for ${B} rows`);
  const rewards = new Float32Array(B * T);
  const kl = new Float32Array(B * T);
  let sum = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (!mask[i]) continue;
      kl[i] = oldLogp[i] - refLogp[i];
      rewards[i] = -klCoef * kl[i];
      sum += kl[i];
      n++;
    }
    const last = lastAction(mask, b, T);
    if (last >= 0) rewards[b * T + last] += scores[b];
  }
  return { rewards, kl, meanKl: n ? sum / n : 0 };
}

export interface GaeResult {
  /** GAE advantages at actions, 0 elsewhere [B·T] (not whitened). */
  advantages: Float32Array;
  /** Value targets: advantage + value at actions, 0 elsewhere [B·T]. */
  returns: Float32Array;
}

/**
 * GAE over the action positions of each row (Schulman et al. 2016, eq. 16; verl compute_gae_advantage_return):
 *   δ_t = r_t + γ·V_{next(t)} − V_t,   A_t = δ_t + γλ·A_{next(t)},   R_t = A_t + V_t
 * where next(t) is the next action position of the row (V = A = 0 after the last one: the episode ends).
 */
export function maskedGae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  { B, T }: Shape,
  gamma: number,
  lambda: number,
): GaeResult {
  const advantages = new Float32Array(B * T);
  const returns = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let nextValue = 0;
    let nextAdv = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = b * T + t;
      if (!mask[i]) continue;
      const delta = rewards[i] + gamma * nextValue - values[i];
      const a = delta + gamma * lambda * nextAdv;
      advantages[i] = a;
      returns[i] = a + values[i];
      nextValue = values[i];
      nextAdv = a;
    }
  }
  return { advantages, returns };
}

/**
 * (x − mean) / sqrt(var + 1e-8) over the masked entries of the whole batch, unbiased variance, 0 elsewhere
 * (verl_F.masked_whiten with shift_mean = True, as compute_gae_advantage_return uses it). Fewer than two entries:
 * the variance is taken as 0.
 */
export function maskedWhiten(x: ArrayLike<number>, mask: ArrayLike<number>): Float32Array {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++)
    if (mask[i]) {
      n++;
      sum += x[i];
    }
  const out = new Float32Array(x.length);
  if (!n) return out;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < x.length; i++) if (mask[i]) ss += (x[i] - mean) ** 2;
  const variance = n > 1 ? ss / (n - 1) : 0;
  const scale = 1 / Math.sqrt(variance + 1e-8);
  for (let i = 0; i < x.length; i++) if (mask[i]) out[i] = (x[i] - mean) * scale;
  return out;
}

/** 1 − Var(R − V) / Var(R) over the masked entries (verl's critic/vf_explained_var); 0 with fewer than two. */
export function explainedVariance(
  returns: ArrayLike<number>,
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
): number {
  const r: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < returns.length; i++)
    if (mask[i]) {
      r.push(returns[i]);
      d.push(returns[i] - values[i]);
    }
  if (r.length < 2) return 0;
  const variance = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  };
  return 1 - variance(d) / (variance(r) + 1e-5);
}

/** Mean of x over each row's masked entries [B] (0 for a row without any). */
export function rowMeans(x: ArrayLike<number>, mask: ArrayLike<number>, { B, T }: Shape): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let s = 0;
    let n = 0;
    for (let t = 0; t < T; t++)
      if (mask[b * T + t]) {
        s += x[b * T + t];
        n++;
      }
    out.push(n ? s / n : 0);
  }
  return out;
}
