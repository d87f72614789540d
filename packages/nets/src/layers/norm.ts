/**
 * Normalisation layers on channel-first `[N, C, D, H, W]` tensors. Batch norm goes through
 * `@voxelkit/backend`'s `batchNormAct` (one native kernel, optionally fused with the PReLU that
 * follows it; tfjs ops elsewhere), never `tf.batchNorm`, whose gradient fails on rank-5 tensors in
 * tfjs 4.22.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormAct } from '@voxelkit/backend';
import { constantVariable } from './init.js';
import type { CounterEntry, ForwardContext, Module, StateEntry } from './module.js';

/**
 * `nn.BatchNorm3d(C, eps, momentum, affine=True, track_running_stats=True)`. Training mode
 * normalises with the batch mean and biased variance over `(N, X, Y, Z)` and updates the running
 * statistics as PyTorch does (`running = (1 − momentum)·running + momentum·batch`, with the
 * unbiased variance `var·n/(n−1)`); evaluation mode uses the running statistics.
 */
export class BatchNorm3d implements Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  /** PyTorch's `num_batches_tracked`: training-mode forward passes seen. */
  numBatchesTracked = 0;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    this.weight = constantVariable([numFeatures], 1, true);
    this.bias = constantVariable([numFeatures], 0, true);
    this.runningMean = constantVariable([numFeatures], 0, false);
    this.runningVar = constantVariable([numFeatures], 1, false);
  }

  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D {
    return this.applyWithAct(x, ctx, undefined);
  }

  /**
   * Normalises `x` and, when `alpha` is given, applies PReLU with that weight in the same pass
   * (MONAI's ADN without dropout).
   */
  applyWithAct(x: tf.Tensor5D, ctx: ForwardContext, alpha: tf.Tensor | undefined): tf.Tensor5D {
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormAct(
        x,
        this.weight as tf.Tensor1D,
        this.bias as tf.Tensor1D,
        this.runningMean as tf.Tensor1D,
        this.runningVar as tf.Tensor1D,
        { training: ctx.training, eps: this.eps, alpha },
      );
      if (ctx.training) this.updateRunningStats(mean, variance, x.size / this.numFeatures);
      return y;
    });
  }

  collect(prefix: string, state: StateEntry[], counters: CounterEntry[]): void {
    const c = [this.numFeatures];
    state.push({ name: `${prefix}weight`, variable: this.weight, trainable: true, torchShape: c });
    state.push({ name: `${prefix}bias`, variable: this.bias, trainable: true, torchShape: c });
    state.push({
      name: `${prefix}running_mean`,
      variable: this.runningMean,
      trainable: false,
      torchShape: c,
    });
    state.push({
      name: `${prefix}running_var`,
      variable: this.runningVar,
      trainable: false,
      torchShape: c,
    });
    counters.push({
      name: `${prefix}num_batches_tracked`,
      get: () => this.numBatchesTracked,
      set: (v) => {
        this.numBatchesTracked = v;
      },
    });
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const m = this.momentum;
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    // The new values are tfjs tensors derived from the batch; assign() keeps their data alive.
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    this.numBatchesTracked += 1;
  }
}

/**
 * `nn.InstanceNorm3d(C)` with PyTorch's defaults (`affine=False`, no running statistics):
 * each sample and channel is normalised by its own mean and biased variance, in training and
 * evaluation alike. It has no state.
 */
export class InstanceNorm3d implements Module {
  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
  ) {}

  apply(x: tf.Tensor5D, _ctx: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [2, 3, 4], true);
      return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    });
  }

  collect(_prefix: string, _state: StateEntry[], _counters: CounterEntry[]): void {}
}
