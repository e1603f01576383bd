/**
 * Every engine setting with the paper's value beside it, grouped (rollout, GRPO or PPO, PPO's critic when PPO is chosen, run). Numbers are committed on
 * Enter or blur; a value out of range is reported, not applied. Any change resets the run. The page's URL always
 * holds the full settings, so the link below is the run's shareable address. Presentational.
 */
import type { Algo } from '../engine/config';
import {
  paperValue,
  SETTING_SPECS,
  settingError,
  settingShown,
  type BrowserSettings,
  type NumberSpec,
  type SettingGroup,
  type SettingSpec,
} from '../workers/settings';

export interface SettingsPanelProps {
  settings: BrowserSettings;
  disabled: boolean;
  shareUrl: string;
  onChange(patch: Partial<BrowserSettings>): void;
  onError(message: string): void;
}

/** Group titles; the shared RL group is named after the chosen algorithm. */
const GROUPS: { group: SettingGroup; title: (algo: Algo) => string }[] = [
  { group: 'rollout', title: () => 'rollout' },
  { group: 'grpo', title: (a) => (a === 'ppo' ? 'PPO' : 'GRPO') },
  { group: 'ppo', title: () => 'PPO critic and GAE' },
  { group: 'run', title: () => 'run' },
];

function paperText(spec: SettingSpec, algo: Algo): string | null {
  const paper = paperValue(spec, algo);
  if (paper === undefined) return null;
  if (typeof paper === 'boolean') return paper ? 'on' : 'off';
  if (spec.kind === 'choice') return spec.options.find((o) => o.value === paper)?.label ?? String(paper);
  return String(paper);
}

function NumberField({
  spec,
  value,
  onChange,
  onError,
}: {
  spec: NumberSpec;
  value: number;
  onChange: SettingsPanelProps['onChange'];
  onError: SettingsPanelProps['onError'];
}) {
  const commit = (input: HTMLInputElement) => {
    const v = input.value.trim() === '' ? NaN : Number(input.value);
    if (v === value) return;
    const e = settingError(spec, v);
    if (e) {
      onError(e);
      input.value = String(value);
      return;
    }
    onChange({ [spec.key]: v });
  };
  return (
    <input
      key={value}
      type="number"
      step={spec.integer ? 1 : 'any'}
      min={spec.min}
      max={spec.max}
      defaultValue={value}
      data-testid={`setting-${spec.key}`}
      onBlur={(e) => commit(e.currentTarget)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit(e.currentTarget);
      }}
    />
  );
}

function Field({ spec, p }: { spec: SettingSpec; p: SettingsPanelProps }) {
  const paper = paperText(spec, p.settings.algo);
  const value = p.settings[spec.key];
  let control;
  if (spec.kind === 'number') {
    control = <NumberField spec={spec} value={value as number} onChange={p.onChange} onError={p.onError} />;
  } else if (spec.kind === 'bool') {
    control = (
      <input
        type="checkbox"
        checked={value as boolean}
        data-testid={`setting-${spec.key}`}
        onChange={(e) => p.onChange({ [spec.key]: e.target.checked })}
      />
    );
  } else {
    control = (
      <select
        value={value as string}
        data-testid={`setting-${spec.key}`}
        onChange={(e) => p.onChange({ [spec.key]: e.target.value } as Partial<BrowserSettings>)}
      >
        {spec.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  }
  return (
    <label className={spec.kind === 'bool' ? 'setting check' : 'setting'} title={spec.help}>
      <span className="setting-label">{spec.label}</span>
      {control}
      <span className="paper small muted">{paper === null ? '\u00a0' : `paper: ${paper}`}</span>
    </label>
  );
}

export function SettingsPanel(p: SettingsPanelProps) {
  return (
    <section className="panel" aria-labelledby="settings-title">
      <h2 id="settings-title">
        Settings <span className="muted small">(a change resets the run; hover a name for what it does)</span>
      </h2>
      <fieldset className="settings-groups" disabled={p.disabled}>
        {GROUPS.map((g) => {
          const specs = SETTING_SPECS.filter(
            (s) => s.group === g.group && s.key !== 'backend' && settingShown(s, p.settings.algo),
          );
          return specs.length ? (
            <fieldset key={g.group} className="settings" data-testid={`settings-${g.group}`}>
              <legend>{g.title(p.settings.algo)}</legend>
              {specs.map((s) => (
                <Field key={s.key} spec={s} p={p} />
              ))}
            </fieldset>
          ) : null;
        })}
      </fieldset>
      <p className="small share">
        Share this run:{' '}
        <a href={p.shareUrl} data-testid="share-link">
          {p.shareUrl}
        </a>
      </p>
    </section>
  );
}
