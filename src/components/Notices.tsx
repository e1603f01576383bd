/** Notices the run gives as it goes (skipped updates, a restarted worker, a backend fallback). Presentational. */
import type { Notice } from '../store/state';

export interface NoticesProps {
  notices: readonly Notice[];
  onDismiss(id: number): void;
}

export function Notices({ notices, onDismiss }: NoticesProps) {
  if (!notices.length) return null;
  return (
    <ul className="notices" aria-label="notices">
      {notices.map((n) => (
        <li key={n.id} className={`notice-item notice-${n.level}`} role="status" data-testid="notice">
          <span>{n.text}</span>
          <button type="button" onClick={() => onDismiss(n.id)} aria-label="dismiss notice">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
