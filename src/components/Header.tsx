/**
 * Title, backend badge (which tfjs backend runs and why), a backend switch, and live throughput. Presentational.
 */
import type { ReactNode } from 'react';
import type { BackendName } from '../engine/backend';
import type { BackendPref } from '../workers/settings';

export interface HeaderProps {
  backend: { name: BackendName; want: BackendPref; notice: string | null } | null;
  want: BackendPref;
  /** The live tokens/s readout (a component of its own: it changes at rollout rate). */
  rate: ReactNode;
  phase: string;
  message: string;
  holdSeq: number | null;
  onBackend(want: BackendPref): void;
}

export const BACKEND_LABEL: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
};

/** Why this backend runs, in words. */
export function backendReason(b: NonNullable<HeaderProps['backend']>): string {
  if (b.notice) return b.notice;
  if (b.want === 'auto') return `${BACKEND_LABEL[b.name]} is the first choice and it started`;
  return `${BACKEND_LABEL[b.name]} chosen in the settings`;
}

export function Header({ backend, want, rate, phase, message, holdSeq, onBackend }: HeaderProps) {
  return (
    <header className="header">
      <div>
        <h1>Search-R1 Playground</h1>
        <p className="tagline">
          A tiny policy learns, by RL (GRPO or PPO), to call a search engine — in your browser.
        </p>
      </div>
      <div className="header-status">
        <span
          className={`badge badge-${backend?.name ?? 'none'}`}
          data-testid="backend-badge"
          title={backend ? backendReason(backend) : undefined}
        >
          {backend ? `backend: ${BACKEND_LABEL[backend.name]}` : 'backend: starting…'}
        </span>
        <label className="small">
          switch{' '}
          <select
            value={want}
            onChange={(e) => onBackend(e.target.value as BackendPref)}
            data-testid="backend-select"
            aria-label="tfjs backend"
          >
            <option value="auto">auto</option>
            {(Object.keys(BACKEND_LABEL) as BackendName[]).map((b) => (
              <option key={b} value={b}>
                {BACKEND_LABEL[b]}
              </option>
            ))}
          </select>
        </label>
        {rate}
        <span className={`phase phase-${phase}`} data-testid="status" data-hold={holdSeq ?? ''}>
          {message}
        </span>
        {backend ? (
          <p className="notice" data-testid="backend-notice">
            {backendReason(backend)}
          </p>
        ) : null}
      </div>
    </header>
  );
}
