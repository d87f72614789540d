/**
 * The NIfTI writer: read → write → read is bit-exact for data and dtype, the affine comes back as
 * the float32 rounding of each of its 12 entries (the sform is float32, and the reader prefers it),
 * the qform reproduces the affine to float32 precision when there is no shear, header fields are
 * kept, and saveNifti writes atomically.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { affineFromRows, createVolume, type Volume } from '@voxelkit/core';
import {
  encodeNifti,
  loadNifti,
  qformAffine,
  readNifti,
  readNiftiHeader,
  saveNifti,
  type NiftiHeader,
} from '@voxelkit/io';

const zoo = path.resolve(__dirname, '../../../../shared/data/nifti-zoo');
const spleen = path.resolve(__dirname, '../../../data/spleen-mini');
const scratch = mkdtempSync(path.join(tmpdir(), 'voxelkit-nifti-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const files = [
  ...readdirSync(zoo)
    .filter((f) => /\.(nii|nii\.gz|hdr|hdr\.gz)$/.test(f))
    .map((f) => path.join(zoo, f)),
  path.join(spleen, 'imagesTr/spleen_ts002.nii.gz'),
  path.join(spleen, 'labelsTr/spleen_ts003.nii.gz'),
];

function bytesOf(v: Volume): Uint8Array {
  return new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

describe('nifti round trip read -> write -> read', () => {
  for (const file of files) {
    it(`${path.basename(file)}: data bit-exact, dtype and shape equal, affine = fround(affine)`, async () => {
      const first = await loadNifti(file);
      const again = readNifti(encodeNifti(first, { gzip: true }));
      expect(again.dtype).toBe(first.dtype);
      expect(again.shape).toEqual(first.shape);
      expect(Buffer.compare(bytesOf(again), bytesOf(first))).toBe(0);
      for (let i = 0; i < 12; i++) expect(again.affine[i]).toBe(Math.fround(first.affine[i]));
      expect(Array.from(again.affine.subarray(12))).toEqual([0, 0, 0, 1]);
      // Where the qform is written it agrees with the affine to what a float32 quaternion can hold:
      // near-180° rotations recompute a = sqrt(1 - b² - c² - d²) with cancellation, ~1.4e-4 here
      // for the NIfTI-2 example (whose own qform, written by nibabel, is off by the same amount).
      const h = again.meta.header as NiftiHeader;
      if (h.qform_code > 0) {
        const q = qformAffine(h);
        for (let i = 0; i < 12; i++) expect(Math.abs(q[i] - first.affine[i])).toBeLessThan(1e-3);
      }
    });
  }
});

describe('nifti writer header', () => {
  it('keeps descrip, intent, xyzt_units, cal_min/max and the form codes of the source header', () => {
    const src = readNifti(encodeNifti(createVolume(new Int16Array(8), [1, 2, 2, 2])));
    const header = {
      ...(src.meta.header as NiftiHeader),
      descrip: 'spleen CT, cropped',
      intent_code: 1002,
      intent_name: 'label',
      xyzt_units: 10,
      cal_min: -100,
      cal_max: 400,
      qform_code: 2,
      sform_code: 4,
    };
    const out = readNiftiHeader(encodeNifti({ ...src, meta: { header } }));
    expect(out).toMatchObject({
      descrip: 'spleen CT, cropped',
      intent_code: 1002,
      intent_name: 'label',
      xyzt_units: 10,
      cal_min: -100,
      cal_max: 400,
      qform_code: 2,
      sform_code: 4,
      vox_offset: 352,
      magic: 'n+1',
    });
  });
  it('an affine with shear is written as sform only (qform_code 0)', () => {
    const affine = affineFromRows([
      [1, 0.5, 0, 3],
      [0, 1, 0, 4],
      [0, 0, 2, 5],
    ]);
    const bytes = encodeNifti(createVolume(new Float32Array(8), [1, 2, 2, 2], affine));
    const h = readNiftiHeader(bytes);
    expect(h.qform_code).toBe(0);
    expect(h.sform_code).toBe(1);
    expect(Array.from(readNifti(bytes).affine)).toEqual(Array.from(affine));
  });
  it('an LPS rotation goes to the qform with qfac -1 and the right quaternion', () => {
    // 90° about z then a left-handed flip of k: columns (0,1,0), (-1,0,0), (0,0,-1), sizes 2,3,4.
    const affine = affineFromRows([
      [0, -3, 0, 10],
      [2, 0, 0, 20],
      [0, 0, -4, 30],
    ]);
    const h = readNiftiHeader(encodeNifti(createVolume(new Uint8Array(8), [1, 2, 2, 2], affine)));
    expect(h.pixdim.slice(0, 4)).toEqual([-1, 2, 3, 4]);
    // Rotation by +90° about z: a = cos 45°, d = sin 45°.
    expect(Math.abs(h.quatern_b)).toBe(0);
    expect(Math.abs(h.quatern_c)).toBe(0);
    expect(h.quatern_d).toBeCloseTo(Math.SQRT1_2, 7);
    expect([h.qoffset_x, h.qoffset_y, h.qoffset_z]).toEqual([10, 20, 30]);
    const q = qformAffine(h);
    for (let i = 0; i < 12; i++) expect(q[i]).toBeCloseTo(affine[i], 6);
  });
  it('a 5D vector source keeps its dim layout; other multi-channel volumes are written 4D', async () => {
    const five = await loadNifti(path.join(zoo, 'njs_5D_small_scaled.nii'));
    expect(readNiftiHeader(encodeNifti(five)).dim).toEqual([5, 1, 2, 3, 1, 3, 1, 1]);
    const plain = createVolume(new Uint8Array(2 * 8), [2, 2, 2, 2]);
    expect(readNiftiHeader(encodeNifti(plain)).dim).toEqual([4, 2, 2, 2, 2, 1, 1, 1]);
  });
  it('rejects shapes NIfTI-1 cannot hold, singular affines and a dtype that does not match the data', () => {
    expect(() => encodeNifti(createVolume(new Uint8Array(40000), [1, 40000, 1, 1]))).toThrow(
      /32767/,
    );
    const flat = createVolume(new Uint8Array(8), [1, 2, 2, 2], new Float64Array(16));
    expect(() => encodeNifti(flat)).toThrow(/affine/);
    const mislabelled = {
      ...createVolume(new Int16Array(8), [1, 2, 2, 2]),
      dtype: 'float32' as const,
    };
    expect(() => encodeNifti(mislabelled)).toThrow(/dtype/);
  });
});

describe('saveNifti', () => {
  it('writes .nii.gz gzipped and .nii plain, atomically, and both load back', async () => {
    const vol = await loadNifti(path.join(zoo, 'nibabel_anatomical_bigendian.nii'));
    const gzPath = path.join(scratch, 'anat.nii.gz');
    const rawPath = path.join(scratch, 'anat.nii');
    await saveNifti(gzPath, vol);
    await saveNifti(rawPath, vol);
    expect(Array.from(readFileSync(gzPath).subarray(0, 2))).toEqual([0x1f, 0x8b]);
    expect(readFileSync(rawPath).length).toBe(352 + vol.data.byteLength);
    expect(readdirSync(scratch).filter((f) => f.includes('.tmp-'))).toEqual([]);
    for (const p of [gzPath, rawPath]) {
      const back = await loadNifti(p);
      expect(Buffer.compare(bytesOf(back), bytesOf(vol))).toBe(0);
      expect(back.meta.filename).toBe(p);
    }
  });
  it('refuses .hdr/.img targets', async () => {
    const vol = createVolume(new Uint8Array(1), [1, 1, 1, 1]);
    await expect(saveNifti(path.join(scratch, 'x.hdr'), vol)).rejects.toThrow(/single-file/);
  });
  it('loadNifti names a missing file', async () => {
    await expect(loadNifti(path.join(scratch, 'missing.nii.gz'))).rejects.toThrow(
      /missing\.nii\.gz/,
    );
  });
  it('loadNifti: truncated, multi-member and corrupt .nii.gz files', async () => {
    const vol = await loadNifti(path.join(zoo, 'nibabel_functional_scaled_4d.nii'));
    const raw = encodeNifti(vol);
    const gz = gzipSync(raw);
    const cut = path.join(scratch, 'cut.nii.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 1000));
    await expect(loadNifti(cut)).rejects.toThrow(/shorter than the header says.*cut\.nii\.gz/);
    const multi = path.join(scratch, 'multi.nii.gz');
    writeFileSync(
      multi,
      Buffer.concat([gzipSync(raw.subarray(0, 5000)), gzipSync(raw.subarray(5000))]),
    );
    expect(Buffer.compare(bytesOf(await loadNifti(multi)), bytesOf(vol))).toBe(0);
    const bad = path.join(scratch, 'bad.nii.gz');
    const damaged = Buffer.from(gz);
    damaged[damaged.length - 12] ^= 0xff; // inside the CRC-covered data or the trailer
    writeFileSync(bad, damaged);
    await expect(loadNifti(bad)).rejects.toThrow(/bad\.nii\.gz/);
  });
  it('loadNifti accepts the .img path of a pair', async () => {
    const vol = await loadNifti(path.join(zoo, 'njs_air_pair.img'));
    expect(vol.shape).toEqual([1, 79, 67, 64]);
  });
});
