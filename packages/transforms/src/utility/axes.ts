/**
 * One kernel behind flips and 90° rotations: every output voxel is an input voxel whose spatial
 * axes were permuted and/or reversed. Keeping both operations on this single, tested routine means
 * their affine bookkeeping cannot drift apart.
 */
import type { Affine, TypedArray } from '@voxelkit/core';
import { allocate, dtypeOf, multiplyAffines } from '@voxelkit/core';
import type { ShapedArray } from './shaped-array.js';

/**
 * How each input spatial axis `d` lands in the output: at output axis `axisMap[d]`, reversed when
 * `reversed[d]` is true.
 */
export interface AxisMapping {
  /** Output axis of each input spatial axis (a permutation of 0, 1, 2). */
  axisMap: readonly [number, number, number];
  /** Whether each input spatial axis is reversed. */
  reversed: readonly [boolean, boolean, boolean];
}

/**
 * Permutes and reverses the spatial axes of channel-first `[C, X, Y, Z]` data.
 *
 * @returns the new data (same dtype) and its shape.
 *
 * @example
 * ```ts
 * // reverse X of a 1×2×1×1 array [1, 2] → [2, 1]
 * permuteReverse(new Float32Array([1, 2]), [1, 2, 1, 1], { axisMap: [0, 1, 2], reversed: [true, false, false] });
 * ```
 */
export function permuteReverse(
  data: TypedArray,
  shape: readonly number[],
  mapping: AxisMapping,
): ShapedArray {
  const [C, X, Y, Z] = shape;
  const inSpatial = [X, Y, Z];
  const outSpatial = [0, 0, 0];
  for (let d = 0; d < 3; d++) outSpatial[mapping.axisMap[d]] = inSpatial[d];
  const outStrides = [outSpatial[1] * outSpatial[2], outSpatial[2], 1];
  // Per input axis: where a step along it moves in the output, and where index 0 lands.
  const step = [0, 0, 0];
  const origin = [0, 0, 0];
  for (let d = 0; d < 3; d++) {
    const s = outStrides[mapping.axisMap[d]];
    step[d] = mapping.reversed[d] ? -s : s;
    origin[d] = mapping.reversed[d] ? (inSpatial[d] - 1) * s : 0;
  }
  const out = allocate(dtypeOf(data), data.length);
  const block = X * Y * Z;
  for (let c = 0; c < C; c++) {
    const base = c * block;
    let src = base;
    for (let x = 0; x < X; x++) {
      const ox = base + origin[0] + x * step[0];
      for (let y = 0; y < Y; y++) {
        let dst = ox + origin[1] + y * step[1] + origin[2];
        for (let z = 0; z < Z; z++) {
          out[dst] = data[src++];
          dst += step[2];
        }
      }
    }
  }
  return { data: out, shape: [C, outSpatial[0], outSpatial[1], outSpatial[2]] };
}

/**
 * The affine of the permuted/reversed array: the same world point stays attached to the same voxel
 * value. `inSpatial` is the input's `[X, Y, Z]`.
 */
export function permuteReverseAffine(
  affine: Affine,
  inSpatial: readonly number[],
  mapping: AxisMapping,
): Affine {
  // M maps an output index to the input index it came from: in[d] = ±out[axisMap[d]] (+ N-1).
  const m = new Float64Array(16);
  m[15] = 1;
  for (let d = 0; d < 3; d++) {
    const col = mapping.axisMap[d];
    m[d * 4 + col] = mapping.reversed[d] ? -1 : 1;
    m[d * 4 + 3] = mapping.reversed[d] ? inSpatial[d] - 1 : 0;
  }
  return multiplyAffines(affine, m);
}

/** Checks spatial axis indices (0, 1 or 2 — the channel is not a spatial axis). */
export function isSpatialAxis(axis: unknown): axis is 0 | 1 | 2 {
  return axis === 0 || axis === 1 || axis === 2;
}
