/**
 * Per-voxel blending weights of one window, as MONAI 1.4's `compute_importance_map`.
 */
import { ArgumentError } from '@voxelkit/core';

/** How overlapping window predictions are weighted when blended. */
export type BlendMode = 'constant' | 'gaussian';

/** MONAI clamps weights from below so that no voxel's count map can be (near) zero. */
const MIN_WEIGHT = Math.fround(1e-3);

/**
 * Blending weights for a window of `roiSize`, row-major `[rx, ry, rz]`.
 *
 * - `constant`: every weight is 1.
 * - `gaussian`: the product of three unnormalised 1-D Gaussians
 *   `exp(-t² / (2σ²))`, `t` running from `-(r-1)/2` to `(r-1)/2` in steps of 1 and
 *   `σ = r · sigmaScale`; computed in float32 like MONAI, then clamped below at
 *   `max(min(weights), 1e-3)`, so the centre weight is below 1 for even sizes.
 *
 * @param roiSize - window size `[rx, ry, rz]`, positive integers
 * @param mode - blending mode
 * @param sigmaScale - σ as a fraction of the window size, one value or one per axis (> 0)
 * @returns Float32Array of `rx·ry·rz` weights
 * @example
 * ```ts
 * computeImportanceMap([16, 16, 16], 'gaussian', 0.125)[0]; // 0.001 (clamped corner)
 * ```
 */
export function computeImportanceMap(
  roiSize: readonly number[],
  mode: BlendMode,
  sigmaScale: number | readonly number[] = 0.125,
): Float32Array {
  const total = roiSize.reduce((a, b) => a * b, 1);
  const weights = new Float32Array(total);
  if (mode === 'constant') return weights.fill(1);
  if (mode !== 'gaussian') {
    throw new ArgumentError('computeImportanceMap: unknown blending mode', {
      field: 'mode',
      expected: "'constant' | 'gaussian'",
      actual: mode,
    });
  }
  const scales = typeof sigmaScale === 'number' ? roiSize.map(() => sigmaScale) : sigmaScale;
  const profiles = roiSize.map((size, axis) => gaussianProfile(size, size * scales[axis]!));
  const [px, py, pz] = profiles as [Float32Array, Float32Array, Float32Array];
  let index = 0;
  let min = Infinity;
  for (let x = 0; x < px.length; x++) {
    for (let y = 0; y < py.length; y++) {
      // float32 product in MONAI's order: (gx * gy) * gz
      const gxy = Math.fround(px[x]! * py[y]!);
      for (let z = 0; z < pz.length; z++) {
        const w = Math.fround(gxy * pz[z]!);
        weights[index++] = w;
        if (w < min) min = w;
      }
    }
  }
  const floor = Math.max(min, MIN_WEIGHT);
  for (let i = 0; i < total; i++) if (weights[i]! < floor) weights[i] = floor;
  return weights;
}

function gaussianProfile(size: number, sigma: number): Float32Array {
  if (!(sigma > 0)) {
    throw new ArgumentError('computeImportanceMap: sigma must be positive', {
      field: 'sigmaScale',
      expected: '> 0',
      actual: sigma / size,
    });
  }
  const profile = new Float32Array(size);
  const denominator = Math.fround(-2 * sigma * sigma);
  for (let i = 0; i < size; i++) {
    const t = Math.fround(i - (size - 1) / 2);
    profile[i] = Math.exp(Math.fround(Math.fround(t * t) / denominator));
  }
  return profile;
}
