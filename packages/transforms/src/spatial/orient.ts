/**
 * Reorientation of a channel-first volume: its spatial axes are permuted and flipped in one
 * pass so that the voxel axes follow the requested orientation codes (e.g. `'RAS'`).
 */
import type { AxisTransform, Volume } from '@voxelkit/core';
import {
  allocate,
  orientationFromAffine,
  orientationTransform,
  parseAxcodes,
  reorientAffine,
} from '@voxelkit/core';

/** Result of {@link orient}. */
export interface OrientResult {
  /** The reoriented volume. */
  volume: Volume;
  /** The permutation/flip that was applied (for undoing it). */
  transform: AxisTransform;
}

/**
 * Reorients `volume` so that its voxel axes follow `axcodes` (nibabel's `io_orientation` rules,
 * as MONAI's `Orientation`): each output axis is the source axis closest to the requested world
 * direction, reversed when it points the other way. Values are moved, never interpolated, and
 * every value keeps its world position (the affine is updated with `reorientAffine`).
 *
 * @param volume - channel-first `[C, X, Y, Z]` volume.
 * @param axcodes - three letters, one each of R/L, A/P, S/I (case-insensitive), e.g. `'RAS'`.
 * @returns the reoriented volume (a new array unless nothing changes) and the axis transform.
 *
 * @example
 * ```ts
 * const { volume: ras } = orient(lpsVolume, 'RAS'); // i and j reversed
 * ```
 */
export function orient(volume: Volume, axcodes: string): OrientResult {
  const target = parseAxcodes(axcodes);
  const transform = orientationTransform(orientationFromAffine(volume.affine), target);
  return { volume: applyAxisTransform(volume, transform), transform };
}

/**
 * Applies an axis permutation/flip to a volume: output spatial axis `a` reads source axis
 * `transform.perm[a]`, reversed when `transform.flip[a]`. The affine follows, so world positions
 * are preserved. Returns the input itself when the transform is the identity.
 */
export function applyAxisTransform(volume: Volume, transform: AxisTransform): Volume {
  const { perm, flip } = transform;
  const identity = perm[0] === 0 && perm[1] === 1 && perm[2] === 2 && !flip.some((f) => f);
  if (identity) return volume;
  const [channels, ...srcShape] = volume.shape;
  const outShape = [srcShape[perm[0]], srcShape[perm[1]], srcShape[perm[2]]];
  const srcStrides = [srcShape[1] * srcShape[2], srcShape[2], 1];
  // For each output axis: how far the source offset moves per output step, and where it starts.
  const step = [0, 0, 0];
  let start = 0;
  for (let a = 0; a < 3; a++) {
    const s = perm[a];
    step[a] = flip[a] ? -srcStrides[s] : srcStrides[s];
    if (flip[a]) start += (srcShape[s] - 1) * srcStrides[s];
  }
  const src = volume.data;
  const out = allocate(volume.dtype, src.length);
  const [ox, oy, oz] = outShape;
  const block = ox * oy * oz;
  const [sx, sy, sz] = step;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    const base = c * block + start;
    for (let x = 0; x < ox; x++) {
      for (let y = 0; y < oy; y++) {
        let s = base + x * sx + y * sy;
        for (let z = 0; z < oz; z++, s += sz) out[o++] = src[s];
      }
    }
  }
  return {
    data: out,
    shape: [channels, ...outShape],
    dtype: volume.dtype,
    affine: reorientAffine(volume.affine, srcShape, transform),
    meta: volume.meta,
  };
}

/** The transform that undoes `transform` (so that applying both restores the original). */
export function invertAxisTransform(transform: AxisTransform): AxisTransform {
  const perm: [number, number, number] = [0, 0, 0];
  const flip: [boolean, boolean, boolean] = [false, false, false];
  for (let a = 0; a < 3; a++) {
    perm[transform.perm[a]] = a;
    flip[transform.perm[a]] = transform.flip[a];
  }
  return { perm, flip };
}
