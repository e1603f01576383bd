/**
 * The prompt the policy sees for the chosen mode and style, beside the paper's full Search-R1 template (read from
 * engine/prompt.ts, which is plain strings). Presentational.
 */
import type { Mode, PromptStyle } from '../engine/config';
import { PAPER_SEARCH_TEMPLATE, promptTemplate } from '../engine/prompt';

export interface PromptPanelProps {
  mode: Mode;
  style: PromptStyle;
}

export function PromptPanel({ mode, style }: PromptPanelProps) {
  const active = promptTemplate(mode, style);
  return (
    <details className="panel prompt-panel" data-testid="prompt-panel">
      <summary>
        Prompt template{' '}
        <span className="muted small">
          ({mode}, {style === 'paper' ? "paper's text" : 'short'})
        </span>
      </summary>
      <h3 className="small">In use</h3>
      <pre className="prompt">{active}</pre>
      {active !== PAPER_SEARCH_TEMPLATE ? (
        <>
          <h3 className="small">The paper&apos;s Search-R1 template (arXiv 2503.09516)</h3>
          <pre className="prompt" data-testid="paper-template">
            {PAPER_SEARCH_TEMPLATE}
          </pre>
        </>
      ) : null}
    </details>
  );
}
