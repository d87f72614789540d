import { ArgumentError, createVolume } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  Compose,
  Invertd,
  RandFlipd,
  ScaleIntensityRanged,
  augmentationInverters,
  requireVolume,
  withApplied,
  withoutLastApplied,
} from '@voxelkit/transforms';
import type {
  AppliedOperation,
  DataRecord,
  InvertibleTransform,
  TransformContext,
} from '@voxelkit/transforms';

/** Options of {@link RandGammad}. */
export interface RandGammadOptions {
  /** Record keys of the images to adjust. */
  keys: string[];
  /** Gamma is drawn uniformly from `[low, high)`. */
  gammaRange: [number, number];
  /** Probability of adjusting a record (default 0.5). */
  prob?: number;
}

/**
 * Random gamma (contrast) adjustment: with probability `prob`, rescales each image to [0, 1],
 * raises it to a random power `gamma` and scales it back. One decision per record, shared by
 * all keys. Invertible: the recorded gamma and range undo it.
 */
export class RandGammad implements InvertibleTransform {
  readonly name = 'RandGammad';
  // Opting into seeding: Compose passes the record's stream in `context.rng`.
  readonly random = true;
  private readonly prob: number;

  constructor(private readonly options: RandGammadOptions) {
    const [low, high] = options.gammaRange;
    if (!(low > 0 && low <= high)) {
      throw new ArgumentError('RandGammad: gammaRange must satisfy 0 < low <= high', {
        field: 'gammaRange',
        actual: options.gammaRange,
      });
    }
    this.prob = options.prob ?? 0.5;
  }

  apply(record: DataRecord, context: TransformContext): DataRecord {
    // Always draw both numbers, so later transforms see the same stream whatever happens here.
    const adjust = context.rng.uniform() < this.prob;
    const gamma = context.rng.uniform(...this.options.gammaRange);
    const out: DataRecord = { ...record };
    if (!adjust) return out;
    for (const key of this.options.keys) {
      const image = requireVolume(record, key, this.name);
      const { min, max } = range(image.data);
      const data = power(image.data, min, max, gamma);
      // Record what was done, so that Invertd (or invertVolume) can undo it.
      const meta = withApplied(image.meta, { transform: this.name, params: { gamma, min, max } });
      out[key] = createVolume(data, image.shape, image.affine, meta);
    }
    return out;
  }

  invertVolume(volume: Volume, op: AppliedOperation): Volume {
    const { gamma, min, max } = op.params as { gamma: number; min: number; max: number };
    const data = power(volume.data, min, max, 1 / gamma);
    return createVolume(
      data,
      volume.shape,
      volume.affine,
      withoutLastApplied(volume.meta, this.name),
    );
  }
}

function range(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  return { min, max };
}

function power(data: ArrayLike<number>, min: number, max: number, gamma: number): Float32Array {
  const span = max - min;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = span > 0 ? ((data[i] - min) / span) ** gamma * span + min : data[i];
  }
  return out;
}

/**
 * A pipeline mixing built-ins and the custom transform, run with a seed, then undone with
 * Invertd (given the custom inverse next to the built-in ones).
 */
export async function augmentAndRestore(image: Volume, seed: number) {
  const gammad = new RandGammad({ keys: ['image'], gammaRange: [0.5, 2], prob: 1 });
  const pipeline = new Compose([
    new ScaleIntensityRanged({
      keys: ['image'],
      aMin: -57,
      aMax: 164,
      bMin: 0,
      bMax: 1,
      clip: true,
    }),
    gammad,
    new RandFlipd({ keys: ['image'], prob: 1, spatialAxis: [0] }),
  ]);
  const [augmented] = await pipeline.run({ image }, { seed, recordName: 'demo-case' });

  const invert = new Invertd({
    keys: ['image'],
    origKey: 'image',
    mode: 'bilinear',
    inverters: {
      ...augmentationInverters,
      RandGammad: (volume, op) => gammad.invertVolume(volume, op),
    },
  });
  const restored = invert.apply(augmented);
  return { augmented, restored };
}
