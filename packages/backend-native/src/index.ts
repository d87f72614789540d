/**
 * `@voxelkit/backend-native`: native CPU kernels (3D convolution forward and both gradients,
 * computed by libtorch/oneDNN) for TensorFlow.js' cpu backend, with a clean fallback to tfjs'
 * own kernels where the addon is not built.
 *
 * @packageDocumentation
 */
export {
  registerNativeKernels,
  unregisterNativeKernels,
  nativeKernelsRegistered,
  isNativeAvailable,
  nativeUnavailableReason,
  nativeKernelCallCounts,
  nativeInfo,
  nativeKernelNames,
  type NativeKernelOptions,
  type NativeInfo,
} from './register.js';
export {
  loadAddon,
  DEFAULT_ADDON_PATH,
  type NativeAddon,
  type AddonInfo,
  type AddonLoaded,
  type AddonLoadFailure,
  type AddonLoadResult,
} from './addon.js';
export type { KernelCallCounts } from './kernels.js';
export { MEMORY_KERNEL_NAMES, MIN_NATIVE_ELEMENTS } from './memory-kernels.js';
