import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerNativeKernels, unregisterNativeKernels } from '@voxelkit/backend-native';

import { conv3dRef, conv3dTransposeRef, randomValues, type Shape5 } from './reference.js';
import { expectNative } from './expect-native.js';

// A down-then-up chain like a UNet level: y = conv3d(x, w1, stride 2, same),
// z = conv3dTranspose(y, w2, stride 2, same), loss = sum(z * r). Odd and even sizes so that
// 'same' padding is asymmetric on one axis.
const xShape: Shape5 = [2, 7, 5, 6, 3];
const w1Shape: Shape5 = [3, 3, 3, 3, 4];
const w2Shape: Shape5 = [3, 3, 3, 2, 4]; // [kD, kH, kW, out channels, in channels]
const zShape: Shape5 = [2, 7, 5, 6, 2];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const f32 = (v: Float64Array) => Float64Array.from(Float32Array.from(v));
const x = f32(randomValues(size(xShape), 1));
const w1 = f32(randomValues(size(w1Shape), 2));
const w2 = f32(randomValues(size(w2Shape), 3));
const r = f32(randomValues(size(zShape), 4));

/** The loss in float64, from the reference convolutions. */
function lossRef(xv: Float64Array, w1v: Float64Array, w2v: Float64Array): number {
  const y = conv3dRef(xv, xShape, w1v, w1Shape, 2, 'same');
  const z = conv3dTransposeRef(y.y, y.shape, w2v, w2Shape, zShape, 2, 'same');
  let loss = 0;
  for (let i = 0; i < z.length; i++) loss += z[i] * r[i];
  return loss;
}

/** Central differences of lossRef w.r.t. entry i of the chosen argument. */
function finiteDifference(which: 0 | 1 | 2, i: number, eps = 1e-3): number {
  const args = [x, w1, w2].map((a) => Float64Array.from(a));
  args[which][i] += eps;
  const up = lossRef(args[0], args[1], args[2]);
  args[which][i] -= 2 * eps;
  const down = lossRef(args[0], args[1], args[2]);
  return (up - down) / (2 * eps);
}

/** Gradients of the loss from the tfjs kernels (native when registered). */
function kernelGradients(): Float32Array[] {
  return tf.tidy(() => {
    const xt = tf.tensor5d(Float32Array.from(x), xShape);
    const w1t = tf.tensor5d(Float32Array.from(w1), w1Shape);
    const w2t = tf.tensor5d(Float32Array.from(w2), w2Shape);
    const rt = tf.tensor5d(Float32Array.from(r), zShape);
    const y = tf.conv3d(xt, w1t, 2, 'same');
    // Through the transposed conv by hand (its autograd gradient is registered by
    // @voxelkit/backend, not here): dL/dy = conv3d(r, w2), dL/dw2 = filter gradient of (r, y).
    const dy = tf.conv3d(rt, w2t, 2, 'same');
    const dw2 = tf
      .engine()
      .runKernel(
        'Conv3DBackpropFilterV2',
        { x: rt, dy: y },
        { strides: 2, pad: 'same', filterShape: w2Shape },
      ) as tf.Tensor;
    // Through conv3d with tfjs' own gradient, which dispatches both backprop kernels.
    const [dx, dw1] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 2, 'same'), dy)),
    )([xt, w1t]);
    return [dx, dw1, dw2].map((g) => g.dataSync() as Float32Array);
  });
}

describe.each([
  ['native kernels', true],
  ['tfjs fallback kernels', false],
] as const)('gradients of a conv3d -> conv3dTranspose chain via %s', (_n, useNative) => {
  let grads: Float32Array[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    if (useNative) expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    grads = kernelGradients();
  });
  afterAll(() => unregisterNativeKernels());

  it.each([
    ['x', 0],
    ['w1', 1],
    ['w2', 2],
  ] as const)('d loss / d %s equals float64 central differences', (_name, which) => {
    const g = grads[which];
    const picks = randomValues(8, 100 + which).map((v) => Math.floor(((v + 1) / 2) * g.length));
    let scale = 1;
    for (const v of g) scale = Math.max(scale, Math.abs(v));
    for (const i of picks) {
      expect(Math.abs(g[i] - finiteDifference(which, i)) / scale).toBeLessThan(1e-4);
    }
  });
});
