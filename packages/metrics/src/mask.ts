/**
 * Binary 3-D masks and their surface voxels (the boundary used by the surface-distance metrics).
 */
import { ArgumentError, ShapeError } from '@voxelkit/core';

/** A 3-D mask `[X, Y, Z]`, row-major; non-zero = foreground. */
export interface MaskVolume {
  /** Voxel values, row-major (last axis fastest); non-zero = foreground. */
  data: ArrayLike<number>;
  /** `[X, Y, Z]`. */
  shape: readonly [number, number, number] | readonly number[];
}

/** Voxel size in mm along X, Y, Z. */
export type Spacing = readonly [number, number, number] | readonly number[];

/**
 * Surface voxels of a mask: foreground voxels with at least one background 6-neighbour (face
 * neighbour), voxels outside the volume counting as background. This equals MONAI's edges
 * `mask XOR binary_erosion(mask)` (scipy's default cross structure, border value 0).
 *
 * @param mask - binary mask `[X, Y, Z]`
 * @returns Uint8Array `[X, Y, Z]`, 1 on the surface
 * @example
 * ```ts
 * // a 3x3x3 cube: 26 surface voxels, the centre is interior
 * surfaceVoxels({ data: new Uint8Array(27).fill(1), shape: [3, 3, 3] });
 * ```
 */
// Limitation: 3-D only, Euclidean only (MONAI also offers chessboard/taxicab distances and 2-D).
export function surfaceVoxels(mask: MaskVolume): Uint8Array {
  const [X, Y, Z] = checkMask(mask, 'mask');
  const data = mask.data;
  const surface = new Uint8Array(X * Y * Z);
  const on = (x: number, y: number, z: number): boolean =>
    x >= 0 && y >= 0 && z >= 0 && x < X && y < Y && z < Z && data[(x * Y + y) * Z + z] !== 0;
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      for (let z = 0; z < Z; z++) {
        const i = (x * Y + y) * Z + z;
        if (data[i] === 0) continue;
        const interior =
          on(x - 1, y, z) &&
          on(x + 1, y, z) &&
          on(x, y - 1, z) &&
          on(x, y + 1, z) &&
          on(x, y, z - 1) &&
          on(x, y, z + 1);
        if (!interior) surface[i] = 1;
      }
    }
  }
  return surface;
}

/**
 * Validates a mask's shape against its data.
 *
 * @returns `[X, Y, Z]`
 */
export function checkMask(mask: MaskVolume, field: string): [number, number, number] {
  const shape = [...mask.shape];
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError('expected a 3-D mask [X, Y, Z]', {
      field: `${field}.shape`,
      expected: '[X, Y, Z] positive integers',
      actual: mask.shape,
    });
  }
  const total = shape[0]! * shape[1]! * shape[2]!;
  if (mask.data.length !== total) {
    throw new ShapeError('mask data length does not match its shape', {
      field: `${field}.data.length`,
      expected: total,
      actual: mask.data.length,
    });
  }
  return shape as [number, number, number];
}

/** Validates a spacing: three positive finite numbers (mm). */
export function checkSpacing(spacing: Spacing): [number, number, number] {
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new ArgumentError('spacing must be three positive numbers (mm)', {
      field: 'spacing',
      expected: '[sx, sy, sz] > 0',
      actual: spacing,
    });
  }
  return [spacing[0]!, spacing[1]!, spacing[2]!];
}
