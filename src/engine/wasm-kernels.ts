/**
 * Faster Slice, Unpack, SplitV and (axis-0) GatherV2 kernels for tfjs-backend-wasm 4.22.
 * The stock Slice reads its input with backend.readSync, which *copies the whole input tensor* out of the wasm
 * heap on every call, so unstacking a [128, T, T] tensor costs 128 full copies (~0.6 s for T = 160, measured).
 * These kernels read the input through a view of the heap instead (same results; the view is taken after the
 * output is allocated, since an allocation may grow — and so detach — the heap). That makes splitting a batch
 * into 2-D pieces cheap, which in turn lets batched matmuls run as 2-D matmuls on XNNPACK (layers.ts).
 * The stock GatherV2 costs ~60 ms to gather 16 k rows of 64 floats (the KV-cache write of a long observation); a
 * row-copy loop over heap views does it in a few ms. Strings, ranks above 4 and gathers on other axes fall back to
 * the stock kernels. SlotWrite (our own kernel) writes one decoded token's keys/values into the KV caches with a
 * memcpy instead of a one-hot blend over the whole cache. Knows nothing of the model.
 */
import * as tf from '@tensorflow/tfjs';

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: HeapBackend };

/** Copy x[begin : begin + size] into a new output (ranks 1-4, numeric dtypes). */
function sliceView(x: tf.TensorInfo, begin: number[], size: number[], backend: HeapBackend): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const s = [...tf.util.computeStrides(x.shape), 1]; // element strides of every axis
  const r = x.shape.length;
  // Pad to rank 4 so one loop nest serves every rank.
  const b4 = [...new Array<number>(4 - r).fill(0), ...begin];
  const z4 = [...new Array<number>(4 - r).fill(1), ...size];
  const s4 = [...new Array<number>(4 - r).fill(0), ...s];
  const d4 = [...new Array<number>(4 - r).fill(1), ...x.shape];
  // While the innermost axis is taken whole, it is contiguous with the one before: fold it in, so that slicing
  // [B, H, C, dh] to [B, H, W, dh] copies B·H runs of W·dh floats rather than B·H·W runs of dh.
  while (z4[2] > 1 && z4[3] === d4[3] && b4[3] === 0) {
    b4.splice(2, 2, b4[2] * s4[2]);
    z4.splice(2, 2, z4[2] * z4[3]);
    d4.splice(2, 2, d4[2] * d4[3]);
    s4.splice(2, 2, 1);
    b4.unshift(0); // the outer axes move in by one; a unit axis pads the front
    z4.unshift(1);
    d4.unshift(1);
    s4.unshift(0);
  }
  const run = z4[3];
  let o = 0;
  for (let i = 0; i < z4[0]; i++) {
    for (let j = 0; j < z4[1]; j++) {
      for (let k = 0; k < z4[2]; k++) {
        const off = (b4[0] + i) * s4[0] + (b4[1] + j) * s4[1] + (b4[2] + k) * s4[2] + b4[3];
        ov.set(xv.subarray(off, off + run), o);
        o += run;
      }
    }
  }
  return out;
}

/**
 * SlotWrite (wasm only, no gradient): a copy of `cache` with, for each batch row b whose slots[b] ≥ 0, the slice
 * at index slots[b] of axis `axis` replaced by x[b] (x has the cache's shape with that axis of size 1). The
 * KV-cache write of one decoded token: one memcpy of the cache plus B small writes, where the portable form
 * cache·keep + x·onehot costs four broadcasting passes over the cache.
 */
function slotWriteKernel({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const cache = inputs.cache as tf.TensorInfo;
  const x = inputs.x as tf.TensorInfo;
  const slots = inputs.slots as tf.TensorInfo;
  const axis = attrs.axis as number;
  const shape = cache.shape;
  const size = (a: number[]) => a.reduce((p, q) => p * q, 1);
  const B = shape[0];
  const C = shape[axis];
  const mid = size(shape.slice(1, axis)); // elements between the batch and slot axes
  const inner = size(shape.slice(axis + 1)); // elements after the slot axis
  const want = shape.map((d, i) => (i === axis ? 1 : d));
  if (
    cache.dtype !== 'float32' ||
    axis < 1 ||
    x.shape.join() !== want.join() ||
    slots.shape.join() !== `${B}`
  )
    throw new Error(`SlotWrite: x [${x.shape.join()}] does not fit cache [${shape.join()}] at axis ${axis}`);
  const out = backend.makeOutput(shape, 'float32');
  const cv = backend.typedArrayFromHeap(cache);
  const xv = backend.typedArrayFromHeap(x);
  const sv = backend.typedArrayFromHeap(slots);
  const ov = backend.typedArrayFromHeap(out);
  ov.set(cv);
  for (let b = 0; b < B; b++) {
    const slot = sv[b];
    if (slot < 0) continue;
    if (slot >= C) throw new Error(`SlotWrite: slot ${slot} is not in [0, ${C - 1}]`);
    for (let m = 0; m < mid; m++) {
      const o = ((b * mid + m) * C + slot) * inner;
      const i = (b * mid + m) * inner;
      if (inner === 1) ov[o] = xv[i];
      else ov.set(xv.subarray(i, i + inner), o);
    }
  }
  return out;
}

export const SLOT_WRITE = 'SlotWrite';

/** True when slotWrite can run: the wasm backend is active and the kernels are installed. */
export function slotWriteAvailable(): boolean {
  return installed && tf.getBackend() === 'wasm';
}

/** See slotWriteKernel. slots: int32 [B], −1 for rows that write nothing. */
export function slotWrite(cache: tf.Tensor, x: tf.Tensor, slots: tf.Tensor, axis: number): tf.Tensor {
  return tf.engine().runKernel(SLOT_WRITE, { cache, x, slots }, { axis }) as tf.Tensor;
}

function usable(x: tf.TensorInfo): boolean {
  return x.dtype !== 'string' && x.shape.length >= 1 && x.shape.length <= 4;
}

let installed = false;

/** True once the view-based kernels replaced the stock ones (batched matmuls may then be split cheaply). */
export function wasmSliceKernelsInstalled(): boolean {
  return installed;
}

/** Replace the wasm backend's Slice, Unpack and SplitV kernels (idempotent; call after the backend is ready). */
export function installWasmSliceKernels(): void {
  if (installed) return;
  const stock = {
    Slice: tf.getKernel('Slice', 'wasm'),
    Unpack: tf.getKernel('Unpack', 'wasm'),
    SplitV: tf.getKernel('SplitV', 'wasm'),
    GatherV2: tf.getKernel('GatherV2', 'wasm'),
  };
  if (Object.values(stock).some((k) => !k)) return; // not the wasm backend we know
  installed = true;
  const reg = (
    name: keyof typeof stock,
    fn: (a: KernelArgs) => tf.TensorInfo | tf.TensorInfo[],
    ok: (a: KernelArgs) => boolean = (a) =>
      usable(a.inputs[name === 'Unpack' ? 'value' : 'x'] as tf.TensorInfo),
  ) => {
    const fallback = stock[name]!.kernelFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) =>
        ok(args) ? fn(args) : fallback(args as never)) as unknown as tf.KernelFunc,
    });
  };
  reg(
    'GatherV2',
    ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const ind = inputs.indices as tf.TensorInfo;
      const rowLen = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const n = ind.shape.reduce((a, b) => a * b, 1);
      const out = backend.makeOutput([...ind.shape, ...x.shape.slice(1)], x.dtype);
      const xv = backend.typedArrayFromHeap(x);
      const iv = backend.typedArrayFromHeap(ind);
      const ov = backend.typedArrayFromHeap(out);
      const rows = x.shape[0];
      for (let i = 0; i < n; i++) {
        const r = iv[i];
        if (!(r >= 0 && r < rows))
          throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
        ov.set(xv.subarray(r * rowLen, (r + 1) * rowLen), i * rowLen);
      }
      return out;
    },
    ({ inputs, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const ind = inputs.indices as tf.TensorInfo;
      if (x.dtype === 'string' || ind.dtype !== 'int32' || x.shape.length < 1 || attrs.batchDims)
        return false;
      return tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] === 0;
    },
  );
  tf.registerKernel({
    kernelName: SLOT_WRITE,
    backendName: 'wasm',
    kernelFunc: slotWriteKernel as unknown as tf.KernelFunc,
  });
  reg('Slice', ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs.begin as number[],
      attrs.size as number[],
    );
    return sliceView(x, begin, size, backend);
  });
  reg('Unpack', ({ inputs, attrs, backend }) => {
    const x = inputs.value as tf.TensorInfo;
    const r = x.shape.length;
    const axis = ((attrs.axis as number) + r) % r;
    const outShape = x.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(r).fill(0);
    const size = x.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < x.shape[axis]; i++) {
      begin[axis] = i;
      const o = sliceView(x, begin, size, backend);
      outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
    }
    return outs;
  });
  reg('SplitV', ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.Tensor,
      attrs.numOrSizeSplits as number[] | number,
      axis,
    );
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const o = sliceView(x, begin, size, backend);
      begin[axis] += s;
      return o;
    });
  });
}
