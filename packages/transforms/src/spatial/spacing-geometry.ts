/**
 * Output grid of a spacing change, following MONAI 1.4's `Spacing` exactly (facts reproduced:
 * `zoom_affine` with `diagonal=False`, `compute_shape_offset` with `scale_extent=False`, and the
 * 1e-3 mm tolerance under which an axis keeps its original spacing).
 *
 * Rules, in order:
 * 1. `pixdim` shorter than 3 is padded with its last value; a non-positive entry keeps the
 *    original spacing of that axis; an original spacing within 1e-3 mm of the target is kept.
 * 2. The new linear part keeps the direction cosines: the source linear part `M` is split as
 *    `M = R · U` (`U` upper-triangular from the Cholesky factor of `MᵀM`, `R` = rotation, shear
 *    removed) and the new linear part is `R · diag(spacing)`. With `diagonal` it is just
 *    `diag(spacing)`.
 * 3. The source corner voxels (index 0 and size-1 per axis) are mapped into the new voxel grid;
 *    the output size per axis is `roundHalfEven(extent + 1)`.
 * 4. The translation is the world position of the source corner that is the minimum along all
 *    three new axes (within 1e-8); when no corner is, the grids are centre-aligned instead.
 */
import type { Affine } from '@voxelkit/core';
import {
  ArgumentError,
  identity,
  invertAffine,
  multiplyAffines,
  spacingFromAffine,
} from '@voxelkit/core';

/** Tolerance (mm, and affine entries) MONAI uses to call two geometries equal. */
export const AFFINE_TOLERANCE = 1e-3;

/** The grid a spacing change resamples onto. */
export interface SpacingGrid {
  /** Voxel → world affine of the output grid. */
  affine: Affine;
  /** Output spatial shape `[X, Y, Z]`. */
  shape: [number, number, number];
  /** Voxel size actually used per axis (mm). */
  spacing: [number, number, number];
}

/**
 * Computes the output grid of resampling a volume with `affine` and spatial `shape` to voxel
 * size `pixdim` (mm), by MONAI 1.4's rules (see the module comment).
 *
 * @param affine - source voxel → world affine.
 * @param shape - source spatial shape `[X, Y, Z]`.
 * @param pixdim - target voxel size in mm, 1 to 3 values.
 * @param diagonal - drop the direction cosines (MONAI `diagonal=True`). Default false.
 */
export function spacingGrid(
  affine: Affine,
  shape: readonly number[],
  pixdim: readonly number[],
  diagonal = false,
): SpacingGrid {
  if (pixdim.length === 0 || pixdim.some((d) => !Number.isFinite(d))) {
    throw new ArgumentError('pixdim needs 1 to 3 finite numbers', {
      field: 'pixdim',
      expected: 'e.g. [1.5, 1.5, 2]',
      actual: pixdim,
    });
  }
  const original = spacingFromAffine(affine);
  const spacing: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const target = pixdim[Math.min(a, pixdim.length - 1)];
    let d = Math.abs(original[a] - target) <= AFFINE_TOLERANCE ? original[a] : target;
    if (!(d > 0)) d = original[a] > 0 ? original[a] : 1;
    spacing[a] = d;
  }
  const out = zoomAffine(affine, spacing, diagonal);
  const { shape: outShape, offset } = shapeAndOffset(shape, affine, out);
  out[3] = offset[0];
  out[7] = offset[1];
  out[11] = offset[2];
  return { affine: out, shape: outShape, spacing };
}

/**
 * An affine with the same direction cosines as `affine` (shear removed) and voxel size
 * `spacing`, with zero translation (MONAI `zoom_affine`).
 */
export function zoomAffine(affine: Affine, spacing: readonly number[], diagonal = false): Affine {
  const out = identity();
  if (diagonal) {
    for (let a = 0; a < 3; a++) out[a * 5] = spacing[a];
    return out;
  }
  const m = (r: number, c: number): number => affine[r * 4 + c];
  // Gram matrix G = MᵀM and its Cholesky factor G = LLᵀ; U = Lᵀ, R = M·U⁻¹.
  const g = (i: number, j: number): number =>
    m(0, i) * m(0, j) + m(1, i) * m(1, j) + m(2, i) * m(2, j);
  const l00 = Math.sqrt(g(0, 0));
  const l10 = g(1, 0) / l00;
  const l20 = g(2, 0) / l00;
  const l11 = Math.sqrt(g(1, 1) - l10 * l10);
  const l21 = (g(2, 1) - l20 * l10) / l11;
  const l22 = Math.sqrt(g(2, 2) - l20 * l20 - l21 * l21);
  if (![l00, l11, l22].every((v) => Number.isFinite(v) && v > 0)) {
    throw new ArgumentError('affine is singular: its voxel axes do not span 3D', {
      field: 'affine',
    });
  }
  const u = identity();
  u[0] = l00;
  u[1] = l10;
  u[2] = l20;
  u[5] = l11;
  u[6] = l21;
  u[10] = l22;
  const linear = identity();
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) linear[r * 4 + c] = m(r, c);
  const rotation = multiplyAffines(linear, invertAffine(u));
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 4 + c] = rotation[r * 4 + c] * spacing[c];
  }
  return out;
}

/** Result of {@link shapeAndOffset}. */
export interface GridShapeAndOffset {
  /** Output spatial shape `[X, Y, Z]`. */
  shape: [number, number, number];
  /** World position (mm) of output voxel 0. */
  offset: [number, number, number];
}

/**
 * Output shape and world offset of the grid `outAffine` (translation ignored) that covers the
 * source grid (MONAI `compute_shape_offset`, `scale_extent=False`).
 */
export function shapeAndOffset(
  shape: readonly number[],
  inAffine: Affine,
  outAffine: Affine,
): GridShapeAndOffset {
  const toOut = multiplyAffines(invertAffine(outAffine), inAffine);
  const corners: number[][] = [];
  for (const i of [0, shape[0] - 1]) {
    for (const j of [0, shape[1] - 1]) {
      for (const k of [0, shape[2] - 1]) corners.push([i, j, k]);
    }
  }
  const mapped = corners.map((p) => applyLinear(toOut, p));
  const outShape: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const q of mapped) {
      lo = Math.min(lo, q[a]);
      hi = Math.max(hi, q[a]);
    }
    outShape[a] = roundHalfEven(hi - lo + 1);
  }
  for (let i = 0; i < mapped.length; i++) {
    const isMinimum = [0, 1, 2].every((a) => mapped.every((q) => q[a] - mapped[i][a] >= -1e-8));
    if (isMinimum) {
      const w = applyLinear(inAffine, corners[i]);
      return { shape: outShape, offset: [w[0], w[1], w[2]] };
    }
  }
  // No corner is the minimum on every axis (oblique): align the grid centres.
  const offset: [number, number, number] = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    let v = inAffine[r * 4 + 3];
    for (let c = 0; c < 3; c++) {
      v += inAffine[r * 4 + c] * (shape[c] / 2) - outAffine[r * 4 + c] * (outShape[c] / 2);
    }
    offset[r] = v;
  }
  return { shape: outShape, offset };
}

/** Rounds to the nearest integer, ties to even (NumPy `round`, C `nearbyint`). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function applyLinear(a: Affine, p: readonly number[]): number[] {
  const out = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    out[r] = a[r * 4] * p[0] + a[r * 4 + 1] * p[1] + a[r * 4 + 2] * p[2] + a[r * 4 + 3];
  }
  return out;
}
