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

/**
 * A single-file bundle of named entries (a checkpoint's four files, or a saved browser run with its checkpoint):
 *   "SR1BUNDLE1\n" · one JSON header line {kind, entries: [{name, bytes, text}]} · the entries' bytes in order.
 * Text entries are UTF-8. A run bundle holds the four checkpoint files under their own names, so the CLI can
 * `--init` from either kind.
 */
export const BUNDLE_MAGIC = 'SR1BUNDLE1\n';
export type BundleKind = 'checkpoint' | 'run';
export type BundleEntries = Record<string, string | Uint8Array>;

export function packBundle(kind: BundleKind, entries: BundleEntries): Uint8Array {
  const enc = new TextEncoder();
  const parts = Object.entries(entries).map(([name, v]) => ({
    name,
    text: typeof v === 'string',
    data: typeof v === 'string' ? enc.encode(v) : v,
  }));
  const header = enc.encode(
    BUNDLE_MAGIC +
      JSON.stringify({
        kind,
        entries: parts.map((p) => ({ name: p.name, bytes: p.data.length, text: p.text })),
      }) +
      '\n',
  );
  const out = new Uint8Array(header.length + parts.reduce((n, p) => n + p.data.length, 0));
  out.set(header, 0);
  let off = header.length;
  for (const p of parts) {
    out.set(p.data, off);
    off += p.data.length;
  }
  return out;
}

/** Inverse of packBundle; throws a readable error for anything that is not a whole bundle. */
export function unpackBundle(bytes: Uint8Array): { kind: BundleKind; entries: BundleEntries } {
  const magic = new TextDecoder().decode(bytes.subarray(0, BUNDLE_MAGIC.length));
  if (magic !== BUNDLE_MAGIC) throw new Error('not a Search-R1 playground bundle (wrong first bytes)');
  const nl = bytes.indexOf(10, BUNDLE_MAGIC.length);
  if (nl < 0) throw new Error('bundle header is cut off');
  let header: { kind?: unknown; entries?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(BUNDLE_MAGIC.length, nl))) as typeof header;
  } catch {
    throw new Error('bundle header is not valid JSON');
  }
  if ((header.kind !== 'checkpoint' && header.kind !== 'run') || !Array.isArray(header.entries))
    throw new Error('bundle header lacks its kind or entry list');
  const entries: BundleEntries = {};
  let off = nl + 1;
  for (const e of header.entries as { name?: unknown; bytes?: unknown; text?: unknown }[]) {
    if (
      typeof e.name !== 'string' ||
      typeof e.bytes !== 'number' ||
      !Number.isInteger(e.bytes) ||
      e.bytes < 0
    )
      throw new Error('bundle header has a malformed entry');
    if (off + e.bytes > bytes.length) throw new Error(`bundle is truncated (entry "${e.name}")`);
    const data = bytes.slice(off, off + e.bytes);
    entries[e.name] = e.text ? new TextDecoder().decode(data) : data;
    off += e.bytes;
  }
  if (off !== bytes.length) throw new Error('bundle has trailing bytes after its last entry');
  return { kind: header.kind, entries };
}

const CHECKPOINT_NAMES = ['config.json', 'weights.bin', 'tokenizer.json', 'run.json'] as const;

/** The checkpoint files inside a bundle of either kind. */
export function checkpointFromBundle(entries: BundleEntries): CheckpointFiles {
  const files = {} as CheckpointFiles;
  for (const n of CHECKPOINT_NAMES) {
    const v = entries[n];
    if (v === undefined) throw new Error(`bundle holds no checkpoint (missing ${n})`);
    files[n] = v;
  }
  return files;
}
