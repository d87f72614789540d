/**
 * `RandRotate90d`: with probability `prob`, rotates every volume under `keys` by `k` quarter
 * turns, `k` uniform in `1..maxK` — one decision per record.
 */
import { ArgumentError } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '../transform.js';
import type { KeysOptions } from '../utility/record.js';
import { checkKeys, presentKeys, requireVolume } from '../utility/record.js';
import type { SpatialPlane } from '../utility/rotate90.js';
import { checkPlane, invertRotate90, rotate90Volume } from '../utility/rotate90.js';
import { checkProb } from './probability.js';

/** Options of {@link RandRotate90d}. */
export interface RandRotate90dOptions extends KeysOptions {
  /** Probability of rotating (default 0.1). */
  prob?: number;
  /** Largest number of quarter turns; `k` is uniform in `1..maxK` (default 3). */
  maxK?: number;
  /** Rotation plane, spatial axes without the channel (default `[0, 1]`). */
  spatialAxes?: SpatialPlane;
}

/**
 * Random quarter-turn rotation. Draws `rng.uniform()` (apply?) then `rng.int(maxK)` (k - 1) for
 * every record, whether or not it rotates.
 *
 * @example
 * ```ts
 * new RandRotate90d({ keys: ['image', 'label'], prob: 0.1, maxK: 3 });
 * // prob 1, maxK 1 on a 1×3×4×5 volume → 1×4×3×5 (torch.rot90(x, 1, dims=(1, 2)))
 * ```
 */
export class RandRotate90d implements InvertibleTransform {
  readonly name: string = 'RandRotate90d';
  readonly random: boolean = true;
  /** Probability of rotating a record. */
  readonly prob: number;
  /** Largest number of quarter turns. */
  readonly maxK: number;
  /** The rotation plane. */
  readonly spatialAxes: SpatialPlane;

  /** The options this transform was built with. */
  readonly options: RandRotate90dOptions;

  constructor(options: RandRotate90dOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    this.prob = checkProb(options.prob, this.name);
    this.maxK = options.maxK ?? 3;
    if (!Number.isInteger(this.maxK) || this.maxK < 1) {
      throw new ArgumentError(`${this.name}: maxK must be a positive integer`, {
        field: 'maxK',
        actual: options.maxK,
      });
    }
    this.spatialAxes = checkPlane(options.spatialAxes ?? [0, 1], this.name);
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const doRotate = context.rng.uniform() < this.prob;
    const k = context.rng.int(this.maxK) + 1;
    const keys = presentKeys(record, this.options, this.name, context.recordName);
    const out: DataRecord = { ...record };
    if (!doRotate) return out;
    for (const key of keys) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      out[key] = rotate90Volume(volume, k, this.spatialAxes, this.name);
    }
    return out;
  }

  /** Undoes a recorded rotation. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertRotate90(volume, op);
  }
}
