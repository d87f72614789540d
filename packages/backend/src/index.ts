/**
 * `@voxelkit/backend`: picks the TensorFlow.js compute backend (and logs the choice once),
 * registers the gradients tfjs-core 4.22 lacks, and converts channel-first arrays to the
 * channels-last tensors tfjs 3D ops use. Importing this package registers the gradients.
 *
 * @packageDocumentation
 */
export * from './gradients.js';
export * from './init_backend.js';
export * from './layout.js';
export * from './copy-kernels.js';
export * from './conv-ncdhw.js';
export * from './batch-norm-act.js';
export * from './adamw-update.js';
export * from './log-softmax.js';
