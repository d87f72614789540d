/**
 * Cross-entropy terms of DiceCE, with PyTorch's conventions (`CrossEntropyLoss` for ≥ 2 channels,
 * `BCEWithLogitsLoss` for one), on channels-last tensors and in numerically stable form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { logSoftmax } from '@voxelkit/backend';

/** `'mean'` or `'sum'` over voxels (and batch). */
export type CrossEntropyReduction = 'mean' | 'sum';

/**
 * Multi-class cross-entropy from logits `[N, X, Y, Z, C]` (stable `logSoftmax`).
 *
 * - `target` one-hot of class indices (`fromIndices`): `−log p[y]` per voxel; with class
 *   weights the mean is `Σ w[y]·nll / Σ w[y]` (PyTorch's weighted mean).
 * - `target` probabilities (one-hot given by the caller): `−Σ_c w_c·t_c·log p_c` per voxel,
 *   mean over voxels (PyTorch's soft-label form; equal to the above for one-hot targets
 *   without weights).
 *
 * @param logits - `[N, X, Y, Z, C]`
 * @param target - `[N, X, Y, Z, C]` one-hot or probabilities (float32)
 * @param fromIndices - the target came from class indices (selects the weighted-mean rule)
 * @param weight - optional per-class weights (length C)
 */
export function crossEntropy(
  logits: tf.Tensor,
  target: tf.Tensor,
  fromIndices: boolean,
  reduction: CrossEntropyReduction,
  weight?: readonly number[],
): tf.Scalar {
  return tf.tidy(() => {
    const logProbabilities = logSoftmax(tf.cast(logits, 'float32'), -1);
    const weighted = weight === undefined ? target : tf.mul(target, tf.tensor1d([...weight]));
    const perVoxel = tf.neg(tf.sum(tf.mul(weighted, logProbabilities), -1));
    const total = tf.sum(perVoxel);
    if (reduction === 'sum') return total as tf.Scalar;
    if (fromIndices && weight !== undefined) {
      return tf.div(total, tf.sum(weighted)) as tf.Scalar;
    }
    return tf.div(total, perVoxel.size) as tf.Scalar;
  });
}

/**
 * Binary cross-entropy with logits (single channel), stable form
 * `w·t·softplus(−x) + (1 − t)·softplus(x)`, `w` = PyTorch's `pos_weight`.
 *
 * @param logits - `[N, X, Y, Z, 1]`
 * @param target - `[N, X, Y, Z, 1]` in [0, 1]
 * @param posWeight - optional weight of positive voxels
 */
export function binaryCrossEntropyWithLogits(
  logits: tf.Tensor,
  target: tf.Tensor,
  reduction: CrossEntropyReduction,
  posWeight?: number,
): tf.Scalar {
  return tf.tidy(() => {
    const x = tf.cast(logits, 'float32');
    const t = tf.cast(target, 'float32');
    const positive = tf.mul(t, tf.softplus(tf.neg(x)));
    const negative = tf.mul(tf.sub(1, t), tf.softplus(x));
    const perVoxel = tf.add(
      posWeight === undefined ? positive : tf.mul(posWeight, positive),
      negative,
    );
    return (reduction === 'sum' ? tf.sum(perVoxel) : tf.mean(perVoxel)) as tf.Scalar;
  });
}
