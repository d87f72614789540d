/**
 * `CropForegroundd`: crops every volume of a record to the foreground box of a source volume.
 */
import type { Volume } from '@voxelkit/core';
import { silentLogger } from '@voxelkit/core';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '../transform.js';
import type { ForegroundBoxOptions, SpatialBox } from './crop-foreground.js';
import { cropToBox, foregroundBox } from './crop-foreground.js';
import { requireVolume, withOperation, withoutLastOperation } from './record-access.js';

/** Options of {@link CropForegroundd}. */
export interface CropForegrounddOptions extends ForegroundBoxOptions {
  /** Record keys of the volumes to crop (all with the same box). */
  keys: string[];
  /** Key of the volume whose foreground defines the box. */
  sourceKey: string;
}

/** What {@link CropForegroundd} records on each volume it crops. */
export interface CropParams {
  [key: string]: unknown;
  /** Box start (inclusive; may be negative when padded) per spatial axis. */
  start: number[];
  /** Box end (exclusive; may exceed the image when padded). */
  end: number[];
  /** Spatial shape `[X, Y, Z]` before the crop. */
  originalShape: number[];
  /** Affine before the crop (row-major, 16 numbers). */
  originalAffine: number[];
  /** True when the source had no foreground and nothing was cropped. */
  emptyForeground: boolean;
}

/**
 * Crops each volume under `keys` to the bounding box of the foreground of `record[sourceKey]`
 * (`selectFn`, default `v > 0`, any of `channelIndices`), enlarged by `margin` on both sides and
 * grown to multiples of `kDivisible`; the affine is translated so world positions are kept.
 * With `allowSmaller: true` (default) the box is clamped to the image; with `false` the parts
 * of the box outside the image are zero-padded (so margins are symmetric, cases.md #14).
 *
 * Empty foreground (cases.md #16): the record is returned unchanged (never a zero-size axis) and
 * one warning naming the record (`context.recordName`) and source key goes to the logger. The
 * operation is still recorded (as a whole-image box) so inversion stays uniform.
 *
 * @example
 * ```ts
 * new CropForegroundd({ keys: ['image', 'label'], sourceKey: 'image' }).apply(record, ctx);
 * ```
 */
export class CropForegroundd implements InvertibleTransform {
  readonly name = 'CropForegroundd';
  /** Record keys of the volumes cropped. */
  readonly keys: string[];
  /** Key of the volume whose foreground defines the box. */
  readonly sourceKey: string;
  /** Selection, margin, clamping and divisibility options of the box. */
  readonly boxOptions: ForegroundBoxOptions;

  constructor(options: CropForegrounddOptions) {
    const { keys, sourceKey, ...boxOptions } = options;
    this.keys = [...keys];
    this.sourceKey = sourceKey;
    this.boxOptions = boxOptions;
  }

  apply(record: DataRecord, context?: Partial<TransformContext>): DataRecord {
    const source = requireVolume(record, this.sourceKey, this.name);
    const spatial = source.shape.slice(1);
    let box = foregroundBox(source, this.boxOptions);
    const empty = box === undefined;
    if (box === undefined) {
      (context?.logger ?? silentLogger).warn(
        `${this.name}: no foreground in "${this.sourceKey}"; record left uncropped`,
        { record: context?.recordName ?? '(unnamed record)', sourceKey: this.sourceKey },
      );
      box = { start: [0, 0, 0], end: [spatial[0], spatial[1], spatial[2]] };
    }
    const out: DataRecord = { ...record };
    for (const key of this.keys) {
      const volume = requireVolume(record, key, this.name);
      const cropped = empty ? volume : cropToBox(volume, box);
      const params: CropParams = {
        start: [...box.start],
        end: [...box.end],
        originalShape: volume.shape.slice(1),
        originalAffine: Array.from(volume.affine),
        emptyForeground: empty,
      };
      out[key] = { ...cropped, meta: withOperation(volume, { transform: this.name, params }) };
    }
    return out;
  }

  /** Pads/crops back onto the original grid (zeros outside the recorded box). */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertCrop(volume, op);
  }
}

/** Undoes one {@link CropForegroundd} operation: the original grid, zero outside the box. */
export function invertCrop(volume: Volume, op: AppliedOperation): Volume {
  const p = op.params as CropParams;
  const back: SpatialBox = {
    start: [-p.start[0], -p.start[1], -p.start[2]],
    end: [
      p.originalShape[0] - p.start[0],
      p.originalShape[1] - p.start[1],
      p.originalShape[2] - p.start[2],
    ],
  };
  const restored = p.emptyForeground ? volume : cropToBox(volume, back);
  return {
    ...restored,
    affine: Float64Array.from(p.originalAffine),
    meta: withoutLastOperation(volume.meta),
  };
}
