import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  RandShiftIntensityd,
  ScaleIntensityRanged,
  ShiftIntensityd,
  scaleIntensityRange,
  shiftIntensity,
} from '@voxelkit/transforms';
import {
  GOLDEN,
  augmentJson,
  band,
  context,
  flatten,
  maxAbsDiff,
  readF32,
  vol,
} from './transform-fixtures.js';

/** Golden cases whose full arrays were written, with the step before ScaleIntensityRanged. */
const CASES = ['ct_lps_inference', 'ct_lps_train', 'ct_sal_oblique_inference'];

describe('ScaleIntensityRanged against MONAI golden steps (abs 1e-4)', () => {
  for (const name of CASES) {
    it(`${name}: output of the previous golden step → ScaleIntensityRanged step`, () => {
      const dir = path.join('preprocess', name);
      const meta = JSON.parse(readFileSync(path.join(GOLDEN, dir, 'preprocess.json'), 'utf8'));
      const steps = meta.steps as { step: number; name: string; keys: any }[];
      const at = steps.findIndex((s) => s.name === 'ScaleIntensityRanged');
      // EnsureChannelFirstd's output is not written (identical to LoadImaged's): skip back over it.
      let prev = at - 1;
      while (steps[prev].name === 'EnsureChannelFirstd') prev--;
      const fileOf = (s: { step: number; name: string }) =>
        path.join(dir, `${String(s.step).padStart(2, '0')}_${s.name}_image.f32`);
      const prevShape: number[] = steps[prev].keys.image.stats.shape;
      // LoadImaged's file has no channel axis yet; EnsureChannelFirstd adds it (same bytes).
      const input = vol(
        readF32(fileOf(steps[prev])),
        prevShape.length === 3 ? [1, ...prevShape] : prevShape,
      );
      const want = readF32(fileOf(steps[at]));
      const { ctx } = context();
      const t = new ScaleIntensityRanged({
        keys: ['image'],
        aMin: -57,
        aMax: 164,
        bMin: 0,
        bMax: 1,
        clip: true,
      });
      const out = t.apply({ image: input }, ctx).image as Volume;
      expect(out.dtype).toBe('float32');
      expect(out.shape).toEqual(steps[at].keys.image.stats.shape);
      expect(maxAbsDiff(out.data, want)).toBeLessThanOrEqual(1e-4);
      expect(Array.from(out.affine)).toEqual(Array.from(input.affine));
    });
  }
});

describe('scaleIntensityRange on hand-computed values', () => {
  it('maps [-57, 164] to [0, 1] and clips outside, from int16 input to float32', () => {
    const out = scaleIntensityRange(new Int16Array([-1000, -57, 53, 164, 1000]), {
      aMin: -57,
      aMax: 164,
      bMin: 0,
      bMax: 1,
      clip: true,
    });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(110 / 221, 6);
    expect(out[3]).toBeCloseTo(1, 6);
    expect(out[4]).toBe(1);
  });

  it('without clip, values outside the window extrapolate linearly', () => {
    const out = scaleIntensityRange(new Float32Array([-100, 300]), {
      aMin: 0,
      aMax: 100,
      bMin: -1,
      bMax: 1,
    });
    expect(Array.from(out)).toEqual([-3, 5]);
  });

  it('without bMin/bMax the output is (v - aMin) / (aMax - aMin)', () => {
    expect(
      Array.from(scaleIntensityRange(new Float32Array([0, 50]), { aMin: 0, aMax: 200 })),
    ).toEqual([0, 0.25]);
  });

  it('NaN voxels stay NaN, even with clip (documented, as MONAI)', () => {
    const out = scaleIntensityRange(new Float32Array([NaN, 0, 1000]), {
      aMin: 0,
      aMax: 10,
      bMin: 0,
      bMax: 1,
      clip: true,
    });
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBe(0);
    expect(out[2]).toBe(1);
  });

  it('aMin == aMax only subtracts aMin (+ bMin) and warns', () => {
    const { ctx, logger } = context();
    const t = new ScaleIntensityRanged({ keys: ['image'], aMin: 5, aMax: 5, bMin: 1, bMax: 2 });
    const out = t.apply({ image: vol(new Float32Array([5, 7]), [1, 2, 1, 1]) }, ctx)
      .image as Volume;
    expect(Array.from(out.data)).toEqual([1, 3]);
    expect(logger.records.filter((r) => r.level === 'warn')).toHaveLength(1);
  });

  it('rejects half-given output ranges and non-finite inputs', () => {
    expect(() => new ScaleIntensityRanged({ keys: ['image'], aMin: 0, aMax: 1, bMin: 0 })).toThrow(
      ArgumentError,
    );
    expect(() => new ScaleIntensityRanged({ keys: ['image'], aMin: NaN, aMax: 1 })).toThrow(/aMin/);
  });

  it('a missing key throws a DataError naming the key, the transform and the record', () => {
    const { ctx } = context(0, 'case7');
    const t = new ScaleIntensityRanged({ keys: ['image'], aMin: 0, aMax: 1 });
    expect(() => t.apply({ label: vol(new Float32Array(1), [1, 1, 1, 1]) }, ctx)).toThrow(
      DataError,
    );
    expect(() => t.apply({}, ctx)).toThrow(/ScaleIntensityRanged.*"image".*case7/);
  });
});

describe('RandShiftIntensityd', () => {
  const golden = augmentJson();

  it('offsets (0.25, 0.25), prob 1 equals MONAI on arange 1x3x4x5', () => {
    const { ctx } = context();
    const input = vol(flatten(golden.fixed_input_arange_1x3x4x5), [1, 3, 4, 5]);
    const out = new RandShiftIntensityd({ keys: ['image'], offsets: [0.25, 0.25], prob: 1 }).apply(
      { image: input },
      ctx,
    ).image as Volume;
    const want = flatten(
      golden.fixed_decisions['RandShiftIntensityd(offsets=(0.25, 0.25), prob=1.0)'],
    );
    expect(Array.from(out.data)).toEqual(Array.from(want));
  });

  it('offsets 0.1, prob 0.5 over 4000 draws: fraction and offset range match MONAI and the design', () => {
    const g = golden.distributions['RandShiftIntensityd(offsets=0.10, prob=0.5)'];
    const t = new RandShiftIntensityd({ keys: ['image'], offsets: 0.1, prob: 0.5 });
    const { ctx } = context(11);
    const image = vol(new Float32Array([0]), [1, 1, 1, 1]);
    const offsets: number[] = [];
    for (let i = 0; i < g.draws; i++) {
      const out = t.apply({ image }, ctx).image as Volume;
      if (out !== image) offsets.push(out.data[0]);
    }
    const n = g.draws;
    const fraction = offsets.length / n;
    expect(Math.abs(fraction - 0.5)).toBeLessThan(band(0.5, n));
    expect(Math.abs(fraction - g.fraction_shifted)).toBeLessThan(band(0.5, n) * 1.5);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(-0.1);
    expect(Math.max(...offsets)).toBeLessThan(0.1);
    // Uniform on [-0.1, 0.1): mean 0, sd 0.1/sqrt(3); 4 standard errors.
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    expect(Math.abs(mean)).toBeLessThan((4 * 0.1) / Math.sqrt(3 * offsets.length));
    expect(Math.min(...offsets)).toBeLessThan(-0.09);
    expect(Math.max(...offsets)).toBeGreaterThan(0.09);
  });

  it('shifts every key of a record by the same offset', () => {
    const { ctx } = context(5);
    const t = new RandShiftIntensityd({ keys: ['a', 'b'], offsets: 1, prob: 1 });
    const out = t.apply(
      { a: vol(new Float32Array([0]), [1, 1, 1, 1]), b: vol(new Float32Array([10]), [1, 1, 1, 1]) },
      ctx,
    );
    const a = (out.a as Volume).data[0];
    const b = (out.b as Volume).data[0];
    expect(b - a).toBeCloseTo(10, 5);
    expect((out.a as Volume).meta.lastIntensityShift).toBe(
      (out.b as Volume).meta.lastIntensityShift,
    );
  });

  it('rejects reversed offset ranges and probabilities outside [0, 1]', () => {
    expect(() => new RandShiftIntensityd({ keys: ['image'], offsets: [1, -1] })).toThrow(
      ArgumentError,
    );
    expect(() => new RandShiftIntensityd({ keys: ['image'], offsets: 0.1, prob: 1.5 })).toThrow(
      /prob/,
    );
  });
});

describe('ShiftIntensityd / shiftIntensity', () => {
  it('adds a constant; integer input becomes float32, float64 stays float64', () => {
    const a = shiftIntensity(new Int16Array([1, 2]), 0.5);
    expect(a).toBeInstanceOf(Float32Array);
    expect(Array.from(a)).toEqual([1.5, 2.5]);
    expect(shiftIntensity(new Float64Array([1]), 0.1)).toBeInstanceOf(Float64Array);
    const { ctx } = context();
    const out = new ShiftIntensityd({ keys: ['image'], offset: -1 }).apply(
      { image: vol(new Float32Array([3]), [1, 1, 1, 1]) },
      ctx,
    );
    expect((out.image as Volume).data[0]).toBe(2);
  });
});
