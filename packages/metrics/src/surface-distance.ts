/**
 * Directed surface distances between two masks (MONAI 1.4's `get_edge_surface_distance` with the
 * Euclidean metric): for every surface voxel of one mask, the distance in mm to the nearest
 * surface voxel of the other.
 */
import { ShapeError } from '@voxelkit/core';

import { squaredDistanceTransform } from './edt.js';
import { checkMask, checkSpacing, surfaceVoxels } from './mask.js';
import type { MaskVolume, Spacing } from './mask.js';

/** Surface distances in both directions, in mm. */
export interface SurfaceDistances {
  /** One entry per prediction surface voxel: distance to the ground-truth surface. */
  predToTarget: Float64Array;
  /** One entry per ground-truth surface voxel: distance to the prediction surface. */
  targetToPred: Float64Array;
}

/**
 * Surface-to-surface distances between a prediction and a ground truth, spacing-aware.
 *
 * Distances are float32 values (stored in a Float64Array), as MONAI's are: a distance that is
 * 2 mm up to float64 rounding counts as within a 2 mm tolerance.
 *
 * Empty masks follow MONAI: if one surface is empty, every voxel of the other surface gets
 * `Infinity` in **both** directions (so both arrays have the length of the non-empty surface);
 * if both are empty, both arrays are empty.
 *
 * Only the bounding box of the two surfaces is transformed, which is exact (every nearest
 * surface voxel lies inside it) and keeps large, mostly empty volumes cheap.
 *
 * @param pred - binary prediction `[X, Y, Z]`
 * @param target - binary ground truth, same shape
 * @param spacing - voxel size in mm `[sx, sy, sz]`
 */
export function surfaceDistances(
  pred: MaskVolume,
  target: MaskVolume,
  spacing: Spacing = [1, 1, 1],
): SurfaceDistances {
  const shape = checkMask(pred, 'pred');
  const targetShape = checkMask(target, 'target');
  if (shape.some((d, i) => d !== targetShape[i])) {
    throw new ShapeError('prediction and ground truth shapes differ', {
      field: 'target.shape',
      expected: shape,
      actual: targetShape,
    });
  }
  const step = checkSpacing(spacing);
  const predSurface = surfaceVoxels(pred);
  const targetSurface = surfaceVoxels(target);
  const predCount = countOnes(predSurface);
  const targetCount = countOnes(targetSurface);
  if (predCount === 0 || targetCount === 0) {
    const n = predCount + targetCount; // one of them is 0
    return {
      predToTarget: new Float64Array(n).fill(Infinity),
      targetToPred: new Float64Array(n).fill(Infinity),
    };
  }
  const box = boundingBox([predSurface, targetSurface], shape);
  const predBox = cropTo(predSurface, shape, box);
  const targetBox = cropTo(targetSurface, shape, box);
  return {
    predToTarget: distancesAt(
      predBox,
      squaredDistanceTransform(targetBox, box.size, step),
      predCount,
    ),
    targetToPred: distancesAt(
      targetBox,
      squaredDistanceTransform(predBox, box.size, step),
      targetCount,
    ),
  };
}

interface Box {
  start: number[];
  size: number[];
}

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}

function boundingBox(masks: Uint8Array[], shape: readonly number[]): Box {
  const [X, Y, Z] = shape as [number, number, number];
  const lo = [X, Y, Z];
  const hi = [-1, -1, -1];
  for (const mask of masks) {
    let i = 0;
    for (let x = 0; x < X; x++) {
      for (let y = 0; y < Y; y++) {
        for (let z = 0; z < Z; z++, i++) {
          if (mask[i] === 0) continue;
          const p = [x, y, z];
          for (let a = 0; a < 3; a++) {
            if (p[a]! < lo[a]!) lo[a] = p[a]!;
            if (p[a]! > hi[a]!) hi[a] = p[a]!;
          }
        }
      }
    }
  }
  return { start: lo, size: hi.map((h, a) => h - lo[a]! + 1) };
}

function cropTo(mask: Uint8Array, shape: readonly number[], box: Box): Uint8Array {
  const [, Y, Z] = shape as [number, number, number];
  const [bx, by, bz] = box.start as [number, number, number];
  const [nx, ny, nz] = box.size as [number, number, number];
  const out = new Uint8Array(nx * ny * nz);
  let t = 0;
  for (let x = 0; x < nx; x++) {
    for (let y = 0; y < ny; y++) {
      const row = ((bx + x) * Y + by + y) * Z + bz;
      out.set(mask.subarray(row, row + nz), t);
      t += nz;
    }
  }
  return out;
}

function distancesAt(from: Uint8Array, squared: Float64Array, count: number): Float64Array {
  const out = new Float64Array(count);
  let n = 0;
  for (let i = 0; i < from.length; i++) {
    // Rounded to float32 as MONAI does, so tolerance comparisons tie-break the same way.
    if (from[i] !== 0) out[n++] = Math.fround(Math.sqrt(squared[i]!));
  }
  return out;
}
