/**
 * Live training curves, one sparkline per series (reward, held-out EM, KL, entropy, clip fraction, response
 * length, valid searches, throughput, and the collapse signals: groups with reward spread, distinct answers, the
 * top answer's share), and a table of the latest steps. Steps whose update was skipped (NaN or Inf gradient) are
 * marked on every curve and in the table. Redrawn once per RL step, never per token. Presentational.
 */
import type { Algo } from '../engine/config';
import type { StepMetrics } from '../engine/trainer';
import type { EvalPoint } from '../workers/protocol';
import { Sparkline } from './Sparkline';
import './MetricsPanel.css';

export interface MetricsPanelProps {
  metrics: readonly StepMetrics[];
  evals: { base: EvalPoint | null; points: readonly EvalPoint[] };
  /** The run's algorithm (names the steps). */
  algo?: Algo;
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

const SERIES: { key: keyof StepMetrics; label: string; format?: (v: number) => string }[] = [
  { key: 'reward', label: 'reward' },
  { key: 'kl', label: 'KL to base' },
  { key: 'entropy', label: 'entropy' },
  { key: 'clipFrac', label: 'clip fraction', format: pct },
  { key: 'responseLength', label: 'response length (tokens)', format: (v) => v.toFixed(1) },
  { key: 'validSearches', label: 'valid searches / rollout' },
  { key: 'tokensPerSec', label: 'tokens / s', format: (v) => v.toFixed(0) },
  { key: 'spread', label: 'groups with reward spread', format: pct },
  { key: 'distinctAnswers', label: 'distinct answers / step', format: (v) => v.toFixed(0) },
  { key: 'topAnswerShare', label: 'top answer share', format: pct },
];

/** PPO's critic curves (engine/ppo.ts PpoStepMetrics), shown under PPO. */
const PPO_SERIES: { key: string; label: string }[] = [
  { key: 'valueLoss', label: 'value loss (critic)' },
  { key: 'explainedVariance', label: 'explained variance (critic)' },
];

const TABLE_ROWS = 6;

export function MetricsPanel({ metrics, evals, algo = 'grpo' }: MetricsPanelProps) {
  const name = algo === 'ppo' ? 'PPO' : 'GRPO';
  const recent = metrics.slice(-TABLE_ROWS).reverse();
  const evalPoints = (evals.base ? [evals.base] : []).concat(evals.points);
  const last = metrics[metrics.length - 1];
  const marks = metrics.flatMap((m, i) => (m.skippedUpdates > 0 ? [i] : []));
  return (
    <section className="panel" aria-labelledby="metrics-title">
      <h2 id="metrics-title">
        Curves{' '}
        <span className="muted">
          ({metrics.length} {name} steps)
        </span>
      </h2>
      <div className="sparks" data-testid="curves">
        {SERIES.slice(0, 1).map((s) => (
          <Sparkline
            key={s.key}
            label={s.label}
            values={metrics.map((m) => m[s.key] as number)}
            marks={marks}
          />
        ))}
        <Sparkline
          label={`held-out EM (greedy${evalPoints.length ? `, ${evalPoints[evalPoints.length - 1].n} q` : ''})`}
          values={evalPoints.map((p) => p.em)}
          testId="eval-curve"
        />
        {SERIES.slice(1).map((s) => (
          <Sparkline
            key={s.key}
            label={s.label}
            format={s.format}
            values={metrics.map((m) => m[s.key] as number)}
            marks={marks}
          />
        ))}
        {algo === 'ppo'
          ? PPO_SERIES.map((s) => (
              <Sparkline
                key={s.key}
                label={s.label}
                values={metrics.map((m) => (m as unknown as Record<string, number>)[s.key] ?? NaN)}
                marks={marks}
              />
            ))
          : null}
      </div>
      {evalPoints.length ? (
        <p className="muted small">
          Held-out EM at steps {evalPoints.map((p) => p.step).join(', ')}
          {evals.base ? ' (step 0 is the base policy)' : ''}.
        </p>
      ) : null}
      {marks.length ? (
        <p className="warn-text small" data-testid="skipped-steps">
          Updates skipped (NaN or Inf in the gradient; weights unchanged) in {name} step
          {marks.length > 1 ? 's' : ''} {marks.map((i) => metrics[i].step).join(', ')}.
        </p>
      ) : null}
      {last && last.topAnswer ? (
        <p className="muted small">
          Most common answer in step {last.step}: “{last.topAnswer}” ({pct(last.topAnswerShare)} of rollouts).
        </p>
      ) : null}
      {recent.length ? (
        <div className="table-scroll">
          <table className="metrics">
            <thead>
              <tr>
                <th>step</th>
                <th>reward</th>
                <th>KL</th>
                <th>entropy</th>
                <th>clip</th>
                <th>searches</th>
                <th>resp. len</th>
                <th>answered</th>
                <th>tok/s</th>
                <th>seconds</th>
              </tr>
            </thead>
            <tbody>
              {recent.map((m) => (
                <tr
                  key={m.step}
                  data-testid="metrics-row"
                  className={m.skippedUpdates > 0 ? 'skipped' : undefined}
                >
                  <td title={m.skippedUpdates > 0 ? `${m.skippedUpdates} update(s) skipped` : undefined}>
                    {m.step}
                    {m.skippedUpdates > 0 ? ' ⚠' : ''}
                  </td>
                  <td>{m.reward.toFixed(3)}</td>
                  <td>{m.kl.toFixed(4)}</td>
                  <td>{m.entropy.toFixed(3)}</td>
                  <td>{pct(m.clipFrac)}</td>
                  <td>{m.validSearches.toFixed(2)}</td>
                  <td>{m.responseLength.toFixed(1)}</td>
                  <td>{pct(m.answered)}</td>
                  <td>{m.tokensPerSec.toFixed(0)}</td>
                  <td>{m.seconds.total.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No {name} step yet.</p>
      )}
    </section>
  );
}
