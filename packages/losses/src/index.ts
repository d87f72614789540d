/**
 * Dice and DiceCE losses on TensorFlow.js
 *
 * @packageDocumentation
 */
export {};
