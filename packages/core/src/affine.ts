/**
 * 4×4 affine maths. An {@link Affine} is a `Float64Array` of 16 numbers in row-major order that
 * maps a homogeneous voxel index `(i, j, k, 1)` to RAS+ world millimetres.
 */
import { ArgumentError } from './errors.js';

/** Row-major 4×4 matrix, voxel index → RAS+ mm. */
export type Affine = Float64Array;

/** The 4×4 identity. */
export function identity(): Affine {
  const a = new Float64Array(16);
  a[0] = a[5] = a[10] = a[15] = 1;
  return a;
}

/**
 * Builds an affine from nested rows (`[[r00, r01, r02, t0], …]`, 3 or 4 rows).
 *
 * @example
 * ```ts
 * affineFromRows([[2, 0, 0, 10], [0, 3, 0, 20], [0, 0, 4, 30]]);
 * ```
 */
export function affineFromRows(rows: readonly (readonly number[])[]): Affine {
  if (rows.length !== 3 && rows.length !== 4) {
    throw new ArgumentError('affine needs 3 or 4 rows', { field: 'rows', actual: rows.length });
  }
  const a = identity();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.length !== 4) {
      throw new ArgumentError('affine rows need 4 entries', {
        field: `rows[${r}]`,
        actual: row.length,
      });
    }
    for (let c = 0; c < 4; c++) a[r * 4 + c] = row[c];
  }
  return a;
}

/** Nested rows `[[…4], …4]` of an affine, e.g. for JSON. */
export function affineToRows(a: Affine): number[][] {
  return [0, 1, 2, 3].map((r) => [a[r * 4], a[r * 4 + 1], a[r * 4 + 2], a[r * 4 + 3]]);
}

/** Matrix product `a · b` (apply `b` first, then `a`). */
export function multiplyAffines(a: Affine, b: Affine): Affine {
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k] * b[k * 4 + c];
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Composes affines left to right: `composeAffines(a, b, c) = a · b · c`. */
export function composeAffines(...affines: Affine[]): Affine {
  return affines.reduce((acc, a) => multiplyAffines(acc, a), identity());
}

/** Inverse of a 4×4 affine; throws {@link ArgumentError} if it is singular. */
export function invertAffine(a: Affine): Affine {
  const m = Array.from(a);
  const inv = Array.from(identity());
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) {
      if (Math.abs(m[r * 4 + col]) > Math.abs(m[pivot * 4 + col])) pivot = r;
    }
    if (Math.abs(m[pivot * 4 + col]) < 1e-12) {
      throw new ArgumentError('affine is singular and cannot be inverted', { field: 'affine' });
    }
    if (pivot !== col) {
      for (let c = 0; c < 4; c++) {
        [m[col * 4 + c], m[pivot * 4 + c]] = [m[pivot * 4 + c], m[col * 4 + c]];
        [inv[col * 4 + c], inv[pivot * 4 + c]] = [inv[pivot * 4 + c], inv[col * 4 + c]];
      }
    }
    const p = m[col * 4 + col];
    for (let c = 0; c < 4; c++) {
      m[col * 4 + c] /= p;
      inv[col * 4 + c] /= p;
    }
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = m[r * 4 + col];
      if (f === 0) continue;
      for (let c = 0; c < 4; c++) {
        m[r * 4 + c] -= f * m[col * 4 + c];
        inv[r * 4 + c] -= f * inv[col * 4 + c];
      }
    }
  }
  return Float64Array.from(inv);
}

/** Determinant of the 3×3 linear part. */
export function determinant3(a: Affine): number {
  return (
    a[0] * (a[5] * a[10] - a[6] * a[9]) -
    a[1] * (a[4] * a[10] - a[6] * a[8]) +
    a[2] * (a[4] * a[9] - a[5] * a[8])
  );
}

/** True when the 3×3 linear part is (numerically) singular or has non-finite entries. */
export function isSingularAffine(a: Affine): boolean {
  for (let i = 0; i < 12; i++) if (!Number.isFinite(a[i])) return true;
  const scale = Math.max(...spacingFromAffine(a));
  if (scale === 0) return true;
  return Math.abs(determinant3(a)) <= 1e-12 * scale ** 3;
}

/** Voxel size in mm along each voxel axis: the norms of the linear part's columns. */
export function spacingFromAffine(a: Affine): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    out[c] = Math.hypot(a[c], a[4 + c], a[8 + c]);
  }
  return out;
}

/** Applies an affine to a point `(i, j, k)`. */
export function applyAffine(a: Affine, p: readonly number[]): [number, number, number] {
  const [x, y, z] = p;
  return [
    a[0] * x + a[1] * y + a[2] * z + a[3],
    a[4] * x + a[5] * y + a[6] * z + a[7],
    a[8] * x + a[9] * y + a[10] * z + a[11],
  ];
}

/** Largest absolute entry-wise difference between two affines. */
export function affineMaxAbsDiff(a: Affine, b: Affine): number {
  let m = 0;
  for (let i = 0; i < 16; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
