/**
 * safetensors read/write (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__}`
 * and the raw little-endian tensor bytes. Small enough to implement directly, which keeps the
 * package free of a native dependency.
 */
import { FormatError } from '@voxelkit/core';
import type { StateDict } from './state_dict.js';

/** Element types voxelkit reads; all are converted to float32 on load. */
export type SafetensorsDType =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** A safetensors file as read: tensors converted to float32, and the string metadata. */
export interface SafetensorsFile {
  /** Every tensor, converted to float32, in file order. */
  tensors: StateDict;
  /** The stored element type of each tensor. */
  dtypes: Map<string, SafetensorsDType>;
  /** The free-form `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

/** One tensor to write: float32 `data` of `shape`; `dtype` `'I64'` writes integers (e.g.
 * `num_batches_tracked`), default `'F32'`. */
export interface SafetensorsTensor {
  /** Tensor shape (row-major). */
  shape: number[];
  /** Values; for `'I64'` they are rounded to integers on write. */
  data: Float32Array;
  /** Stored element type (default `'F32'`). */
  dtype?: 'F32' | 'I64';
}

const BYTES: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * Parses a safetensors file into a state dict of float32 tensors (PyTorch names and layouts, as
 * written by `safetensors.torch.save_file(model.state_dict(), …)`), ready for
 * `UNet.loadStateDict`.
 *
 * @param bytes - the whole file.
 * @param filename - used in error messages only.
 * @throws FormatError for a truncated file, a malformed header, an unknown dtype, or offsets
 *   that do not match the shape or lie outside the file.
 */
export function loadSafetensors(bytes: Uint8Array, filename?: string): StateDict {
  return readSafetensors(bytes, filename).tensors;
}

/** Like {@link loadSafetensors}, also returning stored dtypes and `__metadata__`. */
export function readSafetensors(bytes: Uint8Array, filename?: string): SafetensorsFile {
  // Limitation: the whole file is held in memory and decoded element by element (no zero-copy).
  const fail = (message: string, field?: string, expected?: unknown, actual?: unknown): never => {
    throw new FormatError(`safetensors: ${message}`, { file: filename, field, expected, actual });
  };
  if (bytes.length < 8)
    fail('file shorter than the 8-byte header length', 'header', '≥ 8 bytes', bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    fail('header length exceeds the file size', 'header', `≤ ${bytes.length - 8}`, headerLength);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message})`, 'header');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail('header is not a JSON object', 'header');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors: StateDict = new Map();
  const dtypes = new Map<string, SafetensorsDType>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (info ?? {}) as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (info ?? {}) as {
      dtype?: string;
      shape?: number[];
      data_offsets?: number[];
    };
    if (dtype === undefined || !(dtype in BYTES))
      fail('unsupported dtype', `${name}.dtype`, Object.keys(BYTES).join('|'), dtype);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail('bad shape', `${name}.shape`, 'array of non-negative integers', shape);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2)
      fail('bad data_offsets', `${name}.data_offsets`, '[begin, end]', offsets);
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    const type = dtype as SafetensorsDType;
    if (end - begin !== numel * BYTES[type]) {
      fail(
        'data_offsets do not match shape × dtype size',
        `${name}.data_offsets`,
        numel * BYTES[type],
        end - begin,
      );
    }
    if (begin < 0 || end > dataLength || begin > end) {
      fail(
        'data_offsets outside the data section',
        `${name}.data_offsets`,
        `within [0, ${dataLength}]`,
        offsets,
      );
    }
    tensors.set(name, {
      shape: [...(shape as number[])],
      data: decode(type, bytes, dataStart + begin, numel),
    });
    dtypes.set(name, type);
  }
  return { tensors, dtypes, metadata };
}

/**
 * Serialises tensors (in the given order) and optional string metadata to safetensors bytes,
 * readable by `safetensors.torch.load_file`. The header is padded with spaces to a multiple of
 * 8 bytes, as the format recommends.
 */
export function encodeSafetensors(
  tensors: Map<string, SafetensorsTensor> | StateDict,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  const parts: { start: number; tensor: SafetensorsTensor }[] = [];
  for (const [name, tensor] of tensors as Map<string, SafetensorsTensor>) {
    const dtype = tensor.dtype ?? 'F32';
    const length = tensor.data.length * BYTES[dtype];
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    parts.push({ start: offset, tensor });
    offset += length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const { start, tensor } of parts) {
    if ((tensor.dtype ?? 'F32') === 'I64') {
      tensor.data.forEach((v, i) =>
        view.setBigInt64(base + start + 8 * i, BigInt(Math.round(v)), true),
      );
    } else {
      tensor.data.forEach((v, i) => view.setFloat32(base + start + 4 * i, v, true));
    }
  }
  return out;
}

function decode(
  dtype: SafetensorsDType,
  bytes: Uint8Array,
  start: number,
  n: number,
): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, n * BYTES[dtype]);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        word.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
