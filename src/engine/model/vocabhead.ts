/**
 * Fused vocabulary head for scoring: from hidden rows h [N, D+1] (last column 1) and the output matrix
 * W [D+1, V] (tied embedding transposed, bias as last row) → [N, 2] = (logsumexp of logits, softmax entropy).
 * One custom-gradient op so the [N, V] work is a handful of passes: forward max/sub/exp/sum/mul/sum, backward
 * dlogits = p ⊙ (dlse + dH·(E_p[z] − z)) (since ∂lse/∂s = p and ∂H/∂s = −p ⊙ (s − E_p[s])), then two plain matMuls.
 * Knows nothing of targets, pointers or the parameter layout.
 */
import * as tf from '@tensorflow/tfjs';
import { swapLast } from './layers';

export function vocabLseEntropy(h: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(
    (x: tf.Tensor | tf.GradSaveFunc, y: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
      const H = x as tf.Tensor2D;
      const W = y as tf.Tensor2D;
      const logits = tf.matMul(H, W); // [N, V]
      const m = tf.max(logits, -1, true); // [N, 1]
      const z = logits.sub(m); // [N, V]
      const e = tf.exp(z); // [N, V]
      const sumE = e.sum(-1, true); // [N, 1]
      const p = e.div(sumE); // [N, V]
      const ez = p.mul(z).sum(-1, true); // [N, 1]  E_p[z]
      const logS = tf.log(sumE); // [N, 1]
      const value = tf.concat([logS.add(m), logS.sub(ez)], 1) as tf.Tensor2D; // [N, 2] (lse, entropy)
      (save as tf.GradSaveFunc)([H, W, p, z, ez]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hs, ws, ps, zs, ezs] = saved;
        const [dLse, dEnt] = tf.split(dy, 2, 1); // [N, 1] each
        const dLogits = ps.mul(ezs.sub(zs).mul(dEnt).add(dLse)); // [N, V]
        return [tf.matMul(dLogits, swapLast(ws)), tf.matMul(swapLast(hs), dLogits)]; // [N, D+1], [D+1, V]
      };
      return { value, gradFunc };
    },
  );
  return f(h, w) as tf.Tensor2D;
}
