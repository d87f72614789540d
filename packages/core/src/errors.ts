/**
 * Typed errors. Every error voxelkit throws for bad input is a {@link VoxelkitError}: it names
 * the file (when there is one), the field that is wrong, and what was expected, so that a user
 * can act on it without reading our source.
 */

/** Structured facts carried by every {@link VoxelkitError}. */
export interface ErrorDetails {
  /** The file being read or written, when the error concerns one. */
  file?: string;
  /** The header field, option or record key that is wrong (e.g. `dim[3]`, `roiSize`). */
  field?: string;
  /** What was expected, in words or as a value. */
  expected?: unknown;
  /** What was found instead. */
  actual?: unknown;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Base class of all voxelkit errors. `code` is stable and machine-readable; the message is
 * for people and already includes file, field, expected and actual values.
 *
 * @example
 * ```ts
 * try { await loadNifti('ct.nii.gz'); } catch (e) {
 *   if (e instanceof VoxelkitError && e.code === 'E_FORMAT') console.error(e.details.file);
 * }
 * ```
 */
export class VoxelkitError extends Error {
  /** Machine-readable error class, e.g. `E_FORMAT`. */
  readonly code: string;
  /** The structured facts behind the message. */
  readonly details: ErrorDetails;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(composeMessage(message, details), details.cause ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A file is not valid for its format (bad magic, truncated, inconsistent header, bad gzip). */
export class FormatError extends VoxelkitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_FORMAT', message, details);
  }
}

/** A call received an argument or option outside its domain. */
export class ArgumentError extends VoxelkitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_ARGUMENT', message, details);
  }
}

/** Array shapes do not fit together (e.g. a spatial size the UNet strides do not divide). */
export class ShapeError extends VoxelkitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_SHAPE', message, details);
  }
}

/** A record, data set or configuration lacks something it needs (missing key, empty foreground). */
export class DataError extends VoxelkitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_DATA', message, details);
  }
}

/** An operation would need more memory than is safe to ask for. */
export class ResourceError extends VoxelkitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_RESOURCE', message, details);
  }
}

function composeMessage(message: string, details: ErrorDetails): string {
  const parts: string[] = [];
  if (details.file !== undefined) parts.push(`file ${details.file}`);
  if (details.field !== undefined) parts.push(`field ${details.field}`);
  if (details.expected !== undefined) parts.push(`expected ${show(details.expected)}`);
  if (details.actual !== undefined) parts.push(`got ${show(details.actual)}`);
  return parts.length === 0 ? message : `${message} (${parts.join('; ')})`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
