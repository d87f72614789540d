/**
 * 3D convolution and transposed convolution with PyTorch semantics (explicit symmetric padding,
 * `output_padding`) on channel-first tensors, through `@voxelkit/backend`'s `conv3dNcdhw` (native
 * kernels when registered, tfjs ops otherwise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv3dNcdhw } from '@voxelkit/backend';
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

/** `nn.Conv3d` equivalent; the weight is kept in tfjs' filter layout `[kD, kH, kW, Cin, Cout]`. */
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

  /** `x`: `[N, Cin, D, H, W]` → `[N, Cout, D', H', W']`. */
  apply(x: tf.Tensor5D, _ctx?: ForwardContext): tf.Tensor5D {
    const { stride, padding } = this.geometry;
    return conv3dNcdhw(x, this.weight as tf.Tensor5D, this.bias as tf.Tensor1D | undefined, {
      stride,
      padding,
      transposed: false,
      outputPadding: [0, 0, 0],
    });
  }

  collect(prefix: string, state: StateEntry[], _counters: CounterEntry[]): void {
    const { inChannels, outChannels, kernelSize: k } = this.geometry;
    collectConvParameters(prefix, state, this, [outChannels, inChannels, ...k]);
  }
}

/**
 * `nn.ConvTranspose3d` equivalent with `padding` and `output_padding` (output size
 * `(n−1)·s − 2p + k + output_padding`); weight layout `[kD, kH, kW, Cout, Cin]`.
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

  /** `x`: `[N, Cin, D, H, W]` → `[N, Cout, D', H', W']`. */
  apply(x: tf.Tensor5D, _ctx?: ForwardContext): tf.Tensor5D {
    const { stride, padding, outputPadding } = this.geometry;
    return conv3dNcdhw(x, this.weight as tf.Tensor5D, this.bias as tf.Tensor1D | undefined, {
      stride,
      padding,
      transposed: true,
      outputPadding,
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
