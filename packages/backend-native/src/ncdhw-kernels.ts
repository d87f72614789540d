/**
 * The channel-first kernels behind `@voxelkit/backend`'s `conv3dNcdhw` and `batchNormAct`
 * (kernel names and contracts are documented there), on tfjs' `cpu` backend. Activations stay
 * `[N, C, D, H, W]` from layer to layer, the layout oneDNN convolves fastest, so these kernels
 * neither transpose nor pad: the native conv3d path without them copies every activation twice
 * per convolution.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import type { NativeAddon } from './addon.js';
import type { KernelCallCounts } from './kernels.js';
import { float32Input } from './tensor-values.js';

/** Kernel names, as `@voxelkit/backend` exports them (CONV_NCDHW_KERNELS, BATCH_NORM_ACT_KERNELS). */
export const NCDHW_KERNEL_NAMES = [
  'VoxelkitConv3dNcdhw',
  'VoxelkitConv3dNcdhwBackpropInput',
  'VoxelkitConv3dNcdhwBackpropFilter',
  'VoxelkitBatchNormAct',
  'VoxelkitBatchNormActGrad',
] as const;

interface Geometry {
  stride: number[];
  padding: number[];
  transposed: boolean;
  outputPadding: number[];
}

interface BatchNormAttrs {
  eps: number;
  training: boolean;
  hasAct: boolean;
}

/** Builds the kernel configs for the `cpu` backend. */
export function createNcdhwKernels(addon: NativeAddon, counts: KernelCallCounts): KernelConfig[] {
  const conv: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
    const cpu = backend as MathBackendCPU;
    const g = attrs as unknown as Geometry;
    const y = addon.convNcdhw(
      input(cpu, x, 'x'),
      x.shape,
      input(cpu, filter, 'filter'),
      filter.shape,
      bias ? input(cpu, bias, 'bias') : null,
      g.stride,
      g.padding,
      g.transposed,
      g.outputPadding,
    );
    counts.native++;
    return cpu.makeTensorInfo(outputShape(x.shape, filter.shape, g), 'float32', y);
  };

  const backpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const cpu = backend as MathBackendCPU;
    const g = attrs as unknown as Geometry & { inShape: number[] };
    const dx = addon.convNcdhwBackpropInput(
      input(cpu, dy, 'dy'),
      dy.shape,
      input(cpu, filter, 'filter'),
      filter.shape,
      g.stride,
      g.padding,
      g.transposed,
      g.outputPadding,
      g.inShape,
    );
    counts.native++;
    return cpu.makeTensorInfo(g.inShape, 'float32', dx);
  };

  const backpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const cpu = backend as MathBackendCPU;
    const g = attrs as unknown as Geometry & { filterShape: number[] };
    const dFilter = addon.convNcdhwBackpropFilter(
      input(cpu, x, 'x'),
      x.shape,
      input(cpu, dy, 'dy'),
      dy.shape,
      g.stride,
      g.padding,
      g.transposed,
      g.outputPadding,
      g.filterShape,
    );
    counts.native++;
    return cpu.makeTensorInfo(g.filterShape, 'float32', dFilter);
  };

  const batchNormAct: KernelFunc = ({ inputs, backend, attrs }) => {
    const t = inputs as Record<
      'x' | 'gamma' | 'beta' | 'alpha' | 'runningMean' | 'runningVar',
      TensorInfo
    >;
    const cpu = backend as MathBackendCPU;
    const a = attrs as unknown as BatchNormAttrs;
    const [y, mean, variance] = addon.batchNormAct(
      input(cpu, t.x, 'x'),
      t.x.shape,
      input(cpu, t.gamma, 'gamma'),
      input(cpu, t.beta, 'beta'),
      input(cpu, t.alpha, 'alpha'),
      input(cpu, t.runningMean, 'runningMean'),
      input(cpu, t.runningVar, 'runningVar'),
      a.eps,
      a.training,
      a.hasAct,
    );
    counts.native++;
    const channels = [t.x.shape[1]];
    return [
      cpu.makeTensorInfo(t.x.shape, 'float32', y),
      cpu.makeTensorInfo(channels, 'float32', mean),
      cpu.makeTensorInfo(channels, 'float32', variance),
    ];
  };

  const batchNormActGrad: KernelFunc = ({ inputs, backend, attrs }) => {
    const t = inputs as Record<
      'dy' | 'x' | 'gamma' | 'beta' | 'alpha' | 'mean' | 'variance',
      TensorInfo
    >;
    const cpu = backend as MathBackendCPU;
    const a = attrs as unknown as BatchNormAttrs;
    const [dx, dGamma, dBeta, dAlpha] = addon.batchNormActGrad(
      input(cpu, t.dy, 'dy'),
      input(cpu, t.x, 'x'),
      t.x.shape,
      input(cpu, t.gamma, 'gamma'),
      input(cpu, t.beta, 'beta'),
      input(cpu, t.alpha, 'alpha'),
      input(cpu, t.mean, 'mean'),
      input(cpu, t.variance, 'variance'),
      a.eps,
      a.training,
      a.hasAct,
    );
    counts.native++;
    const channels = [t.x.shape[1]];
    return [
      cpu.makeTensorInfo(t.x.shape, 'float32', dx),
      cpu.makeTensorInfo(channels, 'float32', dGamma),
      cpu.makeTensorInfo(channels, 'float32', dBeta),
      cpu.makeTensorInfo([1], 'float32', dAlpha),
    ];
  };

  const funcs = [conv, backpropInput, backpropFilter, batchNormAct, batchNormActGrad];
  return NCDHW_KERNEL_NAMES.map((kernelName, i) => ({
    kernelName,
    backendName: 'cpu',
    kernelFunc: funcs[i],
  }));
}

/** `[N, Cout, D', H', W']` of a (transposed) convolution, as PyTorch sizes it. */
function outputShape(xShape: number[], filterShape: number[], g: Geometry): number[] {
  const spatial = [0, 1, 2].map((i) => {
    const [n, k, s, p] = [xShape[2 + i], filterShape[i], g.stride[i], g.padding[i]];
    return g.transposed
      ? (n - 1) * s - 2 * p + k + g.outputPadding[i]
      : Math.floor((n + 2 * p - k) / s) + 1;
  });
  const outChannels = g.transposed ? filterShape[3] : filterShape[4];
  return [xShape[0], outChannels, ...spatial];
}

const input = (backend: MathBackendCPU, t: TensorInfo, name: string) =>
  float32Input(backend, t, 'native channel-first kernel', name);
