/**
 * Incremental DOM rendering of one rollout's tokens: a span per token, appended as deltas arrive, so a live
 * rollout costs a few appends per update and never a React re-render. Text goes in with textContent (never as
 * HTML). Classes carry the role (r-*), generated vs forced (g / f), masked-from-loss (masked) and tags (tag), so
 * CSS alone can colour them and show or hide raw tags. Pure DOM; knows the store's LiveRow shape only.
 */
import type { LiveRow } from '../store/run';

const TAG_RE = /^<\/?(think|search|information|answer)>$/;

export function tokenClass(row: Pick<LiveRow, 'roles' | 'gen' | 'loss'>, piece: string, i: number): string {
  const role = row.roles[i];
  let c = `tok r-${role} ${row.gen[i] ? 'g' : 'f'}`;
  if (role !== 'prompt' && !row.gen[i] && !row.loss[i]) c += ' masked';
  if (TAG_RE.test(piece)) c += ' tag';
  else if (piece.startsWith('<') && piece.endsWith('>')) c += ' special';
  return c;
}

export class TokenRenderer {
  private key = '';
  private count = 0;

  constructor(private readonly el: HTMLElement) {}

  /** Show `row` (whose identity is `key`): appends what is new, redraws when the row is another one. */
  render(key: string, row: LiveRow | null, vocab: readonly string[]): void {
    if (!row || !vocab.length) {
      if (this.count || this.key) this.el.replaceChildren();
      this.key = '';
      this.count = 0;
      return;
    }
    if (key !== this.key || row.ids.length < this.count) {
      this.el.replaceChildren();
      this.key = key;
      this.count = 0;
    }
    if (row.ids.length === this.count) return;
    const frag = document.createDocumentFragment();
    for (let i = this.count; i < row.ids.length; i++) {
      const piece = vocab[row.ids[i]] ?? '<unk>';
      const span = document.createElement('span');
      span.className = tokenClass(row, piece, i);
      span.dataset.i = String(i);
      span.dataset.role = row.roles[i];
      span.textContent = piece;
      frag.append(span, ' ');
    }
    this.el.append(frag);
    this.count = row.ids.length;
  }
}

/** The search call a token belongs to: the first search closing at or after it, if the tokens between are all the query's. */
export function searchAt(row: Pick<LiveRow, 'roles' | 'searches'>, i: number): number {
  if (row.roles[i] !== 'search') return -1;
  const k = row.searches.findIndex((s) => s.at >= i);
  if (k < 0) return -1;
  for (let j = i; j <= row.searches[k].at; j++) if (row.roles[j] !== 'search') return -1;
  return k;
}
