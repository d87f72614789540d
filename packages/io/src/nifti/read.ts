/**
 * Browser-safe NIfTI reading: `readNifti` (bytes → {@link Volume}), `readNiftiHeader` (header
 * only, works on a prefix of the file) and `planNiftiRead` (the checks and sizes derived from a
 * header before anything is allocated). No Node imports here; see `node.ts` for file helpers.
 */
import {
  FormatError,
  ResourceError,
  createVolume,
  silentLogger,
  type DType,
  type Logger,
  type Volume,
} from '@voxelkit/core';
import { chooseNiftiAffine, type AffineSource } from './affine.js';
import { UNSUPPORTED_DATATYPES, niftiDatatypeFromCode, type NiftiDatatype } from './datatypes.js';
import { decodeVoxels } from './decode.js';
import { gunzipExact, gunzipPrefix, isGzip } from './gzip.js';
import { parseNiftiHeader, type NiftiHeader } from './header.js';

/** Default limit on the decoded voxel data: 2 GiB. */
export const DEFAULT_MAX_NIFTI_BYTES = 2 * 1024 ** 3;

/** Options of {@link readNifti}. */
export interface ReadNiftiOptions {
  /** Name used in errors and stored as `volume.meta.filename`. */
  filename?: string;
  /** Receives warnings (affine fallbacks, malformed extensions, repaired fields). */
  logger?: Logger;
  /**
   * The `.img` bytes (optionally gzipped) when `bytes` is the `.hdr` of a NIfTI pair
   * (magic `ni1` / `ni2`).
   */
  image?: Uint8Array;
  /** Largest decoded voxel data accepted, in bytes (default {@link DEFAULT_MAX_NIFTI_BYTES}). */
  maxBytes?: number;
  /**
   * Verify the gzip CRC-32 of single-member .gz files (default true; costs about 15% of the load
   * time of a large CT). Multi-member streams are not checked.
   */
  checkCrc?: boolean;
}

/** Options of {@link readNiftiHeader}. */
export interface ReadNiftiHeaderOptions {
  /** Name used in error messages. */
  filename?: string;
  /** Receives warnings (e.g. a singular sform that falls back to the qform). */
  logger?: Logger;
}

/** What a header implies for reading, computed before any voxel buffer is allocated. */
export interface NiftiReadPlan {
  /** The on-disk datatype. */
  datatype: NiftiDatatype;
  /** Byte order of the voxel data (that of the header). */
  littleEndian: boolean;
  /** Spatial shape `[X, Y, Z]` (dims past dim[0] count as 1). */
  spatial: [number, number, number];
  /** Number of channels: the 3D volumes of dims 4–7 (0 read as 1). */
  channels: number;
  /** dtype of the decoded data. */
  dtype: DType;
  /** Whether scl_slope/scl_inter are applied, and with which values. */
  scaled: boolean;
  /** Scaling slope in effect (1 when unscaled). */
  slope: number;
  /** Scaling offset in effect (0 when unscaled). */
  inter: number;
  /** Byte offset of the voxels (vox_offset, repaired to 352/544 when a single file has 0). */
  voxOffset: number;
  /** Bytes of voxel data in the file. */
  dataBytes: number;
  /** Bytes of decoded data that reading will allocate. */
  decodedBytes: number;
}

const HEADER_PREFIX = 544;
const HEADER_SNIFF = 64 * 1024;
const DTYPE_BYTES: Record<DType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

/**
 * Decodes a NIfTI-1 or NIfTI-2 file (`.nii` or `.nii.gz`, either byte order) into a volume of
 * shape `[C, X, Y, Z]`, synchronously.
 *
 * - Voxels are reordered from file order (x fastest) to our layout (z fastest) in one pass.
 * - dims 4–7 become channels: channel `c` is the c-th 3D volume stored in the file (so a 4D
 *   time series gets one channel per time point, as MONAI's EnsureChannelFirst does).
 * - dtype is the stored one unless scl_slope/scl_inter scale it (then float32; float64 and
 *   int64/uint64 give float64). Slope 0 or non-finite means "no scaling" (nibabel).
 * - The affine is nibabel's choice (sform, qform, base), never singular.
 * - `meta.header` is the parsed {@link NiftiHeader}, `meta.affineSource` says which form won.
 *
 * @param bytes - the whole file (or the `.hdr` of a pair, with `options.image`).
 * @throws FormatError for anything malformed (named file and field), ResourceError when the
 *   decoded data would exceed `maxBytes` (checked from the header, before allocating).
 *
 * @example
 * ```ts
 * const vol = readNifti(new Uint8Array(await (await fetch('ct.nii.gz')).arrayBuffer()));
 * vol.shape; // [1, 512, 512, 120]
 * ```
 */
export function readNifti(bytes: Uint8Array, options: ReadNiftiOptions = {}): Volume {
  const file = options.filename;
  const logger = options.logger ?? silentLogger;
  const gz = isGzip(bytes);
  const crc = options.checkCrc ?? true;
  const prefix = gz ? gunzipPrefix(bytes, HEADER_PREFIX, file) : bytes;
  const first = parseNiftiHeader(prefix, { filename: file });
  const plan = planNiftiRead(first, { filename: file, maxBytes: options.maxBytes, logger });
  const needed = plan.voxOffset + plan.dataBytes;
  let header: NiftiHeader;
  let voxels: Uint8Array;
  if (first.singleFile) {
    voxels = gz ? gunzipExact(bytes, needed, file, crc) : requireLength(bytes, needed, file);
    header = parseNiftiHeader(voxels, { filename: file, logger });
  } else {
    if (!options.image) {
      throw new FormatError('this is the header of a .hdr/.img pair; the image bytes are missing', {
        file,
        field: 'magic',
        expected: 'options.image with the .img contents (or use loadNifti on the .hdr path)',
        actual: first.magic,
      });
    }
    const hdrBytes = gz ? gunzipPrefix(bytes, HEADER_SNIFF, file) : bytes;
    header = parseNiftiHeader(hdrBytes, { filename: file, logger });
    const img = options.image;
    voxels = isGzip(img) ? gunzipExact(img, needed, file, crc) : requireLength(img, needed, file);
  }
  const data = decodeVoxels(voxels, plan.voxOffset, plan, file);
  const { affine, source } = chooseNiftiAffine(header, plan.spatial, file, logger);
  const meta: Record<string, unknown> = { header, affineSource: source satisfies AffineSource };
  if (file !== undefined) meta.filename = file;
  return createVolume(data, [plan.channels, ...plan.spatial], affine, meta);
}

/**
 * Parses only the header. Works on a prefix of the file (a few hundred bytes suffice, gzipped or
 * not): extensions beyond the bytes given are reported via `extensionsStatus` ('not-read' or
 * 'partial') instead of failing.
 *
 * @example
 * ```ts
 * const h = readNiftiHeader(firstBytes); // e.g. the first 352 bytes
 * h.dim; // [3, 512, 512, 120, 1, 1, 1, 1]
 * ```
 */
export function readNiftiHeader(
  bytes: Uint8Array,
  options: ReadNiftiHeaderOptions = {},
): NiftiHeader {
  const prefix = isGzip(bytes) ? gunzipPrefix(bytes, HEADER_SNIFF, options.filename) : bytes;
  return parseNiftiHeader(prefix, options);
}

/**
 * Validates a header for reading (dims, datatype, bitpix, vox_offset, scaling) and computes the
 * sizes involved, throwing before any voxel buffer exists.
 *
 * @throws FormatError naming the bad field; ResourceError when `decodedBytes > maxBytes`.
 */
export function planNiftiRead(
  header: NiftiHeader,
  options: { filename?: string; maxBytes?: number; logger?: Logger } = {},
): NiftiReadPlan {
  const file = options.filename;
  const logger = options.logger ?? silentLogger;
  const sizes = [1, 1, 1, 1, 1, 1, 1];
  for (let i = 1; i <= header.dim[0]; i++) {
    const d = header.dim[i];
    if (!Number.isInteger(d) || d < 0 || d > 2 ** 31 - 1) {
      throw new FormatError('dimension size is negative or absurd', {
        file,
        field: `dim[${i}]`,
        expected: `0..${2 ** 31 - 1}`,
        actual: d,
      });
    }
    // Limitation: a zero spatial size is an error here (nibabel would return an empty array).
    if (d === 0 && i <= 3) {
      throw new FormatError('spatial dimension size is 0', {
        file,
        field: `dim[${i}]`,
        expected: '>= 1',
        actual: 0,
      });
    }
    // dim[4..7] = 0 is read as 1 (https://github.com/rii-mango/NIFTI-Reader-JS/issues/3).
    sizes[i - 1] = d === 0 ? 1 : d;
  }
  const datatype = niftiDatatypeFromCode(header.datatype);
  if (!datatype) {
    const known = UNSUPPORTED_DATATYPES[header.datatype];
    throw new FormatError(
      known ? `unsupported NIfTI datatype ${known}` : 'unknown NIfTI datatype code',
      {
        file,
        field: 'datatype',
        expected: 'uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32 or float64',
        actual: header.datatype,
      },
    );
  }
  if (header.bitpix !== datatype.bytes * 8) {
    throw new FormatError('bitpix does not match datatype', {
      file,
      field: 'bitpix',
      expected: datatype.bytes * 8,
      actual: header.bitpix,
    });
  }
  const voxOffset = checkVoxOffset(header, file, logger);
  const { scaled, slope, inter } = scaling(header, file);
  const dtype: DType = !scaled
    ? datatype.dtype
    : datatype.dtype === 'float64' || datatype.int64
      ? 'float64'
      : 'float32';
  const spatial: [number, number, number] = [sizes[0], sizes[1], sizes[2]];
  const channels = sizes[3] * sizes[4] * sizes[5] * sizes[6];
  const count = spatial[0] * spatial[1] * spatial[2] * channels;
  const decodedBytes = count * DTYPE_BYTES[dtype];
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_NIFTI_BYTES;
  if (decodedBytes > maxBytes) {
    throw new ResourceError('NIfTI volume is larger than the configured limit', {
      file,
      field: 'dim',
      expected: `at most ${maxBytes} bytes of decoded data (option maxBytes)`,
      actual: `${decodedBytes} bytes for ${[...spatial, channels].join('x')} ${dtype}`,
    });
  }
  const offsetLimit = Math.max(maxBytes, 16 * 1024 * 1024);
  if (voxOffset > offsetLimit) {
    // A gzipped file is inflated up to vox_offset + data, so vox_offset is bounded too: by the
    // limit, but never below 16 MiB (room for large extensions under small limits).
    throw new ResourceError('vox_offset is beyond the configured size limit', {
      file,
      field: 'vox_offset',
      expected: `at most ${offsetLimit}`,
      actual: voxOffset,
    });
  }
  return {
    datatype,
    spatial,
    channels,
    dtype,
    scaled,
    slope,
    inter,
    voxOffset,
    dataBytes: count * datatype.bytes,
    decodedBytes,
    littleEndian: header.littleEndian,
  };
}

function checkVoxOffset(header: NiftiHeader, file: string | undefined, logger: Logger): number {
  const raw = header.vox_offset;
  if (!Number.isFinite(raw) || raw < 0 || raw > Number.MAX_SAFE_INTEGER) {
    throw new FormatError('vox_offset is negative or not finite', {
      file,
      field: 'vox_offset',
      expected: '>= 0',
      actual: raw,
    });
  }
  const offset = Math.floor(raw);
  const minimum = header.sizeof_hdr + 4;
  if (header.singleFile && offset < minimum) {
    if (offset === 0) {
      logger.warn('vox_offset is 0 in a single-file NIfTI; reading voxels right after the header', {
        file,
        vox_offset: minimum,
      });
      return minimum;
    }
    throw new FormatError('vox_offset points inside the header', {
      file,
      field: 'vox_offset',
      expected: `>= ${minimum}`,
      actual: raw,
    });
  }
  return offset;
}

function scaling(
  header: NiftiHeader,
  file: string | undefined,
): { scaled: boolean; slope: number; inter: number } {
  const slope = header.scl_slope;
  const inter = header.scl_inter;
  // Slope 0 or NaN/Inf means "no scaling" (nibabel; https://github.com/nipreps/fmriprep/issues/2531).
  if (slope === 0 || !Number.isFinite(slope)) return { scaled: false, slope: 1, inter: 0 };
  if (!Number.isFinite(inter)) {
    throw new FormatError('valid scl_slope but invalid scl_inter', {
      file,
      field: 'scl_inter',
      expected: 'a finite number',
      actual: inter,
    });
  }
  if (slope === 1 && inter === 0) return { scaled: false, slope: 1, inter: 0 };
  // Limitation: scaled int32/uint32 become float32 (the contract), exact only below 2^24.
  return { scaled: true, slope, inter };
}

function requireLength(bytes: Uint8Array, needed: number, file: string | undefined): Uint8Array {
  if (bytes.length < needed) {
    throw new FormatError('file shorter than the header says', {
      file,
      field: 'vox_offset + voxel data',
      expected: `${needed} bytes`,
      actual: `${bytes.length} bytes`,
    });
  }
  return bytes;
}
