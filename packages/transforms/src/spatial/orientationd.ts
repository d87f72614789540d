/**
 * `Orientationd`: reorients the volumes of a record to the given orientation codes.
 */
import type { AxisTransform, Volume } from '@voxelkit/core';
import { parseAxcodes } from '@voxelkit/core';
import type { AppliedOperation, DataRecord, InvertibleTransform } from '../transform.js';
import { applyAxisTransform, invertAxisTransform, orient } from './orient.js';
import { requireVolume, withOperation, withoutLastOperation } from './record-access.js';

/** Options of {@link Orientationd}. */
export interface OrientationdOptions {
  /** Record keys of the volumes to reorient. */
  keys: string[];
  /** Target orientation codes, one each of R/L, A/P, S/I. Default `'RAS'`. */
  axcodes?: string;
}

/** What {@link Orientationd} records on each volume it reorients. */
export interface OrientationParams {
  [key: string]: unknown;
  /** Output axis `a` read source axis `perm[a]`, reversed when `flip[a]`. */
  perm: [number, number, number];
  /** Whether output axis `a` runs backwards along source axis `perm[a]`. */
  flip: [boolean, boolean, boolean];
  /** The affine before reorientation (row-major, 16 numbers). */
  originalAffine: number[];
  /** The spatial shape `[X, Y, Z]` before reorientation. */
  originalShape: number[];
}

/**
 * Reorients each volume under `keys` so that its voxel axes follow `axcodes` (default `'RAS'`),
 * as MONAI's `Orientationd`: data are permuted/flipped in one pass (no interpolation) and the
 * affine is updated so every value keeps its world position. Applying it twice is a no-op.
 * Records `{ perm, flip, originalAffine, originalShape }` in `meta.applied` for {@link Invertd}.
 *
 * @example
 * ```ts
 * const out = new Orientationd({ keys: ['image', 'label'], axcodes: 'RAS' }).apply(record, ctx);
 * ```
 */
export class Orientationd implements InvertibleTransform {
  readonly name = 'Orientationd';
  /** Record keys of the volumes reoriented. */
  readonly keys: string[];
  /** Target orientation codes (upper case). */
  readonly axcodes: string;

  constructor(options: OrientationdOptions) {
    this.keys = [...options.keys];
    this.axcodes = (options.axcodes ?? 'RAS').toUpperCase();
    parseAxcodes(this.axcodes); // validate early: a typo should fail at construction
  }

  apply(record: DataRecord): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of this.keys) {
      const volume = requireVolume(record, key, this.name);
      const { volume: reoriented, transform } = orient(volume, this.axcodes);
      const params: OrientationParams = {
        perm: [...transform.perm],
        flip: [...transform.flip],
        originalAffine: Array.from(volume.affine),
        originalShape: volume.shape.slice(1),
      };
      out[key] = {
        ...reoriented,
        meta: withOperation(volume, { transform: this.name, params }),
      };
    }
    return out;
  }

  /** Undoes a recorded reorientation: axes go back and the original affine is restored. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertOrientation(volume, op);
  }
}

/** Undoes one {@link Orientationd} operation on `volume` (see {@link OrientationParams}). */
export function invertOrientation(volume: Volume, op: AppliedOperation): Volume {
  const p = op.params as OrientationParams;
  const forward: AxisTransform = { perm: p.perm, flip: p.flip };
  const back = applyAxisTransform(volume, invertAxisTransform(forward));
  return {
    ...back,
    affine: Float64Array.from(p.originalAffine),
    meta: withoutLastOperation(volume.meta),
  };
}
