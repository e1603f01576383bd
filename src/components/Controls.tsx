/**
 * Corpus and lesson choice, where the base policy comes from, Play / Pause / Reset, and exact stepping at four
 * grains (one token, one turn, one group of rollouts, one GRPO update). Changing the corpus or the lesson resets
 * the run. Presentational: props in, callbacks out.
 */
import { PRESET_NAMES, PRESETS, type PresetName } from '../workers/presets';
import type { BaseInfo, BrowserSettings, CorpusInfo, Phase, Progress } from '../workers/protocol';
import type { Grain } from '../workers/stepper';

export interface ControlsProps {
  corpora: readonly CorpusInfo[];
  checkpoints: Record<string, string>;
  settings: BrowserSettings;
  preset: PresetName;
  phase: Phase;
  progress: Progress | null;
  base: BaseInfo | null;
  steps: number;
  onPlay(): void;
  onPause(): void;
  onReset(): void;
  onStep(grain: Grain): void;
  onChange(patch: Partial<BrowserSettings>): void;
  onPreset(name: PresetName): void;
}

const STEPS: { grain: Grain; label: string; help: string }[] = [
  { grain: 'token', label: '+1 token', help: 'add exactly one sampled token to every generating rollout' },
  {
    grain: 'turn',
    label: '+1 turn',
    help: 'run until every active rollout has ended its round (</search>, </answer> or the cap); finished ones stay',
  },
  {
    grain: 'group',
    label: '+1 group',
    help: 'run until every rollout of the group is done (before the update)',
  },
  {
    grain: 'update',
    label: '+1 update',
    help: 'run until the next RL update (GRPO or PPO) has been applied',
  },
];

export function Controls(p: ControlsProps) {
  const running = p.phase === 'loading' || p.phase === 'base' || p.phase === 'training';
  const starting = p.phase === 'starting';
  const current = p.corpora.find((c) => c.name === p.settings.corpus);
  const shipped = p.checkpoints[p.settings.corpus];
  const baseLine = p.base
    ? p.base.summary
    : p.settings.base === 'checkpoint' && shipped
      ? `shipped checkpoint: ${shipped}`
      : p.settings.base === 'checkpoint'
        ? `no shipped checkpoint for this corpus: the base is built here (${p.settings.baseSteps} practice steps)`
        : `built here by ${p.settings.baseSteps} practice steps`;
  return (
    <section className="panel controls" aria-label="run controls">
      <div className="row">
        <label>
          corpus{' '}
          <select
            value={p.settings.corpus}
            disabled={running || starting || !p.corpora.length}
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
        <label>
          lesson{' '}
          <select
            value={p.preset}
            disabled={running || starting}
            onChange={(e) => p.onPreset(e.target.value as PresetName)}
            data-testid="preset-select"
          >
            {PRESET_NAMES.map((n) => (
              <option key={n} value={n}>
                {PRESETS[n].title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={p.onPlay} disabled={running || starting} data-testid="play">
          ▶ Play
        </button>
        <button type="button" onClick={p.onPause} disabled={!running} data-testid="pause">
          ❚❚ Pause
        </button>
        <button type="button" onClick={p.onReset} disabled={starting} data-testid="reset">
          ↺ Reset
        </button>
        <span className="step-count">
          {p.settings.algo === 'ppo' ? 'PPO' : 'GRPO'} step{' '}
          <strong data-testid="step-count">{p.steps}</strong>
        </span>
      </div>
      <div className="row step-row" role="group" aria-label="step">
        <span className="muted small">step:</span>
        {STEPS.map((s) => (
          <button
            key={s.grain}
            type="button"
            title={s.help}
            disabled={running || starting}
            onClick={() => p.onStep(s.grain)}
            data-testid={`step-${s.grain}`}
          >
            {s.label}
          </button>
        ))}
      </div>
      <p className="muted small lesson" data-testid="lesson">
        {PRESETS[p.preset].lesson}
      </p>
      {current ? (
        <p className="muted small">
          {current.description} ({current.passages} passages, {current.trainQuestions} training /{' '}
          {current.testQuestions} held-out questions)
        </p>
      ) : null}
      <p className="small" data-testid="base-info">
        <strong>base policy:</strong> {baseLine}
      </p>
      {(p.phase === 'base' || p.phase === 'paused') && p.progress ? (
        <div className="progress" data-testid="base-progress" data-paused={p.phase === 'paused'}>
          <progress max={p.progress.steps} value={p.progress.step} /> building the base: practice{' '}
          {p.progress.step}/{p.progress.steps}
          {p.phase === 'paused' ? ' — paused (▶ Play resumes it)' : null}
        </div>
      ) : null}
    </section>
  );
}
