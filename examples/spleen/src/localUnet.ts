/**
 * Limitation: a stand-in 3D UNet for the example, used only while `@voxelkit/nets` does not
 * export `UNet`. It follows MONAI's UNet layout (residual units of conv → batch norm → PReLU,
 * strided down-sampling convolutions, transposed-convolution up-sampling, skip concatenation)
 * but is not weight-compatible with MONAI state dicts. See docs/spleen.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxelkit/core';

/** A network as the example's model wrapper needs it. */
export interface Network {
  /** Logits `[N, X, Y, Z, K]` for images `[N, X, Y, Z, 1]` (channels-last). */
  apply(x: tf.Tensor5D, options: { training: boolean }): tf.Tensor5D;
  /** Variables the optimiser updates. */
  readonly trainableVariables: tf.Variable[];
  /** Every variable to checkpoint (trainable ones and batch-norm running statistics). */
  readonly stateVariables: tf.Variable[];
}

/** Settings of {@link LocalUNet}. */
export interface LocalUNetConfig {
  inChannels: number;
  outChannels: number;
  channels: number[];
  strides: number[];
  numResUnits: number;
  seed: number;
}

const EPSILON = 1e-5;
const MOMENTUM = 0.1;

/** See the module comment. */
export class LocalUNet implements Network {
  readonly trainableVariables: tf.Variable[] = [];
  readonly stateVariables: tf.Variable[] = [];
  private readonly rng: Rng;
  private readonly down: Block[] = [];
  private bottom!: Block;
  private readonly up: UpLayer[] = [];
  /** Running-statistics updates collected during a training forward pass. */
  private pending: { variable: tf.Variable; value: tf.Tensor }[] = [];

  constructor(readonly config: LocalUNetConfig) {
    this.rng = Rng.derive(config.seed, 'unet-init');
    const { channels, strides } = config;
    const units = Math.max(1, config.numResUnits);
    let inC = config.inChannels;
    for (let i = 0; i < strides.length; i++) {
      this.down.push(this.block(`down${i}`, inC, channels[i], strides[i], units, false));
      inC = channels[i];
    }
    this.bottom = this.block('bottom', inC, channels[channels.length - 1], 1, units, false);
    for (let i = 0; i < strides.length; i++) {
      const top = i === 0;
      // Innermost level concatenates with the bottom's output; the others with the level below's.
      const subC = i === strides.length - 1 ? channels[i + 1] : channels[i];
      const outC = top ? config.outChannels : channels[i - 1];
      this.up.push({
        transpose: this.conv(`up${i}.conv`, channels[i] + subC, outC, 3, true),
        norm: this.norm(`up${i}.norm`, outC),
        act: this.variable(`up${i}.prelu`, tf.fill([outC], 0.25)),
        unit: config.numResUnits > 0 ? this.block(`up${i}.res`, outC, outC, 1, 1, top) : undefined,
        stride: strides[i],
        top,
      });
    }
  }

  apply(x: tf.Tensor5D, options: { training: boolean }): tf.Tensor5D {
    return this.level(0, x, options.training);
  }

  /** Level `i`: down-sample, recurse (or the bottom), concatenate, up-sample back. */
  private level(i: number, x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    const y = this.runBlock(this.down[i], x, training);
    const sub =
      i === this.down.length - 1
        ? this.runBlock(this.bottom, y, training)
        : this.level(i + 1, y, training);
    const merged = tf.concat([y, sub], 4) as tf.Tensor5D;
    const up = this.up[i];
    const outC = up.transpose.kernel.shape[3] as number;
    let h = tf.conv3dTranspose(
      merged,
      up.transpose.kernel as tf.Tensor5D,
      [x.shape[0], x.shape[1], x.shape[2], x.shape[3], outC],
      up.stride,
      'same',
    );
    h = tf.add(h, up.transpose.bias) as tf.Tensor5D;
    if (!(up.top && !up.unit)) {
      h = this.runNorm(up.norm, h, training);
      h = tf.prelu(h, up.act as unknown as tf.Tensor5D) as tf.Tensor5D;
    }
    return up.unit ? this.runBlock(up.unit, h, training) : h;
  }

  /**
   * Applies the batch-norm running-statistics updates of the last training forward pass. Call
   * after the optimiser step, outside any gradient tape.
   */
  commitRunningStatistics(): void {
    for (const { variable, value } of this.pending) {
      variable.assign(value);
      value.dispose();
    }
    this.pending = [];
  }

  private runBlock(block: Block, x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    let h = x;
    block.units.forEach((unit, i) => {
      h = tf.add(
        tf.conv3d(h, unit.conv.kernel as tf.Tensor5D, i === 0 ? block.stride : 1, 'same'),
        unit.conv.bias,
      ) as tf.Tensor5D;
      if (!(block.top && i === block.units.length - 1)) {
        h = this.runNorm(unit.norm, h, training);
        h = tf.prelu(h, unit.act as unknown as tf.Tensor5D) as tf.Tensor5D;
      }
    });
    const residual = block.residual
      ? (tf.add(
          tf.conv3d(x, block.residual.kernel as tf.Tensor5D, block.stride, 'same'),
          block.residual.bias,
        ) as tf.Tensor5D)
      : x;
    return tf.add(h, residual) as tf.Tensor5D;
  }

  private runNorm(norm: Norm, x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    if (!training) {
      return normalise(x, norm.runningMean, norm.runningVar, norm);
    }
    const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
    const n = x.size / x.shape[4];
    // PyTorch keeps the unbiased variance in its running statistics.
    const unbiased = tf.mul(variance, n / Math.max(1, n - 1));
    this.pending.push(
      {
        variable: norm.runningMean,
        value: tf.keep(tf.add(tf.mul(norm.runningMean, 1 - MOMENTUM), tf.mul(mean, MOMENTUM))),
      },
      {
        variable: norm.runningVar,
        value: tf.keep(tf.add(tf.mul(norm.runningVar, 1 - MOMENTUM), tf.mul(unbiased, MOMENTUM))),
      },
    );
    return normalise(x, mean, variance, norm);
  }

  private block(
    name: string,
    inC: number,
    outC: number,
    stride: number,
    subunits: number,
    top: boolean,
  ): Block {
    const units = [];
    let c = inC;
    for (let i = 0; i < subunits; i++) {
      units.push({
        conv: this.conv(`${name}.unit${i}.conv`, c, outC, 3, false),
        norm: this.norm(`${name}.unit${i}.norm`, outC),
        act: this.variable(`${name}.unit${i}.prelu`, tf.fill([outC], 0.25)),
      });
      c = outC;
    }
    const residual =
      stride !== 1 || inC !== outC
        ? this.conv(`${name}.residual`, inC, outC, stride !== 1 ? 3 : 1, false)
        : undefined;
    return { units, residual, stride, top };
  }

  private conv(name: string, inC: number, outC: number, size: number, transpose: boolean): Conv {
    const fanIn = (transpose ? outC : inC) * size ** 3;
    const bound = 1 / Math.sqrt(fanIn);
    const shape = transpose ? [size, size, size, outC, inC] : [size, size, size, inC, outC];
    const n = shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = this.rng.uniform(-bound, bound);
    const b = new Float32Array(outC);
    for (let i = 0; i < outC; i++) b[i] = this.rng.uniform(-bound, bound);
    return {
      kernel: this.variable(`${name}.weight`, tf.tensor(w, shape)),
      bias: this.variable(`${name}.bias`, tf.tensor1d(b)),
    };
  }

  private norm(name: string, c: number): Norm {
    const runningMean = tf.variable(tf.zeros([c]), false, `${name}.running_mean`);
    const runningVar = tf.variable(tf.ones([c]), false, `${name}.running_var`);
    this.stateVariables.push(runningMean, runningVar);
    return {
      gamma: this.variable(`${name}.weight`, tf.ones([c])),
      beta: this.variable(`${name}.bias`, tf.zeros([c])),
      runningMean,
      runningVar,
    };
  }

  private variable(name: string, init: tf.Tensor): tf.Variable {
    const v = tf.variable(init, true, name);
    init.dispose();
    this.trainableVariables.push(v);
    this.stateVariables.push(v);
    return v;
  }
}

/**
 * `(x − mean) / √(var + ε) · γ + β` written out: tfjs 4.22's FusedBatchNorm gradient fails on
 * rank-5 inputs (it tiles with a rank-4 assumption).
 */
function normalise(x: tf.Tensor5D, mean: tf.Tensor, variance: tf.Tensor, norm: Norm): tf.Tensor5D {
  const scale = tf.mul(tf.rsqrt(tf.add(variance, EPSILON)), norm.gamma);
  return tf.add(tf.mul(tf.sub(x, mean), scale), norm.beta) as tf.Tensor5D;
}

interface Conv {
  kernel: tf.Variable;
  bias: tf.Variable;
}

interface Norm {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

interface UpLayer {
  transpose: Conv;
  norm: Norm;
  act: tf.Variable;
  unit?: Block;
  stride: number;
  top: boolean;
}

interface Block {
  units: { conv: Conv; norm: Norm; act: tf.Variable }[];
  residual?: Conv;
  stride: number;
  top: boolean;
}
