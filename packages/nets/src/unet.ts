/**
 * MONAI's `UNet` (monai.networks.nets.UNet) on TensorFlow.js: same layers, same parameter names
 * and shapes, same numbers. Channels-last tensors in and out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, Rng, ShapeError } from '@voxelkit/core';
import '@voxelkit/backend'; // registers the gradients training needs (conv3dTranspose, …)
import {
  type BlockOptions,
  Convolution,
  ResidualUnit,
  Sequential,
  SkipConnection,
} from './layers/blocks.js';
import type { CounterEntry, Module, StateEntry } from './layers/module.js';
import type { StateDict } from './state_dict.js';

/** Constructor options of {@link UNet}; names follow MONAI's `UNet` arguments in camelCase. */
export interface UNetConfig {
  /** Only 3 is supported. */
  spatialDims: 3;
  /** Channels of the input image (1 for CT). */
  inChannels: number;
  /** Channels of the output logits (number of classes, background included). */
  outChannels: number;
  /** Feature channels per level, top first, e.g. `[16, 32, 64, 128, 256]`. At least two. */
  channels: number[];
  /** Down-sampling stride per level (`channels.length − 1` used), e.g. `[2, 2, 2, 2]`. */
  strides: number[];
  /** Odd kernel size of the convolutions (default 3). */
  kernelSize?: number;
  /** Odd kernel size of the transposed convolutions (default 3). */
  upKernelSize?: number;
  /** Residual units per down level (default 0 as in MONAI; the spleen tutorial uses 2). */
  numResUnits?: number;
  /** Normalisation (default `'instance'` as in MONAI; the spleen tutorial uses `'batch'`). */
  norm?: 'batch' | 'instance';
  /** Dropout probability (default 0). */
  dropout?: number;
  /** Whether convolutions have a bias (default true). */
  bias?: boolean;
}

/** Options of {@link UNet.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Throw on missing or unexpected entries (default true). Shape mismatches always throw. */
  strict?: boolean;
}

/** Options of the {@link UNet} constructor besides the architecture. */
export interface UNetOptions {
  /** Seed of the weight initialisation (default 0). */
  seed?: number | string;
}

/**
 * A 3D UNet identical in structure and parameter naming to MONAI's `UNet`:
 *
 * ```
 * model = [down_0, Skip([down_1, Skip(… Skip(bottom) …), up_1]), up_0]
 * down_i : ResidualUnit(stride s_i, numResUnits subunits)   (or Convolution when 0)
 * bottom : ResidualUnit(stride 1) from channels[-2] to channels[-1]
 * up_i   : ConvTranspose(stride s_i) + ADN, then ResidualUnit(1 subunit); top one conv-only at the end
 * Skip(m): concat([x, m(x)], channel axis)
 * ```
 *
 * Inputs are channels-last `[N, X, Y, Z, inChannels]`; every spatial size must be divisible by
 * the product of the strides. Outputs are `[N, X, Y, Z, outChannels]` logits.
 *
 * @example
 * ```ts
 * const net = new UNet({ spatialDims: 3, inChannels: 1, outChannels: 2,
 *   channels: [16, 32, 64, 128, 256], strides: [2, 2, 2, 2], numResUnits: 2, norm: 'batch' });
 * net.numParameters(); // 4808917
 * const logits = net.apply(tf.zeros([1, 96, 96, 96, 1]), { training: false });
 * ```
 */
export class UNet {
  /** The configuration with every default filled in. */
  readonly config: Required<UNetConfig>;
  private readonly model: Module;
  private readonly state: StateEntry[] = [];
  private readonly counters: CounterEntry[] = [];

  constructor(config: UNetConfig, options: UNetOptions = {}) {
    this.config = resolveConfig(config);
    const rng = new Rng(options.seed ?? 0);
    const c = this.config;
    this.model = buildBlock(c.inChannels, c.outChannels, c.channels, c.strides, true, c, rng);
    this.model.collect('model.', this.state, this.counters);
  }

  /** Product of the strides: every input spatial size must be a multiple of it. */
  get sizeDivisor(): number {
    return this.config.strides.slice(0, this.config.channels.length - 1).reduce((a, s) => a * s, 1);
  }

  /**
   * Forward pass. In training mode BatchNorm uses batch statistics and updates its running
   * statistics (and dropout is active); in evaluation mode it uses the running statistics.
   *
   * @param x - `[N, X, Y, Z, inChannels]` float32.
   * @returns logits `[N, X, Y, Z, outChannels]` (a new tensor; the caller disposes it).
   * @throws ShapeError when `x` is not rank 5, has the wrong channel count, or a spatial size is
   *   not divisible by {@link UNet.sizeDivisor} (the message names the size and the nearest
   *   valid sizes).
   */
  apply(x: tf.Tensor5D, options: { training: boolean }): tf.Tensor5D {
    this.checkInput(x.shape);
    return tf.tidy(() => {
      // The layers work channel-first ([N, C, D, H, W], PyTorch's layout), which the native
      // kernels convolve without copies; the public API stays channels-last like tfjs.
      const channelsFirst = toChannelsFirst(x);
      const logits = this.model.apply(channelsFirst, { training: options.training });
      return tf.transpose(logits, [0, 2, 3, 4, 1]) as tf.Tensor5D;
    });
  }

  /** The trainable variables, in PyTorch `parameters()` order. */
  get trainableVariables(): tf.Variable[] {
    return this.state.filter((e) => e.trainable).map((e) => e.variable);
  }

  /** Trainable variables keyed by their PyTorch parameter names. */
  namedParameters(): Map<string, tf.Variable> {
    return new Map(this.state.filter((e) => e.trainable).map((e) => [e.name, e.variable]));
  }

  /** Every state entry (parameters and buffers) with names, layouts and trainability. */
  stateEntries(): readonly StateEntry[] {
    return this.state;
  }

  /** Number of trainable scalars (MONAI/PyTorch `sum(p.numel() for p in parameters())`). */
  numParameters(): number {
    return this.trainableVariables.reduce((a, v) => a + v.size, 0);
  }

  /** The PyTorch-layout state dict (parameters, running statistics, `num_batches_tracked`). */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    const counters = new Map(this.counters.map((c) => [c.name, c]));
    for (const e of this.state) {
      const torch = e.perm ? tf.tidy(() => tf.transpose(e.variable, inverse(e.perm!))) : e.variable;
      out.set(e.name, { shape: [...e.torchShape], data: Float32Array.from(torch.dataSync()) });
      if (torch !== e.variable) torch.dispose();
      // num_batches_tracked follows its BatchNorm's running_var, as in PyTorch.
      const counter = counters.get(e.name.replace(/running_var$/, 'num_batches_tracked'));
      if (e.name.endsWith('running_var') && counter) {
        out.set(counter.name, { shape: [], data: Float32Array.of(counter.get()) });
      }
    }
    return out;
  }

  /**
   * Loads PyTorch/MONAI-named weights in PyTorch layout (e.g. from a MONAI `state_dict()`, a
   * safetensors file, or {@link UNet.stateDict}), converting conv weights to tfjs layout.
   *
   * @throws ShapeError when an entry's shape differs from the model's (names the entry).
   * @throws DataError (strict mode) listing missing and unexpected entry names.
   */
  loadStateDict(entries: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const known = new Set([...this.state.map((e) => e.name), ...this.counters.map((c) => c.name)]);
    if (strict) {
      const missing = [...known].filter(
        (n) => !entries.has(n) && !n.endsWith('num_batches_tracked'),
      );
      const unexpected = [...entries.keys()].filter((n) => !known.has(n));
      if (missing.length > 0 || unexpected.length > 0) {
        throw new DataError('state dict does not match the UNet', {
          field: 'entries',
          expected: missing.length > 0 ? { missing: missing.slice(0, 10) } : undefined,
          actual: unexpected.length > 0 ? { unexpected: unexpected.slice(0, 10) } : undefined,
        });
      }
    }
    for (const e of this.state) {
      const entry = entries.get(e.name);
      if (entry === undefined) continue;
      const size = e.torchShape.reduce((a, d) => a * d, 1);
      if (!sameShape(entry.shape, e.torchShape) || entry.data.length !== size) {
        throw new ShapeError('state dict entry has the wrong shape', {
          field: e.name,
          expected: e.torchShape,
          actual: entry.shape,
        });
      }
    }
    for (const e of this.state) {
      const entry = entries.get(e.name);
      if (entry === undefined) continue;
      tf.tidy(() => {
        const torch = tf.tensor(entry.data, e.torchShape);
        e.variable.assign(e.perm ? tf.transpose(torch, e.perm) : torch);
      });
    }
    for (const c of this.counters) {
      const entry = entries.get(c.name);
      if (entry !== undefined && entry.data.length === 1) c.set(entry.data[0]);
    }
  }

  /** Frees every variable of the model. */
  dispose(): void {
    for (const e of this.state) e.variable.dispose();
  }

  private checkInput(shape: number[]): void {
    if (shape.length !== 5) {
      throw new ShapeError('UNet input must be a rank-5 [N, X, Y, Z, C] tensor', {
        field: 'x.shape',
        expected: '[N, X, Y, Z, C]',
        actual: shape,
      });
    }
    if (shape[4] !== this.config.inChannels) {
      throw new ShapeError('UNet input has the wrong number of channels (channels-last)', {
        field: 'x.shape[4]',
        expected: this.config.inChannels,
        actual: shape[4],
      });
    }
    const d = this.sizeDivisor;
    shape.slice(1, 4).forEach((size, i) => {
      if (size % d !== 0) {
        const lower = Math.floor(size / d) * d;
        const upper = lower + d;
        const nearest = lower > 0 ? `${lower} or ${upper}` : `${upper}`;
        throw new ShapeError(
          `UNet input spatial size ${size} (axis ${'XYZ'[i]}) is not divisible by ${d}, the product of the strides; nearest valid sizes: ${nearest} (pad or crop the input)`,
          { field: `x.shape[${i + 1}]`, expected: `a multiple of ${d}`, actual: size },
        );
      }
    });
  }
}

function buildBlock(
  inC: number,
  outC: number,
  channels: number[],
  strides: number[],
  isTop: boolean,
  cfg: Required<UNetConfig>,
  rng: Rng,
): Module {
  const c = channels[0];
  const s = strides[0];
  let sub: Module;
  let upC: number;
  if (channels.length > 2) {
    sub = buildBlock(c, c, channels.slice(1), strides.slice(1), false, cfg, rng);
    upC = c * 2;
  } else {
    sub = downLayer(c, channels[1], 1, cfg, rng); // the bottom layer
    upC = c + channels[1];
  }
  const down = downLayer(inC, c, s, cfg, rng);
  const up = upLayer(upC, outC, s, isTop, cfg, rng);
  return new Sequential([
    ['0', down],
    ['1', new SkipConnection(sub)],
    ['2', up],
  ]);
}

function blockOptions(cfg: Required<UNetConfig>, kernelSize: number): BlockOptions {
  return { kernelSize, norm: cfg.norm, dropout: cfg.dropout, bias: cfg.bias };
}

function downLayer(
  inC: number,
  outC: number,
  stride: number,
  cfg: Required<UNetConfig>,
  rng: Rng,
): Module {
  const options = blockOptions(cfg, cfg.kernelSize);
  if (cfg.numResUnits > 0)
    return new ResidualUnit(inC, outC, stride, cfg.numResUnits, options, rng);
  return new Convolution(inC, outC, stride, options, rng);
}

function upLayer(
  inC: number,
  outC: number,
  stride: number,
  isTop: boolean,
  cfg: Required<UNetConfig>,
  rng: Rng,
): Module {
  const conv = new Convolution(
    inC,
    outC,
    stride,
    {
      ...blockOptions(cfg, cfg.upKernelSize),
      transposed: true,
      convOnly: isTop && cfg.numResUnits === 0,
    },
    rng,
  );
  if (cfg.numResUnits === 0) return conv;
  const ru = new ResidualUnit(
    outC,
    outC,
    1,
    1,
    { ...blockOptions(cfg, cfg.kernelSize), lastConvOnly: isTop },
    rng,
  );
  return new Sequential([
    ['0', conv],
    ['1', ru],
  ]);
}

// Limitation: 3D only, one integer stride/kernel per level, ADN order "NDA" and PReLU fixed —
// the options of MONAI's UNet that the spleen pipeline uses (see docs/nets.md).
function resolveConfig(config: UNetConfig): Required<UNetConfig> {
  const c: Required<UNetConfig> = {
    kernelSize: 3,
    upKernelSize: 3,
    numResUnits: 0,
    norm: 'instance',
    dropout: 0,
    bias: true,
    ...config,
  };
  const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (c.spatialDims !== 3) {
    throw new ArgumentError('UNet supports spatialDims 3 only', {
      field: 'spatialDims',
      expected: 3,
      actual: c.spatialDims,
    });
  }
  for (const field of ['inChannels', 'outChannels'] as const) {
    if (!positiveInt(c[field])) {
      throw new ArgumentError('UNet channel counts must be positive integers', {
        field,
        actual: c[field],
      });
    }
  }
  if (!Array.isArray(c.channels) || c.channels.length < 2 || !c.channels.every(positiveInt)) {
    throw new ArgumentError('UNet needs at least two positive channel counts', {
      field: 'channels',
      actual: c.channels,
    });
  }
  if (
    !Array.isArray(c.strides) ||
    c.strides.length < c.channels.length - 1 ||
    !c.strides.every(positiveInt)
  ) {
    throw new ArgumentError(
      'UNet needs one positive integer stride per level (channels.length − 1)',
      {
        field: 'strides',
        expected: `${c.channels.length - 1} strides`,
        actual: c.strides,
      },
    );
  }
  for (const field of ['kernelSize', 'upKernelSize'] as const) {
    if (!positiveInt(c[field]) || c[field] % 2 === 0) {
      throw new ArgumentError('UNet kernel sizes must be odd positive integers', {
        field,
        actual: c[field],
      });
    }
  }
  if (!Number.isInteger(c.numResUnits) || c.numResUnits < 0) {
    throw new ArgumentError('numResUnits must be a non-negative integer', {
      field: 'numResUnits',
      actual: c.numResUnits,
    });
  }
  if (c.norm !== 'batch' && c.norm !== 'instance') {
    throw new ArgumentError('unknown norm', {
      field: 'norm',
      expected: "'batch' | 'instance'",
      actual: c.norm,
    });
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) {
    throw new ArgumentError('dropout must be in [0, 1)', { field: 'dropout', actual: c.dropout });
  }
  return c;
}

function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `[N, X, Y, Z, C]` → `[N, C, X, Y, Z]`; with one channel both share memory order (a reshape). */
function toChannelsFirst(x: tf.Tensor5D): tf.Tensor5D {
  const [n, d, h, w, c] = x.shape;
  return c === 1 ? tf.reshape(x, [n, 1, d, h, w]) : tf.transpose(x, [0, 4, 1, 2, 3]);
}
