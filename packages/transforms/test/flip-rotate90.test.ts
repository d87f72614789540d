import { describe, expect, it } from 'vitest';
import { applyAffine, DataError, ArgumentError } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  Flipd,
  RandFlipd,
  RandRotate90d,
  Rotate90d,
  augmentationInverters,
  flip,
  rotate90,
} from '@voxelkit/transforms';
import type { AppliedOperation } from '@voxelkit/transforms';
import { augmentJson, context, flatten, nestedShape, vol } from './transform-fixtures.js';

const golden = augmentJson();
const arange = () => vol(flatten(golden.fixed_input_arange_1x3x4x5), [1, 3, 4, 5]);
const expected = (name: string) => {
  const nested = golden.fixed_decisions[name];
  return { data: flatten(nested), shape: nestedShape(nested) };
};

describe('Flipd / RandFlipd against MONAI fixed decisions (arange 1x3x4x5)', () => {
  for (const axis of [0, 1, 2, null] as const) {
    const name = `RandFlipd(prob=1.0, spatial_axis=${axis === null ? 'None' : `[${axis}]`})`;
    it(`${name} equals MONAI exactly`, () => {
      const { ctx } = context(1);
      const out = new RandFlipd({
        keys: ['image'],
        prob: 1,
        spatialAxis: axis === null ? null : [axis],
      }).apply({ image: arange() }, ctx).image as Volume;
      const e = expected(name);
      expect(out.shape).toEqual(e.shape);
      expect(Array.from(out.data)).toEqual(Array.from(e.data));
      const det = new Flipd({ keys: ['image'], spatialAxis: axis }).apply({ image: arange() }, ctx)
        .image as Volume;
      expect(Array.from(det.data)).toEqual(Array.from(e.data));
    });
  }
});

describe('Rotate90d / RandRotate90d against MONAI fixed decisions', () => {
  const planes: [number, number][] = [
    [0, 1],
    [1, 2],
    [0, 2],
  ];
  for (const k of [1, 2, 3]) {
    for (const plane of planes) {
      const name = `Rotate90d(k=${k}, spatial_axes=(${plane[0]}, ${plane[1]}))`;
      it(`${name} equals MONAI exactly (shape and values)`, () => {
        const { ctx } = context();
        const out = new Rotate90d({ keys: ['image'], k, spatialAxes: plane }).apply(
          { image: arange() },
          ctx,
        ).image as Volume;
        const e = expected(name);
        expect(out.shape).toEqual(e.shape);
        expect(Array.from(out.data)).toEqual(Array.from(e.data));
      });
    }
  }

  it('RandRotate90d(prob=1, maxK=1) rotates once in the default plane (0, 1), as MONAI', () => {
    const { ctx } = context(3);
    const out = new RandRotate90d({ keys: ['image'], prob: 1, maxK: 1 }).apply(
      { image: arange() },
      ctx,
    ).image as Volume;
    const e = expected(
      'RandRotate90d(prob=1.0, max_k=1)  # k is always 1, default spatial_axes=(0, 1)',
    );
    expect(out.shape).toEqual([1, 4, 3, 5]);
    expect(Array.from(out.data)).toEqual(Array.from(e.data));
  });
});

describe('array functions on hand-computed inputs', () => {
  it('flip reverses X of a 1x2x2x1 array', () => {
    expect(Array.from(flip(new Float32Array([0, 1, 2, 3]), [1, 2, 2, 1], [0]))).toEqual([
      2, 3, 0, 1,
    ]);
  });

  it('rotate90 k=1 turns [[0,1],[2,3]] into [[1,3],[0,2]] (numpy rot90 direction)', () => {
    const r = rotate90(new Float32Array([0, 1, 2, 3]), [1, 2, 2, 1], 1, [0, 1]);
    expect(Array.from(r.data)).toEqual([1, 3, 0, 2]);
    expect(r.shape).toEqual([1, 2, 2, 1]);
  });

  it('k = 4 and k = -4 are the identity, k = -1 equals k = 3', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    expect(Array.from(rotate90(data, [1, 2, 3, 4], 4).data)).toEqual(Array.from(data));
    expect(Array.from(rotate90(data, [1, 2, 3, 4], -4).data)).toEqual(Array.from(data));
    expect(Array.from(rotate90(data, [1, 2, 3, 4], -1, [1, 2]).data)).toEqual(
      Array.from(rotate90(data, [1, 2, 3, 4], 3, [1, 2]).data),
    );
  });

  it('keeps the dtype (uint8 labels stay uint8) and channels apart', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // C=2, X=2, Y=2, Z=1
    const f = flip(data, [2, 2, 2, 1], [1]);
    expect(f).toBeInstanceOf(Uint8Array);
    expect(Array.from(f)).toEqual([2, 1, 4, 3, 6, 5, 8, 7]);
  });
});

describe('edge cases', () => {
  it('one-voxel-thick axes: flipping them changes nothing, rotating swaps the sizes', () => {
    const data = Float32Array.from({ length: 5 }, (_, i) => i);
    const v = vol(data, [1, 1, 5, 1]);
    const { ctx } = context();
    const flipped = new Flipd({ keys: ['image'], spatialAxis: [0, 2] }).apply({ image: v }, ctx)
      .image as Volume;
    expect(Array.from(flipped.data)).toEqual([0, 1, 2, 3, 4]);
    const rotated = new Rotate90d({ keys: ['image'], k: 1, spatialAxes: [0, 1] }).apply(
      { image: v },
      ctx,
    ).image as Volume;
    expect(rotated.shape).toEqual([1, 5, 1, 1]);
    // out[p, 0] = in[0, Y-1-p]
    expect(Array.from(rotated.data)).toEqual([4, 3, 2, 1, 0]);
  });

  it('a missing key throws a DataError naming the key and the transform', () => {
    const { ctx } = context();
    const t = new RandFlipd({ keys: ['image', 'label'], prob: 1, spatialAxis: 0 });
    expect(() => t.apply({ image: arange() }, ctx)).toThrow(DataError);
    expect(() => t.apply({ image: arange() }, ctx)).toThrow(/RandFlipd.*"label"/);
  });

  it('allowMissingKeys skips absent keys', () => {
    const { ctx } = context();
    const t = new Flipd({ keys: ['image', 'label'], spatialAxis: 0, allowMissingKeys: true });
    expect(Object.keys(t.apply({ image: arange() }, ctx))).toEqual(['image']);
  });

  it('rejects channel-counting axes and degenerate planes', () => {
    expect(() => new Flipd({ keys: ['image'], spatialAxis: 3 })).toThrow(ArgumentError);
    expect(() => new Rotate90d({ keys: ['image'], spatialAxes: [1, 1] })).toThrow(/spatialAxes/);
    expect(() => new RandRotate90d({ keys: ['image'], maxK: 0 })).toThrow(/maxK/);
  });
});

describe('geometry and inversion', () => {
  const affine = Float64Array.from([0, -2, 0, 10, 1.5, 0, 0, -4, 0, 0, 3, 7, 0, 0, 0, 1]);
  const source = () => {
    const v = vol(
      Float32Array.from({ length: 60 }, (_, i) => i),
      [1, 3, 4, 5],
    );
    v.affine = affine;
    return v;
  };
  const worldOfValue = (v: Volume, value: number) => {
    const i = Array.from(v.data).indexOf(value);
    const [, X, Y, Z] = v.shape;
    return applyAffine(v.affine, [Math.floor(i / (Y * Z)) % X, Math.floor(i / Z) % Y, i % Z]);
  };

  const cases: [string, any][] = [
    ['Flipd axes [0, 2]', new Flipd({ keys: ['image'], spatialAxis: [0, 2] })],
    ['Rotate90d k=1 (1, 2)', new Rotate90d({ keys: ['image'], k: 1, spatialAxes: [1, 2] })],
    ['Rotate90d k=3 (0, 2)', new Rotate90d({ keys: ['image'], k: 3, spatialAxes: [0, 2] })],
    ['Rotate90d k=2 (0, 1)', new Rotate90d({ keys: ['image'], k: 2, spatialAxes: [0, 1] })],
  ];
  for (const [label, t] of cases) {
    it(`${label}: every voxel value keeps its world position, and invertVolume restores the input`, () => {
      const { ctx } = context();
      const input = source();
      const out = t.apply({ image: input }, ctx).image as Volume;
      for (const value of [0, 7, 33, 59]) {
        const a = worldOfValue(input, value);
        const b = worldOfValue(out, value);
        for (let d = 0; d < 3; d++) expect(b[d]).toBeCloseTo(a[d], 9);
      }
      const ops = out.meta.applied as AppliedOperation[];
      expect(ops).toHaveLength(1);
      const back = t.invertVolume(out, ops[0]) as Volume;
      expect(back.shape).toEqual(input.shape);
      expect(Array.from(back.data)).toEqual(Array.from(input.data));
      expect(Array.from(back.affine)).toEqual(Array.from(input.affine));
      expect(back.meta.applied).toEqual([]);
      const viaTable = augmentationInverters[ops[0].transform](out, ops[0]);
      expect(Array.from(viaTable.data)).toEqual(Array.from(input.data));
    });
  }

  it('RandFlipd flips image and label together and records nothing when it does not flip', () => {
    let flips = 0;
    for (let seed = 0; seed < 40; seed++) {
      const { ctx } = context(seed);
      const image = source();
      const label = vol(
        Uint8Array.from({ length: 60 }, (_, i) => i),
        [1, 3, 4, 5],
      );
      const out = new RandFlipd({ keys: ['image', 'label'], prob: 0.5, spatialAxis: 1 }).apply(
        { image, label },
        ctx,
      );
      const im = out.image as Volume;
      const lb = out.label as Volume;
      expect(Array.from(im.data)).toEqual(Array.from(lb.data));
      if (im.data[0] !== 0) flips++;
      expect((im.meta.applied as unknown[] | undefined)?.length ?? 0).toBe(
        im.data[0] !== 0 ? 1 : 0,
      );
    }
    expect(flips).toBeGreaterThan(5);
    expect(flips).toBeLessThan(35);
  });
});
