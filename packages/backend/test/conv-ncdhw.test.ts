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

import {
  CONV_NCDHW_KERNELS,
  conv3dNcdhw,
  conv3dNcdhwComposite,
  type ConvNcdhwGeometry,
} from '@voxelkit/backend';

type Vec3 = [number, number, number];
type Shape5 = [number, number, number, number, number];

interface ConvCase {
  name: string;
  /** `[N, Cin, D, H, W]`. */
  xShape: Shape5;
  kernel: Vec3;
  outChannels: number;
  stride: Vec3;
  padding: Vec3;
  transposed: boolean;
  outputPadding: Vec3;
  bias: boolean;
}

const ZERO: Vec3 = [0, 0, 0];
const ONE: Vec3 = [1, 1, 1];
const TWO: Vec3 = [2, 2, 2];

const conv = (
  name: string,
  xShape: Shape5,
  kernel: Vec3,
  outChannels: number,
  stride: Vec3,
  padding: Vec3,
  bias: boolean,
): ConvCase => ({
  name,
  xShape,
  kernel,
  outChannels,
  stride,
  padding,
  transposed: false,
  outputPadding: ZERO,
  bias,
});

const convT = (
  name: string,
  xShape: Shape5,
  kernel: Vec3,
  outChannels: number,
  stride: Vec3,
  padding: Vec3,
  outputPadding: Vec3,
  bias: boolean,
): ConvCase => ({
  name,
  xShape,
  kernel,
  outChannels,
  stride,
  padding,
  transposed: true,
  outputPadding,
  bias,
});

const CASES: ConvCase[] = [
  conv('k3 s1 p1 (same)', [2, 3, 5, 7, 6], [3, 3, 3], 4, ONE, ONE, true),
  conv('k3 s1 p0 (valid)', [2, 2, 5, 6, 7], [3, 3, 3], 3, ONE, ZERO, false),
  conv('k3 s1 p2', [2, 2, 3, 5, 4], [3, 3, 3], 3, ONE, TWO, true),
  conv('k3 s2 p1, odd sizes', [2, 3, 7, 5, 9], [3, 3, 3], 4, TWO, ONE, false),
  conv('k3 s2 p1, even sizes (UNet down)', [2, 1, 8, 8, 8], [3, 3, 3], 4, TWO, ONE, true),
  conv('k3 s2 p0', [2, 2, 7, 6, 5], [3, 3, 3], 3, TWO, ZERO, true),
  conv('k3 s2 p2', [2, 2, 5, 6, 7], [3, 3, 3], 2, TWO, TWO, false),
  conv('k1 s1 p0 (residual)', [2, 5, 3, 4, 5], [1, 1, 1], 3, ONE, ZERO, true),
  conv('k1 s2 p0 (kernel < stride)', [2, 3, 5, 6, 7], [1, 1, 1], 2, TWO, ZERO, false),
  conv('k1 s1 p1', [2, 2, 3, 3, 4], [1, 1, 1], 2, ONE, ONE, true),
  conv('k2 s2 p0, even kernel', [2, 2, 6, 5, 7], [2, 2, 2], 3, TWO, ZERO, true),
  conv('non-cubic k[1,3,3] s1 p[0,1,1]', [2, 2, 4, 5, 6], [1, 3, 3], 3, ONE, [0, 1, 1], true),
  conv('non-cubic k[3,2,1] s1 p[1,0,0]', [2, 2, 5, 4, 3], [3, 2, 1], 3, ONE, [1, 0, 0], false),
  conv(
    'mixed stride [1,2,3], p[0,1,2], k[3,3,2]',
    [2, 2, 5, 7, 9],
    [3, 3, 2],
    3,
    [1, 2, 3],
    [0, 1, 2],
    true,
  ),
  convT('T k3 s2 p1 op1 (UNet up)', [2, 3, 4, 3, 5], [3, 3, 3], 2, TWO, ONE, ONE, true),
  convT('T k3 s2 p1 op0', [2, 3, 3, 4, 5], [3, 3, 3], 2, TWO, ONE, ZERO, false),
  convT(
    'T k3 s2 p0 op1 (output_padding > padding)',
    [2, 2, 3, 4, 3],
    [3, 3, 3],
    3,
    TWO,
    ZERO,
    ONE,
    true,
  ),
  convT('T k3 s2 p2 op1', [2, 2, 4, 5, 3], [3, 3, 3], 2, TWO, TWO, ONE, true),
  convT('T k2 s2 p0 op0', [2, 3, 3, 4, 5], [2, 2, 2], 2, TWO, ZERO, ZERO, false),
  convT('T k3 s1 p1 op0', [2, 2, 5, 3, 4], [3, 3, 3], 3, ONE, ONE, ZERO, true),
  convT('T k1 s1 p0', [2, 4, 3, 4, 5], [1, 1, 1], 3, ONE, ZERO, ZERO, true),
  convT('T k1 s2 p0 op1 (kernel < stride)', [2, 2, 3, 4, 3], [1, 1, 1], 3, TWO, ZERO, ONE, true),
  convT(
    'T non-cubic k[1,3,2] s[1,2,2] p[0,1,0] op[0,1,0]',
    [2, 2, 3, 4, 3],
    [1, 3, 2],
    2,
    [1, 2, 2],
    [0, 1, 0],
    [0, 1, 0],
    false,
  ),
  convT(
    'T mixed stride [1,2,3], p[0,1,2], op[0,1,2]',
    [2, 2, 3, 4, 5],
    [2, 3, 3],
    2,
    [1, 2, 3],
    [0, 1, 2],
    [0, 1, 2],
    true,
  ),
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Deterministic values in [-1, 1) (mulberry32), rounded to float32 so both sides see them. */
function randomF32(count: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = Math.fround((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

/** PyTorch's output spatial size. */
function outSpatial(c: ConvCase): Vec3 {
  return [0, 1, 2].map((i) => {
    const [n, k, s, p] = [c.xShape[2 + i], c.kernel[i], c.stride[i], c.padding[i]];
    return c.transposed
      ? (n - 1) * s - 2 * p + k + c.outputPadding[i]
      : Math.floor((n + 2 * p - k) / s) + 1;
  }) as Vec3;
}

function outShape(c: ConvCase): Shape5 {
  return [c.xShape[0], c.outChannels, ...outSpatial(c)];
}

/** tfjs filter layout: `[kD, kH, kW, Cin, Cout]`, or `[kD, kH, kW, Cout, Cin]` when transposed. */
function filterShape(c: ConvCase): Shape5 {
  const cin = c.xShape[1];
  return c.transposed ? [...c.kernel, c.outChannels, cin] : [...c.kernel, cin, c.outChannels];
}

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

function geometry(c: ConvCase): ConvNcdhwGeometry {
  return {
    stride: c.stride,
    padding: c.padding,
    transposed: c.transposed,
    outputPadding: c.outputPadding,
  };
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

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s: forward', (_name, c, i) => {
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

  it.each(CASES.map((c, i) => [c.name, c, i] as const))(
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
    const c = CASES[3];
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
