/**
 * `Invertd`: maps predictions back onto the original image grid by undoing, in reverse order,
 * the spatial operations recorded on a reference volume of the record.
 */
import type { Volume } from '@voxelkit/core';
import { DataError, ShapeError } from '@voxelkit/core';
import type { AppliedOperation, DataRecord, Transform } from '../transform.js';
import { invertCrop } from '../spatial/crop-foregroundd.js';
import { invertOrientation } from '../spatial/orientationd.js';
import { appliedOperations, perKey, requireVolume } from '../spatial/record-access.js';
import type { InterpolationMode } from '../spatial/resample.js';
import { invertSpacing } from '../spatial/spacingd.js';
import { augmentationInverters } from '../utility/inverters.js';

/** Undoes one recorded operation on a volume; `mode` is the interpolation asked for its key. */
export type Inverter = (volume: Volume, op: AppliedOperation, mode: InterpolationMode) => Volume;

/** Operations that move no voxel, skipped when inverting. */
export const NON_SPATIAL_TRANSFORMS: readonly string[] = [
  'LoadImaged',
  'EnsureChannelFirstd',
  'EnsureTyped',
  'ScaleIntensityRanged',
  'ScaleIntensityd',
  'NormalizeIntensityd',
  'RandShiftIntensityd',
  'RandScaleIntensityd',
  'AsDiscreted',
];

/** Options of {@link Invertd}. */
export interface InvertdOptions {
  /** Record keys of the predictions to map back (on the grid of `record[origKey]`). */
  keys: string[];
  /** Key of the preprocessed volume whose recorded operations are undone. */
  origKey: string;
  /**
   * Interpolation when undoing a resampling, one or one per key. Default `'nearest'` (labels);
   * use `'bilinear'` for probabilities.
   */
  mode?: InterpolationMode | InterpolationMode[];
  /**
   * Extra inverters by transform name (e.g. for user transforms). Built in: the spatial
   * transforms here plus `augmentationInverters` (flips, rotations, crops and pads).
   */
  inverters?: Record<string, Inverter>;
  /** Extra transform names to skip (non-spatial). */
  skip?: string[];
}

/**
 * Maps each prediction under `keys` back onto the original grid of `record[origKey]`: the
 * operations recorded on that volume (`meta.applied`) are undone in reverse order —
 * `CropForegroundd` (zero padding back to the full grid), `Spacingd` (resampling to the original
 * affine and shape with `mode`), `Orientationd` (axes permuted/flipped back), and the
 * flips/rotations/crops/pads of `augmentationInverters`. Non-spatial
 * operations are skipped; an unknown operation throws {@link DataError} (pass an `inverters`
 * entry for it). The output carries the original affine exactly.
 *
 * @example
 * ```ts
 * const back = new Invertd({ keys: ['pred'], origKey: 'image', mode: 'nearest' }).apply(rec);
 * ```
 */
export class Invertd implements Transform {
  readonly name = 'Invertd';
  /** Record keys of the predictions mapped back. */
  readonly keys: string[];
  /** Key of the reference volume whose history is undone. */
  readonly origKey: string;
  /** Interpolation per key when undoing a resampling. */
  readonly modes: InterpolationMode[];
  private readonly inverters: Record<string, Inverter>;
  private readonly skip: Set<string>;

  constructor(options: InvertdOptions) {
    this.keys = [...options.keys];
    this.origKey = options.origKey;
    this.modes = perKey(options.mode ?? 'nearest', this.keys, 'mode');
    this.inverters = {
      ...augmentationInverters,
      Orientationd: (v, op) => invertOrientation(v, op),
      Spacingd: (v, op, mode) => invertSpacing(v, op, mode),
      CropForegroundd: (v, op) => invertCrop(v, op),
      ...options.inverters,
    };
    this.skip = new Set([...NON_SPATIAL_TRANSFORMS, ...(options.skip ?? [])]);
  }

  apply(record: DataRecord): DataRecord {
    const reference = requireVolume(record, this.origKey, this.name);
    const ops = appliedOperations(reference);
    const out: DataRecord = { ...record };
    this.keys.forEach((key, i) => {
      const prediction = requireVolume(record, key, this.name);
      const expected = reference.shape.slice(1);
      if (prediction.shape.slice(1).some((s, a) => s !== expected[a])) {
        throw new ShapeError(`${this.name}: "${key}" is not on the grid of "${this.origKey}"`, {
          field: `${key}.shape`,
          expected: expected,
          actual: prediction.shape.slice(1),
        });
      }
      let volume: Volume = { ...prediction, meta: { ...prediction.meta, applied: [...ops] } };
      for (let j = ops.length - 1; j >= 0; j--) {
        const op = ops[j];
        if (this.skip.has(op.transform)) {
          volume = { ...volume, meta: { ...volume.meta, applied: ops.slice(0, j) } };
          continue;
        }
        const inverter = this.inverters[op.transform];
        if (inverter === undefined) {
          throw new DataError(`${this.name}: no inverse known for operation "${op.transform}"`, {
            field: `${this.origKey}.meta.applied[${j}]`,
            expected: `one of ${Object.keys(this.inverters).join(', ')} or a skip entry`,
            actual: op.transform,
          });
        }
        volume = inverter(volume, op, this.modes[i]);
      }
      out[key] = { ...volume, meta: { ...prediction.meta, applied: [], inverted: true } };
    });
    return out;
  }
}
