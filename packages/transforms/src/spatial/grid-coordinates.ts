/**
 * Source coordinates of a resampling, computed with the same float64 operations, in the same
 * order, as MONAI 1.4's `Spacing` → `AffineTransform` → PyTorch `affine_grid`/`grid_sample`
 * (`align_corners=False`). Mathematically the coordinate is just `T · index`; reproducing the
 * rounding matters for nearest-neighbour labels when the spacing ratio puts samples exactly on
 * `x.5` (e.g. 3 mm → 1.5 mm), where the last bit decides which neighbour wins.
 *
 * The chain reproduced (facts about MONAI/PyTorch, re-implemented):
 * 1. `T = solve(srcAffine, dstAffine)` by LU with partial pivoting (LAPACK `gesv`).
 * 2. `θ = N(src) · T · N(dst)⁻¹` with `N(s) = [diag(2/s) | 1/s − 1]` (MONAI `to_norm_affine`).
 * 3. Base grid per output axis: `linspace(−1, 1, n) · (n − 1) / n` (PyTorch `linspace` rule:
 *    `start + step·i` in the first half, `end − step·(n − 1 − i)` in the second, evaluated per
 *    4-wide vector as PyTorch's AVX2 CPU kernel does).
 * 4. Normalised coordinate `g = b·θ_aa + θ_a3`, then `((g + 1)·size − 1) / 2`.
 */
import type { Affine } from '@voxelkit/core';
import { ArgumentError } from '@voxelkit/core';

/** Solves `A · X = B` for 4×4 row-major matrices (LU with partial pivoting, as LAPACK). */
export function solveAffine(a: Affine, b: Affine): Affine {
  const lu = Array.from(a);
  const perm = [0, 1, 2, 3];
  for (let j = 0; j < 4; j++) {
    let p = j;
    for (let i = j + 1; i < 4; i++) if (Math.abs(lu[i * 4 + j]) > Math.abs(lu[p * 4 + j])) p = i;
    if (lu[p * 4 + j] === 0) {
      throw new ArgumentError('source affine is not invertible', { field: 'affine' });
    }
    if (p !== j) {
      for (let c = 0; c < 4; c++) [lu[j * 4 + c], lu[p * 4 + c]] = [lu[p * 4 + c], lu[j * 4 + c]];
      [perm[j], perm[p]] = [perm[p], perm[j]];
    }
    const r = 1 / lu[j * 4 + j];
    for (let i = j + 1; i < 4; i++) {
      lu[i * 4 + j] *= r;
      const l = lu[i * 4 + j];
      if (l !== 0) for (let c = j + 1; c < 4; c++) lu[i * 4 + c] -= l * lu[j * 4 + c];
    }
  }
  const x = new Float64Array(16);
  for (let col = 0; col < 4; col++) {
    const v = perm.map((r) => b[r * 4 + col]);
    for (let k = 0; k < 4; k++) {
      if (v[k] === 0) continue;
      for (let i = k + 1; i < 4; i++) v[i] -= v[k] * lu[i * 4 + k];
    }
    for (let k = 3; k >= 0; k--) {
      if (v[k] === 0) continue;
      v[k] /= lu[k * 4 + k];
      for (let i = 0; i < k; i++) v[i] -= v[k] * lu[i * 4 + k];
    }
    for (let r = 0; r < 4; r++) x[r * 4 + col] = v[r];
  }
  return x;
}

/**
 * For each spatial axis, the diagonal and translation of `θ` (the transform in PyTorch's
 * normalised coordinates) for output shape `outShape` and source shape `srcShape`.
 */
export function normalisedTheta(
  xform: Affine,
  srcShape: readonly number[],
  outShape: readonly number[],
): Affine {
  const src = new Float64Array(16);
  const dstInv = new Float64Array(16);
  src[15] = dstInv[15] = 1;
  for (let a = 0; a < 3; a++) {
    const s = srcShape[a] > 0 ? srcShape[a] : 2;
    src[a * 5] = 2 / s;
    src[a * 4 + 3] = 1 / srcShape[a] - 1;
    const d = outShape[a] > 0 ? outShape[a] : 2;
    const scale = 2 / d;
    // Inverse of [scale | shift] by back substitution, as LAPACK does it.
    dstInv[a * 5] = 1 / scale;
    dstInv[a * 4 + 3] = -(1 / outShape[a] - 1) / scale;
  }
  return matmul(matmul(src, xform), dstInv);
}

/**
 * Source voxel coordinate (before padding) of every output index along `axis`, ignoring
 * cross-axis terms (the caller checks they are negligible).
 */
export function axisCoordinates(
  theta: Affine,
  axis: number,
  srcSize: number,
  outSize: number,
): Float64Array {
  const out = new Float64Array(outSize);
  const diag = theta[axis * 5];
  const shift = theta[axis * 4 + 3];
  for (let o = 0; o < outSize; o++) {
    const g = baseGrid(o, outSize) * diag + shift;
    out[o] = ((g + 1) * srcSize - 1) / 2;
  }
  return out;
}

/**
 * PyTorch's `affine_grid` base coordinate of index `i` of `n` (`align_corners=False`), evaluated
 * as its CPU `linspace` kernel does on x86-64 builds: blocks of 8 indices come from two 4-wide
 * vectors `first + k·step` whose first element is a fused multiply-add, the tail from one fused
 * multiply-add per index (checked bit for bit against PyTorch for n = 2…700).
 */
function baseGrid(i: number, n: number): number {
  if (n <= 1) return 0;
  const step = 2 / (n - 1);
  const halfway = Math.floor(n / 2);
  const at = (idx: number): number =>
    idx < halfway ? fma(step, idx, -1) : fma(-step, n - idx - 1, 1);
  const vectorised = n - (n % 8);
  const v = i < vectorised ? at(i - (i % 4)) + (i % 4) * step : at(i);
  return (v * (n - 1)) / n;
}

/**
 * `a·b + c` with a single rounding (fused multiply-add), from an exact product split (Dekker)
 * and an exact sum (Knuth). Correct except in double-rounding corner cases far rarer than the
 * ties it exists to reproduce.
 */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p) || p === 0) return p + c;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const pErr = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const bb = s - p;
  const sErr = p - (s - bb) + (c - bb);
  return s + (pErr + sErr);
}

function split(a: number): [number, number] {
  const t = 134217729 * a; // 2^27 + 1
  const hi = t - (t - a);
  return [hi, a - hi];
}

function matmul(a: Affine, b: Affine): Affine {
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
