/**
 * Float64 reference implementations for the tests: a direct-loop conv3d on NDHWC data with
 * TensorFlow's padding rules, written from the definition (not from our code or tfjs').
 */

/** NDHWC shape. */
export type Shape5 = [number, number, number, number, number];

/**
 * Output size and front padding of one axis, as tfjs 4.22 computes them for 3D ops. Unlike
 * TensorFlow, tfjs does not clamp the 'same' total at zero, so a kernel smaller than the stride
 * gives a negative front padding (the first input rows are skipped). Kernels must match tfjs.
 */
export function axisPadding(
  size: number,
  kernel: number,
  stride: number,
  pad: 'same' | 'valid',
): { out: number; front: number } {
  if (pad === 'valid') return { out: Math.ceil((size - kernel + 1) / stride), front: 0 };
  const out = Math.ceil(size / stride);
  const total = (out - 1) * stride + kernel - size;
  return { out, front: Math.floor(total / 2) };
}

/**
 * y[n, o, c2] = sum over kernel taps and c1 of x[n, o*s + k - front, c1] * w[k, c1, c2]
 * with x = 0 outside the volume. `w` is [kD, kH, kW, Cin, Cout].
 */
export function conv3dRef(
  x: Float64Array,
  xShape: Shape5,
  w: Float64Array,
  wShape: Shape5,
  stride: number,
  pad: 'same' | 'valid',
  dilation = 1,
): { y: Float64Array; shape: Shape5 } {
  const [n, d, h, wd, cin] = xShape;
  const [kd, kh, kw, , cout] = wShape;
  const ekd = (kd - 1) * dilation + 1;
  const ekh = (kh - 1) * dilation + 1;
  const ekw = (kw - 1) * dilation + 1;
  const pd = axisPadding(d, ekd, stride, pad);
  const ph = axisPadding(h, ekh, stride, pad);
  const pw = axisPadding(wd, ekw, stride, pad);
  const shape: Shape5 = [n, pd.out, ph.out, pw.out, cout];
  const y = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let b = 0; b < n; b++)
    for (let od = 0; od < pd.out; od++)
      for (let oh = 0; oh < ph.out; oh++)
        for (let ow = 0; ow < pw.out; ow++) {
          const yBase = (((b * pd.out + od) * ph.out + oh) * pw.out + ow) * cout;
          for (let a = 0; a < kd; a++) {
            const id = od * stride + a * dilation - pd.front;
            if (id < 0 || id >= d) continue;
            for (let bb = 0; bb < kh; bb++) {
              const ih = oh * stride + bb * dilation - ph.front;
              if (ih < 0 || ih >= h) continue;
              for (let c = 0; c < kw; c++) {
                const iw = ow * stride + c * dilation - pw.front;
                if (iw < 0 || iw >= wd) continue;
                const xBase = (((b * d + id) * h + ih) * wd + iw) * cin;
                const wBase = ((a * kh + bb) * kw + c) * cin * cout;
                for (let c1 = 0; c1 < cin; c1++) {
                  const xv = x[xBase + c1];
                  for (let c2 = 0; c2 < cout; c2++) y[yBase + c2] += xv * w[wBase + c1 * cout + c2];
                }
              }
            }
          }
        }
  return { y, shape };
}

/**
 * Transposed conv3d (the adjoint of {@link conv3dRef} w.r.t. x): scatters dy back to an input
 * of shape `xShape`. `w` is [kD, kH, kW, Cin, Cout] of the forward convolution.
 */
export function conv3dTransposeRef(
  dy: Float64Array,
  dyShape: Shape5,
  w: Float64Array,
  wShape: Shape5,
  xShape: Shape5,
  stride: number,
  pad: 'same' | 'valid',
): Float64Array {
  const [n, d, h, wd, cin] = xShape;
  const [kd, kh, kw, , cout] = wShape;
  const [, od, oh, ow] = dyShape;
  const fd = axisPadding(d, kd, stride, pad).front;
  const fh = axisPadding(h, kh, stride, pad).front;
  const fw = axisPadding(wd, kw, stride, pad).front;
  const dx = new Float64Array(n * d * h * wd * cin);
  for (let b = 0; b < n; b++)
    for (let zd = 0; zd < od; zd++)
      for (let zh = 0; zh < oh; zh++)
        for (let zw = 0; zw < ow; zw++) {
          const yBase = (((b * od + zd) * oh + zh) * ow + zw) * cout;
          for (let a = 0; a < kd; a++) {
            const id = zd * stride + a - fd;
            if (id < 0 || id >= d) continue;
            for (let bb = 0; bb < kh; bb++) {
              const ih = zh * stride + bb - fh;
              if (ih < 0 || ih >= h) continue;
              for (let c = 0; c < kw; c++) {
                const iw = zw * stride + c - fw;
                if (iw < 0 || iw >= wd) continue;
                const xBase = (((b * d + id) * h + ih) * wd + iw) * cin;
                const wBase = ((a * kh + bb) * kw + c) * cin * cout;
                for (let c1 = 0; c1 < cin; c1++) {
                  let acc = 0;
                  for (let c2 = 0; c2 < cout; c2++)
                    acc += dy[yBase + c2] * w[wBase + c1 * cout + c2];
                  dx[xBase + c1] += acc;
                }
              }
            }
          }
        }
  return dx;
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), for reproducible inputs. */
export function randomValues(count: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Largest |a - b| relative to max(1, largest |b|). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

/** Gradient of sum(conv3dRef(x, w) * dy) w.r.t. w, shaped `wShape` ([kD, kH, kW, Cin, Cout]). */
export function conv3dFilterGradRef(
  x: Float64Array,
  xShape: Shape5,
  dy: Float64Array,
  dyShape: Shape5,
  wShape: Shape5,
  stride: number,
  pad: 'same' | 'valid',
): Float64Array {
  const [n, d, h, wd, cin] = xShape;
  const [kd, kh, kw, , cout] = wShape;
  const [, od, oh, ow] = dyShape;
  const fd = axisPadding(d, kd, stride, pad).front;
  const fh = axisPadding(h, kh, stride, pad).front;
  const fw = axisPadding(wd, kw, stride, pad).front;
  const dw = new Float64Array(kd * kh * kw * cin * cout);
  for (let b = 0; b < n; b++)
    for (let zd = 0; zd < od; zd++)
      for (let zh = 0; zh < oh; zh++)
        for (let zw = 0; zw < ow; zw++) {
          const yBase = (((b * od + zd) * oh + zh) * ow + zw) * cout;
          for (let a = 0; a < kd; a++) {
            const id = zd * stride + a - fd;
            if (id < 0 || id >= d) continue;
            for (let bb = 0; bb < kh; bb++) {
              const ih = zh * stride + bb - fh;
              if (ih < 0 || ih >= h) continue;
              for (let c = 0; c < kw; c++) {
                const iw = zw * stride + c - fw;
                if (iw < 0 || iw >= wd) continue;
                const xBase = (((b * d + id) * h + ih) * wd + iw) * cin;
                const wBase = ((a * kh + bb) * kw + c) * cin * cout;
                for (let c1 = 0; c1 < cin; c1++)
                  for (let c2 = 0; c2 < cout; c2++)
                    dw[wBase + c1 * cout + c2] += x[xBase + c1] * dy[yBase + c2];
              }
            }
          }
        }
  return dw;
}
