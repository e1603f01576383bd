/**
 * The PPO critic: a second transformer trunk with a scalar value head, V(prefix ≤ t) = h_t · w_v + b_v.
 * As in verl (the critic is the base model with a one-output score head, initialised from the same checkpoint as
 * the actor), the trunk starts as a copy of the policy's trunk weights; the value head starts small and random.
 * Owns its variables; reuses the policy's trunk code (forward.ts hiddenStates), not its variables.
 * Does not know about advantages or optimisers (gae.ts, ppo-loss.ts, ppo.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { type ModelConfig, firstNameId } from './config';
import { hiddenStates } from './forward';
import { linear } from './layers';
import { type ParamSpec, type Weights, makeVariables, paramSpecs } from './params';
import type { Policy } from './policy';

/** The policy parameters the trunk reads: everything but the output bias and the pointer head (tag_emb included). */
function isTrunkParam(name: string): boolean {
  return name !== 'out_bias' && !name.startsWith('ptr.');
}

const VALUE_HEAD_STD = 0.02;

export class Critic {
  readonly cfg: ModelConfig;
  /** Trunk weights (the policy's names) then value.w [D, 1], value.b [1]. Trainable. */
  readonly variables: tf.Variable[];
  private readonly weights: Weights;
  private disposed = false;

  private constructor(cfg: ModelConfig, specs: ParamSpec[], values: (Float32Array | tf.Tensor)[]) {
    this.cfg = { ...cfg };
    const { variables, weights } = makeVariables(specs, values, true);
    this.variables = variables;
    this.weights = weights;
  }

  /** A critic whose trunk is a copy of `policy`'s current trunk (device-side copies) and a fresh value head. */
  static fromPolicy(policy: Policy, seed: number): Critic {
    const cfg = policy.cfg;
    const specs: ParamSpec[] = [];
    const values: (Float32Array | tf.Tensor)[] = [];
    paramSpecs(cfg).forEach((s, i) => {
      if (!isTrunkParam(s.name)) return;
      if (policy.paramNames[i] !== s.name) throw new Error(`Critic: unexpected parameter order at ${s.name}`);
      specs.push(s);
      values.push(policy.variables[i]);
    });
    const D = cfg.dModel;
    const rng = new Rng(seed);
    specs.push(
      { name: 'value.w', shape: [D, 1], init: 'normal', std: VALUE_HEAD_STD },
      { name: 'value.b', shape: [1], init: 'zeros', std: 0 },
    );
    values.push(
      Float32Array.from({ length: D }, () => rng.normal() * VALUE_HEAD_STD),
      new Float32Array(1),
    );
    return new Critic(cfg, specs, values);
  }

  /**
   * V[b, t]: the value of the state after tokens[b, ≤t] (aligned with scoring position t, whose action is token
   * t+1). [B, T]. hostTokens: the same ids on the host [B·T] (cheaper tag states), if the caller has them.
   * Differentiable w.r.t. this.variables; call inside tf.tidy or tf.variableGrads.
   */
  values(tokens: tf.Tensor2D, hostTokens?: ArrayLike<number>): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => {
      const [B, T] = tokens.shape;
      const h = hiddenStates(this.weights, this.cfg, tokens, hostTokens); // [B, T, D]
      return linear(h, this.weights['value.w'], this.weights['value.b']).reshape([B, T]) as tf.Tensor2D; // [B, T]
    });
  }

  /**
   * Optimiser masks like Policy.updateMasks(): names' input embeddings stay fixed in the critic too, so a held-out
   * name looks like any name seen in training. Caller disposes.
   */
  updateMasks(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    const first = firstNameId(this.cfg);
    if (first >= this.cfg.vocabSize) return out;
    const rows = Float32Array.from({ length: this.cfg.vocabSize }, (_, i) => (i < first ? 1 : 0));
    const emb = this.variables.find((v) => v.name.endsWith('/tok_emb'));
    if (emb) out.set(emb.name, tf.tensor2d(rows, [rows.length, 1]));
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.variables);
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Critic was disposed');
  }
}
