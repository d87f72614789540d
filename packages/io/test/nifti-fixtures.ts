/**
 * Test-only NIfTI byte builder, written straight from the nifti1.h / nifti2.h field offsets with
 * DataView, independent of the library's encoder, so tests do not check our reader against our
 * own writer. Also a tiny CRC-32 and a gzip-member builder (for FNAME / multi-member cases).
 */
import { deflateRawSync } from 'node:zlib';

/** Header fields a test may set; everything else is zero. */
export interface FixtureHeader {
  version?: 1 | 2;
  littleEndian?: boolean;
  magic?: string;
  dim: number[];
  datatype: number;
  bitpix: number;
  pixdim?: number[];
  vox_offset?: number;
  scl_slope?: number;
  scl_inter?: number;
  qform_code?: number;
  sform_code?: number;
  quatern?: [number, number, number];
  qoffset?: [number, number, number];
  srow?: [number[], number[], number[]];
  descrip?: string;
  intent_code?: number;
  xyzt_units?: number;
  cal_min?: number;
  cal_max?: number;
  extender?: number[];
}

/** Bytes of a single-file NIfTI: header, extender, padding up to vox_offset, then `data`. */
export function buildNifti(h: FixtureHeader, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const v2 = h.version === 2;
  const hdrSize = v2 ? 540 : 348;
  const voxOffset = h.vox_offset ?? hdrSize + 4;
  const out = new Uint8Array(Math.max(voxOffset, hdrSize + 4) + data.length);
  const dv = new DataView(out.buffer);
  const le = h.littleEndian ?? true;
  const pixdim = h.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  const str = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  const dim = [...h.dim, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  const srow = h.srow ?? [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ];
  const q = h.quatern ?? [0, 0, 0];
  const qo = h.qoffset ?? [0, 0, 0];
  if (!v2) {
    dv.setInt32(0, 348, le);
    dim.forEach((d, i) => dv.setInt16(40 + 2 * i, d, le));
    dv.setInt16(68, h.intent_code ?? 0, le);
    dv.setInt16(70, h.datatype, le);
    dv.setInt16(72, h.bitpix, le);
    pixdim.forEach((p, i) => dv.setFloat32(76 + 4 * i, p, le));
    dv.setFloat32(108, voxOffset, le);
    dv.setFloat32(112, h.scl_slope ?? 1, le);
    dv.setFloat32(116, h.scl_inter ?? 0, le);
    out[123] = h.xyzt_units ?? 0;
    dv.setFloat32(124, h.cal_max ?? 0, le);
    dv.setFloat32(128, h.cal_min ?? 0, le);
    str(148, h.descrip ?? '');
    dv.setInt16(252, h.qform_code ?? 0, le);
    dv.setInt16(254, h.sform_code ?? 0, le);
    q.forEach((v, i) => dv.setFloat32(256 + 4 * i, v, le));
    qo.forEach((v, i) => dv.setFloat32(268 + 4 * i, v, le));
    srow.forEach((row, r) => row.forEach((v, c) => dv.setFloat32(280 + 16 * r + 4 * c, v, le)));
    str(344, h.magic ?? 'n+1');
  } else {
    dv.setInt32(0, 540, le);
    str(4, h.magic ?? 'n+2');
    out.set([0x0d, 0x0a, 0x1a, 0x0a], 8);
    dv.setInt16(12, h.datatype, le);
    dv.setInt16(14, h.bitpix, le);
    dim.forEach((d, i) => dv.setBigInt64(16 + 8 * i, BigInt(d), le));
    pixdim.forEach((p, i) => dv.setFloat64(104 + 8 * i, p, le));
    dv.setBigInt64(168, BigInt(voxOffset), le);
    dv.setFloat64(176, h.scl_slope ?? 1, le);
    dv.setFloat64(184, h.scl_inter ?? 0, le);
    dv.setInt32(344, h.qform_code ?? 0, le);
    dv.setInt32(348, h.sform_code ?? 0, le);
    q.forEach((v, i) => dv.setFloat64(352 + 8 * i, v, le));
    qo.forEach((v, i) => dv.setFloat64(376 + 8 * i, v, le));
    srow.forEach((row, r) => row.forEach((v, c) => dv.setFloat64(400 + 32 * r + 8 * c, v, le)));
    dv.setInt32(504, h.intent_code ?? 0, le);
  }
  (h.extender ?? [0, 0, 0, 0]).forEach((b, i) => (out[hdrSize + i] = b));
  out.set(data, Math.max(voxOffset, hdrSize + 4));
  return out;
}

/** Encodes `values` (file order) as the bytes of a NIfTI datatype in the given byte order. */
export function encodeValues(
  values: readonly (number | bigint)[],
  type: string,
  littleEndian = true,
): Uint8Array {
  const size =
    { uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4 }[type] ?? 8;
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    const o = i * size;
    const n = Number(v);
    switch (type) {
      case 'uint8':
        return dv.setUint8(o, n);
      case 'int8':
        return dv.setInt8(o, n);
      case 'int16':
        return dv.setInt16(o, n, littleEndian);
      case 'uint16':
        return dv.setUint16(o, n, littleEndian);
      case 'int32':
        return dv.setInt32(o, n, littleEndian);
      case 'uint32':
        return dv.setUint32(o, n, littleEndian);
      case 'float32':
        return dv.setFloat32(o, n, littleEndian);
      case 'float64':
        return dv.setFloat64(o, n, littleEndian);
      case 'int64':
        return dv.setBigInt64(o, BigInt(v), littleEndian);
      case 'uint64':
        return dv.setBigUint64(o, BigInt(v), littleEndian);
    }
  });
  return out;
}

/** CRC-32 (IEEE) as gzip's trailer uses it. */
export function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** One gzip member with an optional FNAME field, built by hand around zlib's raw deflate. */
export function gzipMember(raw: Uint8Array, fname?: string): Uint8Array {
  const name = fname === undefined ? new Uint8Array(0) : new TextEncoder().encode(`${fname}\0`);
  const body = deflateRawSync(raw, { level: 6 });
  const out = new Uint8Array(10 + name.length + body.length + 8);
  out.set([0x1f, 0x8b, 8, fname === undefined ? 0 : 8, 0, 0, 0, 0, 0, 3]);
  out.set(name, 10);
  out.set(body, 10 + name.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(out.length - 8, crc32(raw), true);
  dv.setUint32(out.length - 4, raw.length >>> 0, true);
  return out;
}

/** Value of the i-th voxel in NIfTI file order of a `[C, X, Y, Z]` volume. */
export function fileOrderValue(
  vol: { data: ArrayLike<number>; shape: number[] },
  i: number,
): number {
  const [, X, Y, Z] = vol.shape;
  const x = i % X;
  const y = Math.floor(i / X) % Y;
  const z = Math.floor(i / (X * Y)) % Z;
  const c = Math.floor(i / (X * Y * Z));
  return vol.data[((c * X + x) * Y + y) * Z + z];
}
