/**
 * Bad input gives a typed error naming the file and the field, never garbage: truncation, wrong
 * magic, sizeof_hdr, dim/bitpix mismatch, absurd dims, short files, gzip errors, pairs without
 * their image.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError, VoxelkitError } from '@voxelkit/core';
import { readNifti, readNiftiHeader } from '@voxelkit/io';
import { buildNifti } from './nifti-fixtures';

const good = () =>
  buildNifti(
    { dim: [3, 2, 2, 2], datatype: 2, bitpix: 8 },
    Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  );

function errorOf(fn: () => unknown): VoxelkitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VoxelkitError) return e;
    throw new Error(`expected a VoxelkitError, got ${String(e)}`);
  }
  throw new Error('expected an error');
}

describe('nifti bad input', () => {
  it('truncated header (200 bytes) -> FormatError, field header', () => {
    const e = errorOf(() => readNifti(good().subarray(0, 200), { filename: 't.nii' }));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.details).toMatchObject({ file: 't.nii', field: 'header' });
  });
  it('3 bytes -> FormatError, field sizeof_hdr', () => {
    expect(errorOf(() => readNifti(new Uint8Array(3), { filename: 't.nii' })).details.field).toBe(
      'sizeof_hdr',
    );
  });
  it('wrong magic -> FormatError, field magic', () => {
    const b = good();
    b.set([0x41, 0x42, 0x43], 344);
    const e = errorOf(() => readNifti(b, { filename: 'm.nii' }));
    expect(e.details).toMatchObject({ file: 'm.nii', field: 'magic', actual: 'ABC' });
  });
  it('sizeof_hdr 349 -> FormatError, field sizeof_hdr', () => {
    const b = good();
    new DataView(b.buffer).setInt32(0, 349, true);
    expect(errorOf(() => readNifti(b)).details.field).toBe('sizeof_hdr');
  });
  it('NIfTI-2 magic with damaged end-of-line bytes -> FormatError', () => {
    const b = buildNifti(
      { version: 2, dim: [3, 1, 1, 1], datatype: 2, bitpix: 8 },
      new Uint8Array(1),
    );
    b[8] = 0x0a; // \r\n turned into \n by a text-mode copy
    expect(errorOf(() => readNifti(b)).details.field).toBe('magic[4..7]');
  });
  it('bitpix 16 for uint8 -> FormatError, field bitpix', () => {
    const b = buildNifti({ dim: [3, 2, 2, 2], datatype: 2, bitpix: 16 }, new Uint8Array(8));
    expect(errorOf(() => readNifti(b)).details).toMatchObject({
      field: 'bitpix',
      expected: 8,
      actual: 16,
    });
  });
  it('negative dim -> FormatError, field dim[2]', () => {
    const b = buildNifti({ dim: [3, 2, -2, 2], datatype: 2, bitpix: 8 }, new Uint8Array(8));
    expect(errorOf(() => readNifti(b)).details.field).toBe('dim[2]');
  });
  it('dim[0] = 9 -> FormatError, field dim[0]', () => {
    const b = buildNifti({ dim: [9, 2, 2, 2], datatype: 2, bitpix: 8 }, new Uint8Array(8));
    expect(errorOf(() => readNifti(b)).details.field).toBe('dim[0]');
  });
  it('a zero spatial dim -> FormatError, field dim[3]', () => {
    const b = buildNifti({ dim: [3, 2, 2, 0], datatype: 2, bitpix: 8 }, new Uint8Array(8));
    expect(errorOf(() => readNifti(b)).details.field).toBe('dim[3]');
  });
  it('absurd NIfTI-2 dims (2^40) -> FormatError before allocation', () => {
    const b = buildNifti({ version: 2, dim: [3, 2 ** 40, 2, 2], datatype: 2, bitpix: 8 });
    expect(errorOf(() => readNifti(b)).details.field).toBe('dim[1]');
  });
  it('file shorter than the header says -> FormatError naming the expected bytes', () => {
    const e = errorOf(() => readNifti(good().subarray(0, 357), { filename: 's.nii' }));
    expect(e.message).toMatch(/file shorter than the header says/);
    expect(e.details).toMatchObject({ file: 's.nii', expected: '360 bytes', actual: '357 bytes' });
  });
  it('vox_offset inside the header -> FormatError, field vox_offset', () => {
    const b = buildNifti(
      { dim: [3, 1, 1, 1], datatype: 2, bitpix: 8, vox_offset: 100 },
      new Uint8Array(1),
    );
    expect(errorOf(() => readNifti(b)).details.field).toBe('vox_offset');
  });
  it('valid slope with NaN intercept -> FormatError, field scl_inter', () => {
    const b = buildNifti(
      { dim: [3, 1, 1, 1], datatype: 2, bitpix: 8, scl_slope: 2, scl_inter: NaN },
      new Uint8Array(1),
    );
    expect(errorOf(() => readNifti(b)).details.field).toBe('scl_inter');
  });
  it('truncated .nii.gz -> FormatError "file shorter than the header says"', () => {
    const values = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) % 256);
    const gz = gzipSync(buildNifti({ dim: [3, 16, 16, 16], datatype: 2, bitpix: 8 }, values));
    const e = errorOf(() => readNifti(gz.subarray(0, gz.length - 200), { filename: 'cut.nii.gz' }));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.details.file).toBe('cut.nii.gz');
  });
  it('corrupt deflate data after the header -> FormatError naming the file', () => {
    const values = Uint8Array.from({ length: 4096 }, (_, i) => (i * i) % 251);
    const gz = gzipSync(buildNifti({ dim: [3, 16, 16, 16], datatype: 2, bitpix: 8 }, values));
    for (let i = gz.length - 300; i < gz.length - 8; i++) gz[i] = 0xff;
    const e = errorOf(() => readNifti(gz, { filename: 'bad.nii.gz' }));
    expect(e).toBeInstanceOf(FormatError);
    // Garbage that runs the inflater out of input reads as a truncated stream.
    expect(e.details.file).toBe('bad.nii.gz');
    expect(['gzip stream', 'vox_offset + voxel data']).toContain(e.details.field);
  });
  it('a flipped byte in a stored gzip block -> CRC-32 mismatch, not silent garbage', () => {
    const gz = gzipSync(good(), { level: 0 });
    gz[gz.length - 12] ^= 1; // a voxel byte inside the stored block
    const e = errorOf(() => readNifti(gz, { filename: 'flip.nii.gz' }));
    expect(e.message).toMatch(/CRC-32 mismatch/);
    expect(e.details.file).toBe('flip.nii.gz');
    // With the check disabled the flipped voxel comes through: the check is what catches it.
    expect(Array.from(readNifti(gz, { checkCrc: false }).data)).not.toEqual([
      1, 5, 3, 7, 2, 6, 4, 8,
    ]);
  });
  it('bad gzip method byte -> FormatError, field gzip header', () => {
    const gz = gzipSync(good());
    gz[2] = 7;
    expect(errorOf(() => readNifti(gz)).details.field).toBe('gzip header');
  });
  it('a .hdr of a pair without image bytes -> FormatError telling what to pass', () => {
    const hdr = buildNifti({
      dim: [3, 1, 1, 1],
      datatype: 2,
      bitpix: 8,
      magic: 'ni1',
      vox_offset: 0,
    });
    expect(errorOf(() => readNifti(hdr, { filename: 'a.hdr' })).message).toMatch(/options\.image/);
    const vol = readNifti(hdr, { filename: 'a.hdr', image: Uint8Array.from([42]) });
    expect(Array.from(vol.data)).toEqual([42]);
  });
  it('readNiftiHeader on non-NIfTI bytes -> FormatError', () => {
    expect(() =>
      readNiftiHeader(new TextEncoder().encode('hello world, not a NIfTI file at all')),
    ).toThrow(FormatError);
  });
});
