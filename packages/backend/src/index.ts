/**
 * TensorFlow.js backend selection, missing-gradient fixes and layout conversion
 *
 * @packageDocumentation
 */
export {};
