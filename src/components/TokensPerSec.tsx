/** The live tokens/s readout: its own store subscription, so rollout-rate updates re-render only this span. */
import { useStore } from 'zustand';
import type { AppStore } from '../store/state';

export function TokensPerSec({ store }: { store: AppStore }) {
  const v = useStore(store, (s) => s.tokensPerSec);
  return (
    <span
      className="tps"
      data-testid="tokens-per-sec"
      title="tokens processed per second (live during rollouts)"
    >
      {v === null ? '– tok/s' : `${v.toFixed(0)} tok/s`}
    </span>
  );
}
