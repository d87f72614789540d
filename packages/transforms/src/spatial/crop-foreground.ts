/**
 * Foreground bounding boxes and box crops (with zero padding where a box leaves the image),
 * following MONAI 1.4's `generate_spatial_bounding_box` and `CropForeground.compute_bounding_box`.
 */
import type { Affine, Volume } from '@voxelkit/core';
import { allocate, ArgumentError, multiplyAffines, identity } from '@voxelkit/core';

/** A spatial box: `start` inclusive, `end` exclusive, per axis `[X, Y, Z]`; may leave the image. */
export interface SpatialBox {
  /** First voxel of the box per axis (inclusive; may be negative). */
  start: [number, number, number];
  /** One past the last voxel per axis (exclusive; may exceed the image). */
  end: [number, number, number];
}

/** Options of {@link foregroundBox}. */
export interface ForegroundBoxOptions {
  /** Which voxels are foreground. Default `v > 0` (MONAI `is_positive`). */
  selectFn?: (value: number) => boolean;
  /** Channels that count (default all); a voxel is foreground if any of them is selected. */
  channelIndices?: number[];
  /** Voxels added on both sides of each axis, one number or one per axis. Default 0. */
  margin?: number | number[];
  /** Clamp the box to the image (true, default) or keep it and pad with zeros (false). */
  allowSmaller?: boolean;
  /** Grow each box size to a multiple of k (one number or per axis; ≤0 = no change). */
  kDivisible?: number | number[];
}

/**
 * The bounding box of the foreground of `volume`, or `undefined` when no voxel is selected
 * (MONAI would return a zero-size box). With `allowSmaller: false` the margin may extend the box
 * outside the image; `kDivisible` grows the size and centres the growth (floor on the start side).
 *
 * @example
 * ```ts
 * foregroundBox(vol, { margin: 2, allowSmaller: false }); // { start: [-1, 0, 0], end: [4, 1, 1] }
 * ```
 */
export function foregroundBox(
  volume: Volume,
  options: ForegroundBoxOptions = {},
): SpatialBox | undefined {
  const select = options.selectFn ?? ((v: number) => v > 0);
  const [channels, sx, sy, sz] = volume.shape;
  const margin = perAxis(options.margin ?? 0, 'margin');
  if (margin.some((m) => m < 0 || !Number.isInteger(m))) {
    throw new ArgumentError('margin must be non-negative integers', {
      field: 'margin',
      actual: margin,
    });
  }
  const k = perAxis(options.kDivisible ?? 1, 'kDivisible');
  const chans = options.channelIndices ?? Array.from({ length: channels }, (_, c) => c);
  for (const c of chans) {
    if (!Number.isInteger(c) || c < 0 || c >= channels) {
      throw new ArgumentError('channel index out of range', {
        field: 'channelIndices',
        expected: `0..${channels - 1}`,
        actual: c,
      });
    }
  }
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  const data = volume.data;
  const block = sx * sy * sz;
  const isDefault = options.selectFn === undefined;
  for (const c of chans) {
    for (let x = 0; x < sx; x++) {
      for (let y = 0; y < sy; y++) {
        // Per z-row: first and last selected voxel; one test per voxel in the common case.
        const row = c * block + (x * sy + y) * sz;
        let first = -1;
        if (isDefault) {
          for (let z = 0; z < sz; z++) {
            if (data[row + z] > 0) {
              first = z;
              break;
            }
          }
        } else {
          for (let z = 0; z < sz; z++) {
            if (select(data[row + z])) {
              first = z;
              break;
            }
          }
        }
        if (first < 0) continue;
        let last = first;
        for (let z = sz - 1; z > first; z--) {
          if (isDefault ? data[row + z] > 0 : select(data[row + z])) {
            last = z;
            break;
          }
        }
        if (x < lo[0]) lo[0] = x;
        if (x > hi[0]) hi[0] = x;
        if (y < lo[1]) lo[1] = y;
        if (y > hi[1]) hi[1] = y;
        if (first < lo[2]) lo[2] = first;
        if (last > hi[2]) hi[2] = last;
      }
    }
  }
  if (hi[0] < 0) return undefined;
  const size = [sx, sy, sz];
  const allowSmaller = options.allowSmaller ?? true;
  const start: [number, number, number] = [0, 0, 0];
  const end: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    let s = lo[a] - margin[a];
    let e = hi[a] + margin[a] + 1;
    if (allowSmaller) {
      s = Math.max(s, 0);
      e = Math.min(e, size[a]);
    }
    const extent = e - s;
    const grown = k[a] > 0 ? Math.ceil(extent / k[a]) * k[a] : extent;
    s -= Math.floor((grown - extent) / 2);
    start[a] = s;
    end[a] = s + grown;
  }
  return { start, end };
}

/**
 * Copies box `box` out of `volume`; parts of the box outside the image are zero. The affine is
 * translated so each kept value keeps its world position.
 */
export function cropToBox(volume: Volume, box: SpatialBox): Volume {
  const [channels, sx, sy, sz] = volume.shape;
  const size = box.end.map((e, a) => e - box.start[a]);
  if (size.some((s) => s <= 0)) {
    throw new ArgumentError('crop box is empty', { field: 'box', actual: box });
  }
  const [ox, oy, oz] = size;
  const out = allocate(volume.dtype, channels * ox * oy * oz);
  const src = volume.data;
  // The z-run that lies inside the image is the same for every (x, y).
  const z0 = Math.max(0, -box.start[2]);
  const z1 = Math.min(oz, sz - box.start[2]);
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < ox; x++) {
      const ix = x + box.start[0];
      if (ix < 0 || ix >= sx) continue;
      for (let y = 0; y < oy; y++) {
        const iy = y + box.start[1];
        if (iy < 0 || iy >= sy || z1 <= z0) continue;
        const s = ((c * sx + ix) * sy + iy) * sz + box.start[2];
        const o = ((c * ox + x) * oy + y) * oz;
        out.set(src.subarray(s + z0, s + z1), o + z0);
      }
    }
  }
  return {
    data: out,
    shape: [channels, ox, oy, oz],
    dtype: volume.dtype,
    affine: translateAffine(volume.affine, box.start),
    meta: volume.meta,
  };
}

/** `affine · translate(shift)`: the affine of a grid whose voxel 0 is the old voxel `shift`. */
export function translateAffine(affine: Affine, shift: readonly number[]): Affine {
  const t = identity();
  t[3] = shift[0];
  t[7] = shift[1];
  t[11] = shift[2];
  return multiplyAffines(affine, t);
}

function perAxis(value: number | number[], field: string): [number, number, number] {
  if (typeof value === 'number') return [value, value, value];
  if (value.length !== 3) {
    throw new ArgumentError(`${field} needs one number or three`, { field, actual: value });
  }
  return [value[0], value[1], value[2]];
}
