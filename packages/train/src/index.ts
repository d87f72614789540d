/**
 * AdamW, cosine learning-rate schedule and training steps on TensorFlow.js
 *
 * @packageDocumentation
 */
export {};
