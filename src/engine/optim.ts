/**
 * AdamW (Loshchilov & Hutter 2019) with global grad-norm clipping and linear warm-up, over tf.Variables.
 * Written out because tf.train.adam couples weight decay into the gradient. Owns its moment tensors.
 * state()/restore() copy the update count and moments out to host arrays and back, so a run can be resumed
 * exactly on a fresh model instance (workers/resume.ts); the options and masks are not part of the state.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global L2 norm cap on the gradient (0 = none). */
  gradClip: number;
  warmupSteps: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  gradClip: 1,
  warmupSteps: 0,
};

/** Learning rate at 0-based update `step`: linear warm-up to `lr`, then constant (Search-R1's schedule). */
export function warmupLr(step: number, lr: number, warmupSteps: number): number {
  if (warmupSteps <= 0) return lr;
  return lr * Math.min(1, (step + 1) / warmupSteps);
}

/**
 * Σ of same-shaped tensors by pairwise adds. Not tf.addN: tfjs-backend-webgpu 4.22 binds every input of AddN to one
 * shader, and past the device's storage-buffer limit (8 per stage by default) the pipeline is invalid — Dawn reports
 * a validation error and the result is garbage, with no exception (a policy has ~36 variables).
 */
export function sumAll(ts: readonly tf.Tensor[]): tf.Tensor {
  if (!ts.length) throw new Error('sumAll of nothing');
  let level = [...ts];
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

export interface StepReport {
  gradNorm: number;
  lr: number;
  /** False when the gradient held NaN/Inf and the update was skipped (weights unchanged). */
  applied: boolean;
}

/**
 * A plain, structured-cloneable copy of an AdamW's state. Moments are keyed by variable name less its instance
 * scope (the text up to the first "/", e.g. "policy7/"), so that a state taken from one model restores into
 * another instance of the same architecture; each array is in its variable's row-major order.
 */
export interface AdamWState {
  /** Updates applied so far (bias correction and warm-up). */
  t: number;
  /** First moments, float32. */
  m: Record<string, Float32Array>;
  /** Second moments, float32. */
  v: Record<string, Float32Array>;
}

/** A variable's name without its instance scope: "policy7/blocks.0.wq" → "blocks.0.wq"; "w" → "w". */
export function stateKey(name: string): string {
  return name.slice(name.indexOf('/') + 1);
}

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  /**
   * `masks` (variable name → 0/1 tensor broadcastable to the variable, e.g. Policy.updateMasks()) freezes the
   * masked-out entries: their gradient is ignored (and not counted in the norm) and they are neither updated nor
   * decayed. The optimiser does not own the masks.
   */
  constructor(
    private readonly vars: tf.Variable[],
    public opts: AdamWOptions = ADAMW_DEFAULTS,
    private readonly masks: ReadonlyMap<string, tf.Tensor> = new Map(),
  ) {
    for (const x of vars) {
      const zero = tf.zerosLike(x);
      this.m.set(x.name, tf.variable(zero, false));
      this.v.set(x.name, tf.variable(zero, false));
      zero.dispose();
    }
  }

  get stepCount(): number {
    return this.t;
  }

  /** The state keys of the variables, in order; throws if two variables share one. */
  private keys(): string[] {
    const keys = this.vars.map((x) => stateKey(x.name));
    if (new Set(keys).size !== keys.length)
      throw new Error('AdamW state: two variables share a name once their instance scope is removed');
    return keys;
  }

  /** A host copy of the update count and both moments (one readback per moment; no tensors are left behind). */
  async state(): Promise<AdamWState> {
    const keys = this.keys();
    const read = async (map: Map<string, tf.Variable>) => {
      const arrays = await Promise.all(
        this.vars.map((x) => map.get(x.name)!.data() as Promise<Float32Array>),
      );
      const out: Record<string, Float32Array> = {};
      keys.forEach((k, i) => (out[k] = new Float32Array(arrays[i]))); // a copy: backends may hand out their buffer
      return out;
    };
    return { t: this.t, m: await read(this.m), v: await read(this.v) };
  }

  /**
   * Overwrite the update count and moments with `s` (from state(), possibly of another instance). Every variable
   * must have a moment of its size, and `s` must hold nothing else; on a mismatch nothing is changed.
   */
  restore(s: AdamWState): void {
    const keys = this.keys();
    const known = new Set(keys);
    if (!Number.isInteger(s.t) || s.t < 0) throw new Error(`AdamW state: bad update count ${s.t}`);
    for (const [which, rec] of [
      ['m', s.m],
      ['v', s.v],
    ] as const) {
      const extra = Object.keys(rec).filter((k) => !known.has(k));
      if (extra.length)
        throw new Error(`AdamW state: ${which} has moments for unknown variables (${extra.join(', ')})`);
      this.vars.forEach((x, i) => {
        const a = rec[keys[i]];
        if (!a) throw new Error(`AdamW state: ${which} has no moment for ${keys[i]}`);
        if (a.length !== x.size)
          throw new Error(
            `AdamW state: ${which} of ${keys[i]} holds ${a.length} values, the variable ${x.size}`,
          );
      });
    }
    this.vars.forEach((x, i) => {
      for (const [map, rec] of [
        [this.m, s.m],
        [this.v, s.v],
      ] as const) {
        const t = tf.tensor(rec[keys[i]], x.shape, 'float32');
        map.get(x.name)!.assign(t);
        t.dispose();
      }
    });
    this.t = s.t;
  }

  /** Apply one update from `grads` (keyed by variable name). Does not dispose `grads`. */
  async apply(grads: tf.NamedTensorMap): Promise<StepReport> {
    const grad = (x: tf.Variable) => {
      const m = this.masks.get(x.name);
      return m ? tf.mul(grads[x.name], m) : grads[x.name];
    };
    // Σ g² and the number of non-finite entries, in one readback. The count matters on WebGPU, where a reduction
    // over NaN can come back finite (WGSL lets implementations assume values are finite).
    const stats = tf.tidy(() =>
      tf.stack([
        sumAll(this.vars.map((x) => tf.sum(tf.square(grad(x))))),
        sumAll(this.vars.map((x) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(grads[x.name])), 'float32')))),
      ]),
    );
    const [sumSq, nonFinite] = await stats.data();
    stats.dispose();
    const gradNorm = nonFinite > 0 ? NaN : Math.sqrt(sumSq);
    const lr = warmupLr(this.t, this.opts.lr, this.opts.warmupSteps);
    if (!Number.isFinite(gradNorm)) return { gradNorm, lr, applied: false };
    const scale = this.opts.gradClip > 0 && gradNorm > this.opts.gradClip ? this.opts.gradClip / gradNorm : 1;
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2 = 1 - Math.pow(beta2, this.t);
    tf.tidy(() => {
      for (const x of this.vars) {
        const g = tf.mul(grad(x), scale);
        const m = this.m.get(x.name)!;
        const v = this.v.get(x.name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        // Decoupled decay: θ ← θ − lr·(update + wd·θ); 1-D tensors (biases, norms) are not decayed.
        const decay = x.shape.length > 1 ? tf.mul(x, weightDecay) : tf.zerosLike(x);
        const step = tf.mul(tf.add(update, decay), lr);
        const mask = this.masks.get(x.name);
        x.assign(tf.sub(x, mask ? tf.mul(step, mask) : step));
      }
    });
    return { gradNorm, lr, applied: true };
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
