/**
 * Splitting a pipeline where randomness starts: everything before the first random transform is
 * deterministic, so its output can be cached once per case (as MONAI's `CacheDataset` does) and
 * only the random tail runs every epoch.
 */
import type { Transform } from '../transform.js';

/** The two halves returned by {@link splitAtFirstRandom}. */
export interface PipelineSplit {
  /** Transforms before the first random one (cacheable). */
  deterministic: Transform[];
  /** The first random transform and everything after it. */
  random: Transform[];
}

/**
 * Splits `transforms` at the first one with `random === true` (a nested `Compose` counts as random
 * when any member is).
 *
 * @example
 * ```ts
 * const { deterministic, random } = splitAtFirstRandom([load, scale, randCrop, flip]);
 * // deterministic = [load, scale], random = [randCrop, flip]
 * ```
 */
export function splitAtFirstRandom(transforms: readonly Transform[]): PipelineSplit {
  const index = transforms.findIndex((t) => t.random === true);
  const cut = index === -1 ? transforms.length : index;
  return { deterministic: transforms.slice(0, cut), random: transforms.slice(cut) };
}
