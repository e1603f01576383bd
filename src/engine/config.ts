/**
 * The one typed run configuration, with defaults and the paper's values beside ours.
 * Serialisable (plain JSON) so the UI can put it in the URL and the CLI can save it with a checkpoint.
 * Knows nothing of tensors or I/O.
 */
import type { RewardVariant } from './reward';

export type Mode = 'search' | 'nosearch' | 'rag' | 'direct';
export type PromptStyle = 'short' | 'paper';

export interface RolloutConfig {
  mode: Mode;
  /** Search rounds before the forced final round. Paper: 4 (simplest scripts: 2). */
  maxTurns: number;
  /** Passages per search. Paper: 3. */
  topk: number;
  /** Tokens the policy may generate in one round. */
  maxTurnTokens: number;
  /** Cap on one observation's tokens. Paper: 500 (sub-word tokens, 8k context). */
  maxObsTokens: number;
  /**
   * Sampling temperature and nucleus mass for training rollouts. The trainer scores log-probs at temperature 1
   * without truncation, so values other than 1 make the samples slightly off-policy (the clipped ratio absorbs
   * small differences); the paper samples at 1.
   */
  temperature: number;
  topP: number;
  promptStyle: PromptStyle;
}

export interface GrpoConfig {
  /** Rollouts per question. Paper: 5. */
  groupSize: number;
  /** Questions per step. */
  questionsPerStep: number;
  /** Optimiser mini-batches per rollout batch (>1 makes the ratio and the clip matter). */
  miniBatches: number;
  /** PPO clip ε. Paper: 0.2. */
  clipEps: number;
  /** k3 KL coefficient to the frozen reference. Paper: 0.001. */
  klCoef: number;
  /** Entropy bonus. Paper: 0.001. */
  entropyCoef: number;
  /** Learning rate after warm-up. */
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  /** Mask retrieved <information> tokens out of the loss (the paper's default). */
  maskInformation: boolean;
  reward: RewardVariant;
}

export interface RunConfig {
  seed: number;
  steps: number;
  rollout: RolloutConfig;
  grpo: GrpoConfig;
  /** Greedy evaluation on held-out questions every N steps (0 = only at the end). */
  evalEvery: number;
}

export const PAPER_VALUES = {
  maxTurns: 4,
  topk: 3,
  maxObsTokens: 500,
  groupSize: 5,
  clipEps: 0.2,
  klCoef: 0.001,
  entropyCoef: 0.001,
  lr: 1e-6,
  temperature: 1,
  topP: 1,
  maskInformation: true,
  reward: 'em',
} as const;

export function defaultRolloutConfig(): RolloutConfig {
  return {
    mode: 'search',
    maxTurns: 2,
    topk: 3,
    maxTurnTokens: 16,
    maxObsTokens: 120,
    temperature: 1,
    topP: 1,
    promptStyle: 'short',
  };
}

export function defaultGrpoConfig(): GrpoConfig {
  return {
    groupSize: 8,
    questionsPerStep: 8,
    miniBatches: 2,
    clipEps: 0.2,
    klCoef: 0.02,
    entropyCoef: 0.001,
    lr: 3e-4,
    warmupSteps: 10,
    weightDecay: 0.01,
    gradClip: 1,
    maskInformation: true,
    reward: 'em',
  };
}

export function defaultRunConfig(): RunConfig {
  return {
    seed: 1,
    steps: 200,
    rollout: defaultRolloutConfig(),
    grpo: defaultGrpoConfig(),
    evalEvery: 25,
  };
}
