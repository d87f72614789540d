/**
 * The seeding model: one random stream per record, derived from `(seed, epoch, caseId)`, so a
 * case's augmentation depends on nothing else — not on the order cases are visited in, nor on
 * which worker handles them.
 */
import { Rng } from '@voxelkit/core';

/**
 * The `Rng` for one record in one epoch. Equal arguments give byte-identical streams on
 * every platform; changing any one gives an unrelated stream. Equals
 * `Rng.derive(seed, 'epoch', epoch, caseId)`, the stream `@voxelkit/io`'s `CacheDataset` gives
 * the random tail of case `caseId`.
 *
 * @example
 * ```ts
 * const rng = recordRng(0, 3, 'spleen_12'); // seed 0, epoch 3, case spleen_12
 * ```
 */
export function recordRng(seed: number | string, epoch: number, caseId: string | number): Rng {
  // The same parts, in the same order, as @voxelkit/io's CacheDataset uses for its random tail,
  // so Compose.run and the data set give a case the same augmentation.
  return Rng.derive(seed, 'epoch', epoch, caseId);
}
