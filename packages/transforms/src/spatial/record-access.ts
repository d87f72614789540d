/**
 * Small helpers shared by the spatial dictionary transforms: reading a volume out of a record
 * with an error that names the key and the transform, and appending to a volume's history.
 */
import type { Volume } from '@voxelkit/core';
import { ArgumentError, DataError } from '@voxelkit/core';
import type { AppliedOperation, DataRecord } from '../transform.js';

/**
 * Returns `record[key]` as a volume, or throws {@link DataError} naming the key and the
 * transform when it is missing or not a volume.
 */
export function requireVolume(record: DataRecord, key: string, transform: string): Volume {
  if (!(key in record) || record[key] === undefined) {
    throw new DataError(`${transform}: key "${key}" is missing from the record`, {
      field: key,
      expected: 'a volume under this key',
      actual: Object.keys(record),
    });
  }
  const value = record[key];
  if (!isVolume(value)) {
    throw new DataError(`${transform}: record entry "${key}" is not a volume`, {
      field: key,
      expected: '{ data, shape: [C, X, Y, Z], affine }',
      actual: typeof value,
    });
  }
  if (value.shape.length !== 4) {
    throw new DataError(`${transform}: volume "${key}" is not channel-first [C, X, Y, Z]`, {
      field: `${key}.shape`,
      expected: '[C, X, Y, Z] (add EnsureChannelFirstd first)',
      actual: value.shape,
    });
  }
  return value;
}

/** True when `value` has the fields of a {@link Volume}. */
export function isVolume(value: unknown): value is Volume {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Volume>;
  return ArrayBuffer.isView(v.data) && Array.isArray(v.shape) && v.affine instanceof Float64Array;
}

/** The operations recorded on a volume so far (empty when none). */
export function appliedOperations(volume: Volume): AppliedOperation[] {
  const applied = volume.meta.applied;
  return Array.isArray(applied) ? (applied as AppliedOperation[]) : [];
}

/** A copy of `meta` with `op` appended to its `applied` history. */
export function withOperation(volume: Volume, op: AppliedOperation): Volume['meta'] {
  return { ...volume.meta, applied: [...appliedOperations(volume), op] };
}

/** A copy of `meta` with its last recorded operation removed (after undoing it). */
export function withoutLastOperation(meta: Volume['meta']): Volume['meta'] {
  const applied = Array.isArray(meta.applied) ? (meta.applied as AppliedOperation[]) : [];
  return { ...meta, applied: applied.slice(0, -1) };
}

/** Normalises a single value or one value per key into one value per key. */
export function perKey<T>(value: T | readonly T[], keys: readonly string[], field: string): T[] {
  if (!Array.isArray(value)) return keys.map(() => value as T);
  if (value.length !== keys.length) {
    throw new ArgumentError(`one ${field} per key is needed`, {
      field,
      expected: keys.length,
      actual: value.length,
    });
  }
  return [...(value as readonly T[])];
}
