/**
 * Adding a constant to intensities: {@link shiftIntensity}, {@link ShiftIntensityd} and the random
 * {@link RandShiftIntensityd} (MONAI names).
 */
import { ArgumentError } from '@voxelkit/core';
import type { TypedArray } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '../transform.js';
import { checkProb } from '../random/probability.js';
import type { KeysOptions } from '../utility/record.js';
import { checkKeys, derivedVolume, presentKeys, requireVolume } from '../utility/record.js';

/**
 * `data + offset`. Float64 input stays float64; every other dtype becomes float32 (an integer
 * image plus a fractional offset is no longer an integer image).
 *
 * @example
 * ```ts
 * shiftIntensity(new Float32Array([0, 1]), 0.25); // Float32Array [0.25, 1.25]
 * ```
 */
export function shiftIntensity(data: TypedArray, offset: number): Float32Array | Float64Array {
  const out =
    data instanceof Float64Array ? new Float64Array(data.length) : new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] + offset;
  return out;
}

/** Options of {@link ShiftIntensityd}. */
export interface ShiftIntensitydOptions extends KeysOptions {
  /** The constant added to every voxel. */
  offset: number;
}

/**
 * Adds a fixed `offset` to every volume under `keys`.
 *
 * @example
 * ```ts
 * new ShiftIntensityd({ keys: ['image'], offset: 0.1 });
 * ```
 */
export class ShiftIntensityd implements Transform {
  readonly name: string = 'ShiftIntensityd';
  readonly random: boolean = false;

  /** The options this transform was built with. */
  readonly options: ShiftIntensitydOptions;

  constructor(options: ShiftIntensitydOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    if (!Number.isFinite(options.offset)) {
      throw new ArgumentError(`${this.name}: offset must be finite`, {
        field: 'offset',
        actual: options.offset,
      });
    }
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    return shiftKeys(record, context, this.options, this.options.offset, this.name);
  }
}

/** Options of {@link RandShiftIntensityd}. */
export interface RandShiftIntensitydOptions extends KeysOptions {
  /**
   * Offset range: `o` means `[-o, o)`, a pair `[lo, hi]` means `[lo, hi)` (MONAI `offsets`).
   */
  offsets: number | readonly [number, number];
  /** Probability of shifting (default 0.1). */
  prob?: number;
}

/**
 * Random intensity shift: with probability `prob`, adds one offset drawn uniformly from the range
 * to every volume under `keys`. Draws `rng.uniform()` (apply?) then `rng.uniform(lo, hi)` (offset)
 * for every record. The drawn offset is recorded in `meta.lastIntensityShift` of shifted volumes.
 *
 * @example
 * ```ts
 * new RandShiftIntensityd({ keys: ['image'], offsets: 0.1, prob: 0.5 });
 * // offsets [0.25, 0.25], prob 1: every voxel + 0.25
 * ```
 */
export class RandShiftIntensityd implements Transform {
  readonly name: string = 'RandShiftIntensityd';
  readonly random: boolean = true;
  /** Probability of shifting a record. */
  readonly prob: number;
  /** Lower end of the offset range (inclusive). */
  readonly low: number;
  /** Upper end of the offset range (exclusive). */
  readonly high: number;

  /** The options this transform was built with. */
  readonly options: RandShiftIntensitydOptions;

  constructor(options: RandShiftIntensitydOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    this.prob = checkProb(options.prob, this.name);
    const o = options.offsets;
    const pair = typeof o === 'number' ? [-Math.abs(o), Math.abs(o)] : [...o];
    if (pair.length !== 2 || !pair.every(Number.isFinite) || pair[0] > pair[1]) {
      throw new ArgumentError(
        `${this.name}: offsets must be a number or a pair [low, high] with low ≤ high`,
        {
          field: 'offsets',
          actual: o,
        },
      );
    }
    [this.low, this.high] = pair;
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const doShift = context.rng.uniform() < this.prob;
    const offset = context.rng.uniform(this.low, this.high);
    if (!doShift) {
      presentKeys(record, this.options, this.name, context.recordName);
      return { ...record };
    }
    return shiftKeys(record, context, this.options, offset, this.name);
  }
}

function shiftKeys(
  record: DataRecord,
  context: TransformContext,
  options: KeysOptions,
  offset: number,
  transform: string,
): DataRecord {
  const out: DataRecord = { ...record };
  for (const key of presentKeys(record, options, transform, context.recordName)) {
    const volume = requireVolume(record, key, transform, context.recordName);
    const shifted = derivedVolume(volume, shiftIntensity(volume.data, offset), volume.shape);
    shifted.meta = { ...shifted.meta, lastIntensityShift: offset };
    out[key] = shifted;
  }
  return out;
}
