/**
 * Channel-first 3D convolution with PyTorch semantics, as one differentiable op. A compute backend
 * that registers the `VoxelkitConv3dNcdhw*` kernels (the native CPU kernels of
 * `@voxelkit/backend-native` do) runs it directly on `[N, C, D, H, W]` buffers, with no
 * transposes and no padding copies; anywhere else it is composed from tfjs' own channels-last
 * ops, with identical results.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@voxelkit/core';

/** Geometry of {@link conv3dNcdhw}, one value per spatial axis (D, H, W), as PyTorch takes it. */
export interface ConvNcdhwGeometry {
  /** Stride per axis (≥ 1). */
  stride: [number, number, number];
  /** Zero padding added on both sides of each axis (PyTorch `padding`). */
  padding: [number, number, number];
  /** `true` for `nn.ConvTranspose3d`, `false` for `nn.Conv3d`. */
  transposed: boolean;
  /** PyTorch `output_padding` of a transposed convolution (`0 ≤ value < stride`); else zeros. */
  outputPadding: [number, number, number];
}

/**
 * Names of the kernels a backend registers to run {@link conv3dNcdhw} natively. Inputs and
 * attributes (all tensors float32, activations `[N, C, D, H, W]`, filters in tfjs' layout
 * `[kD, kH, kW, A, B]` with `A, B = Cin, Cout` for a convolution and `Cout, Cin` for a transposed
 * one):
 * - `forward`: `{ x, filter, bias? }`, attrs {@link ConvNcdhwGeometry} → `y`;
 * - `backpropInput`: `{ dy, filter }`, geometry + `inShape` → `dx`;
 * - `backpropFilter`: `{ x, dy }`, geometry + `filterShape` → `dFilter`.
 */
export const CONV_NCDHW_KERNELS = {
  /** The convolution itself. */
  forward: 'VoxelkitConv3dNcdhw',
  /** Its gradient with respect to `x`. */
  backpropInput: 'VoxelkitConv3dNcdhwBackpropInput',
  /** Its gradient with respect to `filter`. */
  backpropFilter: 'VoxelkitConv3dNcdhwBackpropFilter',
} as const;

/**
 * `nn.Conv3d` / `nn.ConvTranspose3d` on channel-first tensors: output spatial size
 * `⌊(n + 2p − k)/s⌋ + 1`, or `(n − 1)·s − 2p + k + output_padding` when transposed.
 *
 * @param x - `[N, Cin, D, H, W]`.
 * @param filter - `[kD, kH, kW, Cin, Cout]` (convolution) or `[kD, kH, kW, Cout, Cin]`
 *   (transposed convolution), tfjs' filter layouts.
 * @param bias - `[Cout]`, or undefined.
 * @returns `[N, Cout, D', H', W']`.
 * @throws ArgumentError for a non-integer or non-positive stride, a non-integer or negative
 *   padding, an `outputPadding` not below the stride (PyTorch refuses it too), an empty output
 *   (kernel larger than the padded input), or `x` whose channel count the filter does not take.
 * @example
 * ```ts
 * const y = conv3dNcdhw(x, w, b, {
 *   stride: [2, 2, 2], padding: [1, 1, 1], transposed: false, outputPadding: [0, 0, 0],
 * });
 * ```
 */
export function conv3dNcdhw(
  x: tf.Tensor5D,
  filter: tf.Tensor5D,
  bias: tf.Tensor1D | undefined,
  geometry: ConvNcdhwGeometry,
): tf.Tensor5D {
  checkGeometry(x, filter, geometry);
  registerConvNcdhwGradient();
  if (!tf.getKernel(CONV_NCDHW_KERNELS.forward, tf.getBackend())) {
    return conv3dNcdhwComposite(x, filter, bias, geometry);
  }
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf
    .engine()
    .runKernel(
      CONV_NCDHW_KERNELS.forward,
      inputs,
      geometry as unknown as tf.NamedAttrMap,
    ) as tf.Tensor5D;
}

/**
 * {@link conv3dNcdhw} composed from tfjs' channels-last ops (transpose, explicit pad, 'valid'
 * `conv3d` / `conv3dTranspose`, crop); the reference the native kernels are tested against and
 * the path on backends without them.
 */
export function conv3dNcdhwComposite(
  x: tf.Tensor5D,
  filter: tf.Tensor5D,
  bias: tf.Tensor1D | undefined,
  geometry: ConvNcdhwGeometry,
): tf.Tensor5D {
  return tf.tidy(() => {
    const channelsLast = tf.transpose(x, [0, 2, 3, 4, 1]) as tf.Tensor5D;
    const y = geometry.transposed
      ? convTransposeChannelsLast(channelsLast, filter, geometry)
      : convChannelsLast(channelsLast, filter, geometry);
    const channelsFirst = tf.transpose(y, [0, 4, 1, 2, 3]) as tf.Tensor5D;
    return bias ? tf.add(channelsFirst, tf.reshape(bias, [1, -1, 1, 1, 1])) : channelsFirst;
  });
}

// tfjs' conv3d knows only 'same'/'valid', and its 'same' pads asymmetrically when strided, so
// anything but a unit-stride 'same' convolution pads explicitly and convolves 'valid'.
function convChannelsLast(
  x: tf.Tensor5D,
  filter: tf.Tensor5D,
  { stride: s, padding: p }: ConvNcdhwGeometry,
): tf.Tensor5D {
  const k = filter.shape.slice(0, 3);
  if (s.every((v) => v === 1) && p.every((v, i) => 2 * v === k[i] - 1)) {
    return tf.conv3d(x, filter, 1, 'same');
  }
  const padded = p.some((v) => v > 0)
    ? tf.pad(x, [
        [0, 0],
        [p[0], p[0]],
        [p[1], p[1]],
        [p[2], p[2]],
        [0, 0],
      ])
    : x;
  return tf.conv3d(padded, filter, s, 'valid');
}

// A 'valid' conv3dTranspose gives the full output (n − 1)·s + k; PyTorch's is that cropped by
// `padding` at the start and extended by `output_padding` at the end (those extra voxels get no
// contribution, only the bias).
function convTransposeChannelsLast(
  x: tf.Tensor5D,
  filter: tf.Tensor5D,
  { stride: s, padding: p, outputPadding: op }: ConvNcdhwGeometry,
): tf.Tensor5D {
  const [n, ...spatial] = x.shape;
  const k = filter.shape.slice(0, 3);
  const outChannels = filter.shape[3];
  const full = spatial.slice(0, 3).map((d, i) => (d - 1) * s[i] + k[i]);
  let y = tf.conv3dTranspose(x, filter, [n, full[0], full[1], full[2], outChannels], s, 'valid');
  const want = full.map((f, i) => f - 2 * p[i] + op[i]);
  const take = want.map((w, i) => Math.min(w, full[i] - p[i]));
  if (p.some((v) => v > 0) || take.some((t, i) => t !== full[i])) {
    y = tf.slice(y, [0, p[0], p[1], p[2], 0], [n, take[0], take[1], take[2], outChannels]);
  }
  const extra = want.map((w, i) => w - take[i]);
  if (extra.some((e) => e > 0)) {
    y = tf.pad(y, [
      [0, 0],
      [0, extra[0]],
      [0, extra[1]],
      [0, extra[2]],
      [0, 0],
    ]);
  }
  return y;
}

function checkGeometry(x: tf.Tensor5D, filter: tf.Tensor5D, g: ConvNcdhwGeometry): void {
  for (let i = 0; i < 3; i++) {
    const [s, p, op] = [g.stride[i], g.padding[i], g.outputPadding[i]];
    const ok =
      Number.isInteger(s) &&
      s >= 1 &&
      Number.isInteger(p) &&
      p >= 0 &&
      Number.isInteger(op) &&
      op >= 0 &&
      (g.transposed ? op < s : op === 0);
    if (!ok) {
      throw new ArgumentError('invalid convolution geometry', {
        field: `axis ${i}`,
        expected:
          'integer stride >= 1, integer padding >= 0, integer 0 <= outputPadding < stride (0 unless transposed)',
        actual: { stride: s, padding: p, outputPadding: op },
      });
    }
    const [n, k] = [x.shape[2 + i], filter.shape[i]];
    const out = g.transposed ? (n - 1) * s - 2 * p + k + op : Math.floor((n + 2 * p - k) / s) + 1;
    if (n > 0 && out < 1) {
      throw new ArgumentError('the convolution output would be empty', {
        field: `axis ${i}`,
        expected: g.transposed
          ? '(n - 1)·stride - 2·padding + kernel + outputPadding >= 1'
          : 'kernel <= size + 2·padding',
        actual: { size: n, kernel: k, stride: s, padding: p },
      });
    }
  }
  const expectedChannels = g.transposed ? filter.shape[4] : filter.shape[3];
  if (x.shape[1] !== expectedChannels) {
    throw new ArgumentError('input channels do not match the filter', {
      field: 'x.shape[1]',
      expected: expectedChannels,
      actual: x.shape[1],
    });
  }
}

let gradientRegistered = false;

// The gradient lives here, next to the op, so that any backend registering the three kernels
// gets a differentiable op.
function registerConvNcdhwGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  if (tf.getGradient(CONV_NCDHW_KERNELS.forward)) return;
  tf.registerGradient({
    kernelName: CONV_NCDHW_KERNELS.forward,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor5D;
      const [x, filter] = saved;
      const engine = tf.engine();
      return {
        x: () =>
          engine.runKernel(
            CONV_NCDHW_KERNELS.backpropInput,
            { dy: g, filter },
            {
              ...attrs,
              inShape: x.shape,
            },
          ) as tf.Tensor,
        filter: () =>
          engine.runKernel(
            CONV_NCDHW_KERNELS.backpropFilter,
            { x, dy: g },
            {
              ...attrs,
              filterShape: filter.shape,
            },
          ) as tf.Tensor,
        bias: () => tf.sum(g, [0, 2, 3, 4]),
      };
    },
  });
}
