/**
 * Weight layout and seeded initialisation of the policy.
 * Owns: the stable, named list of parameters (order = Policy.variables order) and their initial values.
 * Does not know how the weights are used (forward.ts / decode.ts) nor how they are stored (serialize.ts).
 *
 * Layout (D = dModel, F = ffMult·D, P = pointerDim, V = vocabSize, C = contextLen):
 *   tok_emb [V, D] (tied: also the output projection), pos_emb [C, D], out_bias [V]
 *   per layer l: l{l}.ln1_g/b [D], l{l}.w_qkv [D, 3D], l{l}.b_qkv [3D], l{l}.w_o [D, D], l{l}.b_o [D],
 *                l{l}.ln2_g/b [D], l{l}.w_1 [D, F], l{l}.b_1 [F], l{l}.w_2 [F, D], l{l}.b_2 [D]
 *   lnf_g/b [D]
 *   pointer only: ptr.wq_h [D, P], ptr.wq_e [D, P], ptr.wk_h [D, P], ptr.wk_e [D, P], ptr.w_gate [D, 1], ptr.b_gate [1],
 *     then ptr.wk_e2 … ptr.wk_eK [D, P] for keyContext K ≥ 2
 *   tagSpans only: tag_emb [S, D] (S = spans + 1 tag states, one more with questionMatch; after the weights above, so
 *   they draw the same initial values from a seed as without it)
 *   then, pointer only: ptr.wk_a1 … ptr.wk_aN [D, P] for keyAhead N ≥ 1, ptr.wq_q [D, P] with queryPool,
 *   ptr.w_gate_c [D + 1, 1] with copyGate, ptr.w_next [D, 1] and ptr.b_next [1] (starts at 1) with copyNext
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { keyAhead, keyContext, type ModelConfig, pointerDim } from './config';
import { tagEmbRows } from './tagstate';

/** The copy-head key weight for the token `o` positions back: `ptr.wk_e` (o = 1), then `ptr.wk_e2` … `ptr.wk_eK`. */
export function keyWeightName(o: number): string {
  return o === 1 ? 'ptr.wk_e' : `ptr.wk_e${o}`;
}

/** The copy-head key weight for the token `a` positions ahead: `ptr.wk_a1` … `ptr.wk_aN`. */
export function aheadWeightName(a: number): string {
  return `ptr.wk_a${a}`;
}

export type InitKind = 'normal' | 'ones' | 'zeros';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
  /** Standard deviation for 'normal'. */
  std: number;
}

const STD = 0.02;

/** The full, ordered parameter list for a config. */
export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  const D = cfg.dModel;
  const F = cfg.ffMult * D;
  const P = pointerDim(cfg);
  const residStd = STD / Math.sqrt(2 * cfg.nLayers); // GPT-2 style scaling of residual projections
  const n = (name: string, shape: number[], std = STD): ParamSpec => ({ name, shape, init: 'normal', std });
  const c = (name: string, shape: number[], init: InitKind): ParamSpec => ({ name, shape, init, std: 0 });
  const specs: ParamSpec[] = [
    n('tok_emb', [cfg.vocabSize, D]),
    n('pos_emb', [cfg.contextLen, D], 0.01),
    c('out_bias', [cfg.vocabSize], 'zeros'),
  ];
  for (let l = 0; l < cfg.nLayers; l++) {
    specs.push(
      c(`l${l}.ln1_g`, [D], 'ones'),
      c(`l${l}.ln1_b`, [D], 'zeros'),
      n(`l${l}.w_qkv`, [D, 3 * D]),
      c(`l${l}.b_qkv`, [3 * D], 'zeros'),
      n(`l${l}.w_o`, [D, D], residStd),
      c(`l${l}.b_o`, [D], 'zeros'),
      c(`l${l}.ln2_g`, [D], 'ones'),
      c(`l${l}.ln2_b`, [D], 'zeros'),
      n(`l${l}.w_1`, [D, F]),
      c(`l${l}.b_1`, [F], 'zeros'),
      n(`l${l}.w_2`, [F, D], residStd),
      c(`l${l}.b_2`, [D], 'zeros'),
    );
  }
  specs.push(c('lnf_g', [D], 'ones'), c('lnf_b', [D], 'zeros'));
  if (cfg.pointer) {
    specs.push(
      n('ptr.wq_h', [D, P]),
      n('ptr.wq_e', [D, P]),
      n('ptr.wk_h', [D, P]),
      n('ptr.wk_e', [D, P]),
      n('ptr.w_gate', [D, 1]),
      c('ptr.b_gate', [1], 'zeros'),
    );
    for (let o = 2; o <= keyContext(cfg); o++) specs.push(n(keyWeightName(o), [D, P]));
  }
  if (cfg.tagSpans) specs.push(n('tag_emb', [tagEmbRows(cfg), D], 0.01)); // small, like pos_emb
  // Later additions go last, so every earlier weight draws the same initial values from a seed as without them.
  if (cfg.pointer) {
    for (let a = 1; a <= keyAhead(cfg); a++) specs.push(n(aheadWeightName(a), [D, P]));
    if (cfg.queryPool) specs.push(n('ptr.wq_q', [D, P]));
    if (cfg.copyGate) specs.push(n('ptr.w_gate_c', [D + 1, 1]));
    if (cfg.copyNext) specs.push(n('ptr.w_next', [D, 1]), c('ptr.b_next', [1], 'ones'));
  }
  return specs;
}

/** Initial values for every spec, drawn from one seeded stream (identical on every backend). */
export function initValues(specs: ParamSpec[], seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return specs.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(size);
    if (s.init === 'ones') v.fill(1);
    else if (s.init === 'normal') for (let i = 0; i < size; i++) v[i] = rng.normal() * s.std;
    return v;
  });
}

let instanceCounter = 0;

/** tfjs registers variables globally by name, so each policy instance gets its own prefix. */
export function nextInstancePrefix(): string {
  instanceCounter += 1;
  return `policy${instanceCounter}/`;
}

/** Named tensors the forward code reads, keyed by the spec name (no instance prefix). */
export type Weights = Record<string, tf.Tensor>;

/** Variables for every spec; values are host arrays or device tensors (copied, not taken over). */
export function makeVariables(
  specs: ParamSpec[],
  values: (Float32Array | tf.Tensor)[],
  trainable: boolean,
): { variables: tf.Variable[]; weights: Weights } {
  const prefix = nextInstancePrefix();
  const variables: tf.Variable[] = [];
  const weights: Weights = {};
  specs.forEach((s, i) => {
    const val = values[i];
    const init = val instanceof Float32Array ? tf.tensor(val, s.shape, 'float32') : val.clone();
    const v = tf.variable(init, trainable, prefix + s.name, 'float32');
    init.dispose();
    variables.push(v);
    weights[s.name] = v;
  });
  return { variables, weights };
}
