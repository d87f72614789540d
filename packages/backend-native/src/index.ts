/**
 * Native CPU kernels (3D convolution and friends) for TensorFlow.js
 *
 * @packageDocumentation
 */
export {};
