/**
 * Full inference pipeline from NIfTI files (LoadImaged with `loadNifti` → EnsureChannelFirstd →
 * Orientationd → Spacingd → ScaleIntensityRanged → CropForegroundd) against MONAI 1.4 golden
 * outputs: the synthetic `ct_lps` case (all arrays) and the real CT `spleen_ts003` (per-step
 * shape, affine, statistics, bounding boxes and samples; final arrays; one Spacingd k-slice).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '@voxelkit/core';
import { createMemoryLogger, Rng } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '@voxelkit/transforms';
import {
  CropForegroundd,
  EnsureChannelFirstd,
  LoadImaged,
  Orientationd,
  ScaleIntensityRanged,
  Spacingd,
} from '@voxelkit/transforms';
import type { GoldenCase, GoldenKeyStep } from './spatial-golden-helpers.js';
import {
  countDiff,
  GOLDEN,
  goldenVolume,
  maxAbsDiff,
  maxAffineDiff,
  nonzeroBox,
  readCase,
  SHARED_DATA,
  step,
} from './spatial-golden-helpers.js';

const ctx: TransformContext = {
  rng: new Rng(0),
  logger: createMemoryLogger(),
  recordName: 'golden',
};

function pipeline(c: GoldenCase): Transform[] {
  const keys = ['image', 'label'];
  const p = c.params;
  return [
    new LoadImaged({ keys }),
    new EnsureChannelFirstd({ keys }),
    new Orientationd({ keys, axcodes: 'RAS' }),
    new Spacingd({ keys, pixdim: p.pixdim, mode: ['bilinear', 'nearest'] }),
    new ScaleIntensityRanged({
      keys: ['image'],
      aMin: p.a_min,
      aMax: p.a_max,
      bMin: p.b_min,
      bMax: p.b_max,
      clip: true,
    }),
    new CropForegroundd({ keys, sourceKey: 'image', allowSmaller: true }),
  ];
}

/** Runs the pipeline, keeping the record after each transform by its name. */
async function run(c: GoldenCase, input: DataRecord): Promise<Map<string, DataRecord>> {
  const out = new Map<string, DataRecord>();
  let r = input;
  for (const t of pipeline(c)) {
    r = (await t.apply(r, ctx)) as DataRecord;
    out.set(t.name, r);
  }
  return out;
}

function stats(v: Volume): { min: number; max: number; sum: number; nonzero: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nonzero = 0;
  for (let i = 0; i < v.data.length; i++) {
    const x = v.data[i];
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
    if (x !== 0) nonzero++;
  }
  return { min, max, sum, nonzero };
}

/** Shape, affine, statistics, bounding box and samples of one step against the golden record. */
function expectStats(got: Volume, want: GoldenKeyStep, what: string, valueTol: number): void {
  expect(got.shape.slice(-3), `${what} shape`).toEqual(want.stats.shape.slice(-3));
  expect(maxAffineDiff(got.affine, want.affine), `${what} affine`).toBeLessThan(1e-4);
  const s = stats(got);
  expect(Math.abs(s.min - want.stats.min), `${what} min`).toBeLessThanOrEqual(valueTol);
  expect(Math.abs(s.max - want.stats.max), `${what} max`).toBeLessThanOrEqual(valueTol);
  expect(Math.abs(s.sum - want.stats.sum), `${what} sum`).toBeLessThanOrEqual(
    1e-6 * Math.abs(want.stats.sum) + valueTol,
  );
  expect(s.nonzero, `${what} nonzero`).toBe(want.stats.nonzero);
  expect(nonzeroBox(got), `${what} bbox`).toEqual(want.stats.nonzero_bbox.slice(-3));
  const [, , sy, sz] = got.shape;
  for (const sample of want.stats.samples) {
    const [x, y, z] = sample.index.slice(-3);
    const value = got.data[(x * sy + y) * sz + z];
    expect(
      Math.abs(value - Number(sample.value)),
      `${what} sample ${sample.index}`,
    ).toBeLessThanOrEqual(valueTol);
  }
}

describe('golden ct_lps_inference from NIfTI files', () => {
  const c = readCase('ct_lps_inference');
  let steps: Map<string, DataRecord>;
  beforeAll(async () => {
    steps = await run(c, {
      image: path.join(GOLDEN, 'inputs/ct_lps_image.nii.gz'),
      label: path.join(GOLDEN, 'inputs/ct_lps_label.nii.gz'),
    });
  });

  it('LoadImaged gives the golden voxels and affine', () => {
    const s = step(c, 'LoadImaged');
    for (const key of ['image', 'label'] as const) {
      const got = steps.get('LoadImaged')![key] as Volume;
      expect(got.shape).toEqual([1, ...s.keys[key].stats.shape]);
      expect(maxAffineDiff(got.affine, s.keys[key].affine)).toBeLessThan(1e-4);
      expect(maxAbsDiff(got.data, goldenVolume(c, s, key).data)).toBe(0);
    }
  });

  it('every later step matches its golden arrays', () => {
    for (const name of ['Orientationd', 'Spacingd', 'ScaleIntensityRanged', 'CropForegroundd']) {
      const s = step(c, name);
      for (const key of ['image', 'label'] as const) {
        const got = steps.get(name)![key] as Volume;
        const want = goldenVolume(c, s, key);
        expect(got.shape, `${name} ${key}`).toEqual(want.shape);
        expect(maxAffineDiff(got.affine, s.keys[key].affine)).toBeLessThan(1e-4);
        const tol = key === 'label' ? 0 : name === 'Orientationd' ? 0 : 1e-4;
        expect(maxAbsDiff(got.data, want.data), `${name} ${key} values`).toBeLessThanOrEqual(tol);
      }
    }
  });
});

describe('golden real_spleen_ts003_inference (real CT) from NIfTI files', () => {
  const c = readCase('real_spleen_ts003_inference');
  let steps: Map<string, DataRecord>;
  beforeAll(async () => {
    steps = await run(c, {
      image: path.join(SHARED_DATA, 'spleen-mini/imagesTr/spleen_ts003.nii.gz'),
      label: path.join(SHARED_DATA, 'spleen-mini/labelsTr/spleen_ts003.nii.gz'),
    });
  });

  it('every step has the golden shape, affine, statistics, bounding box and samples', () => {
    for (const name of [
      'LoadImaged',
      'Orientationd',
      'Spacingd',
      'ScaleIntensityRanged',
      'CropForegroundd',
    ]) {
      const s = step(c, name);
      for (const key of ['image', 'label'] as const) {
        const tol = key === 'label' ? 0 : 1e-4;
        expectStats(steps.get(name)![key] as Volume, s.keys[key], `${name} ${key}`, tol);
      }
    }
  });

  it('the Spacingd k-slice 22 matches within 1e-4 HU', () => {
    const got = steps.get('Spacingd')!.image as Volume;
    const bytes = readFileSync(path.join(c.dir, '03_Spacingd_image_kslice22.f32'));
    const want = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const [, sx, sy, sz] = got.shape;
    const slice = new Float32Array(sx * sy);
    for (let x = 0; x < sx; x++)
      for (let y = 0; y < sy; y++) slice[x * sy + y] = got.data[(x * sy + y) * sz + 22];
    expect(maxAbsDiff(slice, want)).toBeLessThanOrEqual(1e-4);
  });

  it('the final image and label match the golden arrays', () => {
    const s = step(c, 'CropForegroundd');
    const image = steps.get('CropForegroundd')!.image as Volume;
    const label = steps.get('CropForegroundd')!.label as Volume;
    expect(maxAbsDiff(image.data, goldenVolume(c, s, 'image').data)).toBeLessThanOrEqual(1e-4);
    expect(countDiff(label.data, goldenVolume(c, s, 'label').data)).toBe(0);
  });
});
