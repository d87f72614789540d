/**
 * NIfTI datatype codes (nifti1.h `NIFTI_TYPE_*`) and what each becomes in memory.
 */
import type { DType } from '@voxelkit/core';

/** How one on-disk NIfTI datatype is read. */
export interface NiftiDatatype {
  /** The `datatype` header code, e.g. 4 for int16. */
  code: number;
  /** Name as in nifti1.h, lower case (`int16`, `uint64`, …). */
  name: string;
  /** Bytes per voxel on disk (`bitpix / 8`). */
  bytes: number;
  /** The dtype the unscaled data gets in memory (int64/uint64 become float64). */
  dtype: DType;
  /** True for the 64-bit integer types, which are converted to float64 voxel by voxel. */
  int64: boolean;
}

const SUPPORTED: readonly NiftiDatatype[] = [
  { code: 2, name: 'uint8', bytes: 1, dtype: 'uint8', int64: false },
  { code: 4, name: 'int16', bytes: 2, dtype: 'int16', int64: false },
  { code: 8, name: 'int32', bytes: 4, dtype: 'int32', int64: false },
  { code: 16, name: 'float32', bytes: 4, dtype: 'float32', int64: false },
  { code: 64, name: 'float64', bytes: 8, dtype: 'float64', int64: false },
  { code: 256, name: 'int8', bytes: 1, dtype: 'int8', int64: false },
  { code: 512, name: 'uint16', bytes: 2, dtype: 'uint16', int64: false },
  { code: 768, name: 'uint32', bytes: 4, dtype: 'uint32', int64: false },
  { code: 1024, name: 'int64', bytes: 8, dtype: 'float64', int64: true },
  { code: 1280, name: 'uint64', bytes: 8, dtype: 'float64', int64: true },
];

/**
 * Codes defined by nifti1.h that voxelkit does not decode (named in the error message).
 */
// Limitation: complex, RGB/RGBA, float128 and binary data are rejected, not decoded.
export const UNSUPPORTED_DATATYPES: Readonly<Record<number, string>> = {
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

const BY_CODE = new Map(SUPPORTED.map((d) => [d.code, d]));
const BY_DTYPE = new Map(SUPPORTED.filter((d) => !d.int64).map((d) => [d.dtype, d]));

/** The supported datatype for a header code, or undefined. */
export function niftiDatatypeFromCode(code: number): NiftiDatatype | undefined {
  return BY_CODE.get(code);
}

/** The datatype the writer uses for a volume dtype (always exact, never a conversion). */
export function niftiDatatypeFromDtype(dtype: DType): NiftiDatatype {
  // Every DType has an exact NIfTI counterpart, so the lookup cannot miss.
  return BY_DTYPE.get(dtype) as NiftiDatatype;
}
