/**
 * `RandFlipd`: with probability `prob`, reverses the given spatial axes of every volume under
 * `keys` — one decision per record, so image and label always flip together.
 */
import type { Volume } from '@voxelkit/core';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '../transform.js';
import { flipVolume, invertFlip, normaliseFlipAxes } from '../utility/flip.js';
import type { KeysOptions } from '../utility/record.js';
import { checkKeys, presentKeys, requireVolume } from '../utility/record.js';
import { checkProb } from './probability.js';

/** Options of {@link RandFlipd}. */
export interface RandFlipdOptions extends KeysOptions {
  /** Probability of flipping (default 0.1). */
  prob?: number;
  /** Spatial axes to reverse (0 = X … 2 = Z); `undefined`/`null` = all three. */
  spatialAxis?: number | readonly number[] | null;
}

/**
 * Random flip. Draws exactly one `rng.uniform()` per record (whether or not it flips), so the
 * number of draws never depends on the data. Flipped volumes record the op for inversion.
 *
 * @example
 * ```ts
 * new RandFlipd({ keys: ['image', 'label'], prob: 0.1, spatialAxis: [0] });
 * // prob 1, axis 0 on 1×3×4×5 arange: out[0, x, y, z] = in[0, 2 - x, y, z]
 * ```
 */
export class RandFlipd implements InvertibleTransform {
  readonly name: string = 'RandFlipd';
  readonly random: boolean = true;
  /** Probability of flipping a record. */
  readonly prob: number;
  /** The normalised spatial axes that are reversed. */
  readonly spatialAxes: number[];

  /** The options this transform was built with. */
  readonly options: RandFlipdOptions;

  constructor(options: RandFlipdOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    this.prob = checkProb(options.prob, this.name);
    this.spatialAxes = normaliseFlipAxes(options.spatialAxis, this.name);
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const doFlip = context.rng.uniform() < this.prob;
    const keys = presentKeys(record, this.options, this.name, context.recordName);
    if (!doFlip) return { ...record };
    const out: DataRecord = { ...record };
    for (const key of keys) {
      out[key] = flipVolume(
        requireVolume(record, key, this.name, context.recordName),
        this.spatialAxes,
        this.name,
      );
    }
    return out;
  }

  /** Undoes a recorded flip. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertFlip(volume, op);
  }
}
