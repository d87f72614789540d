/**
 * Real data: the bundled spleen-mini CTs/labels read with the shape, dtype, spacing, orientation,
 * affine, value range and spleen statistics listed in shared/data/SOURCES.md (nibabel 5.0), and
 * the MONAI golden inputs decode to their raw C-order copies with the affines MONAI's LoadImaged
 * reported (golden/preprocess/<case>/preprocess.json, step 00).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { volumeAxcodes, volumeSpacing } from '@voxelkit/core';
import { loadNifti } from '@voxelkit/io';

const spleen = path.resolve(__dirname, '../../../data/spleen-mini');
const golden = path.resolve(__dirname, '../../../../shared/golden');

const RAS3 = [
  [3, 0, 0, -177.9563],
  [0, 3, 0, 11.319],
  [0, 0, 3, 94.3018],
];
const LAS2 = [
  [-0.9766, 0, 0, 249.5117],
  [0, 0.9766, 0, -61.5117],
  [0, 0, 2, -804.5],
];

const CASES = [
  {
    id: 'ts001',
    shape: [122, 101, 112],
    dtype: 'int32',
    spacing: [3, 3, 3],
    codes: [0, 2],
    ax: 'RAS',
    rows: RAS3,
    range: [-1207, 3382],
    labelCodes: [0, 2],
    spleen: 9668,
    bbox: [
      [10, 43],
      [21, 57],
      [82, 111],
    ],
    hu: 32.8,
  },
  {
    id: 'ts002',
    shape: [512, 512, 20],
    dtype: 'int16',
    spacing: [0.9766, 0.9766, 2],
    codes: [1, 1],
    ax: 'LAS',
    rows: LAS2,
    range: [-1024, 1839],
    labelCodes: [0, 2],
    spleen: 130634,
    bbox: [
      [291, 392],
      [134, 266],
      [0, 19],
    ],
    hu: 79.6,
  },
  {
    id: 'ts003',
    shape: [122, 101, 30],
    dtype: 'int16',
    spacing: [3, 3, 3],
    codes: [0, 2],
    ax: 'RAS',
    rows: RAS3,
    range: [-1100, 1207],
    labelCodes: [0, 2],
    spleen: 9452,
    bbox: [
      [10, 43],
      [22, 57],
      [0, 29],
    ],
    hu: 32.8,
  },
];

describe('spleen-mini reads as SOURCES.md says', () => {
  for (const c of CASES) {
    it(`spleen_${c.id}: image and label shape, dtype, spacing, orientation, affine, values`, async () => {
      const image = await loadNifti(path.join(spleen, `imagesTr/spleen_${c.id}.nii.gz`));
      const label = await loadNifti(path.join(spleen, `labelsTr/spleen_${c.id}.nii.gz`));
      expect(image.shape).toEqual([1, ...c.shape]);
      expect(label.shape).toEqual([1, ...c.shape]);
      expect(image.dtype).toBe(c.dtype);
      expect(label.dtype).toBe('uint8');
      const h = image.meta.header as { qform_code: number; sform_code: number };
      expect([h.qform_code, h.sform_code]).toEqual(c.codes);
      const lh = label.meta.header as { qform_code: number; sform_code: number };
      expect([lh.qform_code, lh.sform_code]).toEqual(c.labelCodes);
      for (const vol of [image, label]) {
        volumeSpacing(vol).forEach((s, i) => expect(Math.abs(s - c.spacing[i])).toBeLessThan(1e-4));
        expect(volumeAxcodes(vol)).toBe(c.ax);
        for (let r = 0; r < 3; r++) {
          for (let k = 0; k < 4; k++)
            expect(Math.abs(vol.affine[r * 4 + k] - c.rows[r][k])).toBeLessThan(1e-4);
        }
      }
      let min = Infinity;
      let max = -Infinity;
      for (const v of image.data) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect([min, max]).toEqual(c.range);
      // Spleen voxels, bounding box (inclusive, per voxel axis) and mean HU inside the mask.
      const [, X, Y, Z] = label.shape;
      let count = 0;
      let other = 0;
      let hu = 0;
      const lo = [X, Y, Z];
      const hi = [-1, -1, -1];
      for (let x = 0; x < X; x++) {
        for (let y = 0; y < Y; y++) {
          for (let z = 0; z < Z; z++) {
            const i = (x * Y + y) * Z + z;
            const v = label.data[i];
            if (v !== 0 && v !== 1) other++;
            if (v !== 1) continue;
            count++;
            hu += image.data[i];
            [x, y, z].forEach((p, a) => {
              lo[a] = Math.min(lo[a], p);
              hi[a] = Math.max(hi[a], p);
            });
          }
        }
      }
      expect(other).toBe(0);
      expect(count).toBe(c.spleen);
      expect([0, 1, 2].map((a) => [lo[a], hi[a]])).toEqual(c.bbox);
      expect(Math.abs(hu / count - c.hu)).toBeLessThan(0.05);
    });
  }
});

describe('golden inputs match their raw copies and MONAI LoadImaged affines', () => {
  for (const name of ['ct_lps', 'ct_sal_oblique']) {
    it(`${name}: image int16 and label uint8 bytes equal the .i16/.u8 files; affines equal step 00`, async () => {
      const steps = JSON.parse(
        readFileSync(path.join(golden, `preprocess/${name}_inference/preprocess.json`), 'utf8'),
      ).steps;
      for (const [key, ext, dtype] of [
        ['image', 'i16', 'int16'],
        ['label', 'u8', 'uint8'],
      ] as const) {
        const vol = await loadNifti(path.join(golden, `inputs/${name}_${key}.nii.gz`));
        const raw = readFileSync(path.join(golden, `inputs/${name}_${key}.${ext}`));
        expect(vol.dtype).toBe(dtype);
        const bytes = new Uint8Array(vol.data.buffer, vol.data.byteOffset, vol.data.byteLength);
        expect(Buffer.compare(bytes, raw)).toBe(0);
        const meta = steps[0].keys[key];
        expect(vol.shape).toEqual([1, ...meta.stats.shape]);
        const rows: number[][] = meta.affine;
        rows.forEach((row, r) => row.forEach((v, k) => expect(vol.affine[r * 4 + k]).toBe(v)));
      }
    });
  }

  it('real_spleen_ts003: shape, affine and statistics equal step 00', async () => {
    const steps = JSON.parse(
      readFileSync(
        path.join(golden, 'preprocess/real_spleen_ts003_inference/preprocess.json'),
        'utf8',
      ),
    ).steps;
    for (const key of ['image', 'label'] as const) {
      const vol = await loadNifti(path.join(spleen, `${key}sTr/spleen_ts003.nii.gz`));
      const meta = steps[0].keys[key];
      expect(vol.shape).toEqual([1, ...meta.stats.shape]);
      const rows: number[][] = meta.affine;
      rows.forEach((row, r) => row.forEach((v, k) => expect(vol.affine[r * 4 + k]).toBe(v)));
      let sum = 0;
      for (const v of vol.data) sum += v;
      expect(sum).toBe(meta.stats.sum);
      for (const s of meta.stats.samples as { index: number[]; value: number }[]) {
        const [x, y, z] = s.index;
        const [, , Y, Z] = vol.shape;
        expect(vol.data[(x * Y + y) * Z + z]).toBe(s.value);
      }
    }
  });
});
