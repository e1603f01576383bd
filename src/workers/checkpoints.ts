/**
 * Shipped base checkpoints, fetched by the worker from `checkpoints/<corpus>/` next to the app (the files of
 * engine/checkpoint.ts: config.json, weights.bin, tokenizer.json, run.json, as written by
 * `npm run train -- ... --steps 0`). A missing folder is normal (the base is then built in the browser); a folder
 * that is there but broken is an error with the file's name. Static hosts and dev servers may answer a missing
 * file with an HTML page: that counts as missing too.
 */
import type { CheckpointFiles } from '../engine/checkpoint';
import type { CheckpointInfo } from './protocol';

const NAMES = ['config.json', 'weights.bin', 'tokenizer.json', 'run.json'] as const;

export function checkpointDir(baseUrl: string, corpus: string): URL {
  return new URL(`checkpoints/${encodeURIComponent(corpus)}/`, baseUrl);
}

function absent(res: Response): boolean {
  return res.status === 404 || (res.ok && (res.headers.get('content-type') ?? '').includes('text/html'));
}

async function fetchFile(dir: URL, name: string): Promise<Response | null> {
  const res = await fetch(new URL(name, dir));
  if (absent(res)) return null;
  if (!res.ok) throw new Error(`could not load ${new URL(name, dir).pathname}: HTTP ${res.status}`);
  return res;
}

/** One line about a checkpoint from its config.json and run.json (both free to lack fields). */
export function describeCheckpoint(config: unknown, meta: unknown): string {
  const cfg = (config as { config?: Record<string, unknown> } | null)?.config ?? {};
  const parts = [`d=${cfg.dModel}, ${cfg.nLayers} layers, vocabulary ${cfg.vocabSize}`];
  const m = (meta ?? {}) as {
    base?: { practiceSteps?: unknown };
    summary?: { base_em?: unknown; base_val_pass_at_k?: unknown; steps?: unknown; algo?: unknown };
  };
  if (typeof m.base?.practiceSteps === 'number') parts.push(`${m.base.practiceSteps} practice steps`);
  if (typeof m.summary?.steps === 'number' && m.summary.steps > 0)
    parts.push(`${m.summary.steps} ${m.summary.algo === 'ppo' ? 'PPO' : 'GRPO'} steps`);
  if (typeof m.summary?.base_em === 'number') parts.push(`held-out EM ${m.summary.base_em.toFixed(3)}`);
  if (typeof m.summary?.base_val_pass_at_k === 'number')
    parts.push(`validation pass@k ${m.summary.base_val_pass_at_k.toFixed(3)}`);
  return parts.join(', ');
}

/** Whether a corpus ships a checkpoint, and what it is (null when it does not). */
export async function probeCheckpoint(baseUrl: string, corpus: string): Promise<CheckpointInfo | null> {
  const dir = checkpointDir(baseUrl, corpus);
  const cfg = await fetchFile(dir, 'config.json');
  if (!cfg) return null;
  const run = await fetchFile(dir, 'run.json');
  const meta: unknown = run ? await run.json().catch(() => null) : null;
  return { corpus, summary: describeCheckpoint(await cfg.json(), meta) };
}

/** All four files, or null when the corpus ships no checkpoint (no config.json). */
export async function fetchCheckpoint(baseUrl: string, corpus: string): Promise<CheckpointFiles | null> {
  const dir = checkpointDir(baseUrl, corpus);
  const first = await fetchFile(dir, 'config.json');
  if (!first) return null;
  const files: Partial<CheckpointFiles> = { 'config.json': await first.text() };
  for (const name of NAMES.slice(1)) {
    const res = await fetchFile(dir, name);
    if (!res) throw new Error(`checkpoint ${dir.pathname} is incomplete: ${name} is missing`);
    files[name] = name === 'weights.bin' ? new Uint8Array(await res.arrayBuffer()) : await res.text();
  }
  return files as CheckpointFiles;
}
