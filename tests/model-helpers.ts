/**
 * Helpers shared by the model tests (cpu, wasm and WebGPU): weights pushed away from their near-uniform start, and a
 * config with every optional copy-head feature on, as the app builds its policies.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../src/engine/model';
import { Rng } from '../src/engine/rng';

/** Add N(0, scale²) noise to every weight, so that distributions and the copy gate are far from trivial. */
export function roughen(model: { variables: tf.Variable[] }, seed: number, scale = 0.3): void {
  const rng = new Rng(seed);
  model.variables.forEach((v) => {
    const noise = Float32Array.from({ length: v.size }, () => rng.normal() * scale);
    tf.tidy(() => v.assign(v.add(tf.tensor(noise, v.shape))));
  });
}

/**
 * The pointer head with previous-token keys, keys ahead, the question pool, the copy gate and copy continuation,
 * over tag spans think 4/5, search 6/7, information 8/9 and answer 10/11.
 */
export function allCopyFeatures(): Pick<
  ModelConfig,
  'pointer' | 'keyContext' | 'keyAhead' | 'queryPool' | 'copyGate' | 'copyNext' | 'tagSpans'
> {
  return {
    pointer: true,
    keyContext: 3,
    keyAhead: 2,
    queryPool: true,
    copyGate: true,
    copyNext: true,
    tagSpans: [
      [4, 5],
      [6, 7],
      [8, 9],
      [10, 11],
    ],
  };
}
