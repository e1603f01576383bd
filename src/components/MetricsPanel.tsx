/** Per-step GRPO metrics: sparklines for the headline series and a table of the latest steps. Presentational. */
import type { StepMetrics } from '../engine/trainer';
import { Sparkline } from './Sparkline';
import './MetricsPanel.css';

export interface MetricsPanelProps {
  metrics: readonly StepMetrics[];
}

const SERIES: { key: keyof StepMetrics; label: string; format?: (v: number) => string }[] = [
  { key: 'reward', label: 'reward (EM)' },
  { key: 'kl', label: 'KL to reference' },
  { key: 'entropy', label: 'entropy' },
  { key: 'validSearches', label: 'valid searches / rollout' },
  { key: 'responseLength', label: 'response length (tokens)', format: (v) => v.toFixed(1) },
  { key: 'tokensPerSec', label: 'tokens / s', format: (v) => v.toFixed(0) },
];

const TABLE_ROWS = 8;

export function MetricsPanel({ metrics }: MetricsPanelProps) {
  const recent = metrics.slice(-TABLE_ROWS).reverse();
  return (
    <section className="panel" aria-labelledby="metrics-title">
      <h2 id="metrics-title">
        Training metrics <span className="muted">({metrics.length} GRPO steps)</span>
      </h2>
      <div className="sparks">
        {SERIES.map((s) => (
          <Sparkline
            key={s.key}
            label={s.label}
            format={s.format}
            values={metrics.map((m) => m[s.key] as number)}
          />
        ))}
      </div>
      {recent.length ? (
        <table className="metrics">
          <thead>
            <tr>
              <th>step</th>
              <th>reward</th>
              <th>KL</th>
              <th>entropy</th>
              <th>searches</th>
              <th>resp. len</th>
              <th>answered</th>
              <th>tok/s</th>
              <th>seconds</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((m) => (
              <tr key={m.step} data-testid="metrics-row">
                <td>{m.step}</td>
                <td>{m.reward.toFixed(3)}</td>
                <td>{m.kl.toFixed(4)}</td>
                <td>{m.entropy.toFixed(3)}</td>
                <td>{m.validSearches.toFixed(2)}</td>
                <td>{m.responseLength.toFixed(1)}</td>
                <td>{(m.answered * 100).toFixed(0)}%</td>
                <td>{m.tokensPerSec.toFixed(0)}</td>
                <td>{m.seconds.total.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">
          No GRPO step yet. Press Play: the policy first practises reading, then RL starts.
        </p>
      )}
    </section>
  );
}
