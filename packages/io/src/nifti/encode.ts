/**
 * Browser-safe NIfTI-1 writer: a {@link Volume} (`[C, X, Y, Z]`, z fastest) becomes a
 * single-file little-endian NIfTI-1 of exactly 352 + voxel bytes (vox_offset 352, no
 * extensions), optionally gzipped with fflate.
 */
import { gzipSync } from 'fflate';
import {
  ArgumentError,
  dtypeOf,
  isSingularAffine,
  numel,
  type TypedArray,
  type Volume,
} from '@voxelkit/core';
import { affineToQform } from './affine.js';
import { niftiDatatypeFromDtype } from './datatypes.js';
import type { NiftiHeader } from './header.js';

/** Options of {@link encodeNifti}. */
export interface EncodeNiftiOptions {
  /** gzip the result (default false). */
  gzip?: boolean;
  /** gzip level 0–9 (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /**
   * Source header whose descriptive fields are kept (descrip, aux_file, intent_*, xyzt_units,
   * cal_min/cal_max, qform_code/sform_code, pixdim[4..7], toffset, and the dims 4–7 layout when
   * it still matches the channel count). Default: `volume.meta.header` when it is a NIfTI header.
   */
  header?: Partial<NiftiHeader>;
}

const HEADER_BYTES = 352;
const NATIVE_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes a volume as NIfTI-1.
 *
 * The affine goes to the sform (float32) and, when its linear part is a rotation times positive
 * voxel sizes, also to the qform (quaternion, qfac in pixdim[0]); an affine with shear gets
 * qform_code 0. Codes: the source header's when given (sform_code falls back to its qform_code,
 * then 1), otherwise 1 (scanner) for both. Data are stored with the volume's own dtype and
 * scl_slope 1 / scl_inter 0, so read → write → read is bit-exact for the data.
 *
 * @throws ArgumentError when the shape, data length or affine is not writable (NIfTI-1 limits
 *   each dimension to 32767).
 *
 * @example
 * ```ts
 * const bytes = encodeNifti(createVolume(new Uint8Array(8), [1, 2, 2, 2]), { gzip: true });
 * ```
 */
export function encodeNifti(volume: Volume, options: EncodeNiftiOptions = {}): Uint8Array {
  const { shape, data, affine } = volume;
  checkWritable(volume);
  const source = options.header ?? asNiftiHeader(volume.meta.header);
  const [C, X, Y, Z] = shape;
  const type = niftiDatatypeFromDtype(volume.dtype);
  const out = new Uint8Array(HEADER_BYTES + data.length * type.bytes);
  const view = new DataView(out.buffer);
  const setI16 = (o: number, v: number) => view.setInt16(o, v, true);
  const setF32 = (o: number, v: number) => view.setFloat32(o, v, true);

  view.setInt32(0, 348, true);
  const dims = dimsFor(C, X, Y, Z, source);
  dims.forEach((d, i) => setI16(40 + i * 2, d));
  setF32(56, source?.intent_p1 ?? 0);
  setF32(60, source?.intent_p2 ?? 0);
  setF32(64, source?.intent_p3 ?? 0);
  setI16(68, source?.intent_code ?? 0);
  setI16(70, type.code);
  setI16(72, type.bytes * 8);

  const qform = affineToQform(affine);
  const pixdim = [qform?.qfac ?? 1, ...(qform?.pixdim ?? columnNorms(affine)), 1, 1, 1, 1];
  for (let i = 4; i < 8; i++) {
    const p = source?.pixdim?.[i];
    if (p !== undefined && Number.isFinite(p)) pixdim[i] = p;
  }
  pixdim.forEach((p, i) => setF32(76 + i * 4, p));
  setF32(108, HEADER_BYTES);
  setF32(112, 1);
  setF32(116, 0);
  out[123] = source?.xyzt_units ?? 2; // NIFTI_UNITS_MM
  setF32(124, source?.cal_max ?? 0);
  setF32(128, source?.cal_min ?? 0);
  setF32(136, source?.toffset ?? 0);
  writeString(out, 148, 80, source?.descrip ?? '');
  writeString(out, 228, 24, source?.aux_file ?? '');

  const srcQ = source?.qform_code ?? 1;
  const srcS = source?.sform_code ?? 1;
  setI16(252, qform ? srcQ : 0);
  setI16(254, srcS > 0 ? srcS : srcQ > 0 ? srcQ : 1);
  if (qform) {
    setF32(256, qform.quatern_b);
    setF32(260, qform.quatern_c);
    setF32(264, qform.quatern_d);
    setF32(268, qform.qoffset_x);
    setF32(272, qform.qoffset_y);
    setF32(276, qform.qoffset_z);
  }
  for (let i = 0; i < 12; i++) setF32(280 + i * 4, affine[i]);
  writeString(out, 328, 16, source?.intent_name ?? '');
  writeString(out, 344, 4, 'n+1');

  writeVoxels(out, HEADER_BYTES, data, [C, X, Y, Z], type.bytes);
  return options.gzip ? gzipSync(out, { level: options.level ?? 6 }) : out;
}

// Limitation: the writer emits NIfTI-1 only (dims <= 32767), single-file, little-endian, with no
// extensions; NIfTI-2 and .hdr/.img output are not implemented.
function checkWritable(volume: Volume): void {
  const { shape, data, affine } = volume;
  if (shape.length !== 4 || shape.some((s) => !Number.isInteger(s) || s < 1 || s > 32767)) {
    throw new ArgumentError('NIfTI-1 needs a [C, X, Y, Z] shape with sizes 1..32767', {
      field: 'shape',
      expected: '[C, X, Y, Z], each 1..32767',
      actual: shape,
    });
  }
  if (data.length !== numel(shape)) {
    throw new ArgumentError('volume data length does not match its shape', {
      field: 'data.length',
      expected: numel(shape),
      actual: data.length,
    });
  }
  if (dtypeOf(data) !== volume.dtype) {
    throw new ArgumentError('volume dtype does not match its data array', {
      field: 'dtype',
      expected: dtypeOf(data),
      actual: volume.dtype,
    });
  }
  if (affine.length !== 16 || isSingularAffine(affine)) {
    throw new ArgumentError('affine must be a finite, non-singular 4x4 matrix', {
      field: 'affine',
      actual: Array.from(affine),
    });
  }
}

/** dim[] for the file: 3D for one channel, else the source's dims 4–7 if they still fit. */
function dimsFor(
  C: number,
  X: number,
  Y: number,
  Z: number,
  source?: Partial<NiftiHeader>,
): number[] {
  if (C === 1) return [3, X, Y, Z, 1, 1, 1, 1];
  const sd = source?.dim;
  if (sd && sd.length === 8 && sd[0] > 4 && sd[0] <= 7) {
    const extra = sd.slice(4, 8).map((d, i) => (i + 4 <= sd[0] && d > 0 ? d : 1));
    if (extra.reduce((a, b) => a * b, 1) === C) return [sd[0], X, Y, Z, ...extra];
  }
  return [4, X, Y, Z, C, 1, 1, 1];
}

function asNiftiHeader(value: unknown): Partial<NiftiHeader> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<NiftiHeader>;
  return v.niftiVersion === 1 || v.niftiVersion === 2 ? v : undefined;
}

function columnNorms(affine: Float64Array): number[] {
  return [0, 1, 2].map((c) => Math.hypot(affine[c], affine[4 + c], affine[8 + c]));
}

function writeString(out: Uint8Array, at: number, size: number, text: string): void {
  // Latin-1, truncated so a terminating NUL always fits.
  for (let i = 0; i < Math.min(text.length, size - 1); i++) out[at + i] = text.charCodeAt(i) & 0xff;
}

/** `[C, X, Y, Z]` (z fastest) → file order (x fastest), tiled like the reader, little-endian. */
function writeVoxels(
  out: Uint8Array,
  at: number,
  data: TypedArray,
  shape: number[],
  bytes: number,
): void {
  const [C, X, Y, Z] = shape;
  const Ctor = data.constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray;
  const dst = new Ctor(out.buffer, out.byteOffset + at, data.length);
  const YZ = Y * Z;
  // Innermost loop writes contiguous x (file order), mirroring the reader's kernel.
  const T = 16;
  for (let c = 0; c < C; c++) {
    const base = c * X * YZ;
    for (let y = 0; y < Y; y++) {
      for (let z0 = 0; z0 < Z; z0 += T) {
        const z1 = Math.min(z0 + T, Z);
        for (let x0 = 0; x0 < X; x0 += T) {
          const x1 = Math.min(x0 + T, X);
          for (let z = z0; z < z1; z++) {
            let i = base + x0 * YZ + y * Z + z;
            let o = base + (z * Y + y) * X + x0;
            for (let x = x0; x < x1; x++, i += YZ, o++) dst[o] = data[i];
          }
        }
      }
    }
  }
  if (!NATIVE_LITTLE_ENDIAN && bytes > 1) {
    // Big-endian host: the typed array wrote native order; NIfTI files we write are little-endian.
    for (let p = at; p < out.length; p += bytes) out.subarray(p, p + bytes).reverse();
  }
}
