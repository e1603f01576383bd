/** Query the policy's search engine directly: top passages with their BM25 scores. Presentational. */
import { useState } from 'react';
import type { SearchHit } from '../workers/protocol';

export interface SearchInspectorProps {
  hits: readonly SearchHit[] | null;
  query: string;
  pending: boolean;
  error: string | null;
  disabled: boolean;
  onSearch(query: string): void;
}

export function SearchInspector({ hits, query, pending, error, disabled, onSearch }: SearchInspectorProps) {
  const [text, setText] = useState('');
  return (
    <section className="panel" aria-labelledby="search-title">
      <h2 id="search-title">Search inspector</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) onSearch(text.trim());
        }}
      >
        <input
          type="search"
          value={text}
          placeholder="e.g. capital of france"
          onChange={(e) => setText(e.target.value)}
          aria-label="search query"
          data-testid="search-input"
        />
        <button type="submit" disabled={disabled || pending || !text.trim()} data-testid="search-button">
          {pending ? 'searching…' : 'Search'}
        </button>
      </form>
      {error ? <p className="error-text">{error}</p> : null}
      {hits && !error ? (
        hits.length ? (
          <ol className="hits">
            {hits.map((h) => (
              <li key={h.id} data-testid="search-hit">
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
        ) : (
          <p className="muted">No passage matches “{query}”.</p>
        )
      ) : null}
    </section>
  );
}
