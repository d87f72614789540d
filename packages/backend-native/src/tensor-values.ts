/** Reading a tfjs-backend-cpu tensor's values as the Float32Array the addon takes. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/**
 * The float32 values of `t`. tfjs-backend-cpu's Cast to float32 relabels int32/bool data without
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
