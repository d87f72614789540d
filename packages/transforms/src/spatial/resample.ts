/**
 * Resampling of a channel-first volume onto another voxel grid, with PyTorch `grid_sample`'s
 * conventions as MONAI's `Spacing` uses them (`align_corners=False` on normalised coordinates,
 * which amounts to sampling source voxel index `T · (i, j, k, 1)`, where `T` maps output voxel
 * indices to source voxel indices).
 *
 * Coordinates and weights are computed in float64 (MONAI resamples in float64 by default) with
 * MONAI/PyTorch's own sequence of operations (see `grid-coordinates.ts`), so trilinear values
 * match MONAI to float32 rounding and nearest-neighbour ties (`x.5`) fall the same way. When `T` has no cross-axis terms (always the case for a
 * spacing change that keeps the direction cosines) per-axis index/weight tables are precomputed
 * and the inner loop runs over contiguous z with no allocation; otherwise each output voxel maps
 * its own coordinates.
 */
import type { Affine, TypedArray, Volume } from '@voxelkit/core';
import { allocate, ArgumentError } from '@voxelkit/core';
import { axisCoordinates, normalisedTheta, solveAffine } from './grid-coordinates.js';

/** Interpolation: trilinear (`'bilinear'` in MONAI/PyTorch terms) or nearest neighbour. */
export type InterpolationMode = 'bilinear' | 'nearest';

/** What a sample outside the source grid reads: the nearest border voxel, or zero. */
export type PaddingMode = 'border' | 'zeros';

/** Options of {@link resampleToGrid}. */
export interface ResampleOptions {
  /** Default `'bilinear'`. */
  mode?: InterpolationMode;
  /** Default `'border'` (MONAI Spacing's default). */
  paddingMode?: PaddingMode;
}

/**
 * Resamples `volume` onto the grid `(affine, shape)`: output voxel `p` takes the source value at
 * world position `affine · p`. Bilinear output is float32 (like MONAI); nearest output keeps the
 * source dtype, so labels stay integer-typed.
 *
 * NaN: a NaN source voxel spreads to every bilinear output whose 2×2×2 neighbourhood touches it
 * (even with a zero weight), as in PyTorch; nearest copies NaN only where it is the nearest voxel.
 *
 * @param volume - channel-first `[C, X, Y, Z]` source.
 * @param affine - output voxel → world affine.
 * @param shape - output spatial shape `[X, Y, Z]`.
 */
export function resampleToGrid(
  volume: Volume,
  affine: Affine,
  shape: readonly number[],
  options: ResampleOptions = {},
): Volume {
  const mode = options.mode ?? 'bilinear';
  const paddingMode = options.paddingMode ?? 'border';
  if (mode !== 'bilinear' && mode !== 'nearest') {
    throw new ArgumentError('unsupported interpolation mode', {
      field: 'mode',
      expected: "'bilinear' or 'nearest'",
      actual: mode,
    });
  }
  if (paddingMode !== 'border' && paddingMode !== 'zeros') {
    throw new ArgumentError('unsupported padding mode', {
      field: 'paddingMode',
      expected: "'border' or 'zeros'",
      actual: paddingMode,
    });
  }
  const xform = solveAffine(volume.affine, affine);
  const outShape = [shape[0], shape[1], shape[2]];
  const channels = volume.shape[0];
  const srcShape = volume.shape.slice(1);
  const n = channels * outShape[0] * outShape[1] * outShape[2];
  const out = mode === 'bilinear' ? new Float32Array(n) : allocate(volume.dtype, n);
  const job: Job = { src: volume.data, srcShape, channels, out, outShape, xform, paddingMode };
  if (isAxisAligned(xform, outShape)) {
    if (mode === 'bilinear') bilinearSeparable(job);
    else nearestSeparable(job);
  } else if (mode === 'bilinear') {
    bilinearGeneral(job);
  } else {
    nearestGeneral(job);
  }
  return {
    data: out,
    shape: [channels, ...outShape],
    dtype: mode === 'bilinear' ? 'float32' : volume.dtype,
    affine: Float64Array.from(affine),
    meta: volume.meta,
  };
}

interface Job {
  src: TypedArray;
  srcShape: number[];
  channels: number;
  out: TypedArray;
  outShape: number[];
  xform: Affine;
  paddingMode: PaddingMode;
}

/** Cross-axis terms small enough to move no sample by more than 1e-9 voxel. */
function isAxisAligned(xform: Affine, outShape: number[]): boolean {
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      if (r !== c && Math.abs(xform[r * 4 + c]) * Math.max(outShape[c] - 1, 1) > 1e-9) return false;
    }
  }
  return true;
}

/** Per-axis trilinear taps: lower/upper source index and their weights. */
interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float64Array;
  wHi: Float64Array;
}

function axisTaps(coords: Float64Array, srcSize: number, pad: PaddingMode): AxisTaps {
  const size = coords.length;
  const taps: AxisTaps = {
    lo: new Int32Array(size),
    hi: new Int32Array(size),
    wLo: new Float64Array(size),
    wHi: new Float64Array(size),
  };
  const t = new Float64Array(4);
  for (let o = 0; o < size; o++) {
    bilinearTap(coords[o], srcSize, pad, t, 0);
    taps.lo[o] = t[0];
    taps.hi[o] = t[1];
    taps.wLo[o] = t[2];
    taps.wHi[o] = t[3];
  }
  return taps;
}

/**
 * Writes lower index, upper index, lower weight and upper weight of one coordinate into
 * `out[at .. at+3]` (a scratch array, so the per-voxel path allocates nothing). Taps outside the
 * grid (zeros padding) get weight 0 and a valid index, so the hot loop needs no bounds test.
 */
function bilinearTap(
  coord: number,
  srcSize: number,
  pad: PaddingMode,
  out: Float64Array,
  at: number,
): void {
  if (!Number.isFinite(coord)) {
    out[at] = out[at + 1] = out[at + 2] = out[at + 3] = 0;
    return;
  }
  const c = pad === 'border' ? Math.min(Math.max(coord, 0), srcSize - 1) : coord;
  const lo = Math.floor(c);
  const hi = lo + 1;
  const inLo = lo >= 0 && lo <= srcSize - 1;
  const inHi = hi >= 0 && hi <= srcSize - 1;
  out[at] = inLo ? lo : 0;
  out[at + 1] = inHi ? hi : Math.min(Math.max(hi, 0), srcSize - 1);
  out[at + 2] = inLo ? hi - c : 0;
  out[at + 3] = inHi ? c - lo : 0;
}

/**
 * Trilinear sampling from per-axis tap tables. Weights and the sum are formed in PyTorch's 3-D
 * `grid_sample` order (weight = w_z · w_y · w_x, corners summed x-major, then y, then z), so the
 * float64 result is bit-identical to MONAI's before the cast to float32.
 */
function bilinearSeparable(job: Job): void {
  const { src, srcShape, channels, out, outShape, xform, paddingMode } = job;
  const [sx, sy, sz] = srcShape;
  const [ox, oy, oz] = outShape;
  const theta = normalisedTheta(xform, srcShape, outShape);
  const tx = axisTaps(axisCoordinates(theta, 0, sx, ox), sx, paddingMode);
  const ty = axisTaps(axisCoordinates(theta, 1, sy, oy), sy, paddingMode);
  const tz = axisTaps(axisCoordinates(theta, 2, sz, oz), sz, paddingMode);
  const zLo = tz.lo;
  const zHi = tz.hi;
  const zwLo = tz.wLo;
  const zwHi = tz.wHi;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < ox; x++) {
      const x0 = (c * sx + tx.lo[x]) * sy;
      const x1 = (c * sx + tx.hi[x]) * sy;
      const wx0 = tx.wLo[x];
      const wx1 = tx.wHi[x];
      for (let y = 0; y < oy; y++) {
        const b00 = (x0 + ty.lo[y]) * sz;
        const b01 = (x0 + ty.hi[y]) * sz;
        const b10 = (x1 + ty.lo[y]) * sz;
        const b11 = (x1 + ty.hi[y]) * sz;
        const wy0 = ty.wLo[y];
        const wy1 = ty.wHi[y];
        for (let z = 0; z < oz; z++) {
          const l = zLo[z];
          const h = zHi[z];
          const a = zwLo[z] * wy0;
          const b = zwHi[z] * wy0;
          const d = zwLo[z] * wy1;
          const e = zwHi[z] * wy1;
          let v = src[b00 + l] * (a * wx0);
          v += src[b00 + h] * (b * wx0);
          v += src[b01 + l] * (d * wx0);
          v += src[b01 + h] * (e * wx0);
          v += src[b10 + l] * (a * wx1);
          v += src[b10 + h] * (b * wx1);
          v += src[b11 + l] * (d * wx1);
          v += src[b11 + h] * (e * wx1);
          out[o++] = v;
        }
      }
    }
  }
}

/**
 * Nearest source index of a coordinate, or -1 when it falls outside with zeros padding. Ties
 * (`x.5`) round away from zero, as PyTorch's 3-D CPU `grid_sample` does (`std::round`; its 2-D
 * kernel rounds to even instead).
 */
function nearestIndex(coord: number, srcSize: number, pad: PaddingMode): number {
  if (!Number.isFinite(coord)) return -1;
  if (pad === 'border') return roundHalfAway(Math.min(Math.max(coord, 0), srcSize - 1));
  const i = roundHalfAway(coord);
  return i < 0 || i > srcSize - 1 ? -1 : i;
}

function nearestSeparable(job: Job): void {
  const { src, srcShape, channels, out, outShape, xform, paddingMode } = job;
  const [sx, sy, sz] = srcShape;
  const [ox, oy, oz] = outShape;
  const theta = normalisedTheta(xform, srcShape, outShape);
  const table = (axis: number, size: number, srcSize: number): Int32Array => {
    const coords = axisCoordinates(theta, axis, srcSize, size);
    return Int32Array.from(coords, (c) => nearestIndex(c, srcSize, paddingMode));
  };
  const ix = table(0, ox, sx);
  const iy = table(1, oy, sy);
  const iz = table(2, oz, sz);
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < ox; x++) {
      for (let y = 0; y < oy; y++) {
        if (ix[x] < 0 || iy[y] < 0) {
          o += oz; // zeros padding: the output is already zero
          continue;
        }
        const base = ((c * sx + ix[x]) * sy + iy[y]) * sz;
        for (let z = 0; z < oz; z++, o++) {
          const k = iz[z];
          if (k >= 0) out[o] = src[base + k];
        }
      }
    }
  }
}

function bilinearGeneral(job: Job): void {
  const { src, srcShape, channels, out, outShape, xform: t, paddingMode } = job;
  const [sx, sy, sz] = srcShape;
  const [ox, oy, oz] = outShape;
  // Taps of the three axes: [lo, hi, wLo, wHi] × (x, y, z).
  const k = new Float64Array(12);
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < ox; x++) {
      for (let y = 0; y < oy; y++) {
        const px = t[0] * x + t[1] * y + t[3];
        const py = t[4] * x + t[5] * y + t[7];
        const pz = t[8] * x + t[9] * y + t[11];
        for (let z = 0; z < oz; z++) {
          bilinearTap(px + t[2] * z, sx, paddingMode, k, 0);
          bilinearTap(py + t[6] * z, sy, paddingMode, k, 4);
          bilinearTap(pz + t[10] * z, sz, paddingMode, k, 8);
          const x0 = (c * sx + k[0]) * sy;
          const x1 = (c * sx + k[1]) * sy;
          const b00 = (x0 + k[4]) * sz;
          const b01 = (x0 + k[5]) * sz;
          const b10 = (x1 + k[4]) * sz;
          const b11 = (x1 + k[5]) * sz;
          const zl = k[8];
          const zh = k[9];
          const a = k[10];
          const b = k[11];
          out[o++] =
            k[2] * k[6] * (src[b00 + zl] * a + src[b00 + zh] * b) +
            k[2] * k[7] * (src[b01 + zl] * a + src[b01 + zh] * b) +
            k[3] * k[6] * (src[b10 + zl] * a + src[b10 + zh] * b) +
            k[3] * k[7] * (src[b11 + zl] * a + src[b11 + zh] * b);
        }
      }
    }
  }
}

function nearestGeneral(job: Job): void {
  const { src, srcShape, channels, out, outShape, xform: t, paddingMode } = job;
  const [sx, sy, sz] = srcShape;
  const [ox, oy, oz] = outShape;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < ox; x++) {
      for (let y = 0; y < oy; y++) {
        for (let z = 0; z < oz; z++, o++) {
          const i = nearestIndex(t[0] * x + t[1] * y + t[2] * z + t[3], sx, paddingMode);
          const j = nearestIndex(t[4] * x + t[5] * y + t[6] * z + t[7], sy, paddingMode);
          const k = nearestIndex(t[8] * x + t[9] * y + t[10] * z + t[11], sz, paddingMode);
          if (i >= 0 && j >= 0 && k >= 0) out[o] = src[((c * sx + i) * sy + j) * sz + k];
        }
      }
    }
  }
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}
