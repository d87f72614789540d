/**
 * `@voxelkit/train`: AdamW, cosine learning-rate schedule, a leak-free training step and atomic
 * checkpoints for TensorFlow.js models such as `@voxelkit/nets`' UNet.
 *
 * @packageDocumentation
 */
export * from './adamw.js';
export * from './cosine.js';
export * from './train_step.js';
export * from './checkpoint.js';
export { writeFileAtomic } from './atomic_write.js';
