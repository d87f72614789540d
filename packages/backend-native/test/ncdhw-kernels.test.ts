/**
 * The native channel-first kernels (VoxelkitConv3dNcdhw*, VoxelkitBatchNormAct*) against
 * @voxelkit/backend's composites of tfjs ops, which packages/backend/test checks against naive
 * float64 references. Each comparison computes the composite with tfjs' own kernels, then the op
 * with the native kernels registered (on the fallback path both are the composite).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BATCH_NORM_ACT_KERNELS,
  CONV_NCDHW_KERNELS,
  batchNormAct,
  batchNormActComposite,
  conv3dNcdhw,
  conv3dNcdhwComposite,
  type ConvNcdhwGeometry,
} from '@voxelkit/backend';
import {
  nativeKernelCallCounts,
  nativeKernelNames,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@voxelkit/backend-native';

import {
  CONV_CASES,
  conv,
  convT,
  filterShape,
  geometry as caseGeometry,
  ONE,
  outShape,
  size,
  TWO,
  ZERO,
  type ConvCase,
  type Shape5,
} from '../../backend/test/helpers/conv-cases.js';
import { maxRelativeError, randomValues } from './reference.js';
import { expectNative } from './expect-native.js';

/** The UNet's convolutions (native paths: oneDNN, direct loops, few-channel transposed), then
 * the geometry cases packages/backend/test checks against float64 references. */
const CASES: ConvCase[] = [
  // The UNet's convolutions.
  conv('UNet down k3 s2 p1, 2×1×16³ → 16', [2, 1, 16, 16, 16], [3, 3, 3], 16, TWO, ONE, true),
  conv('UNet k3 s1 p1, 2×16×8³ → 16', [2, 16, 8, 8, 8], [3, 3, 3], 16, ONE, ONE, true),
  conv('UNet residual k1 s1 p0, 2×16×8³ → 32', [2, 16, 8, 8, 8], [1, 1, 1], 32, ONE, ZERO, true),
  conv('UNet down k3 s2 p1, no bias', [2, 16, 8, 8, 8], [3, 3, 3], 32, TWO, ONE, false),
  // The UNet's last convolution (2 -> 2 channels at full size) runs the direct loops.
  conv('UNet top k3 s1 p1, 2×2×12×11×10 → 2', [2, 2, 12, 11, 10], [3, 3, 3], 2, ONE, ONE, true),
  convT(
    'UNet top up T k3 s2 p1 op1, 2×8×5³ → 2',
    [2, 8, 5, 5, 5],
    [3, 3, 3],
    2,
    TWO,
    ONE,
    ONE,
    true,
  ),
  convT(
    'UNet up T k3 s2 p1 op1, 2×32×4³ → 16',
    [2, 32, 4, 4, 4],
    [3, 3, 3],
    16,
    TWO,
    ONE,
    ONE,
    true,
  ),
  ...CONV_CASES,
];

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    Float32Array.from(randomValues(size(shape), seed), (v) => v * scale),
    shape,
  );
}

type ConvOp = typeof conv3dNcdhw;
type BatchNormOp = typeof batchNormAct;

interface Both {
  composite: tf.Tensor[];
  native: tf.Tensor[];
  /** Native kernel calls made by the native run. */
  calls: number;
}

/**
 * Runs `fn` with the composite op and tfjs' own kernels, then with the public op and the native
 * kernels registered; returns both results.
 */
function both(fn: (conv: ConvOp, batchNorm: BatchNormOp) => tf.Tensor[]): Both {
  unregisterNativeKernels();
  expect(tf.getKernel(CONV_NCDHW_KERNELS.forward, 'cpu')).toBeUndefined();
  const composite = fn(conv3dNcdhwComposite, batchNormActComposite);
  expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
  const before = nativeKernelCallCounts().native;
  const native = fn(conv3dNcdhw, batchNormAct);
  const calls = nativeKernelCallCounts().native - before;
  unregisterNativeKernels();
  return { composite, native, calls };
}

function expectClose(r: Both, tolerance: number, labels: string[] = []): void {
  expect(r.native.length).toBe(r.composite.length);
  r.native.forEach((t, i) => {
    const label = labels[i] ?? `output ${i}`;
    expect(t.shape, label).toEqual(r.composite[i].shape);
    expect(t.dtype, label).toBe('float32');
    const err = maxRelativeError(t.dataSync(), r.composite[i].dataSync());
    expect(err, label).toBeLessThan(tolerance);
  });
}

const CONV_TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe('native channel-first kernels equal the tfjs composites', () => {
  it('are registered with the other native kernels', () => {
    unregisterNativeKernels();
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const names = [...Object.values(CONV_NCDHW_KERNELS), ...Object.values(BATCH_NORM_ACT_KERNELS)];
    for (const name of names) {
      expect(nativeKernelNames().includes(name), name).toBe(expectNative);
      expect(tf.getKernel(name, 'cpu') !== undefined, name).toBe(expectNative);
    }
    unregisterNativeKernels();
    for (const name of names) expect(tf.getKernel(name, 'cpu'), name).toBeUndefined();
    // Only with the default 'all' scope.
    expect(registerNativeKernels({ threads: 2, kernels: 'conv3d' })).toBe(expectNative);
    for (const name of names) expect(tf.getKernel(name, 'cpu'), name).toBeUndefined();
    unregisterNativeKernels();
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))(
    'conv3dNcdhw %s: forward and gradients w.r.t. x, filter and bias',
    (_name, c, i) => {
      const x = random(c.xShape, 10 * i + 1) as tf.Tensor5D;
      const w = random(filterShape(c), 10 * i + 2) as tf.Tensor5D;
      const b = c.bias ? (random([c.outChannels], 10 * i + 3) as tf.Tensor1D) : undefined;
      const dy = random(outShape(c), 10 * i + 4);
      const args = b ? [x, w, b] : [x, w];
      const forward = both((op) => [op(x, w, b, caseGeometry(c))]);
      expect(forward.native[0].shape).toEqual(outShape(c));
      expectClose(forward, CONV_TOLERANCE, ['y']);
      expect(forward.calls).toBe(expectNative ? 1 : 0);

      const backward = both((op) =>
        tf.grads((...a: tf.Tensor[]) =>
          op(
            a[0] as tf.Tensor5D,
            a[1] as tf.Tensor5D,
            a[2] as tf.Tensor1D | undefined,
            caseGeometry(c),
          ),
        )(args, dy),
      );
      expectClose(backward, CONV_TOLERANCE, ['dx', 'dFilter', 'dBias']);
      // Forward, input gradient and filter gradient natively; the bias gradient is a Sum, itself
      // native from MIN_NATIVE_ELEMENTS values on.
      const biasSum = b && size(outShape(c)) >= 16_384 ? 1 : 0;
      expect(backward.calls).toBe(expectNative ? 3 + biasSum : 0);
      tf.dispose([x, w, dy, ...(b ? [b] : []), ...forward.composite, ...forward.native]);
      tf.dispose([...backward.composite, ...backward.native]);
    },
  );

  const BN_SHAPES: Shape5[] = [
    [2, 3, 3, 4, 5],
    [2, 16, 8, 8, 8],
  ];
  const BN_CASES: [string, boolean, number | undefined][] = [
    ['training, no activation', true, undefined],
    ['training, PReLU α = 0.25', true, 0.25],
    ['training, PReLU α = −0.5', true, -0.5],
    ['evaluation, no activation', false, undefined],
    ['evaluation, PReLU α = 0.25', false, 0.25],
    ['evaluation, PReLU α = −0.5', false, -0.5],
  ];
  describe.each(BN_SHAPES.map((s) => [s.join('×'), s] as const))(
    'batchNormAct on %s',
    (_l, shape) => {
      it.each(BN_CASES)('%s: y, statistics and gradients', (_name, training, alpha) => {
        const channels = shape[1];
        // Off-centre, scaled input so that the statistics matter.
        const x = tf.tidy(() => tf.add(random(shape, 1, 2), 0.5)) as tf.Tensor5D;
        const gamma = random([channels], 2) as tf.Tensor1D;
        const beta = random([channels], 3) as tf.Tensor1D;
        const runningMean = random([channels], 4, 0.5) as tf.Tensor1D;
        const runningVar = tf.tidy(() => tf.add(random([channels], 5, 0.5), 1)) as tf.Tensor1D;
        const a = alpha === undefined ? undefined : tf.tensor1d([alpha]);
        const dy = random(shape, 6);
        const options = { training, eps: 1e-5, alpha: a };

        const forward = both((_c, op) => {
          const out = op(x, gamma, beta, runningMean, runningVar, options);
          return [out.y, out.mean, out.variance];
        });
        expectClose(forward, 1e-5, ['y', 'mean', 'variance']);
        expect(forward.calls).toBe(expectNative ? 1 : 0);

        const args = a ? [x, gamma, beta, a] : [x, gamma, beta];
        const backward = both((_c, op) =>
          tf.grads(
            (...t: tf.Tensor[]) =>
              op(
                t[0] as tf.Tensor5D,
                t[1] as tf.Tensor1D,
                t[2] as tf.Tensor1D,
                runningMean,
                runningVar,
                {
                  ...options,
                  alpha: t[3],
                },
              ).y,
          )(args, dy),
        );
        // dx in training mode subtracts per-channel means of dy-sized terms: float32 cancellation.
        expectClose(backward, 1e-4, ['dx', 'dGamma', 'dBeta', 'dAlpha']);
        expect(backward.calls).toBe(expectNative ? 2 : 0);
        tf.dispose([x, gamma, beta, runningMean, runningVar, dy, ...(a ? [a] : [])]);
        tf.dispose([
          ...forward.composite,
          ...forward.native,
          ...backward.composite,
          ...backward.native,
        ]);
      });
    },
  );

  it('batchNormAct in evaluation mode returns the running statistics and normalises with them', () => {
    const shape: Shape5 = [2, 4, 5, 6, 7];
    const x = random(shape, 11, 3) as tf.Tensor5D;
    const gamma = tf.ones([4]) as tf.Tensor1D;
    const beta = tf.zeros([4]) as tf.Tensor1D;
    const runningMean = tf.tensor1d([0.5, -1, 2, 0]);
    const runningVar = tf.tensor1d([1, 4, 0.25, 9]);
    const eps = 1e-5;
    const r = both((_c, op) => {
      const out = op(x, gamma, beta, runningMean, runningVar, { training: false, eps });
      return [out.y, out.mean, out.variance];
    });
    expectClose(r, 1e-6, ['y', 'mean', 'variance']);
    const [y, mean, variance] = r.native;
    expect(Array.from(mean.dataSync())).toEqual([0.5, -1, 2, 0]);
    expect(Array.from(variance.dataSync())).toEqual([1, 4, 0.25, 9]);
    // y = (x − m)/√(v + eps) with γ = 1, β = 0, checked here at a few voxels by hand.
    const xs = x.dataSync();
    const ys = y.dataSync();
    const perChannel = 5 * 6 * 7;
    for (const i of [0, 217, 500, 1679]) {
      const c = Math.floor(i / perChannel) % 4;
      const want = (xs[i] - [0.5, -1, 2, 0][c]) / Math.sqrt([1, 4, 0.25, 9][c] + eps);
      expect(ys[i]).toBeCloseTo(want, 5);
    }
    // They are new tensors: disposing them leaves the running statistics intact.
    tf.dispose([mean, variance]);
    expect(Array.from(runningMean.dataSync())).toEqual([0.5, -1, 2, 0]);
    // Training mode returns the batch statistics instead.
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const trained = batchNormAct(x, gamma, beta, runningMean, runningVar, { training: true, eps });
    const moments = tf.moments(x, [0, 2, 3, 4]);
    expect(maxRelativeError(trained.mean.dataSync(), moments.mean.dataSync())).toBeLessThan(1e-5);
    expect(maxRelativeError(trained.variance.dataSync(), moments.variance.dataSync())).toBeLessThan(
      1e-5,
    );
    unregisterNativeKernels();
    tf.dispose([x, gamma, beta, runningMean, runningVar, y, ...r.composite, trained.y]);
    tf.dispose([trained.mean, trained.variance, moments.mean, moments.variance]);
  });

  it('a UNet level (conv, BN + PReLU, residual, up-conv) trains alike: tf.variableGrads', () => {
    const v = (shape: number[], seed: number, name: string) =>
      tf.variable(random(shape, seed, 0.5), true, `ncdhw-test-${name}`);
    const w1 = v([3, 3, 3, 1, 8], 21, 'w1');
    const b1 = v([8], 22, 'b1');
    const gamma = v([8], 23, 'gamma');
    const beta = v([8], 24, 'beta');
    const alpha = tf.variable(tf.tensor1d([0.25]), true, 'ncdhw-test-alpha');
    const wRes = v([1, 1, 1, 1, 8], 25, 'wRes');
    const wUp = v([3, 3, 3, 1, 8], 26, 'wUp');
    const vars = [w1, b1, gamma, beta, alpha, wRes, wUp];
    const x = random([2, 1, 16, 16, 16], 27) as tf.Tensor5D;
    const target = random([2, 1, 16, 16, 16], 28);
    const stats = [tf.zeros([8]), tf.ones([8])] as tf.Tensor1D[];
    const geometry = (s: number, p: number, transposed = false, op = 0): ConvNcdhwGeometry => ({
      stride: [s, s, s],
      padding: [p, p, p],
      transposed,
      outputPadding: [op, op, op],
    });
    const r = both((conv, batchNorm) => {
      const { value, grads } = tf.variableGrads(() => {
        const down = conv(x, w1 as tf.Tensor5D, b1 as tf.Tensor1D, geometry(2, 1));
        const residual = conv(
          tf.stridedSlice(x, [0, 0, 0, 0, 0], [2, 1, 16, 16, 16], [1, 1, 2, 2, 2]) as tf.Tensor5D,
          wRes as tf.Tensor5D,
          undefined,
          geometry(1, 0),
        );
        const { y } = batchNorm(
          tf.add(down, residual) as tf.Tensor5D,
          gamma as tf.Tensor1D,
          beta as tf.Tensor1D,
          stats[0],
          stats[1],
          { training: true, eps: 1e-5, alpha },
        );
        const up = conv(y, wUp as tf.Tensor5D, undefined, geometry(2, 1, true, 1));
        return tf.mean(tf.squaredDifference(up, target));
      }, vars);
      return [value, ...vars.map((t) => grads[t.name])];
    });
    expectClose(r, CONV_TOLERANCE, ['loss', 'w1', 'b1', 'gamma', 'beta', 'alpha', 'wRes', 'wUp']);
    // 3 convolutions × (forward, filter gradient), the up-conv's input gradient (the first two
    // convolve the constant x), BN forward and backward; maybe memory-bound kernels too.
    if (expectNative) expect(r.calls).toBeGreaterThanOrEqual(3 * 2 + 1 + 2);
    else expect(r.calls).toBe(0);
    tf.dispose([...vars, x, target, ...stats, ...r.composite, ...r.native]);
  });

  it('rejects a non-float32 input with a clear error', () => {
    const x = tf.tensor5d(new Int32Array(2 * 3 * 4 * 4 * 4).fill(1), [2, 3, 4, 4, 4], 'int32');
    const w = random([3, 3, 3, 3, 4], 31) as tf.Tensor5D;
    const ones = tf.ones([3]) as tf.Tensor1D;
    const zeros = tf.zeros([3]) as tf.Tensor1D;
    const g = { stride: ONE, padding: ONE, transposed: false, outputPadding: ZERO };
    unregisterNativeKernels();
    if (registerNativeKernels({ threads: 2 })) {
      expect(() => conv3dNcdhw(x, w, undefined, g)).toThrow(
        /native channel-first kernel: input x must be a float32 tensor/,
      );
      expect(() =>
        batchNormAct(x, ones, zeros, zeros, ones, { training: true, eps: 1e-5 }),
      ).toThrow(/input x must be a float32 tensor/);
      const intBias = () => tf.ones([4], 'int32') as tf.Tensor1D;
      expect(() =>
        tf.tidy(() => conv3dNcdhw(random(x.shape, 32) as tf.Tensor5D, w, intBias(), g)),
      ).toThrow(/input bias must be a float32 tensor/);
    } else {
      expect(expectNative).toBe(false);
    }
    unregisterNativeKernels();
    tf.dispose([x, w, ones, zeros]);
  });

  it('rejects mismatched channels and an output padding not below the stride', () => {
    const x = random([1, 3, 4, 4, 4], 41) as tf.Tensor5D;
    const w = random([3, 3, 3, 2, 4], 42) as tf.Tensor5D; // expects 2 input channels
    const g = { stride: ONE, padding: ONE, transposed: false, outputPadding: ZERO };
    const wT = random([3, 3, 3, 4, 3], 43) as tf.Tensor5D;
    const bad = { stride: TWO, padding: ONE, transposed: true, outputPadding: TWO };
    unregisterNativeKernels();
    expect(() => conv3dNcdhwComposite(x, w, undefined, g)).toThrow(/depth of input \(3\)/);
    // conv3dNcdhw checks the geometry before choosing a path: the same errors either way.
    for (const native of [false, true]) {
      if (native) expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
      expect(() => conv3dNcdhw(x, w, undefined, g)).toThrow(/input channels do not match/);
      expect(() => conv3dNcdhw(x, wT, undefined, bad)).toThrow(/outputPadding < stride/);
    }
    wT.dispose();
    unregisterNativeKernels();
    tf.dispose([x, w]);
  });
});
