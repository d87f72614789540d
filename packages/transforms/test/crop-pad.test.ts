import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  DivisiblePadd,
  SpatialCropd,
  SpatialPadd,
  cropBoxFromCenter,
  divisiblePad,
  extractWindow,
  padWindow,
  spatialCrop,
  spatialPad,
} from '@voxelkit/transforms';
import type { AppliedOperation } from '@voxelkit/transforms';
import { context, vol } from './transform-fixtures.js';

describe('crop and pad array functions', () => {
  it('extractWindow pads before and after with the fill value', () => {
    expect(
      Array.from(extractWindow(new Float32Array([1, 2]), [1, 2, 1, 1], [-1, 0, 0], [4, 1, 1])),
    ).toEqual([0, 1, 2, 0]);
    expect(
      Array.from(extractWindow(new Float32Array([1, 2]), [1, 2, 1, 1], [-1, 0, 0], [4, 1, 1], -7)),
    ).toEqual([-7, 1, 2, -7]);
  });

  it('spatialCrop clips the box to the array', () => {
    const r = spatialCrop(new Float32Array([0, 1, 2, 3]), [1, 4, 1, 1], [2, 0, 0], [5, 1, 1]);
    expect(r.shape).toEqual([1, 2, 1, 1]);
    expect(Array.from(r.data)).toEqual([2, 3]);
  });

  it('cropBoxFromCenter follows MONAI SpatialCrop(roi_center, roi_size)', () => {
    expect(cropBoxFromCenter([18, 12, 17], [24, 24, 24], [37, 24, 35])).toEqual({
      start: [6, 0, 5],
      size: [24, 24, 24],
    });
    expect(cropBoxFromCenter([1, 5, 5], [4, 4, 4], [6, 6, 6])).toEqual({
      start: [0, 3, 3],
      size: [4, 3, 3],
    });
  });

  it('spatialPad is symmetric (before = diff // 2) or at the end; never shrinks', () => {
    expect(Array.from(spatialPad(new Float32Array([5]), [1, 1, 1, 1], [3, 1, 1]).data)).toEqual([
      0, 5, 0,
    ]);
    expect(Array.from(spatialPad(new Float32Array([5]), [1, 1, 1, 1], [4, 1, 1]).data)).toEqual([
      0, 5, 0, 0,
    ]);
    expect(
      Array.from(
        spatialPad(new Float32Array([5]), [1, 1, 1, 1], [3, 1, 1], { method: 'end' }).data,
      ),
    ).toEqual([5, 0, 0]);
    expect(padWindow([5, 5, 5], [3, 0, -1])).toEqual({ start: [0, 0, 0], size: [5, 5, 5] });
  });

  it('divisiblePad pads to the next multiple of k per axis', () => {
    expect(divisiblePad(new Float32Array(40 * 33 * 16), [1, 40, 33, 16], 16).shape).toEqual([
      1, 48, 48, 16,
    ]);
    expect(divisiblePad(new Float32Array(10), [1, 10, 1, 1], [4, 1, 1]).shape).toEqual([
      1, 12, 1, 1,
    ]);
  });
});

describe('crop/pad dictionary transforms: geometry and inversion', () => {
  const source = () => {
    const v = vol(
      Float32Array.from({ length: 5 * 6 * 7 }, (_, i) => i + 1),
      [1, 5, 6, 7],
    );
    v.affine = Float64Array.from([1.5, 0, 0, -10, 0, 2, 0, 20, 0, 0, 3, 5, 0, 0, 0, 1]);
    return v;
  };
  const cases: [string, any][] = [
    [
      'SpatialCropd by start/end',
      new SpatialCropd({ keys: ['image'], roiStart: [1, 2, 3], roiEnd: [4, 6, 6] }),
    ],
    [
      'SpatialCropd by centre',
      new SpatialCropd({ keys: ['image'], roiCenter: [2, 3, 3], roiSize: [3, 3, 3] }),
    ],
    ['SpatialPadd', new SpatialPadd({ keys: ['image'], spatialSize: [8, 9, 7] })],
    ['DivisiblePadd', new DivisiblePadd({ keys: ['image'], k: 4 })],
  ];
  for (const [name, t] of cases) {
    it(`${name}: world positions kept, invertVolume restores the grid`, () => {
      const input = source();
      const out = t.apply({ image: input }, context().ctx).image as Volume;
      const op = (out.meta.applied as AppliedOperation[])[0];
      const start = op.params.start as number[];
      // voxel p of the output is voxel p + start of the input: same world point.
      const p = [1, 1, 1];
      const wIn = [0, 1, 2].map(
        (r) => input.affine[r * 4 + r] * (p[r] + start[r]) + input.affine[r * 4 + 3],
      );
      const wOut = [0, 1, 2].map((r) => out.affine[r * 4 + r] * p[r] + out.affine[r * 4 + 3]);
      expect(wOut).toEqual(wIn);
      const back = t.invertVolume(out, op) as Volume;
      expect(back.shape).toEqual(input.shape);
      expect(Array.from(back.affine)).toEqual(Array.from(input.affine));
      expect(back.meta.applied).toEqual([]);
      // every voxel that survived is back in place
      const kept = Array.from(out.data).filter((v) => v !== 0);
      for (const v of kept)
        expect(Array.from(back.data).indexOf(v)).toBe(Array.from(input.data).indexOf(v));
    });
  }

  it('SpatialCropd needs exactly one way of giving the box', () => {
    expect(() => new SpatialCropd({ keys: ['image'] })).toThrow(ArgumentError);
    expect(
      () =>
        new SpatialCropd({
          keys: ['image'],
          roiCenter: [1, 1, 1],
          roiSize: [2, 2, 2],
          roiStart: [0, 0, 0],
          roiEnd: [1, 1, 1],
        }),
    ).toThrow(ArgumentError);
    expect(() => new DivisiblePadd({ keys: ['image'], k: 0 })).toThrow(/k must/);
  });

  it('SpatialPadd value option fills with a constant (e.g. air in HU)', () => {
    const out = new SpatialPadd({ keys: ['image'], spatialSize: [3, 1, 1], value: -1000 }).apply(
      { image: vol(new Float32Array([5]), [1, 1, 1, 1]) },
      context().ctx,
    );
    expect(Array.from((out.image as Volume).data)).toEqual([-1000, 5, -1000]);
  });
});
