/**
 * The settings' round trip through the URL query, so a run can be shared as a link (TensorFlow Playground's
 * state.ts idea). Pure functions over settings.ts's specifications: imported by the page and the worker.
 */
import { SETTING_SPECS, settingError, withAlgo, type BrowserSettings } from './settings';

const BOOL_TEXT = { true: '1', false: '0' } as const;

/** The full settings as a URL query (fixed key order; the preset first, so a reader sees the lesson). */
export function settingsToQuery(preset: string, s: BrowserSettings): string {
  const q = new URLSearchParams();
  q.set('preset', preset);
  q.set('corpus', s.corpus);
  for (const spec of SETTING_SPECS) {
    const v = s[spec.key];
    q.set(spec.key, typeof v === 'boolean' ? BOOL_TEXT[String(v) as 'true' | 'false'] : String(v));
  }
  return q.toString();
}

/**
 * Settings from a URL query over `base` (the preset's values). Unknown keys are ignored; a bad value keeps the
 * base value and is reported, so a mistyped link still opens and says what it did not accept.
 */
export function applyQuery(
  search: string,
  base: BrowserSettings,
): { settings: BrowserSettings; errors: string[] } {
  const q = new URLSearchParams(search);
  const out: BrowserSettings = { ...base };
  const errors: string[] = [];
  const corpus = q.get('corpus');
  if (corpus) out.corpus = corpus;
  const algo = q.get('algo');
  if (algo === 'grpo' || algo === 'ppo') {
    // A hand-written `?algo=ppo` gets PPO's step shape; explicit groupSize / questionsPerStep below override it.
    Object.assign(out, withAlgo(out, algo, {}, base));
  }
  for (const spec of SETTING_SPECS) {
    const raw = q.get(spec.key);
    if (raw === null) continue;
    let v: unknown = raw;
    if (spec.kind === 'number') v = raw.trim() === '' ? NaN : Number(raw);
    if (spec.kind === 'bool')
      v = raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : raw;
    const e = settingError(spec, v);
    if (e) errors.push(`link setting ${spec.key}="${raw}" ignored: ${e}`);
    else (out as unknown as Record<string, unknown>)[spec.key] = v;
  }
  return { settings: out, errors };
}
