/**
 * Model configuration: the one typed object that fixes the policy's shape, its defaults and validation.
 * Knows nothing of tensors, weights or backends.
 */
export interface ModelConfig {
  /** Vocabulary size (tokenizer's, special tokens included). */
  vocabSize: number;
  /** Residual stream width. */
  dModel: number;
  nLayers: number;
  /** Attention heads; dModel must be divisible by nHeads. */
  nHeads: number;
  /** Maximum tokens per row (positions 0..contextLen-1); also the KV-cache length. */
  contextLen: number;
  /** MLP hidden width = ffMult * dModel. */
  ffMult: number;
  /** Copy (pointer) head mixed into the next-token distribution (SEARCH-R1.md §3, second prototype). */
  pointer: boolean;
}

export const DEFAULT_MODEL: Omit<ModelConfig, 'vocabSize'> = {
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  contextLen: 256,
  ffMult: 4,
  pointer: true,
};

/** Throws a readable error when the config cannot build a model. */
export function validateConfig(cfg: ModelConfig): void {
  const ints: (keyof ModelConfig)[] = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'contextLen', 'ffMult'];
  for (const k of ints) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new Error(`ModelConfig.${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (cfg.dModel % cfg.nHeads !== 0) {
    throw new Error(`ModelConfig.dModel (${cfg.dModel}) must be divisible by nHeads (${cfg.nHeads})`);
  }
  if (typeof cfg.pointer !== 'boolean') throw new Error('ModelConfig.pointer must be a boolean');
}

export function headDim(cfg: ModelConfig): number {
  return cfg.dModel / cfg.nHeads;
}

/** Width of the pointer head's query/key space. */
export function pointerDim(cfg: ModelConfig): number {
  return cfg.dModel;
}

/** Chunk lengths that feed() pads to, so the set of compiled shapes stays small. */
export function chunkBuckets(cfg: ModelConfig): number[] {
  const out = [1, 8, 32, 128].filter((s) => s < cfg.contextLen);
  out.push(cfg.contextLen);
  return out;
}
