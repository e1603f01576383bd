/**
 * The selected rollout of the current GRPO step, token by token as it is sampled, coloured by role. Retrieved
 * <information> tokens are striped: they are in the context but masked from the loss. Shows the parsed answer
 * against the golden answers, the reward and the advantage; hover a token for its details; raw tags can be
 * hidden. Token spans are drawn outside React (TokenStream); only the summary re-renders, when it changes.
 */
import { useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Actions } from '../store/bridge';
import type { AppStore } from '../store/state';
import { TokenDetails } from './TokenDetails';
import { TokenStream } from './TokenStream';
import './TrajectoryView.css';

export interface TrajectoryViewProps {
  store: AppStore;
  actions: Pick<Actions, 'inspectSearch' | 'toggleTags'>;
}

const LEGEND: { role: string; label: string }[] = [
  { role: 'prompt', label: 'prompt' },
  { role: 'think', label: 'think' },
  { role: 'search', label: 'search query' },
  { role: 'information', label: 'retrieved information' },
  { role: 'answer', label: 'answer' },
  { role: 'observation', label: 'invalid-action feedback' },
  { role: 'text', label: 'other generated text' },
];

export function TrajectoryView({ store, actions }: TrajectoryViewProps) {
  const [hover, setHover] = useState<{ row: number; i: number } | null>(null);
  const row = useStore(store, (s) => s.selection.row);
  const masking = useStore(store, (s) => s.settings.maskInformation);
  const algo = useStore(store, (s) => (s.settings.algo === 'ppo' ? 'PPO' : 'GRPO'));
  const showTags = useStore(store, (s) => s.showTags);
  const [step, of, question, golden, answer, reward, advantage, done] = useStore(
    store,
    useShallow((s) => {
      const r = s.live?.rows[row];
      return [
        s.live?.step ?? 0,
        s.live?.rows.length ?? 0,
        r?.question ?? '',
        r?.golden.join(' | ') ?? '',
        r?.answer ?? null,
        r?.reward ?? null,
        r?.advantage ?? null,
        r?.done ?? false,
      ] as const;
    }),
  );
  // The hovered token's row, read when the hover or the row changes (not at token rate for other rows).
  const hoveredRow = useStore(store, (s) => (hover ? (s.live?.rows[hover.row] ?? null) : null));
  const vocab = useStore(store, (s) => s.vocab);

  return (
    <section className="panel" aria-labelledby="traj-title">
      <h2 id="traj-title">
        Trajectory{' '}
        <span className="muted">
          (rollout {of ? row + 1 : '–'} of {of}, {algo} step {step || '–'})
        </span>
      </h2>
      <ul className="legend">
        {LEGEND.map((l) => (
          <li key={l.role}>
            <span className={`swatch r-${l.role}${l.role === 'information' && masking ? ' masked' : ''}`} />
            {l.label}
            {l.role === 'information' ? (masking ? ' (masked from loss)' : ' (in loss: masking off)') : ''}
          </li>
        ))}
        <li>
          <label className="check">
            <input type="checkbox" checked={showTags} onChange={actions.toggleTags} data-testid="show-tags" />{' '}
            raw tags
          </label>
        </li>
      </ul>
      {of ? (
        <dl className="traj-summary" data-testid="traj-summary">
          <dt>question</dt>
          <dd>{question}</dd>
          <dt>parsed answer</dt>
          <dd data-testid="traj-answer">
            {answer ?? <em className="muted">{done ? 'no answer given' : 'not answered yet'}</em>}
          </dd>
          <dt>golden</dt>
          <dd>{golden}</dd>
          <dt>reward</dt>
          <dd className={reward === null ? 'muted' : reward > 0 ? 'good' : 'bad'}>
            {reward === null ? 'after the rollouts end' : reward.toFixed(2)}
            {advantage !== null ? ` · advantage ${advantage.toFixed(3)}` : ''}
          </dd>
        </dl>
      ) : (
        <p className="muted">Rollouts appear here token by token once RL starts (Play, or a Step button).</p>
      )}
      <div className={showTags ? 'trajectory' : 'trajectory hide-tags'}>
        <TokenStream
          store={store}
          row={row}
          label="selected rollout"
          testId="trajectory"
          onToken={(r, i) => setHover({ row: r, i })}
          onSearch={(r, k) => {
            const s = store.getState().live?.rows[r]?.searches[k];
            if (s) actions.inspectSearch(`rollout ${r + 1}, search ${k + 1}`, s);
          }}
        />
      </div>
      <TokenDetails
        row={hoveredRow}
        index={hover?.i ?? -1}
        piece={hoveredRow && hover ? (vocab[hoveredRow.ids[hover.i]] ?? '') : ''}
        masking={masking}
      />
    </section>
  );
}
