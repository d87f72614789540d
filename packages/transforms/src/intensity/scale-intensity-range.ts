/**
 * `ScaleIntensityRanged`: linear window of intensities, e.g. CT Hounsfield units `[-57, 164]` to
 * `[0, 1]`, optionally clipped — MONAI's `ScaleIntensityRanged`.
 */
import { ArgumentError } from '@voxelkit/core';
import type { Logger, TypedArray } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '../transform.js';
import type { KeysOptions } from '../utility/record.js';
import { checkKeys, derivedVolume, presentKeys, requireVolume } from '../utility/record.js';

/** The window of {@link scaleIntensityRange}: `[aMin, aMax]` maps onto `[bMin, bMax]`. */
export interface IntensityWindow {
  /** Input intensity that maps to `bMin`. */
  aMin: number;
  /** Input intensity that maps to `bMax`. */
  aMax: number;
  /** Output for `aMin`; when `bMin`/`bMax` are omitted the output stays in `[0, 1]` units. */
  bMin?: number;
  /** Output for `aMax`. */
  bMax?: number;
  /** Clip the output to `[bMin, bMax]` (default false, as MONAI). */
  clip?: boolean;
}

/** Options of {@link ScaleIntensityRanged}. */
export interface ScaleIntensityRangedOptions extends KeysOptions, IntensityWindow {}

/**
 * Maps intensities linearly: `(v - aMin) / (aMax - aMin) * (bMax - bMin) + bMin`, then clips to
 * `[bMin, bMax]` when `clip`. Output is float32 whatever the input dtype.
 *
 * NaN voxels stay NaN (clipping does not replace them), as in MONAI/PyTorch. When
 * `aMax === aMin` the scale is undefined: like MONAI, the output is `v - aMin (+ bMin)` and a
 * warning goes to `logger`.
 *
 * @example
 * ```ts
 * scaleIntensityRange(new Float32Array([-57, 53.5, 164, 1000]), { aMin: -57, aMax: 164, bMin: 0, bMax: 1, clip: true });
 * // Float32Array [0, 0.5, 1, 1]
 * ```
 */
export function scaleIntensityRange(
  data: TypedArray,
  window: IntensityWindow,
  logger?: Logger,
): Float32Array {
  const { aMin, aMax, bMin, bMax } = window;
  const out = new Float32Array(data.length);
  if (aMax === aMin) {
    logger?.warn('ScaleIntensityRange: aMin equals aMax, so only the offset is applied', {
      aMin,
      aMax,
    });
    const shift = -aMin + (bMin ?? 0);
    for (let i = 0; i < data.length; i++) out[i] = data[i] + shift;
    return out;
  }
  const scale = 1 / (aMax - aMin);
  const hasB = bMin !== undefined && bMax !== undefined;
  const span = hasB ? bMax - bMin : 1;
  const base = hasB ? bMin : 0;
  for (let i = 0; i < data.length; i++) out[i] = (data[i] - aMin) * scale * span + base;
  if (window.clip && hasB) {
    const lo = Math.min(bMin, bMax);
    const hi = Math.max(bMin, bMax);
    // Written so NaN fails both tests and passes through unchanged.
    for (let i = 0; i < out.length; i++) {
      if (out[i] < lo) out[i] = lo;
      else if (out[i] > hi) out[i] = hi;
    }
  }
  return out;
}

/**
 * Dictionary transform applying {@link scaleIntensityRange} to every volume under `keys`.
 *
 * @example
 * ```ts
 * new ScaleIntensityRanged({ keys: ['image'], aMin: -57, aMax: 164, bMin: 0, bMax: 1, clip: true });
 * ```
 */
export class ScaleIntensityRanged implements Transform {
  readonly name: string = 'ScaleIntensityRanged';
  readonly random: boolean = false;

  /** The options this transform was built with. */
  readonly options: ScaleIntensityRangedOptions;

  constructor(options: ScaleIntensityRangedOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    for (const field of ['aMin', 'aMax'] as const) {
      if (!Number.isFinite(options[field])) {
        throw new ArgumentError(`${this.name}: ${field} must be a finite number`, {
          field,
          actual: options[field],
        });
      }
    }
    if ((options.bMin === undefined) !== (options.bMax === undefined)) {
      throw new ArgumentError(`${this.name}: give both bMin and bMax or neither`, {
        field: options.bMin === undefined ? 'bMin' : 'bMax',
        actual: { bMin: options.bMin, bMax: options.bMax },
      });
    }
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of presentKeys(record, this.options, this.name, context.recordName)) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      out[key] = derivedVolume(
        volume,
        scaleIntensityRange(volume.data, this.options, context.logger),
        volume.shape,
      );
    }
    return out;
  }
}
