/**
 * `@voxelkit/metrics`: segmentation metrics on plain typed arrays (no TensorFlow.js): MONAI-exact
 * Dice with its empty-ground-truth rules, and spacing-aware surface metrics (HD95, surface Dice)
 * on an exact Euclidean distance transform.
 *
 * @packageDocumentation
 */
export * from './dice-metric.js';
export * from './reduction.js';
export * from './mask.js';
export * from './edt.js';
export * from './surface-distance.js';
export * from './hausdorff.js';
export * from './surface-dice.js';
