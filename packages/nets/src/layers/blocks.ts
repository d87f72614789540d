/**
 * MONAI's building blocks: `Convolution` (conv + ADN), `ResidualUnit`, plus the two containers
 * the UNet is assembled from (`nn.Sequential`, `SkipConnection`). Children are named exactly as
 * in PyTorch so that state-dict names match MONAI's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxelkit/core';
import { Dropout, PReLU } from './activation.js';
import { Conv3d, ConvTranspose3d } from './conv.js';
import type { CounterEntry, ForwardContext, Module, StateEntry } from './module.js';
import { BatchNorm3d, InstanceNorm3d } from './norm.js';

/** Options shared by the blocks (MONAI's `Convolution`/`ResidualUnit` arguments we support). */
export interface BlockOptions {
  kernelSize: number;
  norm: 'batch' | 'instance';
  dropout: number;
  bias: boolean;
}

/** `nn.Sequential`: children named `0`, `1`, … (or given names), applied in order. */
export class Sequential implements Module {
  constructor(readonly children: [string, Module][]) {}

  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => this.children.reduce((h, [, m]) => m.apply(h, ctx), x));
  }

  collect(prefix: string, state: StateEntry[], counters: CounterEntry[]): void {
    for (const [name, m] of this.children) m.collect(`${prefix}${name}.`, state, counters);
  }
}

/** MONAI `SkipConnection` (mode "cat"): `concat([x, submodule(x)], channels)` (axis 1). */
export class SkipConnection implements Module {
  constructor(readonly submodule: Module) {}

  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => tf.concat([x, this.submodule.apply(x, ctx)], 1));
  }

  collect(prefix: string, state: StateEntry[], counters: CounterEntry[]): void {
    this.submodule.collect(`${prefix}submodule.`, state, counters);
  }
}

/**
 * MONAI `Convolution`: a conv (or transposed conv) followed, unless `convOnly`, by ADN in the
 * order "NDA" — norm, dropout, PReLU. Padding is `kernel // 2`; a transposed conv gets
 * `output_padding = stride − 1`, so it exactly multiplies the size by the stride.
 */
export class Convolution implements Module {
  readonly conv: Conv3d | ConvTranspose3d;
  readonly norm: BatchNorm3d | InstanceNorm3d | undefined;
  readonly dropout: Dropout | undefined;
  readonly act: PReLU | undefined;

  constructor(
    inChannels: number,
    outChannels: number,
    stride: number,
    options: BlockOptions & { transposed?: boolean; convOnly?: boolean; kernelSize: number },
    rng: Rng,
  ) {
    const k = options.kernelSize;
    const pad = Math.floor(k / 2);
    const geometry = {
      inChannels,
      outChannels,
      kernelSize: [k, k, k] as [number, number, number],
      stride: [stride, stride, stride] as [number, number, number],
      padding: [pad, pad, pad] as [number, number, number],
      bias: options.bias,
    };
    this.conv = options.transposed
      ? new ConvTranspose3d(
          { ...geometry, outputPadding: [stride - 1, stride - 1, stride - 1] },
          rng,
        )
      : new Conv3d(geometry, rng);
    if (!options.convOnly) {
      this.norm =
        options.norm === 'batch' ? new BatchNorm3d(outChannels) : new InstanceNorm3d(outChannels);
      this.dropout = new Dropout(options.dropout);
      this.act = new PReLU();
    }
  }

  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => {
      let y = this.conv.apply(x, ctx);
      const dropoutActive = ctx.training && (this.dropout?.rate ?? 0) > 0;
      if (this.norm instanceof BatchNorm3d && this.act && !dropoutActive) {
        // N and A in one pass (dropout between them would be the identity).
        return this.norm.applyWithAct(y, ctx, this.act.weight);
      }
      if (this.norm) y = this.norm.apply(y, ctx);
      if (this.dropout) y = this.dropout.apply(y, ctx);
      if (this.act) y = this.act.apply(y, ctx);
      return y;
    });
  }

  collect(prefix: string, state: StateEntry[], counters: CounterEntry[]): void {
    this.conv.collect(`${prefix}conv.`, state, counters);
    this.norm?.collect(`${prefix}adn.N.`, state, counters);
    this.act?.collect(`${prefix}adn.A.`, state, counters);
  }
}

/**
 * MONAI `ResidualUnit`: `subunits` Convolutions (the first one strided, the last one optionally
 * conv-only) plus a residual path — identity when stride and channels are unchanged, otherwise a
 * conv with the same kernel and stride (or a 1×1×1 conv without padding when only the channel
 * count changes). Output = `convs(x) + residual(x)`.
 */
export class ResidualUnit implements Module {
  readonly units: Convolution[] = [];
  readonly residual: Conv3d | undefined;

  constructor(
    inChannels: number,
    outChannels: number,
    stride: number,
    subunits: number,
    options: BlockOptions & { lastConvOnly?: boolean },
    rng: Rng,
  ) {
    const count = Math.max(1, subunits);
    let channels = inChannels;
    let s = stride;
    for (let i = 0; i < count; i++) {
      const convOnly = options.lastConvOnly === true && i === count - 1;
      this.units.push(new Convolution(channels, outChannels, s, { ...options, convOnly }, rng));
      channels = outChannels;
      s = 1;
    }
    if (stride !== 1 || inChannels !== outChannels) {
      const k = stride === 1 ? 1 : options.kernelSize;
      const p = stride === 1 ? 0 : Math.floor(options.kernelSize / 2);
      this.residual = new Conv3d(
        {
          inChannels,
          outChannels,
          kernelSize: [k, k, k],
          stride: [stride, stride, stride],
          padding: [p, p, p],
          bias: options.bias,
        },
        rng,
      );
    }
  }

  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D {
    return tf.tidy(() => {
      const res = this.residual ? this.residual.apply(x, ctx) : x;
      const cx = this.units.reduce((h, u) => u.apply(h, ctx), x);
      return tf.add(cx, res);
    });
  }

  collect(prefix: string, state: StateEntry[], counters: CounterEntry[]): void {
    this.units.forEach((u, i) => u.collect(`${prefix}conv.unit${i}.`, state, counters));
    this.residual?.collect(`${prefix}residual.`, state, counters);
  }
}
