/**
 * The volume model shared by every voxelkit package.
 *
 * Memory layout (stated once, used everywhere): a volume's `data` is a flat typed array holding a
 * channel-first array of shape `[C, X, Y, Z]` in row-major (C) order, so the last axis is the
 * fastest: element `[c, x, y, z]` is at `((c * X + x) * Y + y) * Z + z`. `X, Y, Z` are the NIfTI
 * voxel axes `i, j, k` (not transposed to z, y, x). `affine` maps a voxel index `(i, j, k, 1)`
 * (0-based, voxel centre) to RAS+ world coordinates in millimetres.
 */
import type { Affine } from './affine.js';
import { spacingFromAffine } from './affine.js';
import { axcodesFromAffine } from './orientation.js';
import { ArgumentError } from './errors.js';

/** Element types a volume can hold. */
export type DType =
  'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** Any typed array a volume may use as storage. */
export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * A channel-first image volume with its geometry. See the module comment for the memory layout.
 *
 * `shape` is `[C, X, Y, Z]` (four entries; channels first, as MONAI). `meta` carries free-form
 * facts such as the source file name and the original header.
 */
export interface Volume<T extends TypedArray = TypedArray> {
  /** Voxel values, row-major `[C, X, Y, Z]` (last axis fastest). */
  data: T;
  /** `[C, X, Y, Z]`: channels, then the NIfTI voxel axes i, j, k. */
  shape: number[];
  /** Element type of `data`. */
  dtype: DType;
  /** Row-major 4×4, voxel index `(i, j, k, 1)` → RAS+ world mm. */
  affine: Affine;
  /** Source file, header and the history of applied transforms. */
  meta: VolumeMeta;
}

/** Free-form metadata; well-known fields are typed. */
export interface VolumeMeta {
  /** Path of the file the volume was read from. */
  filename?: string;
  /** The parsed header of that file (format-specific). */
  header?: unknown;
  /** Anything else: transforms record their inverse information under `applied`. */
  [key: string]: unknown;
}

/**
 * Makes a volume, checking that the data length matches the shape.
 *
 * @example
 * ```ts
 * const v = createVolume(new Float32Array(8), [1, 2, 2, 2]);
 * v.affine; // identity
 * ```
 */
export function createVolume<T extends TypedArray>(
  data: T,
  shape: readonly number[],
  affine?: Affine,
  meta: VolumeMeta = {},
): Volume<T> {
  const expected = numel(shape);
  if (data.length !== expected) {
    throw new ArgumentError('volume data length does not match its shape', {
      field: 'data.length',
      expected,
      actual: data.length,
    });
  }
  return {
    data,
    shape: [...shape],
    dtype: dtypeOf(data),
    affine: affine ?? identityAffine(),
    meta,
  };
}

/** Product of the entries of `shape` (1 for an empty shape). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** The spatial part `[X, Y, Z]` of a channel-first shape. */
export function spatialShape(volume: Pick<Volume, 'shape'>): number[] {
  return volume.shape.slice(1);
}

/** Voxel size in mm along each voxel axis, from the affine's column norms. */
export function volumeSpacing(volume: Pick<Volume, 'affine'>): [number, number, number] {
  return spacingFromAffine(volume.affine);
}

/** Orientation codes of the volume's voxel axes, e.g. `'RAS'`. */
export function volumeAxcodes(volume: Pick<Volume, 'affine'>): string {
  return axcodesFromAffine(volume.affine);
}

/** The {@link DType} name of a typed array. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  throw new ArgumentError('unsupported typed array', {
    actual: Object.prototype.toString.call(data),
  });
}

/** Allocates a zero-filled typed array of the given dtype. */
export function allocate(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
  }
}

function identityAffine(): Affine {
  const a = new Float64Array(16);
  a[0] = a[5] = a[10] = a[15] = 1;
  return a;
}
