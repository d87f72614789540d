/**
 * batchNormAct on the pure tfjs path (its composite of tfjs ops) against a float64 reference
 * written from the definitions of nn.BatchNorm3d and nn.PReLU: statistics over (N, D, H, W),
 * biased variance in training mode, running statistics in evaluation mode,
 * y = act(γ·(x − mean)/√(var + eps) + β) with act(z) = z > 0 ? z : α·z.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  BATCH_NORM_ACT_KERNELS,
  batchNormAct,
  batchNormActComposite,
  type BatchNormActOptions,
} from '@voxelkit/backend';

import { randomF32 } from './helpers/random.js';

type Shape5 = [number, number, number, number, number];

const SHAPE: Shape5 = [2, 3, 3, 4, 5];
const [N, C] = SHAPE;
const SPATIAL = SHAPE[2] * SHAPE[3] * SHAPE[4];
const COUNT = N * C * SPATIAL;

const channelOf = (i: number) => Math.floor(i / SPATIAL) % C;

/** Per-channel offsets and scales so that every channel has its own, non-trivial statistics. */
const X = (() => {
  const offset = [0.7, -1.3, 0.1];
  const scale = [1.5, 0.4, 2.5];
  return randomF32(COUNT, 1).map((v, i) =>
    Math.fround(v * scale[channelOf(i)] + offset[channelOf(i)]),
  );
})();
const GAMMA = Float64Array.of(1.25, -0.5, 0.75);
const BETA = Float64Array.of(0.1, 0.3, -0.2);
const RUNNING_MEAN = Float64Array.of(0.5, -1, 0.25);
const RUNNING_VAR = Float64Array.of(0.8, 0.1, 4);
const R = randomF32(COUNT, 2);

interface RefParams {
  x: Float64Array;
  gamma: Float64Array;
  beta: Float64Array;
  alpha?: number;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

interface RefOptions {
  training: boolean;
  eps: number;
}

/** Float64 reference: `{ y, mean, variance }`. */
function reference(p: RefParams, o: RefOptions) {
  let mean = p.runningMean;
  let variance = p.runningVar;
  if (o.training) {
    mean = new Float64Array(C);
    variance = new Float64Array(C);
    for (let i = 0; i < COUNT; i++) mean[channelOf(i)] += p.x[i];
    for (let c = 0; c < C; c++) mean[c] /= N * SPATIAL;
    for (let i = 0; i < COUNT; i++) variance[channelOf(i)] += (p.x[i] - mean[channelOf(i)]) ** 2;
    for (let c = 0; c < C; c++) variance[c] /= N * SPATIAL;
  }
  const y = new Float64Array(COUNT);
  for (let i = 0; i < COUNT; i++) {
    const c = channelOf(i);
    const z = (p.gamma[c] * (p.x[i] - mean[c])) / Math.sqrt(variance[c] + o.eps) + p.beta[c];
    y[i] = p.alpha === undefined || z > 0 ? z : p.alpha * z;
  }
  return { y, mean, variance };
}

function referenceLoss(p: RefParams, o: RefOptions): number {
  const { y } = reference(p, o);
  let loss = 0;
  for (let i = 0; i < COUNT; i++) loss += y[i] * R[i];
  return loss;
}

type ParamName = 'x' | 'gamma' | 'beta' | 'alpha' | 'runningMean' | 'runningVar';

/** Float64 central differences of Σ y·R w.r.t. every entry of `which`. */
function finiteDifferences(p: RefParams, o: RefOptions, which: ParamName, h = 1e-6): Float64Array {
  if (which === 'alpha') {
    const at = (a: number) => referenceLoss({ ...p, alpha: a }, o);
    return Float64Array.of((at(p.alpha! + h) - at(p.alpha! - h)) / (2 * h));
  }
  const base = p[which];
  const out = new Float64Array(base.length);
  for (let k = 0; k < base.length; k++) {
    const v = Float64Array.from(base);
    v[k] = base[k] + h;
    const up = referenceLoss({ ...p, [which]: v }, o);
    v[k] = base[k] - h;
    const down = referenceLoss({ ...p, [which]: v }, o);
    out[k] = (up - down) / (2 * h);
  }
  return out;
}

/** Largest |a − b| relative to max(1, largest |b|). */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

const params = (alpha?: number): RefParams => ({
  x: X,
  gamma: GAMMA,
  beta: BETA,
  alpha,
  runningMean: RUNNING_MEAN,
  runningVar: RUNNING_VAR,
});

const CASES: [string, boolean, number | undefined, number][] = [
  ['training, no activation', true, undefined, 1e-5],
  ['training, PReLU α = 0.25', true, 0.25, 1e-5],
  ['training, PReLU α = −0.5', true, -0.5, 1e-5],
  ['training, PReLU α = 0.25, eps = 0.5', true, 0.25, 0.5],
  ['evaluation, no activation', false, undefined, 1e-5],
  ['evaluation, PReLU α = 0.25', false, 0.25, 1e-5],
  ['evaluation, PReLU α = −0.5, eps = 0.5', false, -0.5, 0.5],
];

const f32 = (v: Float64Array) => Float32Array.from(v);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('batchNormAct on the composite (pure tfjs) path', () => {
  it('runs on a backend without the native kernels', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.getKernel(BATCH_NORM_ACT_KERNELS.forward, 'cpu')).toBeUndefined();
  });

  it('the reference has zero mean and unit (biased) variance per channel when γ = 1, β = 0', () => {
    const ones = Float64Array.of(1, 1, 1);
    const { y } = reference(
      { ...params(), gamma: ones, beta: new Float64Array(C) },
      {
        training: true,
        eps: 0,
      },
    );
    for (let c = 0; c < C; c++) {
      const values = Array.from(y).filter((_, i) => channelOf(i) === c);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
      expect(mean).toBeCloseTo(0, 12);
      expect(variance).toBeCloseTo(1, 12);
    }
  });

  it.each(CASES)('%s: y, mean and variance', (_name, training, alpha, eps) => {
    const want = reference(params(alpha), { training, eps });
    tf.tidy(() => {
      const options: BatchNormActOptions = {
        training,
        eps,
        alpha: alpha === undefined ? undefined : tf.tensor1d([alpha]),
      };
      const x = tf.tensor5d(f32(X), SHAPE);
      const args = [
        x,
        tf.tensor1d(f32(GAMMA)),
        tf.tensor1d(f32(BETA)),
        tf.tensor1d(f32(RUNNING_MEAN)),
        tf.tensor1d(f32(RUNNING_VAR)),
      ] as const;
      for (const op of [batchNormActComposite, batchNormAct]) {
        const got = op(...args, options);
        expect(got.y.shape).toEqual(SHAPE);
        expect(got.mean.shape).toEqual([C]);
        expect(got.variance.shape).toEqual([C]);
        expect(maxRelativeError(got.y.dataSync(), want.y)).toBeLessThan(1e-5);
        expect(maxRelativeError(got.mean.dataSync(), want.mean)).toBeLessThan(1e-6);
        expect(maxRelativeError(got.variance.dataSync(), want.variance)).toBeLessThan(1e-5);
        if (!training) {
          // Evaluation mode returns the running statistics themselves, as new tensors.
          expect(Array.from(got.mean.dataSync())).toEqual(Array.from(f32(RUNNING_MEAN)));
          expect(Array.from(got.variance.dataSync())).toEqual(Array.from(f32(RUNNING_VAR)));
          expect(got.mean).not.toBe(args[3]);
          expect(got.variance).not.toBe(args[4]);
        }
      }
    });
  });

  it.each(CASES)(
    '%s: gradients equal float64 finite differences',
    (_name, training, alpha, eps) => {
      const p = params(alpha);
      const o = { training, eps };
      const names: ParamName[] = ['x', 'gamma', 'beta'];
      if (alpha !== undefined) names.push('alpha');
      // In training mode y does not depend on the running statistics.
      if (!training) names.push('runningMean', 'runningVar');
      const want = names.map((name) => finiteDifferences(p, o, name));
      for (const op of [batchNormActComposite, batchNormAct]) {
        tf.tidy(() => {
          const r = tf.tensor5d(f32(R), SHAPE);
          const tensors: Record<ParamName, tf.Tensor> = {
            x: tf.tensor5d(f32(X), SHAPE),
            gamma: tf.tensor1d(f32(GAMMA)),
            beta: tf.tensor1d(f32(BETA)),
            alpha: tf.tensor1d([alpha ?? 0]),
            runningMean: tf.tensor1d(f32(RUNNING_MEAN)),
            runningVar: tf.tensor1d(f32(RUNNING_VAR)),
          };
          const loss = (...values: tf.Tensor[]) => {
            const t = { ...tensors };
            names.forEach((name, k) => (t[name] = values[k]));
            const { y } = op(
              t.x as tf.Tensor5D,
              t.gamma as tf.Tensor1D,
              t.beta as tf.Tensor1D,
              t.runningMean as tf.Tensor1D,
              t.runningVar as tf.Tensor1D,
              { training, eps, alpha: alpha === undefined ? undefined : t.alpha },
            );
            return tf.sum(tf.mul(y, r));
          };
          const grads = tf.grads(loss)(names.map((name) => tensors[name]));
          names.forEach((name, k) => {
            expect(grads[k].shape, name).toEqual(tensors[name].shape);
            expect(maxRelativeError(grads[k].dataSync(), want[k]), name).toBeLessThan(1e-4);
          });
        });
      }
    },
  );

  it('the gradient w.r.t. α is the sum of dy·z over the negative z (hand-checked)', () => {
    // One channel, γ = 1, β = 0, evaluation mode with mean 0 and var 1 − eps: z = x exactly.
    const eps = 0.25;
    const x = tf.tensor5d([1, -2, 3, -4], [1, 1, 1, 1, 4]);
    const dy = tf.tensor5d([1, 10, 100, 1000], [1, 1, 1, 1, 4]);
    const stats = [tf.tensor1d([0]), tf.tensor1d([1 - eps])] as const;
    const f = (xx: tf.Tensor, a: tf.Tensor) =>
      batchNormActComposite(
        xx as tf.Tensor5D,
        tf.ones([1]) as tf.Tensor1D,
        tf.zeros([1]) as tf.Tensor1D,
        ...stats,
        {
          training: false,
          eps,
          alpha: a,
        },
      ).y;
    const alpha = tf.tensor1d([0.25]);
    expect(Array.from(f(x, alpha).dataSync())).toEqual([1, -0.5, 3, -1]);
    const [dx, dAlpha] = tf.grads(f)([x, alpha], dy);
    expect(Array.from(dx.dataSync())).toEqual([1, 2.5, 100, 250]);
    expect(Array.from(dAlpha.dataSync())).toEqual([10 * -2 + 1000 * -4]);
  });

  it('does not leak tensors', () => {
    const x = tf.tensor5d(f32(X), SHAPE);
    const rest = [GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR].map((v) => tf.tensor1d(f32(v)));
    const alpha = tf.tensor1d([0.25]);
    const before = tf.memory().numTensors;
    const out = batchNormActComposite(
      x,
      ...(rest as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]),
      { training: true, eps: 1e-5, alpha },
    );
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([out.y, out.mean, out.variance, x, alpha, ...rest]);
  });
});
