/**
 * Every rollout of the current step as one cell, grouped by question: how many tokens the policy has generated,
 * whether it took a token in the last batch (lockstep: rollouts that ended their round wait for the others), and
 * whether it is done. Cells are updated outside React (store subscription), so token-rate updates cost a few
 * attribute writes. Click a cell to show that rollout.
 */
import { useEffect, useRef } from 'react';
import type { LiveRow } from '../store/run';
import type { AppState, AppStore } from '../store/state';

export interface RolloutStripProps {
  store: AppStore;
  onSelect(row: number): void;
}

function generated(r: LiveRow): number {
  let n = 0;
  for (const g of r.gen) n += g;
  return n;
}

function draw(el: HTMLElement, s: AppState, onSelect: (row: number) => void): void {
  const live = s.live;
  const rows = live?.rows ?? [];
  const key = `${s.runId}:${live?.step}:${rows.length}`;
  if (el.dataset.key !== key) {
    el.dataset.key = key;
    el.replaceChildren();
    rows.forEach((_, i) => {
      if (live && i > 0 && i % live.groupSize === 0) el.append(document.createElement('wbr'));
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'cell';
      b.dataset.testid = 'row-cell';
      b.dataset.row = String(i);
      b.addEventListener('click', () => onSelect(i));
      el.append(b);
    });
  }
  el.dataset.step = String(live?.step ?? 0);
  const cells = el.querySelectorAll<HTMLButtonElement>('button.cell');
  rows.forEach((r, i) => {
    const c = cells[i];
    const n = String(generated(r));
    const state = r.done ? 'done' : r.active ? 'active' : 'waiting';
    const group = live ? Math.floor(i / live.groupSize) : 0;
    const reward = r.reward === null ? '' : ` r=${r.reward.toFixed(1)}`;
    const text = `q${group + 1}·${(i % (live?.groupSize ?? 1)) + 1}: ${n}${reward}`;
    const took = r.active ? '1' : '0';
    if (
      c.dataset.gen !== n ||
      c.dataset.state !== state ||
      c.dataset.took !== took ||
      c.textContent !== text
    ) {
      c.dataset.gen = n;
      c.dataset.took = took;
      c.dataset.state = state;
      c.dataset.group = String(group);
      c.textContent = text;
      c.title = `rollout ${i + 1}: ${n} generated tokens, ${state}`;
    }
    c.classList.toggle('selected', i === s.selection.row);
  });
}

export function RolloutStrip({ store, onSelect }: RolloutStripProps) {
  const ref = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  useEffect(() => {
    select.current = onSelect;
  }, [onSelect]);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const pick = (row: number) => select.current(row);
    draw(el, store.getState(), pick);
    return store.subscribe((s, prev) => {
      if (s.live !== prev.live || s.selection !== prev.selection) draw(el, s, pick);
    });
  }, [store]);
  return (
    <div className="strip-wrap">
      <span className="muted small">
        rollouts (generated tokens; <span className="legend-active">took a token</span>,{' '}
        <span className="legend-waiting">waiting</span>, <span className="legend-done">done</span>):
      </span>
      <div className="strip" ref={ref} data-testid="rollout-strip" />
    </div>
  );
}
