/**
 * The kernel behind `@voxelkit/backend`'s `adamwUpdateMany` / `adamwUpdate` (name and contract
 * documented there) on tfjs' `cpu` backend: one call for all parameters, one pass over each
 * parameter and its moments instead of a dozen tfjs ops per parameter.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import type { NativeAddon } from './addon.js';
import type { KernelCallCounts } from './kernels.js';
import { float32Input } from './tensor-values.js';

/** Kernel names, as `@voxelkit/backend` exports them (ADAMW_KERNEL). */
export const OPTIM_KERNEL_NAMES = ['VoxelkitAdamW'] as const;

interface AdamWAttrs {
  stepSize: number;
  beta1: number;
  beta2: number;
  biasCorrection2Sqrt: number;
  eps: number;
  decay: number;
}

/** Builds the kernel configs for the `cpu` backend. */
export function createOptimKernels(addon: NativeAddon, counts: KernelCallCounts): KernelConfig[] {
  const adamw: KernelFunc = ({ inputs, backend, attrs }) => {
    const t = inputs as Record<string, TensorInfo>;
    const cpu = backend as MathBackendCPU;
    const a = attrs as unknown as AdamWAttrs & { count: number };
    const lists = { param: [] as Float32Array[], grad: [] as Float32Array[] };
    const moments = { expAvg: [] as Float32Array[], expAvgSq: [] as Float32Array[] };
    for (let i = 0; i < a.count; i++) {
      lists.param.push(input(cpu, t[`param${i}`], `param${i}`));
      lists.grad.push(input(cpu, t[`grad${i}`], `grad${i}`));
      moments.expAvg.push(input(cpu, t[`expAvg${i}`], `expAvg${i}`));
      moments.expAvgSq.push(input(cpu, t[`expAvgSq${i}`], `expAvgSq${i}`));
    }
    const out = addon.adamwUpdateMany(
      lists.param,
      lists.grad,
      moments.expAvg,
      moments.expAvgSq,
      a.stepSize,
      a.beta1,
      a.beta2,
      a.biasCorrection2Sqrt,
      a.eps,
      a.decay,
    );
    counts.native++;
    return out.map((values, k) =>
      cpu.makeTensorInfo(t[`param${Math.floor(k / 3)}`].shape, 'float32', values),
    );
  };
  return [{ kernelName: OPTIM_KERNEL_NAMES[0], backendName: 'cpu', kernelFunc: adamw }];
}

const input = (backend: MathBackendCPU, t: TensorInfo, name: string) =>
  float32Input(backend, t, 'native AdamW kernel', name);
