/**
 * Checkpoint formats for the policy: a JSON-friendly SerializedPolicy, and the CLI's split form
 * (config.json manifest + one little-endian float32 weights.bin, tensors concatenated in manifest order),
 * plus base64 helpers for embedding weights in JSON. Knows nothing of tfjs variables or backends.
 */
import { type ModelConfig, validateConfig } from './config';

export interface SerializedWeight {
  name: string;
  shape: number[];
  data: number[] | Float32Array;
}

export interface SerializedPolicy {
  config: ModelConfig;
  weights: SerializedWeight[];
}

/** config.json of a checkpoint: the config and the ordered tensor list of weights.bin. */
export interface CheckpointManifest {
  format: 'search-r1-policy/v1';
  config: ModelConfig;
  weights: { name: string; shape: number[] }[];
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Split into a JSON manifest and one contiguous Float32Array (write its .buffer as weights.bin). */
export function toCheckpoint(s: SerializedPolicy): { manifest: CheckpointManifest; bin: Float32Array } {
  const total = s.weights.reduce((n, w) => n + sizeOf(w.shape), 0);
  const bin = new Float32Array(total);
  let off = 0;
  for (const w of s.weights) {
    bin.set(w.data, off);
    off += sizeOf(w.shape);
  }
  const weights = s.weights.map((w) => ({ name: w.name, shape: w.shape.slice() }));
  return { manifest: { format: 'search-r1-policy/v1', config: { ...s.config }, weights }, bin };
}

/** Inverse of toCheckpoint. bin may be any ArrayBuffer view over the raw float32 bytes. */
export function fromCheckpoint(
  manifest: CheckpointManifest,
  bin: Float32Array | ArrayBuffer | Uint8Array,
): SerializedPolicy {
  validateConfig(manifest.config);
  const floats = toFloat32(bin);
  const total = manifest.weights.reduce((n, w) => n + sizeOf(w.shape), 0);
  if (floats.length !== total)
    throw new Error(`checkpoint: weights.bin holds ${floats.length} floats, manifest ${total}`);
  let off = 0;
  const weights = manifest.weights.map((w) => {
    const n = sizeOf(w.shape);
    const data = floats.slice(off, off + n);
    off += n;
    return { name: w.name, shape: w.shape.slice(), data };
  });
  return { config: { ...manifest.config }, weights };
}

function toFloat32(bin: Float32Array | ArrayBuffer | Uint8Array): Float32Array {
  if (bin instanceof Float32Array) return bin;
  if (bin instanceof ArrayBuffer) return new Float32Array(bin.slice(0));
  const copy = new Uint8Array(bin.byteLength);
  copy.set(bin);
  return new Float32Array(copy.buffer);
}

/** JSON-safe form: every weight's data as base64 of its float32 bytes. */
export function toJSONBase64(s: SerializedPolicy): {
  config: ModelConfig;
  weights: { name: string; shape: number[]; b64: string }[];
} {
  return {
    config: { ...s.config },
    weights: s.weights.map((w) => ({
      name: w.name,
      shape: w.shape.slice(),
      b64: floatsToBase64(Float32Array.from(w.data)),
    })),
  };
}

export function fromJSONBase64(j: {
  config: ModelConfig;
  weights: { name: string; shape: number[]; b64: string }[];
}): SerializedPolicy {
  return {
    config: { ...j.config },
    weights: j.weights.map((w) => ({ name: w.name, shape: w.shape, data: base64ToFloats(w.b64) })),
  };
}

export function floatsToBase64(f: Float32Array): string {
  const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let s = '';
  const CH = 0x8000;
  for (let i = 0; i < bytes.length; i += CH) s += String.fromCharCode(...bytes.subarray(i, i + CH));
  return btoa(s);
}

export function base64ToFloats(b64: string): Float32Array {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
