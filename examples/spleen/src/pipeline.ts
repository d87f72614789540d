/**
 * The transform chains of the spleen example, as in MONAI's spleen tutorial: a deterministic
 * preprocessing head (cached once per case) and a random augmentation tail for training.
 */
import {
  CropForegroundd,
  EnsureChannelFirstd,
  LoadImaged,
  Orientationd,
  RandCropByPosNegLabeld,
  RandFlipd,
  RandRotate90d,
  RandShiftIntensityd,
  ScaleIntensityRanged,
  Spacingd,
  SpatialPadd,
  type Transform,
} from '@voxelkit/transforms';
import { CheckFinited } from './checkFinite.js';
import type { SpleenConfig } from './config.js';

/**
 * Load → channel first → RAS → resample to `pixdim` → HU window to 0..1 → crop to the body →
 * check that no voxel is NaN or ±Inf ({@link CheckFinited}: a `DataError` naming the case).
 * With `label` false the chain handles images alone (prediction).
 */
export function preprocessing(config: SpleenConfig, withLabel = true): Transform[] {
  const keys = withLabel ? ['image', 'label'] : ['image'];
  return [
    new LoadImaged({ keys }),
    new EnsureChannelFirstd({ keys }),
    new Orientationd({ keys, axcodes: 'RAS' }),
    new Spacingd({
      keys,
      pixdim: [...config.pixdim],
      mode: withLabel ? ['bilinear', 'nearest'] : ['bilinear'],
    }),
    new ScaleIntensityRanged({
      keys: ['image'],
      aMin: config.aMin,
      aMax: config.aMax,
      bMin: 0,
      bMax: 1,
      clip: true,
    }),
    new CropForegroundd({ keys, sourceKey: 'image' }),
    new CheckFinited({ keys }),
  ];
}

/**
 * The random tail: pad to the patch size where a scan is thinner than it (the bundled scans
 * have 20–45 slices; MONAI's tutorial data never does), sample `numSamples` patches centred on
 * foreground / background at `pos : neg`, then flips on each axis, 90° rotations in the axial
 * plane and an intensity shift.
 */
export function augmentation(config: SpleenConfig): Transform[] {
  const keys = ['image', 'label'];
  return [
    new SpatialPadd({ keys, spatialSize: [...config.roiSize] }),
    new RandCropByPosNegLabeld({
      keys,
      labelKey: 'label',
      spatialSize: [...config.roiSize],
      pos: config.pos,
      neg: config.neg,
      numSamples: config.numSamples,
      imageKey: 'image',
      imageThreshold: 0,
    }),
    new RandFlipd({ keys, spatialAxis: [0], prob: config.flipProb }),
    new RandFlipd({ keys, spatialAxis: [1], prob: config.flipProb }),
    new RandFlipd({ keys, spatialAxis: [2], prob: config.flipProb }),
    new RandRotate90d({ keys, prob: config.rotateProb, maxK: 3 }),
    new RandShiftIntensityd({
      keys: ['image'],
      offsets: config.shiftOffset,
      prob: config.shiftProb,
    }),
  ];
}
