/**
 * A live rollout's tokens, drawn by TokenRenderer from a store subscription outside React (the component renders
 * once; tokens are appended as they stream in). Hover, focus (arrow keys) and click are delegated from the
 * container: hovering reports the token, clicking a <search> reports what it retrieved.
 */
import { useEffect, useRef } from 'react';
import type { LiveRow } from '../store/run';
import type { AppState, AppStore } from '../store/state';
import { searchAt, TokenRenderer } from './tokenDom';

export interface TokenStreamProps {
  store: AppStore;
  row: number;
  compact?: boolean;
  label: string;
  onToken(row: number, i: number): void;
  onSearch(row: number, search: number): void;
  testId?: string;
}

function liveRow(s: AppState, row: number): LiveRow | null {
  return s.live?.rows[row] ?? null;
}

export function TokenStream({ store, row, compact, label, onToken, onSearch, testId }: TokenStreamProps) {
  const ref = useRef<HTMLDivElement>(null);
  const cursor = useRef(-1);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const r = new TokenRenderer(el);
    const draw = (s: AppState) => r.render(`${s.runId}:${s.live?.step}:${row}`, liveRow(s, row), s.vocab);
    draw(store.getState());
    return store.subscribe((s, prev) => {
      if (s.live !== prev.live || s.vocab !== prev.vocab) draw(s);
    });
  }, [store, row]);

  const indexOf = (target: EventTarget | null): number => {
    const span = (target as HTMLElement | null)?.closest?.('[data-i]') as HTMLElement | null;
    return span ? Number(span.dataset.i) : -1;
  };
  const focusToken = (i: number) => {
    const el = ref.current;
    if (!el) return;
    el.querySelector('.cur')?.classList.remove('cur');
    const span = el.querySelector(`[data-i="${i}"]`);
    span?.classList.add('cur');
    span?.scrollIntoView({ block: 'nearest' });
    cursor.current = i;
    onToken(row, i);
  };
  const openSearch = (i: number) => {
    const r = liveRow(store.getState(), row);
    const k = r ? searchAt(r, i) : -1;
    if (k >= 0) onSearch(row, k);
  };

  return (
    <div
      ref={ref}
      className={`tokens${compact ? ' compact' : ''}`}
      data-testid={testId}
      data-row={row}
      tabIndex={0}
      role="group"
      aria-label={`${label}: tokens (hover, or focus and use the arrow keys, for details; click a search to see what it retrieved)`}
      onMouseOver={(e) => {
        const i = indexOf(e.target);
        if (i >= 0) onToken(row, i);
      }}
      onClick={(e) => {
        const i = indexOf(e.target);
        if (i >= 0) {
          focusToken(i);
          openSearch(i);
        }
      }}
      onKeyDown={(e) => {
        const n = liveRow(store.getState(), row)?.ids.length ?? 0;
        if (!n) return;
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          e.preventDefault();
          const step = e.key === 'ArrowRight' ? 1 : -1;
          focusToken(Math.min(n - 1, Math.max(0, cursor.current < 0 ? 0 : cursor.current + step)));
        } else if (e.key === 'Enter' && cursor.current >= 0) {
          openSearch(cursor.current);
        }
      }}
    />
  );
}
