/**
 * Log-softmax as one differentiable op. tfjs' `tf.logSoftmax` is composed of six ops (max,
 * subtract, exp, sum, log, subtract), each a pass over the logits; over the 2-class axis of a
 * UNet's 2×96³ logits that took about 0.1 s of a training step. A backend that registers the
 * `VoxelkitLogSoftmax*` kernels (the native CPU kernels do) computes it in one call each way;
 * elsewhere this is `tf.logSoftmax`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@voxelkit/core';

/**
 * Names of the kernels a backend registers to run {@link logSoftmax} natively:
 * - `forward`: `{ logits }`, attrs `{ axis }` (non-negative) → `y`;
 * - `backward`: `{ dy, y }`, attrs `{ axis }` → `dy − exp(y)·Σ_axis dy`.
 */
export const LOG_SOFTMAX_KERNELS = {
  /** `y = logits − log Σ_axis exp(logits)`. */
  forward: 'VoxelkitLogSoftmax',
  /** Its gradient, from `dy` and `y`. */
  backward: 'VoxelkitLogSoftmaxGrad',
} as const;

/**
 * `log(softmax(logits))` along `axis`, computed stably.
 *
 * @param logits - float32 tensor.
 * @param axis - the class axis: the last one (`-1` or `rank − 1`), as for `tf.logSoftmax`.
 * @throws ArgumentError for any other axis.
 * @example
 * ```ts
 * const logProbabilities = logSoftmax(logits); // [N, X, Y, Z, C], classes last
 * ```
 */
export function logSoftmax(logits: tf.Tensor, axis = -1): tf.Tensor {
  registerLogSoftmaxGradient();
  const $axis = axis < 0 ? axis + logits.rank : axis;
  if ($axis !== logits.rank - 1) {
    throw new ArgumentError('logSoftmax works along the last axis only (as tf.logSoftmax)', {
      field: 'axis',
      expected: `-1 or ${logits.rank - 1}`,
      actual: axis,
    });
  }
  if (logits.dtype !== 'float32' || !tf.getKernel(LOG_SOFTMAX_KERNELS.forward, tf.getBackend())) {
    return tf.logSoftmax(logits, $axis);
  }
  return tf
    .engine()
    .runKernel(LOG_SOFTMAX_KERNELS.forward, { logits }, { axis: $axis }) as tf.Tensor;
}

let gradientRegistered = false;

function registerLogSoftmaxGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  if (tf.getGradient(LOG_SOFTMAX_KERNELS.forward)) return;
  tf.registerGradient({
    kernelName: LOG_SOFTMAX_KERNELS.forward,
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = Array.isArray(dy) ? dy[0] : dy;
      const [y] = saved;
      return {
        logits: () =>
          tf.engine().runKernel(LOG_SOFTMAX_KERNELS.backward, { dy: g, y }, attrs) as tf.Tensor,
      };
    },
  });
}
