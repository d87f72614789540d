/**
 * Native kernels for the memory-bound ops that dominate a UNet training step on
 * tfjs-backend-cpu once convolutions are fast (see docs/benchmarks.md): broadcasting binary
 * ops, the unary ops of the loss and optimiser (Exp, Log, Neg, Sqrt, Rsqrt, Square), Sum/Mean/Max
 * over any axes, SplitV (the gradient of a channel concat), Prelu, Softmax, Transpose and Concat. Each falls
 * back to tfjs' own kernel for non-float32 data, tiny tensors, and cases ATen would treat
 * differently (an empty axis list, which ATen reads as "all axes").
 */
import {
  backend_util,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import type { NativeAddon } from './addon.js';
import { float32Values } from './tensor-values.js';
import type { KernelCallCounts } from './kernels.js';

/** Below this many output elements the native call is not worth its fixed cost. */
export const MIN_NATIVE_ELEMENTS = 16_384;

const BINARY_OPS: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  SquaredDifference: 4,
  Maximum: 5,
  Minimum: 6,
};

const UNARY_OPS: Record<string, number> = {
  Exp: 0,
  Log: 1,
  Neg: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Square: 5,
};

/** Names of the memory-bound kernels the addon replaces (Add, Multiply, Sum, …). */
export const MEMORY_KERNEL_NAMES = [
  ...Object.keys(BINARY_OPS),
  ...Object.keys(UNARY_OPS),
  'Sum',
  'Mean',
  'Max',
  'SplitV',
  'Prelu',
  'Softmax',
  'Transpose',
  'Concat',
];

/** Builds the kernel configs; `original` holds tfjs' own configs for the fallback path. */
export function createNativeMemoryKernels(
  addon: NativeAddon,
  original: Map<string, KernelConfig>,
  counts: KernelCallCounts,
): KernelConfig[] {
  const fallback = (name: string, args: Parameters<KernelFunc>[0]) => {
    const config = original.get(name);
    if (!config) throw new Error(`no tfjs kernel ${name} to fall back to`);
    counts.fallback++;
    return config.kernelFunc(args);
  };

  const binary =
    (name: string, op: number): KernelFunc =>
    (args) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const backend = args.backend as MathBackendCPU;
      const av = float32Values(backend, a);
      const bv = float32Values(backend, b);
      if (!av || !bv) return fallback(name, args);
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (util.sizeFromShape(outShape) < MIN_NATIVE_ELEMENTS) return fallback(name, args);
      counts.native++;
      return backend.makeTensorInfo(
        outShape,
        'float32',
        addon.binary(op, av, a.shape, bv, b.shape),
      );
    };

  const unary =
    (name: string, op: number): KernelFunc =>
    (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const backend = args.backend as MathBackendCPU;
      const xv = float32Values(backend, x);
      if (!xv || xv.length < MIN_NATIVE_ELEMENTS) return fallback(name, args);
      counts.native++;
      return backend.makeTensorInfo(x.shape, 'float32', addon.unary(op, xv));
    };

  // tfjs' Max kernel names its axes `reductionIndices`; Sum and Mean call them `axis`.
  const reduce =
    (name: 'Sum' | 'Mean' | 'Max', op: number): KernelFunc =>
    (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const attrs = args.attrs as {
        axis?: number | number[];
        reductionIndices?: number | number[];
        keepDims: boolean;
      };
      const axis = (name === 'Max' ? attrs.reductionIndices : attrs.axis) as number | number[];
      const keepDims = attrs.keepDims;
      const backend = args.backend as MathBackendCPU;
      const xv = float32Values(backend, x);
      if (!xv || util.sizeFromShape(x.shape) < MIN_NATIVE_ELEMENTS) return fallback(name, args);
      const axes = util.parseAxisParam(axis, x.shape);
      // An empty list means "all axes" to ATen; a repeated axis is an error there.
      if (axes.length === 0 || new Set(axes).size !== axes.length) return fallback(name, args);
      const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
      const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
      counts.native++;
      return backend.makeTensorInfo(shape, 'float32', addon.reduce(op, xv, x.shape, axes));
    };

  const splitV: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const backend = args.backend as MathBackendCPU;
    const xv = float32Values(backend, x);
    if (!xv || util.sizeFromShape(x.shape) < MIN_NATIVE_ELEMENTS) return fallback('SplitV', args);
    const $axis = util.parseAxisParam(axis, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    let begin = 0;
    counts.native++;
    return sizes.map((size) => {
      const shape = [...x.shape];
      shape[$axis] = size;
      const values = addon.narrow(xv, x.shape, $axis, begin, size);
      begin += size;
      return backend.makeTensorInfo(shape, 'float32', values);
    });
  };

  const prelu: KernelFunc = (args) => {
    const { x, alpha } = args.inputs as { x: TensorInfo; alpha: TensorInfo };
    const backend = args.backend as MathBackendCPU;
    const xv = float32Values(backend, x);
    const av = float32Values(backend, alpha);
    if (!xv || !av || util.sizeFromShape(x.shape) < MIN_NATIVE_ELEMENTS) {
      return fallback('Prelu', args);
    }
    const outShape = backend_util.assertAndGetBroadcastShape(x.shape, alpha.shape);
    if (!util.arraysEqual(outShape, x.shape)) return fallback('Prelu', args);
    counts.native++;
    return backend.makeTensorInfo(x.shape, 'float32', addon.prelu(xv, x.shape, av, alpha.shape));
  };

  // tfjs-cpu's Transpose computes a multi-index per element in JS: 0.25 s for the 2×96³×2
  // logits of a UNet step.
  const transpose: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    const backend = args.backend as MathBackendCPU;
    const xv = float32Values(backend, x);
    if (!xv || xv.length < MIN_NATIVE_ELEMENTS) return fallback('Transpose', args);
    counts.native++;
    const shape = perm.map((p) => x.shape[p]);
    return backend.makeTensorInfo(shape, 'float32', addon.transpose(xv, x.shape, perm));
  };

  // tfjs-cpu's Concat copies element by element in JS: 40 ms for the UNet's four skip joins.
  const concat: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const { axis } = args.attrs as { axis: number };
    const backend = args.backend as MathBackendCPU;
    // Empty parts, other dtypes and small joins stay with tfjs (its checks and dtype rules).
    const parts = inputs;
    const arrays = parts.map((t) => float32Values(backend, t));
    const total = parts.reduce((n, t) => n + util.sizeFromShape(t.shape), 0);
    if (
      parts.length < 2 ||
      total < MIN_NATIVE_ELEMENTS ||
      arrays.some((v) => !v) ||
      parts.some((t) => util.sizeFromShape(t.shape) === 0)
    ) {
      return fallback('Concat', args);
    }
    const $axis = util.parseAxisParam(axis, parts[0].shape)[0];
    const shapes = parts.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, $axis);
    const outShape = backend_util.computeOutShape(shapes, $axis);
    counts.native++;
    return backend.makeTensorInfo(
      outShape,
      'float32',
      addon.concat(arrays as Float32Array[], shapes, $axis),
    );
  };

  // tfjs' Softmax kernel composes max/sub/exp/sum/div internally (not through the registry), so
  // on a 2×96³×2 logits tensor it took seconds per call.
  const softmax: KernelFunc = (args) => {
    const { logits } = args.inputs as { logits: TensorInfo };
    const { dim } = args.attrs as { dim: number };
    const backend = args.backend as MathBackendCPU;
    const xv = float32Values(backend, logits);
    if (!xv || util.sizeFromShape(logits.shape) < MIN_NATIVE_ELEMENTS) {
      return fallback('Softmax', args);
    }
    const axis = util.parseAxisParam(dim, logits.shape)[0];
    counts.native++;
    return backend.makeTensorInfo(logits.shape, 'float32', addon.softmax(xv, logits.shape, axis));
  };

  return [
    ...Object.entries(BINARY_OPS).map(([name, op]) => ({
      kernelName: name,
      backendName: 'cpu',
      kernelFunc: binary(name, op),
    })),
    ...Object.entries(UNARY_OPS).map(([name, op]) => ({
      kernelName: name,
      backendName: 'cpu',
      kernelFunc: unary(name, op),
    })),
    { kernelName: 'Sum', backendName: 'cpu', kernelFunc: reduce('Sum', 0) },
    { kernelName: 'Max', backendName: 'cpu', kernelFunc: reduce('Max', 2) },
    { kernelName: 'Transpose', backendName: 'cpu', kernelFunc: transpose },
    { kernelName: 'Concat', backendName: 'cpu', kernelFunc: concat },
    { kernelName: 'Mean', backendName: 'cpu', kernelFunc: reduce('Mean', 1) },
    { kernelName: 'SplitV', backendName: 'cpu', kernelFunc: splitV },
    { kernelName: 'Prelu', backendName: 'cpu', kernelFunc: prelu },
    { kernelName: 'Softmax', backendName: 'cpu', kernelFunc: softmax },
  ];
}
