/**
 * Our own NIfTI-1 / NIfTI-2 header parser (see docs/io-nifti.md for why nifti-reader-js is not
 * used at run time). Field names are kept verbatim from nifti1.h / nifti2.h so that the parsed
 * header reads like the specification. The parser only reads the bytes it is given: a prefix of
 * 348 (NIfTI-1) or 540 (NIfTI-2) bytes is enough, extensions are listed as far as the prefix
 * reaches and the rest is reported as not read.
 */
import { FormatError, type Logger, silentLogger } from '@voxelkit/core';

/** One header extension (nifti1.h `nifti1_extension`): its size, code and where it starts. */
export interface NiftiExtension {
  /** Size in bytes including the 8-byte esize/ecode prefix (a multiple of 16). */
  esize: number;
  /** Extension code (e.g. 4 = AFNI, 6 = comment, 32 = CIfTI). */
  ecode: number;
  /** Byte offset of the extension in the (decompressed) file. */
  offset: number;
}

/**
 * How much of the extension area was available when the header was parsed:
 * `none` (extender flag 0 or no room before vox_offset), `complete` (every extension listed),
 * `not-read` (flag set but the bytes handed to the parser end before the extensions),
 * `partial` (some listed, the rest lies beyond the bytes given), `invalid` (listing stopped at a
 * malformed extension; the voxel data is still found through vox_offset).
 */
export type ExtensionsStatus = 'none' | 'complete' | 'not-read' | 'partial' | 'invalid';

/** A parsed NIfTI-1 or NIfTI-2 header; 64-bit NIfTI-2 integers are converted to numbers. */
export interface NiftiHeader {
  /** 1 or 2. */
  niftiVersion: 1 | 2;
  /** Byte order of the file. */
  littleEndian: boolean;
  /** 348 for NIfTI-1, 540 for NIfTI-2. */
  sizeof_hdr: number;
  /** `n+1`, `ni1`, `n+2` or `ni2` (`ni*` = header of a .hdr/.img pair). */
  magic: string;
  /** True for single-file `.nii` (`n+*` magic), false for `.hdr/.img` pairs. */
  singleFile: boolean;
  /** MRI frequency/phase/slice encoding directions, packed in 2-bit fields. */
  dim_info: number;
  /** dim[0] = number of dimensions, dim[1..7] = sizes (as stored). */
  dim: number[];
  /** First intent parameter (meaning depends on `intent_code`). */
  intent_p1: number;
  /** Second intent parameter. */
  intent_p2: number;
  /** Third intent parameter. */
  intent_p3: number;
  /** What the voxel values mean (`NIFTI_INTENT_*`; 0 = none). */
  intent_code: number;
  /** Datatype code (nifti1.h `NIFTI_TYPE_*`). */
  datatype: number;
  /** Bits per voxel; must agree with `datatype`. */
  bitpix: number;
  /** First slice index of the slice-timing pattern. */
  slice_start: number;
  /** pixdim[0] = qfac sign, pixdim[1..3] = voxel size (mm), pixdim[4] = time step. */
  pixdim: number[];
  /** Byte offset of the voxel data (in the .img file for pairs). */
  vox_offset: number;
  /** Data scaling slope: value = raw · slope + inter (0 or non-finite means unscaled). */
  scl_slope: number;
  /** Data scaling offset, applied only with a usable `scl_slope`. */
  scl_inter: number;
  /** Last slice index of the slice-timing pattern. */
  slice_end: number;
  /** Slice acquisition order (`NIFTI_SLICE_*`). */
  slice_code: number;
  /** Spatial and temporal units, packed (`NIFTI_UNITS_*`). */
  xyzt_units: number;
  /** Maximum display intensity. */
  cal_max: number;
  /** Minimum display intensity. */
  cal_min: number;
  /** Time to acquire one slice. */
  slice_duration: number;
  /** Time axis shift. */
  toffset: number;
  /** Free-text description (at most 80 bytes). */
  descrip: string;
  /** Name of an auxiliary file (at most 24 bytes). */
  aux_file: string;
  /** What the qform coordinates mean (`NIFTI_XFORM_*`; 0 = no qform). */
  qform_code: number;
  /** What the sform coordinates mean (`NIFTI_XFORM_*`; 0 = no sform). */
  sform_code: number;
  /** Quaternion b of the qform rotation. */
  quatern_b: number;
  /** Quaternion c of the qform rotation. */
  quatern_c: number;
  /** Quaternion d of the qform rotation. */
  quatern_d: number;
  /** qform translation x (mm). */
  qoffset_x: number;
  /** qform translation y (mm). */
  qoffset_y: number;
  /** qform translation z (mm). */
  qoffset_z: number;
  /** First row of the sform affine (4 numbers). */
  srow_x: number[];
  /** Second row of the sform affine. */
  srow_y: number[];
  /** Third row of the sform affine. */
  srow_z: number[];
  /** Name or meaning of the data (at most 16 bytes). */
  intent_name: string;
  /** The 4 extender bytes after the header, or null when the bytes given end before them. */
  extender: number[] | null;
  /** Extensions listed (as far as the given bytes reach; see `extensionsStatus`). */
  extensions: NiftiExtension[];
  /** Whether the extension list is complete. */
  extensionsStatus: ExtensionsStatus;
}

/** Options of {@link parseNiftiHeader}. */
export interface ParseHeaderOptions {
  /** File name used in error messages. */
  filename?: string;
  /** Receives warnings (e.g. a malformed extension). */
  logger?: Logger;
}

const NIFTI1_SIZE = 348;
const NIFTI2_SIZE = 540;
const NIFTI2_EOL = [0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Parses a NIfTI-1 or NIfTI-2 header from the start of `bytes` (uncompressed).
 *
 * Validates sizeof_hdr (which also fixes the byte order), the magic string and dim[0]; the
 * remaining consistency checks (dims, datatype, bitpix, vox_offset) are done by the reader,
 * which knows whether it reads a single file or a pair.
 *
 * @param bytes - at least 348 (NIfTI-1) or 540 (NIfTI-2) bytes of an uncompressed file.
 * @throws FormatError when the bytes are too short, sizeof_hdr or the magic is wrong.
 */
export function parseNiftiHeader(bytes: Uint8Array, options: ParseHeaderOptions = {}): NiftiHeader {
  const file = options.filename;
  if (bytes.length < 4) {
    throw new FormatError('file too short to hold a NIfTI header', {
      file,
      field: 'sizeof_hdr',
      expected: 'at least 348 bytes',
      actual: `${bytes.length} bytes`,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getInt32(0, true);
  const be = view.getInt32(0, false);
  let version: 1 | 2;
  let littleEndian: boolean;
  if (le === NIFTI1_SIZE || be === NIFTI1_SIZE) {
    version = 1;
    littleEndian = le === NIFTI1_SIZE;
  } else if (le === NIFTI2_SIZE || be === NIFTI2_SIZE) {
    version = 2;
    littleEndian = le === NIFTI2_SIZE;
  } else {
    throw new FormatError(
      'not a NIfTI file: sizeof_hdr is neither 348 nor 540 in either byte order',
      {
        file,
        field: 'sizeof_hdr',
        expected: '348 (NIfTI-1) or 540 (NIfTI-2)',
        actual: le,
      },
    );
  }
  const size = version === 1 ? NIFTI1_SIZE : NIFTI2_SIZE;
  if (bytes.length < size) {
    throw new FormatError(`truncated NIfTI-${version} header`, {
      file,
      field: 'header',
      expected: `${size} bytes`,
      actual: `${bytes.length} bytes`,
    });
  }
  const r = new FieldReader(view, littleEndian, file);
  const header = version === 1 ? readNifti1(r) : readNifti2(r);
  checkMagic(header, bytes, file);
  const dim0 = header.dim[0];
  if (!Number.isInteger(dim0) || dim0 < 1 || dim0 > 7) {
    throw new FormatError('dim[0] must be between 1 and 7', {
      file,
      field: 'dim[0]',
      expected: '1..7',
      actual: dim0,
    });
  }
  listExtensions(header, view, size, options.logger ?? silentLogger, file);
  return header;
}

function readNifti1(r: FieldReader): NiftiHeader {
  return {
    niftiVersion: 1,
    littleEndian: r.littleEndian,
    sizeof_hdr: NIFTI1_SIZE,
    magic: r.string(344, 4),
    singleFile: false,
    dim_info: r.u8(39),
    dim: r.array(40, 8, 2, (o) => r.i16(o)),
    intent_p1: r.f32(56),
    intent_p2: r.f32(60),
    intent_p3: r.f32(64),
    intent_code: r.i16(68),
    datatype: r.i16(70),
    bitpix: r.i16(72),
    slice_start: r.i16(74),
    pixdim: r.array(76, 8, 4, (o) => r.f32(o)),
    vox_offset: r.f32(108),
    scl_slope: r.f32(112),
    scl_inter: r.f32(116),
    slice_end: r.i16(120),
    slice_code: r.u8(122),
    xyzt_units: r.u8(123),
    cal_max: r.f32(124),
    cal_min: r.f32(128),
    slice_duration: r.f32(132),
    toffset: r.f32(136),
    descrip: r.string(148, 80),
    aux_file: r.string(228, 24),
    qform_code: r.i16(252),
    sform_code: r.i16(254),
    quatern_b: r.f32(256),
    quatern_c: r.f32(260),
    quatern_d: r.f32(264),
    qoffset_x: r.f32(268),
    qoffset_y: r.f32(272),
    qoffset_z: r.f32(276),
    srow_x: r.array(280, 4, 4, (o) => r.f32(o)),
    srow_y: r.array(296, 4, 4, (o) => r.f32(o)),
    srow_z: r.array(312, 4, 4, (o) => r.f32(o)),
    intent_name: r.string(328, 16),
    extender: null,
    extensions: [],
    extensionsStatus: 'none',
  };
}

function readNifti2(r: FieldReader): NiftiHeader {
  return {
    niftiVersion: 2,
    littleEndian: r.littleEndian,
    sizeof_hdr: NIFTI2_SIZE,
    magic: r.string(4, 4),
    singleFile: false,
    datatype: r.i16(12),
    bitpix: r.i16(14),
    dim: r.array(16, 8, 8, (o) => r.i64(o, 'dim')),
    intent_p1: r.f64(80),
    intent_p2: r.f64(88),
    intent_p3: r.f64(96),
    pixdim: r.array(104, 8, 8, (o) => r.f64(o)),
    vox_offset: r.i64(168, 'vox_offset'),
    scl_slope: r.f64(176),
    scl_inter: r.f64(184),
    cal_max: r.f64(192),
    cal_min: r.f64(200),
    slice_duration: r.f64(208),
    toffset: r.f64(216),
    slice_start: r.i64(224, 'slice_start'),
    slice_end: r.i64(232, 'slice_end'),
    descrip: r.string(240, 80),
    aux_file: r.string(320, 24),
    qform_code: r.i32(344),
    sform_code: r.i32(348),
    quatern_b: r.f64(352),
    quatern_c: r.f64(360),
    quatern_d: r.f64(368),
    qoffset_x: r.f64(376),
    qoffset_y: r.f64(384),
    qoffset_z: r.f64(392),
    srow_x: r.array(400, 4, 8, (o) => r.f64(o)),
    srow_y: r.array(432, 4, 8, (o) => r.f64(o)),
    srow_z: r.array(464, 4, 8, (o) => r.f64(o)),
    slice_code: r.i32(496),
    xyzt_units: r.i32(500),
    intent_code: r.i32(504),
    intent_name: r.string(508, 16),
    dim_info: r.u8(524),
    extender: null,
    extensions: [],
    extensionsStatus: 'none',
  };
}

function checkMagic(header: NiftiHeader, bytes: Uint8Array, file: string | undefined): void {
  const v = header.niftiVersion;
  if (header.magic === `n+${v}`) header.singleFile = true;
  else if (header.magic === `ni${v}`) header.singleFile = false;
  else {
    throw new FormatError(`bad NIfTI-${v} magic (Analyze 7.5 files are not supported)`, {
      file,
      field: 'magic',
      expected: `"n+${v}" or "ni${v}"`,
      actual: header.magic,
    });
  }
  if (v === 2 && NIFTI2_EOL.some((b, i) => bytes[8 + i] !== b)) {
    // The 4 bytes after "n+2\0" catch files damaged by a text-mode (line-ending) conversion.
    throw new FormatError('NIfTI-2 magic end-of-line bytes are damaged (text-mode transfer?)', {
      file,
      field: 'magic[4..7]',
      expected: [...NIFTI2_EOL],
      actual: Array.from(bytes.subarray(8, 12)),
    });
  }
}

/**
 * Lists extensions between the header and vox_offset, as far as `view` reaches; never throws.
 */
// Limitation: extension contents are skipped (only esize, ecode and offset are reported).
function listExtensions(
  header: NiftiHeader,
  view: DataView,
  size: number,
  logger: Logger,
  file: string | undefined,
): void {
  if (view.byteLength < size + 4) {
    header.extensionsStatus = 'not-read';
    return;
  }
  header.extender = [0, 1, 2, 3].map((i) => view.getUint8(size + i));
  // For pairs the extensions live in the .hdr file and vox_offset points into the .img file.
  const end = header.singleFile ? header.vox_offset : view.byteLength;
  if (header.extender[0] === 0 || !(end > size + 4)) return;
  let at = size + 4;
  while (at + 8 <= end) {
    if (at + 8 > view.byteLength) {
      header.extensionsStatus = header.extensions.length === 0 ? 'not-read' : 'partial';
      return;
    }
    const esize = view.getInt32(at, header.littleEndian);
    const ecode = view.getInt32(at + 4, header.littleEndian);
    if (esize < 16 || esize % 16 !== 0 || at + esize > end) {
      logger.warn('NIfTI extension list is malformed; skipping the remaining extensions', {
        file,
        offset: at,
        esize,
      });
      header.extensionsStatus = 'invalid';
      return;
    }
    header.extensions.push({ esize, ecode, offset: at });
    at += esize;
  }
  header.extensionsStatus = 'complete';
}

/** Typed reads at fixed offsets in one byte order. */
class FieldReader {
  constructor(
    private readonly view: DataView,
    readonly littleEndian: boolean,
    private readonly file: string | undefined,
  ) {}

  u8(o: number): number {
    return this.view.getUint8(o);
  }
  i16(o: number): number {
    return this.view.getInt16(o, this.littleEndian);
  }
  i32(o: number): number {
    return this.view.getInt32(o, this.littleEndian);
  }
  f32(o: number): number {
    return this.view.getFloat32(o, this.littleEndian);
  }
  f64(o: number): number {
    return this.view.getFloat64(o, this.littleEndian);
  }
  /** A 64-bit signed integer that must fit a double exactly. */
  i64(o: number, field: string): number {
    const v = this.view.getBigInt64(o, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError('64-bit header value is out of range', {
        file: this.file,
        field,
        expected: `|value| <= ${Number.MAX_SAFE_INTEGER}`,
        actual: v.toString(),
      });
    }
    return Number(v);
  }
  array(o: number, n: number, step: number, read: (o: number) => number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(read(o + i * step));
    return out;
  }
  /** A NUL-terminated Latin-1 string of at most `n` bytes. */
  string(o: number, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = this.view.getUint8(o + i);
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
}
