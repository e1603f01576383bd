/**
 * The G rollouts of one question side by side (the group of the selected rollout), each with its parsed answer,
 * reward and group-normalised advantage A_i = (r_i − mean r) / (std r + 1e-6) (as computed by the engine).
 * Tokens stream in through TokenStream (outside React); this component re-renders only when a score changes.
 */
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Actions } from '../store/bridge';
import type { AppStore } from '../store/state';
import { TokenStream } from './TokenStream';

export interface GroupViewProps {
  store: AppStore;
  actions: Pick<Actions, 'selectRow' | 'inspectSearch'>;
}

export function GroupView({ store, actions }: GroupViewProps) {
  const selected = useStore(store, (s) => s.selection.row);
  const showTags = useStore(store, (s) => s.showTags);
  const groupSize = useStore(store, (s) => s.live?.groupSize ?? 0);
  const nRows = useStore(store, (s) => s.live?.rows.length ?? 0);
  const group = groupSize ? Math.floor(selected / groupSize) : 0;
  const first = group * groupSize;
  const rows = Array.from({ length: Math.min(groupSize, Math.max(0, nRows - first)) }, (_, k) => first + k);
  // Flat primitives (reward, advantage, answer, done per rollout) so shallow comparison skips token-rate updates.
  const scores = useStore(
    store,
    useShallow((s) =>
      rows.flatMap((i) => {
        const r = s.live?.rows[i];
        return [r?.reward ?? null, r?.advantage ?? null, r?.answer ?? null, r?.done ?? false];
      }),
    ),
  );
  const question = useStore(store, (s) => s.live?.rows[first]?.question ?? '');

  return (
    <section className="panel" aria-labelledby="group-title">
      <h2 id="group-title">
        Group view{' '}
        <span className="muted">{rows.length ? `(question ${group + 1}: ${rows.length} rollouts)` : ''}</span>
      </h2>
      {rows.length ? (
        <>
          <p className="small">{question}</p>
          <div className={`group-grid${showTags ? '' : ' hide-tags'}`} data-testid="group-view">
            {rows.map((i, k) => {
              const [reward, advantage, answer, done] = scores.slice(4 * k, 4 * k + 4) as [
                number | null,
                number | null,
                string | null,
                boolean,
              ];
              return (
                <div key={i} className={`group-col${i === selected ? ' selected' : ''}`}>
                  <button type="button" className="group-head" onClick={() => actions.selectRow(i)}>
                    <span>rollout {k + 1}</span>
                    <span data-testid="group-reward">
                      {reward === null ? 'r –' : `r ${reward.toFixed(2)}`}
                    </span>
                    <span data-testid="group-advantage">
                      {advantage === null ? 'A –' : `A ${advantage >= 0 ? '+' : ''}${advantage.toFixed(2)}`}
                    </span>
                  </button>
                  <div className="group-answer small">
                    answer: {answer ?? <em className="muted">{done ? 'none given' : 'none yet'}</em>}
                  </div>
                  <TokenStream
                    store={store}
                    row={i}
                    compact
                    label={`rollout ${k + 1} of question ${group + 1}`}
                    onToken={() => undefined}
                    onSearch={(r, s) => {
                      const call = store.getState().live?.rows[r]?.searches[s];
                      if (call) actions.inspectSearch(`rollout ${r + 1}, search ${s + 1}`, call);
                    }}
                  />
                </div>
              );
            })}
          </div>
        </>
      ) : (
        <p className="muted">The G rollouts of one question appear here, with rewards and advantages.</p>
      )}
    </section>
  );
}
