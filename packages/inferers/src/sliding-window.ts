/**
 * Sliding-window inference over a batch of channel-first volumes, blending overlapping window
 * predictions exactly as MONAI 1.4's `sliding_window_inference` (same window layout, weights and
 * float32 accumulation), on plain typed arrays.
 */
import { ArgumentError, ShapeError } from '@voxelkit/core';
import type { ProgressCallback } from '@voxelkit/core';

import { computeImportanceMap } from './importance-map.js';
import type { BlendMode } from './importance-map.js';
import { padIndexMap } from './padding.js';
import type { PaddingMode } from './padding.js';
import { denseWindowStarts, getScanInterval } from './scan.js';

/** A dense float32 array with its shape; row-major, last axis fastest. */
export interface ArrayWithShape {
  /** Values, row-major. */
  data: Float32Array;
  /** Shape, channel-first, e.g. `[n, C, rx, ry, rz]`. */
  shape: number[];
}

/** The batch of images to infer on: channel-first `[B, C, X, Y, Z]`. */
export interface SlidingWindowInput {
  /** Voxel values, row-major (`[b, c, x, y, z]` at `(((b·C + c)·X + x)·Y + y)·Z + z`). */
  data: Float32Array;
  /** `[B, C, X, Y, Z]`. */
  shape: readonly [number, number, number, number, number] | readonly number[];
}

/**
 * Runs the model on a batch of windows. Receives `[n, C, rx, ry, rz]` (n ≤ `swBatchSize`) and must
 * resolve to `[n, K, rx, ry, rz]` with the same `n` and roi size; K (output channels) is free but
 * the same for every call. The input buffer is fresh for each call and may be kept or consumed.
 */
export type WindowPredictor = (windows: ArrayWithShape) => Promise<ArrayWithShape> | ArrayWithShape;

/** Options of {@link slidingWindowInference}; names follow MONAI's arguments in camelCase. */
export interface SlidingWindowOptions {
  /**
   * Window size `[rx, ry, rz]` in voxels, or one number for all axes. An entry that is
   * `undefined`, `null`, 0 or negative (e.g. −1) means "the whole image along this axis"
   * (MONAI's `fall_back_tuple`).
   */
  roiSize: number | readonly (number | null | undefined)[];
  /** Windows per predictor call (default 1). */
  swBatchSize?: number;
  /** Overlap fraction between neighbouring windows, in [0, 1), one or per axis (default 0.25). */
  overlap?: number | readonly number[];
  /** Blending weights of a window (default `'constant'`). */
  mode?: BlendMode;
  /** σ of the Gaussian weights as a fraction of the roi size (default 0.125). */
  sigmaScale?: number | readonly number[];
  /** Fill of the padding when the image is smaller than the roi (default `'constant'`). */
  paddingMode?: PaddingMode;
  /** Value of constant padding (default 0). */
  cval?: number;
  /** Called after each predictor call with `stage: 'sliding-window'`, windows done / total. */
  onProgress?: ProgressCallback;
}

/**
 * Sliding-window inference (MONAI `sliding_window_inference`) on channel-first typed arrays.
 *
 * Steps, as in MONAI 1.4:
 * 1. an axis shorter than the roi is padded to the roi size, `floor(diff/2)` before and the rest
 *    after (`paddingMode`, `cval`); the padding is cropped from the output at the end;
 * 2. windows start at multiples of `floor(roi·(1−overlap))` (at least 1), the last one shifted
 *    back to end at the border; windows of all batch items are visited item by item and sent to
 *    `predictor` in groups of `swBatchSize`;
 * 3. each output window is multiplied by the importance map (constant 1 or Gaussian) and added
 *    into a float32 output; the output is divided by the summed weights (count map).
 *
 * Memory: only the output, the count map and one group of windows exist at a time; the padded
 * image is never materialised (windows read through index maps).
 *
 * @param input - images `[B, C, X, Y, Z]`, float32
 * @param options - roi size, batching, overlap, blending, padding, progress
 * @param predictor - the model on a batch of windows, see {@link WindowPredictor}
 * @returns the blended prediction `[B, K, X, Y, Z]`
 * @throws ShapeError when the input or a predictor result has the wrong shape
 * @throws ArgumentError for an overlap outside [0, 1), a bad roi size or batch size
 * @example
 * ```ts
 * const out = await slidingWindowInference(
 *   { data: image, shape: [1, 1, 226, 157, 113] },
 *   { roiSize: [160, 160, 160], swBatchSize: 4, overlap: 0.25, mode: 'gaussian' },
 *   async (w) => runModel(w), // [n,1,160,160,160] → [n,2,160,160,160]
 * );
 * ```
 */
export async function slidingWindowInference(
  input: SlidingWindowInput,
  options: SlidingWindowOptions,
  predictor: WindowPredictor,
): Promise<ArrayWithShape> {
  const [batch, channels, ...imageSize] = checkInput(input);
  const roiSize = resolveRoiSize(options.roiSize, imageSize);
  const overlap = resolvePerAxis(options.overlap ?? 0.25, 'overlap');
  for (const o of overlap) {
    if (!(o >= 0 && o < 1)) {
      throw new ArgumentError('slidingWindowInference: overlap must be in [0, 1)', {
        field: 'overlap',
        expected: '0 <= overlap < 1',
        actual: options.overlap,
      });
    }
  }
  const swBatchSize = options.swBatchSize ?? 1;
  if (!Number.isInteger(swBatchSize) || swBatchSize < 1) {
    throw new ArgumentError('slidingWindowInference: swBatchSize must be a positive integer', {
      field: 'swBatchSize',
      expected: 'integer >= 1',
      actual: swBatchSize,
    });
  }
  const paddingMode = options.paddingMode ?? 'constant';
  if (!['constant', 'reflect', 'replicate'].includes(paddingMode)) {
    throw new ArgumentError('slidingWindowInference: unknown padding mode', {
      field: 'paddingMode',
      expected: "'constant' | 'reflect' | 'replicate'",
      actual: paddingMode,
    });
  }
  const cval = options.cval ?? 0;

  // Padding only where the image is smaller than the roi; before = floor(diff / 2).
  const padBefore = imageSize.map((size, a) => Math.floor(Math.max(roiSize[a]! - size, 0) / 2));
  const padded = imageSize.map((size, a) => Math.max(size, roiSize[a]!));
  const indexMaps = imageSize.map((size, a) =>
    padIndexMap(size, padBefore[a]!, padded[a]! - size - padBefore[a]!, paddingMode),
  );
  const starts = denseWindowStarts(padded, roiSize, getScanInterval(padded, roiSize, overlap));
  const weights = computeImportanceMap(roiSize, options.mode ?? 'constant', options.sigmaScale);
  const countMap = accumulateCountMap(padded, roiSize, starts, weights);

  const windowVoxels = roiSize[0]! * roiSize[1]! * roiSize[2]!;
  const totalWindows = starts.length * batch;
  let output: Float32Array | undefined;
  let outChannels = 0;
  for (let first = 0; first < totalWindows; first += swBatchSize) {
    const count = Math.min(swBatchSize, totalWindows - first);
    const windows = new Float32Array(count * channels * windowVoxels);
    for (let n = 0; n < count; n++) {
      const global = first + n;
      readWindow(input.data, windows, n * channels * windowVoxels, {
        item: Math.floor(global / starts.length),
        start: starts[global % starts.length]!,
        channels,
        imageSize,
        roiSize,
        indexMaps,
        cval,
      });
    }
    const result = await predictor({ data: windows, shape: [count, channels, ...roiSize] });
    const k = checkPrediction(result, count, roiSize, outChannels);
    if (output === undefined) {
      outChannels = k;
      output = new Float32Array(batch * k * padded[0]! * padded[1]! * padded[2]!);
    }
    for (let n = 0; n < count; n++) {
      const global = first + n;
      addWindow(output, result.data, n * k * windowVoxels, {
        item: Math.floor(global / starts.length),
        start: starts[global % starts.length]!,
        channels: k,
        padded,
        roiSize,
        weights,
      });
    }
    options.onProgress?.({ stage: 'sliding-window', done: first + count, total: totalWindows });
  }
  if (output === undefined) throw new ShapeError('slidingWindowInference: no windows');
  normaliseByCount(output, countMap);
  return {
    data: cropPadding(output, batch * outChannels, padded, imageSize, padBefore),
    shape: [batch, outChannels, ...imageSize],
  };
}

interface WindowPlacement {
  item: number;
  start: number[];
  channels: number;
  roiSize: number[];
}

function checkInput(input: SlidingWindowInput): number[] {
  const shape = [...input.shape];
  if (shape.length !== 5 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError('slidingWindowInference: input must be [B, C, X, Y, Z]', {
      field: 'input.shape',
      expected: '[B, C, X, Y, Z] positive integers',
      actual: shape,
    });
  }
  const total = shape.reduce((a, b) => a * b, 1);
  if (input.data.length !== total) {
    throw new ShapeError('slidingWindowInference: input data length does not match its shape', {
      field: 'input.data.length',
      expected: total,
      actual: input.data.length,
    });
  }
  return shape;
}

function resolveRoiSize(
  roiSize: SlidingWindowOptions['roiSize'],
  imageSize: readonly number[],
): number[] {
  const entries = typeof roiSize === 'number' ? [roiSize, roiSize, roiSize] : [...roiSize];
  if (entries.length !== 3) {
    throw new ArgumentError('slidingWindowInference: roiSize needs one entry per spatial axis', {
      field: 'roiSize',
      expected: '3 entries',
      actual: roiSize,
    });
  }
  return entries.map((r, axis) => {
    if (r === undefined || r === null || r <= 0) return imageSize[axis]!;
    if (!Number.isInteger(r)) {
      throw new ArgumentError('slidingWindowInference: roiSize entries must be integers', {
        field: `roiSize[${axis}]`,
        expected: 'integer',
        actual: r,
      });
    }
    return r;
  });
}

function resolvePerAxis(value: number | readonly number[], field: string): number[] {
  const values = typeof value === 'number' ? [value, value, value] : [...value];
  if (values.length !== 3) {
    throw new ArgumentError(`slidingWindowInference: ${field} needs one entry per spatial axis`, {
      field,
      expected: 'a number or 3 numbers',
      actual: value,
    });
  }
  return values;
}

function checkPrediction(
  result: ArrayWithShape,
  count: number,
  roiSize: readonly number[],
  expectedChannels: number,
): number {
  const shape = result?.shape ?? [];
  const k = shape[1] ?? 0;
  const ok =
    shape.length === 5 &&
    shape[0] === count &&
    Number.isInteger(k) &&
    k >= 1 &&
    (expectedChannels === 0 || k === expectedChannels) &&
    shape[2] === roiSize[0] &&
    shape[3] === roiSize[1] &&
    shape[4] === roiSize[2];
  if (!ok) {
    // Limitation: MONAI also accepts outputs whose spatial size is a multiple of the roi (zoomed
    // heads); we require the roi size itself.
    throw new ShapeError('slidingWindowInference: predictor returned an unexpected shape', {
      field: 'predictor result shape',
      expected: [count, expectedChannels || 'K', ...roiSize],
      actual: shape,
    });
  }
  const total = count * k * roiSize[0]! * roiSize[1]! * roiSize[2]!;
  if (result.data.length !== total) {
    throw new ShapeError('slidingWindowInference: predictor data length does not match its shape', {
      field: 'predictor result data.length',
      expected: total,
      actual: result.data.length,
    });
  }
  return k;
}

function accumulateCountMap(
  padded: readonly number[],
  roiSize: readonly number[],
  starts: readonly number[][],
  weights: Float32Array,
): Float32Array {
  const [, py, pz] = padded as [number, number, number];
  const [rx, ry, rz] = roiSize as [number, number, number];
  const countMap = new Float32Array(padded[0]! * py * pz);
  for (const [sx, sy, sz] of starts as [number, number, number][]) {
    let w = 0;
    for (let x = 0; x < rx; x++) {
      for (let y = 0; y < ry; y++) {
        const row = ((sx + x) * py + sy + y) * pz + sz;
        for (let z = 0; z < rz; z++) countMap[row + z] += weights[w++]!;
      }
    }
  }
  return countMap;
}

function readWindow(
  source: Float32Array,
  target: Float32Array,
  offset: number,
  place: WindowPlacement & { imageSize: number[]; indexMaps: Int32Array[]; cval: number },
): void {
  const [X, Y, Z] = place.imageSize as [number, number, number];
  const [rx, ry, rz] = place.roiSize as [number, number, number];
  const [mx, my, mz] = place.indexMaps as [Int32Array, Int32Array, Int32Array];
  const [sx, sy, sz] = place.start as [number, number, number];
  let t = offset;
  for (let c = 0; c < place.channels; c++) {
    const channelBase = (place.item * place.channels + c) * X;
    for (let x = 0; x < rx; x++) {
      const ix = mx[sx + x]!;
      for (let y = 0; y < ry; y++) {
        const iy = my[sy + y]!;
        if (ix < 0 || iy < 0) {
          target.fill(place.cval, t, t + rz);
          t += rz;
          continue;
        }
        const row = ((channelBase + ix) * Y + iy) * Z;
        for (let z = 0; z < rz; z++) {
          const iz = mz[sz + z]!;
          target[t++] = iz < 0 ? place.cval : source[row + iz]!;
        }
      }
    }
  }
}

function addWindow(
  output: Float32Array,
  prediction: Float32Array,
  offset: number,
  place: WindowPlacement & { padded: number[]; weights: Float32Array },
): void {
  const [PX, PY, PZ] = place.padded as [number, number, number];
  const [rx, ry, rz] = place.roiSize as [number, number, number];
  const [sx, sy, sz] = place.start as [number, number, number];
  let p = offset;
  for (let c = 0; c < place.channels; c++) {
    const channelBase = (place.item * place.channels + c) * PX;
    let w = 0;
    for (let x = 0; x < rx; x++) {
      for (let y = 0; y < ry; y++) {
        const row = ((channelBase + sx + x) * PY + sy + y) * PZ + sz;
        for (let z = 0; z < rz; z++) {
          // float32 product, then float32 sum (the typed array store rounds), as MONAI does.
          output[row + z] += Math.fround(prediction[p++]! * place.weights[w++]!);
        }
      }
    }
  }
}

function normaliseByCount(output: Float32Array, countMap: Float32Array): void {
  const voxels = countMap.length;
  for (let i = 0; i < output.length; i++) output[i] /= countMap[i % voxels]!;
}

function cropPadding(
  output: Float32Array,
  planes: number,
  padded: readonly number[],
  imageSize: readonly number[],
  padBefore: readonly number[],
): Float32Array {
  if (padded.every((p, a) => p === imageSize[a])) return output;
  const [PX, PY, PZ] = padded as [number, number, number];
  const [X, Y, Z] = imageSize as [number, number, number];
  const [bx, by, bz] = padBefore as [number, number, number];
  const cropped = new Float32Array(planes * X * Y * Z);
  let t = 0;
  for (let plane = 0; plane < planes; plane++) {
    for (let x = 0; x < X; x++) {
      for (let y = 0; y < Y; y++) {
        const row = ((plane * PX + bx + x) * PY + by + y) * PZ + bz;
        cropped.set(output.subarray(row, row + Z), t);
        t += Z;
      }
    }
  }
  return cropped;
}
