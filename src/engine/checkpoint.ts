/**
 * A checkpoint as a set of named files, the same in Node and in the browser:
 *   config.json    — the model manifest (config + ordered tensor list)
 *   weights.bin    — little-endian float32 weights in manifest order
 *   tokenizer.json — the vocabulary
 *   run.json       — how it was made (rollout settings, base metrics, steps), free-form metadata
 * Pure: the caller reads/writes the bytes.
 */
import { Policy, fromCheckpoint, toCheckpoint, type CheckpointManifest } from './model';
import { Tokenizer, type TokenizerJSON } from './tokenizer';

export type CheckpointFiles = Record<
  'config.json' | 'weights.bin' | 'tokenizer.json' | 'run.json',
  string | Uint8Array
>;

export async function packCheckpoint(
  policy: Policy,
  tokenizer: Tokenizer,
  meta: object,
): Promise<CheckpointFiles> {
  const { manifest, bin } = toCheckpoint(await policy.serialize());
  return {
    'config.json': JSON.stringify(manifest, null, 1),
    'weights.bin': new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength),
    'tokenizer.json': JSON.stringify(tokenizer.toJSON()),
    'run.json': JSON.stringify(meta, null, 1),
  };
}

const asText = (x: string | Uint8Array) => (typeof x === 'string' ? x : new TextDecoder().decode(x));

export function unpackCheckpoint(files: CheckpointFiles): {
  policy: Policy;
  tokenizer: Tokenizer;
  meta: unknown;
} {
  const manifest = JSON.parse(asText(files['config.json'])) as CheckpointManifest;
  if (manifest.format !== 'search-r1-policy/v1')
    throw new Error(`checkpoint: unknown format "${manifest.format}"`);
  const tokenizer = Tokenizer.fromJSON(JSON.parse(asText(files['tokenizer.json'])) as TokenizerJSON);
  if (tokenizer.size !== manifest.config.vocabSize) {
    throw new Error(
      `checkpoint: tokenizer has ${tokenizer.size} tokens, model expects ${manifest.config.vocabSize}`,
    );
  }
  const bin = files['weights.bin'];
  if (typeof bin === 'string') throw new Error('checkpoint: weights.bin must be binary');
  const policy = Policy.deserialize(fromCheckpoint(manifest, bin));
  return { policy, tokenizer, meta: JSON.parse(asText(files['run.json'])) };
}
