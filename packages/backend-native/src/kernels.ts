/**
 * tfjs kernel functions for 'Conv3D', 'Conv3DBackpropInputV2' and 'Conv3DBackpropFilterV2' on
 * the cpu backend, computed by the native addon. Each falls back to the original tfjs kernel for
 * cases the addon does not cover (dilations other than 1, non-float32 data).
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import type { NativeAddon } from './addon.js';
import { float32Values } from './tensor-values.js';

type Shape5 = [number, number, number, number, number];
type Triple = [number, number, number];
type Pad = 'valid' | 'same' | number;

/** Counts of native and fallback kernel calls since registration (for tests and profiling). */
export interface KernelCallCounts {
  /** Calls served by the addon. */
  native: number;
  /** Calls handed back to tfjs' own kernel (unsupported options, tiny inputs). */
  fallback: number;
}

/** Builds the three kernel configs; `original` holds tfjs' own configs for the fallback path. */
export function createNativeConvKernels(
  addon: NativeAddon,
  original: Map<string, KernelConfig>,
  counts: KernelCallCounts,
): KernelConfig[] {
  const fallback = (name: string, args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const config = original.get(name);
    if (!config) throw new Error(`no tfjs kernel ${name} to fall back to`);
    counts.fallback++;
    return config.kernelFunc(args);
  };

  const conv3d: KernelFunc = (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dilations } = args.attrs as NamedAttrMap & {
      strides: Triple | number;
      pad: Pad;
      dilations: Triple | number;
    };
    const backend = args.backend as MathBackendCPU;
    const xv = float32Values(backend, x);
    const wv = float32Values(backend, filter);
    if (!xv || !wv || !unitDilation(dilations)) return fallback('Conv3D', args);
    const info = backend_util.computeConv3DInfo(
      x.shape as Shape5,
      filter.shape as Shape5,
      strides,
      dilations,
      pad as 'valid' | 'same',
    );
    const { front, back } = padOf(info);
    counts.native++;
    const y = addon.conv3dForward(xv, x.shape, wv, filter.shape, stridesOf(info), front, back);
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };

  const backpropInput: KernelFunc = (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, inputShape } = args.attrs as NamedAttrMap & {
      strides: Triple | number;
      pad: Pad;
      inputShape: Shape5;
    };
    const backend = args.backend as MathBackendCPU;
    const dyv = float32Values(backend, dy);
    const wv = float32Values(backend, filter);
    if (!dyv || !wv) return fallback('Conv3DBackpropInputV2', args);
    const info = backend_util.computeConv3DInfo(
      inputShape,
      filter.shape as Shape5,
      strides,
      1,
      pad as 'valid' | 'same',
    );
    const { front, back } = padOf(info);
    counts.native++;
    const dx = addon.conv3dBackpropInput(
      dyv,
      dy.shape,
      wv,
      filter.shape,
      stridesOf(info),
      front,
      back,
      [...inputShape],
    );
    return backend.makeTensorInfo(inputShape, 'float32', dx);
  };

  const backpropFilter: KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, filterShape } = args.attrs as NamedAttrMap & {
      strides: Triple | number;
      pad: Pad;
      filterShape: Shape5;
    };
    const backend = args.backend as MathBackendCPU;
    const xv = float32Values(backend, x);
    const dyv = float32Values(backend, dy);
    if (!xv || !dyv) return fallback('Conv3DBackpropFilterV2', args);
    const info = backend_util.computeConv3DInfo(
      x.shape as Shape5,
      filterShape,
      strides,
      1,
      pad as 'valid' | 'same',
    );
    const { front, back } = padOf(info);
    counts.native++;
    const dw = addon.conv3dBackpropFilter(
      xv,
      x.shape,
      dyv,
      dy.shape,
      stridesOf(info),
      front,
      back,
      [...filterShape],
    );
    return backend.makeTensorInfo(filterShape, 'float32', dw);
  };

  return [
    { kernelName: 'Conv3D', backendName: 'cpu', kernelFunc: conv3d },
    { kernelName: 'Conv3DBackpropInputV2', backendName: 'cpu', kernelFunc: backpropInput },
    { kernelName: 'Conv3DBackpropFilterV2', backendName: 'cpu', kernelFunc: backpropFilter },
  ];
}

function unitDilation(dilations: Triple | number | undefined): boolean {
  if (dilations === undefined) return true;
  return typeof dilations === 'number' ? dilations === 1 : dilations.every((d) => d === 1);
}

function stridesOf(info: backend_util.Conv3DInfo): number[] {
  return [info.strideDepth, info.strideHeight, info.strideWidth];
}

function padOf(info: backend_util.Conv3DInfo): { front: number[]; back: number[] } {
  const p = info.padInfo;
  return { front: [p.front, p.top, p.left], back: [p.back, p.bottom, p.right] };
}
