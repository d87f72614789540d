/**
 * Normalised surface Dice (NSD) at a tolerance in mm, as MONAI 1.4's `compute_surface_dice`
 * (without sub-voxel surface areas).
 */
import { ArgumentError } from '@voxelkit/core';

import type { MaskVolume, Spacing } from './mask.js';
import { surfaceDistances } from './surface-distance.js';

/**
 * Surface Dice: the fraction of surface voxels of both masks lying within `toleranceMm` of the
 * other mask's surface,
 * `(|{p ∈ ∂P : d(p, ∂G) ≤ τ}| + |{g ∈ ∂G : d(g, ∂P) ≤ τ}|) / (|∂P| + |∂G|)`.
 *
 * Surfaces and distances as in {@link hausdorffDistance95} (6-neighbourhood surface voxels,
 * Euclidean mm distances). Each surface voxel counts 1 (MONAI's `use_subvoxels=False`).
 * Empty masks (MONAI): both empty → `NaN`; exactly one empty → 0.
 *
 * @param pred - binary prediction `[X, Y, Z]`
 * @param target - binary ground truth, same shape
 * @param spacing - voxel size in mm `[sx, sy, sz]`
 * @param toleranceMm - tolerance τ in mm (finite, ≥ 0)
 * @returns NSD in [0, 1], or NaN
 * @example
 * ```ts
 * surfaceDice(pred, target, [1.5, 1.5, 2], 2); // e.g. 0.93
 * ```
 */
// Limitation: no sub-voxel surface areas (MONAI's `use_subvoxels=True`); one 3-D mask pair per call.
export function surfaceDice(
  pred: MaskVolume,
  target: MaskVolume,
  spacing: Spacing,
  toleranceMm: number,
): number {
  if (!(toleranceMm >= 0) || !Number.isFinite(toleranceMm)) {
    throw new ArgumentError('surfaceDice: tolerance must be a finite number >= 0 (mm)', {
      field: 'toleranceMm',
      expected: '>= 0',
      actual: toleranceMm,
    });
  }
  const { predToTarget, targetToPred } = surfaceDistances(pred, target, spacing);
  const complete = predToTarget.length + targetToPred.length;
  if (complete === 0) return NaN;
  let correct = 0;
  for (const d of predToTarget) if (d <= toleranceMm) correct++;
  for (const d of targetToPred) if (d <= toleranceMm) correct++;
  return correct / complete;
}
