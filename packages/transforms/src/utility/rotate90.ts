/**
 * Quarter-turn rotations in one spatial plane: the array function {@link rotate90} and the
 * dictionary transform {@link Rotate90d} (MONAI `Rotate90d`). The direction is numpy/torch
 * `rot90`'s: from the first axis of the plane towards the second.
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
import type { ShapedArray } from './shaped-array.js';

/** A plane given by two distinct spatial axes (0 = X, 1 = Y, 2 = Z). */
export type SpatialPlane = readonly [number, number];

/** Options of {@link Rotate90d}. */
export interface Rotate90dOptions extends KeysOptions {
  /** Number of quarter turns; any integer, taken modulo 4 (default 1). */
  k?: number;
  /** The plane to rotate in, spatial axes without the channel (default `[0, 1]`, i.e. X→Y). */
  spatialAxes?: SpatialPlane;
}

/**
 * Rotates channel-first `[C, X, Y, Z]` data by `k` quarter turns in the plane `spatialAxes`,
 * exactly as `torch.rot90(x, k, dims=(1 + a, 1 + b))`. The two axes of the plane swap sizes for
 * odd `k`.
 *
 * @returns the new data (same dtype) and shape.
 * @example
 * ```ts
 * // 1×2×2×1 [[0, 1], [2, 3]] → [[1, 3], [0, 2]]
 * rotate90(new Float32Array([0, 1, 2, 3]), [1, 2, 2, 1], 1, [0, 1]).data; // [1, 3, 0, 2]
 * ```
 */
export function rotate90(
  data: TypedArray,
  shape: readonly number[],
  k: number,
  spatialAxes: SpatialPlane = [0, 1],
): ShapedArray {
  return permuteReverse(
    data,
    shape,
    rotateMapping(normaliseK(k, 'rotate90'), checkPlane(spatialAxes, 'rotate90')),
  );
}

/** Rotates a whole volume (data, shape and affine), recording the operation under `transformName`. */
export function rotate90Volume(
  volume: Volume,
  k: number,
  spatialAxes: SpatialPlane = [0, 1],
  transformName = 'Rotate90d',
): Volume {
  const turns = normaliseK(k, transformName);
  const plane = checkPlane(spatialAxes, transformName);
  const mapping = rotateMapping(turns, plane);
  const { data, shape } = permuteReverse(volume.data, volume.shape, mapping);
  const affine = permuteReverseAffine(volume.affine, spatialOf(volume.shape), mapping);
  const meta = withApplied(volume.meta, {
    transform: transformName,
    params: { k: turns, spatialAxes: [...plane] },
  });
  return derivedVolume(volume, data, shape, affine, meta);
}

/**
 * Dictionary transform rotating every volume under `keys` by `k` quarter turns (MONAI
 * `Rotate90d`). Inverse: `4 - k` turns in the same plane.
 *
 * @example
 * ```ts
 * new Rotate90d({ keys: ['image'], k: 1, spatialAxes: [0, 1] }); // [1, 3, 4, 5] → [1, 4, 3, 5]
 * ```
 */
export class Rotate90d implements InvertibleTransform {
  readonly name: string = 'Rotate90d';
  readonly random: boolean = false;
  /** Quarter turns, normalised to 0..3. */
  readonly k: number;
  /** The rotation plane. */
  readonly spatialAxes: SpatialPlane;

  /** The options this transform was built with. */
  readonly options: Rotate90dOptions;

  constructor(options: Rotate90dOptions) {
    this.options = options;
    checkKeys(options.keys, 'Rotate90d');
    this.k = normaliseK(options.k ?? 1, 'Rotate90d');
    this.spatialAxes = checkPlane(options.spatialAxes ?? [0, 1], 'Rotate90d');
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of presentKeys(record, this.options, this.name, context.recordName)) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      out[key] = rotate90Volume(volume, this.k, this.spatialAxes, this.name);
    }
    return out;
  }

  /** Undoes a recorded rotation. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertRotate90(volume, op);
  }
}

/** Shared inverse of Rotate90d and RandRotate90d: `4 - k` turns in the recorded plane. */
export function invertRotate90(volume: Volume, op: AppliedOperation): Volume {
  const k = op.params.k as number;
  const plane = op.params.spatialAxes as [number, number];
  const mapping = rotateMapping((4 - k) % 4, plane);
  const { data, shape } = permuteReverse(volume.data, volume.shape, mapping);
  const affine = permuteReverseAffine(volume.affine, spatialOf(volume.shape), mapping);
  return derivedVolume(volume, data, shape, affine, withoutLastApplied(volume.meta, op.transform));
}

/** Checks that `plane` is two distinct spatial axes. */
export function checkPlane(plane: unknown, transform: string): SpatialPlane {
  if (
    !Array.isArray(plane) ||
    plane.length !== 2 ||
    !isSpatialAxis(plane[0]) ||
    !isSpatialAxis(plane[1]) ||
    plane[0] === plane[1]
  ) {
    throw new ArgumentError(`${transform}: spatialAxes must be two distinct spatial axes`, {
      field: 'spatialAxes',
      expected: '[0, 1], [1, 2] or [0, 2] (channel not counted)',
      actual: plane,
    });
  }
  return [plane[0], plane[1]];
}

function normaliseK(k: number, transform: string): number {
  if (!Number.isInteger(k)) {
    throw new ArgumentError(`${transform}: k must be an integer number of quarter turns`, {
      field: 'k',
      actual: k,
    });
  }
  return ((k % 4) + 4) % 4;
}

function rotateMapping(k: number, [a, b]: SpatialPlane): AxisMapping {
  const axisMap: [number, number, number] = [0, 1, 2];
  const reversed: [boolean, boolean, boolean] = [false, false, false];
  if (k === 1) {
    // out[.., p (axis a), q (axis b)] = in[q, Nb-1-p]: input a moves to b; input b, reversed, to a.
    axisMap[a] = b;
    axisMap[b] = a;
    reversed[b] = true;
  } else if (k === 2) {
    reversed[a] = true;
    reversed[b] = true;
  } else if (k === 3) {
    axisMap[a] = b;
    axisMap[b] = a;
    reversed[a] = true;
  }
  return { axisMap, reversed };
}
