/**
 * `@voxelkit/core`: the volume model and the maths every other package shares. No TensorFlow.js,
 * no Node-only imports: runs in Node, browsers and workers.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './logger.js';
export * from './affine.js';
export * from './orientation.js';
export * from './volume.js';
export * from './rng.js';
