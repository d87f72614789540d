/**
 * Turning network outputs into discrete labels: {@link argmax}, {@link toOnehot},
 * {@link asDiscrete} on channel-first arrays and the dictionary transform {@link AsDiscreted}
 * (MONAI `AsDiscrete(d)`).
 */
import { ArgumentError, DataError, ShapeError } from '@voxelkit/core';
import type { TypedArray } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '../transform.js';
import type { KeysOptions } from '../utility/record.js';
import { checkKeys, derivedVolume, presentKeys, requireVolume } from '../utility/record.js';
import type { ShapedArray } from '../utility/shaped-array.js';

/** A channel-first array `[C, ...spatial]` (any number of spatial axes). */
export interface ChannelFirstArray {
  /** Row-major values, channel slowest. */
  data: TypedArray;
  /** `[C, ...spatial]`. */
  shape: readonly number[];
}

/** Options of {@link asDiscrete}; applied in the order argmax → toOnehot → threshold. */
export interface AsDiscreteOptions {
  /** Replace the channels by the index of the largest one (`[C, …] → [1, …]`). */
  argmax?: boolean;
  /** Expand class indices (`[1, …]`) into `n` one-hot channels (`[n, …]`). */
  toOnehot?: number;
  /** Binarise: `v >= threshold` → 1, else 0. */
  threshold?: number;
}

/**
 * Index of the largest channel at every voxel of `[C, …]` data, as float32 `[1, …]`. Ties go to
 * the lowest channel index (as `torch.argmax`); NaN counts as the largest value, as in torch.
 *
 * @example
 * ```ts
 * // 3 channels × 2 voxels: voxel 0 has [0.2, 0.8, 0.5], voxel 1 has [0.9, 0.1, 0.5]
 * argmax(new Float32Array([0.2, 0.9, 0.8, 0.1, 0.5, 0.5]), [3, 2]).data; // Float32Array [1, 0]
 * ```
 */
export function argmax(data: TypedArray, shape: readonly number[]): ShapedArray<Float32Array> {
  const C = shape[0];
  const n = C === 0 ? 0 : data.length / C;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = data[i];
    let index = 0;
    if (!Number.isNaN(best)) {
      for (let c = 1; c < C; c++) {
        const v = data[c * n + i];
        if (Number.isNaN(v)) {
          index = c;
          break;
        }
        if (v > best) {
          best = v;
          index = c;
        }
      }
    }
    out[i] = index;
  }
  return { data: out, shape: [1, ...shape.slice(1)] };
}

/**
 * One-hot encoding of single-channel class indices `[1, …]` into float32 `[numClasses, …]`.
 *
 * @throws ShapeError when the input has more than one channel.
 * @throws DataError when a value is not an integer in `[0, numClasses)`.
 * @example
 * ```ts
 * toOnehot(new Uint8Array([0, 2, 1]), [1, 3], 3).data; // [1,0,0, 0,0,1, 0,1,0]
 * ```
 */
export function toOnehot(
  data: TypedArray,
  shape: readonly number[],
  numClasses: number,
): ShapedArray<Float32Array> {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ArgumentError('toOnehot: the number of classes must be a positive integer', {
      field: 'toOnehot',
      actual: numClasses,
    });
  }
  if (shape[0] !== 1) {
    throw new ShapeError('toOnehot: expects one channel of class indices', {
      field: 'shape[0]',
      expected: 1,
      actual: shape[0],
    });
  }
  const n = data.length;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new DataError('toOnehot: found a value that is not a class index', {
        field: `voxel ${i}`,
        expected: `an integer in [0, ${numClasses - 1}]`,
        actual: v,
      });
    }
    out[v * n + i] = 1;
  }
  return { data: out, shape: [numClasses, ...shape.slice(1)] };
}

/**
 * MONAI `AsDiscrete` on a channel-first array: optional argmax over channels, then one-hot, then
 * threshold. Output is float32 (as MONAI's float tensors).
 *
 * @example
 * ```ts
 * // logits [2, 2] → class indices → one-hot
 * asDiscrete({ data: new Float32Array([3, 0, 1, 5]), shape: [2, 2] }, { argmax: true, toOnehot: 2 });
 * // { data: [1, 0, 0, 1], shape: [2, 2] }
 * ```
 */
export function asDiscrete(
  input: ChannelFirstArray,
  options: AsDiscreteOptions,
): ShapedArray<Float32Array> {
  let current: ShapedArray = {
    data: input.data,
    shape: [...input.shape],
  };
  if (options.argmax) current = argmax(current.data, current.shape);
  if (options.toOnehot !== undefined)
    current = toOnehot(current.data, current.shape, options.toOnehot);
  const out =
    current.data instanceof Float32Array && current.data !== input.data
      ? current.data
      : Float32Array.from(current.data);
  if (options.threshold !== undefined) {
    const t = options.threshold;
    for (let i = 0; i < out.length; i++) out[i] = out[i] >= t ? 1 : 0;
  }
  return { data: out, shape: current.shape };
}

/** Options of {@link AsDiscreted}: each value may be one for all keys or a list, one per key. */
export interface AsDiscretedOptions extends KeysOptions {
  /** Argmax over channels (MONAI `argmax`). */
  argmax?: boolean | readonly boolean[];
  /** Number of classes for one-hot output (MONAI `to_onehot`). */
  toOnehot?: number | readonly (number | undefined)[];
  /** Binarisation threshold, `v >= threshold` → 1 (MONAI `threshold`). */
  threshold?: number | readonly (number | undefined)[];
}

/**
 * Dictionary transform applying {@link asDiscrete} to every volume under `keys`.
 *
 * @example
 * ```ts
 * // tutorial post-processing: prediction → argmax → one-hot; label → one-hot
 * new AsDiscreted({ keys: ['pred', 'label'], argmax: [true, false], toOnehot: 2 });
 * ```
 */
export class AsDiscreted implements Transform {
  readonly name: string = 'AsDiscreted';
  readonly random: boolean = false;

  /** The options this transform was built with. */
  readonly options: AsDiscretedOptions;

  constructor(options: AsDiscretedOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    for (const field of ['argmax', 'toOnehot', 'threshold'] as const) {
      const v = options[field];
      if (Array.isArray(v) && v.length !== options.keys.length) {
        throw new ArgumentError(`${this.name}: a per-key ${field} list needs one entry per key`, {
          field,
          expected: options.keys.length,
          actual: v.length,
        });
      }
    }
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    const o = this.options;
    for (const key of presentKeys(record, o, this.name, context.recordName)) {
      const i = o.keys.indexOf(key);
      const volume = requireVolume(record, key, this.name, context.recordName);
      const result = asDiscrete(volume, {
        argmax: pick(o.argmax, i),
        toOnehot: pick(o.toOnehot, i),
        threshold: pick(o.threshold, i),
      });
      out[key] = derivedVolume(volume, result.data, result.shape);
    }
    return out;
  }
}

function pick<T>(value: T | readonly T[] | undefined, index: number): T | undefined {
  return Array.isArray(value) ? (value as readonly T[])[index] : (value as T | undefined);
}
