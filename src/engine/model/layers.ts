/**
 * Small differentiable building blocks shared by the full forward pass and cached decoding.
 * Owns: embedding lookup with a backend-safe gradient, linear layers, layer norm, masks, shifts.
 * Does not know the parameter layout beyond the tensors it is handed.
 */
import * as tf from '@tensorflow/tfjs';
import { wasmSliceKernelsInstalled } from '../wasm-kernels';

/** Finite stand-in for -Infinity in additive masks (WGSL/float16 packing dislike non-finite values). */
export const NEG_BIG = -1e9;
export const LN_EPS = 1e-5;

/**
 * rows = table[ids]. tf.gather's own gradient needs the UnsortedSegmentSum kernel, which tfjs-backend-wasm 4.22
 * lacks (SEARCH-R1.md §3, TFJS-NOTES.md). The custom gradient scatters dy back onto the table rows with ScatterNd
 * (sums duplicate ids; registered on cpu, wasm, webgpu), falling back to UnsortedSegmentSum.
 */
export function embedLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const [V, D] = table.shape;
  const f = tf.customGrad((t: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const value = tf.gather(t as tf.Tensor2D, ids) as tf.Tensor2D; // [N, D]
    (save as tf.GradSaveFunc)([ids]); // kept by the engine until the backward pass (ids may be freed by a tidy)
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      scatterRows(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, V, D); // [V, D]
    return { value, gradFunc };
  });
  return f(table) as tf.Tensor2D;
}

/** Sum of dy rows into a [V, D] table at rows ids (duplicates add). */
export function scatterRows(dy: tf.Tensor2D, ids: tf.Tensor1D, V: number, D: number): tf.Tensor2D {
  if (useSegmentSum()) return tf.unsortedSegmentSum(dy, ids, V) as tf.Tensor2D;
  return tf.scatterND(ids.expandDims(1), dy, [V, D]) as tf.Tensor2D;
}

let forcedRoute: 'segment' | 'scatter' | null = null;

/** Test hook: force one gradient route for the embedding lookup (null = choose by backend). */
export function forceEmbeddingGradRoute(route: 'segment' | 'scatter' | null): void {
  forcedRoute = route;
}

function useSegmentSum(): boolean {
  if (forcedRoute) return forcedRoute === 'segment';
  // ScatterNd is a direct loop on cpu/wasm (cpu's UnsortedSegmentSum is ~100× slower) and exists on webgpu.
  return tf.getKernel('ScatterNd', tf.getBackend()) === undefined;
}

/** Embedding rows for an int tensor of any shape: [...S] → [...S, D]. */
export function embed(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const D = table.shape[1];
  const flat = embedLookup(table, ids.reshape([-1]) as tf.Tensor1D); // [N, D]
  return flat.reshape([...ids.shape, D]);
}

/** Swap the last two axes (explicit copy). */
export function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return tf.transpose(x, perm);
}

/**
 * a·b (batched over leading axes, same batch shape) whose gradient uses only non-transposed matMuls on explicitly
 * transposed copies: tfjs-backend-wasm's transposeA/transposeB paths are ~10× slower than the plain one (measured:
 * [8192,64]·[3000,64]ᵀ 1.5 s vs 0.17 s), and tf.matMul's own gradient uses them.
 */
export function mm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(
    (x: tf.Tensor | tf.GradSaveFunc, y: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
      const A = x as tf.Tensor;
      const B = y as tf.Tensor;
      (save as tf.GradSaveFunc)([A, B]);
      const value = batchedMatMul(A, B);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => [
        batchedMatMul(dy, swapLast(saved[1])),
        batchedMatMul(swapLast(saved[0]), dy),
      ];
      return { value, gradFunc };
    },
  );
  return f(a, b);
}

/**
 * a·b over matching leading (batch) axes. tfjs-backend-wasm runs BatchMatMul with a batch > 1 through a generic
 * loop (~2 GFLOP/s) but a 2-D matMul through XNNPACK (~25 GFLOP/s), so on wasm — once the view-based slice
 * kernels make splitting cheap (wasm-kernels.ts) — the batch is split into 2-D products and stacked again:
 * attention's [B·H, T, dh] products run 2–4× faster (measured, T = 160). Elsewhere: the batched kernel.
 */
export function batchedMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank <= 2 || tf.getBackend() !== 'wasm' || !wasmSliceKernelsInstalled()) return tf.matMul(a, b);
  return tf.tidy(() => {
    const lead = a.shape.slice(0, -2);
    const n = lead.reduce((x, y) => x * y, 1);
    const [m, k] = a.shape.slice(-2);
    const cols = b.shape[b.rank - 1];
    const as = tf.unstack(a.reshape([n, m, k]));
    const bs = tf.unstack(b.reshape([n, k, cols]));
    return tf.stack(as.map((x, i) => tf.matMul(x, bs[i]))).reshape([...lead, m, cols]);
  });
}

/**
 * log Σ exp over the last axis (keepDims=false) as one custom-gradient op: forward shifts by the (untaped) max,
 * backward is dy·exp(x − lse). Avoids tf.logSumExp's max-gradient (an Equal over the whole input, slow on wasm).
 */
export function logSumExpLast(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((t: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const X = t as tf.Tensor;
    const m = tf.max(X, -1, true); // [..., 1]
    const lseKeep = tf.log(tf.exp(X.sub(m)).sum(-1, true)).add(m); // [..., 1]
    (save as tf.GradSaveFunc)([X, lseKeep]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.exp(saved[0].sub(saved[1])).mul(dy.expandDims(-1));
    return { value: lseKeep.squeeze([X.rank - 1]), gradFunc };
  });
  return f(x);
}

/** x·W (+ b) over the last axis: [..., I] → [..., O]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const I = x.shape[x.rank - 1] as number;
  const O = w.shape[1] as number;
  const y = mm(x.reshape([-1, I]), w); // [N, O]
  const yb = b ? y.add(b) : y;
  return yb.reshape([...x.shape.slice(0, -1), O]);
}

/** Layer norm over the last axis. */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(LN_EPS)))
    .mul(g)
    .add(b);
}

/** Additive causal mask [T, T]: 0 where key j ≤ query t, NEG_BIG elsewhere. */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let j = t + 1; j < T; j++) m[t * T + j] = NEG_BIG;
  return tf.tensor2d(m, [T, T]);
}

/** x[:, t] ← x[:, t − by] along axis 1, zeros for t < by: [B, T, ...]. */
export function shiftRight(x: tf.Tensor, by = 1): tf.Tensor {
  const pad: [number, number][] = x.shape.map(() => [0, 0] as [number, number]);
  pad[1] = [by, 0];
  const size = x.shape.slice();
  return tf.pad(x, pad).slice(
    x.shape.map(() => 0),
    size,
  );
}

/** x[:, t] ← x[:, t+by] along axis 1, zeros at the last `by` t: [B, T, ...]. */
export function shiftLeft(x: tf.Tensor, by = 1): tf.Tensor {
  const pad: [number, number][] = x.shape.map(() => [0, 0] as [number, number]);
  pad[1] = [0, by];
  const begin = x.shape.map(() => 0);
  begin[1] = by;
  return tf.pad(x, pad).slice(begin, x.shape.slice());
}

/** log σ(z) and log(1 − σ(z)), computed stably. */
export function logSigmoidPair(z: tf.Tensor): { logG: tf.Tensor; log1mG: tf.Tensor } {
  return { logG: tf.softplus(z.neg()).neg(), log1mG: tf.softplus(z).neg() };
}

/** Entropy of softmax(s) over the last axis given s and its logsumexp (keepDims=false): lse − Σ p·s. */
export function softmaxEntropy(s: tf.Tensor, lse: tf.Tensor): tf.Tensor {
  const p = tf.exp(s.sub(lse.expandDims(-1)));
  return lse.sub(p.mul(s).sum(-1));
}

/**
 * float32 1 where an id is ≥ min, else 0. Not greaterEqual(…).cast('float32'): on tfjs-backend-webgpu 4.22 that cast
 * keeps the bool's integer buffer, and a concat reading it builds an invalid shader (i32 written to an f32 output).
 */
export function atLeast(ids: tf.Tensor, min: number): tf.Tensor {
  return tf.step(ids.cast('float32').sub(min - 0.5));
}
