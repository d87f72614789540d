/**
 * `@voxelkit/inferers`: sliding-window inference on channel-first typed arrays, blending window
 * predictions exactly as MONAI 1.4. No TensorFlow.js dependency: the model is any async function
 * from a batch of windows to a batch of predictions.
 *
 * @packageDocumentation
 */
export * from './sliding-window.js';
export * from './importance-map.js';
export * from './padding.js';
export * from './scan.js';
