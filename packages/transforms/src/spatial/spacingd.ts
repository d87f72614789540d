/**
 * `Spacingd`: resamples the volumes of a record to a target voxel size (mm), MONAI 1.4 style.
 */
import type { Volume } from '@voxelkit/core';
import { ArgumentError } from '@voxelkit/core';
import type { AppliedOperation, DataRecord, InvertibleTransform } from '../transform.js';
import { perKey, requireVolume, withOperation, withoutLastOperation } from './record-access.js';
import type { InterpolationMode, PaddingMode } from './resample.js';
import { resampleToGrid } from './resample.js';
import { AFFINE_TOLERANCE, spacingGrid } from './spacing-geometry.js';
import { solveAffine } from './grid-coordinates.js';

/** Options of {@link resampleToSpacing}. */
export interface SpacingOptions {
  /** Default `'bilinear'` (trilinear in 3D). */
  mode?: InterpolationMode;
  /** Default `'border'`. */
  paddingMode?: PaddingMode;
  /** Only `false` (MONAI's default) is supported. */
  alignCorners?: boolean;
  /** Drop the direction cosines and produce a diagonal affine. Default `false` (keep them). */
  diagonal?: boolean;
}

/**
 * Resamples one channel-first volume to voxel size `pixdim` (mm) by MONAI 1.4's `Spacing` rules
 * (output shape, affine and the "unchanged" shortcut; see `spacing-geometry.ts`). When the shape
 * is unchanged and either the affines or the voxel-to-voxel map and the identity agree within
 * 1e-3, the data are returned as they are (bilinear: converted to float32, as MONAI does).
 *
 * @param volume - channel-first `[C, X, Y, Z]`.
 * @param pixdim - target voxel size in mm, 1 to 3 values (missing values repeat the last one;
 *   a non-positive value keeps that axis' spacing).
 * @example
 * ```ts
 * const out = resampleToSpacing(ct, [1.5, 1.5, 2.0], { mode: 'bilinear' });
 * ```
 */
export function resampleToSpacing(
  volume: Volume,
  pixdim: readonly number[],
  options: SpacingOptions = {},
): Volume {
  if (options.alignCorners === true) {
    // Limitation: align_corners=True is not reproduced; MONAI's Spacing defaults to False.
    throw new ArgumentError('alignCorners=true is not supported', {
      field: 'alignCorners',
      expected: false,
      actual: true,
    });
  }
  const shape = volume.shape.slice(1);
  const grid = spacingGrid(volume.affine, shape, pixdim, options.diagonal ?? false);
  return resampleOrKeep(volume, grid.affine, grid.shape, options);
}

/**
 * Resamples onto `(affine, shape)`, or returns the input (float32 for bilinear) when the grids
 * are equal within MONAI's tolerance, as MONAI's `spatial_resample` does.
 */
export function resampleOrKeep(
  volume: Volume,
  affine: Float64Array,
  shape: readonly number[],
  options: { mode?: InterpolationMode; paddingMode?: PaddingMode } = {},
): Volume {
  const sameShape = shape.every((s, a) => s === volume.shape[a + 1]);
  if (
    sameShape &&
    (sameGrid(volume.affine, affine) || isNearIdentity(solveAffine(volume.affine, affine)))
  ) {
    if ((options.mode ?? 'bilinear') === 'bilinear' && volume.dtype !== 'float32') {
      return { ...volume, data: Float32Array.from(volume.data), dtype: 'float32' };
    }
    return volume;
  }
  return resampleToGrid(volume, affine, shape, options);
}

/** Options of {@link Spacingd}. */
export interface SpacingdOptions extends Omit<SpacingOptions, 'mode'> {
  /** Record keys of the volumes to resample. */
  keys: string[];
  /** Target voxel size in mm (1 to 3 values). */
  pixdim: number[];
  /** Interpolation, one for all keys or one per key. Default `'bilinear'`. */
  mode?: InterpolationMode | InterpolationMode[];
}

/** What {@link Spacingd} records on each volume it resamples. */
export interface SpacingParams {
  [key: string]: unknown;
  /** The affine before resampling (row-major, 16 numbers). */
  originalAffine: number[];
  /** The spatial shape `[X, Y, Z]` before resampling. */
  originalShape: number[];
  /** The interpolation used forward. */
  mode: InterpolationMode;
}

/**
 * Resamples each volume under `keys` to voxel size `pixdim` (mm), keeping the direction cosines
 * (`diagonal: false`), with MONAI 1.4's output shape/affine and grid_sample conventions
 * (`paddingMode: 'border'`, `alignCorners: false`). Typical use: `mode: ['bilinear', 'nearest']`
 * for `keys: ['image', 'label']`. Records `{ originalAffine, originalShape, mode }`.
 *
 * @example
 * ```ts
 * new Spacingd({ keys: ['image', 'label'], pixdim: [1.5, 1.5, 2], mode: ['bilinear', 'nearest'] });
 * ```
 */
export class Spacingd implements InvertibleTransform {
  readonly name = 'Spacingd';
  /** Record keys of the volumes resampled. */
  readonly keys: string[];
  /** Target voxel size in mm. */
  readonly pixdim: number[];
  /** Interpolation per key. */
  readonly modes: InterpolationMode[];
  /** Padding, corner alignment and diagonal options shared by all keys. */
  readonly options: SpacingOptions;

  constructor(options: SpacingdOptions) {
    this.keys = [...options.keys];
    this.pixdim = [...options.pixdim];
    this.modes = perKey(options.mode ?? 'bilinear', this.keys, 'mode');
    this.options = {
      paddingMode: options.paddingMode ?? 'border',
      alignCorners: options.alignCorners ?? false,
      diagonal: options.diagonal ?? false,
    };
  }

  apply(record: DataRecord): DataRecord {
    const out: DataRecord = { ...record };
    this.keys.forEach((key, i) => {
      const volume = requireVolume(record, key, this.name);
      const mode = this.modes[i];
      const resampled = resampleToSpacing(volume, this.pixdim, { ...this.options, mode });
      const params: SpacingParams = {
        originalAffine: Array.from(volume.affine),
        originalShape: volume.shape.slice(1),
        mode,
      };
      out[key] = { ...resampled, meta: withOperation(volume, { transform: this.name, params }) };
    });
    return out;
  }

  /** Resamples back onto the recorded original grid (with the volume's own forward mode). */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertSpacing(volume, op, (op.params as SpacingParams).mode);
  }
}

/**
 * Undoes one {@link Spacingd} operation: resamples `volume` back onto the recorded original grid
 * with `mode` (nearest for labels, bilinear for probabilities), border padding.
 */
export function invertSpacing(
  volume: Volume,
  op: AppliedOperation,
  mode: InterpolationMode,
): Volume {
  const p = op.params as SpacingParams;
  const back = resampleOrKeep(volume, Float64Array.from(p.originalAffine), p.originalShape, {
    mode,
    paddingMode: 'border',
  });
  return {
    ...back,
    affine: Float64Array.from(p.originalAffine),
    meta: withoutLastOperation(volume.meta),
  };
}

/** MONAI's second "unchanged" test: the voxel-to-voxel map is the identity within 1e-3. */
function isNearIdentity(xform: Float64Array): boolean {
  for (let i = 0; i < 16; i++) {
    const target = i % 5 === 0 ? 1 : 0;
    if (Math.abs(xform[i] - target) > AFFINE_TOLERANCE + 1e-5 * Math.abs(target)) return false;
  }
  return true;
}

function sameGrid(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < 16; i++) {
    if (Math.abs(a[i] - b[i]) > AFFINE_TOLERANCE + 1e-5 * Math.abs(b[i])) return false;
  }
  return true;
}
