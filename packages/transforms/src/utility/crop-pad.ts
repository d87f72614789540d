/**
 * Cropping and padding of the spatial axes: array functions {@link spatialCrop},
 * {@link spatialPad}, {@link divisiblePad} and the dictionary transforms {@link SpatialCropd},
 * {@link SpatialPadd}, {@link DivisiblePadd} (MONAI names). All go through one window routine
 * ({@link extractWindow}): output voxel `x` takes input voxel `x + start`, or the fill value outside
 * the input, so a crop is a window inside the input and a pad a window around it.
 */
import { ArgumentError } from '@voxelkit/core';
import type { TypedArray, Volume } from '@voxelkit/core';
import { allocate, dtypeOf, multiplyAffines } from '@voxelkit/core';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '../transform.js';
import type { KeysOptions } from './record.js';
import {
  checkKeys,
  derivedVolume,
  presentKeys,
  requireVolume,
  spatialOf,
  withApplied,
  withoutLastApplied,
} from './record.js';
import type { ShapedArray } from './shaped-array.js';

/** A spatial triple `[x, y, z]` (voxels). */
export type Triple = [number, number, number];

/** A box on the spatial grid: first voxel and size per axis. */
export interface WindowBox {
  /** First voxel `[x, y, z]` (negative when the box starts before the array, i.e. padding). */
  start: Triple;
  /** Size `[x, y, z]` in voxels. */
  size: Triple;
}

/** How padding is split between the two ends of an axis. */
export type PadMethod = 'symmetric' | 'end';

/**
 * Copies the window `[start, start + size)` of every channel of `[C, X, Y, Z]` data; positions
 * outside the input get `fill`. `start` may be negative (padding before).
 *
 * @example
 * ```ts
 * extractWindow(new Float32Array([1, 2]), [1, 2, 1, 1], [-1, 0, 0], [4, 1, 1]); // [0, 1, 2, 0]
 * ```
 */
export function extractWindow(
  data: TypedArray,
  shape: readonly number[],
  start: readonly number[],
  size: readonly number[],
  fill = 0,
): TypedArray {
  const [C, X, Y, Z] = shape;
  const [sx, sy, sz] = size;
  const out = allocate(dtypeOf(data), C * sx * sy * sz);
  if (fill !== 0) out.fill(fill);
  // Overlap of the window with the input, in output coordinates.
  const lo = [0, 1, 2].map((d) => Math.max(0, -start[d]));
  const hi = [0, 1, 2].map((d) => Math.min(size[d], shape[d + 1] - start[d]));
  if (hi.some((h, d) => h <= lo[d])) return out;
  const run = hi[2] - lo[2];
  for (let c = 0; c < C; c++) {
    for (let x = lo[0]; x < hi[0]; x++) {
      for (let y = lo[1]; y < hi[1]; y++) {
        const src = ((c * X + x + start[0]) * Y + y + start[1]) * Z + lo[2] + start[2];
        const dst = ((c * sx + x) * sy + y) * sz + lo[2];
        out.set(data.subarray(src, src + run), dst);
      }
    }
  }
  return out;
}

/**
 * Window of a volume with the affine shifted so that every kept voxel keeps its world position,
 * recording `{ start, size, originalSpatialShape }` under `transformName` for inversion.
 */
export function windowVolume(
  volume: Volume,
  start: readonly number[],
  size: readonly number[],
  transformName: string,
  extraParams: { [key: string]: unknown } = {},
  fill = 0,
): Volume {
  const data = extractWindow(volume.data, volume.shape, start, size, fill);
  const shift = new Float64Array(16);
  shift[0] = shift[5] = shift[10] = shift[15] = 1;
  shift[3] = start[0];
  shift[7] = start[1];
  shift[11] = start[2];
  const affine = multiplyAffines(volume.affine, shift);
  const meta = withApplied(volume.meta, {
    transform: transformName,
    params: {
      start: [...start],
      size: [...size],
      originalSpatialShape: spatialOf(volume.shape),
      ...extraParams,
    },
  });
  return derivedVolume(volume, data, [volume.shape[0], size[0], size[1], size[2]], affine, meta);
}

/**
 * Undoes a recorded window (crop or pad): the volume is put back at its place on the original grid,
 * with zeros where the crop removed data.
 */
export function invertWindow(volume: Volume, op: AppliedOperation): Volume {
  const start = op.params.start as number[];
  const original = op.params.originalSpatialShape as number[];
  const back = windowVolume(
    volume,
    start.map((s) => 0 - s),
    original,
    op.transform,
  );
  return {
    ...back,
    meta: withoutLastApplied(withoutLastApplied(back.meta, op.transform), op.transform),
  };
}

/**
 * The crop box of MONAI `SpatialCrop(roi_center, roi_size)`: start `max(center - size // 2, 0)`,
 * end `start + size`, clipped to the image.
 *
 * @example
 * ```ts
 * cropBoxFromCenter([18, 12, 17], [24, 24, 24], [37, 24, 35]); // { start: [6, 0, 5], size: [24, 24, 24] }
 * ```
 */
export function cropBoxFromCenter(
  center: readonly number[],
  roiSize: readonly number[],
  spatialShape: readonly number[],
): WindowBox {
  const start = [0, 0, 0] as Triple;
  const size = [0, 0, 0] as Triple;
  for (let d = 0; d < 3; d++) {
    const s = Math.max(center[d] - Math.floor(roiSize[d] / 2), 0);
    const e = Math.min(Math.max(s + roiSize[d], s), spatialShape[d]);
    start[d] = Math.min(s, spatialShape[d]);
    size[d] = Math.max(e - start[d], 0);
  }
  return { start, size };
}

/** Options of {@link SpatialCropd}: either `roiCenter` + `roiSize` or `roiStart` + `roiEnd`. */
export interface SpatialCropdOptions extends KeysOptions {
  /** Centre voxel of the box (with `roiSize`). */
  roiCenter?: readonly number[];
  /** Box size in voxels (with `roiCenter`). */
  roiSize?: readonly number[];
  /** First voxel of the box, inclusive (with `roiEnd`). */
  roiStart?: readonly number[];
  /** Last voxel of the box, exclusive (with `roiStart`). */
  roiEnd?: readonly number[];
}

/**
 * Crops `[C, X, Y, Z]` data to a box given by `start` and `size` (clipped to the array).
 *
 * @example
 * ```ts
 * spatialCrop(new Float32Array([0, 1, 2, 3]), [1, 4, 1, 1], [1, 0, 0], [2, 1, 1]); // data [1, 2]
 * ```
 */
export function spatialCrop(
  data: TypedArray,
  shape: readonly number[],
  start: readonly number[],
  size: readonly number[],
): ShapedArray {
  const box = clipBox(start, size, shape.slice(1));
  return { data: extractWindow(data, shape, box.start, box.size), shape: [shape[0], ...box.size] };
}

/**
 * Dictionary transform cropping every volume under `keys` to a fixed box (MONAI `SpatialCropd`).
 *
 * @example
 * ```ts
 * new SpatialCropd({ keys: ['image'], roiCenter: [18, 12, 17], roiSize: [24, 24, 24] });
 * ```
 */
export class SpatialCropd implements InvertibleTransform {
  readonly name: string = 'SpatialCropd';
  readonly random: boolean = false;

  /** The options this transform was built with. */
  readonly options: SpatialCropdOptions;

  constructor(options: SpatialCropdOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    const byCenter = options.roiCenter !== undefined && options.roiSize !== undefined;
    const byStart = options.roiStart !== undefined && options.roiEnd !== undefined;
    if (byCenter === byStart) {
      throw new ArgumentError(
        'SpatialCropd: give either roiCenter + roiSize or roiStart + roiEnd',
        {
          field: 'roiCenter/roiSize/roiStart/roiEnd',
          actual: Object.keys(options).filter((k) => k.startsWith('roi')),
        },
      );
    }
    for (const field of ['roiCenter', 'roiSize', 'roiStart', 'roiEnd'] as const) {
      const v = options[field];
      if (v !== undefined) checkTriple(v, field, this.name);
    }
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    const o = this.options;
    for (const key of presentKeys(record, o, this.name, context.recordName)) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      const spatial = spatialOf(volume.shape);
      const box =
        o.roiCenter !== undefined && o.roiSize !== undefined
          ? cropBoxFromCenter(o.roiCenter, o.roiSize, spatial)
          : clipBox(
              o.roiStart!,
              o.roiEnd!.map((e, d) => e - o.roiStart![d]),
              spatial,
            );
      out[key] = windowVolume(volume, box.start, box.size, this.name);
    }
    return out;
  }

  /** Puts the crop back on the original grid (zeros outside it). */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertWindow(volume, op);
  }
}

/** Options of {@link SpatialPadd}. */
export interface SpatialPaddOptions extends KeysOptions {
  /** Minimum spatial size; axes already at least this long (or entries ≤ 0) are left alone. */
  spatialSize: readonly number[];
  /** `'symmetric'` (default, MONAI: before = diff // 2) or `'end'` (all padding after). */
  method?: PadMethod;
  /** Constant fill value (default 0). */
  value?: number;
}

/**
 * The `start` (≤ 0) and size of the window that pads `spatialShape` up to `target`.
 *
 * @example
 * ```ts
 * padWindow([40, 40, 40], [96, 96, 96]); // { start: [-28, -28, -28], size: [96, 96, 96] }
 * ```
 */
export function padWindow(
  spatialShape: readonly number[],
  target: readonly number[],
  method: PadMethod = 'symmetric',
): WindowBox {
  const start = [0, 0, 0] as Triple;
  const size = [0, 0, 0] as Triple;
  for (let d = 0; d < 3; d++) {
    const diff = Math.max(target[d] - spatialShape[d], 0);
    // `0 - x` rather than `-x`: no negative zero in recorded starts.
    start[d] = method === 'symmetric' ? 0 - Math.floor(diff / 2) : 0;
    size[d] = spatialShape[d] + diff;
  }
  return { start, size };
}

/**
 * Pads `[C, X, Y, Z]` data to at least `spatialSize` with a constant.
 *
 * @example
 * ```ts
 * spatialPad(new Float32Array([5]), [1, 1, 1, 1], [3, 1, 1]).data; // [0, 5, 0]
 * ```
 */
export function spatialPad(
  data: TypedArray,
  shape: readonly number[],
  spatialSize: readonly number[],
  options: { method?: PadMethod; value?: number } = {},
): ShapedArray {
  const w = padWindow(shape.slice(1), spatialSize, options.method);
  return {
    data: extractWindow(data, shape, w.start, w.size, options.value ?? 0),
    shape: [shape[0], ...w.size],
  };
}

/**
 * Dictionary transform padding every volume under `keys` to at least `spatialSize` (MONAI
 * `SpatialPadd`, constant mode). Typical use: after `RandCropByPosNegLabeld({ allowSmaller: true })`
 * so that every patch reaches the network's input size.
 *
 * @example
 * ```ts
 * new SpatialPadd({ keys: ['image', 'label'], spatialSize: [96, 96, 96] }); // 40³ → 96³
 * ```
 */
export class SpatialPadd implements InvertibleTransform {
  readonly name: string = 'SpatialPadd';
  readonly random: boolean = false;

  /** The options this transform was built with. */
  readonly options: SpatialPaddOptions;

  constructor(options: SpatialPaddOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    checkTriple(options.spatialSize, 'spatialSize', this.name);
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of presentKeys(record, this.options, this.name, context.recordName)) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      const w = padWindow(spatialOf(volume.shape), this.options.spatialSize, this.options.method);
      out[key] = windowVolume(volume, w.start, w.size, this.name, {}, this.options.value ?? 0);
    }
    return out;
  }

  /** Crops the padding away again. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertWindow(volume, op);
  }
}

/** Options of {@link DivisiblePadd}. */
export interface DivisiblePaddOptions extends KeysOptions {
  /** Each spatial size is padded up to a multiple of `k` (one number or one per axis). */
  k: number | readonly number[];
  /** `'symmetric'` (default) or `'end'`. */
  method?: PadMethod;
  /** Constant fill value (default 0). */
  value?: number;
}

/**
 * Pads `[C, X, Y, Z]` data so that every spatial size is a multiple of `k`.
 *
 * @example
 * ```ts
 * divisiblePad(new Float32Array(40 * 40 * 40), [1, 40, 40, 40], 16).shape; // [1, 48, 48, 48]
 * ```
 */
export function divisiblePad(
  data: TypedArray,
  shape: readonly number[],
  k: number | readonly number[],
  options: { method?: PadMethod; value?: number } = {},
): ShapedArray {
  return spatialPad(data, shape, divisibleTarget(shape.slice(1), k, 'divisiblePad'), options);
}

/**
 * Dictionary transform padding every volume under `keys` to multiples of `k` (MONAI
 * `DivisiblePadd`, constant mode), e.g. so that a UNet with four stride-2 levels (`k = 16`) fits.
 */
export class DivisiblePadd implements InvertibleTransform {
  readonly name: string = 'DivisiblePadd';
  readonly random: boolean = false;

  /** The options this transform was built with. */
  readonly options: DivisiblePaddOptions;

  constructor(options: DivisiblePaddOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    divisibleTarget([1, 1, 1], options.k, this.name);
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of presentKeys(record, this.options, this.name, context.recordName)) {
      const volume = requireVolume(record, key, this.name, context.recordName);
      const spatial = spatialOf(volume.shape);
      const w = padWindow(
        spatial,
        divisibleTarget(spatial, this.options.k, this.name),
        this.options.method,
      );
      out[key] = windowVolume(volume, w.start, w.size, this.name, {}, this.options.value ?? 0);
    }
    return out;
  }

  /** Crops the padding away again. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertWindow(volume, op);
  }
}

function divisibleTarget(
  spatial: readonly number[],
  k: number | readonly number[],
  transform: string,
): Triple {
  const ks = typeof k === 'number' ? [k, k, k] : [...k];
  if (ks.length !== 3 || ks.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ArgumentError(`${transform}: k must be a positive integer or three of them`, {
      field: 'k',
      actual: k,
    });
  }
  return [0, 1, 2].map((d) => Math.ceil(spatial[d] / ks[d]) * ks[d]) as Triple;
}

function clipBox(start: readonly number[], size: readonly number[], spatial: readonly number[]) {
  const s = [0, 0, 0] as Triple;
  const z = [0, 0, 0] as Triple;
  for (let d = 0; d < 3; d++) {
    s[d] = Math.min(Math.max(start[d], 0), spatial[d]);
    const e = Math.min(Math.max(start[d] + size[d], s[d]), spatial[d]);
    z[d] = e - s[d];
  }
  return { start: s, size: z };
}

function checkTriple(v: unknown, field: string, transform: string): void {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isInteger(x))) {
    throw new ArgumentError(`${transform}: ${field} must be three integers [x, y, z]`, {
      field,
      actual: v,
    });
  }
}
