/**
 * Per-case scores of a predicted class map against its label, with `@voxelkit/metrics`:
 * foreground Dice (MONAI `DiceMetric(include_background=False)` after argmax / one-hot), the
 * 95th-percentile Hausdorff distance and the surface Dice in mm.
 */
import { DiceMetric, hausdorffDistance95, surfaceDice } from '@voxelkit/metrics';
import type { CaseMetrics } from './runFolder.js';

/** Surface-Dice tolerance in mm. */
export const SURFACE_TOLERANCE_MM = 2;

/**
 * Scores `prediction` against `label` (both class indices over `[X, Y, Z]`, row-major).
 *
 * @param spacing - voxel size in mm, for the distance metrics.
 * @returns Dice (NaN when the label is empty, MONAI's `ignore_empty`), HD95 in mm and surface
 *   Dice at {@link SURFACE_TOLERANCE_MM} mm.
 */
export function caseMetrics(
  name: string,
  prediction: ArrayLike<number>,
  label: ArrayLike<number>,
  shape: number[],
  spacing: readonly number[],
): CaseMetrics {
  const [X, Y, Z] = shape;
  const n = X * Y * Z;
  const oneHot = (classes: ArrayLike<number>) => {
    const out = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) out[(classes[i] > 0 ? n : 0) + i] = 1;
    return { data: out, shape: [1, 2, X, Y, Z] };
  };
  const dice = new DiceMetric({ includeBackground: false }).accumulate(
    oneHot(prediction),
    oneHot(label),
  )[0];
  const pred = { data: prediction, shape: [X, Y, Z] };
  const target = { data: label, shape: [X, Y, Z] };
  const voxel: [number, number, number] = [spacing[0], spacing[1], spacing[2]];
  return {
    name,
    dice,
    hd95: hausdorffDistance95(pred, target, voxel),
    surfaceDice: surfaceDice(pred, target, voxel, SURFACE_TOLERANCE_MM),
    surfaceTolerance: SURFACE_TOLERANCE_MM,
  };
}
