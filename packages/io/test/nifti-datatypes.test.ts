/**
 * Every supported datatype, in both byte orders and in NIfTI-1 and NIfTI-2, decodes to the
 * values written (file order → [C, X, Y, Z]), and int64/uint64 become float64 or a typed error.
 */
import { describe, expect, it } from 'vitest';
import { DataError, FormatError } from '@voxelkit/core';
import { readNifti } from '@voxelkit/io';
import { buildNifti, encodeValues, fileOrderValue } from './nifti-fixtures';

const CASES: {
  type: string;
  code: number;
  bits: number;
  dtype: string;
  values: (number | bigint)[];
}[] = [
  { type: 'uint8', code: 2, bits: 8, dtype: 'uint8', values: [0, 1, 127, 128, 255, 42] },
  { type: 'int8', code: 256, bits: 8, dtype: 'int8', values: [-128, -1, 0, 1, 127, 42] },
  { type: 'int16', code: 4, bits: 16, dtype: 'int16', values: [-32768, -1024, 0, 1, 32767, 258] },
  { type: 'uint16', code: 512, bits: 16, dtype: 'uint16', values: [0, 1, 258, 32768, 65535, 7] },
  {
    type: 'int32',
    code: 8,
    bits: 32,
    dtype: 'int32',
    values: [-(2 ** 31), -1, 0, 66051, 2 ** 31 - 1, 5],
  },
  {
    type: 'uint32',
    code: 768,
    bits: 32,
    dtype: 'uint32',
    values: [0, 1, 66051, 2 ** 31, 2 ** 32 - 1, 5],
  },
  {
    type: 'float32',
    code: 16,
    bits: 32,
    dtype: 'float32',
    values: [-0, 1.5, -3.25, 1e-40, 3.4e38, Infinity],
  },
  {
    type: 'float64',
    code: 64,
    bits: 64,
    dtype: 'float64',
    values: [-0, 0.1, -1e300, 5e-324, Math.PI, -Infinity],
  },
  {
    type: 'int64',
    code: 1024,
    bits: 64,
    dtype: 'float64',
    values: [-(2n ** 53n) + 1n, -1n, 0n, 2n ** 40n + 3n, 2n ** 53n - 1n, 7n],
  },
  {
    type: 'uint64',
    code: 1280,
    bits: 64,
    dtype: 'float64',
    values: [0n, 1n, 2n ** 32n, 2n ** 53n - 1n, 9n, 10n],
  },
];

describe('nifti datatypes and byte orders', () => {
  for (const c of CASES) {
    for (const littleEndian of [true, false]) {
      for (const version of [1, 2] as const) {
        it(`${c.type} ${littleEndian ? 'little' : 'big'}-endian NIfTI-${version}, dim 1x2x3 -> exact values`, () => {
          const bytes = buildNifti(
            { version, littleEndian, dim: [3, 1, 2, 3], datatype: c.code, bitpix: c.bits },
            encodeValues(c.values, c.type, littleEndian),
          );
          const vol = readNifti(bytes);
          expect(vol.dtype).toBe(c.dtype);
          expect(vol.shape).toEqual([1, 1, 2, 3]);
          const exact = (v: number | bigint) =>
            c.type === 'float32' ? Math.fround(Number(v)) : Number(v);
          c.values.forEach((v, i) =>
            expect(Object.is(fileOrderValue(vol, i), exact(v))).toBe(true),
          );
        });
      }
    }
  }

  it('an unaligned vox_offset (353) with int16 still decodes exactly', () => {
    const values = [1, -2, 300, -400, 5000, -6000];
    const bytes = buildNifti(
      { dim: [3, 3, 2, 1], datatype: 4, bitpix: 16, vox_offset: 353 },
      encodeValues(values, 'int16'),
    );
    const vol = readNifti(bytes);
    values.forEach((v, i) => expect(fileOrderValue(vol, i)).toBe(v));
  });

  it('a big-endian int16 with scaling becomes float32 scaled values', () => {
    const bytes = buildNifti(
      {
        littleEndian: false,
        dim: [3, 2, 1, 1],
        datatype: 4,
        bitpix: 16,
        scl_slope: 0.5,
        scl_inter: 10,
      },
      encodeValues([100, -7], 'int16', false),
    );
    const vol = readNifti(bytes);
    expect(vol.dtype).toBe('float32');
    expect(Array.from(vol.data)).toEqual([60, 6.5]);
  });

  it('int64 beyond 2^53 throws a DataError naming the file', () => {
    const bytes = buildNifti(
      { dim: [3, 2, 1, 1], datatype: 1024, bitpix: 64 },
      encodeValues([1n, 2n ** 53n], 'int64'),
    );
    expect(() => readNifti(bytes, { filename: 'big-int.nii' })).toThrow(DataError);
    expect(() => readNifti(bytes, { filename: 'big-int.nii' })).toThrow(/big-int\.nii/);
  });

  it('uint64 at 2^64-1 throws a DataError', () => {
    const bytes = buildNifti(
      { dim: [3, 1, 1, 1], datatype: 1280, bitpix: 64 },
      encodeValues([2n ** 64n - 1n], 'uint64'),
    );
    expect(() => readNifti(bytes)).toThrow(DataError);
  });

  for (const [code, name] of [
    [32, 'complex64'],
    [128, 'rgb24'],
    [1536, 'float128'],
    [1, 'binary'],
  ] as const) {
    it(`datatype ${code} (${name}) is rejected with a FormatError naming it`, () => {
      const bytes = buildNifti(
        { dim: [3, 1, 1, 1], datatype: code, bitpix: 8 },
        new Uint8Array(16),
      );
      expect(() => readNifti(bytes, { filename: 'x.nii' })).toThrow(
        new RegExp(`${name}.*x\\.nii.*datatype`),
      );
    });
  }

  it('an unknown datatype code is a FormatError', () => {
    const bytes = buildNifti({ dim: [3, 1, 1, 1], datatype: 77, bitpix: 8 }, new Uint8Array(1));
    expect(() => readNifti(bytes)).toThrow(FormatError);
  });
});
