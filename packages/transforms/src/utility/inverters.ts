/**
 * Inverse functions of the invertible transforms in this folder set, keyed by transform name, in
 * the `(volume, op) => volume` shape that `Invertd`'s `inverters` option takes.
 */
import type { Volume } from '@voxelkit/core';
import type { AppliedOperation } from '../transform.js';
import { invertWindow } from './crop-pad.js';
import { invertFlip } from './flip.js';
import { invertRotate90 } from './rotate90.js';

/**
 * Undo functions for Flipd, RandFlipd, Rotate90d, RandRotate90d, SpatialCropd, SpatialPadd,
 * DivisiblePadd and RandCropByPosNegLabeld.
 *
 * @example
 * ```ts
 * new Invertd({ keys: ['pred'], origKey: 'image', inverters: { ...augmentationInverters } });
 * ```
 */
export const augmentationInverters: Readonly<
  Record<string, (volume: Volume, op: AppliedOperation) => Volume>
> = {
  Flipd: invertFlip,
  RandFlipd: invertFlip,
  Rotate90d: invertRotate90,
  RandRotate90d: invertRotate90,
  SpatialCropd: invertWindow,
  SpatialPadd: invertWindow,
  DivisiblePadd: invertWindow,
  RandCropByPosNegLabeld: invertWindow,
};
