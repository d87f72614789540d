/**
 * Training configuration: the presets, the flags that override them, and the checks that turn a
 * bad combination into an error the user can act on.
 */
import { ArgumentError } from '@voxelkit/core';

/** Every setting of a spleen run. Saved verbatim as `<runDir>/config.json`. */
export interface SpleenConfig {
  /** Preset the run started from (`full`, `quick`, `cpu`, `tiny`). */
  preset: string;
  /** Decathlon-layout data folder (holds `dataset.json`). */
  dataDir: string;
  /** Seed for the split, weight initialisation and every augmentation. */
  seed: number;
  /** Fraction of patients (groups) held out for validation. */
  validationFraction: number;
  /** Target voxel spacing in mm (x, y, z) after `Spacingd`. */
  pixdim: [number, number, number];
  /** HU window mapped to 0..1 by `ScaleIntensityRanged`. */
  aMin: number;
  aMax: number;
  /** Patch (and sliding-window) size in voxels. */
  roiSize: [number, number, number];
  /** Patches drawn per image by `RandCropByPosNegLabeld`. */
  numSamples: number;
  /** Ratio of foreground-centred to background-centred patches. */
  pos: number;
  neg: number;
  /** Augmentation probabilities and range. */
  flipProb: number;
  rotateProb: number;
  shiftOffset: number;
  shiftProb: number;
  /** UNet feature channels per level and down-sampling strides between levels. */
  channels: number[];
  strides: number[];
  numResUnits: number;
  norm: 'batch' | 'instance';
  /** AdamW learning rate and decoupled weight decay. */
  lr: number;
  weightDecay: number;
  /** Epochs; the cosine schedule spans all of them. */
  epochs: number;
  /** Images per step; each contributes `numSamples` patches. */
  batchSize: number;
  /** Validate every this many epochs (and always after the last). */
  valInterval: number;
  /** Sliding-window batch size and overlap used in validation and prediction. */
  swBatchSize: number;
  overlap: number;
}

/** The named presets. `quick` resolves to different models with and without a fast backend. */
export type PresetName = 'full' | 'quick' | 'cpu' | 'tiny';

/** Settings every preset shares: the MONAI spleen tutorial's pipeline. */
const REFERENCE: Omit<SpleenConfig, 'preset' | 'dataDir'> = {
  seed: 0,
  validationFraction: 0.2,
  pixdim: [1.5, 1.5, 2.0],
  aMin: -57,
  aMax: 164,
  roiSize: [96, 96, 96],
  numSamples: 4,
  pos: 1,
  neg: 1,
  flipProb: 0.2,
  rotateProb: 0.2,
  shiftOffset: 0.1,
  shiftProb: 0.5,
  channels: [16, 32, 64, 128, 256],
  strides: [2, 2, 2, 2],
  numResUnits: 2,
  norm: 'batch',
  lr: 1e-4,
  weightDecay: 1e-5,
  epochs: 200,
  batchSize: 2,
  valInterval: 3,
  swBatchSize: 4,
  overlap: 0.5,
};

/**
 * The CPU-sized model: what learns something on a 2-core machine in about 10–15 minutes with the
 * TensorFlow.js CPU backend. Deviations from the reference are listed in docs/spleen.md.
 */
const CPU_SIZED: Partial<SpleenConfig> = {
  // 3 mm voxels: a 32³ patch then sees 96 mm (about a whole spleen) and whole-scan validation
  // costs 8× less than at 1.5 × 1.5 × 2 mm.
  pixdim: [3, 3, 3],
  roiSize: [32, 32, 32],
  channels: [8, 16, 32, 64],
  strides: [2, 2, 2],
  numResUnits: 1,
  lr: 3e-3,
  epochs: 150,
  valInterval: 25,
  overlap: 0.25,
};

/** The proof-test model: seconds per epoch on any machine. */
const TINY: Partial<SpleenConfig> = {
  // Coarse voxels keep caching and whole-scan validation to seconds.
  pixdim: [3, 3, 4],
  roiSize: [16, 16, 16],
  channels: [4, 8, 16],
  strides: [2, 2],
  numResUnits: 1,
  lr: 1e-2,
  epochs: 3,
  valInterval: 1,
  numSamples: 2,
  swBatchSize: 32,
  overlap: 0,
};

/**
 * The preset's settings.
 *
 * @param name - preset name.
 * @param fastBackend - true when a GPU or native backend is present; `quick` then keeps the
 *   reference model (roi 96) for 15 epochs, otherwise it is 15 epochs of the CPU-sized model.
 */
export function presetConfig(name: string, fastBackend: boolean): Omit<SpleenConfig, 'dataDir'> {
  const base = { ...REFERENCE, preset: name };
  switch (name) {
    case 'full':
      return base;
    case 'quick':
      return fastBackend
        ? { ...base, epochs: 15 }
        : { ...base, ...CPU_SIZED, epochs: 15, valInterval: 15 };
    case 'cpu':
      return { ...base, ...CPU_SIZED };
    case 'tiny':
      return { ...base, ...TINY };
    default:
      throw new ArgumentError('unknown preset', {
        field: '--preset',
        expected: 'full | quick | cpu | tiny',
        actual: name,
      });
  }
}

/**
 * Merges layers of settings (preset, then `--config` file, then flags) and validates the result.
 * Unknown keys in a layer are an error, so a typo in a config file is not silently ignored.
 */
export function resolveConfig(
  base: Omit<SpleenConfig, 'dataDir'> & { dataDir?: string },
  ...layers: Partial<SpleenConfig>[]
): SpleenConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (!(key in REFERENCE) && key !== 'preset' && key !== 'dataDir') {
        throw new ArgumentError('unknown configuration key', {
          field: key,
          expected: Object.keys(REFERENCE).join(', '),
        });
      }
      merged[key] = value;
    }
  }
  const config = merged as unknown as SpleenConfig;
  validateConfig(config);
  return config;
}

/** Throws an `ArgumentError` naming the setting when a value cannot work. */
export function validateConfig(config: SpleenConfig): void {
  const positiveInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) <= 0) {
      throw new ArgumentError('expected a positive integer', { field, actual: v });
    }
  };
  for (const key of ['numSamples', 'epochs', 'batchSize', 'valInterval', 'swBatchSize'] as const) {
    positiveInt(key, config[key]);
  }
  if (!Number.isInteger(config.numResUnits) || config.numResUnits < 0) {
    throw new ArgumentError('expected a non-negative integer', {
      field: 'numResUnits',
      actual: config.numResUnits,
    });
  }
  if (config.roiSize.length !== 3) {
    throw new ArgumentError('roiSize needs 3 values', { field: 'roiSize', actual: config.roiSize });
  }
  config.roiSize.forEach((v, i) => positiveInt(`roiSize[${i}]`, v));
  if (config.pixdim.length !== 3 || config.pixdim.some((v) => !(v > 0))) {
    throw new ArgumentError('pixdim needs 3 positive spacings in mm', {
      field: 'pixdim',
      actual: config.pixdim,
    });
  }
  if (config.channels.length !== config.strides.length + 1) {
    throw new ArgumentError('channels needs one more entry than strides', {
      field: 'channels',
      expected: config.strides.length + 1,
      actual: config.channels.length,
    });
  }
  config.channels.forEach((v, i) => positiveInt(`channels[${i}]`, v));
  const factor = config.strides.reduce((a, b) => a * b, 1);
  for (const size of config.roiSize) {
    if (size % factor !== 0) {
      // The UNet concatenates skip connections, so every level must halve exactly.
      throw new ArgumentError('roiSize must be divisible by the product of the strides', {
        field: 'roiSize',
        expected: `multiples of ${factor}`,
        actual: config.roiSize,
      });
    }
  }
  if (!(config.lr > 0) || !(config.weightDecay >= 0)) {
    throw new ArgumentError('lr must be > 0 and weightDecay >= 0', {
      field: 'lr',
      actual: [config.lr, config.weightDecay],
    });
  }
  if (!(config.overlap >= 0 && config.overlap < 1)) {
    throw new ArgumentError('overlap must be in [0, 1)', {
      field: 'overlap',
      actual: config.overlap,
    });
  }
  if (!(config.validationFraction > 0 && config.validationFraction < 1)) {
    throw new ArgumentError('validationFraction must be in (0, 1)', {
      field: 'validationFraction',
      actual: config.validationFraction,
    });
  }
  if (!Number.isInteger(config.seed)) {
    throw new ArgumentError('seed must be an integer', { field: 'seed', actual: config.seed });
  }
}

/** Parses `96` or `96,96,64` into three sizes. */
export function parseTriple(text: string, field: string): [number, number, number] {
  const parts = parseList(text, field);
  if (parts.length === 1) return [parts[0], parts[0], parts[0]];
  if (parts.length === 3) return [parts[0], parts[1], parts[2]];
  throw new ArgumentError('expected 1 or 3 comma-separated numbers', { field, actual: text });
}

/** Parses a comma-separated list of numbers. */
export function parseList(text: string, field: string): number[] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((p) => !Number.isFinite(p))) {
    throw new ArgumentError('expected comma-separated numbers', { field, actual: text });
  }
  return parts;
}
