/**
 * Saved runs (kept in this browser): resume, rename, delete, export a run or its checkpoint to one file (the CLI's
 * --init reads both), import a run file or a CLI checkpoint (the reverse), and compare two runs' reward curves. Presentational, except for reading
 * an imported file into bytes.
 */
import { useState } from 'react';
import type { FileBytes, RunSummary } from '../workers/protocol';

export interface RunsPanelProps {
  runs: readonly RunSummary[];
  storage: string | null;
  currentId: string | null;
  busy: boolean;
  onResume(id: string): void;
  onRename(id: string, name: string): void;
  onDelete(id: string): void;
  onExport(id: string, what: 'run' | 'checkpoint'): void;
  onImport(files: FileBytes[]): void;
}

const COLORS = ['#2563eb', '#dc2626'];

function CompareCurves({ runs }: { runs: readonly RunSummary[] }) {
  const w = 320;
  const h = 90;
  const pad = 4;
  const all = runs.flatMap((r) => r.rewards).filter(Number.isFinite);
  const max = Math.max(1e-9, ...all);
  const min = Math.min(0, ...all);
  const n = Math.max(2, ...runs.map((r) => r.rewards.length));
  const x = (i: number) => pad + (i * (w - 2 * pad)) / (n - 1);
  const y = (v: number) => h - pad - ((v - min) / (max - min || 1)) * (h - 2 * pad);
  return (
    <figure className="compare-curves" data-testid="compare-curves">
      <figcaption className="small">reward per RL step</figcaption>
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label="reward curves of two runs">
        {runs.map((r, k) => (
          <polyline
            key={r.id}
            fill="none"
            stroke={COLORS[k]}
            strokeWidth={1.5}
            points={r.rewards
              .map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
              .filter(Boolean)
              .join(' ')}
          />
        ))}
      </svg>
      <ul className="small legend">
        {runs.map((r, k) => (
          <li key={r.id} style={{ color: COLORS[k] }}>
            {r.name}: {r.rewards.length} steps
            {r.em.length ? `, held-out EM ${r.em[r.em.length - 1].em.toFixed(3)}` : ''}
          </li>
        ))}
      </ul>
    </figure>
  );
}

export function RunsPanel(p: RunsPanelProps) {
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const compared = picked.map((id) => p.runs.find((r) => r.id === id)).filter((r) => r !== undefined);
  return (
    <section className="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">
        Saved runs <span className="muted">({p.runs.length}, kept in this browser)</span>
      </h2>
      {p.storage ? <p className="warn-text small">{p.storage}</p> : null}
      {p.runs.length ? (
        <ul className="runs" data-testid="runs-list">
          {p.runs.map((r) => (
            <li key={r.id} data-testid="saved-run" data-id={r.id}>
              <input
                type="checkbox"
                aria-label={`compare ${r.name}`}
                checked={picked.includes(r.id)}
                onChange={(e) =>
                  setPicked((xs) =>
                    e.target.checked ? xs.concat(r.id).slice(-2) : xs.filter((x) => x !== r.id),
                  )
                }
                data-testid="run-compare"
              />
              {editing?.id === r.id ? (
                <form
                  className="inline"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (editing.name.trim()) p.onRename(r.id, editing.name.trim());
                    setEditing(null);
                  }}
                >
                  <input
                    value={editing.name}
                    onChange={(e) => setEditing({ id: r.id, name: e.target.value })}
                    aria-label="run name"
                    data-testid="run-name-input"
                  />
                  <button type="submit">save</button>
                </form>
              ) : (
                <span className="run-name" data-testid="run-name">
                  {r.name}
                </span>
              )}{' '}
              <span className="muted small">
                {r.steps} {r.algo === 'ppo' ? 'PPO' : 'GRPO'} steps
                {r.checkpointStep !== null ? `, checkpoint at ${r.checkpointStep}` : ', no checkpoint yet'}
                {r.id === p.currentId ? ' · training here' : ''}
              </span>
              <span className="run-actions">
                <button
                  type="button"
                  disabled={p.busy || r.checkpointStep === null || r.id === p.currentId}
                  onClick={() => p.onResume(r.id)}
                  data-testid="run-resume"
                >
                  resume
                </button>
                <button type="button" onClick={() => setEditing({ id: r.id, name: r.name })}>
                  rename
                </button>
                <button type="button" onClick={() => p.onExport(r.id, 'run')} data-testid="run-export">
                  export run
                </button>
                <button
                  type="button"
                  disabled={r.checkpointStep === null}
                  onClick={() => p.onExport(r.id, 'checkpoint')}
                  title="one file that `npm run train -- --init FILE` accepts"
                  data-testid="run-export-checkpoint"
                >
                  export checkpoint
                </button>
                <button
                  type="button"
                  disabled={r.id === p.currentId}
                  onClick={() => {
                    if (confirm(`Delete the saved run "${r.name}"?`)) p.onDelete(r.id);
                  }}
                  data-testid="run-delete"
                >
                  delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No saved runs yet: every run is saved here as it trains.</p>
      )}
      {compared.length === 2 ? <CompareCurves runs={compared} /> : null}
      {p.runs.length >= 2 && compared.length < 2 ? (
        <p className="muted small">Tick two runs to compare their curves.</p>
      ) : null}
      <label className="file-label small">
        import a run (.sr1run), a checkpoint (.sr1ckpt) or a CLI checkpoint folder&apos;s four files{' '}
        <input
          type="file"
          multiple
          accept=".sr1run,.sr1ckpt,.json,.bin"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            if (files.length)
              void Promise.all(files.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() }))).then(
                p.onImport,
              );
          }}
          data-testid="run-import"
        />
      </label>
      <p className="muted small">
        An imported checkpoint becomes a run at step 0 on the current settings: press resume to train from it.
      </p>
    </section>
  );
}
