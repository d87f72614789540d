/**
 * Picks the compute backend once per process through `@voxelkit/backend` (tfjs-node-gpu, then
 * the native conv3d kernels, then plain tfjs CPU) and decides what the presets may assume.
 */
import { initBackend, type BackendInfo } from '@voxelkit/backend';
import type { Logger } from '@voxelkit/core';

/** The chosen backend and whether full-size (roi 96) models are practical on it. */
export interface BackendChoice {
  info: BackendInfo;
  /**
   * True on a GPU. The native CPU kernels make convolutions several times faster, but a
   * roi-96 UNet is still hours per epoch on a laptop CPU, so presets treat them as CPU.
   */
  fast: boolean;
}

/** Initialises TensorFlow.js (logging the backend once) and reports the choice. */
export async function startBackend(
  prefer: BackendInfo['name'] | undefined,
  logger: Logger,
): Promise<BackendChoice> {
  const info = await initBackend({ prefer, logger });
  return { info, fast: info.name === 'tfjs-node-gpu' };
}
