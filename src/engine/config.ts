/**
 * The one typed run configuration, with defaults and the paper's values beside ours.
 * Serialisable (plain JSON) so the UI can put it in the URL and the CLI can save it with a checkpoint.
 * Knows nothing of tensors or I/O.
 */
import type { RewardVariant } from './reward';

export type Mode = 'search' | 'nosearch' | 'rag' | 'direct';
/**
 * The RL algorithm. Search-R1 trains with both: PPO (its default; a critic, GAE, k1 KL in the reward) and GRPO
 * (group-relative advantages, k3 KL in the loss). Paper: GRPO learns faster but can collapse late; PPO is steadier.
 */
export type Algo = 'grpo' | 'ppo';
export type PromptStyle = 'short' | 'paper';

export interface RolloutConfig {
  mode: Mode;
  /** Search rounds before the forced final round. Paper: 4 (simplest scripts: 2). */
  maxTurns: number;
  /**
   * Passages per search. Paper: 3. Ours: 1. The tiny reader answers from the first passage (the golden answer was
   * never in a third one, §2.19), and each extra passage adds distractor spans and tokens: one passage made a step
   * about twice as cheap and raised held-out EM at equal wall time (docs/experiments.md §2.22).
   */
  topk: number;
  /**
   * BM25 term-frequency saturation k1 of the search engine (retriever.ts). The textbook value is 1.2. A lower k1
   * lets a passage's repeats of one query word count for less, so an entity's own passage, which names it again
   * and again, stops outranking the passage that holds the other query words too. Ours: 1.2. k1 = 0.3 put the
   * answer's passage first more often but did not raise held-out EM over four seeds (docs/experiments.md §2.22).
   * (The paper's retriever is dense, E5; BM25 is its variant.)
   */
  bm25K1: number;
  /**
   * A search returns the best passages that its rollout has not read yet, so searching again after a passage that
   * did not answer reads the next one: "subregion togo" first finds "Lome is the capital of Togo.", and the same
   * search again finds Togo's own passage. Ours: on (docs/experiments.md §2.29: over three seeds `countries` rose
   * from 0.788 to 0.820 held-out EM, `world` stayed at 0.63). Paper: off (its retriever is stateless: the same query
   * always returns the same passages).
   */
  freshPassages: boolean;
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
  /**
   * Dynamic sampling (DAPO): while fewer than questionsPerStep of the step's groups have reward spread, roll out
   * another questionsPerStep questions, at most this many extra rounds; the update then takes the groups with
   * spread first (grpo.ts pickGroups). 0: one round, every group trained on (the paper). Ours: 2 (docs/experiments.md
   * §2.15: more held-out EM per step than one round, on both corpora).
   */
  resampleRounds: number;
  /** Mask retrieved <information> tokens out of the loss (the paper's default). */
  maskInformation: boolean;
  reward: RewardVariant;
}

/**
 * PPO's own settings (Search-R1 train_ppo.sh on verl). Everything shared with GRPO (clip ε, KL coefficient, entropy
 * bonus, the policy's learning rate, masking, reward, questions × group per step) stays in GrpoConfig; under PPO the
 * KL coefficient weighs the k1 penalty subtracted from the per-token reward instead of a k3 term in the loss.
 */
export interface PpoConfig {
  /** Critic (value model) learning rate after warm-up. Paper: 1e-5, ten times the actor's 1e-6. */
  criticLr: number;
  /** Critic warm-up steps. Paper: 5% of training (critic.optim.lr_warmup_steps_ratio = 0.05). */
  criticWarmupSteps: number;
  /** Value clip: the new value may move at most this far from the old one before the clipped loss takes over. Paper: 0.5. */
  valueClip: number;
  /** GAE discount γ. Paper: 1. */
  gamma: number;
  /** GAE λ. Paper: 1. */
  lambda: number;
}

export interface RunConfig {
  seed: number;
  steps: number;
  /** grpo or ppo. Paper: both, PPO the default of its scripts. Ours: grpo (faster to learn at this scale). */
  algo: Algo;
  rollout: RolloutConfig;
  grpo: GrpoConfig;
  ppo: PpoConfig;
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
  freshPassages: false,
  reward: 'em',
  /** PPO (train_ppo.sh): n = 1 rollout per question, critic lr 1e-5, value clip 0.5, γ = λ = 1, k1 KL 0.001. */
  ppoGroupSize: 1,
  criticLr: 1e-5,
  valueClip: 0.5,
  gamma: 1,
  lambda: 1,
} as const;

export function defaultRolloutConfig(): RolloutConfig {
  return {
    mode: 'search',
    maxTurns: 2,
    topk: 1,
    bm25K1: 1.2,
    freshPassages: true,
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
    resampleRounds: 2,
    maskInformation: true,
    reward: 'em',
  };
}

export function defaultPpoConfig(): PpoConfig {
  return {
    // Our actor learns at 3e-4; the critic gets ~3× that (a guess, not tuned: the paper's 10× is relative to an
    // actor lr of 1e-6). The critic starts from the base policy's trunk, as verl's critic starts from the base model.
    criticLr: 1e-3,
    criticWarmupSteps: 10,
    valueClip: 0.5,
    gamma: 1,
    lambda: 1,
  };
}

/**
 * Under PPO the paper samples one rollout per question (n = 1): the critic, not a group, supplies the baseline.
 * We keep a step's rollout count equal to GRPO's default (8 questions × G 8 = 64) by asking 64 questions × 1.
 */
export const PPO_GROUP_SIZE = 1;
export const PPO_QUESTIONS_PER_STEP = 64;

export function defaultRunConfig(): RunConfig {
  return {
    seed: 1,
    steps: 200,
    algo: 'grpo',
    rollout: defaultRolloutConfig(),
    grpo: defaultGrpoConfig(),
    ppo: defaultPpoConfig(),
    evalEvery: 25,
  };
}
