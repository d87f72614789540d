/**
 * Helpers every dictionary transform uses to read volumes out of a record, put new ones back and
 * record what was done (so that {@link InvertibleTransform}s can undo it later).
 */
import { DataError, ArgumentError } from '@voxelkit/core';
import type { Volume, VolumeMeta, TypedArray, Affine } from '@voxelkit/core';
import { createVolume } from '@voxelkit/core';
import type { AppliedOperation, DataRecord } from '../transform.js';

/** Options shared by every dictionary transform that acts on a list of keys. */
export interface KeysOptions {
  /** Record keys whose volumes the transform changes, e.g. `['image', 'label']`. */
  keys: readonly string[];
  /**
   * Skip keys the record lacks instead of throwing (MONAI's `allow_missing_keys`).
   * Default `false`: a missing key throws a `DataError` naming the key and the transform.
   */
  allowMissingKeys?: boolean;
}

/**
 * Checks a `keys` option: a non-empty list of strings. Throws `ArgumentError` otherwise.
 *
 * @param transform - the transform's name, for the message.
 */
export function checkKeys(keys: unknown, transform: string): readonly string[] {
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string')) {
    throw new ArgumentError(`${transform}: keys must be a non-empty list of strings`, {
      field: 'keys',
      expected: "e.g. ['image', 'label']",
      actual: keys,
    });
  }
  return keys as readonly string[];
}

/** True when `value` looks like a `Volume` (typed `data` plus a `shape`). */
export function isVolume(value: unknown): value is Volume {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Volume>;
  return ArrayBuffer.isView(v.data) && Array.isArray(v.shape);
}

/**
 * The volume under `key`, checked to be channel-first 4-D `[C, X, Y, Z]`.
 *
 * @param recordName - included in the message when given (e.g. the case id).
 * @throws DataError when the key is missing or does not hold a volume.
 * @throws ShapeError-like DataError when the volume is not 4-D.
 *
 * @example
 * ```ts
 * requireVolume({ image: vol }, 'image', 'RandFlipd'); // vol
 * requireVolume({}, 'label', 'RandFlipd'); // throws DataError "RandFlipd: record has no key "label""
 * ```
 */
export function requireVolume(
  record: DataRecord,
  key: string,
  transform: string,
  recordName?: string,
): Volume {
  const where = recordName === undefined ? '' : ` (record ${recordName})`;
  if (!(key in record) || record[key] === undefined) {
    throw new DataError(`${transform}: record has no key "${key}"${where}`, {
      field: key,
      expected: 'a volume under this key',
      actual: `keys ${JSON.stringify(Object.keys(record))}`,
    });
  }
  const value = record[key];
  if (!isVolume(value)) {
    throw new DataError(`${transform}: record key "${key}" does not hold a volume${where}`, {
      field: key,
      expected: '{ data: TypedArray, shape: [C, X, Y, Z], affine, meta }',
      actual: typeof value,
    });
  }
  if (value.shape.length !== 4) {
    throw new DataError(
      `${transform}: volume "${key}" must be channel-first [C, X, Y, Z]${where}`,
      {
        field: `${key}.shape`,
        expected: '4 entries [C, X, Y, Z]',
        actual: value.shape,
      },
    );
  }
  return value;
}

/**
 * The keys of `options.keys` present in `record`; throws for a missing one unless
 * `allowMissingKeys` is set.
 */
export function presentKeys(
  record: DataRecord,
  options: KeysOptions,
  transform: string,
  recordName?: string,
): string[] {
  const out: string[] = [];
  for (const key of options.keys) {
    if (record[key] === undefined) {
      if (options.allowMissingKeys) continue;
      requireVolume(record, key, transform, recordName); // throws the typed error
    }
    out.push(key);
  }
  return out;
}

/**
 * A new volume that shares `source`'s geometry and metadata but holds `data` of `shape`.
 * `affine` replaces the source affine when given.
 */
export function derivedVolume<T extends TypedArray>(
  source: Volume,
  data: T,
  shape: readonly number[],
  affine?: Affine,
  meta?: VolumeMeta,
): Volume<T> {
  return createVolume(
    data,
    shape,
    affine ?? new Float64Array(source.affine),
    meta ?? { ...source.meta },
  );
}

/**
 * Appends `op` to `meta.applied` of a copy of `meta` (the history Invertd walks backwards).
 *
 * @example
 * ```ts
 * withApplied({}, { transform: 'Flipd', params: { axes: [0] } }).applied; // [{ transform: 'Flipd', … }]
 * ```
 */
export function withApplied(meta: VolumeMeta, op: AppliedOperation): VolumeMeta {
  const previous = Array.isArray(meta.applied) ? (meta.applied as AppliedOperation[]) : [];
  return { ...meta, applied: [...previous, op] };
}

/**
 * Removes the last entry of `meta.applied` if it was made by `transform`; used by
 * `invertVolume` so that the history shrinks as operations are undone.
 */
export function withoutLastApplied(meta: VolumeMeta, transform: string): VolumeMeta {
  const previous = Array.isArray(meta.applied) ? (meta.applied as AppliedOperation[]) : [];
  const last = previous[previous.length - 1];
  if (last === undefined || last.transform !== transform) return { ...meta };
  return { ...meta, applied: previous.slice(0, -1) };
}

/** The spatial shape `[X, Y, Z]` of a 4-D channel-first shape. */
export function spatialOf(shape: readonly number[]): [number, number, number] {
  return [shape[1], shape[2], shape[3]];
}
