/**
 * Corpus choice, Play / Pause / Reset and the run's settings. Changing a setting resets the run (a new policy).
 * Presentational: props in, callbacks out.
 */
import type { BrowserSettings, CorpusInfo, Phase, Progress } from '../workers/protocol';

export interface ControlsProps {
  corpora: readonly CorpusInfo[];
  settings: BrowserSettings;
  phase: Phase;
  progress: Progress | null;
  steps: number;
  onPlay(): void;
  onPause(): void;
  onReset(): void;
  onChange(patch: Partial<BrowserSettings>): void;
}

const NUMBERS: {
  key: 'baseSteps' | 'baseBatch' | 'groupSize' | 'questionsPerStep' | 'seed';
  label: string;
  max: number;
}[] = [
  { key: 'baseSteps', label: 'practice steps', max: 2000 },
  { key: 'baseBatch', label: 'practice batch', max: 64 },
  { key: 'groupSize', label: 'group size G', max: 16 },
  { key: 'questionsPerStep', label: 'questions / step', max: 16 },
  { key: 'seed', label: 'seed', max: 1_000_000 },
];

export function Controls(p: ControlsProps) {
  const busy = p.phase === 'loading' || p.phase === 'base' || p.phase === 'training';
  const locked = busy || p.phase === 'starting';
  const current = p.corpora.find((c) => c.name === p.settings.corpus);
  return (
    <section className="panel controls" aria-label="run controls">
      <div className="row">
        <label>
          corpus{' '}
          <select
            value={p.settings.corpus}
            disabled={locked || !p.corpora.length}
            onChange={(e) => p.onChange({ corpus: e.target.value })}
            data-testid="corpus-select"
          >
            {p.corpora.map((c) => (
              <option key={c.name} value={c.name}>
                {c.title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={p.onPlay} disabled={busy || p.phase === 'starting'} data-testid="play">
          ▶ Play
        </button>
        <button type="button" onClick={p.onPause} disabled={!busy} data-testid="pause">
          ❚❚ Pause
        </button>
        <button type="button" onClick={p.onReset} disabled={p.phase === 'starting'} data-testid="reset">
          ↺ Reset
        </button>
        <span className="step-count">
          GRPO step <strong data-testid="step-count">{p.steps}</strong>
        </span>
      </div>
      {current ? (
        <p className="muted small">
          {current.description} ({current.passages} passages, {current.trainQuestions} training questions)
        </p>
      ) : null}
      {p.phase === 'base' && p.progress ? (
        <div className="progress" data-testid="base-progress">
          <progress max={p.progress.steps} value={p.progress.step} /> practice {p.progress.step}/
          {p.progress.steps}
        </div>
      ) : null}
      <fieldset className="settings" disabled={locked}>
        <legend>settings (a change resets the run)</legend>
        {NUMBERS.map((n) => (
          <label key={n.key}>
            {n.label}
            <input
              type="number"
              min={n.key === 'baseSteps' || n.key === 'seed' ? 0 : 1}
              max={n.max}
              value={p.settings[n.key]}
              onChange={(e) => {
                const v = Math.round(Number(e.target.value));
                if (Number.isFinite(v) && v >= 0 && v <= n.max) p.onChange({ [n.key]: v });
              }}
            />
          </label>
        ))}
        <label className="check">
          <input
            type="checkbox"
            checked={p.settings.maskInformation}
            onChange={(e) => p.onChange({ maskInformation: e.target.checked })}
          />
          mask retrieved tokens from the loss
        </label>
      </fieldset>
    </section>
  );
}
