import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  adamwUpdate,
  adamwUpdateComposite,
  adamwUpdateMany,
  type AdamWUpdateConstants,
} from '@voxelkit/backend';
import {
  nativeKernelCallCounts,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@voxelkit/backend-native';

import { expectNative } from './expect-native.js';
import { maxRelativeError, randomValues } from './reference.js';

const tensor = (n: number, seed: number, transform = (v: number) => v) =>
  tf.tensor1d(Float32Array.from(randomValues(n, seed), transform));

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe('native AdamW update', () => {
  // Step 3 of lr 1e-4, weight decay 1e-5 (the spleen defaults) and a larger step 1 with decay.
  const steps: [string, AdamWUpdateConstants][] = [
    [
      'step 3, lr 1e-4',
      {
        stepSize: 1e-4 / (1 - 0.9 ** 3),
        beta1: 0.9,
        beta2: 0.999,
        biasCorrection2Sqrt: Math.sqrt(1 - 0.999 ** 3),
        eps: 1e-8,
        decay: 1 - 1e-4 * 1e-5,
      },
    ],
    [
      'step 1, lr 0.5, decay 0.75',
      {
        stepSize: 0.5 / 0.1,
        beta1: 0.9,
        beta2: 0.999,
        biasCorrection2Sqrt: Math.sqrt(0.001),
        eps: 1e-8,
        decay: 0.75,
      },
    ],
  ];

  it.each(steps)('equals the tfjs composition (%s) on 100 003 values', (_label, constants) => {
    const n = 100_003;
    const [p, g, m] = [tensor(n, 1), tensor(n, 2), tensor(n, 3, (v) => v * 0.1)];
    const v = tensor(n, 4, (x) => x * x * 0.01);
    const reference = adamwUpdateComposite(p, g, m, v, constants);
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const before = nativeKernelCallCounts().native;
    const native = adamwUpdate(p, g, m, v, constants);
    expect(nativeKernelCallCounts().native - before).toBe(expectNative ? 1 : 0);
    unregisterNativeKernels();
    for (const key of ['param', 'expAvg', 'expAvgSq'] as const) {
      expect(native[key].shape).toEqual([n]);
      expect(maxRelativeError(native[key].dataSync(), reference[key].dataSync())).toBeLessThan(
        1e-6,
      );
    }
    tf.dispose([p, g, m, v, ...Object.values(reference), ...Object.values(native)]);
  });

  it('computes the hand-worked first step: m = 0.1·g, v = 0.001·g², p = 0.75 − 0.5·sign(g)', () => {
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const p = tf.tensor1d([1, 1]);
    const g = tf.tensor1d([2, -4]);
    const zeros = tf.zeros([2]);
    const r = adamwUpdate(p, g, zeros, zeros, steps[1][1]);
    unregisterNativeKernels();
    const near = (a: ArrayLike<number>, b: number[]) =>
      b.forEach((x, i) => expect(a[i]).toBeCloseTo(x, 6));
    near(r.expAvg.dataSync(), [0.2, -0.4]);
    near(r.expAvgSq.dataSync(), [0.004, 0.016]);
    // m̂/√v̂ = ±1 on the first step, so p = 1·0.75 − 5·0.1·(±1).
    near(r.param.dataSync(), [0.25, 1.25]);
    tf.dispose([p, g, zeros, r.param, r.expAvg, r.expAvgSq]);
  });

  it('updates many parameters of mixed sizes in one call, each as the composition does', () => {
    const sizes = [1, 16, 27 * 16 * 32, 70_000, 3];
    const inputs = sizes.map((n, i) => ({
      param: tensor(n, 10 + i),
      grad: tensor(n, 20 + i),
      expAvg: tensor(n, 30 + i, (v) => v * 0.1),
      expAvgSq: tensor(n, 40 + i, (v) => v * v * 0.01),
    }));
    const constants = steps[0][1];
    const reference = inputs.map((e) =>
      adamwUpdateComposite(e.param, e.grad, e.expAvg, e.expAvgSq, constants),
    );
    expect(registerNativeKernels({ threads: 2 })).toBe(expectNative);
    const before = nativeKernelCallCounts().native;
    const native = adamwUpdateMany(inputs, constants);
    expect(nativeKernelCallCounts().native - before).toBe(expectNative ? 1 : 0);
    unregisterNativeKernels();
    expect(native).toHaveLength(sizes.length);
    native.forEach((r, i) => {
      for (const key of ['param', 'expAvg', 'expAvgSq'] as const) {
        expect(r[key].shape).toEqual([sizes[i]]);
        expect(maxRelativeError(r[key].dataSync(), reference[i][key].dataSync())).toBeLessThan(
          1e-6,
        );
      }
    });
    expect(adamwUpdateMany([], constants)).toEqual([]);
    tf.dispose([
      ...inputs.flatMap((e) => Object.values(e)),
      ...reference.flatMap((r) => Object.values(r)),
      ...native.flatMap((r) => Object.values(r)),
    ]);
  });
});
