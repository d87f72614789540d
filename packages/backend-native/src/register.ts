/**
 * Swapping tfjs-backend-cpu's 3D convolution kernels for the native ones, and back.
 */
import '@tensorflow/tfjs-backend-cpu';
import {
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core';
import { ArgumentError, silentLogger, type Logger } from '@voxelkit/core';
import os from 'node:os';

import { loadAddon, type NativeAddon } from './addon.js';
import { createNativeConvKernels, type KernelCallCounts } from './kernels.js';
import { createNativeMemoryKernels, MEMORY_KERNEL_NAMES } from './memory-kernels.js';
import { createNcdhwKernels, NCDHW_KERNEL_NAMES } from './ncdhw-kernels.js';
import { createOptimKernels, OPTIM_KERNEL_NAMES } from './optim-kernels.js';
import { createLossKernels, LOSS_KERNEL_NAMES } from './loss-kernels.js';

/** Options of {@link registerNativeKernels}. */
export interface NativeKernelOptions {
  /** ATen intra-op threads; default: `os.availableParallelism()`. */
  threads?: number;
  /**
   * How activations reach ATen: `'ncdhw'` (default) copies NDHWC to contiguous NCDHW and back,
   * which measured faster with Debian's libtorch 1.13 / oneDNN 2.6; `'channels-last'` hands ATen
   * a strided view of the tfjs buffer with no copy.
   */
  layout?: 'ncdhw' | 'channels-last';
  /** Path of the compiled `.node` file; default: this package's `build/Release`. */
  addonPath?: string;
  /**
   * Which kernels to replace: `'all'` (default) adds the memory-bound ops that dominate a
   * training step once convolutions are fast (Add, Sub, Multiply, RealDiv, SquaredDifference,
   * Maximum, Minimum, Exp, Log, Neg, Sqrt, Rsqrt, Square, Sum, Mean, Max, SplitV, Prelu, Softmax,
   * Transpose, Concat) and the kernels behind `@voxelkit/backend`'s `conv3dNcdhw`,
   * `batchNormAct`, `adamwUpdate` and `logSoftmax`; `'conv3d'` only the three tfjs convolution kernels.
   * Only honoured on the first registration (unregister to change it).
   */
  kernels?: 'all' | 'conv3d';
  /** Receives one info line with the outcome. */
  logger?: Logger;
}

const CONV_KERNEL_NAMES = ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'];

let originals: Map<string, KernelConfig> | undefined;
let registeredNames: string[] = [];
const counts: KernelCallCounts = { native: 0, fallback: 0 };

/**
 * Registers native (libtorch) kernels for `Conv3D`, `Conv3DBackpropInputV2` and
 * `Conv3DBackpropFilterV2` (and, by default, the memory-bound ops listed under
 * {@link NativeKernelOptions.kernels}) on tfjs' `cpu` backend, replacing tfjs' own. Call it once, before
 * running models; calling again only updates the thread/layout settings. Never throws when the
 * addon is missing: it returns `false`, logs the reason (also available from
 * {@link nativeUnavailableReason}) and leaves tfjs' kernels in place.
 *
 * @returns `true` when the native kernels are registered.
 * @throws ArgumentError for a bad `threads` or `layout` option.
 * @example
 * ```ts
 * if (!registerNativeKernels({ threads: 2, logger })) {
 *   logger.warn(`slow conv3d: ${nativeUnavailableReason()}`);
 * }
 * ```
 */
export function registerNativeKernels(options: NativeKernelOptions = {}): boolean {
  const logger = options.logger ?? silentLogger;
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ArgumentError('threads must be a positive integer', {
      field: 'threads',
      expected: 'integer >= 1',
      actual: options.threads,
    });
  }
  const layout = options.layout ?? 'ncdhw';
  if (layout !== 'ncdhw' && layout !== 'channels-last') {
    throw new ArgumentError('unknown layout', {
      field: 'layout',
      expected: "'ncdhw' | 'channels-last'",
      actual: layout,
    });
  }
  const loaded = loadAddon(options.addonPath);
  if (!loaded.ok) {
    logger.info(`native conv3d kernels not registered: ${loaded.reason}`);
    return false;
  }
  const addon: NativeAddon = loaded.addon;
  addon.setOptions(threads, layout === 'ncdhw' ? 1 : 0);
  if (!originals) {
    const scope = options.kernels ?? 'all';
    const names =
      scope === 'all'
        ? [
            ...CONV_KERNEL_NAMES,
            ...MEMORY_KERNEL_NAMES,
            ...NCDHW_KERNEL_NAMES,
            ...OPTIM_KERNEL_NAMES,
            ...LOSS_KERNEL_NAMES,
          ]
        : CONV_KERNEL_NAMES;
    const saved = new Map<string, KernelConfig>();
    for (const name of names) {
      const config = getKernel(name, 'cpu');
      if (config) saved.set(name, config);
    }
    const configs = createNativeConvKernels(addon, saved, counts);
    if (scope === 'all') {
      configs.push(...createNativeMemoryKernels(addon, saved, counts));
      configs.push(...createNcdhwKernels(addon, counts));
      configs.push(...createOptimKernels(addon, counts));
      configs.push(...createLossKernels(addon, counts));
    }
    for (const config of configs) {
      if (saved.has(config.kernelName)) unregisterKernel(config.kernelName, 'cpu');
      registerKernel(config);
    }
    originals = saved;
    registeredNames = names;
  }
  const info = addon.info();
  logger.info('native conv3d kernels registered', {
    kernels: registeredNames.join(', '),
    threads: info.threads,
    layout,
    torch: info.torchVersion,
  });
  return true;
}

/** Restores tfjs-backend-cpu's own kernels; a no-op when native kernels are not registered. */
export function unregisterNativeKernels(): void {
  if (!originals) return;
  for (const name of registeredNames) {
    unregisterKernel(name, 'cpu');
    const config = originals.get(name);
    if (config) registerKernel(config);
  }
  originals = undefined;
  registeredNames = [];
}

/** Names of the kernels currently replaced by native ones (empty when not registered). */
export function nativeKernelNames(): string[] {
  return [...registeredNames];
}

/** The addon's settings as {@link nativeInfo} reports them. */
export interface NativeInfo {
  /** Intra-op threads ATen uses. */
  threads: number;
  /** Whether kernels work on channels-last views or NCDHW copies. */
  layout: 'ncdhw' | 'channels-last';
  /** Version of the libtorch the addon was built against. */
  torchVersion: string;
}

/** The addon's ATen settings, or undefined when the addon does not load. */
export function nativeInfo(addonPath?: string): NativeInfo | undefined {
  const loaded = loadAddon(addonPath);
  if (!loaded.ok) return undefined;
  const info = loaded.addon.info();
  return {
    threads: info.threads,
    layout: info.layout === 1 ? 'ncdhw' : 'channels-last',
    torchVersion: info.torchVersion,
  };
}

/** Whether the native kernels are currently registered. */
export function nativeKernelsRegistered(): boolean {
  return originals !== undefined;
}

/**
 * Whether the compiled addon loads (libtorch present, build done). Cheap after the first call.
 *
 * @param addonPath - as in {@link NativeKernelOptions.addonPath}.
 */
export function isNativeAvailable(addonPath?: string): boolean {
  return loadAddon(addonPath).ok;
}

/** Why the addon does not load, or undefined when it does. */
export function nativeUnavailableReason(addonPath?: string): string | undefined {
  const loaded = loadAddon(addonPath);
  return loaded.ok ? undefined : loaded.reason;
}

/**
 * Native and fallback call counts of the registered kernels since the process started (a
 * fallback is a call the addon does not cover, e.g. dilation 2, handled by tfjs' kernel).
 */
export function nativeKernelCallCounts(): Readonly<KernelCallCounts> {
  return { ...counts };
}
