/**
 * `RandCropByPosNegLabeld`: several random patches per record, centred on foreground or background
 * with a chosen ratio — the sampler that makes spleen training see enough spleen.
 */
import { ArgumentError, ShapeError } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '../transform.js';
import { cropBoxFromCenter, invertWindow, windowVolume } from '../utility/crop-pad.js';
import type { KeysOptions } from '../utility/record.js';
import { checkKeys, presentKeys, requireVolume, spatialOf } from '../utility/record.js';
import type { CandidateIndices } from './crop-centers.js';
import { candidateIndices, effectiveCropSize, samplePosNegCenters } from './crop-centers.js';

/** Options of {@link RandCropByPosNegLabeld} (MONAI names in camelCase). */
export interface RandCropByPosNegLabeldOptions extends KeysOptions {
  /** Key of the label that defines foreground (`label > 0`). */
  labelKey: string;
  /** Crop size `[x, y, z]` in voxels; entries ≤ 0 mean "the whole axis". */
  spatialSize: readonly number[];
  /** Weight of foreground-centred crops (default 1). */
  pos?: number;
  /** Weight of background-centred crops (default 1). */
  neg?: number;
  /** Crops per record (default 1). */
  numSamples?: number;
  /** Key of an image that restricts background centres to `image > imageThreshold`. */
  imageKey?: string;
  /** Threshold for `imageKey` (default 0). */
  imageThreshold?: number;
  /**
   * When the image is smaller than `spatialSize` along an axis: `false` (default) throws a
   * `ShapeError`; `true` keeps that axis whole (no padding — add `SpatialPadd` after it).
   */
  allowSmaller?: boolean;
}

/**
 * Crops `numSamples` patches of `spatialSize` from every volume under `keys`, each centred, with
 * probability `pos / (pos + neg)`, on a random foreground voxel of `labelKey`, else on a random
 * background voxel (inside the body when `imageKey` is given). Centres are moved so the crop stays
 * inside the image. Returns a list of records; every cropped volume carries `meta.cropCenter`
 * (`[x, y, z]` in the input's voxels) and `meta.patchIndex`, and records the crop for inversion.
 *
 * Edge cases: no foreground → one warning naming the record, all centres from background; no
 * foreground and no background → `DataError` "no sampling location" naming the record; image
 * smaller than the crop → see `allowSmaller`.
 *
 * @example
 * ```ts
 * const crop = new RandCropByPosNegLabeld({
 *   keys: ['image', 'label'], labelKey: 'label', spatialSize: [96, 96, 96],
 *   pos: 1, neg: 1, numSamples: 4, imageKey: 'image', imageThreshold: 0,
 * });
 * const patches = crop.apply({ image, label }, ctx); // 4 records of 1×96×96×96 volumes
 * ```
 */
export class RandCropByPosNegLabeld implements InvertibleTransform {
  readonly name: string = 'RandCropByPosNegLabeld';
  readonly random: boolean = true;
  private readonly posRatio: number;
  private readonly numSamples: number;

  /** The options this transform was built with. */
  readonly options: RandCropByPosNegLabeldOptions;

  constructor(options: RandCropByPosNegLabeldOptions) {
    this.options = options;
    checkKeys(options.keys, this.name);
    const pos = options.pos ?? 1;
    const neg = options.neg ?? 1;
    if (!(pos >= 0) || !(neg >= 0) || pos + neg === 0) {
      throw new ArgumentError(`${this.name}: pos and neg must be ≥ 0 and not both 0`, {
        field: 'pos/neg',
        actual: { pos, neg },
      });
    }
    this.posRatio = pos / (pos + neg);
    this.numSamples = options.numSamples ?? 1;
    if (!Number.isInteger(this.numSamples) || this.numSamples < 1) {
      throw new ArgumentError(`${this.name}: numSamples must be a positive integer`, {
        field: 'numSamples',
        actual: options.numSamples,
      });
    }
    const s = options.spatialSize;
    if (!Array.isArray(s) || s.length !== 3 || s.some((v) => !Number.isInteger(v))) {
      throw new ArgumentError(`${this.name}: spatialSize must be three integers`, {
        field: 'spatialSize',
        actual: s,
      });
    }
  }

  /** Applies the transform to one record (see the class description); returns new record(s). */
  apply(record: DataRecord, context: TransformContext): DataRecord[] {
    const o = this.options;
    const name = context.recordName;
    const label = requireVolume(record, o.labelKey, this.name, name);
    const image =
      o.imageKey === undefined ? undefined : requireVolume(record, o.imageKey, this.name, name);
    const spatial = spatialOf(label.shape);
    const where = name === undefined ? '' : ` (record ${name})`;
    const size = effectiveCropSize(o.spatialSize, spatial, o.allowSmaller ?? false, where);
    const keys = presentKeys(record, o, this.name, name);
    // Centres are label voxels: every cropped volume (and the image) must share the label's grid.
    for (const key of o.imageKey === undefined ? keys : [...keys, o.imageKey]) {
      const other = spatialOf(requireVolume(record, key, this.name, name).shape);
      if (other.some((v, d) => v !== spatial[d])) {
        throw new ShapeError(
          `${this.name}: "${key}" is not on the grid of "${o.labelKey}"${where}`,
          {
            field: `${key}.shape`,
            expected: spatial,
            actual: other,
          },
        );
      }
    }
    const centers = samplePosNegCenters(
      cachedCandidates(label, image, o.imageThreshold ?? 0),
      spatial,
      {
        spatialSize: size,
        numSamples: this.numSamples,
        posRatio: this.posRatio,
        allowSmaller: o.allowSmaller ?? false,
        recordName: name,
        labelKey: o.labelKey,
        logger: context.logger,
      },
      context.rng,
    );
    return centers.map((center, patchIndex) => {
      const out: DataRecord = { ...record };
      for (const key of keys) {
        const volume = requireVolume(record, key, this.name, name);
        const box = cropBoxFromCenter(center, size, spatialOf(volume.shape));
        const cropped = windowVolume(volume, box.start, box.size, this.name, {
          center: [...center],
        });
        cropped.meta = { ...cropped.meta, cropCenter: [...center], patchIndex };
        out[key] = cropped;
      }
      return out;
    });
  }

  /** Puts a patch back on the original grid (zeros outside it). */
  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    return invertWindow(volume, op);
  }
}

/**
 * Candidate indices are a full pass over the volume, while a cached record is cropped again every
 * epoch: remember the last result per label array (weakly, so nothing is kept alive). Relies on
 * the rule that transforms never modify volumes in place.
 */
const candidateCache = new WeakMap<
  object,
  { image: object | undefined; threshold: number; shape: string; candidates: CandidateIndices }
>();

function cachedCandidates(
  label: Volume,
  image: Volume | undefined,
  threshold: number,
): CandidateIndices {
  const hit = candidateCache.get(label.data);
  const shape = `${label.shape.join()}|${image?.shape.join() ?? ''}`;
  if (
    hit !== undefined &&
    hit.image === image?.data &&
    hit.threshold === threshold &&
    hit.shape === shape
  ) {
    return hit.candidates;
  }
  const candidates = candidateIndices(label, image, threshold);
  candidateCache.set(label.data, { image: image?.data, threshold, shape, candidates });
  return candidates;
}
