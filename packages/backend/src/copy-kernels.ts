/**
 * Row-copy `Slice` and `PadV2` kernels for tfjs-backend-cpu.
 *
 * tfjs-backend-cpu 4.22 copies a non-contiguous slice and every pad element by element, turning
 * each flat index into a coordinate array first. The UNet reproduces PyTorch's padding with an
 * explicit pad before strided convolutions and a crop after transposed ones (and autograd turns
 * each into the other), so on 5-D activations these two kernels took about 70 % of a training
 * step (see docs/benchmarks.md). These replacements copy whole runs of the innermost axis with
 * `TypedArray.set`, which is memory-bound: milliseconds instead of hundreds of milliseconds.
 * Other data types (string, complex) go to the original kernels.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs kernel names {@link registerCopyKernels} replaces on the cpu backend. */
export const COPY_KERNEL_NAMES = ['Slice', 'PadV2'] as const;

type NumericArray = Float32Array | Int32Array | Uint8Array;

interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: NumericArray): tf.TensorInfo;
}

const originals = new Map<string, tf.KernelConfig>();

/**
 * Replaces tfjs-backend-cpu's `Slice` and `PadV2` with row-copy versions (idempotent). Returns
 * false when the cpu backend has no such kernels registered (nothing to replace).
 *
 * @example
 * ```ts
 * registerCopyKernels();
 * tf.slice(x, [0, 1, 1, 1, 0], [2, 32, 32, 32, 16]); // now a strided row copy
 * ```
 */
export function registerCopyKernels(): boolean {
  if (originals.size > 0) return true;
  const slice = tf.getKernel('Slice', 'cpu');
  const pad = tf.getKernel('PadV2', 'cpu');
  if (slice === undefined || pad === undefined) return false;

  originals.set('Slice', slice);
  originals.set('PadV2', pad);
  tf.unregisterKernel('Slice', 'cpu');
  tf.unregisterKernel('PadV2', 'cpu');
  tf.registerKernel({ kernelName: 'Slice', backendName: 'cpu', kernelFunc: sliceKernel });
  tf.registerKernel({ kernelName: 'PadV2', backendName: 'cpu', kernelFunc: padKernel });
  return true;
}

/** Restores tfjs' own `Slice` and `PadV2` kernels (for tests and comparisons). */
export function unregisterCopyKernels(): void {
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(config);
  }
  originals.clear();
}

/** Whether the row-copy kernels are currently registered. */
export function copyKernelsRegistered(): boolean {
  return originals.size > 0;
}

function sliceKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const backend = args.backend as CpuBackendLike;
  const values = backend.data.get(x.dataId).values;
  if (!isNumeric(values)) return callOriginal('Slice', args);

  const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);

  const out = allocateLike(values, size);
  copyBox(values, x.shape, begin, out, size, new Array(size.length).fill(0), size);
  return backend.makeTensorInfo(size, x.dtype, out);
}

function padKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const backend = args.backend as CpuBackendLike;
  const values = backend.data.get(x.dataId).values;
  if (!isNumeric(values)) return callOriginal('PadV2', args);

  const attrs = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
  const outShape = x.shape.map((s, i) => attrs.paddings[i][0] + s + attrs.paddings[i][1]);
  const out = allocateLike(values, outShape);
  if (attrs.constantValue !== 0) out.fill(attrs.constantValue);

  const start = attrs.paddings.map((p) => p[0]);
  copyBox(values, x.shape, new Array(x.shape.length).fill(0), out, outShape, start, x.shape);
  return backend.makeTensorInfo(outShape, x.dtype, out);
}

/**
 * Copies the box of extent `box` starting at `srcStart` in `src` (shape `srcShape`) to
 * `dstStart` in `dst` (shape `dstShape`), one innermost-axis run at a time.
 */
function copyBox(
  src: NumericArray,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: NumericArray,
  dstShape: readonly number[],
  dstStart: readonly number[],
  box: readonly number[],
): void {
  const rank = box.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  if (box.some((b) => b === 0)) return;

  const srcStrides = stridesOf(srcShape);
  const dstStrides = stridesOf(dstShape);
  const run = box[rank - 1];
  const outer = box.slice(0, rank - 1);
  const rows = outer.reduce((a, b) => a * b, 1);
  const counter = new Array<number>(rank - 1).fill(0);

  let srcBase = 0;
  let dstBase = 0;
  for (let a = 0; a < rank; a++) {
    srcBase += srcStart[a] * srcStrides[a];
    dstBase += dstStart[a] * dstStrides[a];
  }

  for (let row = 0; row < rows; row++) {
    let s = srcBase;
    let d = dstBase;
    for (let a = 0; a < rank - 1; a++) {
      s += counter[a] * srcStrides[a];
      d += counter[a] * dstStrides[a];
    }
    dst.set(src.subarray(s, s + run), d);

    for (let a = rank - 2; a >= 0; a--) {
      counter[a]++;
      if (counter[a] < outer[a]) break;
      counter[a] = 0;
    }
  }
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let a = shape.length - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  return strides;
}

function isNumeric(values: unknown): values is NumericArray {
  return (
    values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array
  );
}

function allocateLike(values: NumericArray, shape: readonly number[]): NumericArray {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values instanceof Float32Array) return new Float32Array(n);
  if (values instanceof Int32Array) return new Int32Array(n);
  return new Uint8Array(n);
}

function callOriginal(
  name: string,
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const original = originals.get(name);
  if (original === undefined) throw new Error(`${name}: original cpu kernel not found`);
  return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
