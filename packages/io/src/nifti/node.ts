/**
 * Node file helpers for NIfTI: `loadNifti` and `saveNifti`. Node built-ins are imported lazily
 * inside the functions, through a computed specifier (see {@link importNode}): bundlers such as
 * esbuild follow `import('node:fs')` with a literal string and fail for the browser platform, but
 * leave a computed one alone. So a browser bundle of `@voxelkit/io` builds, and only calling
 * these two functions there fails.
 */
import { ArgumentError, DataError, FormatError, type Volume } from '@voxelkit/core';
import { encodeNifti, type EncodeNiftiOptions } from './encode.js';
import { isGzip } from './gzip.js';
import { planNiftiRead, readNifti, readNiftiHeader, type ReadNiftiOptions } from './read.js';

/** Options of {@link loadNifti}. */
export type LoadNiftiOptions = Omit<ReadNiftiOptions, 'filename' | 'image'>;

/** Options of {@link saveNifti}. */
export interface SaveNiftiOptions extends Omit<EncodeNiftiOptions, 'gzip'> {
  /** gzip the file; default: true when the path ends in `.gz`. */
  gzip?: boolean;
}

const SNIFF_BYTES = 64 * 1024;
const PAIR = /\.(hdr|img)(\.gz)?$/i;

/**
 * Reads a NIfTI file from disk: `.nii`, `.nii.gz`, or a `.hdr/.img` pair (also `.hdr.gz` /
 * `.img.gz`; either file of the pair may be named). The header is read and checked (size guard)
 * from the first 64 KiB before the whole file is loaded; gzip is inflated with Node's native
 * zlib (CRC-checked, multi-member), then decoded by {@link readNifti}.
 *
 * @example
 * ```ts
 * const ct = await loadNifti('data/spleen-mini/imagesTr/spleen_ts002.nii.gz');
 * ct.shape; // [1, 512, 512, 20]
 * ```
 * @throws DataError when a file cannot be read (missing .img of a pair, permissions), plus the
 *   errors of {@link readNifti}.
 */
export async function loadNifti(path: string, options: LoadNiftiOptions = {}): Promise<Volume> {
  const fs = await importNode<Fs>('fs/promises');
  const pair = PAIR.exec(path);
  const hdrPath = pair ? path.replace(PAIR, (_m, _e, gz = '') => `.hdr${gz}`) : path;
  const head = await readPrefix(fs, hdrPath, SNIFF_BYTES);
  const header = readNiftiHeader(head, { filename: hdrPath });
  // Size guard before the whole file is read into memory.
  const plan = planNiftiRead(header, { filename: hdrPath, maxBytes: options.maxBytes });
  const needed = plan.voxOffset + plan.dataBytes;
  const bytes = await readWhole(fs, hdrPath);
  if (header.singleFile) {
    const raw = await gunzipNative(bytes, needed, hdrPath);
    return readNifti(raw, { ...options, filename: hdrPath });
  }
  const imgPath = await findImage(fs, hdrPath);
  const hdr = await gunzipNative(bytes, SNIFF_BYTES * 256, hdrPath);
  const image = await gunzipNative(await readWhole(fs, imgPath), needed, imgPath);
  return readNifti(hdr, { ...options, filename: hdrPath, image });
}

/**
 * Writes a volume as NIfTI-1 (`.nii` or `.nii.gz`), atomically: the bytes go to
 * `<path>.tmp-<random>` which is then renamed over `path`. gzip uses Node's zlib (native, much
 * faster than the browser-safe encoder's fflate).
 *
 * @throws ArgumentError for `.hdr`/`.img` paths (pairs are not written) and unwritable volumes.
 */
export async function saveNifti(
  path: string,
  volume: Volume,
  options: SaveNiftiOptions = {},
): Promise<void> {
  if (PAIR.test(path)) {
    throw new ArgumentError('saveNifti writes single-file NIfTI only', {
      field: 'path',
      expected: 'a .nii or .nii.gz path',
      actual: path,
    });
  }
  const [fs, zlib, crypto, util] = await Promise.all([
    importNode<Fs>('fs/promises'),
    importNode<typeof import('node:zlib')>('zlib'),
    importNode<typeof import('node:crypto')>('crypto'),
    importNode<typeof import('node:util')>('util'),
  ]);
  const raw = encodeNifti(volume, { ...options, gzip: false });
  const gzip = options.gzip ?? /\.gz$/i.test(path);
  const bytes = gzip ? await util.promisify(zlib.gzip)(raw, { level: options.level ?? 6 }) : raw;
  const tmp = `${path}.tmp-${crypto.randomBytes(6).toString('hex')}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw new DataError('cannot write NIfTI file', { file: path, cause: error });
  }
}

type Fs = typeof import('node:fs/promises');

/**
 * Imports a Node built-in by a computed name. The specifier is not a string literal on purpose:
 * browser bundlers then do not try to resolve it (a literal `import('node:zlib')` makes esbuild
 * fail with "Could not resolve" for `--platform=browser`).
 */
async function importNode<T>(name: string): Promise<T> {
  const specifier = `node:${name}`;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}

/**
 * Inflates gzip input with Node's zlib (native, off the main thread, multi-member, CRC-checked),
 * which is several times faster than fflate on a large CT. The output is capped a little above
 * what the header needs; a file whose decompressed data exceeds that (trailing bytes) is handed
 * to readNifti still compressed, whose fflate path ignores the excess.
 */
async function gunzipNative(bytes: Uint8Array, needed: number, file: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const [zlib, util, buffer] = await Promise.all([
    importNode<typeof import('node:zlib')>('zlib'),
    importNode<typeof import('node:util')>('util'),
    importNode<typeof import('node:buffer')>('buffer'),
  ]);
  const cap = Math.min(needed + (1 << 20), buffer.constants.MAX_LENGTH);
  try {
    // 1 MiB output chunks instead of zlib's 16 KiB default: ~1.8x faster on a 262 MB CT (fewer
    // chunk copies and callbacks); measured 716 → 404 ms here.
    const out = await util.promisify(zlib.gunzip)(bytes, {
      maxOutputLength: cap,
      chunkSize: 1 << 20,
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return bytes;
    if (code === 'Z_BUF_ERROR') {
      throw new FormatError('file shorter than the header says (gzip stream ends early)', {
        file,
        field: 'vox_offset + voxel data',
        expected: `${needed} bytes after decompression`,
        cause: error,
      });
    }
    throw new FormatError(`gzip data is corrupt: ${(error as Error).message}`, {
      file,
      field: 'gzip stream',
      cause: error,
    });
  }
}

async function readPrefix(fs: Fs, path: string, size: number): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<Fs['open']>> | undefined;
  try {
    handle = await fs.open(path, 'r');
    const buffer = new Uint8Array(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new DataError('cannot read NIfTI file', { file: path, cause: error });
  } finally {
    await handle?.close();
  }
}

async function readWhole(fs: Fs, path: string): Promise<Uint8Array> {
  try {
    const b = await fs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (error) {
    throw new DataError('cannot read NIfTI file', { file: path, cause: error });
  }
}

/** The .img beside a .hdr: same compression first, then the other one. */
async function findImage(fs: Fs, hdrPath: string): Promise<string> {
  const base = hdrPath.replace(PAIR, '');
  const gz = /\.gz$/i.test(hdrPath);
  const candidates = gz ? [`${base}.img.gz`, `${base}.img`] : [`${base}.img`, `${base}.img.gz`];
  for (const c of candidates) {
    try {
      await fs.access(c);
      return c;
    } catch {
      // try the next candidate
    }
  }
  throw new DataError('the .img file of this NIfTI pair is missing', {
    file: hdrPath,
    field: 'image file',
    expected: candidates.join(' or '),
  });
}
