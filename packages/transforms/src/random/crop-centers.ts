/**
 * Where to centre random crops: foreground/background candidate voxels and the centre correction
 * that keeps a crop inside the image. Behaviour follows MONAI's `map_binary_to_indices`,
 * `generate_pos_neg_label_crop_centers` and `correct_crop_centers`.
 */
import { DataError, ShapeError } from '@voxelkit/core';
import type { Logger, Rng, Volume } from '@voxelkit/core';
import type { Triple } from '../utility/crop-pad.js';

/** Flat spatial indices (`(x * Y + y) * Z + z`) of the candidate centres. */
export interface CandidateIndices {
  /** Voxels where any label channel is > 0 (channel 0 is skipped for one-hot labels, C > 1). */
  foreground: Int32Array;
  /** Voxels with label == 0 everywhere and, when an image is given, image > threshold in some channel. */
  background: Int32Array;
}

/**
 * Foreground and background voxel indices of a label (and optionally an image).
 *
 * Foreground is `label > 0`; for a multi-channel (one-hot) label channel 0 (background) is ignored
 * and a voxel counts when any other channel is > 0. Background is every other voxel, restricted to
 * `image > imageThreshold` (any channel) when `image` is given, so that crops centred on background
 * land inside the body and not in the air around it.
 *
 * @example
 * ```ts
 * // label [0, 1, 2, 0], image [0, 5, 5, 5] (1×4×1×1), threshold 0
 * candidateIndices(label, image, 0); // { foreground: [1, 2], background: [3] }
 * ```
 */
export function candidateIndices(
  label: Volume,
  image?: Volume,
  imageThreshold = 0,
): CandidateIndices {
  const [C, X, Y, Z] = label.shape;
  const n = X * Y * Z;
  const isFg = new Uint8Array(n);
  for (let c = C > 1 ? 1 : 0; c < C; c++) {
    const off = c * n;
    for (let i = 0; i < n; i++) if (label.data[off + i] > 0) isFg[i] = 1;
  }
  let inBody: Uint8Array | undefined;
  if (image !== undefined) {
    const ic = image.shape[0];
    inBody = new Uint8Array(n);
    for (let c = 0; c < ic; c++) {
      const off = c * n;
      for (let i = 0; i < n; i++) if (image.data[off + i] > imageThreshold) inBody[i] = 1;
    }
  }
  let nf = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    if (isFg[i]) nf++;
    else if (inBody === undefined || inBody[i]) nb++;
  }
  const foreground = new Int32Array(nf);
  const background = new Int32Array(nb);
  nf = 0;
  nb = 0;
  for (let i = 0; i < n; i++) {
    if (isFg[i]) foreground[nf++] = i;
    else if (inBody === undefined || inBody[i]) background[nb++] = i;
  }
  return { foreground, background };
}

/**
 * The crop size actually used on an image of `spatialShape`: entries ≤ 0 fall back to the image
 * size; a size larger than the image throws unless `allowSmaller`, which shrinks it to the image.
 *
 * @throws ShapeError "larger than the image" when `allowSmaller` is false and a size exceeds the image.
 */
export function effectiveCropSize(
  spatialSize: readonly number[],
  spatialShape: readonly number[],
  allowSmaller: boolean,
  where = '',
): Triple {
  const size = [0, 1, 2].map((d) =>
    spatialSize[d] > 0 ? spatialSize[d] : spatialShape[d],
  ) as Triple;
  if (size.some((s, d) => s > spatialShape[d])) {
    if (!allowSmaller) {
      throw new ShapeError(
        `crop ROI is larger than the image${where}; set allowSmaller to crop the whole short axes`,
        { field: 'spatialSize', expected: `at most ${JSON.stringify(spatialShape)}`, actual: size },
      );
    }
    for (let d = 0; d < 3; d++) size[d] = Math.min(size[d], spatialShape[d]);
  }
  return size;
}

/**
 * Moves a crop centre so that the crop `[c - size // 2, c - size // 2 + size)` stays inside the
 * image: per axis `c` is clamped to `[size // 2, trunc(dim + 1 - size / 2) - 1]` (MONAI's
 * `correct_crop_centers`; when that range is empty the lower bound wins).
 *
 * @example
 * ```ts
 * correctCropCenter([0, 0, 0], [24, 24, 24], [37, 24, 35]); // [12, 12, 12]
 * correctCropCenter([36, 23, 34], [24, 24, 24], [37, 24, 35]); // [25, 12, 23]
 * correctCropCenter([0, 0, 0], [16, 16, 16], [64, 64, 64]); // [8, 8, 8]
 * ```
 */
export function correctCropCenter(
  center: readonly number[],
  spatialSize: readonly number[],
  spatialShape: readonly number[],
  allowSmaller = false,
): Triple {
  const size = effectiveCropSize(spatialSize, spatialShape, allowSmaller);
  const out = [0, 0, 0] as Triple;
  for (let d = 0; d < 3; d++) {
    const lo = Math.floor(size[d] / 2);
    let hi = Math.trunc(spatialShape[d] + 1 - size[d] / 2);
    if (hi === lo) hi += 1;
    out[d] = Math.min(Math.max(center[d], lo), hi - 1);
  }
  return out;
}

/** Options of {@link samplePosNegCenters}. */
export interface PosNegSampling {
  /** Crop size `[x, y, z]` used to correct the centres. */
  spatialSize: readonly number[];
  /** Number of centres to draw. */
  numSamples: number;
  /** Probability that a centre is drawn from the foreground, `pos / (pos + neg)`. */
  posRatio: number;
  /** Shrink the crop to the image instead of throwing when the image is smaller. */
  allowSmaller: boolean;
  /** For messages: the record's name. */
  recordName?: string;
  /** For messages: the label key. */
  labelKey?: string;
  /** Receives the warning when one candidate set is empty. */
  logger: Logger;
}

/**
 * Draws `numSamples` corrected crop centres: each is, with probability `posRatio`, a uniformly
 * chosen foreground voxel, else a uniformly chosen background voxel. Per sample the draws are
 * `rng.uniform()` (which set) then `rng.int(n)` (which voxel), always both.
 *
 * When one set is empty every centre comes from the other, with one warning naming the record.
 *
 * @throws DataError "no sampling location" when both sets are empty.
 */
export function samplePosNegCenters(
  candidates: CandidateIndices,
  spatialShape: readonly number[],
  options: PosNegSampling,
  rng: Rng,
): Triple[] {
  const { foreground, background } = candidates;
  const where = options.recordName === undefined ? '' : ` of record ${options.recordName}`;
  if (foreground.length === 0 && background.length === 0) {
    throw new DataError(
      `RandCropByPosNegLabeld: no sampling location${where}: the label has no voxel > 0 and no background voxel passes the image threshold`,
      {
        field: options.labelKey ?? 'label',
        expected: 'a label > 0 or an image above imageThreshold',
      },
    );
  }
  let posRatio = options.posRatio;
  if (foreground.length === 0 || background.length === 0) {
    posRatio = foreground.length === 0 ? 0 : 1;
    options.logger.warn(
      `RandCropByPosNegLabeld: ${foreground.length} foreground and ${background.length} background voxels in "${options.labelKey ?? 'label'}"${where}; cannot balance classes, drawing every centre from the ${posRatio === 0 ? 'background' : 'foreground'}`,
      { record: options.recordName, foreground: foreground.length, background: background.length },
    );
  }
  const [, Y, Z] = spatialShape;
  const centers: Triple[] = [];
  for (let s = 0; s < options.numSamples; s++) {
    const pool = rng.uniform() < posRatio ? foreground : background;
    const flat = pool[rng.int(pool.length)];
    const center: Triple = [Math.floor(flat / (Y * Z)), Math.floor(flat / Z) % Y, flat % Z];
    centers.push(
      correctCropCenter(center, options.spatialSize, spatialShape, options.allowSmaller),
    );
  }
  return centers;
}
