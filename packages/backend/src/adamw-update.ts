/**
 * One AdamW update of one parameter as one op. A backend that registers the `VoxelkitAdamW`
 * kernel (the native CPU kernels do) does it in a single pass over the four buffers; elsewhere it
 * is composed from tfjs ops with the same float32 arithmetic.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Per-step constants of {@link adamwUpdate} (the optimiser folds the bias corrections in). */
export interface AdamWUpdateConstants {
  /** `lr / (1 − β1^t)`. */
  stepSize: number;
  /** β1. */
  beta1: number;
  /** β2. */
  beta2: number;
  /** `√(1 − β2^t)`. */
  biasCorrection2Sqrt: number;
  /** Added to the denominator. */
  eps: number;
  /** `1 − lr·weightDecay` (decoupled weight decay). */
  decay: number;
}

/** What {@link adamwUpdate} returns: new tensors for the parameter and its two moments. */
export interface AdamWUpdateResult {
  /** `decay·p − stepSize·m'/(√v'/biasCorrection2Sqrt + eps)`. */
  param: tf.Tensor;
  /** `m' = β1·m + (1 − β1)·g`. */
  expAvg: tf.Tensor;
  /** `v' = β2·v + (1 − β2)·g²`. */
  expAvgSq: tf.Tensor;
}

/**
 * Name of the kernel a backend registers to run {@link adamwUpdateMany} (and so
 * {@link adamwUpdate}) natively: inputs `param0, grad0, expAvg0, expAvgSq0, param1, …` (float32;
 * each group of one shape), attrs {@link AdamWUpdateConstants} plus `count`, outputs
 * `[param'0, expAvg'0, expAvgSq'0, param'1, …]`.
 */
export const ADAMW_KERNEL = 'VoxelkitAdamW';

/** One parameter's tensors for {@link adamwUpdateMany}. */
export interface AdamWUpdateInput {
  /** The parameter. */
  param: tf.Tensor;
  /** Its gradient. */
  grad: tf.Tensor;
  /** First moment. */
  expAvg: tf.Tensor;
  /** Second moment. */
  expAvgSq: tf.Tensor;
}

/**
 * Computes one AdamW step for a parameter `param` with gradient `grad` and moments `expAvg`,
 * `expAvgSq`. Returns new tensors; the caller assigns them.
 *
 * @example
 * ```ts
 * const next = adamwUpdate(p, g, m, v, { stepSize, beta1: 0.9, beta2: 0.999,
 *   biasCorrection2Sqrt, eps: 1e-8, decay: 1 - lr * weightDecay });
 * p.assign(next.param);
 * ```
 */
export function adamwUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  expAvg: tf.Tensor,
  expAvgSq: tf.Tensor,
  constants: AdamWUpdateConstants,
): AdamWUpdateResult {
  return adamwUpdateMany([{ param, grad, expAvg, expAvgSq }], constants)[0];
}

/**
 * {@link adamwUpdate} for many parameters at once: one kernel call when the backend has
 * `VoxelkitAdamW` (a UNet's ~100 parameters, most of them a few values, cost more in per-call
 * overhead than in arithmetic). Parameters the kernel does not take (not float32, or shapes that
 * differ) go through {@link adamwUpdateComposite}. Results come in the order of `inputs`.
 */
export function adamwUpdateMany(
  inputs: readonly AdamWUpdateInput[],
  constants: AdamWUpdateConstants,
): AdamWUpdateResult[] {
  const useKernel = tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined;
  const native = inputs.filter(
    (e) => useKernel && nativeCompatible(e.param, e.grad, e.expAvg, e.expAvgSq),
  );
  const named: tf.NamedTensorMap = {};
  native.forEach((e, i) => {
    named[`param${i}`] = e.param;
    named[`grad${i}`] = e.grad;
    named[`expAvg${i}`] = e.expAvg;
    named[`expAvgSq${i}`] = e.expAvgSq;
  });
  const out =
    native.length === 0
      ? []
      : (tf.engine().runKernel(ADAMW_KERNEL, named, {
          ...constants,
          count: native.length,
        } as unknown as tf.NamedAttrMap) as tf.Tensor[]);
  return inputs.map((e) => {
    const i = native.indexOf(e);
    if (i < 0) return adamwUpdateComposite(e.param, e.grad, e.expAvg, e.expAvgSq, constants);
    return { param: out[3 * i], expAvg: out[3 * i + 1], expAvgSq: out[3 * i + 2] };
  });
}

/** {@link adamwUpdate} composed from tfjs ops (the reference, and the path elsewhere). */
export function adamwUpdateComposite(
  param: tf.Tensor,
  grad: tf.Tensor,
  expAvg: tf.Tensor,
  expAvgSq: tf.Tensor,
  c: AdamWUpdateConstants,
): AdamWUpdateResult {
  return tf.tidy(() => {
    const m = tf.add(tf.mul(expAvg, c.beta1), tf.mul(grad, 1 - c.beta1));
    const v = tf.add(tf.mul(expAvgSq, c.beta2), tf.mul(tf.square(grad), 1 - c.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v), c.biasCorrection2Sqrt), c.eps);
    const decayed = c.decay === 1 ? param : tf.mul(param, c.decay);
    const p = tf.sub(decayed, tf.mul(tf.div(m, denom), c.stepSize));
    return { param: p, expAvg: m, expAvgSq: v };
  });
}

// The kernels take float32 tensors of one shape; anything else goes to the composition, which
// broadcasts, casts or throws exactly as tfjs does.
function nativeCompatible(...tensors: tf.Tensor[]): boolean {
  const [first] = tensors;
  return tensors.every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, first.shape));
}
