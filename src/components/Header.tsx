/** Title, backend badge (which tfjs backend runs and why) and live throughput. Presentational. */
import type { BackendName } from '../engine/backend';

export interface HeaderProps {
  backend: { name: BackendName; notice: string | null } | null;
  tokensPerSec: number | null;
  phase: string;
  message: string;
}

const LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' };

export function Header({ backend, tokensPerSec, phase, message }: HeaderProps) {
  return (
    <header className="header">
      <div>
        <h1>Search-R1 Playground</h1>
        <p className="tagline">
          A tiny policy learns, by RL (GRPO), to call a search engine — in your browser.
        </p>
      </div>
      <div className="header-status">
        <span
          className={`badge badge-${backend?.name ?? 'none'}`}
          data-testid="backend-badge"
          title={backend?.notice ?? undefined}
        >
          {backend ? `backend: ${LABEL[backend.name]}` : 'backend: starting…'}
        </span>
        <span className="tps" data-testid="tokens-per-sec">
          {tokensPerSec === null ? '– tok/s' : `${tokensPerSec.toFixed(0)} tok/s`}
        </span>
        <span className={`phase phase-${phase}`} data-testid="status">
          {message}
        </span>
        {backend?.notice ? (
          <p className="notice" data-testid="backend-notice">
            {backend.notice}
          </p>
        ) : null}
      </div>
    </header>
  );
}
