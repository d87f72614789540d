/**
 * The voxel conversion kernel: NIfTI file order (x fastest, then y, z, then the 3D volumes of
 * dims 4–7) into voxelkit's `[C, X, Y, Z]` row-major layout (z fastest), with byte swapping,
 * 64-bit integer conversion and scl_slope/scl_inter scaling fused into the same single pass.
 * The source bytes are read in place (a typed-array view when the byte order is native and the
 * offset aligned, otherwise DataView reads), so no intermediate copy of the voxels is made.
 */
import { DataError, ResourceError, allocate, type DType, type TypedArray } from '@voxelkit/core';
import type { NiftiDatatype } from './datatypes.js';

/** Everything the kernel needs to know about the voxels. */
export interface VoxelLayout {
  datatype: NiftiDatatype;
  littleEndian: boolean;
  /** Spatial sizes `[X, Y, Z]`. */
  spatial: [number, number, number];
  /** Number of 3D volumes (product of dims 4–7). */
  channels: number;
  /** Output dtype (the on-disk one, or float32/float64 when scaled). */
  dtype: DType;
  /** Applied only when `scaled` is true. */
  slope: number;
  inter: number;
  scaled: boolean;
}

const TILE = 16;
const NATIVE_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts the voxels starting at `bytes[offset]` into a new `[C, X, Y, Z]` typed array.
 * The caller has checked that `bytes` holds all of them.
 *
 * @throws DataError when an int64/uint64 voxel is too large to be exact in a float64.
 */
export function decodeVoxels(
  bytes: Uint8Array,
  offset: number,
  layout: VoxelLayout,
  file?: string,
): TypedArray {
  const [X, Y, Z] = layout.spatial;
  const count = X * Y * Z * layout.channels;
  let out: TypedArray;
  try {
    out = allocate(layout.dtype, count);
  } catch (error) {
    throw new ResourceError('cannot allocate the voxel buffer', {
      file,
      actual: `${count} ${layout.dtype}`,
      cause: error,
    });
  }
  const type = layout.datatype;
  const start = bytes.byteOffset + offset;
  const native = type.bytes === 1 || layout.littleEndian === NATIVE_LITTLE_ENDIAN;
  if (!type.int64 && native && start % type.bytes === 0) {
    const view = typedView(type.dtype, bytes.buffer, start, count);
    if (layout.scaled) transposeScaled(out, view, layout);
    else transposeCopy(out, view, layout);
    return out;
  }
  const reader = makeReader(bytes, offset, type, layout.littleEndian, file);
  transposeRead(out, reader, layout);
  return out;
}

/** The element type of the source, viewed in place. */
function typedView(
  dtype: DType,
  buffer: ArrayBufferLike,
  start: number,
  count: number,
): TypedArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buffer, start, count);
    case 'int8':
      return new Int8Array(buffer, start, count);
    case 'uint16':
      return new Uint16Array(buffer, start, count);
    case 'int16':
      return new Int16Array(buffer, start, count);
    case 'uint32':
      return new Uint32Array(buffer, start, count);
    case 'int32':
      return new Int32Array(buffer, start, count);
    case 'float32':
      return new Float32Array(buffer, start, count);
    case 'float64':
      return new Float64Array(buffer, start, count);
  }
}

// The three loops below are the same tiled transpose: for each channel and each y, the (x, z)
// plane is walked in TILE×TILE blocks with the innermost loop writing contiguous z. Measured on a
// 512×512×500 int16 volume this order with TILE 16 took 0.34 s of CPU against 0.58 s for
// x-innermost with TILE 32 (power-of-two strides make larger tiles thrash cache sets). They are written out three times (copy / scale / DataView) so each inner loop
// is monomorphic and free of branches.

function transposeCopy(out: TypedArray, src: TypedArray, layout: VoxelLayout): void {
  const [X, Y, Z] = layout.spatial;
  const YZ = Y * Z;
  const XY = X * Y;
  const volume = X * YZ;
  for (let c = 0; c < layout.channels; c++) {
    const base = c * volume;
    for (let y = 0; y < Y; y++) {
      for (let x0 = 0; x0 < X; x0 += TILE) {
        const x1 = Math.min(x0 + TILE, X);
        for (let z0 = 0; z0 < Z; z0 += TILE) {
          const z1 = Math.min(z0 + TILE, Z);
          for (let x = x0; x < x1; x++) {
            let i = base + (z0 * Y + y) * X + x;
            let o = base + x * YZ + y * Z + z0;
            for (let z = z0; z < z1; z++, i += XY, o++) out[o] = src[i];
          }
        }
      }
    }
  }
}

function transposeScaled(out: TypedArray, src: TypedArray, layout: VoxelLayout): void {
  const [X, Y, Z] = layout.spatial;
  const { slope, inter } = layout;
  const YZ = Y * Z;
  const XY = X * Y;
  const volume = X * YZ;
  for (let c = 0; c < layout.channels; c++) {
    const base = c * volume;
    for (let y = 0; y < Y; y++) {
      for (let x0 = 0; x0 < X; x0 += TILE) {
        const x1 = Math.min(x0 + TILE, X);
        for (let z0 = 0; z0 < Z; z0 += TILE) {
          const z1 = Math.min(z0 + TILE, Z);
          for (let x = x0; x < x1; x++) {
            let i = base + (z0 * Y + y) * X + x;
            let o = base + x * YZ + y * Z + z0;
            for (let z = z0; z < z1; z++, i += XY, o++) out[o] = src[i] * slope + inter;
          }
        }
      }
    }
  }
}

function transposeRead(
  out: TypedArray,
  read: (index: number) => number,
  layout: VoxelLayout,
): void {
  const [X, Y, Z] = layout.spatial;
  const { slope, inter, scaled } = layout;
  const s = scaled ? slope : 1;
  const t = scaled ? inter : 0;
  const YZ = Y * Z;
  const XY = X * Y;
  const volume = X * YZ;
  for (let c = 0; c < layout.channels; c++) {
    const base = c * volume;
    for (let y = 0; y < Y; y++) {
      for (let x0 = 0; x0 < X; x0 += TILE) {
        const x1 = Math.min(x0 + TILE, X);
        for (let z0 = 0; z0 < Z; z0 += TILE) {
          const z1 = Math.min(z0 + TILE, Z);
          for (let x = x0; x < x1; x++) {
            let i = base + (z0 * Y + y) * X + x;
            let o = base + x * YZ + y * Z + z0;
            // Unscaled values go through unchanged (x * 1 + 0 would turn -0 into +0).
            if (scaled) for (let z = z0; z < z1; z++, i += XY, o++) out[o] = read(i) * s + t;
            else for (let z = z0; z < z1; z++, i += XY, o++) out[o] = read(i);
          }
        }
      }
    }
  }
}

/** Element reader by voxel index (file order) through a DataView, for swapped/unaligned data. */
function makeReader(
  bytes: Uint8Array,
  offset: number,
  type: NiftiDatatype,
  littleEndian: boolean,
  file: string | undefined,
): (index: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const le = littleEndian;
  switch (type.name) {
    case 'uint8':
      return (i) => view.getUint8(i);
    case 'int8':
      return (i) => view.getInt8(i);
    case 'int16':
      return (i) => view.getInt16(i * 2, le);
    case 'uint16':
      return (i) => view.getUint16(i * 2, le);
    case 'int32':
      return (i) => view.getInt32(i * 4, le);
    case 'uint32':
      return (i) => view.getUint32(i * 4, le);
    case 'float32':
      return (i) => view.getFloat32(i * 4, le);
    case 'float64':
      return (i) => view.getFloat64(i * 8, le);
    case 'int64':
    case 'uint64': {
      const signed = type.name === 'int64';
      const limit = BigInt(Number.MAX_SAFE_INTEGER);
      return (i) => {
        const v = signed ? view.getBigInt64(i * 8, le) : view.getBigUint64(i * 8, le);
        if (v > limit || v < -limit) {
          throw new DataError(`${type.name} voxel value cannot be represented exactly as float64`, {
            file,
            field: `voxel ${i} (file order)`,
            expected: '|value| < 2^53',
            actual: v.toString(),
          });
        }
        return Number(v);
      };
    }
    default:
      throw new DataError('no reader for datatype', { file, field: 'datatype', actual: type.name });
  }
}
