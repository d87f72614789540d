/**
 * The convolution geometries both conv3dNcdhw test files run (the composite path against naive
 * float64 references in conv-ncdhw.test.ts, the native kernels against the composite in
 * packages/backend-native/test/ncdhw-kernels.test.ts), with PyTorch's shape rules.
 */
import type { ConvNcdhwGeometry } from '@voxelkit/backend';

export type Vec3 = [number, number, number];
export type Shape5 = [number, number, number, number, number];

/** One convolution case: input shape, kernel, output channels and PyTorch geometry. */
export interface ConvCase {
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

export const ZERO: Vec3 = [0, 0, 0];
export const ONE: Vec3 = [1, 1, 1];
export const TWO: Vec3 = [2, 2, 2];

/** A `nn.Conv3d` case. */
export const conv = (
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

/** A `nn.ConvTranspose3d` case. */
export const convT = (
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

/**
 * Strides 1, 2 and mixed, paddings 0–2, kernels 1–3 and non-cubic, odd sizes, transposed with
 * output_padding.
 */
export const CONV_CASES: ConvCase[] = [
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
  convT('T k3 s2 p1 op1, odd sizes', [2, 3, 3, 5, 4], [3, 3, 3], 2, TWO, ONE, ONE, true),
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

/** Number of elements of a shape. */
export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** PyTorch's output spatial size. */
export function outSpatial(c: ConvCase): Vec3 {
  return [0, 1, 2].map((i) => {
    const [n, k, s, p] = [c.xShape[2 + i], c.kernel[i], c.stride[i], c.padding[i]];
    return c.transposed
      ? (n - 1) * s - 2 * p + k + c.outputPadding[i]
      : Math.floor((n + 2 * p - k) / s) + 1;
  }) as Vec3;
}

/** PyTorch's output shape `[N, Cout, D', H', W']`. */
export function outShape(c: ConvCase): Shape5 {
  return [c.xShape[0], c.outChannels, ...outSpatial(c)];
}

/** tfjs filter layout: `[kD, kH, kW, Cin, Cout]`, or `[kD, kH, kW, Cout, Cin]` when transposed. */
export function filterShape(c: ConvCase): Shape5 {
  const cin = c.xShape[1];
  return c.transposed ? [...c.kernel, c.outChannels, cin] : [...c.kernel, cin, c.outChannels];
}

/** The case's geometry as `conv3dNcdhw` takes it. */
export function geometry(c: ConvCase): ConvNcdhwGeometry {
  return {
    stride: c.stride,
    padding: c.padding,
    transposed: c.transposed,
    outputPadding: c.outputPadding,
  };
}
