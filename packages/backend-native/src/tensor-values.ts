/** Reading a tfjs-backend-cpu tensor's values as the Float32Array the addon takes. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/**
 * The tensor's values when it is a float32 tensor held as a Float32Array by the cpu backend, else
 * undefined: the kernels that replace tfjs' own hand such tensors back to tfjs.
 */
export function float32Values(backend: MathBackendCPU, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : undefined;
}

/**
 * The float32 values of `t`, for kernels with no tfjs fallback. tfjs-backend-cpu's Cast to float32 relabels int32/bool data without
 * converting it, so a float32 tensor may still be backed by an Int32Array or Uint8Array; those
 * are converted (a copy).
 *
 * @param kernel - named in the error, with `name`, when `t` is not float32.
 * @throws TypeError for a tensor of another dtype.
 */
export function float32Input(
  backend: MathBackendCPU,
  t: TensorInfo,
  kernel: string,
  name: string,
): Float32Array {
  const data = backend.data.get(t.dataId)?.values;
  if (t.dtype !== 'float32' || !ArrayBuffer.isView(data)) {
    throw new TypeError(`${kernel}: input ${name} must be a float32 tensor, got ${t.dtype}`);
  }
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}
