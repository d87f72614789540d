/**
 * Backend selection: the one place that decides where tensors are computed, and says so once.
 * Order: `tfjs-node-gpu` (only if installed and working) → `native` (the libtorch-backed conv3d
 * kernels of `@voxelkit/backend-native`, registered into the tfjs CPU backend) → `cpu` (pure
 * TypeScript `@tensorflow/tfjs-backend-cpu`). Optional packages are loaded with dynamic
 * `import()` of a computed specifier, so they stay optional at install and bundle time.
 */
import { registerCopyKernels } from './copy-kernels.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ArgumentError, ResourceError, silentLogger, type Logger } from '@voxelkit/core';
import { registerGradientFixes } from './gradients.js';

/** The compute paths {@link initBackend} can pick. */
export type BackendName = 'tfjs-node-gpu' | 'native' | 'cpu';

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * The path to try first; the others follow in the default order. Default: `'tfjs-node-gpu'`
   * (i.e. the default order). The environment variable `VOXELKIT_BACKEND` overrides this and
   * *forces* one path (no fallback).
   */
  prefer?: BackendName;
  /** Receives the one `info` line naming the choice, plus `debug` lines for each rejected path. */
  logger?: Logger;
  /**
   * Options passed to `@voxelkit/backend-native`'s `registerNativeKernels` (e.g.
   * `{ threads: 4 }`); see that package for the accepted keys.
   */
  nativeOptions?: Record<string, unknown>;
}

/** What {@link initBackend} chose. */
export interface BackendInfo {
  /** The compute path in use. */
  name: BackendName;
  /** The tfjs backend name that is active (`'tensorflow'` for tfjs-node-gpu, else `'cpu'`). */
  tfBackend: string;
  /** Whether the choice was forced by `VOXELKIT_BACKEND`. */
  forced: boolean;
  /** Why the paths before it were not taken (empty when the first one worked). */
  rejected: {
    /** The backend that was tried. */
    name: BackendName;
    /** Why it was not used (the load or smoke-test error). */
    reason: string;
  }[];
}

/** Environment variable that forces one backend: `tfjs-node-gpu`, `native` or `cpu`. */
export const BACKEND_ENV_VAR = 'VOXELKIT_BACKEND';

const ORDER: readonly BackendName[] = ['tfjs-node-gpu', 'native', 'cpu'];

/** Loads an optional module by name; indirection so tests can simulate installed packages. */
export type ModuleLoader = (specifier: string) => Promise<Record<string, unknown>>;

let selection: Promise<BackendInfo> | undefined;

/**
 * Picks and activates the compute backend, registers voxelkit's gradient fixes, and logs the
 * choice once (`info`). Later calls return the same result without logging again, whatever
 * their options: a process has one backend.
 *
 * @example
 * ```ts
 * const info = await initBackend({ logger });
 * // logger.info('compute backend: native (libtorch conv3d kernels in tfjs-backend-cpu)')
 * info.name; // 'native' | 'cpu' | 'tfjs-node-gpu'
 * ```
 * @throws ArgumentError when `VOXELKIT_BACKEND` or `prefer` names an unknown backend.
 * @throws ResourceError when `VOXELKIT_BACKEND` forces a backend that cannot be loaded.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (selection === undefined) {
    selection = chooseBackend(options).catch((error: unknown) => {
      selection = undefined; // let a corrected call try again
      throw error;
    });
  }
  return selection;
}

/**
 * The selection itself, without the once-per-process memo. Exposed for tests and tools that
 * need to probe; applications call {@link initBackend}.
 *
 * @param env - where `VOXELKIT_BACKEND` is read (default `process.env` when present).
 * @param load - how optional modules are imported (default: dynamic `import()`).
 */
export async function chooseBackend(
  options: InitBackendOptions = {},
  env: Record<string, string | undefined> = defaultEnv(),
  load: ModuleLoader = defaultLoader,
): Promise<BackendInfo> {
  const logger = options.logger ?? silentLogger;
  registerGradientFixes();
  // tfjs prints a hint to install tfjs-node on first use in Node; library code must not print,
  // and the logger line below already names the backend in use.
  tf.env().set('PROD', true);

  const forcedName = env[BACKEND_ENV_VAR]?.trim();
  if (forcedName !== undefined && forcedName !== '') {
    const name = checkName(forcedName, BACKEND_ENV_VAR);
    const outcome = await tryBackend(name, load, options.nativeOptions);
    if (!outcome.ok) {
      throw new ResourceError(`${BACKEND_ENV_VAR}=${name} was requested but cannot be used`, {
        field: BACKEND_ENV_VAR,
        expected: 'an installed, working backend',
        actual: outcome.reason,
      });
    }
    const info: BackendInfo = { name, tfBackend: tf.getBackend(), forced: true, rejected: [] };
    logger.info(`compute backend: ${name} (forced by ${BACKEND_ENV_VAR})`, { ...info });
    return info;
  }

  const first = options.prefer === undefined ? ORDER[0] : checkName(options.prefer, 'prefer');
  const order = [first, ...ORDER.filter((n) => n !== first)];
  const rejected: BackendInfo['rejected'] = [];
  for (const name of order) {
    const outcome = await tryBackend(name, load, options.nativeOptions);
    if (outcome.ok) {
      const info: BackendInfo = { name, tfBackend: tf.getBackend(), forced: false, rejected };
      logger.info(`compute backend: ${name}`, { ...info });
      return info;
    }
    rejected.push({ name, reason: outcome.reason });
    logger.debug(`compute backend ${name} not used: ${outcome.reason}`);
  }
  // Unreachable in practice: the pure CPU backend always loads.
  throw new ResourceError('no TensorFlow.js backend could be initialised', { actual: rejected });
}

type Outcome = { ok: true } | { ok: false; reason: string };

async function tryBackend(
  name: BackendName,
  load: ModuleLoader,
  nativeOptions: Record<string, unknown> = {},
): Promise<Outcome> {
  try {
    if (name === 'tfjs-node-gpu') {
      // Limitation: exercised only with a simulated loader; tfjs-node-gpu cannot install here.
      await load('@tensorflow/tfjs-node-gpu');
      if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: 'setBackend failed' };
      return smokeTest();
    }
    if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'setBackend(cpu) failed' };
    // tfjs-cpu's element-by-element Slice/PadV2 dominate a UNet step; replace them on both CPU paths.
    registerCopyKernels();
    if (name === 'native') {
      const mod = await load('@voxelkit/backend-native');
      const register = mod.registerNativeKernels;
      if (typeof register !== 'function') {
        return { ok: false, reason: '@voxelkit/backend-native has no registerNativeKernels()' };
      }
      if ((register as (o: Record<string, unknown>) => unknown)(nativeOptions) !== true) {
        const why = mod.nativeUnavailableReason;
        const detail = typeof why === 'function' ? (why as () => unknown)() : undefined;
        return {
          ok: false,
          reason: `native kernels unavailable: ${detail ?? 'addon not built or not loadable'}`,
        };
      }
    }
    return smokeTest();
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** A tiny conv3d: proves the active backend computes, and what we use most. */
function smokeTest(): Outcome {
  const value = tf.tidy(() => {
    const x = tf.ones([1, 3, 3, 3, 1]) as tf.Tensor5D;
    const w = tf.ones([3, 3, 3, 1, 1]) as tf.Tensor5D;
    return tf.conv3d(x, w, 1, 'valid').dataSync()[0];
  });
  return value === 27 ? { ok: true } : { ok: false, reason: `conv3d smoke test gave ${value}` };
}

function checkName(value: string, field: string): BackendName {
  if ((ORDER as readonly string[]).includes(value)) return value as BackendName;
  throw new ArgumentError('unknown compute backend', {
    field,
    expected: ORDER.join(' | '),
    actual: value,
  });
}

function defaultEnv(): Record<string, string | undefined> {
  return typeof process !== 'undefined' && process.env !== undefined ? process.env : {};
}

const defaultLoader: ModuleLoader = async (specifier) => {
  // A computed specifier keeps bundlers from resolving (and requiring) optional packages.
  const name = String(specifier);
  return (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
};
