/**
 * Experiments: choose two or more variants of the current settings (masking on/off, GRPO/PPO, …), train each for
 * N updates one after another from the same base policy, and overlay their curves (reward, held-out EM, response
 * length, valid searches), one chart per metric with a legend. Exports the results as JSON and the charts as an
 * SVG image. Presentational: the chart geometry comes from workers/experiments.ts; text is rendered as text.
 */
import { useState } from 'react';
import {
  ABLATIONS,
  chartGeometry,
  EXPERIMENT_METRICS,
  VARIANTS,
  variantColor,
  type MetricDef,
  type VariantResult,
} from '../workers/experiments';
import type { ExperimentState } from '../store/experiment';

export interface ExperimentsPanelProps {
  experiment: ExperimentState;
  /** Another run is loading or training (an experiment stops it). */
  busy: boolean;
  onRun(variants: string[], updates: number): void;
  onStop(): void;
  onExport(format: 'json' | 'svg'): void;
}

function Chart({ results, metric }: { results: readonly VariantResult[]; metric: MetricDef }) {
  const g = chartGeometry(results, metric.key);
  const fmt = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2));
  return (
    <figure className="compare-curves" data-testid={`experiment-chart-${metric.key}`}>
      <figcaption className="small">
        {metric.label}{' '}
        <span className="muted">
          ({fmt(g.min)} … {fmt(g.max)})
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${g.width} ${g.height}`}
        role="img"
        aria-label={`${metric.label} of ${results.length} variants`}
      >
        {g.lines.map((l, i) => (
          <g key={i}>
            <polyline fill="none" stroke={l.color} strokeWidth={1.5} points={l.points} />
            {l.xy.map(([x, y], j) => (
              <circle key={j} cx={x} cy={y} r={2} fill={l.color} />
            ))}
          </g>
        ))}
      </svg>
    </figure>
  );
}

export function ExperimentsPanel(p: ExperimentsPanelProps) {
  const [picked, setPicked] = useState<string[]>(['mask-on', 'mask-off']);
  const [updates, setUpdates] = useState(5);
  const x = p.experiment;
  const state = x.running ? 'running' : x.error ? 'error' : x.results.length ? 'done' : 'idle';
  return (
    <section className="panel" aria-labelledby="experiments-title">
      <h2 id="experiments-title">
        Experiments <span className="muted small">(variants of the current settings, trained in turn)</span>
      </h2>
      <p className="small">
        {ABLATIONS.map((a) => (
          <button
            key={a.name}
            type="button"
            disabled={x.running}
            onClick={() => setPicked(a.variants.slice())}
            data-testid={`experiment-preset-${a.variants.join('-')}`}
          >
            {a.name}
          </button>
        ))}
      </p>
      <fieldset className="experiment-variants" disabled={x.running}>
        <legend>variants</legend>
        {VARIANTS.map((v) => (
          <label key={v.id}>
            <input
              type="checkbox"
              checked={picked.includes(v.id)}
              onChange={(e) =>
                setPicked((xs) =>
                  e.target.checked
                    ? VARIANTS.map((w) => w.id).filter((id) => id === v.id || xs.includes(id))
                    : xs.filter((id) => id !== v.id),
                )
              }
              data-testid={`experiment-variant-${v.id}`}
            />
            {v.name}
          </label>
        ))}
        <label>
          updates per variant
          <input
            type="number"
            min={1}
            max={1000}
            step={1}
            value={updates}
            onChange={(e) => setUpdates(Number(e.target.value))}
            data-testid="experiment-updates"
          />
        </label>
      </fieldset>
      <p className="small">
        <button
          type="button"
          disabled={x.running}
          onClick={() => p.onRun(picked, updates)}
          data-testid="experiment-run"
          title={p.busy ? 'stops the run training now' : undefined}
        >
          run {picked.length} variants
        </button>{' '}
        <button type="button" disabled={!x.running} onClick={p.onStop} data-testid="experiment-stop">
          stop
        </button>{' '}
        <button
          type="button"
          disabled={!x.results.length}
          onClick={() => p.onExport('json')}
          data-testid="experiment-export-json"
        >
          export JSON
        </button>{' '}
        <button
          type="button"
          disabled={!x.results.length}
          onClick={() => p.onExport('svg')}
          data-testid="experiment-export-svg"
        >
          export image (SVG)
        </button>
      </p>
      <p className="muted small" data-testid="experiment-status" data-state={state}>
        {x.running
          ? `training variant ${(x.active ?? 0) + 1} of ${x.results.length}…`
          : state === 'done'
            ? `${x.results.length} variants × ${x.updates} updates, each from the same base policy.`
            : 'Each variant starts from the same base policy (the shipped checkpoint, or one built with the same seed).'}
      </p>
      {x.error ? (
        <p className="warn-text small" data-testid="experiment-error">
          {x.error}
        </p>
      ) : null}
      {x.results.length ? (
        <>
          <div className="experiment-charts">
            {EXPERIMENT_METRICS.map((m) => (
              <Chart key={m.key} results={x.results} metric={m} />
            ))}
          </div>
          <ul className="small legend" data-testid="experiment-legend">
            {x.results.map((r, i) => (
              <li key={i} style={{ color: variantColor(i) }}>
                {r.name}: {r.metrics.length} / {x.updates} updates
                {r.metrics.length ? `, reward ${r.metrics[r.metrics.length - 1].reward.toFixed(3)}` : ''}
                {r.evals.points.length
                  ? `, held-out EM ${r.evals.points[r.evals.points.length - 1].em.toFixed(3)}`
                  : ''}
                {r.error ? ` (stopped: ${r.error})` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
