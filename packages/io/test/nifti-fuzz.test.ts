/**
 * Property-based robustness: random corruptions of valid NIfTI files (byte flips biased to the
 * header, typed header-field overwrites with hostile values, truncation, gzip damage) either
 * decode to a self-consistent volume or throw a VoxelkitError: never another exception, never a
 * hang (vitest timeout), never a huge allocation (maxBytes 16 MiB bounds every buffer).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VoxelkitError, dtypeOf, isSingularAffine, numel } from '@voxelkit/core';
import { readNifti, readNiftiHeader } from '@voxelkit/io';
import { buildNifti, encodeValues } from './nifti-fixtures';

const zoo = path.resolve(__dirname, '../../../../shared/data/nifti-zoo');
const LIMIT = 16 * 1024 * 1024;

const SEEDS: Record<string, Uint8Array> = {
  'uint8 v1 LE': buildNifti(
    {
      dim: [3, 2, 3, 4],
      datatype: 2,
      bitpix: 8,
      qform_code: 1,
      sform_code: 1,
      srow: [
        [2, 0, 0, 1],
        [0, 3, 0, 2],
        [0, 0, 4, 3],
      ],
      pixdim: [1, 2, 3, 4, 1, 1, 1, 1],
    },
    Uint8Array.from({ length: 24 }, (_, i) => i),
  ),
  'int16 v1 BE scaled': buildNifti(
    {
      littleEndian: false,
      dim: [4, 2, 2, 2, 2],
      datatype: 4,
      bitpix: 16,
      scl_slope: 2,
      scl_inter: -3,
      qform_code: 1,
      quatern: [0, 0, 1],
      pixdim: [-1, 1, 1, 1, 1, 1, 1, 1],
    },
    encodeValues(
      Array.from({ length: 16 }, (_, i) => i * 100 - 700),
      'int16',
      false,
    ),
  ),
  'float32 v2 LE': buildNifti(
    {
      version: 2,
      dim: [3, 3, 2, 2],
      datatype: 16,
      bitpix: 32,
      sform_code: 2,
      srow: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ],
    },
    encodeValues(
      Array.from({ length: 12 }, (_, i) => i / 3),
      'float32',
    ),
  ),
  'int64 v2 BE': buildNifti(
    { version: 2, littleEndian: false, dim: [3, 2, 2, 1], datatype: 1024, bitpix: 64 },
    encodeValues([1n, -2n, 3n, 2n ** 50n], 'int64', false),
  ),
  'njs_5D_small_scaled.nii': new Uint8Array(
    readFileSync(path.join(zoo, 'njs_5D_small_scaled.nii')),
  ),
  'nibabel_standard_sform_only.nii.gz': new Uint8Array(
    readFileSync(path.join(zoo, 'nibabel_standard_sform_only.nii.gz')),
  ),
};

/** Decodes or throws a VoxelkitError; a returned volume must be self-consistent. */
function checkDecode(bytes: Uint8Array): void {
  let vol;
  try {
    vol = readNifti(bytes, { filename: 'fuzz.nii', maxBytes: LIMIT });
  } catch (e) {
    if (!(e instanceof VoxelkitError)) throw e;
    expect(e.message).toMatch(/fuzz\.nii/);
    return;
  }
  expect(vol.shape).toHaveLength(4);
  expect(vol.shape.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
  expect(vol.data.length).toBe(numel(vol.shape));
  expect(vol.data.byteLength).toBeLessThanOrEqual(LIMIT);
  expect(dtypeOf(vol.data)).toBe(vol.dtype);
  expect(isSingularAffine(vol.affine)).toBe(false);
}

function checkHeader(bytes: Uint8Array): void {
  try {
    readNiftiHeader(bytes);
  } catch (e) {
    if (!(e instanceof VoxelkitError)) throw e;
  }
}

const HOSTILE = [
  0,
  -1,
  1,
  2,
  3,
  4,
  7,
  8,
  16,
  348,
  352,
  540,
  32767,
  -32768,
  2 ** 31 - 1,
  -(2 ** 31),
  1e9,
  NaN,
  Infinity,
  -Infinity,
  1e38,
  -1e-38,
  0.5,
];

/** Overwrites an aligned 1/2/4/8-byte field in the first 560 bytes with a hostile value. */
const fieldWrite = fc.record({
  offset: fc.integer({ min: 0, max: 559 }),
  kind: fc.constantFrom('u8', 'i16', 'i32', 'f32', 'f64', 'i64'),
  value: fc.constantFrom(...HOSTILE),
  littleEndian: fc.boolean(),
});

function applyField(
  bytes: Uint8Array,
  w: { offset: number; kind: string; value: number; littleEndian: boolean },
): void {
  const size = { u8: 1, i16: 2, i32: 4, f32: 4, f64: 8, i64: 8 }[w.kind] as number;
  const at = w.offset - (w.offset % size);
  if (at + size > bytes.length) return;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int = Number.isFinite(w.value) ? Math.trunc(w.value) : 0;
  if (w.kind === 'u8') dv.setUint8(at, int & 0xff);
  else if (w.kind === 'i16') dv.setInt16(at, int, w.littleEndian);
  else if (w.kind === 'i32') dv.setInt32(at, int, w.littleEndian);
  else if (w.kind === 'f32') dv.setFloat32(at, w.value, w.littleEndian);
  else if (w.kind === 'f64') dv.setFloat64(at, w.value, w.littleEndian);
  else dv.setBigInt64(at, BigInt(int), w.littleEndian);
}

const flips = (max: number) =>
  fc.array(
    fc.record({
      pos: fc.oneof(fc.integer({ min: 0, max: 559 }), fc.nat({ max })),
      value: fc.integer({ min: 0, max: 255 }),
    }),
    { minLength: 1, maxLength: 6 },
  );

describe('nifti fuzz: corrupted files decode consistently or throw VoxelkitError', () => {
  for (const [name, seed] of Object.entries(SEEDS)) {
    it(`${name}: seed decodes`, () => checkDecode(seed));

    it(`${name}: random byte flips`, () => {
      fc.assert(
        fc.property(flips(seed.length - 1), (fl) => {
          const b = seed.slice();
          for (const f of fl) if (f.pos < b.length) b[f.pos] = f.value;
          checkDecode(b);
          checkHeader(b);
        }),
        { numRuns: 250, seed: 42 },
      );
    });

    it(`${name}: hostile header field values`, () => {
      fc.assert(
        fc.property(fc.array(fieldWrite, { minLength: 1, maxLength: 3 }), (writes) => {
          const b = seed.slice();
          for (const w of writes) applyField(b, w);
          checkDecode(b);
          // The same damage inside a gzip stream.
          checkDecode(new Uint8Array(gzipSync(b)));
        }),
        { numRuns: 250, seed: 7 },
      );
    });

    it(`${name}: truncation at any length`, () => {
      fc.assert(
        fc.property(fc.nat({ max: seed.length }), (n) => {
          checkDecode(seed.subarray(0, n));
          checkHeader(seed.subarray(0, n));
        }),
        { numRuns: 150, seed: 3 },
      );
    });
  }

  it('gzipped seeds survive damage to the compressed bytes', () => {
    const gz = new Uint8Array(gzipSync(SEEDS['int16 v1 BE scaled']));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pos: fc.nat({ max: gz.length - 1 }),
            value: fc.integer({ min: 0, max: 255 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (fl) => {
          const b = gz.slice();
          for (const f of fl) b[f.pos] = f.value;
          checkDecode(b);
          checkHeader(b);
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });
});
