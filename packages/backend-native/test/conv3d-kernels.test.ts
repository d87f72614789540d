import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { createMemoryLogger } from '@voxelkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  isNativeAvailable,
  nativeUnavailableReason,
  nativeKernelCallCounts,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@voxelkit/backend-native';

import {
  conv3dFilterGradRef,
  conv3dRef,
  conv3dTransposeRef,
  maxRelativeError,
  randomValues,
  type Shape5,
} from './reference.js';
import { expectNative } from './expect-native.js';

const TOLERANCE = 2e-5;

interface Case {
  batch: number;
  size: [number, number, number];
  cin: number;
  cout: number;
  kernel: [number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [];
for (const stride of [1, 2])
  for (const pad of ['same', 'valid'] as const)
    for (const [batch, cin, cout] of [
      [1, 1, 4],
      [2, 3, 4],
      [2, 4, 1],
    ] as const)
      CASES.push({ batch, size: [7, 5, 6], cin, cout, kernel: [3, 3, 3], stride, pad });
// A non-cubic kernel and an even size: asymmetric 'same' padding on every axis.
CASES.push({
  batch: 1,
  size: [6, 8, 4],
  cin: 3,
  cout: 2,
  kernel: [2, 3, 1],
  stride: 2,
  pad: 'same',
});

function label(c: Case): string {
  return `${c.batch}x${c.size.join('x')}x${c.cin}->${c.cout} k${c.kernel.join('')} s${c.stride} ${c.pad}`;
}

function tensor64(values: Float64Array, shape: Shape5): tf.Tensor5D {
  return tf.tensor5d(Float32Array.from(values), shape);
}

// Inputs rounded to float32 so the float64 reference sees exactly what the kernels see.
function inputs(c: Case, seed: number) {
  const xShape: Shape5 = [c.batch, ...c.size, c.cin];
  const wShape: Shape5 = [...c.kernel, c.cin, c.cout];
  const x = Float64Array.from(
    Float32Array.from(
      randomValues(
        xShape.reduce((a, b) => a * b),
        seed,
      ),
    ),
  );
  const w = Float64Array.from(
    Float32Array.from(
      randomValues(
        wShape.reduce((a, b) => a * b),
        seed + 1,
      ),
    ),
  );
  return { x, w, xShape, wShape };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  unregisterNativeKernels();
});

describe('addon availability', () => {
  it('matches what the build (or VOXELKIT_EXPECT_NATIVE) says', () => {
    expect(isNativeAvailable()).toBe(expectNative);
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    if (expectNative) expect(nativeUnavailableReason()).toBeUndefined();
    else expect(nativeUnavailableReason()).toMatch(/native addon/);
    unregisterNativeKernels();
  });

  it('reports a missing addon with a reason instead of throwing', () => {
    const saved = process.env.VOXELKIT_NATIVE_DISABLE;
    delete process.env.VOXELKIT_NATIVE_DISABLE;
    try {
      const bogus = '/nonexistent/voxelkit_native.node';
      expect(isNativeAvailable(bogus)).toBe(false);
      const logger = createMemoryLogger();
      expect(registerNativeKernels({ addonPath: bogus, logger })).toBe(false);
      expect(nativeUnavailableReason(bogus)).toMatch(/not built.*libtorch-dev/);
      expect(logger.records.map((r) => r.message).join('\n')).toMatch(/not registered.*not built/);
    } finally {
      if (saved !== undefined) process.env.VOXELKIT_NATIVE_DISABLE = saved;
    }
  });

  it('reports the addon as unavailable while VOXELKIT_NATIVE_DISABLE=1', () => {
    const saved = process.env.VOXELKIT_NATIVE_DISABLE;
    process.env.VOXELKIT_NATIVE_DISABLE = '1';
    try {
      expect(isNativeAvailable()).toBe(false);
      expect(nativeUnavailableReason()).toMatch(/disabled/);
    } finally {
      if (saved === undefined) delete process.env.VOXELKIT_NATIVE_DISABLE;
      else process.env.VOXELKIT_NATIVE_DISABLE = saved;
    }
  });

  it('rejects a bad thread count with a typed error', () => {
    expect(() => registerNativeKernels({ threads: 0 })).toThrow(/threads/);
  });
});

// The same tests run with native kernels registered (when built) and on the tfjs fallback
// path (always): both must equal the float64 reference.
describe.each([
  ['registered kernels, NCDHW layout', 'ncdhw'],
  ['registered kernels, channels-last layout', 'channels-last'],
  ['tfjs fallback kernels', undefined],
] as const)('conv3d kernels via %s', (_name, layout) => {
  const useNative = layout !== undefined;
  beforeAll(() => {
    unregisterNativeKernels();
    if (layout) expect(registerNativeKernels({ threads: 2, layout })).toBe(expectNative);
  });
  afterAll(() => unregisterNativeKernels());

  it.each(CASES.map((c) => [label(c), c] as const))('Conv3D forward %s', (_l, c) => {
    const { x, w, xShape, wShape } = inputs(c, 11);
    const ref = conv3dRef(x, xShape, w, wShape, c.stride, c.pad);
    const y = tf.conv3d(tensor64(x, xShape), tensor64(w, wShape), c.stride, c.pad);
    expect(y.shape).toEqual(ref.shape);
    expect(maxRelativeError(y.dataSync(), ref.y)).toBeLessThan(TOLERANCE);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('Conv3DBackpropInputV2 %s', (_l, c) => {
    const { x, w, xShape, wShape } = inputs(c, 21);
    const yShape = conv3dRef(x, xShape, w, wShape, c.stride, c.pad).shape;
    const dy = randomValues(
      yShape.reduce((a, b) => a * b),
      23,
    );
    const ref = conv3dTransposeRef(dy, yShape, w, wShape, xShape, c.stride, c.pad);
    // conv3dTranspose dispatches Conv3DBackpropInputV2 (filter [kD,kH,kW,outC=Cin,inC=Cout]).
    const dx = tf.conv3dTranspose(
      tensor64(dy, yShape),
      tensor64(w, wShape),
      xShape,
      c.stride,
      c.pad,
    );
    expect(dx.shape).toEqual(xShape);
    expect(maxRelativeError(dx.dataSync(), ref)).toBeLessThan(TOLERANCE);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('Conv3DBackpropFilterV2 %s', (_l, c) => {
    const { x, w, xShape, wShape } = inputs(c, 31);
    const yShape = conv3dRef(x, xShape, w, wShape, c.stride, c.pad).shape;
    const dy = randomValues(
      yShape.reduce((a, b) => a * b),
      33,
    );
    const ref = conv3dFilterGradRef(x, xShape, dy, yShape, wShape, c.stride, c.pad);
    const dw = tf
      .engine()
      .runKernel(
        'Conv3DBackpropFilterV2',
        { x: tensor64(x, xShape), dy: tensor64(dy, yShape) },
        { strides: c.stride, pad: c.pad, filterShape: wShape },
      ) as tf.Tensor;
    expect(dw.shape).toEqual(wShape);
    expect(maxRelativeError(dw.dataSync(), ref)).toBeLessThan(TOLERANCE);
  });

  it('falls back to tfjs for dilated convolutions and still matches the reference', () => {
    const c: Case = {
      batch: 1,
      size: [7, 5, 6],
      cin: 2,
      cout: 3,
      kernel: [2, 2, 2],
      stride: 1,
      pad: 'valid',
    };
    const { x, w, xShape, wShape } = inputs(c, 41);
    const ref = conv3dRef(x, xShape, w, wShape, 1, 'valid', 2);
    const before = nativeKernelCallCounts().fallback;
    const y = tf.conv3d(tensor64(x, xShape), tensor64(w, wShape), 1, 'valid', 'NDHWC', 2);
    expect(maxRelativeError(y.dataSync(), ref.y)).toBeLessThan(TOLERANCE);
    expect(nativeKernelCallCounts().fallback - before).toBe(useNative && expectNative ? 1 : 0);
  });

  it('routes conv3d and both gradients through the native addon when registered', () => {
    const before = nativeKernelCallCounts().native;
    const x = tf.randomNormal([1, 5, 5, 5, 2]) as tf.Tensor5D;
    const w = tf.randomNormal([3, 3, 3, 2, 3]) as tf.Tensor5D;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same')),
    );
    grads([x, w]).forEach((g) => g.dispose());
    expect(nativeKernelCallCounts().native - before).toBe(useNative && expectNative ? 3 : 0);
  });
});
