/**
 * PyTorch's default parameter initialisation, drawn from a seeded {@link Rng}: conv weights and
 * biases uniform in ±1/√fan_in (`kaiming_uniform_(a=√5)` reduces to this bound).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxelkit/core';

/** A variable of `shape` filled uniformly in `[-bound, bound)`. */
export function uniformVariable(shape: number[], bound: number, rng: Rng): tf.Variable {
  const n = shape.reduce((a, d) => a * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform(-bound, bound);
  return tf.variable(tf.tensor(values, shape), true);
}

/** A variable of `shape` filled with `value`. */
export function constantVariable(shape: number[], value: number, trainable: boolean): tf.Variable {
  return tf.variable(tf.fill(shape, value), trainable);
}
