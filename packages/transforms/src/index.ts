/**
 * `@voxelkit/transforms`: MONAI-compatible dictionary transforms on typed arrays.
 *
 * @packageDocumentation
 */
export * from './transform.js';
export type { KeysOptions } from './utility/record.js';
export {
  checkKeys,
  presentKeys,
  derivedVolume,
  withApplied,
  withoutLastApplied,
  spatialOf,
} from './utility/record.js';
export * from './utility/inverters.js';
export * from './utility/shaped-array.js';
export * from './utility/axes.js';
export * from './utility/flip.js';
export * from './utility/rotate90.js';
export * from './utility/crop-pad.js';
export * from './utility/ensure-typed.js';
export * from './intensity/scale-intensity-range.js';
export * from './intensity/shift-intensity.js';
export * from './random/probability.js';
export * from './random/crop-centers.js';
export * from './random/rand-crop-by-pos-neg-label.js';
export * from './random/rand-flip.js';
export * from './random/rand-rotate90.js';
export * from './post/as-discrete.js';
export * from './compose/seeding.js';
export * from './compose/compose.js';
export * from './compose/split.js';
export * from './spatial/index.js';
