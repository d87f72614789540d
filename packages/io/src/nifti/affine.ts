/**
 * The voxel→world affine of a NIfTI header, chosen as nibabel does (sform if sform_code > 0,
 * else qform if qform_code > 0, else a pixdim-only base affine), plus the inverse direction for
 * the writer (affine → quaternion). Unlike a choice by code alone, we never return a singular
 * matrix: a zero or non-finite sform falls back to the qform with a warning
 * (https://github.com/nipy/nibabel/issues/624).
 */
import { FormatError, isSingularAffine, type Affine, type Logger } from '@voxelkit/core';
import type { NiftiHeader } from './header.js';

/** Which header fields produced the affine. */
export type AffineSource = 'sform' | 'qform' | 'base';

/** The chosen affine and where it came from. */
export interface ChosenAffine {
  /** Voxel index → RAS+ mm, row-major 4×4. */
  affine: Affine;
  /** Which header fields it came from. */
  source: AffineSource;
}

/** Quaternion representation of an affine, as written to the qform fields. */
export interface QformParameters {
  /** Quaternion b of the rotation. */
  quatern_b: number;
  /** Quaternion c of the rotation. */
  quatern_c: number;
  /** Quaternion d of the rotation. */
  quatern_d: number;
  /** Translation x (mm). */
  qoffset_x: number;
  /** Translation y (mm). */
  qoffset_y: number;
  /** Translation z (mm). */
  qoffset_z: number;
  /** -1 when the linear part has a negative determinant (stored in pixdim[0]). */
  qfac: 1 | -1;
  /** Voxel sizes (column norms of the linear part), stored in pixdim[1..3]. */
  pixdim: [number, number, number];
}

/**
 * Picks the affine for a header like nibabel's `Nifti1Header.get_best_affine`, skipping forms
 * whose matrix is singular or non-finite (with a warning naming the file).
 *
 * @param spatial - the spatial shape `[X, Y, Z]` (used by the base affine's centring).
 */
export function chooseNiftiAffine(
  header: NiftiHeader,
  spatial: readonly number[],
  file: string | undefined,
  logger: Logger,
): ChosenAffine {
  if (header.sform_code > 0) {
    const s = sformAffine(header);
    if (!isSingularAffine(s)) return { affine: s, source: 'sform' };
    logger.warn('NIfTI sform_code is set but the sform matrix is singular; using the qform', {
      file,
      sform_code: header.sform_code,
    });
  }
  if (header.qform_code > 0) {
    const q = qformAffine(header, file);
    if (!isSingularAffine(q)) return { affine: q, source: 'qform' };
    logger.warn('NIfTI qform is singular; using the pixdim-only base affine', { file });
  }
  return { affine: baseAffine(header, spatial, file, logger), source: 'base' };
}

/** The sform (srow_x/y/z) as a 4×4 affine. */
export function sformAffine(header: NiftiHeader): Affine {
  const a = new Float64Array(16);
  const rows = [header.srow_x, header.srow_y, header.srow_z];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) a[r * 4 + c] = rows[r][c];
  a[15] = 1;
  return a;
}

/**
 * The qform: rotation from the quaternion (b, c, d; a = sqrt(1 - b² - c² - d²)), scaled by
 * pixdim[1..3], with the third column negated when pixdim[0] < 0 (qfac), plus qoffset.
 *
 * @throws FormatError when b² + c² + d² exceeds 1 beyond float32 rounding, or pixdim[1..3] < 0
 *   (both as nibabel).
 */
export function qformAffine(header: NiftiHeader, file?: string): Affine {
  const b = header.quatern_b;
  const c = header.quatern_c;
  const d = header.quatern_d;
  let w2 = 1 - (b * b + c * c + d * d);
  if (w2 < 0) {
    // nibabel tolerates a few float32 ulps of excess before calling the quaternion invalid.
    if (w2 < -3 * 1.1920929e-7) {
      throw new FormatError('qform quaternion has b²+c²+d² > 1', {
        file,
        field: 'quatern_b/c/d',
        expected: 'b²+c²+d² <= 1',
        actual: [b, c, d],
      });
    }
    w2 = 0;
  }
  const a = Math.sqrt(w2);
  const n = a * a + b * b + c * c + d * d;
  const s = n > 0 ? 2 / n : 0;
  const rot =
    n > 0
      ? [
          1 - s * (c * c + d * d),
          s * (b * c - a * d),
          s * (b * d + a * c),
          s * (b * c + a * d),
          1 - s * (b * b + d * d),
          s * (c * d - a * b),
          s * (b * d - a * c),
          s * (c * d + a * b),
          1 - s * (b * b + c * c),
        ]
      : [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const zooms = [header.pixdim[1], header.pixdim[2], header.pixdim[3]];
  if (zooms.some((z) => z < 0)) {
    throw new FormatError('pixdim[1..3] must not be negative when the qform is used', {
      file,
      field: 'pixdim[1..3]',
      expected: '>= 0',
      actual: zooms,
    });
  }
  if (header.pixdim[0] < 0) zooms[2] = -zooms[2];
  const out = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) out[r * 4 + col] = rot[r * 3 + col] * zooms[col];
  }
  out[3] = header.qoffset_x;
  out[7] = header.qoffset_y;
  out[11] = header.qoffset_z;
  out[15] = 1;
  return out;
}

/**
 * nibabel's fallback when neither form is set: diag(-pixdim[1], pixdim[2], pixdim[3]) centred
 * on the middle voxel. When those voxel sizes make it singular (zero, non-finite, or 1e-38
 * next to 1) it becomes 1 mm isotropic, with a warning, so the affine is never singular.
 */
export function baseAffine(
  header: NiftiHeader,
  spatial: readonly number[],
  file: string | undefined,
  logger: Logger,
): Affine {
  const zooms = [1, 2, 3].map((i) => Math.abs(header.pixdim[i]));
  let affine = centredDiagonal(zooms, spatial);
  if (isSingularAffine(affine)) {
    // Zero, non-finite or wildly disproportionate voxel sizes: 1 mm isotropic instead.
    logger.warn('NIfTI pixdim[1..3] gives a singular base affine; using 1 mm voxels', {
      file,
      pixdim: header.pixdim.slice(1, 4),
    });
    affine = centredDiagonal([1, 1, 1], spatial);
  }
  return affine;
}

/** diag(-zx, zy, zz) with the centre voxel at the origin (nibabel's shape_zoom_affine). */
function centredDiagonal(zooms: readonly number[], spatial: readonly number[]): Affine {
  const signed = [-zooms[0], zooms[1], zooms[2]];
  const out = new Float64Array(16);
  for (let i = 0; i < 3; i++) {
    out[i * 4 + i] = signed[i];
    out[i * 4 + 3] = -((spatial[i] - 1) / 2) * signed[i];
  }
  out[15] = 1;
  return out;
}

/**
 * Quaternion parameters of an affine, or undefined when its linear part is not a rotation times
 * a positive diagonal scaling (shear or singular): such affines can only be stored in the sform.
 *
 * @param tolerance - largest allowed |Rᵀ R − I| entry of the normalised linear part.
 */
export function affineToQform(affine: Affine, tolerance = 1e-6): QformParameters | undefined {
  const zooms: [number, number, number] = [0, 0, 0];
  const r = new Array<number>(9);
  for (let c = 0; c < 3; c++) {
    zooms[c] = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
    if (!(zooms[c] > 0) || !Number.isFinite(zooms[c])) return undefined;
    for (let row = 0; row < 3; row++) r[row * 3 + c] = affine[row * 4 + c] / zooms[c];
  }
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += r[k * 3 + i] * r[k * 3 + j];
      if (Math.abs(dot - (i === j ? 1 : 0)) > tolerance) return undefined;
    }
  }
  const det =
    r[0] * (r[4] * r[8] - r[5] * r[7]) -
    r[1] * (r[3] * r[8] - r[5] * r[6]) +
    r[2] * (r[3] * r[7] - r[4] * r[6]);
  let qfac: 1 | -1 = 1;
  if (det < 0) {
    qfac = -1;
    r[2] = -r[2];
    r[5] = -r[5];
    r[8] = -r[8];
  }
  // a (>= 0) is implied by b, c, d: a = sqrt(1 - b² - c² - d²).
  const [, b, c, d] = rotationToQuaternion(r);
  return {
    quatern_b: b,
    quatern_c: c,
    quatern_d: d,
    qoffset_x: affine[3],
    qoffset_y: affine[7],
    qoffset_z: affine[11],
    qfac,
    pixdim: zooms,
  };
}

/** Unit quaternion (a, b, c, d) with a >= 0 of a proper rotation matrix (row-major 3×3). */
function rotationToQuaternion(m: number[]): [number, number, number, number] {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const trace = m00 + m11 + m22;
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  // Shepperd's method: divide by the largest of the four candidate terms for accuracy.
  if (trace > 0) {
    const s = 2 * Math.sqrt(1 + trace);
    a = s / 4;
    b = (m21 - m12) / s;
    c = (m02 - m20) / s;
    d = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    a = (m21 - m12) / s;
    b = s / 4;
    c = (m01 + m10) / s;
    d = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    a = (m02 - m20) / s;
    b = (m01 + m10) / s;
    c = s / 4;
    d = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    a = (m10 - m01) / s;
    b = (m02 + m20) / s;
    c = (m12 + m21) / s;
    d = s / 4;
  }
  const n = Math.hypot(a, b, c, d);
  const sign = a < 0 ? -1 : 1;
  return [(sign * a) / n, (sign * b) / n, (sign * c) / n, (sign * d) / n];
}
