/**
 * The policy's search engine, inspected: type any query and see the top passages with their BM25 scores (at least
 * five, store/bridge.ts; those past the run's top-k are marked as not read by the policy); click a <search> in a
 * trajectory to see exactly what that call retrieved (the passages the policy read). Presentational.
 */
import { useState } from 'react';
import type { Inspected } from '../store/state';
import type { DocInfo, SearchHit } from '../workers/protocol';

export interface SearchInspectorProps {
  hits: readonly SearchHit[] | null;
  query: string;
  pending: boolean;
  error: string | null;
  disabled: boolean;
  inspected: Inspected | null;
  /** Passages per search in the current settings: hits ranked below it are not what the policy reads. */
  topk: number;
  onSearch(query: string): void;
}

function Hits({ docs, testId, read }: { docs: readonly DocInfo[]; testId: string; read?: number }) {
  return (
    <ol className="hits">
      {docs.map((h, i) => (
        <li
          key={h.id}
          data-testid={testId}
          className={read !== undefined && i >= read ? 'hit-unread' : undefined}
        >
          {read !== undefined && i === read ? (
            <p className="hit-cut muted small">
              From here on: ranked past top-k = {read}, so not in the policy's &lt;information&gt;.
            </p>
          ) : null}
          <div className="hit-head">
            <span className="hit-title">{h.title}</span>
            <span className="hit-score" title="BM25 score">
              score {h.score.toFixed(3)}
            </span>
          </div>
          <p className="hit-text">{h.text}</p>
        </li>
      ))}
    </ol>
  );
}

export function SearchInspector(p: SearchInspectorProps) {
  const [text, setText] = useState('');
  return (
    <section className="panel" aria-labelledby="search-title">
      <h2 id="search-title">Search inspector</h2>
      {p.inspected ? (
        <div className="inspected" data-testid="inspected">
          <p className="small">
            <strong>{p.inspected.where}</strong>:{' '}
            <code>&lt;search&gt; {p.inspected.search.query} &lt;/search&gt;</code>
            {p.inspected.search.executed ? ' retrieved:' : ' — in the forced final round: not executed.'}
          </p>
          {p.inspected.search.executed ? (
            p.inspected.search.docs.length ? (
              <Hits docs={p.inspected.search.docs} testId="retrieved-hit" />
            ) : (
              <p className="muted small">No passage matched this query.</p>
            )
          ) : null}
        </div>
      ) : (
        <p className="muted small">Click a search query in a trajectory to see what it retrieved.</p>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) p.onSearch(text.trim());
        }}
      >
        <input
          type="search"
          value={text}
          placeholder="any query, e.g. capital of france"
          onChange={(e) => setText(e.target.value)}
          aria-label="search query"
          data-testid="search-input"
        />
        <button type="submit" disabled={p.disabled || p.pending || !text.trim()} data-testid="search-button">
          {p.pending ? 'searching…' : 'Search'}
        </button>
      </form>
      {p.error ? <p className="error-text">{p.error}</p> : null}
      {p.hits && !p.error ? (
        p.hits.length ? (
          <Hits docs={p.hits} testId="search-hit" read={p.topk} />
        ) : (
          <p className="muted">No passage matches “{p.query}”.</p>
        )
      ) : null}
    </section>
  );
}
