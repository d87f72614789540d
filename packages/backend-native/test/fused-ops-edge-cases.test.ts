/**
 * Edge cases found by a break-it review of the fused ops (2026-12-04): each ran differently on
 * the native kernels than on the tfjs compositions, or gave a broken tensor. The expected values
 * are worked by hand.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adamwUpdate, batchNormAct, conv3dNcdhw, logSoftmax } from '@voxelkit/backend';
import { registerNativeKernels, unregisterNativeKernels } from '@voxelkit/backend-native';
import { ArgumentError } from '@voxelkit/core';

import { expectNative } from './expect-native.js';

const near = (actual: ArrayLike<number>, expected: number[], digits = 5) =>
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));

/** Runs `check` with tfjs' compositions, then with the native kernels registered. */
function onBothPaths(check: (path: string) => void): void {
  unregisterNativeKernels();
  check('composite');
  expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
  check('native');
  unregisterNativeKernels();
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe('batchNormAct edge cases', () => {
  const one = () => tf.ones([1]) as tf.Tensor1D;
  const zero = () => tf.zeros([1]) as tf.Tensor1D;

  it('passes gradients through its mean and variance outputs', () => {
    onBothPaths(() => {
      // x = [1, 3]: mean 2, biased variance 1; d mean/dx = ½, d variance/dx = 2(x − mean)/2.
      const x = tf.tensor([1, 3], [1, 1, 1, 1, 2]) as tf.Tensor5D;
      const [rm, rv] = [tf.tensor1d([5]), tf.tensor1d([4])];
      const opts = { training: true, eps: 1e-5 };
      const viaMean = tf.grad((t: tf.Tensor) =>
        tf.sum(batchNormAct(t as tf.Tensor5D, one(), zero(), rm, rv, opts).mean),
      )(x);
      const viaVariance = tf.grad((t: tf.Tensor) =>
        tf.sum(batchNormAct(t as tf.Tensor5D, one(), zero(), rm, rv, opts).variance),
      )(x);
      near(viaMean.dataSync(), [0.5, 0.5]);
      near(viaVariance.dataSync(), [-1, 1]);
      // Evaluation mode returns the running mean itself: its gradient is 1.
      const eval_ = { training: false, eps: 1e-5 };
      const viaRunning = tf.grad((m: tf.Tensor) =>
        tf.sum(batchNormAct(x, one(), zero(), m as tf.Tensor1D, rv, eval_).mean),
      )(rm);
      near(viaRunning.dataSync(), [1]);
    });
  });

  it('takes the negative PReLU slope on a constant channel (z = 0 exactly)', () => {
    onBothPaths(() => {
      const x = tf.fill([1, 1, 2, 2, 2], 0.3) as tf.Tensor5D;
      const dy = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 2, 2]);
      const alpha = tf.tensor1d([0.25]);
      const opts = { training: true, eps: 1e-5, alpha };
      const beta = zero();
      const y = batchNormAct(x, one(), beta, tf.zeros([1]) as tf.Tensor1D, one(), opts).y;
      expect(Math.max(...Array.from(y.dataSync(), Math.abs))).toBe(0);
      // z = 0 everywhere, so dz = α·dy and dβ = α·Σdy = 0.25·36 = 9.
      const dBeta = tf.grad((b: tf.Tensor) =>
        tf.sum(
          tf.mul(
            batchNormAct(x, one(), b as tf.Tensor1D, tf.zeros([1]) as tf.Tensor1D, one(), opts).y,
            dy,
          ),
        ),
      )(beta);
      near(dBeta.dataSync(), [9]);
    });
  });

  it('gives finite input gradients next to NaN and infinite values in evaluation mode', () => {
    onBothPaths(() => {
      const x = tf.tensor([NaN, Infinity, 1, -1], [1, 1, 1, 1, 4]) as tf.Tensor5D;
      const opts = { training: false, eps: 1e-5 };
      const dx = tf.grad((t: tf.Tensor) =>
        tf.sum(batchNormAct(t as tf.Tensor5D, one(), zero(), zero(), one(), opts).y),
      )(x);
      // γ/√(1 + eps) for every element, the non-finite ones included (as tfjs' composition).
      near(
        dx.dataSync(),
        [1, 1, 1, 1].map(() => 1 / Math.sqrt(1 + 1e-5)),
      );
    });
  });

  it('does not leak its placeholder tensor when it throws', () => {
    onBothPaths(() => {
      const x = tf.zeros([1, 3, 2, 2, 2]) as tf.Tensor5D;
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        expect(() =>
          batchNormAct(x, tf.ones([2]) as tf.Tensor1D, zero(), zero(), one(), {
            training: true,
            eps: 1e-5,
          }),
        ).toThrow();
      }
      // Each call leaves only the four argument tensors made for it (ones, zero, zero, one).
      expect(tf.memory().numTensors - before).toBe(5 * 4);
    });
  });
});

describe('conv3dNcdhw geometry checks', () => {
  const x = () => tf.zeros([1, 2, 4, 4, 4]) as tf.Tensor5D;
  const w = () => tf.zeros([3, 3, 3, 2, 2]) as tf.Tensor5D;
  const geometry = (padding: number[], stride = [1, 1, 1]) => ({
    stride: stride as [number, number, number],
    padding: padding as [number, number, number],
    transposed: false,
    outputPadding: [0, 0, 0] as [number, number, number],
  });

  it.each([[[0.5, 0.5, 0.5]], [[Infinity, 1, 1]], [[1.5, 1, 1]], [[-1, 0, 0]]])(
    'refuses padding %j with an ArgumentError on both paths',
    (padding) => {
      onBothPaths(() => {
        expect(() => conv3dNcdhw(x(), w(), undefined, geometry(padding))).toThrow(ArgumentError);
      });
    },
  );

  it('refuses a kernel larger than the padded input (empty output) on both paths', () => {
    onBothPaths(() => {
      const big = tf.zeros([5, 5, 5, 2, 2]) as tf.Tensor5D;
      expect(() => conv3dNcdhw(x(), big, undefined, geometry([0, 0, 0]))).toThrow(
        /output would be empty/,
      );
    });
  });
});

describe('native kernels leave what they do not cover to tfjs', () => {
  it('adamwUpdate with a gradient of another shape behaves as the composition (throws)', () => {
    onBothPaths(() => {
      const c = {
        stepSize: 1,
        beta1: 0.9,
        beta2: 0.999,
        biasCorrection2Sqrt: 1,
        eps: 1e-8,
        decay: 1,
      };
      const p = tf.zeros([2, 3]);
      expect(() => adamwUpdate(p, tf.zeros([3, 2]), p, p, c)).toThrow();
    });
  });

  it('logSoftmax of int32 logits equals tf.logSoftmax', () => {
    onBothPaths(() => {
      const logits = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
      near(logSoftmax(logits).dataSync(), Array.from(tf.logSoftmax(logits).dataSync()));
    });
  });

  it('concat with an empty part and max over a repeated axis match tfjs', () => {
    const big = tf.ones([4, 32, 16, 16]);
    const results: number[][] = [];
    onBothPaths(() => {
      const joined = tf.concat([tf.zeros([4, 0, 16, 16]), big, big], 1);
      expect(joined.shape).toEqual([4, 64, 16, 16]);
      results.push(Array.from(tf.max(big, [1, -3]).dataSync()).slice(0, 4));
    });
    expect(results[1]).toEqual(results[0]);
  });
});
