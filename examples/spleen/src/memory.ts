/**
 * A rough, up-front memory estimate for training, so an impossible roi / batch / channel choice
 * is refused before minutes of caching rather than ending in an out-of-memory crash.
 */
import { freemem, totalmem } from 'node:os';
import type { SpleenConfig } from './config.js';

/** The estimate, in bytes. */
export interface MemoryEstimate {
  /** Activations kept for the backward pass, for one training step. */
  activations: number;
  /** Weights, gradients and the two AdamW moments. */
  parameters: number;
  total: number;
  /** Free system memory when the estimate was made. */
  free: number;
  /** Total system memory. */
  system: number;
}

/**
 * Tensors alive per voxel and channel at each UNet level during one step. Each residual unit
 * keeps the convolution output, the normalised and activated copies and the residual branch for
 * the forward pass, and roughly as many gradients on the way back; encoder and decoder both do
 * this. 24 is a deliberate over-estimate (measured peaks on the CPU backend were below it).
 */
const TENSORS_PER_LEVEL = 24;

/** Estimates training memory for `config` (float32 everywhere). */
export function estimateTrainingMemory(config: SpleenConfig): MemoryEstimate {
  const patches = config.batchSize * config.numSamples;
  let voxels = config.roiSize[0] * config.roiSize[1] * config.roiSize[2];
  let activations = 0;
  let parameters = 0;
  let inChannels = 1;
  config.channels.forEach((channels, level) => {
    activations +=
      patches * voxels * channels * 4 * TENSORS_PER_LEVEL * Math.max(1, config.numResUnits);
    parameters += (27 * inChannels * channels + channels) * Math.max(1, config.numResUnits) * 2;
    inChannels = channels;
    const stride = config.strides[level] ?? 1;
    voxels /= stride ** 3;
  });
  const parameterBytes = parameters * 4 * 4;
  const free = freemem();
  return {
    activations,
    parameters: parameterBytes,
    total: activations + parameterBytes,
    free,
    system: totalmem(),
  };
}

/** `1.2 GiB` style text. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}
