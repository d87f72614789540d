import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONV3D_BACKPROP_INPUT_KERNEL, registerGradientFixes } from '@voxelkit/backend';
import { Rng } from '@voxelkit/core';

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
    shape,
  );
}

/** Central finite difference of `f` with respect to element `i` of `x` (float32 maths). */
function finiteDifference(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  i: number,
  h: number,
): number {
  return tf.tidy(() => {
    const base = x.dataSync().slice();
    const plus = base.slice();
    plus[i] += h;
    const minus = base.slice();
    minus[i] -= h;
    const fp = f(tf.tensor(plus, x.shape)).dataSync()[0];
    const fm = f(tf.tensor(minus, x.shape)).dataSync()[0];
    return (fp - fm) / (2 * h);
  });
}

describe('Conv3DBackpropInputV2 gradient (conv3dTranspose)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is registered, and registering again is a no-op', () => {
    expect(tf.getGradient(CONV3D_BACKPROP_INPUT_KERNEL)).toBeDefined();
    expect(registerGradientFixes()).toBe(false);
  });

  for (const pad of ['valid', 'same'] as const) {
    it(`matches finite differences for dy and filter (stride 2, pad ${pad})`, () => {
      const rng = new Rng(7);
      // conv3dTranspose: x [1, 3, 2, 3, inC=2] → output [1, X, Y, Z, outC=3], filter [k, k, k, outC, inC]
      const x = randomTensor([1, 3, 2, 3, 2], rng) as tf.Tensor5D;
      const filter = randomTensor([3, 3, 3, 3, 2], rng) as tf.Tensor5D;
      const outShape: [number, number, number, number, number] =
        pad === 'valid' ? [1, 7, 5, 7, 3] : [1, 6, 4, 6, 3];
      const weights = randomTensor(outShape, rng);
      const loss = (xx: tf.Tensor, ww: tf.Tensor): tf.Scalar =>
        tf.sum(
          tf.mul(
            tf.conv3dTranspose(xx as tf.Tensor5D, ww as tf.Tensor5D, outShape, 2, pad),
            weights,
          ),
        );

      const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => loss(xx, ww))([x, filter]);
      expect(gx.shape).toEqual(x.shape);
      expect(gw.shape).toEqual(filter.shape);
      const gxData = gx.dataSync();
      const gwData = gw.dataSync();
      // The op is linear in each input, so a central difference is exact up to float32 rounding.
      for (const i of [0, 5, 17, 35]) {
        const fd = finiteDifference((xx) => loss(xx, filter), x, i, 0.05);
        expect(Math.abs(fd - gxData[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
      for (const i of [0, 13, 77, 161]) {
        const fd = finiteDifference((ww) => loss(x, ww), filter, i, 0.05);
        expect(Math.abs(fd - gwData[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
      tf.dispose([x, filter, weights, gx, gw]);
    });
  }
});
