/**
 * Every file of the NIfTI zoo (real files from nibabel and NIFTI-Reader-JS test data, plus two
 * generated from real CT) decodes to the values nibabel 5.0 reported in EXPECTED.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { volumeAxcodes, type Volume } from '@voxelkit/core';
import { loadNifti, type NiftiHeader } from '@voxelkit/io';

const zoo = path.resolve(__dirname, '../../../../shared/data/nifti-zoo');

interface Expected {
  nifti_version: number;
  magic: string;
  endianness: 'little' | 'big';
  dim: number[];
  shape: number[];
  datatype_code: number;
  bitpix: number;
  dtype: string;
  vox_offset: number;
  pixdim: number[];
  scl_slope_on_disk: number;
  scl_inter_on_disk: number;
  first_values_raw: number[];
  applied_slope: number;
  applied_inter: number;
  qform_code: number;
  sform_code: number;
  affine: number[][];
  axcodes: string;
  first_values_scaled: number[];
  min_scaled: number;
  max_scaled: number;
  sum_scaled: number;
  center_index: number[];
  center_value_scaled: number;
  n_extensions: number;
}

const expected = JSON.parse(readFileSync(path.join(zoo, 'EXPECTED.json'), 'utf8')).files as Record<
  string,
  Expected
>;

/** Value of the i-th voxel in NIfTI file order (x fastest, then y, z, then the 3D volumes). */
function fileOrderValue(vol: Volume, i: number): number {
  const [, X, Y, Z] = vol.shape;
  const x = i % X;
  const y = Math.floor(i / X) % Y;
  const z = Math.floor(i / (X * Y)) % Z;
  const c = Math.floor(i / (X * Y * Z));
  return vol.data[((c * X + x) * Y + y) * Z + z];
}

/** Channel index of a nibabel index [i, j, k, t, u, …] (t fastest). */
function channelOf(index: number[], shape: number[]): number {
  let c = 0;
  let stride = 1;
  for (let d = 3; d < index.length; d++) {
    c += index[d] * stride;
    stride *= shape[d];
  }
  return c;
}

describe('nifti zoo decodes like nibabel', () => {
  for (const [name, exp] of Object.entries(expected)) {
    it(`${name}: header, shape, dtype, affine and values`, async () => {
      const vol = await loadNifti(path.join(zoo, name));
      const h = vol.meta.header as NiftiHeader;
      expect(h.niftiVersion).toBe(exp.nifti_version);
      expect(h.magic).toBe(exp.magic);
      expect(h.littleEndian).toBe(exp.endianness === 'little');
      expect(h.dim).toEqual(exp.dim);
      expect(h.datatype).toBe(exp.datatype_code);
      expect(h.bitpix).toBe(exp.bitpix);
      expect(h.vox_offset).toBe(exp.vox_offset);
      h.pixdim.forEach((p, i) => expect(p).toBeCloseTo(exp.pixdim[i], 5));
      expect(h.qform_code).toBe(exp.qform_code);
      expect(h.sform_code).toBe(exp.sform_code);
      expect(h.extensions.length).toBe(exp.n_extensions);

      const channels = exp.shape.slice(3).reduce((a, b) => a * b, 1);
      expect(vol.shape).toEqual([channels, ...exp.shape.slice(0, 3)]);
      const scaled = exp.applied_slope !== 1 || exp.applied_inter !== 0;
      expect(vol.dtype).toBe(scaled && exp.dtype !== 'float64' ? 'float32' : exp.dtype);

      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) expect(vol.affine[r * 4 + c]).toBeCloseTo(exp.affine[r][c], 5);
      }
      expect(volumeAxcodes(vol)).toBe(exp.axcodes);

      // Scaled values are float32 in memory, nibabel's are float64: compare at float32 precision.
      const close = (a: number, b: number) =>
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b)));
      exp.first_values_scaled.forEach((v, i) => close(fileOrderValue(vol, i), v));
      // The on-disk scaling fields, and the raw values through nibabel's applied slope/inter.
      expect(h.scl_slope).toBe(Math.fround(exp.scl_slope_on_disk));
      expect(h.scl_inter).toBe(Math.fround(exp.scl_inter_on_disk));
      exp.first_values_raw.forEach((raw, i) =>
        close(fileOrderValue(vol, i), raw * exp.applied_slope + exp.applied_inter),
      );
      const [cx, cy, cz] = exp.center_index;
      const cc = channelOf(exp.center_index, exp.shape);
      const [, X, Y, Z] = vol.shape;
      close(vol.data[((cc * X + cx) * Y + cy) * Z + cz], exp.center_value_scaled);
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const v of vol.data) {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      close(min, exp.min_scaled);
      close(max, exp.max_scaled);
      expect(Math.abs(sum - exp.sum_scaled)).toBeLessThanOrEqual(
        1e-6 * Math.abs(exp.sum_scaled) + 1e-3,
      );
    });
  }
});
