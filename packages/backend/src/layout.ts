/**
 * The one place that converts between voxelkit's channel-first arrays (`[B, C, X, Y, Z]`, MONAI's
 * order, row-major) and the channels-last tensors tfjs 3D ops need (`[B, X, Y, Z, C]`, NDHWC).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@voxelkit/core';

/** A channel-first batch on plain memory: `data` holds `shape` = `[B, C, X, Y, Z]` row-major. */
export interface ChannelsFirstArray {
  /** Values, row-major, last axis fastest. */
  data: Float32Array;
  /** `[B, C, X, Y, Z]`. */
  shape: number[];
}

/**
 * Builds a channels-last tensor `[B, X, Y, Z, C]` from channel-first data `[B, C, X, Y, Z]`.
 * For `C = 1` the memory is identical and no transpose runs.
 *
 * @param data - float32 values, `B·C·X·Y·Z` of them, last axis fastest.
 * @param shape - `[B, C, X, Y, Z]`.
 * @throws ShapeError when `shape` is not five positive integers or does not match `data.length`.
 *
 * @example
 * ```ts
 * const x = channelsFirstToTensor(new Float32Array(2 * 8 * 8 * 8), [1, 2, 8, 8, 8]);
 * x.shape; // [1, 8, 8, 8, 2]
 * ```
 */
export function channelsFirstToTensor(
  data: Float32Array,
  shape: readonly [number, number, number, number, number] | readonly number[],
): tf.Tensor5D {
  checkShape(shape, data.length);
  const [b, c, x, y, z] = shape;
  if (c === 1) return tf.tensor5d(data, [b, x, y, z, 1]);
  return tf.tidy(() => tf.transpose(tf.tensor5d(data, [b, c, x, y, z]), [0, 2, 3, 4, 1]));
}

/**
 * Reads a channels-last tensor `[B, X, Y, Z, C]` back into channel-first memory
 * `[B, C, X, Y, Z]`. Synchronous (downloads the tensor); the tensor is not disposed.
 *
 * @param t - a rank-5 tensor in NDHWC order.
 * @returns fresh `data` (float32) and `shape` `[B, C, X, Y, Z]`.
 * @throws ShapeError when `t` is not rank 5.
 */
export function tensorToChannelsFirst(t: tf.Tensor5D): ChannelsFirstArray {
  const [b, x, y, z, c] = rank5(t);
  const shape = [b, c, x, y, z];
  if (c === 1) return { data: Float32Array.from(t.dataSync()), shape };
  const transposed = tf.tidy(() => tf.transpose(t, [0, 4, 1, 2, 3]));
  try {
    return { data: Float32Array.from(transposed.dataSync()), shape };
  } finally {
    transposed.dispose();
  }
}

/**
 * Asynchronous {@link tensorToChannelsFirst}: waits for the backend instead of blocking, which
 * matters on GPU backends.
 */
export async function tensorToChannelsFirstAsync(t: tf.Tensor5D): Promise<ChannelsFirstArray> {
  const [b, x, y, z, c] = rank5(t);
  const shape = [b, c, x, y, z];
  if (c === 1) return { data: Float32Array.from(await t.data()), shape };
  const transposed = tf.tidy(() => tf.transpose(t, [0, 4, 1, 2, 3]));
  try {
    return { data: Float32Array.from(await transposed.data()), shape };
  } finally {
    transposed.dispose();
  }
}

function checkShape(shape: readonly number[], length: number): void {
  if (shape.length !== 5 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ShapeError(
      'channelsFirstToTensor needs a [B, C, X, Y, Z] shape of positive integers',
      {
        field: 'shape',
        expected: '[B, C, X, Y, Z]',
        actual: shape,
      },
    );
  }
  const expected = shape.reduce((a, d) => a * d, 1);
  if (expected !== length) {
    throw new ShapeError('channelsFirstToTensor: data length does not match the shape', {
      field: 'data.length',
      expected,
      actual: length,
    });
  }
}

function rank5(t: tf.Tensor): number[] {
  if (t.rank !== 5) {
    throw new ShapeError('tensorToChannelsFirst needs a rank-5 [B, X, Y, Z, C] tensor', {
      field: 'tensor.shape',
      expected: '[B, X, Y, Z, C]',
      actual: t.shape,
    });
  }
  return t.shape;
}
