/**
 * Before / after: the base policy (the frozen reference RL started from) and the current policy answering the
 * same held-out question, greedily, side by side. Each press takes the next held-out question. Presentational.
 */
import type { CompareState } from '../store/state';
import type { CompareSide } from '../workers/protocol';
import { segmentsOf } from './segments';

export interface BeforeAfterProps {
  compare: CompareState;
  vocab: readonly string[];
  disabled: boolean;
  onCompare(): void;
}

function Side({ side, vocab }: { side: CompareSide; vocab: readonly string[] }) {
  const segs = segmentsOf(side, vocab).filter((s) => s.role !== 'prompt');
  return (
    <div className="compare-side" data-testid="compare-side">
      <h3 className="small">{side.label}</h3>
      <p className="small">
        answer: <strong>{side.answer ?? '(none)'}</strong>{' '}
        <span className={side.em ? 'good' : 'bad'}>{side.em ? '✓ exact match' : '✗'}</span>
        {side.queries.length ? <> · searched: {side.queries.map((q) => `“${q}”`).join(', ')}</> : null}
      </p>
      <div className="tokens compact">
        {segs.map((s, i) => (
          <span key={i} className={`tok r-${s.role}${s.masked ? ' masked' : ''}`}>
            {s.text}
          </span>
        ))}
      </div>
    </div>
  );
}

export function BeforeAfter({ compare, vocab, disabled, onCompare }: BeforeAfterProps) {
  const r = compare.result;
  return (
    <section className="panel" aria-labelledby="compare-title">
      <h2 id="compare-title">Before / after</h2>
      <div className="row">
        <button
          type="button"
          onClick={onCompare}
          disabled={disabled || compare.pending}
          data-testid="compare"
        >
          {compare.pending ? 'answering…' : 'Compare on a held-out question'}
        </button>
        <span className="muted small">greedy answers of the base policy and of the current one</span>
      </div>
      {compare.error ? <p className="error-text">{compare.error}</p> : null}
      {r ? (
        <>
          <p className="small">
            <strong>{r.question}</strong> <span className="muted">golden: {r.golden.join(' | ')}</span>
          </p>
          <div className="compare-grid">
            {r.sides.map((s) => (
              <Side key={s.label} side={s} vocab={vocab} />
            ))}
          </div>
        </>
      ) : null}
    </section>
  );
}
