/**
 * Public surface of the policy model: the Policy class, its config and checkpoint helpers.
 * Everything else in this folder is an implementation detail.
 */
export { Policy } from './policy';
export { DecodeState, type FeedRow } from './decode';
export { type ModelConfig, DEFAULT_MODEL, validateConfig, chunkBuckets } from './config';
export {
  type SerializedPolicy,
  type SerializedWeight,
  type CheckpointManifest,
  toCheckpoint,
  fromCheckpoint,
  toJSONBase64,
  fromJSONBase64,
} from './serialize';
export { forceEmbeddingGradRoute } from './layers';
export { Critic } from './critic';
