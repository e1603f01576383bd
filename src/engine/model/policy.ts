/**
 * The Policy: owns the tfjs variables of one model instance and exposes scoring, cached decoding and
 * (de)serialisation. Thin: the maths lives in forward.ts / decode.ts, the layout in params.ts.
 * Does not choose the backend (backend.ts does), sample, or train.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import {
  type ModelConfig,
  NAME_EMBEDDING_STD,
  NAME_OUTPUT_BIAS,
  firstNameId,
  validateConfig,
} from './config';
import { DecodeState, type FeedRow, feedImpl } from './decode';
import { scoreTokensImpl, type ScoreOptions } from './forward';
import { type ParamSpec, type Weights, initValues, makeVariables, paramSpecs } from './params';
import type { SerializedPolicy } from './serialize';

export class Policy {
  readonly cfg: ModelConfig;
  /** Weights in paramSpecs order; trainable unless this is a frozen copy. Variable names carry an instance prefix. */
  readonly variables: tf.Variable[];
  /** Parameter names without the instance prefix, same order as variables. */
  readonly paramNames: string[];
  private readonly specs: ParamSpec[];
  private readonly weights: Weights;
  private disposed = false;

  private constructor(cfg: ModelConfig, values: (Float32Array | tf.Tensor)[], trainable: boolean) {
    validateConfig(cfg);
    this.cfg = { ...cfg };
    this.specs = paramSpecs(this.cfg);
    const { variables, weights } = makeVariables(this.specs, values, trainable);
    this.variables = variables;
    this.weights = weights;
    this.paramNames = this.specs.map((s) => s.name);
  }

  static create(cfg: ModelConfig, seed: number): Policy {
    validateConfig(cfg);
    const specs = paramSpecs(cfg);
    const values = initValues(specs, seed);
    const first = firstNameId(cfg);
    if (first < cfg.vocabSize) {
      // Names: fixed random input rows at a common scale (own seeded stream), output bias far below any word's.
      const rng = new Rng(seed ^ 0x5eed);
      const emb = values[specs.findIndex((s) => s.name === 'tok_emb')];
      for (let i = first * cfg.dModel; i < emb.length; i++) emb[i] = rng.normal() * NAME_EMBEDDING_STD;
      values[specs.findIndex((s) => s.name === 'out_bias')].fill(NAME_OUTPUT_BIAS, first);
    }
    return new Policy(cfg, values, true);
  }

  /**
   * Per-variable update masks for the optimiser (variable name → 0/1 tensor broadcastable to it): the rows of
   * names in tok_emb and out_bias stay as initialised. Empty when every word is learned. Caller disposes.
   */
  updateMasks(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    const first = firstNameId(this.cfg);
    if (first >= this.cfg.vocabSize) return out;
    const rows = Float32Array.from({ length: this.cfg.vocabSize }, (_, i) => (i < first ? 1 : 0));
    this.specs.forEach((s, i) => {
      if (s.name === 'tok_emb') out.set(this.variables[i].name, tf.tensor2d(rows, [rows.length, 1]));
      if (s.name === 'out_bias') out.set(this.variables[i].name, tf.tensor1d(rows));
    });
    return out;
  }

  get trainable(): boolean {
    return this.variables[0].trainable;
  }

  /** Deep copy whose variables are not trainable (the frozen reference policy for the KL term). */
  cloneFrozen(): Policy {
    this.assertAlive();
    return new Policy(this.cfg, this.variables, false); // device-side copies, no readback
  }

  /** Overwrite this policy's weights with another's (same config). */
  copyWeightsFrom(other: Policy): void {
    if (JSON.stringify(other.cfg) !== JSON.stringify(this.cfg))
      throw new Error('copyWeightsFrom: config mismatch');
    this.variables.forEach((v, i) => v.assign(other.variables[i]));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.variables);
  }

  /**
   * logp[b, t] = log p(tokens[b, t+1] | tokens[b, ≤t]) under the vocabulary ⊕ copy mixture (last column 0) and the
   * entropy upper bound at t (see forward.ts). Differentiable w.r.t. this.variables; call inside tf.tidy or
   * tf.variableGrads. opts.positions [B, T] 0/1 (device) zeroes the outputs elsewhere. opts.select (host, flat
   * [B·T] 0/1, e.g. the loss mask) does the same AND skips the [·, V] vocabulary work on unselected positions —
   * the fast path for training, where only generated tokens count.
   */
  scoreTokens(tokens: tf.Tensor2D, opts?: ScoreOptions): { logp: tf.Tensor2D; entropy: tf.Tensor2D } {
    this.assertAlive();
    return tf.tidy(() => scoreTokensImpl(this.weights, this.cfg, tokens, opts));
  }

  /** Fresh, empty KV caches for `batch` rows. */
  startDecode(batch: number): DecodeState {
    this.assertAlive();
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`startDecode: bad batch ${batch}`);
    return new DecodeState(this.cfg, batch);
  }

  /**
   * Append tokens to the listed rows and return next-token probabilities [batch × V] after each fed row's last token
   * (rows not fed: zeros). One GPU→CPU readback. Throws if a row would exceed contextLen.
   */
  feed(state: DecodeState, rows: FeedRow[]): Promise<Float32Array> {
    this.assertAlive();
    return feedImpl(this.weights, this.cfg, state, rows);
  }

  async serialize(): Promise<SerializedPolicy> {
    this.assertAlive();
    const datas = await Promise.all(this.variables.map((v) => v.data() as Promise<Float32Array>));
    return {
      config: { ...this.cfg },
      weights: this.specs.map((s, i) => ({
        name: s.name,
        shape: s.shape.slice(),
        data: Float32Array.from(datas[i]),
      })),
    };
  }

  static deserialize(s: SerializedPolicy, opts?: { trainable?: boolean }): Policy {
    validateConfig(s.config);
    const specs = paramSpecs(s.config);
    const byName = new Map(s.weights.map((w) => [w.name, w]));
    const values = specs.map((spec) => {
      const w = byName.get(spec.name);
      if (!w) throw new Error(`deserialize: missing weight ${spec.name}`);
      if (w.shape.join(',') !== spec.shape.join(',')) {
        throw new Error(`deserialize: ${spec.name} has shape [${w.shape}], expected [${spec.shape}]`);
      }
      return Float32Array.from(w.data);
    });
    return new Policy(s.config, values, opts?.trainable ?? true);
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Policy was disposed');
  }
}
