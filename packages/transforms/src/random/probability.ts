/** Validation of the `prob` option shared by the random transforms. */
import { ArgumentError } from '@voxelkit/core';

/** Returns `prob` (default 0.1, MONAI's) after checking it lies in `[0, 1]`. */
export function checkProb(prob: number | undefined, transform: string): number {
  const p = prob ?? 0.1;
  if (!(p >= 0 && p <= 1)) {
    throw new ArgumentError(`${transform}: prob must be in [0, 1]`, {
      field: 'prob',
      actual: prob,
    });
  }
  return p;
}
