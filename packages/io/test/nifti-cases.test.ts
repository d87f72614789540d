/**
 * The NIfTI field failure cases of shared/cases.md (#1, #4, #6, #7, #8, #9, #10), each with the
 * input it names and the behaviour we chose.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError, ResourceError, createMemoryLogger } from '@voxelkit/core';
import { encodeNifti, readNifti, readNiftiHeader } from '@voxelkit/io';
import { buildNifti, encodeValues, fileOrderValue, gzipMember } from './nifti-fixtures';

/** cases.md #7: 2x2x2 uint8 with data 1..8 at vox_offset 400. */
function case7(): Uint8Array {
  return buildNifti(
    { dim: [3, 2, 2, 2], datatype: 2, bitpix: 8, vox_offset: 400 },
    Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  );
}

describe('cases.md #1: sform code set but sform matrix all zeros', () => {
  it('falls back to the qform diag(2,3,4)+(10,20,30) and warns', () => {
    const bytes = buildNifti(
      {
        dim: [3, 4, 4, 4],
        datatype: 2,
        bitpix: 8,
        pixdim: [1, 2, 3, 4, 1, 1, 1, 1],
        qform_code: 1,
        quatern: [0, 0, 0],
        qoffset: [10, 20, 30],
        sform_code: 1,
      },
      new Uint8Array(64),
    );
    const logger = createMemoryLogger();
    const vol = readNifti(bytes, { filename: 'case1.nii', logger });
    expect(Array.from(vol.affine)).toEqual([2, 0, 0, 10, 0, 3, 0, 20, 0, 0, 4, 30, 0, 0, 0, 1]);
    expect(vol.meta.affineSource).toBe('qform');
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/sform/);
    expect(warnings[0].fields?.file).toBe('case1.nii');
  });
});

describe('cases.md #4: scl_slope 0 or NaN means no scaling', () => {
  const voxels = encodeValues([0, 100, -50], 'int16');
  const file = (scl_slope: number, scl_inter: number) =>
    buildNifti({ dim: [3, 3, 1, 1], datatype: 4, bitpix: 16, scl_slope, scl_inter }, voxels);

  it('slope 0, inter 5 -> [0, 100, -50] int16', () => {
    const vol = readNifti(file(0, 5));
    expect(vol.dtype).toBe('int16');
    expect(Array.from(vol.data)).toEqual([0, 100, -50]);
  });
  it('slope NaN, inter NaN -> [0, 100, -50] int16', () => {
    const vol = readNifti(file(NaN, NaN));
    expect(vol.dtype).toBe('int16');
    expect(Array.from(vol.data)).toEqual([0, 100, -50]);
  });
  it('slope 2, inter -1024 -> [-1024, -824, -1124] float32', () => {
    const vol = readNifti(file(2, -1024));
    expect(vol.dtype).toBe('float32');
    expect(vol.data).toBeInstanceOf(Float32Array);
    expect(Array.from(vol.data)).toEqual([-1024, -824, -1124]);
  });
  it('a uint8 label with slope 1 / inter 0 stays uint8', () => {
    const bytes = buildNifti(
      { dim: [3, 2, 1, 1], datatype: 2, bitpix: 8, scl_slope: 1, scl_inter: 0 },
      Uint8Array.from([0, 1]),
    );
    const vol = readNifti(bytes);
    expect(vol.dtype).toBe('uint8');
    expect(Array.from(vol.data)).toEqual([0, 1]);
  });
  it('float64 data with scaling stays float64', () => {
    const bytes = buildNifti(
      { dim: [3, 2, 1, 1], datatype: 64, bitpix: 64, scl_slope: 0.5, scl_inter: 1 },
      encodeValues([3, 1e300], 'float64'),
    );
    const vol = readNifti(bytes);
    expect(vol.dtype).toBe('float64');
    expect(Array.from(vol.data)).toEqual([2.5, 0.5e300 + 1]);
  });
});

describe('cases.md #6: extensions longer than the bytes given to the header parser', () => {
  const data = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);
  const bytes = buildNifti(
    { dim: [3, 2, 2, 2], datatype: 2, bitpix: 8, vox_offset: 1376, extender: [1, 0, 0, 0] },
    data,
  );
  new DataView(bytes.buffer).setInt32(352, 1024, true);
  new DataView(bytes.buffer).setInt32(356, 6, true);

  it('a 352-byte prefix gives the header with extensions reported as not read', () => {
    const h = readNiftiHeader(bytes.subarray(0, 352));
    expect(h.dim.slice(0, 4)).toEqual([3, 2, 2, 2]);
    expect(h.vox_offset).toBe(1376);
    expect(h.extensionsStatus).toBe('not-read');
    expect(h.extensions).toEqual([]);
  });
  it('a 540-byte prefix lists the extension from its esize/ecode', () => {
    const h = readNiftiHeader(bytes.subarray(0, 540));
    expect(h.extensions).toEqual([{ esize: 1024, ecode: 6, offset: 352 }]);
  });
  it('the full read takes the voxels from byte 1376', () => {
    const vol = readNifti(bytes);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => fileOrderValue(vol, i))).toEqual(Array.from(data));
    expect((vol.meta.header as { extensionsStatus: string }).extensionsStatus).toBe('complete');
  });
});

describe('cases.md #7: vox_offset honoured', () => {
  it('reads exactly 1..8 in file order from vox_offset 400', () => {
    const vol = readNifti(case7());
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => fileOrderValue(vol, i))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    // Our layout [C, X, Y, Z], z fastest: value at (x, y, z) is 1 + x + 2y + 4z.
    expect(Array.from(vol.data)).toEqual([1, 5, 3, 7, 2, 6, 4, 8]);
  });
  it('the writer emits vox_offset 352 and exactly 352 + 8 bytes', () => {
    const bytes = encodeNifti(readNifti(case7()));
    expect(bytes.length).toBe(360);
    expect(new DataView(bytes.buffer).getFloat32(108, true)).toBe(352);
    expect(Array.from(bytes.subarray(352))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('cases.md #8: gzip quirks', () => {
  it('A: a gzip header with a 300-character FNAME still parses', () => {
    const gz = gzipMember(case7(), 'x'.repeat(300));
    expect(gz[3] & 8).toBe(8);
    expect(readNiftiHeader(gz).dim.slice(0, 4)).toEqual([3, 2, 2, 2]);
    const vol = readNifti(gz);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => fileOrderValue(vol, i))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
  });
  it('two gzip members concatenated decode to the whole file', () => {
    const raw = case7();
    const gz = new Uint8Array([...gzipSync(raw.subarray(0, 380)), ...gzipSync(raw.subarray(380))]);
    const vol = readNifti(gz, { filename: 'two-members.nii.gz' });
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => fileOrderValue(vol, i))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
  });
  it('three members splitting the voxel data decode exactly', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251);
    const raw = buildNifti(
      { dim: [3, 10, 10, 10], datatype: 2, bitpix: 8 },
      Uint8Array.from(values),
    );
    const gz = new Uint8Array([
      ...gzipSync(raw.subarray(0, 100)),
      ...gzipSync(raw.subarray(100, 700)),
      ...gzipSync(raw.subarray(700)),
    ]);
    const vol = readNifti(gz);
    expect(values.every((v, i) => fileOrderValue(vol, i) === v)).toBe(true);
  });
});

describe('cases.md #9: volumes over 2 GiB', () => {
  const header = (z: number) => buildNifti({ dim: [3, 1024, 1024, z], datatype: 16, bitpix: 32 });

  it('1024x1024x600 float32 (2.34 GiB) throws ResourceError naming the file, from the header alone', () => {
    const err = (() => {
      try {
        readNifti(header(600), { filename: 'big.nii' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ResourceError);
    expect((err as ResourceError).details.file).toBe('big.nii');
    expect((err as Error).message).toMatch(/2516582400 bytes/);
  });
  it('the same header gzipped is judged by its header, not its .gz size', () => {
    expect(() => readNifti(gzipSync(header(600)))).toThrow(ResourceError);
  });
  it('1024x1024x500 float32 (1.95 GiB) passes the size check, then fails as truncated', () => {
    expect(() => readNifti(header(500), { filename: 'h.nii' })).toThrow(FormatError);
    expect(() => readNifti(header(500), { filename: 'h.nii' })).toThrow(
      /file shorter than the header says.*2097152352 bytes/,
    );
  });
  it('the limit is configurable', () => {
    const small = buildNifti({ dim: [3, 4, 4, 4], datatype: 2, bitpix: 8 }, new Uint8Array(64));
    expect(() => readNifti(small, { maxBytes: 63 })).toThrow(ResourceError);
    expect(readNifti(small, { maxBytes: 64 }).shape).toEqual([1, 4, 4, 4]);
  });
});

describe('cases.md #10: dim[0] = 4 or 5 with singleton dims', () => {
  const read = (dim: number[]) => {
    const n = dim.slice(1).reduce((a, b) => a * (b || 1), 1);
    const values = Array.from({ length: n }, (_, i) => i % 256);
    return {
      vol: readNifti(buildNifti({ dim, datatype: 2, bitpix: 8 }, Uint8Array.from(values))),
      values,
    };
  };
  it('A: dim=[4,4,5,6,1] -> spatial (4,5,6), 1 channel', () => {
    expect(read([4, 4, 5, 6, 1]).vol.shape).toEqual([1, 4, 5, 6]);
  });
  it('B: dim=[5,4,5,6,1,3] -> 3 channels holding the three stored volumes', () => {
    const { vol, values } = read([5, 4, 5, 6, 1, 3]);
    expect(vol.shape).toEqual([3, 4, 5, 6]);
    expect(values.every((v, i) => fileOrderValue(vol, i) === v)).toBe(true);
    expect(vol.data[((2 * 4 + 1) * 5 + 2) * 6 + 3]).toBe((2 * 120 + 3 * 20 + 2 * 4 + 1) % 256);
  });
  it('C: dim=[4,4,5,6,2] -> time as 2 channels', () => {
    const { vol, values } = read([4, 4, 5, 6, 2]);
    expect(vol.shape).toEqual([2, 4, 5, 6]);
    expect(values.every((v, i) => fileOrderValue(vol, i) === v)).toBe(true);
  });
  it('D: dim[4]=0 is read as 1', () => {
    expect(read([4, 4, 5, 6, 0]).vol.shape).toEqual([1, 4, 5, 6]);
  });
});
