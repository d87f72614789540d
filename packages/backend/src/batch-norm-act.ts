/**
 * Batch normalisation of channel-first tensors fused with PReLU, as one differentiable op: the
 * "N" and "A" of MONAI's ADN block. A backend that registers the `VoxelkitBatchNormAct*` kernels
 * (the native CPU kernels do) computes it in one pass forward and two backward; elsewhere it is
 * composed from tfjs ops (`moments`, `mul`, `add`, `prelu`), with identical results.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link batchNormAct}. */
export interface BatchNormActOptions {
  /** Training mode: normalise with the batch statistics (and return them). */
  training: boolean;
  /** Added to the variance (PyTorch `eps`). */
  eps: number;
  /** PReLU weight (shape `[1]`) applied after the normalisation, or undefined for none. */
  alpha?: tf.Tensor;
}

/** What {@link batchNormAct} returns. */
export interface BatchNormActResult {
  /** `act(γ·(x − mean)/√(variance + eps) + β)`, shaped like `x`. */
  y: tf.Tensor5D;
  /** Per-channel mean used: the batch mean in training mode, the running mean otherwise. */
  mean: tf.Tensor1D;
  /** Per-channel biased variance used (batch or running). */
  variance: tf.Tensor1D;
}

/**
 * Names of the kernels a backend registers to run {@link batchNormAct} natively:
 * - `forward`: `{ x, gamma, beta, alpha, runningMean, runningVar }`, attrs
 *   `{ eps, training, hasAct }` → `[y, mean, variance]`;
 * - `backward`: `{ dy, x, gamma, beta, alpha, mean, variance }`, same attrs →
 *   `[dx, dGamma, dBeta, dAlpha]` (`dAlpha` is 0 when `hasAct` is false).
 */
export const BATCH_NORM_ACT_KERNELS = {
  /** Normalisation (+ PReLU) and the statistics used. */
  forward: 'VoxelkitBatchNormAct',
  /** All four gradients at once. */
  backward: 'VoxelkitBatchNormActGrad',
} as const;

/**
 * `nn.BatchNorm3d` followed by `nn.PReLU` (optional) on `[N, C, D, H, W]` tensors. Statistics are
 * over `(N, D, H, W)`; the variance is the biased one (PyTorch normalises with it, and the caller
 * updates its running variance with the unbiased `variance·n/(n − 1)`).
 *
 * @param x - `[N, C, D, H, W]`.
 * @param gamma - `[C]` scale; `beta` - `[C]` shift.
 * @param runningMean - `[C]`, used in evaluation mode; `runningVar` likewise.
 * @example
 * ```ts
 * const { y, mean, variance } = batchNormAct(x, gamma, beta, runningMean, runningVar, {
 *   training: true, eps: 1e-5, alpha: preluWeight,
 * });
 * ```
 */
export function batchNormAct(
  x: tf.Tensor5D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  options: BatchNormActOptions,
): BatchNormActResult {
  registerBatchNormActGradient();
  if (!tf.getKernel(BATCH_NORM_ACT_KERNELS.forward, tf.getBackend())) {
    return batchNormActComposite(x, gamma, beta, runningMean, runningVar, options);
  }
  const hasAct = options.alpha !== undefined;
  const alpha = options.alpha ?? tf.zeros([1]);
  try {
    const [y, mean, variance] = tf
      .engine()
      .runKernel(
        BATCH_NORM_ACT_KERNELS.forward,
        { x, gamma, beta, alpha, runningMean, runningVar },
        { eps: options.eps, training: options.training, hasAct },
      ) as tf.Tensor[];
    return { y: y as tf.Tensor5D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  } finally {
    if (!hasAct) alpha.dispose();
  }
}

/**
 * {@link batchNormAct} composed from tfjs ops: the reference the native kernels are tested
 * against, and the path on backends without them.
 */
export function batchNormActComposite(
  x: tf.Tensor5D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  options: BatchNormActOptions,
): BatchNormActResult {
  return tf.tidy(() => {
    const stats = options.training
      ? tf.moments(x, [0, 2, 3, 4])
      : { mean: runningMean, variance: runningVar };
    const mean = stats.mean as tf.Tensor1D;
    const variance = stats.variance as tf.Tensor1D;
    // y = (x − mean)·γ/√(var + eps) + β, folded into one scale and one shift per channel.
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, options.eps)));
    const shift = tf.sub(beta, tf.mul(mean, scale));
    const toChannels = (t: tf.Tensor) => tf.reshape(t, [1, -1, 1, 1, 1]);
    let y = tf.add(tf.mul(x, toChannels(scale)), toChannels(shift)) as tf.Tensor5D;
    if (options.alpha) y = tf.prelu(y, options.alpha as tf.Tensor5D);
    // Return copies of the running statistics so that every output is a new tensor.
    return { y, mean: tf.clone(mean), variance: tf.clone(variance) };
  });
}

let gradientRegistered = false;

function registerBatchNormActGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  if (tf.getGradient(BATCH_NORM_ACT_KERNELS.forward)) return;
  tf.registerGradient({
    kernelName: BATCH_NORM_ACT_KERNELS.forward,
    inputsToSave: ['x', 'gamma', 'beta', 'alpha'],
    outputsToSave: [false, true, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [dy, dMean, dVariance] = Array.isArray(dys) ? dys : [dys];
      const [x, gamma, beta, alpha, mean, variance] = saved;
      const { training, eps } = attrs as unknown as { training: boolean; eps: number };
      // One kernel call yields all four gradients; tfjs asks for them one input at a time.
      const [dx, dGamma, dBeta, dAlpha] = tf
        .engine()
        .runKernel(
          BATCH_NORM_ACT_KERNELS.backward,
          { dy, x, gamma, beta, alpha, mean, variance },
          attrs,
        ) as tf.Tensor[];
      // Gradients arriving through the mean/variance outputs (tfjs passes zeros when those
      // outputs are unused, as in the UNet): one value per channel, so checking them is cheap.
      const used = (t: tf.Tensor | undefined) =>
        t != null && Array.from(t.dataSync() as Float32Array).some((v) => v !== 0);
      const meanUsed = used(dMean);
      const varianceUsed = used(dVariance);
      const toChannels = (t: tf.Tensor) => tf.reshape(t, [1, -1, 1, 1, 1]);
      const xGrad = () => {
        if (!training || (!meanUsed && !varianceUsed)) return dx;
        // mean = Σx/n and variance = Σ(x − mean)²/n over (N, D, H, W).
        const n = x.size / (x.shape[1] ?? 1);
        let g = dx;
        if (meanUsed) g = tf.add(g, toChannels(tf.div(dMean!, n)));
        if (varianceUsed) {
          const centred = tf.sub(x, toChannels(mean));
          g = tf.add(g, tf.mul(centred, toChannels(tf.mul(dVariance!, 2 / n))));
        }
        return g;
      };
      // The running statistics only shape y in evaluation mode, where dβ = Σdz and
      // dγ = invStd·Σdz·(x − mean): d/dmean = −γ·invStd·dβ, d/dvar = −½·γ·invStd²·dγ. There the
      // returned mean and variance are the running ones, so their gradients pass straight on.
      const invStd = () => tf.rsqrt(tf.add(variance, eps));
      const runningMeanGrad = () => {
        if (training) return tf.zerosLike(mean);
        const fromY = tf.neg(tf.mul(tf.mul(gamma, invStd()), dBeta));
        return meanUsed ? tf.add(fromY, dMean!) : fromY;
      };
      const runningVarGrad = () => {
        if (training) return tf.zerosLike(variance);
        const fromY = tf.mul(tf.mul(tf.mul(gamma, tf.square(invStd())), dGamma), -0.5);
        return varianceUsed ? tf.add(fromY, dVariance!) : fromY;
      };
      return {
        x: xGrad,
        gamma: () => dGamma,
        beta: () => dBeta,
        alpha: () => dAlpha,
        runningMean: runningMeanGrad,
        runningVar: runningVarGrad,
      };
    },
  });
}
