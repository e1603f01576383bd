/**
 * Runs of consecutive tokens with the same role and origin, as text: fewer DOM nodes for static trajectories
 * (the before/after view). Pure.
 */
import type { Role } from '../engine/rollout';

export interface TextSegment {
  role: Role;
  /** Forced into the context (not generated) outside the prompt: retrieved or feedback tokens. */
  masked: boolean;
  text: string;
}

export function segmentsOf(
  t: { ids: readonly number[]; roles: readonly Role[]; gen: readonly number[] },
  vocab: readonly string[],
): TextSegment[] {
  const out: TextSegment[] = [];
  let pieces: string[] = [];
  for (let i = 0; i < t.ids.length; i++) {
    const role = t.roles[i];
    const masked = role !== 'prompt' && !t.gen[i];
    const last = out[out.length - 1];
    const piece = vocab[t.ids[i]] ?? '<unk>';
    if (last && last.role === role && last.masked === masked) pieces.push(piece);
    else {
      if (last) last.text = pieces.join(' ');
      out.push({ role, masked, text: '' });
      pieces = [piece];
    }
  }
  if (out.length) out[out.length - 1].text = pieces.join(' ');
  return out;
}
