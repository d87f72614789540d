/**
 * Invariants over random shapes and parameters (fast-check): every recorded augmentation is
 * undone exactly by its inverse, and the geometry bookkeeping agrees with the data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVolume } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  augmentationInverters,
  flipVolume,
  padWindow,
  rotate90Volume,
  windowVolume,
} from '@voxelkit/transforms';
import type { AppliedOperation } from '@voxelkit/transforms';

const shapeArb = fc.tuple(
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 5 }),
);
const planeArb = fc.constantFrom<[number, number]>([0, 1], [1, 2], [0, 2], [1, 0], [2, 1], [2, 0]);

function volumeOf([c, x, y, z]: [number, number, number, number]): Volume {
  const data = Float32Array.from({ length: c * x * y * z }, (_, i) => i + 1);
  const affine = Float64Array.from([0.8, 0.1, 0, -20, -0.1, 0.8, 0, 30, 0, 0, 2.5, 5, 0, 0, 0, 1]);
  return createVolume(data, [c, x, y, z], affine);
}

function undo(v: Volume): Volume {
  const op = (v.meta.applied as AppliedOperation[]).at(-1)!;
  return augmentationInverters[op.transform](v, op);
}

const same = (a: Volume, b: Volume) => {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
  for (let i = 0; i < 16; i++) expect(a.affine[i]).toBeCloseTo(b.affine[i], 9);
  expect(a.meta.applied ?? []).toEqual(b.meta.applied ?? []);
};

describe('augmentation invariants (property-based)', () => {
  it('flip then its inverse is the identity; flipping twice is the identity', () => {
    fc.assert(
      fc.property(shapeArb, fc.subarray([0, 1, 2], { minLength: 1 }), (shape, axes) => {
        const v = volumeOf(shape);
        same(undo(flipVolume(v, axes)), v);
        const twice = flipVolume(flipVolume(v, axes), axes);
        expect(Array.from(twice.data)).toEqual(Array.from(v.data));
      }),
      { numRuns: 60 },
    );
  });

  it('rotate90 by k then its inverse is the identity; four quarter turns are the identity', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: -5, max: 5 }), planeArb, (shape, k, plane) => {
        const v = volumeOf(shape);
        same(undo(rotate90Volume(v, k, plane)), v);
        let r = v;
        for (let i = 0; i < 4; i++) r = rotate90Volume(r, 1, plane);
        expect(r.shape).toEqual(v.shape);
        expect(Array.from(r.data)).toEqual(Array.from(v.data));
      }),
      { numRuns: 60 },
    );
  });

  it('pad then inverse restores the volume; the padded sum equals the original sum', () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.tuple(
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 8 }),
        ),
        fc.constantFrom<'symmetric' | 'end'>('symmetric', 'end'),
        (shape, target, method) => {
          const v = volumeOf(shape);
          const w = padWindow(v.shape.slice(1), target, method);
          const padded = windowVolume(v, w.start, w.size, 'SpatialPadd');
          const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0);
          expect(sum(padded.data)).toBe(sum(v.data));
          same(undo(padded), v);
        },
      ),
      { numRuns: 60 },
    );
  });
});
