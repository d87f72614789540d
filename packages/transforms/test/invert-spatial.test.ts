/**
 * Invertd invariant: preprocess a CT and its label, invert the preprocessed label back onto the
 * original grid, and compare with the original label. Exact for orientation + crop pipelines;
 * with resampling only voxels on the label boundary may differ.
 */
import { describe, expect, it } from 'vitest';
import type { Volume } from '@voxelkit/core';
import {
  affineMaxAbsDiff,
  createMemoryLogger,
  createVolume,
  DataError,
  Rng,
  ShapeError,
} from '@voxelkit/core';
import type { DataRecord, TransformContext } from '@voxelkit/transforms';
import { CropForegroundd, Invertd, Orientationd, Spacingd } from '@voxelkit/transforms';
import { loadNifti } from '@voxelkit/io';
import path from 'node:path';
import { goldenVolume, readCase, scaleRange, SHARED_DATA, step } from './spatial-golden-helpers.js';

const ctx: TransformContext = { rng: new Rng(0), logger: createMemoryLogger() };

/**
 * Number of voxels of `a` that differ from `b`, and how many of those lie farther than `radius`
 * voxels (Chebyshev) from any voxel of `b` with another value (i.e. off the boundary band).
 */
function compareLabels(
  a: Volume,
  b: Volume,
  radius: number,
): { differing: number; interior: number; foreground: number } {
  const [, sx, sy, sz] = b.shape;
  let differing = 0;
  let interior = 0;
  let foreground = 0;
  const idx = (x: number, y: number, z: number): number => (x * sy + y) * sz + z;
  for (let x = 0; x < sx; x++)
    for (let y = 0; y < sy; y++)
      for (let z = 0; z < sz; z++) {
        const v = b.data[idx(x, y, z)];
        if (v !== 0) foreground++;
        if (a.data[idx(x, y, z)] === v) continue;
        differing++;
        let boundary = false;
        for (let nx = Math.max(0, x - radius); nx <= Math.min(sx - 1, x + radius); nx++)
          for (let ny = Math.max(0, y - radius); ny <= Math.min(sy - 1, y + radius); ny++)
            for (let nz = Math.max(0, z - radius); nz <= Math.min(sz - 1, z + radius); nz++)
              if (b.data[idx(nx, ny, nz)] !== v) boundary = true;
        if (!boundary) interior++;
      }
  return { differing, interior, foreground };
}

function original(name: string): DataRecord {
  const c = readCase(name);
  const s = step(c, 'LoadImaged');
  return { image: goldenVolume(c, s, 'image'), label: goldenVolume(c, s, 'label') };
}

function preprocess(rec: DataRecord, resample: boolean): DataRecord {
  let r = new Orientationd({ keys: ['image', 'label'] }).apply(rec);
  if (resample)
    r = new Spacingd({
      keys: ['image', 'label'],
      pixdim: [1.5, 1.5, 2],
      mode: ['bilinear', 'nearest'],
    }).apply(r);
  r = { ...r, image: scaleRange(r.image as Volume, -57, 164, 0, 1) };
  return new CropForegroundd({ keys: ['image', 'label'], sourceKey: 'image' }).apply(
    r,
    ctx,
  ) as DataRecord;
}

function invertLabel(pre: DataRecord): Volume {
  const pred = pre.label as Volume;
  const rec = { ...pre, pred: { ...pred, meta: {} } };
  return new Invertd({ keys: ['pred'], origKey: 'label', mode: 'nearest' }).apply(rec)
    .pred as Volume;
}

describe.each(['ct_lps_inference', 'ct_sal_oblique_inference'])(
  'Invertd on golden %s inputs',
  (name) => {
    it('orientation + crop only: the inverted label equals the original exactly', () => {
      const orig = original(name);
      const back = invertLabel(preprocess(orig, false));
      const label = orig.label as Volume;
      expect(back.shape).toEqual(label.shape);
      expect(affineMaxAbsDiff(back.affine, label.affine)).toBe(0);
      expect(Array.from(back.data)).toEqual(Array.from(label.data));
    });

    it('with Spacingd: only voxels within 2 voxels of the boundary differ, few of them', () => {
      const orig = original(name);
      const back = invertLabel(preprocess(orig, true));
      const label = orig.label as Volume;
      expect(back.shape).toEqual(label.shape);
      expect(affineMaxAbsDiff(back.affine, label.affine)).toBe(0);
      // The coarsest round trip is 0.8 mm → 1.5 mm → 0.8 mm, so a boundary may move ≤ 2 voxels.
      const r = compareLabels(back, label, 2);
      expect(r.interior).toBe(0);
      // Measured: ct_lps 247 of 143,360 voxels (0.17 %), ct_sal_oblique 154 of 46,080 (0.33 %);
      // the labels are small (1,253 and 395 voxels) and lose their thinnest parts at 1.5 mm.
      expect(r.differing / label.data.length).toBeLessThan(0.005);
    });
  },
);

describe('Invertd on the real CT spleen_ts003', () => {
  it('full inference pipeline (3 mm → 1.5 × 1.5 × 2 mm and back): the label comes back exactly', async () => {
    const dir = path.join(SHARED_DATA, 'spleen-mini');
    const orig: DataRecord = {
      image: await loadNifti(path.join(dir, 'imagesTr/spleen_ts003.nii.gz')),
      label: await loadNifti(path.join(dir, 'labelsTr/spleen_ts003.nii.gz')),
    };
    const back = invertLabel(preprocess(orig, true));
    const label = orig.label as Volume;
    expect(back.shape).toEqual(label.shape);
    expect(affineMaxAbsDiff(back.affine, label.affine)).toBe(0);
    // Measured: 0 of 369,660 voxels differ (9,452 foreground); upsampling by 2 (x, y) and 1.5 (z)
    // with nearest keeps every source voxel reachable on the way back.
    expect(compareLabels(back, label, 1).differing).toBe(0);
  });
});

describe('Invertd after a padded crop', () => {
  it('undoes CropForegroundd with allowSmaller=false (box partly outside the image)', () => {
    const data = new Float32Array(3 * 2 * 2);
    data[0] = 7; // voxel (0, 0, 0)
    const image = createVolume(data, [1, 3, 2, 2]);
    const pre = new CropForegroundd({
      keys: ['image'],
      sourceKey: 'image',
      margin: 2,
      allowSmaller: false,
    }).apply({ image }, ctx);
    expect((pre.image as Volume).shape).toEqual([1, 5, 5, 5]);
    const back = new Invertd({ keys: ['pred'], origKey: 'image' }).apply({
      ...pre,
      pred: pre.image,
    }).pred as Volume;
    expect(back.shape).toEqual([1, 3, 2, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(Array.from(back.affine)).toEqual(Array.from(image.affine));
  });
});

describe('Invertd errors', () => {
  const v = createVolume(new Float32Array(8), [1, 2, 2, 2]);

  it('throws DataError for an operation it cannot undo, naming it', () => {
    const image = { ...v, meta: { applied: [{ transform: 'MyWarp', params: {} }] } };
    expect(() =>
      new Invertd({ keys: ['pred'], origKey: 'image' }).apply({ image, pred: v }),
    ).toThrow(DataError);
    expect(() =>
      new Invertd({ keys: ['pred'], origKey: 'image' }).apply({ image, pred: v }),
    ).toThrow(/MyWarp/);
    const skipped = new Invertd({ keys: ['pred'], origKey: 'image', skip: ['MyWarp'] }).apply({
      image,
      pred: v,
    });
    expect((skipped.pred as Volume).data).toBe(v.data);
  });

  it('throws ShapeError when the prediction is not on the reference grid', () => {
    const pred = createVolume(new Float32Array(27), [1, 3, 3, 3]);
    expect(() =>
      new Invertd({ keys: ['pred'], origKey: 'image' }).apply({ image: v, pred }),
    ).toThrow(ShapeError);
  });
});
