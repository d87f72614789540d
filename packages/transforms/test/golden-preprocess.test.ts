/**
 * Step-by-step comparison with MONAI 1.4 golden outputs for the synthetic cases (`ct_lps`,
 * `ct_sal_oblique`): each transform is fed the golden output of the previous step, so every
 * step is checked in isolation, and the whole chain is also run on our own outputs.
 */
import { describe, expect, it } from 'vitest';
import type { Volume } from '@voxelkit/core';
import { createMemoryLogger, Rng } from '@voxelkit/core';
import type { DataRecord, TransformContext } from '@voxelkit/transforms';
import { CropForegroundd, Orientationd, Spacingd } from '@voxelkit/transforms';
import type { GoldenCase } from './spatial-golden-helpers.js';
import {
  countDiff,
  goldenVolume,
  maxAbsDiff,
  maxAffineDiff,
  nonzeroBox,
  readCase,
  scaleRange,
  step,
} from './spatial-golden-helpers.js';

const ctx: TransformContext = { rng: new Rng(0), logger: createMemoryLogger() };

function record(c: GoldenCase, name: string): DataRecord {
  const s = step(c, name);
  return { image: goldenVolume(c, s, 'image'), label: goldenVolume(c, s, 'label') };
}

function expectStep(
  c: GoldenCase,
  name: string,
  out: DataRecord,
  imageTol: number,
  labelFrac: number,
): void {
  const s = step(c, name);
  for (const key of ['image', 'label'] as const) {
    const got = out[key] as Volume;
    const want = goldenVolume(c, s, key);
    expect(got.shape, `${name} ${key} shape`).toEqual(want.shape);
    expect(maxAffineDiff(got.affine, s.keys[key].affine), `${name} ${key} affine`).toBeLessThan(
      1e-4,
    );
    if (key === 'image') {
      expect(maxAbsDiff(got.data, want.data), `${name} image values`).toBeLessThanOrEqual(imageTol);
    } else {
      const differing = countDiff(got.data, want.data);
      expect(differing / want.data.length, `${name} label differing fraction`).toBeLessThanOrEqual(
        labelFrac,
      );
    }
    expect(nonzeroBox(got), `${name} ${key} nonzero bbox`).toEqual(
      s.keys[key].stats.nonzero_bbox.slice(-3),
    );
  }
}

const orientation = new Orientationd({ keys: ['image', 'label'], axcodes: 'RAS' });
const spacing = (c: GoldenCase): Spacingd =>
  new Spacingd({
    keys: ['image', 'label'],
    pixdim: c.params.pixdim,
    mode: ['bilinear', 'nearest'],
  });
const crop = new CropForegroundd({
  keys: ['image', 'label'],
  sourceKey: 'image',
  allowSmaller: true,
});
const scale = (c: GoldenCase, r: DataRecord): DataRecord => ({
  ...r,
  image: scaleRange(
    r.image as Volume,
    c.params.a_min,
    c.params.a_max,
    c.params.b_min,
    c.params.b_max,
  ),
});

describe.each(['ct_lps_inference', 'ct_sal_oblique_inference'])('MONAI golden %s', (name) => {
  const c = readCase(name);

  it('Orientationd reproduces the golden permutation/flip and affine exactly', () => {
    expectStep(c, 'Orientationd', orientation.apply(record(c, 'LoadImaged')), 0, 0);
  });

  it('Spacingd reproduces the golden shape, affine, bilinear image (≤1e-4 HU) and nearest label', () => {
    expectStep(c, 'Spacingd', spacing(c).apply(record(c, 'Orientationd')), 1e-4, 0);
  });

  it('CropForegroundd reproduces the golden box exactly', () => {
    expectStep(
      c,
      'CropForegroundd',
      crop.apply(record(c, 'ScaleIntensityRanged'), ctx) as DataRecord,
      0,
      0,
    );
  });

  it('the whole chain on our own outputs stays within the golden tolerances', () => {
    let r = orientation.apply(record(c, 'LoadImaged'));
    r = spacing(c).apply(r);
    r = scale(c, r);
    expectStep(c, 'ScaleIntensityRanged', r, 1e-4, 0);
    r = crop.apply(r, ctx) as DataRecord;
    expectStep(c, 'CropForegroundd', r, 1e-4, 0);
  });
});

describe('MONAI golden ct_lps_train (scale, crop, orientation, spacing)', () => {
  const c = readCase('ct_lps_train');

  it('CropForegroundd, Orientationd and Spacingd each match their golden step', () => {
    expectStep(
      c,
      'CropForegroundd',
      crop.apply(record(c, 'ScaleIntensityRanged'), ctx) as DataRecord,
      0,
      0,
    );
    expectStep(c, 'Orientationd', orientation.apply(record(c, 'CropForegroundd')), 0, 0);
    expectStep(c, 'Spacingd', spacing(c).apply(record(c, 'Orientationd')), 1e-5, 0);
  });

  it('the whole train chain on our own outputs matches the final golden step', () => {
    let r = scale(c, record(c, 'LoadImaged'));
    r = crop.apply(r, ctx) as DataRecord;
    r = orientation.apply(r);
    r = spacing(c).apply(r);
    expectStep(c, 'Spacingd', r, 1e-5, 0);
  });
});
