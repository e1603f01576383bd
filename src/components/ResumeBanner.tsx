/** After a reload (or a crashed tab): offer to continue the last saved run from its checkpoint. Presentational. */
import type { RunSummary } from '../workers/protocol';

export interface ResumeBannerProps {
  offer: RunSummary | null;
  onResume(id: string): void;
  onDismiss(): void;
}

export function ResumeBanner({ offer, onResume, onDismiss }: ResumeBannerProps) {
  if (!offer) return null;
  return (
    <div className="resume-banner" role="alert" data-testid="resume-offer">
      <span>
        Resume <strong>{offer.name}</strong> from its checkpoint at {offer.algo === 'ppo' ? 'PPO' : 'GRPO'}{' '}
        step {offer.checkpointStep} ({offer.rewards.length} steps of history)?
      </span>
      <button type="button" onClick={() => onResume(offer.id)} data-testid="resume">
        Resume
      </button>
      <button type="button" onClick={onDismiss} data-testid="resume-dismiss">
        Start fresh
      </button>
    </div>
  );
}
