/**
 * `EnsureTyped`: converts the volumes under `keys` to one element type, e.g. float32 images and
 * uint8 labels before caching or batching.
 */
import { ArgumentError } from '@voxelkit/core';
import type { DType, TypedArray } from '@voxelkit/core';
import { allocate } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '../transform.js';
import type { KeysOptions } from './record.js';
import { checkKeys, derivedVolume, presentKeys, requireVolume } from './record.js';

const DTYPES: readonly DType[] = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'float64',
];

/** Options of {@link EnsureTyped}. */
export interface EnsureTypedOptions extends KeysOptions {
  /** Target element type (default `'float32'`). */
  dtype?: DType;
}

/**
 * Converts typed data to `dtype`. Same dtype → returned as is (no copy). Float → integer conversion
 * follows typed-array rules: truncation toward zero, then wrap-around to the type's range, NaN → 0
 * (like a C cast of in-range values; out-of-range values are the caller's responsibility).
 *
 * @example
 * ```ts
 * castTo(new Float32Array([0, 1, 1.9]), 'uint8'); // Uint8Array [0, 1, 1]
 * ```
 */
export function castTo(data: TypedArray, dtype: DType): TypedArray {
  const out = allocate(dtype, data.length);
  if (out.constructor === data.constructor) return data;
  out.set(data);
  return out;
}

/**
 * Dictionary transform converting every volume under `keys` to `dtype` (MONAI `EnsureTyped`
 * with `data_type="tensor"` is the identity here: volumes are already typed arrays).
 *
 * @example
 * ```ts
 * new EnsureTyped({ keys: ['image'], dtype: 'float32' });
 * new EnsureTyped({ keys: ['label'], dtype: 'uint8' });
 * ```
 */
export class EnsureTyped implements Transform {
  readonly name: string = 'EnsureTyped';
  readonly random: boolean = false;
  /** The target element type. */
  readonly dtype: DType;

  /** The options this transform was built with. */
  readonly options: EnsureTypedOptions;

  constructor(options: EnsureTypedOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    this.dtype = options.dtype ?? 'float32';
    if (!DTYPES.includes(this.dtype)) {
      throw new ArgumentError(`${this.name}: unknown dtype`, {
        field: 'dtype',
        expected: DTYPES.join(' | '),
        actual: options.dtype,
      });
    }
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of presentKeys(record, this.options, this.name, context.recordName)) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      if (volume.dtype === this.dtype) continue;
      out[key] = derivedVolume(volume, castTo(volume.data, this.dtype), volume.shape);
    }
    return out;
  }
}
