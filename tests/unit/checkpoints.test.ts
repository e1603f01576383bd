import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeCheckpoint, fetchCheckpoint, probeCheckpoint } from '../../src/workers/checkpoints';

const BASE = 'http://localhost/app/';

/** A fetch over a map of path → [status, content-type, body]; anything else is a 404. */
function serve(files: Record<string, [number, string, string | Uint8Array]>) {
  const seen: string[] = [];
  vi.stubGlobal('fetch', async (url: URL) => {
    seen.push(url.pathname);
    const f = files[url.pathname];
    if (!f) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    return new Response(f[2] as BodyInit, { status: f[0], headers: { 'content-type': f[1] } });
  });
  return seen;
}

const dir = '/app/checkpoints/world/';
const config = JSON.stringify({
  format: 'search-r1-policy/v1',
  config: { dModel: 64, nLayers: 2, vocabSize: 900 },
});
const complete = {
  [`${dir}config.json`]: [200, 'application/json', config],
  [`${dir}weights.bin`]: [200, 'application/octet-stream', new Uint8Array([1, 2, 3, 4])],
  [`${dir}tokenizer.json`]: [200, 'application/json', '{"vocab":[]}'],
  [`${dir}run.json`]: [200, 'application/json', '{"base":{"practiceSteps":200},"summary":{"base_em":0.05}}'],
} as Record<string, [number, string, string | Uint8Array]>;

afterEach(() => vi.unstubAllGlobals());

describe('shipped checkpoints', () => {
  it('fetches all four files, weights as bytes', async () => {
    serve(complete);
    const files = await fetchCheckpoint(BASE, 'world');
    expect(files?.['config.json']).toBe(config);
    expect(files?.['weights.bin']).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(files?.['run.json']).toMatch(/practiceSteps/);
  });

  it('treats a 404 or an HTML fallback page as no checkpoint', async () => {
    serve({});
    expect(await fetchCheckpoint(BASE, 'world')).toBeNull();
    expect(await probeCheckpoint(BASE, 'world')).toBeNull();
    serve({ [`${dir}config.json`]: [200, 'text/html; charset=utf-8', '<!doctype html>'] });
    expect(await fetchCheckpoint(BASE, 'world')).toBeNull();
  });

  it('names the missing file of an incomplete checkpoint and the status of a failed one', async () => {
    const { [`${dir}tokenizer.json`]: _, ...partial } = complete;
    serve(partial);
    await expect(fetchCheckpoint(BASE, 'world')).rejects.toThrow(/incomplete: tokenizer\.json is missing/);
    serve({ [`${dir}config.json`]: [500, 'text/plain', 'boom'] });
    await expect(fetchCheckpoint(BASE, 'world')).rejects.toThrow(/config\.json: HTTP 500/);
  });

  it('describes a checkpoint from its config and run metadata', async () => {
    serve(complete);
    expect(await probeCheckpoint(BASE, 'world')).toEqual({
      corpus: 'world',
      summary: 'd=64, 2 layers, vocabulary 900, 200 practice steps, held-out EM 0.050',
    });
    expect(describeCheckpoint(JSON.parse(config), null)).toBe('d=64, 2 layers, vocabulary 900');
  });
});
