/**
 * A minimal local DiceCE for the training tests, written from MONAI's definition so
 * this package's tests do not depend on `@voxelkit/losses` (built in parallel):
 * `DiceCELoss(to_onehot_y=True, softmax=True)` = Dice (include background, smooth_nr =
 * smooth_dr = 1e-5, sums over space per (batch, class), mean over both) + mean voxel
 * cross-entropy of the logits. Channels-last: logits `[N, X, Y, Z, C]`, labels `[N, X, Y, Z, 1]`.
 */
import * as tf from '@tensorflow/tfjs-core';

export function localDiceCE(logits: tf.Tensor5D, labels: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => {
    const c = logits.shape[4];
    const target = tf.oneHot(tf.cast(tf.squeeze(labels, [4]), 'int32'), c) as tf.Tensor5D;
    const probs = tf.softmax(logits, -1);
    const axes = [1, 2, 3];
    const intersection = tf.sum(tf.mul(probs, target), axes);
    const denominator = tf.add(tf.sum(target, axes), tf.sum(probs, axes));
    const dice = tf.mean(
      tf.sub(1, tf.div(tf.add(tf.mul(intersection, 2), 1e-5), tf.add(denominator, 1e-5))),
    );
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits, -1)), -1)));
    return tf.add(dice, ce) as tf.Scalar;
  });
}
