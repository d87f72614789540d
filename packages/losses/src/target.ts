/**
 * Shape checks and one-hot conversion of segmentation targets for the losses (channels-last).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError, ShapeError } from '@voxelkit/core';

/**
 * Checks that logits are `[N, X, Y, Z, C]` and the target is `[N, X, Y, Z, 1]` (class indices)
 * or `[N, X, Y, Z, C]` (one-hot / probabilities), naming the expected shape when it is not.
 *
 * @param loss - name of the calling loss, for messages
 * @returns the number of logit channels C
 */
export function checkLossShapes(loss: string, logits: tf.Tensor, target: tf.Tensor): number {
  if (logits.rank !== 5) {
    throw new ShapeError(`${loss}: logits must be channels-last [N, X, Y, Z, C]`, {
      field: 'logits.shape',
      expected: '[N, X, Y, Z, C]',
      actual: logits.shape,
    });
  }
  const [n, x, y, z, channels] = logits.shape as [number, number, number, number, number];
  const sameGrid = target.rank === 5 && [n, x, y, z].every((d, i) => target.shape[i] === d);
  const targetChannels = target.shape[4];
  if (!sameGrid || (targetChannels !== 1 && targetChannels !== channels)) {
    throw new ShapeError(
      `${loss}: target must be class indices [N, X, Y, Z, 1] or one-hot [N, X, Y, Z, C] matching the logits`,
      {
        field: 'target.shape',
        expected: `[${n}, ${x}, ${y}, ${z}, 1] or [${n}, ${x}, ${y}, ${z}, ${channels}]`,
        actual: target.shape,
      },
    );
  }
  return channels;
}

/**
 * One-hot encodes a class-index target `[N, X, Y, Z, 1]` into `[N, X, Y, Z, C]` float32.
 *
 * Values must be integers in [0, C): anything else throws a `DataError` (a silent all-zero
 * row would bias the loss). The check reads the target back from the backend once.
 *
 * @param target - class indices (any numeric dtype)
 * @param numClasses - C
 */
export function oneHotTarget(target: tf.Tensor, numClasses: number, validate: boolean): tf.Tensor {
  return tf.tidy(() => {
    const indices = tf.squeeze(target, [4]);
    if (validate) checkClassIndices(indices, numClasses);
    return tf.cast(tf.oneHot(tf.cast(indices, 'int32'), numClasses), 'float32');
  });
}

function checkClassIndices(indices: tf.Tensor, numClasses: number): void {
  const values = indices.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < numClasses)) {
      throw new DataError('target holds a value that is not a class index', {
        field: 'target',
        expected: `integers in [0, ${numClasses - 1}]`,
        actual: v,
      });
    }
  }
}
