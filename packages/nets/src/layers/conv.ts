/**
 * 3D convolution and transposed convolution with PyTorch semantics (explicit symmetric padding,
 * `output_padding`), on tfjs' channels-last ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxelkit/core';
import { uniformVariable } from './init.js';
import {
  CONV_WEIGHT_PERM,
  type CounterEntry,
  type ForwardContext,
  type Module,
  type StateEntry,
} from './module.js';

/** Geometry shared by both convolutions (one value per spatial axis). */
export interface ConvGeometry {
  inChannels: number;
  outChannels: number;
  kernelSize: [number, number, number];
  stride: [number, number, number];
  padding: [number, number, number];
  bias: boolean;
}

/**
 * `nn.Conv3d` equivalent. tfjs' `conv3d` knows only 'same'/'valid' padding, and its 'same'
 * pads asymmetrically for strided convs (PyTorch pads `padding` voxels on both sides), so strided
 * or unusual paddings pad explicitly and convolve 'valid'.
 */
export class Conv3d implements Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly geometry: ConvGeometry,
    rng: Rng,
  ) {
    const { inChannels, outChannels, kernelSize: k, bias } = geometry;
    const bound = 1 / Math.sqrt(inChannels * k[0] * k[1] * k[2]);
    this.weight = uniformVariable([k[0], k[1], k[2], inChannels, outChannels], bound, rng);
    this.bias = bias ? uniformVariable([outChannels], bound, rng) : undefined;
  }

  apply(x: tf.Tensor5D, _ctx?: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => {
      const { kernelSize: k, stride: s, padding: p } = this.geometry;
      const unitStride = s.every((v) => v === 1);
      const samePadding = p.every((v, i) => 2 * v === k[i] - 1);
      let y: tf.Tensor5D;
      if (unitStride && samePadding) {
        y = tf.conv3d(x, this.weight as tf.Tensor5D, 1, 'same');
      } else {
        const padded = p.some((v) => v > 0)
          ? tf.pad(x, [
              [0, 0],
              [p[0], p[0]],
              [p[1], p[1]],
              [p[2], p[2]],
              [0, 0],
            ])
          : x;
        y = tf.conv3d(padded, this.weight as tf.Tensor5D, s, 'valid');
      }
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  collect(prefix: string, state: StateEntry[], _counters: CounterEntry[]): void {
    const { inChannels, outChannels, kernelSize: k } = this.geometry;
    collectConvParameters(prefix, state, this, [outChannels, inChannels, ...k]);
  }
}

/**
 * `nn.ConvTranspose3d` equivalent with `padding` and `output_padding`. Computed as tfjs'
 * 'valid' `conv3dTranspose` (full output `(n−1)·s + k`), then cropped by `padding` at the start
 * and extended by `output_padding` at the end, which is exactly PyTorch's output
 * `(n−1)·s − 2p + k + output_padding`.
 */
export class ConvTranspose3d implements Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly geometry: ConvGeometry & { outputPadding: [number, number, number] },
    rng: Rng,
  ) {
    const { inChannels, outChannels, kernelSize: k, bias } = geometry;
    // PyTorch computes fan_in of a transposed conv from weight.size(1) = out_channels.
    const bound = 1 / Math.sqrt(outChannels * k[0] * k[1] * k[2]);
    this.weight = uniformVariable([k[0], k[1], k[2], outChannels, inChannels], bound, rng);
    this.bias = bias ? uniformVariable([outChannels], bound, rng) : undefined;
  }

  apply(x: tf.Tensor5D, _ctx?: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => {
      const {
        kernelSize: k,
        stride: s,
        padding: p,
        outputPadding: op,
        outChannels,
      } = this.geometry;
      const [n, ...spatial] = x.shape;
      const full = spatial.slice(0, 3).map((d, i) => (d - 1) * s[i] + k[i]);
      let y = tf.conv3dTranspose(
        x,
        this.weight as tf.Tensor5D,
        [n, full[0], full[1], full[2], outChannels],
        s,
        'valid',
      );
      const want = full.map((f, i) => f - 2 * p[i] + op[i]);
      const take = want.map((w, i) => Math.min(w, full[i] - p[i]));
      if (p.some((v) => v > 0) || take.some((t, i) => t !== full[i])) {
        y = tf.slice(y, [0, p[0], p[1], p[2], 0], [n, take[0], take[1], take[2], outChannels]);
      }
      const extra = want.map((w, i) => w - take[i]);
      if (extra.some((e) => e > 0)) {
        // output_padding beyond the full output: PyTorch fills those voxels with the bias only.
        y = tf.pad(y, [
          [0, 0],
          [0, extra[0]],
          [0, extra[1]],
          [0, extra[2]],
          [0, 0],
        ]);
      }
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  collect(prefix: string, state: StateEntry[], _counters: CounterEntry[]): void {
    const { inChannels, outChannels, kernelSize: k } = this.geometry;
    // PyTorch stores a transposed convolution's weight as [in, out, k…].
    collectConvParameters(prefix, state, this, [inChannels, outChannels, ...k]);
  }
}

/**
 * Lists a convolution's weight (PyTorch shape `torchWeightShape`, tfjs layout via
 * `CONV_WEIGHT_PERM`) and optional bias under PyTorch's names.
 */
function collectConvParameters(
  prefix: string,
  state: StateEntry[],
  conv: { weight: tf.Variable; bias: tf.Variable | undefined; geometry: ConvGeometry },
  torchWeightShape: number[],
): void {
  state.push({
    name: `${prefix}weight`,
    variable: conv.weight,
    trainable: true,
    torchShape: torchWeightShape,
    perm: CONV_WEIGHT_PERM,
  });
  if (conv.bias) {
    state.push({
      name: `${prefix}bias`,
      variable: conv.bias,
      trainable: true,
      torchShape: [conv.geometry.outChannels],
    });
  }
}
