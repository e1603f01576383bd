/**
 * A tiny SVG line chart of one series: last value, min and max shown beside it; `marks` (indices) are drawn as
 * red ticks (steps whose update was skipped). Presentational.
 */
export interface SparklineProps {
  label: string;
  values: readonly number[];
  format?: (v: number) => string;
  width?: number;
  height?: number;
  testId?: string;
  /** Indices of points to mark (e.g. steps with a skipped update). */
  marks?: readonly number[];
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);

export function Sparkline({
  label,
  values,
  format = fmt,
  width = 180,
  height = 40,
  testId,
  marks = [],
}: SparklineProps) {
  const finite = values.filter(Number.isFinite);
  const min = finite.length ? Math.min(...finite) : 0;
  const max = finite.length ? Math.max(...finite) : 1;
  const span = max - min || 1;
  const pad = 3;
  const x = (i: number) =>
    values.length < 2 ? width / 2 : pad + (i * (width - 2 * pad)) / (values.length - 1);
  const y = (v: number) => height - pad - ((v - min) / span) * (height - 2 * pad);
  const points = values
    .map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
    .filter((p): p is string => p !== null)
    .join(' ');
  const last = values.length ? values[values.length - 1] : NaN;
  return (
    <figure className="spark" data-testid={testId ?? 'spark'} data-points={values.length}>
      <figcaption>
        <span className="spark-label">{label}</span>
        <span className="spark-value">{Number.isFinite(last) ? format(last) : '–'}</span>
      </figcaption>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${label} curve`}
      >
        {values.length === 1 && Number.isFinite(last) ? (
          <circle cx={x(0)} cy={y(last)} r={2.5} />
        ) : (
          <polyline points={points} fill="none" strokeWidth={1.5} />
        )}
        {marks.map((i) => (
          <line
            key={i}
            className="skip-mark"
            x1={x(i)}
            x2={x(i)}
            y1={pad}
            y2={height - pad}
            data-testid="skip-mark"
          >
            <title>step with a skipped update (NaN or Inf gradient)</title>
          </line>
        ))}
      </svg>
      <div className="spark-range">{finite.length ? `${format(min)} … ${format(max)}` : 'no data yet'}</div>
    </figure>
  );
}
