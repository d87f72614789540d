/**
 * Affine choice and the qform maths against hand-computed matrices, and a differential check of
 * our header parser against nifti-reader-js on the raw fields it parses correctly, including
 * the case where its affine choice differs from nibabel's (why we do not use it at run time).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import * as njs from 'nifti-reader-js';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '@voxelkit/core';
import { readNifti, readNiftiHeader } from '@voxelkit/io';
import { buildNifti } from './nifti-fixtures';

const zoo = path.resolve(__dirname, '../../../../shared/data/nifti-zoo');

const affineOf = (h: Parameters<typeof buildNifti>[0]) =>
  Array.from(
    readNifti(buildNifti(h, new Uint8Array(4 * 5 * 6)), { logger: createMemoryLogger() }).affine,
  );

const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));

describe('nifti affine choice', () => {
  const base = { dim: [3, 4, 5, 6], datatype: 2, bitpix: 8, pixdim: [1, 2, 3, 4, 1, 1, 1, 1] };

  it('no codes: nibabel base affine diag(-2,3,4) centred -> translation (3,-6,-10)', () => {
    expect(affineOf(base)).toEqual([-2, 0, 0, 3, 0, 3, 0, -6, 0, 0, 4, -10, 0, 0, 0, 1]);
  });
  it('qform 180° about z (d = 1) with qfac -1 -> diag(-2,-3,-4) + qoffset', () => {
    const a = affineOf({
      ...base,
      pixdim: [-1, 2, 3, 4, 1, 1, 1, 1],
      qform_code: 1,
      quatern: [0, 0, 1],
      qoffset: [5, 6, 7],
    });
    close(a, [-2, 0, 0, 5, 0, -3, 0, 6, 0, 0, -4, 7, 0, 0, 0, 1]);
  });
  it('qform 90° about x (b = sin 45°) -> columns (2,0,0), (0,0,3), (0,-4,0)', () => {
    const a = affineOf({ ...base, qform_code: 1, quatern: [Math.SQRT1_2, 0, 0] });
    // R = [[1,0,0],[0,0,-1],[0,1,0]] times diag(2,3,4).
    close(a, [2, 0, 0, 0, 0, 0, -4, 0, 0, 3, 0, 0, 0, 0, 0, 1]);
  });
  it('sform wins whenever sform_code > 0, even when qform_code is larger', () => {
    const a = affineOf({
      ...base,
      qform_code: 4,
      sform_code: 1,
      srow: [
        [0, 0, 1.5, 1],
        [-1, 0, 0, 2],
        [0, 2, 0, 3],
      ],
    });
    expect(a).toEqual([0, 0, 1.5, 1, -1, 0, 0, 2, 0, 2, 0, 3, 0, 0, 0, 1]);
  });
  it('an invalid quaternion (b²+c²+d² > 1) is a FormatError when the qform is needed', () => {
    expect(() =>
      readNifti(buildNifti({ ...base, qform_code: 1, quatern: [1, 1, 0] }, new Uint8Array(120))),
    ).toThrow(/quatern/);
  });
  it('a zero pixdim without codes gives 1 mm voxels and a warning, not a singular affine', () => {
    const logger = createMemoryLogger();
    const vol = readNifti(
      buildNifti({ ...base, pixdim: [1, 0, 3, 4, 1, 1, 1, 1] }, new Uint8Array(120)),
      { logger },
    );
    expect(Array.from(vol.affine)).toEqual([-1, 0, 0, 1.5, 0, 1, 0, -2, 0, 0, 1, -2.5, 0, 0, 0, 1]);
    expect(logger.records.map((r) => r.level)).toEqual(['warn']);
  });
});

describe('header parser agrees with nifti-reader-js on raw fields', () => {
  const files = [
    'nibabel_anatomical_bigendian.nii',
    'nibabel_functional_scaled_4d.nii',
    'njs_5D_small_scaled.nii',
    'njs_big_endian_qform_only.nii.gz',
    'njs_with_extension_bigendian.nii.gz',
    'nibabel_example_nifti2.nii.gz',
    'gen_ct_int16_scl_inter_m1024.nii.gz',
  ];
  for (const name of files) {
    it(`${name}: dims, datatype, pixdim, vox_offset, scaling, codes, quaternion, srow`, () => {
      const raw = readFileSync(path.join(zoo, name));
      const bytes = new Uint8Array(name.endsWith('.gz') ? gunzipSync(raw) : raw);
      const ours = readNiftiHeader(bytes);
      const theirs = njs.readHeader(bytes.slice().buffer) as unknown as Record<string, unknown> & {
        dims: number[];
        pixDims: number[];
        affine: number[][];
      };
      expect(ours.littleEndian).toBe(theirs.littleEndian);
      expect(ours.dim.slice(0, ours.dim[0] + 1)).toEqual(theirs.dims.slice(0, ours.dim[0] + 1));
      expect(ours.datatype).toBe(theirs.datatypeCode);
      expect(ours.bitpix).toBe(theirs.numBitsPerVoxel);
      expect(ours.pixdim).toEqual(theirs.pixDims);
      expect(ours.vox_offset).toBe(theirs.vox_offset);
      expect([ours.scl_slope, ours.scl_inter]).toEqual([theirs.scl_slope, theirs.scl_inter]);
      expect([ours.qform_code, ours.sform_code]).toEqual([theirs.qform_code, theirs.sform_code]);
      expect([ours.quatern_b, ours.quatern_c, ours.quatern_d]).toEqual([
        theirs.quatern_b,
        theirs.quatern_c,
        theirs.quatern_d,
      ]);
      // nifti-reader-js skips NULs inside descrip; the field is a C string, so we stop at the first.
      expect((theirs.description as string).startsWith(ours.descrip)).toBe(true);
      expect(ours.extensions.length).toBe((theirs.extensions as unknown[]).length);
    });
  }

  const sformAndQform = {
    dim: [3, 2, 2, 2],
    datatype: 2,
    bitpix: 8,
    qform_code: 2,
    sform_code: 1,
    qoffset: [0, 0, 0] as [number, number, number],
    srow: [
      [2, 0, 0, 10],
      [0, 3, 0, 20],
      [0, 0, 4, 30],
    ] as [number[], number[], number[]],
  };

  it('qform_code 2 > sform_code 1: nifti-reader-js takes the qform, nibabel and we the sform', () => {
    const bytes = buildNifti(sformAndQform, new Uint8Array(8));
    expect(Array.from(readNifti(bytes).affine)).toEqual([
      2, 0, 0, 10, 0, 3, 0, 20, 0, 0, 4, 30, 0, 0, 0, 1,
    ]);
    expect(njs.readHeader(bytes.slice().buffer).affine[0]).toEqual([1, 0, 0, 0]);
  });

  it('NIfTI-2 with sform_code 0: nifti-reader-js still returns the srow rows, we the qform', () => {
    const bytes = buildNifti(
      { ...sformAndQform, version: 2, sform_code: 0, qoffset: [5, 6, 7] },
      new Uint8Array(8),
    );
    expect(Array.from(readNifti(bytes).affine)).toEqual([
      1, 0, 0, 5, 0, 1, 0, 6, 0, 0, 1, 7, 0, 0, 0, 1,
    ]);
    expect(njs.readHeader(bytes.slice().buffer).affine[0]).toEqual([2, 0, 0, 10]);
  });
});
