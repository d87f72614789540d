import { describe, expect, it } from 'vitest';
import { DataError, Rng, ShapeError, silentLogger } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  DivisiblePadd,
  RandCropByPosNegLabeld,
  SpatialCropd,
  SpatialPadd,
  candidateIndices,
  correctCropCenter,
  samplePosNegCenters,
} from '@voxelkit/transforms';
import type { DataRecord } from '@voxelkit/transforms';
import { augmentJson, band, context, readF32, readU8, vol } from './transform-fixtures.js';

const golden = augmentJson();
const g = golden.RandCropByPosNegLabeld;

function cropSource(): { image: Volume; label: Volume } {
  const src = golden.crop_source;
  return {
    image: vol(readF32(`${src.dir}/${src.image}`), src.shape),
    label: vol(readU8(`${src.dir}/${src.label}`), src.shape),
  };
}

const at = (v: Volume, [x, y, z]: number[]) => v.data[(x * v.shape[2] + y) * v.shape[3] + z];

describe('correctCropCenter against MONAI correct_crop_centers (exact)', () => {
  for (const c of golden.correct_crop_centers) {
    it(`centre ${JSON.stringify(c.center)} size ${c.spatial_size[0]} on ${JSON.stringify(c.shape)} → ${JSON.stringify(c.corrected)}`, () => {
      expect(
        correctCropCenter(c.center, c.spatial_size, c.shape, c.allow_smaller ?? false),
      ).toEqual(c.corrected);
    });
  }

  it('odd sizes: the crop [c - s//2, c - s//2 + s) stays inside for every centre', () => {
    for (const size of [1, 3, 5, 7]) {
      for (let c = -2; c < 12; c++) {
        const [x] = correctCropCenter([c, 0, 0], [size, 1, 1], [10, 1, 1]);
        expect(x - Math.floor(size / 2)).toBeGreaterThanOrEqual(0);
        expect(x - Math.floor(size / 2) + size).toBeLessThanOrEqual(10);
      }
    }
  });
});

describe('RandCropByPosNegLabeld against MONAI distributions (ct_lps_train, 24³, pos=neg=1, 4 samples)', () => {
  it('crop shapes, on-foreground fraction, inside/equality fractions and centre range', () => {
    const { image, label } = cropSource();
    const t = new RandCropByPosNegLabeld({
      keys: ['image', 'label'],
      labelKey: 'label',
      spatialSize: [24, 24, 24],
      pos: 1,
      neg: 1,
      numSamples: 4,
      imageKey: 'image',
      imageThreshold: 0,
    });
    const cands = candidateIndices(label, image, 0);
    expect(cands.foreground.length).toBe(g.num_fg_voxels);
    expect(cands.background.length).toBe(g.num_bg_voxels_image_gt_threshold);

    const { ctx } = context(2024);
    let onFg = 0;
    let containsFg = 0;
    let n = 0;
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (let call = 0; call < g.draws / 4; call++) {
      const patches = t.apply({ image, label }, ctx) as DataRecord[];
      expect(patches).toHaveLength(4);
      for (const p of patches) {
        const im = p.image as Volume;
        const lb = p.label as Volume;
        expect(im.shape).toEqual(g.crop_shapes_seen[0]);
        expect(lb.shape).toEqual(g.crop_shapes_seen[0]);
        const c = im.meta.cropCenter as number[];
        expect(lb.meta.cropCenter).toEqual(c);
        if (at(label, c) > 0) onFg++;
        if (lb.data.some((v) => v > 0)) containsFg++;
        for (let d = 0; d < 3; d++) {
          lo[d] = Math.min(lo[d], c[d]);
          hi[d] = Math.max(hi[d], c[d]);
        }
        // Content equals image[c - 12 : c + 12] (checked on a few voxels per patch to stay fast).
        const start = c.map((v) => v - 12);
        for (const q of [
          [0, 0, 0],
          [23, 23, 23],
          [5, 17, 11],
        ]) {
          expect(at(im, q)).toBe(at(image, [start[0] + q[0], start[1] + q[1], start[2] + q[2]]));
          expect(at(lb, q)).toBe(at(label, [start[0] + q[0], start[1] + q[1], start[2] + q[2]]));
        }
        n++;
      }
    }
    const p = g.fraction_center_on_foreground_after_correction;
    expect(Math.abs(onFg / n - p)).toBeLessThan(band(p, n));
    expect(containsFg / n).toBe(g.fraction_crops_containing_foreground);
    const valid = g.valid_center_range_inclusive_per_axis as number[][];
    for (let d = 0; d < 3; d++) {
      expect(lo[d]).toBeGreaterThanOrEqual(valid[d][0]);
      expect(hi[d]).toBeLessThanOrEqual(valid[d][1]);
    }
    expect(lo).toEqual(g.center_min_per_axis);
    expect(hi).toEqual(g.center_max_per_axis);
  });

  it('raw centres (size 1, no clamping): half on foreground; background centres always inside the body', () => {
    const { image, label } = cropSource();
    const raw = g.raw_centres_spatial_size_1;
    const centers = samplePosNegCenters(
      candidateIndices(label, image, 0),
      image.shape.slice(1),
      {
        spatialSize: [1, 1, 1],
        numSamples: raw.draws,
        posRatio: 0.5,
        allowSmaller: false,
        logger: silentLogger,
      },
      new Rng(77),
    );
    const fg = centers.filter((c) => at(label, c) > 0);
    const bg = centers.filter((c) => at(label, c) === 0);
    expect(Math.abs(fg.length / raw.draws - 0.5)).toBeLessThan(band(0.5, raw.draws));
    expect(Math.abs(fg.length / raw.draws - raw.fraction_on_foreground)).toBeLessThan(
      band(0.5, raw.draws) * 1.5,
    );
    expect(bg.every((c) => at(image, c) > 0)).toBe(true);
  });

  it('ROI larger than the image: allowSmaller=false throws a ShapeError; true keeps the short dims whole', () => {
    const { image, label } = cropSource();
    const base = {
      keys: ['image', 'label'],
      labelKey: 'label',
      spatialSize: [96, 96, 96],
      numSamples: 2,
      imageKey: 'image',
    };
    const { ctx } = context(1, 'ct_lps_train');
    expect(() => new RandCropByPosNegLabeld(base).apply({ image, label }, ctx)).toThrow(ShapeError);
    expect(() => new RandCropByPosNegLabeld(base).apply({ image, label }, ctx)).toThrow(
      /larger than the image.*ct_lps_train/,
    );
    const out = new RandCropByPosNegLabeld({ ...base, allowSmaller: true }).apply(
      { image, label },
      ctx,
    ) as DataRecord[];
    const shapes = golden.roi_larger_than_image_allow_smaller_True.output_shapes;
    expect(out.map((r) => (r.image as Volume).shape)).toEqual(shapes);
    expect(Array.from((out[0].image as Volume).data)).toEqual(Array.from(image.data));
  });

  it('SpatialCropd(roiCenter [18, 12, 17], roiSize 24³) equals MONAI exactly', () => {
    const { image } = cropSource();
    const { ctx } = context();
    const out = new SpatialCropd({
      keys: ['image'],
      roiCenter: [18, 12, 17],
      roiSize: [24, 24, 24],
    }).apply({ image }, ctx).image as Volume;
    expect(out.shape).toEqual(golden.fixed_crop.output.shape);
    expect(Array.from(out.data)).toEqual(Array.from(readF32(golden.fixed_crop.output.file)));
  });
});

/** cases.md #17: a 64³ image with a 32³ body (value 1) in the centre. */
function bodyCase(labelValue = 0) {
  const n = 64;
  const image = vol(new Float32Array(n * n * n), [1, n, n, n]);
  for (let x = 16; x < 48; x++)
    for (let y = 16; y < 48; y++) for (let z = 16; z < 48; z++) image.data[(x * n + y) * n + z] = 1;
  const label = vol(new Uint8Array(n * n * n), [1, n, n, n]);
  if (labelValue) label.data[(30 * n + 31) * n + 32] = labelValue;
  return { image, label };
}
const case17 = () =>
  new RandCropByPosNegLabeld({
    keys: ['image', 'label'],
    labelKey: 'label',
    spatialSize: [16, 16, 16],
    pos: 1,
    neg: 1,
    numSamples: 4,
    imageKey: 'image',
    imageThreshold: 0,
  });

describe('cases.md #17: no positive voxels in the label', () => {
  it('A: 4 crops of 16³, every centre inside the body, exactly one warning naming the case', () => {
    const { ctx, logger } = context(3, 'case_017');
    const out = case17().apply(bodyCase(), ctx) as DataRecord[];
    expect(out).toHaveLength(4);
    for (const r of out) {
      expect((r.image as Volume).shape).toEqual([1, 16, 16, 16]);
      const c = (r.image as Volume).meta.cropCenter as number[];
      expect(c.every((v) => v >= 16 && v < 48)).toBe(true);
    }
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('case_017');
  });

  it('B: image and label all zero → DataError "no sampling location" naming the case', () => {
    const n = 8;
    const { ctx } = context(0, 'case_empty');
    const rec = {
      image: vol(new Float32Array(n ** 3), [1, n, n, n]),
      label: vol(new Uint8Array(n ** 3), [1, n, n, n]),
    };
    const t = new RandCropByPosNegLabeld({
      keys: ['image', 'label'],
      labelKey: 'label',
      spatialSize: [4, 4, 4],
      imageKey: 'image',
    });
    expect(() => t.apply(rec, ctx)).toThrow(DataError);
    expect(() => t.apply(rec, ctx)).toThrow(/no sampling location.*case_empty/);
  });

  it('C: same seed → same 4 centres; different seed → different centres', () => {
    const centres = (seed: number) =>
      (case17().apply(bodyCase(), context(seed, 'c').ctx) as DataRecord[]).map(
        (r) => (r.image as Volume).meta.cropCenter,
      );
    expect(centres(42)).toEqual(centres(42));
    expect(centres(42)).not.toEqual(centres(43));
  });

  it('labels with values other than 0/1: any value > 0 is foreground', () => {
    const { image, label } = bodyCase(2);
    const c = candidateIndices(label, image, 0);
    expect(Array.from(c.foreground)).toEqual([(30 * 64 + 31) * 64 + 32]);
    const t = new RandCropByPosNegLabeld({ ...case17().options, pos: 1, neg: 0 });
    const { ctx, logger } = context(9);
    for (const r of t.apply({ image, label }, ctx) as DataRecord[]) {
      expect((r.image as Volume).meta.cropCenter).toEqual([30, 31, 32]);
      expect((r.label as Volume).data.some((v) => v === 2)).toBe(true);
    }
    expect(logger.records).toHaveLength(0);
  });

  it('one-hot labels: channel 0 (background) is ignored, any other channel > 0 is foreground', () => {
    const label = vol(Uint8Array.from([1, 0, 1, 0, 1, 0]), [2, 3, 1, 1]); // ch0 = [1,0,1], ch1 = [0,1,0]
    expect(Array.from(candidateIndices(label).foreground)).toEqual([1]);
    expect(Array.from(candidateIndices(label).background)).toEqual([0, 2]);
  });
});

describe('cases.md #18: image smaller than the crop', () => {
  const n = 40;
  const make = () => {
    const image = vol(new Float32Array(n ** 3).fill(1), [1, n, n, n]);
    const label = vol(new Uint8Array(n ** 3), [1, n, n, n]);
    label.data[(20 * n + 20) * n + 20] = 1;
    return { image, label };
  };
  const opts = {
    keys: ['image', 'label'],
    labelKey: 'label',
    spatialSize: [96, 96, 96],
    numSamples: 2,
    imageKey: 'image',
  };

  it('allowSmaller=false → ShapeError', () => {
    expect(() => new RandCropByPosNegLabeld(opts).apply(make(), context().ctx)).toThrow(ShapeError);
  });

  it('allowSmaller=true → 40³ crops, then SpatialPadd → 96³ or DivisiblePadd(16) → 48³ with the data centred', () => {
    const { ctx } = context();
    const crops = new RandCropByPosNegLabeld({ ...opts, allowSmaller: true }).apply(
      make(),
      ctx,
    ) as DataRecord[];
    expect(crops.map((r) => (r.image as Volume).shape)).toEqual([
      [1, 40, 40, 40],
      [1, 40, 40, 40],
    ]);
    const padded = new SpatialPadd({ keys: ['image', 'label'], spatialSize: [96, 96, 96] }).apply(
      crops[0],
      ctx,
    );
    const pim = padded.image as Volume;
    expect(pim.shape).toEqual([1, 96, 96, 96]);
    // symmetric: 28 before, 28 after
    expect(at(pim, [27, 50, 50])).toBe(0);
    expect(at(pim, [28, 28, 28])).toBe(1);
    expect(at(pim, [67, 67, 67])).toBe(1);
    expect(at(pim, [68, 50, 50])).toBe(0);
    expect(at(padded.label as Volume, [48, 48, 48])).toBe(1);
    const div = new DivisiblePadd({ keys: ['image'], k: 16 }).apply(crops[1], ctx).image as Volume;
    expect(div.shape).toEqual([1, 48, 48, 48]);
    expect(at(div, [3, 4, 4])).toBe(0);
    expect(at(div, [4, 4, 4])).toBe(1);
  });

  it('a positive voxel at the corner (0,0,0) of a 64³ image with 16³ crops → centre (8,8,8), crop contains it', () => {
    const m = 64;
    const image = vol(new Float32Array(m ** 3).fill(1), [1, m, m, m]);
    const label = vol(new Uint8Array(m ** 3), [1, m, m, m]);
    label.data[0] = 1;
    const t = new RandCropByPosNegLabeld({
      keys: ['image', 'label'],
      labelKey: 'label',
      spatialSize: [16, 16, 16],
      pos: 1,
      neg: 0,
      numSamples: 3,
    });
    for (const r of t.apply({ image, label }, context(4).ctx) as DataRecord[]) {
      expect((r.label as Volume).meta.cropCenter).toEqual([8, 8, 8]);
      expect((r.label as Volume).data[0]).toBe(1);
    }
  });
});

describe('crop bookkeeping', () => {
  it('patches record their crop: affine shifted by the start, and inversion puts them back', () => {
    const n = 10;
    const image = vol(
      Float32Array.from({ length: n ** 3 }, (_, i) => i + 1),
      [1, n, n, n],
    );
    image.affine = Float64Array.from([2, 0, 0, 5, 0, 3, 0, 6, 0, 0, 4, 7, 0, 0, 0, 1]);
    const label = vol(new Uint8Array(n ** 3).fill(1), [1, n, n, n]);
    const t = new RandCropByPosNegLabeld({
      keys: ['image'],
      labelKey: 'label',
      spatialSize: [4, 4, 4],
      numSamples: 1,
    });
    const [p] = t.apply({ image, label }, context(6).ctx) as DataRecord[];
    const im = p.image as Volume;
    const c = im.meta.cropCenter as number[];
    const start = c.map((v) => v - 2);
    expect(Array.from(im.affine)).toEqual([
      2,
      0,
      0,
      5 + 2 * start[0],
      0,
      3,
      0,
      6 + 3 * start[1],
      0,
      0,
      4,
      7 + 4 * start[2],
      0,
      0,
      0,
      1,
    ]);
    expect(p.label).toBe(label); // keys not listed pass through untouched
    const op = (im.meta.applied as any[])[0];
    const back = t.invertVolume(im, op);
    expect(back.shape).toEqual([1, n, n, n]);
    expect(Array.from(back.affine)).toEqual(Array.from(image.affine));
    expect(at(back, c)).toBe(at(image, c));
    expect(back.data.filter((v) => v !== 0).length).toBe(64);
  });

  it('rejects bad options', () => {
    const base = { keys: ['image'], labelKey: 'label', spatialSize: [4, 4, 4] };
    expect(() => new RandCropByPosNegLabeld({ ...base, pos: 0, neg: 0 })).toThrow(/pos and neg/);
    expect(() => new RandCropByPosNegLabeld({ ...base, numSamples: 0 })).toThrow(/numSamples/);
    expect(() => new RandCropByPosNegLabeld({ ...base, spatialSize: [4, 4] })).toThrow(
      /spatialSize/,
    );
  });
});

describe('candidate caching', () => {
  it('a new image or threshold for the same label array gives fresh candidates', () => {
    const n = 8;
    const label = vol(new Uint8Array(n ** 3), [1, n, n, n]);
    const left = vol(new Float32Array(n ** 3), [1, n, n, n]);
    const right = vol(new Float32Array(n ** 3), [1, n, n, n]);
    for (let i = 0; i < n ** 3; i++) {
      if (Math.floor(i / (n * n)) < 4) left.data[i] = 1;
      else right.data[i] = 1;
    }
    const t = new RandCropByPosNegLabeld({
      keys: ['image'],
      labelKey: 'label',
      spatialSize: [1, 1, 1],
      numSamples: 8,
      imageKey: 'image',
    });
    const xs = (image: Volume, seed: number, thr = 0) =>
      (
        new RandCropByPosNegLabeld({ ...t.options, imageThreshold: thr }).apply(
          { image, label },
          context(seed).ctx,
        ) as DataRecord[]
      ).map((r) => ((r.image as Volume).meta.cropCenter as number[])[0]);
    expect(xs(left, 1).every((x) => x < 4)).toBe(true);
    expect(xs(right, 1).every((x) => x >= 4)).toBe(true);
    expect(xs(left, 2).every((x) => x < 4)).toBe(true);
    expect(() => xs(left, 2, 5)).toThrow(/no sampling location/);
  });
});

describe('grid checks', () => {
  it('an image or key on another grid than the label throws a ShapeError naming the key', () => {
    const label = vol(new Uint8Array(64).fill(1), [1, 4, 4, 4]);
    const image = vol(new Float32Array(60).fill(1), [1, 3, 4, 5]);
    const t = new RandCropByPosNegLabeld({
      keys: ['image', 'label'],
      labelKey: 'label',
      spatialSize: [2, 2, 2],
      imageKey: 'image',
    });
    expect(() => t.apply({ image, label }, context(0, 'c9').ctx)).toThrow(ShapeError);
    expect(() => t.apply({ image, label }, context(0, 'c9').ctx)).toThrow(/"image".*"label".*c9/);
  });
});

describe('spatialSize entries ≤ 0', () => {
  it('mean "the whole axis" (MONAI fall_back_tuple)', () => {
    const label = vol(new Uint8Array(6 * 8 * 8).fill(1), [1, 6, 8, 8]);
    const t = new RandCropByPosNegLabeld({
      keys: ['label'],
      labelKey: 'label',
      spatialSize: [-1, 4, 0],
      numSamples: 2,
    });
    for (const r of t.apply({ label }, context(1).ctx) as DataRecord[]) {
      expect((r.label as Volume).shape).toEqual([1, 6, 4, 8]);
      const c = (r.label as Volume).meta.cropCenter as number[];
      expect(c[0]).toBe(3);
      expect(c[2]).toBe(4);
    }
  });
});
