/**
 * `@voxelkit/nets`: MONAI's 3D UNet on TensorFlow.js, with PyTorch-compatible state dicts and
 * safetensors import/export.
 *
 * @packageDocumentation
 */
export * from './unet.js';
export * from './state_dict.js';
export * from './safetensors.js';
export type { ForwardContext, StateEntry } from './layers/module.js';
