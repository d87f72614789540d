/**
 * A guard at the end of the deterministic preprocessing: a volume with NaN or ±Inf voxels stops
 * the run with a `DataError` naming the case, the file and the count, instead of training (or
 * validating) on values that turn every loss and gradient into NaN.
 */
import { DataError, type Volume } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '@voxelkit/transforms';

/** Options of {@link CheckFinited}. */
export interface CheckFinitedOptions {
  /** Record keys holding volumes to check, e.g. `['image', 'label']`. */
  keys: string[];
}

/**
 * Deterministic dictionary transform that returns its record unchanged when every voxel of every
 * volume under `keys` is finite, and otherwise throws.
 *
 * Chosen over repairing the values (a `nan_to_num`): a non-finite voxel after loading,
 * resampling and windowing means a broken file, and a silently zeroed region would train the
 * model on a wrong picture of the body.
 *
 * @example
 * ```ts
 * const chain = [new LoadImaged({ keys }), new Spacingd({ keys, pixdim }), new CheckFinited({ keys })];
 * ```
 * @throws DataError naming the case (`context.recordName`), the key, the source file (the
 *   volume's `meta.filename` when known), and how many voxels are NaN and how many ±Inf.
 */
export class CheckFinited implements Transform {
  readonly name = 'CheckFinited';
  readonly random = false;
  private readonly keys: string[];

  constructor(options: CheckFinitedOptions) {
    this.keys = [...options.keys];
  }

  apply(record: DataRecord, context: TransformContext): DataRecord {
    for (const key of this.keys) {
      const volume = record[key] as Volume | undefined;
      if (volume === undefined) continue;
      const { nan, infinite } = countNonFinite(volume.data);
      if (nan + infinite === 0) continue;
      const total = volume.data.length;
      const who = context.recordName ?? volume.meta.filename ?? key;
      throw new DataError(
        `case ${who}: ${key} has ${nan + infinite} non-finite voxels of ${total} after preprocessing ` +
          `(${nan} NaN, ${infinite} ±Inf); fix or remove this case`,
        {
          file: volume.meta.filename,
          field: key,
          expected: 'finite voxel values',
          actual: `${nan} NaN, ${infinite} ±Inf`,
        },
      );
    }
    return record;
  }
}

/** Counts NaN and ±Inf entries of `data`. */
export function countNonFinite(data: ArrayLike<number>): { nan: number; infinite: number } {
  let nan = 0;
  let infinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) infinite++;
  }
  return { nan, infinite };
}
