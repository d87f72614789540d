/**
 * The kernels behind `@voxelkit/backend`'s `logSoftmax` (names and contracts documented there)
 * on tfjs' `cpu` backend: ATen's log-softmax and its backward, over the transposed
 * [classes, voxels] layout when the class axis is last and short.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import type { NativeAddon } from './addon.js';
import type { KernelCallCounts } from './kernels.js';
import { float32Input } from './tensor-values.js';

/** Kernel names, as `@voxelkit/backend` exports them (LOG_SOFTMAX_KERNELS). */
export const LOSS_KERNEL_NAMES = ['VoxelkitLogSoftmax', 'VoxelkitLogSoftmaxGrad'] as const;

/** Builds the kernel configs for the `cpu` backend. */
export function createLossKernels(addon: NativeAddon, counts: KernelCallCounts): KernelConfig[] {
  const forward: KernelFunc = ({ inputs, backend, attrs }) => {
    const { logits } = inputs as { logits: TensorInfo };
    const cpu = backend as MathBackendCPU;
    const { axis } = attrs as { axis: number };
    const y = addon.logSoftmax(input(cpu, logits, 'logits'), logits.shape, axis);
    counts.native++;
    return cpu.makeTensorInfo(logits.shape, 'float32', y);
  };

  const backward: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
    const cpu = backend as MathBackendCPU;
    const { axis } = attrs as { axis: number };
    const dx = addon.logSoftmaxGrad(input(cpu, dy, 'dy'), input(cpu, y, 'y'), y.shape, axis);
    counts.native++;
    return cpu.makeTensorInfo(y.shape, 'float32', dx);
  };

  return [
    { kernelName: LOSS_KERNEL_NAMES[0], backendName: 'cpu', kernelFunc: forward },
    { kernelName: LOSS_KERNEL_NAMES[1], backendName: 'cpu', kernelFunc: backward },
  ];
}

const input = (backend: MathBackendCPU, t: TensorInfo, name: string) =>
  float32Input(backend, t, 'native log-softmax kernel', name);
