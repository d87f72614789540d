import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { slidingWindowInference } from '@voxelkit/inferers';
import type { ArrayWithShape } from '@voxelkit/inferers';

const identity = (w: ArrayWithShape): ArrayWithShape => ({
  data: w.data.slice(),
  shape: [...w.shape],
});

describe('sliding-window invariants (random shapes, rois, overlaps, modes)', () => {
  it('an identity predictor returns the input (every voxel covered, weights normalised)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
        ),
        fc.tuple(
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: 1, max: 7 }),
        ),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.constantFrom('constant' as const, 'gaussian' as const),
        fc.constantFrom('constant' as const, 'reflect' as const, 'replicate' as const),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 2 }),
        async (size, roi, overlap, mode, paddingMode, swBatchSize, batch) => {
          const shape = [batch, 2, ...size];
          const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) =>
            Math.cos(i * 0.61),
          );
          const out = await slidingWindowInference(
            { data, shape },
            { roiSize: roi, overlap, mode, paddingMode, swBatchSize },
            identity,
          );
          expect(out.shape).toEqual(shape);
          for (let i = 0; i < data.length; i++) {
            expect(Math.abs(out.data[i]! - data[i]!)).toBeLessThan(1e-6);
          }
        },
      ),
      { numRuns: 60, seed: 20261204 },
    );
  });
});
