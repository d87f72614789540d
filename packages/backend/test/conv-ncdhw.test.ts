/**
 * conv3dNcdhw on the pure tfjs path (its composite of channels-last tfjs ops) against a naive
 * float64 convolution written from PyTorch's definitions of nn.Conv3d and nn.ConvTranspose3d:
 * - convolution: out = ⌊(n + 2p − k)/s⌋ + 1, y[o] = Σ x[o·s − p + kk]·w[kk] (zero outside);
 * - transposed: out = (n − 1)·s − 2p + k + output_padding, y[i·s − p + kk] += x[i]·w[kk].
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';

import { CONV_NCDHW_KERNELS, conv3dNcdhw, conv3dNcdhwComposite } from '@voxelkit/backend';

import {
  CONV_CASES,
  conv,
  convT,
  filterShape,
  geometry,
  outShape,
  outSpatial,
  size,
  type ConvCase,
} from './helpers/conv-cases.js';
import { randomF32 } from './helpers/random.js';

/**
 * Calls `visit(xi, yi, wi)` for every product x[xi]·w[wi] that adds to y[yi] (flat indices into
 * the NCDHW x and y and the tfjs-layout filter), straight from the definitions above.
 */
function forEachTap(c: ConvCase, visit: (xi: number, yi: number, wi: number) => void): void {
  const [n, cin, ...xs] = c.xShape;
  const cout = c.outChannels;
  const ys = outSpatial(c);
  const [kd, kh, kw] = c.kernel;
  const [sd, sh, sw] = c.stride;
  const [pd, ph, pw] = c.padding;
  const xIndex = (b: number, ch: number, d: number, h: number, w: number) =>
    (((b * cin + ch) * xs[0] + d) * xs[1] + h) * xs[2] + w;
  const yIndex = (b: number, ch: number, d: number, h: number, w: number) =>
    (((b * cout + ch) * ys[0] + d) * ys[1] + h) * ys[2] + w;
  const wIndex = (a: number, bb: number, cc: number, ci: number, co: number) => {
    const tap = (a * kh + bb) * kw + cc;
    return c.transposed ? (tap * cout + co) * cin + ci : (tap * cin + ci) * cout + co;
  };
  // The "small" grid is the output of a convolution and the input of a transposed one; the
  // "big" index is small·s − p + kk in both.
  const small = c.transposed ? xs : ys;
  const big = c.transposed ? ys : xs;
  for (let b = 0; b < n; b++)
    for (let qd = 0; qd < small[0]; qd++)
      for (let qh = 0; qh < small[1]; qh++)
        for (let qw = 0; qw < small[2]; qw++)
          for (let a = 0; a < kd; a++) {
            const gd = qd * sd - pd + a;
            if (gd < 0 || gd >= big[0]) continue;
            for (let bb = 0; bb < kh; bb++) {
              const gh = qh * sh - ph + bb;
              if (gh < 0 || gh >= big[1]) continue;
              for (let cc = 0; cc < kw; cc++) {
                const gw = qw * sw - pw + cc;
                if (gw < 0 || gw >= big[2]) continue;
                for (let ci = 0; ci < cin; ci++)
                  for (let co = 0; co < cout; co++) {
                    const xi = c.transposed ? xIndex(b, ci, qd, qh, qw) : xIndex(b, ci, gd, gh, gw);
                    const yi = c.transposed ? yIndex(b, co, gd, gh, gw) : yIndex(b, co, qd, qh, qw);
                    visit(xi, yi, wIndex(a, bb, cc, ci, co));
                  }
              }
            }
          }
}

/** The naive float64 convolution (or transposed convolution), NCDHW in and out. */
function naiveConv(
  c: ConvCase,
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array | null,
): Float64Array {
  const shape = outShape(c);
  const y = new Float64Array(size(shape));
  const perChannel = size(shape.slice(2));
  if (bias)
    for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / perChannel) % c.outChannels];
  forEachTap(c, (xi, yi, wi) => {
    y[yi] += x[xi] * w[wi];
  });
  return y;
}

/** Exact gradients of L = Σ y·r (L is bilinear, so these are the adjoint sums). */
function naiveGradients(
  c: ConvCase,
  x: Float64Array,
  w: Float64Array,
  r: Float64Array,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  forEachTap(c, (xi, yi, wi) => {
    dx[xi] += r[yi] * w[wi];
    dw[wi] += r[yi] * x[xi];
  });
  const db = new Float64Array(c.outChannels);
  const perChannel = size(outSpatial(c));
  for (let i = 0; i < r.length; i++) db[Math.floor(i / perChannel) % c.outChannels] += r[i];
  return { dx, dw, db };
}

function naiveLoss(
  c: ConvCase,
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array | null,
  r: Float64Array,
): number {
  const y = naiveConv(c, x, w, bias);
  let loss = 0;
  for (let i = 0; i < y.length; i++) loss += y[i] * r[i];
  return loss;
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

/** Float64 inputs of one case (float32-representable) and their tfjs tensors. */
function inputs(c: ConvCase, seed: number) {
  const x = randomF32(size(c.xShape), seed);
  const w = randomF32(size(filterShape(c)), seed + 1);
  const b = c.bias ? randomF32(c.outChannels, seed + 2) : null;
  const r = randomF32(size(outShape(c)), seed + 3);
  return { x, w, b, r };
}

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('conv3dNcdhw on the composite (pure tfjs) path', () => {
  it('runs on a backend without the native kernels', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.getKernel(CONV_NCDHW_KERNELS.forward, 'cpu')).toBeUndefined();
  });

  it('the naive reference is PyTorch: a hand-computed 1-D transposed conv with padding', () => {
    // x = [1, 2, 3], w = [1, 10, 100], s = 2, p = 1, op = 1 → full (n−1)s + k = 7 values
    // [1, 10, 102, 20, 203, 30, 300], cropped by p at the start and extended by op at the end:
    // out = 2·2 − 2 + 3 + 1 = 6 values [10, 102, 20, 203, 30, 300].
    const c = convT(
      '1-D check',
      [1, 1, 1, 1, 3],
      [1, 1, 3],
      1,
      [1, 1, 2],
      [0, 0, 1],
      [0, 0, 1],
      false,
    );
    expect(outShape(c)).toEqual([1, 1, 1, 1, 6]);
    expect(
      Array.from(naiveConv(c, Float64Array.of(1, 2, 3), Float64Array.of(1, 10, 100), null)),
    ).toEqual([10, 102, 20, 203, 30, 300]);
    // And the regular conv of [1, 2, 3, 4, 5] with [1, 10, 100], s 2, p 1: taps start at −1.
    const d = conv('1-D conv', [1, 1, 1, 1, 5], [1, 1, 3], 1, [1, 1, 2], [0, 0, 1], false);
    expect(outShape(d)).toEqual([1, 1, 1, 1, 3]);
    expect(
      Array.from(naiveConv(d, Float64Array.of(1, 2, 3, 4, 5), Float64Array.of(1, 10, 100), null)),
    ).toEqual([10 * 1 + 100 * 2, 2 + 10 * 3 + 100 * 4, 4 + 10 * 5]);
  });

  it.each(CONV_CASES.map((c, i) => [c.name, c, i] as const))('%s: forward', (_name, c, i) => {
    const { x, w, b } = inputs(c, 10 * i + 1);
    const want = naiveConv(c, x, w, b);
    tf.tidy(() => {
      const xt = tf.tensor5d(Float32Array.from(x), c.xShape);
      const wt = tf.tensor5d(Float32Array.from(w), filterShape(c));
      const bt = b ? tf.tensor1d(Float32Array.from(b)) : undefined;
      for (const op of [conv3dNcdhwComposite, conv3dNcdhw]) {
        const y = op(xt, wt, bt, geometry(c));
        expect(y.shape).toEqual(outShape(c));
        expect(y.dtype).toBe('float32');
        expect(maxRelativeError(y.dataSync(), want)).toBeLessThan(FORWARD_TOLERANCE);
      }
    });
  });

  it.each(CONV_CASES.map((c, i) => [c.name, c, i] as const))(
    '%s: gradients of Σ y·r w.r.t. x, filter and bias',
    (_name, c, i) => {
      const { x, w, b, r } = inputs(c, 10 * i + 5);
      const want = naiveGradients(c, x, w, r);
      // The adjoint sums are themselves checked against float64 central differences of the naive
      // forward at a few coordinates (L is linear in each argument, so these are exact).
      const fd = (which: 'x' | 'w' | 'b', k: number, h = 0.5) => {
        const args = {
          x: Float64Array.from(x),
          w: Float64Array.from(w),
          b: b && Float64Array.from(b),
        };
        const v = args[which] as Float64Array;
        v[k] += h;
        const up = naiveLoss(c, args.x, args.w, args.b, r);
        v[k] -= 2 * h;
        const down = naiveLoss(c, args.x, args.w, args.b, r);
        return (up - down) / (2 * h);
      };
      const picks = (n: number, seed: number) =>
        Array.from(randomF32(4, seed), (v) => Math.min(n - 1, Math.floor(((v + 1) / 2) * n)));
      for (const k of picks(x.length, i)) expect(fd('x', k)).toBeCloseTo(want.dx[k], 9);
      for (const k of picks(w.length, i + 1)) expect(fd('w', k)).toBeCloseTo(want.dw[k], 9);
      if (b) for (let k = 0; k < b.length; k++) expect(fd('b', k)).toBeCloseTo(want.db[k], 9);

      for (const op of [conv3dNcdhwComposite, conv3dNcdhw]) {
        tf.tidy(() => {
          const xt = tf.tensor5d(Float32Array.from(x), c.xShape);
          const wt = tf.tensor5d(Float32Array.from(w), filterShape(c));
          const rt = tf.tensor5d(Float32Array.from(r), outShape(c));
          const args: tf.Tensor[] = [xt, wt];
          if (b) args.push(tf.tensor1d(Float32Array.from(b)));
          const grads = tf.grads((...a: tf.Tensor[]) =>
            tf.sum(
              tf.mul(
                op(a[0] as tf.Tensor5D, a[1] as tf.Tensor5D, a[2] as tf.Tensor1D, geometry(c)),
                rt,
              ),
            ),
          )(args);
          expect(grads[0].shape).toEqual(c.xShape);
          expect(grads[1].shape).toEqual(filterShape(c));
          expect(maxRelativeError(grads[0].dataSync(), want.dx)).toBeLessThan(GRADIENT_TOLERANCE);
          expect(maxRelativeError(grads[1].dataSync(), want.dw)).toBeLessThan(GRADIENT_TOLERANCE);
          if (b) {
            expect(grads[2].shape).toEqual([c.outChannels]);
            expect(maxRelativeError(grads[2].dataSync(), want.db)).toBeLessThan(GRADIENT_TOLERANCE);
          }
        });
      }
    },
  );

  it('does not leak tensors', () => {
    const c = CONV_CASES[3];
    const { x, w, b } = inputs(c, 99);
    const xt = tf.tensor5d(Float32Array.from(x), c.xShape);
    const wt = tf.tensor5d(Float32Array.from(w), filterShape(c));
    const bt = b ? tf.tensor1d(Float32Array.from(b)) : undefined;
    const before = tf.memory().numTensors;
    const y = conv3dNcdhwComposite(xt, wt, bt, geometry(c));
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([y, xt, wt, ...(bt ? [bt] : [])]);
  });
});
