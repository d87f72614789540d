/**
 * Percentile Hausdorff distance between two masks in mm, with MONAI 1.4's conventions
 * (`compute_hausdorff_distance(percentile=95)` on one class).
 */
import { ArgumentError } from '@voxelkit/core';

import type { MaskVolume, Spacing } from './mask.js';
import { surfaceDistances } from './surface-distance.js';

/** Options of {@link hausdorffDistance95}. */
export interface HausdorffOptions {
  /** Percentile in [0, 100] of each directed distance set (default 95; 100 = classic Hausdorff). */
  percentile?: number;
  /** Only prediction → ground truth distances (default false: symmetric). */
  directed?: boolean;
}

/**
 * 95th-percentile Hausdorff distance (HD95) in mm between the surfaces of two binary masks.
 *
 * Definition (MONAI's): surfaces are the foreground voxels with a background 6-neighbour; for
 * each prediction surface voxel take the Euclidean distance (mm, `spacing`-aware) to the nearest
 * ground-truth surface voxel, and vice versa; HD95 is the **larger of the two directed 95th
 * percentiles** (linear interpolation between order statistics, as `torch.quantile`). This is
 * not the percentile of the pooled distances.
 *
 * Empty masks (MONAI): both empty → `NaN`; exactly one empty → `Infinity`.
 *
 * @param pred - binary prediction `[X, Y, Z]` (non-zero = foreground)
 * @param target - binary ground truth, same shape
 * @param spacing - voxel size in mm `[sx, sy, sz]` (default isotropic 1 mm)
 * @param options - another percentile, or the directed variant
 * @returns distance in mm
 * @example
 * ```ts
 * // two single voxels 3 voxels apart along x with 2 mm voxels → 6
 * hausdorffDistance95(a, b, [2, 1, 1]);
 * ```
 */
export function hausdorffDistance95(
  pred: MaskVolume,
  target: MaskVolume,
  spacing: Spacing = [1, 1, 1],
  options: HausdorffOptions = {},
): number {
  const percentile = options.percentile ?? 95;
  if (!(percentile >= 0 && percentile <= 100)) {
    throw new ArgumentError('hausdorffDistance95: percentile must be in [0, 100]', {
      field: 'percentile',
      expected: '0..100',
      actual: percentile,
    });
  }
  const distances = surfaceDistances(pred, target, spacing);
  const forward = quantile(distances.predToTarget, percentile / 100);
  if (options.directed) return forward;
  const backward = quantile(distances.targetToPred, percentile / 100);
  // torch.max propagates NaN, so an undefined direction makes the result undefined.
  if (Number.isNaN(forward) || Number.isNaN(backward)) return NaN;
  return Math.max(forward, backward);
}

/**
 * Linear-interpolation quantile (numpy / torch default): position `q·(n−1)` in the sorted values.
 *
 * @param values - sample (not modified)
 * @param q - quantile in [0, 1]
 * @returns the quantile; `NaN` for an empty sample
 */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort();
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const a = sorted[lower]!;
  const b = sorted[upper]!;
  const fraction = position - lower;
  // Exact order statistics and equal neighbours need no interpolation (and avoid ∞ − ∞ = NaN).
  if (fraction === 0 || a === b) return a;
  return a + (b - a) * fraction;
}
