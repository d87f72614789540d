import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { logSoftmax } from '@voxelkit/backend';
import {
  nativeKernelCallCounts,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@voxelkit/backend-native';

import { expectNative } from './expect-native.js';
import { maxRelativeError, randomValues } from './reference.js';

const random = (shape: number[], seed: number) =>
  tf.tensor(
    Float32Array.from(randomValues(tf.util.sizeFromShape(shape), seed), (v) => 4 * v),
    shape,
  );

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe('native log-softmax', () => {
  it('refuses an axis other than the last, like tf.logSoftmax', () => {
    expect(() => logSoftmax(tf.zeros([2, 3, 4]), 1)).toThrow(/last axis/);
  });

  it('computes log(softmax) of a hand-worked row: [0, ln 3] → [ln ¼, ln ¾]', () => {
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const y = logSoftmax(tf.tensor2d([[0, Math.log(3)]]));
    unregisterNativeKernels();
    const [a, b] = Array.from(y.dataSync());
    expect(a).toBeCloseTo(Math.log(0.25), 6);
    expect(b).toBeCloseTo(Math.log(0.75), 6);
    y.dispose();
  });

  // Short last axis on ≥ 65 536 values takes the transposed path; the others ATen's own.
  // (tf.logSoftmax, the reference, only works along the last axis.)
  it.each([
    [[2, 24, 24, 24, 2], -1],
    [[2, 20, 20, 20, 3], 4],
    [[2, 10, 10, 10, 2], -1],
    [[64, 1100], 1],
    [[8, 16, 40], -1],
  ] as const)('equals tf.logSoftmax on %j along axis %i, forward and gradient', (shape, axis) => {
    const x = random([...shape], 7);
    const dy = random([...shape], 8);
    const run = () => {
      const f = (t: tf.Tensor) => tf.mul(logSoftmax(t, axis), dy);
      const y = logSoftmax(x, axis);
      const [dx] = tf.grads(f)([x], dy);
      return [y, dx];
    };
    const reference = [
      tf.logSoftmax(x, axis),
      tf.grads((t: tf.Tensor) => tf.mul(tf.logSoftmax(t, axis), dy))([x], dy)[0],
    ];
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const before = nativeKernelCallCounts().native;
    const native = run();
    const calls = nativeKernelCallCounts().native - before;
    unregisterNativeKernels();
    // Forward, backward, plus whatever memory-bound kernels the Mul and its gradient use.
    if (expectNative) expect(calls).toBeGreaterThanOrEqual(2);
    native.forEach((t, i) => {
      expect(t.shape).toEqual(reference[i].shape);
      expect(maxRelativeError(t.dataSync(), reference[i].dataSync())).toBeLessThan(1e-5);
    });
    tf.dispose([x, dy, ...native, ...reference]);
  });
});
