/**
 * Reversing spatial axes: the array function {@link flip} and the dictionary transform
 * {@link Flipd} (MONAI `Flipd`). Flips record themselves in `meta.applied` and undo exactly.
 */
import { ArgumentError } from '@voxelkit/core';
import type { TypedArray, Volume } from '@voxelkit/core';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '../transform.js';
import type { AxisMapping } from './axes.js';
import { isSpatialAxis, permuteReverse, permuteReverseAffine } from './axes.js';
import type { KeysOptions } from './record.js';
import {
  checkKeys,
  derivedVolume,
  presentKeys,
  requireVolume,
  spatialOf,
  withApplied,
  withoutLastApplied,
} from './record.js';

/** Options of {@link Flipd}. */
export interface FlipdOptions extends KeysOptions {
  /**
   * Spatial axes to reverse (0 = X, 1 = Y, 2 = Z; the channel is not counted), one axis or a list.
   * `undefined`/`null` flips all three, as MONAI's `spatial_axis=None`.
   */
  spatialAxis?: number | readonly number[] | null;
}

/**
 * Reverses the given spatial axes of channel-first `[C, X, Y, Z]` data; returns new data of the
 * same dtype. Axes of size 1 are unchanged, as expected.
 *
 * @example
 * ```ts
 * flip(new Float32Array([0, 1, 2, 3]), [1, 2, 2, 1], [0]); // Float32Array [2, 3, 0, 1]
 * ```
 */
export function flip(
  data: TypedArray,
  shape: readonly number[],
  spatialAxes: readonly number[],
): TypedArray {
  return permuteReverse(data, shape, flipMapping(normaliseFlipAxes(spatialAxes, 'flip'))).data;
}

/**
 * Flips a whole volume (data and affine), recording the operation under `transformName`.
 */
export function flipVolume(
  volume: Volume,
  spatialAxes: readonly number[],
  transformName = 'Flipd',
): Volume {
  const axes = normaliseFlipAxes(spatialAxes, transformName);
  const mapping = flipMapping(axes);
  const { data } = permuteReverse(volume.data, volume.shape, mapping);
  const affine = permuteReverseAffine(volume.affine, spatialOf(volume.shape), mapping);
  const meta = withApplied(volume.meta, {
    transform: transformName,
    params: { spatialAxes: axes },
  });
  return derivedVolume(volume, data, volume.shape, affine, meta);
}

/**
 * Dictionary transform that reverses spatial axes of every volume under `keys` (MONAI `Flipd`).
 *
 * @example
 * ```ts
 * const out = new Flipd({ keys: ['image', 'label'], spatialAxis: 0 }).apply(record, ctx);
 * ```
 */
export class Flipd implements InvertibleTransform {
  readonly name: string = 'Flipd';
  readonly random: boolean = false;
  /** The normalised axes (sorted, unique). */
  readonly spatialAxes: number[];

  /** The options this transform was built with. */
  readonly options: FlipdOptions;

  constructor(options: FlipdOptions) {
    this.options = options;
    checkKeys(options.keys, 'Flipd');
    this.spatialAxes = normaliseFlipAxes(options.spatialAxis, 'Flipd');
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of presentKeys(record, this.options, this.name, context.recordName)) {
      out[key] = flipVolume(
        requireVolume(record, key, this.name, context.recordName),
        this.spatialAxes,
        this.name,
      );
    }
    return out;
  }

  /** Undoes a recorded flip: flipping the same axes again. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertFlip(volume, op);
  }
}

/** Shared inverse of Flipd and RandFlipd. */
export function invertFlip(volume: Volume, op: AppliedOperation): Volume {
  const axes = op.params.spatialAxes as number[];
  const mapping = flipMapping(axes);
  const { data } = permuteReverse(volume.data, volume.shape, mapping);
  const affine = permuteReverseAffine(volume.affine, spatialOf(volume.shape), mapping);
  return derivedVolume(
    volume,
    data,
    volume.shape,
    affine,
    withoutLastApplied(volume.meta, op.transform),
  );
}

/** `null`/`undefined` → all axes; a number → `[n]`; validates and sorts. */
export function normaliseFlipAxes(
  spatialAxis: number | readonly number[] | null | undefined,
  transform: string,
): number[] {
  if (spatialAxis === undefined || spatialAxis === null) return [0, 1, 2];
  const list = typeof spatialAxis === 'number' ? [spatialAxis] : [...spatialAxis];
  for (const a of list) {
    if (!isSpatialAxis(a)) {
      throw new ArgumentError(
        `${transform}: spatial axes are 0, 1 or 2 (the channel is not counted)`,
        {
          field: 'spatialAxis',
          expected: '0 | 1 | 2 or a list of them',
          actual: spatialAxis,
        },
      );
    }
  }
  return [...new Set(list)].sort();
}

function flipMapping(axes: readonly number[]): AxisMapping {
  return {
    axisMap: [0, 1, 2],
    reversed: [axes.includes(0), axes.includes(1), axes.includes(2)],
  };
}
