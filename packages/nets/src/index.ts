/**
 * 3D UNet and checkpoints on TensorFlow.js
 *
 * @packageDocumentation
 */
export {};
