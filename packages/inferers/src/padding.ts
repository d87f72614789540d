/**
 * Padding of images smaller than the window, expressed as index maps so that windows can be read
 * straight from the unpadded input (no padded copy of the volume is ever made).
 */

/** How voxels outside the image are filled when the image is smaller than the roi. */
export type PaddingMode = 'constant' | 'reflect' | 'replicate';

/**
 * For one axis, maps each padded index to the source index it copies, or −1 where the padded
 * voxel takes the constant value.
 *
 * - `constant`: −1 in the padding.
 * - `replicate`: the nearest edge voxel.
 * - `reflect`: mirror about the edge voxel without repeating it (`… 2 1 | 0 1 2 … n-1 | n-2 …`),
 *   folding again as often as needed.
 *
 * @param size - source size along the axis (≥ 1)
 * @param before - voxels padded before index 0
 * @param after - voxels padded after the last index
 * @param mode - padding mode
 * @returns Int32Array of length `before + size + after`
 * @example
 * ```ts
 * padIndexMap(3, 2, 1, 'reflect'); // Int32Array [2, 1, 0, 1, 2, 1]
 * ```
 */
export function padIndexMap(
  size: number,
  before: number,
  after: number,
  mode: PaddingMode,
): Int32Array {
  const map = new Int32Array(before + size + after);
  for (let i = 0; i < map.length; i++) {
    const source = i - before;
    if (source >= 0 && source < size) map[i] = source;
    else if (mode === 'constant') map[i] = -1;
    else if (mode === 'replicate') map[i] = source < 0 ? 0 : size - 1;
    else map[i] = reflectIndex(source, size);
  }
  return map;
}

function reflectIndex(source: number, size: number): number {
  if (size === 1) return 0;
  // Limitation: torch's 'reflect' pad (used by MONAI) fails when the pad is ≥ the size; we keep
  // folding instead (period 2·(size−1)), which torch would reject.
  const period = 2 * (size - 1);
  const folded = ((source % period) + period) % period;
  return folded < size ? folded : period - folded;
}
