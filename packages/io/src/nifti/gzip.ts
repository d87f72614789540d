/**
 * gzip decoding for NIfTI files with fflate (browser-safe, synchronous). Two entry points:
 * {@link gunzipPrefix} inflates only the first bytes (header sniffing), {@link gunzipExact}
 * inflates a whole file into a buffer sized from the NIfTI header, so a 262 MB CT is inflated
 * straight into its final buffer with no growth copies. Multi-member streams (several gzip
 * members concatenated, as `cat a.gz b.gz` or some parallel compressors produce) are handled
 * (https://github.com/101arrowz/fflate/issues/102): fflate's one-shot `gunzipSync` stops after
 * the first member, so we detect that case and decode member by member with its streaming
 * `Gunzip`.
 */
import { Gunzip, inflateSync } from 'fflate';
import { FormatError, ResourceError, VoxelkitError } from '@voxelkit/core';
import { crc32 } from './crc32.js';

/** True when `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Length of the gzip member header at the start of `bytes` (FEXTRA, FNAME, FCOMMENT and FHCRC
 * are skipped however long they are; https://github.com/niivue/niivue/issues/578).
 *
 * @throws FormatError when the header is malformed or truncated.
 */
export function gzipHeaderLength(bytes: Uint8Array, file?: string): number {
  if (bytes.length < 10 || !isGzip(bytes) || bytes[2] !== 8) {
    throw new FormatError('bad gzip header', {
      file,
      field: 'gzip header',
      expected: '1f 8b 08 and at least 10 bytes',
      actual: Array.from(bytes.subarray(0, 3)),
    });
  }
  const flags = bytes[3];
  let at = 10;
  if (flags & 4) {
    if (at + 2 > bytes.length) throw truncatedGzip(file);
    at += 2 + (bytes[at] | (bytes[at + 1] << 8));
  }
  for (const flag of [8, 16]) {
    if (flags & flag) {
      while (at < bytes.length && bytes[at] !== 0) at++;
      at++;
    }
  }
  if (flags & 2) at += 2;
  if (at > bytes.length) throw truncatedGzip(file);
  return at;
}

/**
 * Inflates at most `wanted` bytes from the start of a gzip stream; returns fewer when the
 * stream (or the part of it given) ends first. Never reads far beyond what it needs, so a
 * truncated .gz or the first kilobytes of a huge one are fine.
 */
export function gunzipPrefix(bytes: Uint8Array, wanted: number, file?: string): Uint8Array {
  const headerLength = gzipHeaderLength(bytes, file);
  const out = new Uint8Array(wanted);
  let filled = 0;
  // Gunzip (not raw Inflate) so that a first member shorter than `wanted` continues into the next.
  const gunzip = new Gunzip((chunk) => {
    const n = Math.min(chunk.length, wanted - filled);
    out.set(chunk.subarray(0, n), filled);
    filled += n;
  });
  // Limitation: fflate parses a member's gzip header from the chunk it has, so a later member's
  // FNAME straddling a chunk edge could be misread here; the first chunk always holds the whole
  // first header (we measured it), and the full read pushes the file in one piece.
  let at = 0;
  let step = headerLength + 4096;
  try {
    while (at < bytes.length && filled < wanted) {
      const end = Math.min(bytes.length, at + step);
      gunzip.push(bytes.subarray(at, end), false);
      at = end;
      step = 16384;
    }
  } catch (error) {
    throw corruptGzip(file, error);
  }
  return out.subarray(0, filled);
}

/**
 * Inflates a whole gzip file and returns its first `expected` bytes (anything after is
 * ignored). `expected` comes from the NIfTI header (vox_offset + voxel bytes); it has already
 * passed the size guard, so allocating it is safe.
 *
 * @throws FormatError when the stream is corrupt or holds fewer than `expected` bytes
 *   ("file shorter than the header says").
 */
export function gunzipExact(
  bytes: Uint8Array,
  expected: number,
  file?: string,
  checkCrc = true,
): Uint8Array {
  const start = gzipHeaderLength(bytes, file);
  if (bytes.length < start + 8) throw truncatedGzip(file);
  // ISIZE (last member's length mod 2^32) predicts the single-member case; anything else
  // (multi-member, trailing bytes, lying trailer, truncation) takes the streaming path, whose
  // memory is bounded by the data actually present rather than by the header's claim.
  const n = bytes.length;
  const isize =
    (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0;
  if (isize === expected % 2 ** 32) {
    const buffer = allocateBytes(expected, file);
    try {
      const out = inflateSync(bytes.subarray(start, n - 8), { out: buffer });
      if (out.length === expected) {
        if (checkCrc) verifyCrc(bytes, out, file);
        return out;
      }
    } catch (error) {
      if (error instanceof VoxelkitError) throw error;
      // Fall through: the streaming decoder gives the precise error (or handles the stream).
    }
  }
  return gunzipStreaming(bytes, expected, file);
}

// Limitation: this multi-member path does not verify the per-member CRC-32 and holds the decoded
// chunks plus the final buffer (about 2x memory); loadNifti's zlib path checks every member.
function gunzipStreaming(bytes: Uint8Array, expected: number, file?: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const gunzip = new Gunzip((chunk) => {
    const keep = Math.min(chunk.length, expected - total);
    if (keep > 0) chunks.push(chunk.slice(0, keep));
    total += keep;
  });
  try {
    // One push: member headers are then never split across chunks (see gunzipPrefix).
    gunzip.push(bytes, true);
  } catch (error) {
    // A corrupt tail after all the voxel bytes we need is tolerated (nibabel does not read it
    // either); fflate error code 0 is "unexpected EOF", i.e. a truncated file.
    const eof = (error as { code?: unknown } | null)?.code === 0;
    if (total < expected && !eof) throw corruptGzip(file, error);
  }
  if (total < expected) {
    throw new FormatError('file shorter than the header says', {
      file,
      field: 'vox_offset + voxel data',
      expected: `${expected} bytes after decompression`,
      actual: `${total} bytes`,
    });
  }
  if (chunks.length === 1) return chunks[0];
  const out = allocateBytes(expected, file);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function allocateBytes(length: number, file?: string): Uint8Array {
  try {
    return new Uint8Array(length);
  } catch (error) {
    throw new ResourceError('cannot allocate the decompressed buffer', {
      file,
      actual: length,
      cause: error,
    });
  }
}

function verifyCrc(bytes: Uint8Array, out: Uint8Array, file?: string): void {
  const n = bytes.length;
  const stored =
    (bytes[n - 8] | (bytes[n - 7] << 8) | (bytes[n - 6] << 16) | (bytes[n - 5] << 24)) >>> 0;
  const actual = crc32(out);
  if (stored !== actual) {
    throw new FormatError('gzip data is corrupt: CRC-32 mismatch', {
      file,
      field: 'gzip stream',
      expected: stored.toString(16),
      actual: actual.toString(16),
    });
  }
}

function truncatedGzip(file?: string): FormatError {
  return new FormatError('truncated gzip header', { file, field: 'gzip header' });
}

function corruptGzip(file: string | undefined, cause: unknown): FormatError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FormatError(`gzip data is corrupt: ${reason}`, { file, field: 'gzip stream', cause });
}
