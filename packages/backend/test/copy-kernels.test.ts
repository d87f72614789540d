import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyKernelsRegistered,
  registerCopyKernels,
  unregisterCopyKernels,
} from '@voxelkit/backend';

// Reference results come from tfjs-backend-cpu's own kernels (unregistered/restored around each
// comparison), so the row-copy kernels must agree with them exactly, value for value.
function withOriginal<T>(fn: () => T): T {
  unregisterCopyKernels();
  try {
    return fn();
  } finally {
    registerCopyKernels();
  }
}

function valuesOf(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  expect(registerCopyKernels()).toBe(true);
});

afterAll(() => unregisterCopyKernels());

describe('row-copy Slice', () => {
  it('crops a 5-D tensor like tfjs-cpu (hand-checked corner)', () => {
    const x = tf.reshape(tf.range(0, 2 * 4 * 5 * 6 * 3, 1, 'float32'), [2, 4, 5, 6, 3]);
    const ours = tf.slice(x, [1, 1, 2, 0, 1], [1, 2, 3, 4, 2]);
    expect(ours.shape).toEqual([1, 2, 3, 4, 2]);
    // First element: flat index of [1,1,2,0,1] = (((1*4+1)*5+2)*6+0)*3+1 = 487.
    expect(ours.dataSync()[0]).toBe(487);
    expect(valuesOf(ours)).toEqual(
      withOriginal(() => valuesOf(tf.slice(x, [1, 1, 2, 0, 1], [1, 2, 3, 4, 2]))),
    );
  });

  it('agrees with tfjs-cpu on random boxes, ranks 1–5, float32/int32/bool', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom<'float32' | 'int32' | 'bool'>('float32', 'int32', 'bool'),
        fc.infiniteStream(fc.double({ min: 0, max: 0.999, noNaN: true })),
        (shape, dtype, u) => {
          const it = u[Symbol.iterator]();
          const begin = shape.map((s) => Math.floor(it.next().value * s));
          const size = shape.map((s, i) => 1 + Math.floor(it.next().value * (s - begin[i])));
          const n = shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(
            Array.from({ length: n }, (_, i) => (i * 7) % 11),
            shape,
            dtype,
          );
          const ours = valuesOf(tf.slice(x, begin, size));
          const ref = withOriginal(() => valuesOf(tf.slice(x, begin, size)));
          x.dispose();
          expect(ours).toEqual(ref);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('handles -1 sizes (to the end)', () => {
    const x = tf.reshape(tf.range(0, 24), [2, 3, 4]);
    expect(valuesOf(tf.slice(x, [1, 1, 1], [-1, -1, 2]))).toEqual([17, 18, 21, 22]);
  });
});

describe('row-copy PadV2', () => {
  it('pads with a constant like tfjs-cpu (hand-checked)', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    expect(
      valuesOf(
        tf.pad(
          x,
          [
            [1, 0],
            [0, 1],
          ],
          9,
        ),
      ),
    ).toEqual([9, 9, 9, 1, 2, 9, 3, 4, 9]);
  });

  it('agrees with tfjs-cpu on random paddings, ranks 1–5', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            size: fc.integer({ min: 1, max: 4 }),
            before: fc.integer({ min: 0, max: 2 }),
            after: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.constantFrom(0, -1.5),
        (axes, value) => {
          const shape = axes.map((a) => a.size);
          const paddings = axes.map((a) => [a.before, a.after] as [number, number]);
          const n = shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(
            Array.from({ length: n }, (_, i) => i + 1),
            shape,
            'float32',
          );
          const ours = valuesOf(tf.pad(x, paddings, value));
          const ref = withOriginal(() => valuesOf(tf.pad(x, paddings, value)));
          x.dispose();
          expect(ours).toEqual(ref);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives the same gradients through pad and slice as tfjs-cpu', () => {
    const x = tf.randomNormal([1, 5, 4, 3, 2], 0, 1, 'float32', 7);
    const weights = tf.reshape(tf.range(0, 120), [1, 5, 4, 3, 2]);
    const f = (t: tf.Tensor) => {
      const padded = tf.pad(t, [
        [0, 0],
        [1, 2],
        [0, 1],
        [1, 1],
        [0, 0],
      ]);
      return tf.sum(tf.mul(tf.slice(padded, [0, 1, 0, 1, 0], [1, 5, 4, 3, 2]), weights));
    };
    const ours = valuesOf(tf.grad(f)(x));
    const ref = withOriginal(() => valuesOf(tf.grad(f)(x)));
    expect(ours).toEqual(ref);
    expect(copyKernelsRegistered()).toBe(true);
  });
});
