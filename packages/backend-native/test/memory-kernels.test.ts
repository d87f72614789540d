import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  MIN_NATIVE_ELEMENTS,
  nativeKernelCallCounts,
  nativeKernelNames,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@voxelkit/backend-native';

import { maxRelativeError, randomValues } from './reference.js';
import { expectNative } from './expect-native.js';

// A UNet-like activation: 2 × 12×10×9 voxels × 16 channels = 34 560 values (above the
// native threshold), and the shapes its elementwise partners have in a training step.
const X_SHAPE = [2, 12, 10, 9, 16];
const PARTNER_SHAPES: number[][] = [
  X_SHAPE,
  [16],
  [1, 1, 1, 1, 16],
  [2, 1, 1, 1, 16],
  [],
  [12, 10, 9, 1],
];

function random(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    Float32Array.from(randomValues(Math.max(1, tf.util.sizeFromShape(shape)), seed)),
    shape,
  );
}

/** Runs `fn` with tfjs' own kernels, then with the native ones; returns both results. */
function both(fn: () => tf.Tensor | tf.Tensor[]): {
  tfjs: tf.Tensor[];
  native: tf.Tensor[];
  calls: number;
} {
  unregisterNativeKernels();
  const asList = (r: tf.Tensor | tf.Tensor[]) => (Array.isArray(r) ? r : [r]);
  const reference = asList(fn());
  expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
  const before = nativeKernelCallCounts().native;
  const native = asList(fn());
  const calls = nativeKernelCallCounts().native - before;
  unregisterNativeKernels();
  return { tfjs: reference, native, calls };
}

function expectSame(
  r: { tfjs: tf.Tensor[]; native: tf.Tensor[]; calls: number },
  tolerance = 1e-6,
) {
  expect(r.native.length).toBe(r.tfjs.length);
  r.native.forEach((t, i) => {
    expect(t.shape).toEqual(r.tfjs[i].shape);
    expect(t.dtype).toBe(r.tfjs[i].dtype);
    expect(maxRelativeError(t.dataSync(), r.tfjs[i].dataSync())).toBeLessThan(tolerance);
  });
  expect(r.calls).toBe(expectNative ? 1 : 0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe('native memory-bound kernels equal tfjs-backend-cpu', () => {
  const x = random(X_SHAPE, 1);
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['Add', tf.add],
    ['Sub', tf.sub],
    ['Multiply', tf.mul],
    ['RealDiv', tf.div],
    ['SquaredDifference', tf.squaredDifference],
    ['Maximum', tf.maximum],
    ['Minimum', tf.minimum],
  ];
  for (const [name, op] of ops) {
    it.each(PARTNER_SHAPES.map((s) => [JSON.stringify(s), s] as const))(
      `${name} with a partner of shape %s (both operand orders)`,
      (_l, shape) => {
        const b = random(shape, 2);
        expectSame(both(() => op(x, b)));
        expectSame(both(() => op(b, x)));
      },
    );
  }

  it.each([
    [[0, 1, 2, 3], false],
    [[0, 1, 2, 3], true],
    [[1, 2, 3], false],
    [[4], true],
    [[0], false],
    [[-1, 1], false],
  ] as const)('Sum and Mean over axes %j (keepDims %s)', (axes, keepDims) => {
    expectSame(
      both(() => tf.sum(x, [...axes], keepDims)),
      1e-5,
    );
    expectSame(
      both(() => tf.mean(x, [...axes], keepDims)),
      1e-5,
    );
  });

  it.each([
    [[5, 11], 4],
    [[1, 1], 0],
    [[4, -1], 1],
  ] as const)('SplitV into %j along axis %i', (sizes, axis) => {
    expectSame(both(() => tf.split(x, [...sizes], axis)));
  });

  it.each([[[1]], [[16]], [[1, 1, 1, 1, 16]]])('Prelu with alpha of shape %j', (shape) => {
    expectSame(both(() => tf.prelu(x, random(shape, 3))));
  });

  it.each([[-1], [4]])('Softmax along the channel axis given as %i', (dim) => {
    expectSame(both(() => tf.softmax(x, dim)));
  });

  // Log and Sqrt need positive inputs and Rsqrt must stay away from 0.
  const positive = tf.tidy(() => tf.add(tf.abs(x), 0.5));
  it.each([
    ['Exp', (t: tf.Tensor) => tf.exp(t)],
    ['Log', (t: tf.Tensor) => tf.log(t)],
    ['Neg', (t: tf.Tensor) => tf.neg(t)],
    ['Sqrt', (t: tf.Tensor) => tf.sqrt(t)],
    ['Rsqrt', (t: tf.Tensor) => tf.rsqrt(t)],
    ['Square', (t: tf.Tensor) => tf.square(t)],
  ] as const)('%s elementwise', (_name, op) => {
    expectSame(both(() => op(positive)));
  });

  it.each([
    [[1, 2, 3], false],
    [[4], true],
    [[0, 4], false],
    [[-1], true],
  ] as const)('Max over axes %j (keepDims %s)', (axes, keepDims) => {
    expectSame(both(() => tf.max(x, [...axes], keepDims)));
  });

  it.each([[[0, 4, 1, 2, 3]], [[0, 2, 3, 4, 1]], [[4, 3, 2, 1, 0]], [[0, 1, 2, 3, 4]]])(
    'Transpose with perm %j (values moved, not changed)',
    (perm) => {
      const r = both(() => tf.transpose(x, perm));
      expectSame(r, 1e-12);
      // Independent check of one element: y[j] = x[i] with i[perm[k]] = j[k].
      const y = r.native[0].arraySync() as number[][][][][];
      const xs = x.arraySync() as number[][][][][];
      const at = (a: unknown, i: number[]) => i.reduce((v, k) => (v as number[])[k], a) as number;
      const yIdx = perm.map((p, k) => [1, 7, 5, 3, 11][k] % X_SHAPE[p]);
      const xIdx: number[] = [];
      perm.forEach((p, i) => (xIdx[p] = yIdx[i]));
      expect(at(y, yIdx)).toBe(at(xs, xIdx));
    },
  );

  it.each([
    [
      1,
      [
        [2, 3, 10, 9, 16],
        [2, 5, 10, 9, 16],
      ],
    ],
    [
      4,
      [
        [2, 12, 10, 9, 16],
        [2, 12, 10, 9, 7],
        [2, 12, 10, 9, 1],
      ],
    ],
    [
      0,
      [
        [1, 12, 10, 9, 16],
        [2, 12, 10, 9, 16],
      ],
    ],
  ] as const)('Concat along axis %i of shapes %j', (axis, shapes) => {
    const parts = shapes.map((shape, i) => random([...shape], 20 + i));
    const r = both(() => tf.concat(parts, axis));
    expectSame(r, 1e-12);
    // Independent check: the last element of the result is the last part's last element.
    const last = parts[parts.length - 1].dataSync();
    const out = r.native[0].dataSync();
    expect(out[out.length - 1]).toBe(last[last.length - 1]);
  });

  it.each([[2], [3], [15]])(
    'Softmax over a short last axis of %i classes (the transposed path) on 2×32³ voxels',
    (classes) => {
      const logits = random([2, 32, 32, 32, classes], 30 + classes);
      const r = both(() => tf.softmax(logits, -1));
      expectSame(r, 1e-6);
      // Independent check: every voxel's probabilities sum to 1.
      const sums = tf.sum(r.native[0], -1).dataSync();
      expect(Math.max(...Array.from(sums, (v) => Math.abs(v - 1)))).toBeLessThan(1e-6);
    },
  );

  it('leaves int32, tiny tensors and empty reductions to tfjs', () => {
    const small = random([4, 4], 4);
    const ints = tf.tensor(
      Int32Array.from({ length: MIN_NATIVE_ELEMENTS }, (_, i) => i % 7),
      [MIN_NATIVE_ELEMENTS],
    );
    const r = both(() => [tf.add(small, small), tf.add(ints, ints), tf.sum(x, [])]);
    r.native.forEach((t, i) =>
      expect(Array.from(t.dataSync())).toEqual(Array.from(r.tfjs[i].dataSync())),
    );
    expect(r.calls).toBe(0);
  });

  it('returns memory to the process: 800 MB of results in a loop leave RSS flat', () => {
    // Results are V8-owned ArrayBuffers, so V8's GC sees (and frees) them; an earlier version
    // handed ATen-owned memory to JS and grew by hundreds of MB per UNet step.
    unregisterNativeKernels();
    registerNativeKernels({ threads: 2 });
    const a = random([1_000_000], 5);
    const b = random([1_000_000], 6);
    const step = () => tf.tidy(() => tf.add(a, b).dataSync()[0]);
    for (let i = 0; i < 20; i++) step();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) step();
    expect(process.memoryUsage().rss - before).toBeLessThan(300e6);
    unregisterNativeKernels();
  });

  it('registers the memory kernels only when asked for all kernels', () => {
    unregisterNativeKernels();
    registerNativeKernels({ kernels: 'conv3d' });
    expect(nativeKernelNames()).toEqual(
      expectNative ? ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'] : [],
    );
    unregisterNativeKernels();
    registerNativeKernels();
    const all = nativeKernelNames();
    if (expectNative) {
      // 3 tfjs conv kernels, 7 binary, 6 unary, Sum/Mean/Max/SplitV/Prelu/Softmax/Transpose/
      // Concat, 5 channel-first conv/batch-norm kernels, AdamW and 2 log-softmax kernels.
      expect(all).toHaveLength(32);
      for (const name of ['Conv3D', 'Exp', 'Max', 'Transpose', 'VoxelkitConv3dNcdhw']) {
        expect(all).toContain(name);
      }
      expect(all).toContain('VoxelkitAdamW');
    } else {
      expect(all).toEqual([]);
    }
    unregisterNativeKernels();
    expect(nativeKernelNames()).toEqual([]);
  });
});
