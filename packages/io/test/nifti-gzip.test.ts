/**
 * The browser-safe fflate path (readNifti on .gz bytes) decodes exactly what loadNifti's native
 * zlib path decodes, for every gzipped file of the zoo and for gzipped pairs; trailing bytes after
 * the voxels and gzip prefixes for header sniffing are handled.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResourceError, type Volume } from '@voxelkit/core';
import { loadNifti, readNifti, readNiftiHeader } from '@voxelkit/io';
import { buildNifti, fileOrderValue } from './nifti-fixtures';

const zoo = path.resolve(__dirname, '../../../../shared/data/nifti-zoo');
const bytesOf = (v: Volume) => Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);

describe('nifti gzip paths', () => {
  for (const name of readdirSync(zoo).filter((f) => f.endsWith('.nii.gz'))) {
    it(`${name}: readNifti (fflate) equals loadNifti (zlib)`, async () => {
      const viaFflate = readNifti(new Uint8Array(readFileSync(path.join(zoo, name))));
      const viaZlib = await loadNifti(path.join(zoo, name));
      expect(viaFflate.shape).toEqual(viaZlib.shape);
      expect(viaFflate.dtype).toBe(viaZlib.dtype);
      expect(bytesOf(viaFflate).equals(bytesOf(viaZlib))).toBe(true);
      expect(Array.from(viaFflate.affine)).toEqual(Array.from(viaZlib.affine));
    });
  }

  it('gzipped pair through readNifti: .hdr.gz bytes plus image .img.gz bytes', async () => {
    const hdr = new Uint8Array(readFileSync(path.join(zoo, 'njs_air_pair_gz.hdr.gz')));
    const img = new Uint8Array(readFileSync(path.join(zoo, 'njs_air_pair_gz.img.gz')));
    const vol = readNifti(hdr, { image: img, filename: 'njs_air_pair_gz.hdr.gz' });
    const plain = await loadNifti(path.join(zoo, 'njs_air_pair.hdr'));
    expect(bytesOf(vol).equals(bytesOf(plain))).toBe(true);
  });

  it('trailing bytes after the voxel data are ignored (gz and plain)', () => {
    const file = buildNifti(
      { dim: [3, 2, 2, 2], datatype: 2, bitpix: 8 },
      Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 99, 99, 99]),
    );
    for (const bytes of [file, new Uint8Array(gzipSync(file))]) {
      const vol = readNifti(bytes);
      expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => fileOrderValue(vol, i))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
    }
  });

  it('header sniffing on a gzip prefix lists a large extension (cases.md #6 gzipped)', () => {
    const bytes = buildNifti(
      { dim: [3, 2, 2, 2], datatype: 2, bitpix: 8, vox_offset: 1376, extender: [1, 0, 0, 0] },
      new Uint8Array(8),
    );
    new DataView(bytes.buffer).setInt32(352, 1024, true);
    const gz = new Uint8Array(gzipSync(bytes));
    expect(readNiftiHeader(gz).extensions).toEqual([{ esize: 1024, ecode: 0, offset: 352 }]);
    // A gzip prefix too short to hold the header is a FormatError, not a crash.
    expect(() => readNiftiHeader(gz.subarray(0, 20))).toThrow(/header|sizeof_hdr/);
  });

  it('a NIfTI-2 vox_offset of 2^33 is refused before any allocation', () => {
    const b = buildNifti(
      { version: 2, dim: [3, 1, 1, 1], datatype: 2, bitpix: 8 },
      new Uint8Array(1),
    );
    new DataView(b.buffer).setBigInt64(168, 2n ** 33n, true);
    expect(() => readNifti(new Uint8Array(gzipSync(b)), { filename: 'far.nii.gz' })).toThrow(
      ResourceError,
    );
  });
});
