/**
 * Loading the compiled N-API addon (`build/Release/voxelkit_native.node`). Loading never throws:
 * a missing or broken addon is reported as a reason string so callers can fall back to the
 * tfjs-backend-cpu kernels.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The functions the compiled addon exports (see `native/conv3d.cc`). */
export interface NativeAddon {
  /** NDHWC conv3d; padding per axis [D, H, W] as tfjs computes it (front/back may differ). */
  conv3dForward(
    x: Float32Array,
    xShape: number[],
    filter: Float32Array,
    filterShape: number[],
    strides: number[],
    padFront: number[],
    padBack: number[],
  ): Float32Array;
  /** Gradient of conv3d w.r.t. its input, shaped `inShape` (NDHWC). */
  conv3dBackpropInput(
    dy: Float32Array,
    dyShape: number[],
    filter: Float32Array,
    filterShape: number[],
    strides: number[],
    padFront: number[],
    padBack: number[],
    inShape: number[],
  ): Float32Array;
  /** Gradient of conv3d w.r.t. its filter, shaped `filterShape` ([kD, kH, kW, Cin, Cout]). */
  conv3dBackpropFilter(
    x: Float32Array,
    xShape: number[],
    dy: Float32Array,
    dyShape: number[],
    strides: number[],
    padFront: number[],
    padBack: number[],
    filterShape: number[],
  ): Float32Array;
  /** Broadcasting binary op: 0 add, 1 sub, 2 mul, 3 div, 4 squared difference, 5 max, 6 min. */
  binary(
    op: number,
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
  ): Float32Array;
  /** Reduction over `axes` (dropped from the result): 0 sum, 1 mean, 2 max. */
  reduce(op: number, x: Float32Array, xShape: number[], axes: number[]): Float32Array;
  /** Contiguous copy of `x[..., begin:begin+size, ...]` along `axis`. */
  narrow(
    x: Float32Array,
    xShape: number[],
    axis: number,
    begin: number,
    size: number,
  ): Float32Array;
  /** Log-softmax along `axis` (non-negative). */
  logSoftmax(x: Float32Array, xShape: number[], axis: number): Float32Array;
  /** Gradient of `y = logSoftmax(x)` along `axis`: `dy − exp(y)·Σ_axis dy`. */
  logSoftmaxGrad(dy: Float32Array, y: Float32Array, shape: number[], axis: number): Float32Array;
  /** Softmax along `dim`. */
  softmax(x: Float32Array, xShape: number[], dim: number): Float32Array;
  /** `x < 0 ? alpha * x : x` with `alpha` broadcast against `x`. */
  prelu(x: Float32Array, xShape: number[], alpha: Float32Array, alphaShape: number[]): Float32Array;
  /**
   * PyTorch-style (transposed) convolution of an NCDHW `x` with a tfjs-layout filter and optional
   * bias (see `@voxelkit/backend` `conv3dNcdhw`); returns NCDHW.
   */
  convNcdhw(
    x: Float32Array,
    xShape: number[],
    filter: Float32Array,
    filterShape: number[],
    bias: Float32Array | null,
    stride: number[],
    padding: number[],
    transposed: boolean,
    outputPadding: number[],
  ): Float32Array;
  /** Input gradient of {@link NativeAddon.convNcdhw}, shaped `inShape`. */
  convNcdhwBackpropInput(
    dy: Float32Array,
    dyShape: number[],
    filter: Float32Array,
    filterShape: number[],
    stride: number[],
    padding: number[],
    transposed: boolean,
    outputPadding: number[],
    inShape: number[],
  ): Float32Array;
  /** Filter gradient of {@link NativeAddon.convNcdhw}, in tfjs' filter layout `filterShape`. */
  convNcdhwBackpropFilter(
    x: Float32Array,
    xShape: number[],
    dy: Float32Array,
    dyShape: number[],
    stride: number[],
    padding: number[],
    transposed: boolean,
    outputPadding: number[],
    filterShape: number[],
  ): Float32Array;
  /** Batch norm (+ PReLU when `hasAct`) of NCDHW `x`: `[y, mean, variance]`. */
  batchNormAct(
    x: Float32Array,
    xShape: number[],
    gamma: Float32Array,
    beta: Float32Array,
    alpha: Float32Array,
    runningMean: Float32Array,
    runningVar: Float32Array,
    eps: number,
    training: boolean,
    hasAct: boolean,
  ): [Float32Array, Float32Array, Float32Array];
  /** Gradients of {@link NativeAddon.batchNormAct}: `[dx, dGamma, dBeta, dAlpha]`. */
  batchNormActGrad(
    dy: Float32Array,
    x: Float32Array,
    xShape: number[],
    gamma: Float32Array,
    beta: Float32Array,
    alpha: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    eps: number,
    training: boolean,
    hasAct: boolean,
  ): [Float32Array, Float32Array, Float32Array, Float32Array];
  /** Contiguous copy of `x` with its axes permuted by `perm` (tfjs `Transpose`). */
  transpose(x: Float32Array, xShape: number[], perm: number[]): Float32Array;
  /** `arrays` (shapes equal but for `axis`) joined along `axis` (tfjs `Concat`). */
  concat(arrays: Float32Array[], shapes: number[][], axis: number): Float32Array;
  /** Elementwise: 0 exp, 1 log, 2 neg, 3 sqrt, 4 rsqrt, 5 square. */
  unary(op: number, x: Float32Array): Float32Array;
  /**
   * AdamW updates of many parameters in one call, one pass over each (see `@voxelkit/backend`
   * `adamwUpdate` for the formula): `[param'0, expAvg'0, expAvgSq'0, param'1, …]`.
   */
  adamwUpdateMany(
    params: Float32Array[],
    grads: Float32Array[],
    expAvgs: Float32Array[],
    expAvgSqs: Float32Array[],
    stepSize: number,
    beta1: number,
    beta2: number,
    biasCorrection2Sqrt: number,
    eps: number,
    decay: number,
  ): Float32Array[];
  /** Threads (0 keeps the current count) and layout (0 channels-last view, 1 NCDHW copy). */
  setOptions(threads: number, layout: number): void;
  /** Current ATen settings. */
  info(): AddonInfo;
}

/** ATen settings reported by the addon. */
export interface AddonInfo {
  /** Intra-op threads ATen uses. */
  threads: number;
  /** 0: channels-last views of the tfjs buffers; 1: NCDHW copies. */
  layout: number;
  /** Version of the libtorch the addon was built against. */
  torchVersion: string;
  /** ATen's description of its parallel back-end (OpenMP, thread counts). */
  parallelInfo: string;
}

/** The addon loaded. */
export interface AddonLoaded {
  /** Always true. */
  ok: true;
  /** The loaded addon. */
  addon: NativeAddon;
  /** File it was loaded from. */
  path: string;
}

/** The addon could not be loaded. */
export interface AddonLoadFailure {
  /** Always false. */
  ok: false;
  /** Why not (missing build, wrong ABI, missing libtorch, disabled by environment). */
  reason: string;
  /** File that was tried. */
  path: string;
}

/** Outcome of {@link loadAddon}: the addon, or why it could not be loaded. */
export type AddonLoadResult = AddonLoaded | AddonLoadFailure;

/** Where the build script leaves the addon, relative to this package's root. */
export const DEFAULT_ADDON_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'build',
  'Release',
  'voxelkit_native.node',
);

const cache = new Map<string, AddonLoadResult>();

/**
 * Loads the addon at `addonPath` once (results are cached per path). Never throws. With the
 * environment variable `VOXELKIT_NATIVE_DISABLE=1` it reports the addon as unavailable.
 *
 * @param addonPath - absolute path of a `.node` file; defaults to {@link DEFAULT_ADDON_PATH}.
 * @returns `{ ok: true, addon }`, or `{ ok: false, reason }` when the file is missing, libtorch
 *   cannot be loaded, or the file is not our addon.
 */
export function loadAddon(addonPath: string = DEFAULT_ADDON_PATH): AddonLoadResult {
  // Lets CI (and users chasing a suspected native bug) run the tfjs fallback path on a machine
  // where the addon is built.
  if (typeof process !== 'undefined' && process.env.VOXELKIT_NATIVE_DISABLE === '1') {
    return {
      ok: false,
      reason: 'native addon disabled (VOXELKIT_NATIVE_DISABLE=1)',
      path: addonPath,
    };
  }
  const cached = cache.get(addonPath);
  if (cached) return cached;
  let result: AddonLoadResult;
  try {
    const require = createRequire(import.meta.url);
    const addon = require(addonPath) as Partial<NativeAddon>;
    if (typeof addon.conv3dForward !== 'function' || typeof addon.setOptions !== 'function') {
      result = { ok: false, reason: `${addonPath} is not the voxelkit addon`, path: addonPath };
    } else {
      result = { ok: true, addon: addon as NativeAddon, path: addonPath };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const missing = (error as { code?: string }).code === 'MODULE_NOT_FOUND';
    const reason = missing
      ? `native addon not built (${addonPath} missing; install libtorch-dev and reinstall)`
      : `native addon failed to load: ${message}`;
    result = { ok: false, reason, path: addonPath };
  }
  cache.set(addonPath, result);
  return result;
}
