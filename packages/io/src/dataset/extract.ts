/**
 * Safe extraction of `.tar` and `.tar.gz` archives (Node only). Archives downloaded from the
 * internet are untrusted: an entry named `../x` or `/etc/x`, a link pointing outside the
 * destination, or a device node must never touch the file system outside the destination
 * (the "tar slip" class of bugs). Every entry is checked before anything is written, entries
 * are written into a fresh staging folder inside the destination, and the staging folder's
 * top-level entries are moved into place only when the whole archive extracted cleanly.
 */
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import {
  FormatError,
  VoxelkitError,
  silentLogger,
  type Logger,
  type ProgressCallback,
} from '@voxelkit/core';
import { extract as tarExtract, type Header } from 'tar-stream';

/** Options of {@link extractTarArchive}. */
export interface ExtractTarOptions {
  /** Reports `{ stage: 'extract', done, total }` in archive bytes read. */
  onProgress?: ProgressCallback;
  /** Receives one warning per skipped link and per replaced top-level entry. */
  logger?: Logger;
  /** Stops the extraction between entries; the staging folder is removed. */
  signal?: AbortSignal;
}

/** What {@link extractTarArchive} wrote. */
export interface ExtractTarResult {
  /** Names of the top-level entries now in the destination (e.g. `['Task09_Spleen']`). */
  topLevel: string[];
  /** Number of regular files written. */
  files: number;
  /** Bytes of file content written. */
  bytes: number;
}

/**
 * Extracts a `.tar` or gzip-compressed tar (detected from the magic bytes, not the name) into
 * `destDir`, refusing anything that could escape it.
 *
 * Rules: entry names must be relative, without `..` segments, NUL bytes or drive letters;
 * regular files and folders are written; symbolic and hard links whose target would resolve
 * outside `destDir` are rejected, links that stay inside are skipped with a warning (Decathlon
 * archives contain none); device files and FIFOs are rejected. A top-level entry that already
 * exists in `destDir` is replaced, with a warning.
 *
 * @param archivePath - the archive file.
 * @param destDir - destination folder (created if missing).
 * @returns the top-level names written, and file / byte counts.
 * @throws FormatError naming the archive and the entry for an unsafe entry or a corrupt
 *   archive; nothing is left in `destDir` in that case.
 *
 * @example
 * ```ts
 * const { topLevel } = await extractTarArchive('Task09_Spleen.tar', 'data');
 * ```
 */
export async function extractTarArchive(
  archivePath: string,
  destDir: string,
  options: ExtractTarOptions = {},
): Promise<ExtractTarResult> {
  const logger = options.logger ?? silentLogger;
  const root = path.resolve(destDir);
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(path.join(root, '.extract-'));
  try {
    const counts = await extractInto(archivePath, staging, options);
    options.signal?.throwIfAborted();
    const topLevel = (await readdir(staging)).sort();
    for (const name of topLevel) {
      const target = path.join(root, name);
      if (await exists(target)) {
        logger.warn('extractTarArchive: replacing an existing entry', { path: target });
        await rm(target, { recursive: true, force: true });
      }
      await rename(path.join(staging, name), target);
    }
    return { topLevel, ...counts };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function extractInto(
  archivePath: string,
  staging: string,
  options: ExtractTarOptions,
): Promise<{ files: number; bytes: number }> {
  const total = (await stat(archivePath)).size;
  const gzipped = await startsWithGzipMagic(archivePath);
  const source = createReadStream(archivePath);
  const extractor = tarExtract();
  let read = 0;
  source.on('data', (chunk) => {
    read += chunk.length;
    options.onProgress?.({ stage: 'extract', done: read, total });
  });
  const fail = (error: Error) => extractor.destroy(error);
  source.on('error', fail);
  if (gzipped) {
    const gunzip = createGunzip();
    gunzip.on('error', fail);
    source.pipe(gunzip).pipe(extractor);
  } else {
    source.pipe(extractor);
  }

  let files = 0;
  let bytes = 0;
  let index = 0;
  try {
    for await (const entry of extractor) {
      const header = entry.header;
      const field = `entries[${index++}]`;
      options.signal?.throwIfAborted();
      if (header.type === 'directory' && isRootDirectory(header.name)) {
        // `./` (as written by `tar -C dir -cf x.tar .`) is the destination itself.
        entry.resume();
        continue;
      }
      const relative = safeRelativePath(header.name, archivePath, field);
      const target = path.join(staging, ...relative);
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true });
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file':
          await mkdir(path.dirname(target), { recursive: true });
          // streamx entries yield Buffers when iterated.
          bytes += await writeEntry(entry as AsyncIterable<Buffer>, target, header.mode);
          files++;
          break;
        case 'symlink':
        case 'link':
          checkLinkTarget(header, relative, archivePath, field);
          // Limitation: links that stay inside are skipped, not recreated (MSD archives have none;
          // creating them would also let later entries write through them).
          (options.logger ?? silentLogger).warn('extractTarArchive: skipping a link entry', {
            entry: header.name,
            linkname: header.linkname,
          });
          entry.resume();
          break;
        default:
          throw new FormatError('archive holds an entry type that is not extracted', {
            file: archivePath,
            field,
            expected: 'file, directory or link',
            actual: `${header.type} ${header.name}`,
          });
      }
    }
  } catch (error) {
    source.destroy();
    if (error instanceof VoxelkitError || (error as Error).name === 'AbortError') throw error;
    throw new FormatError('archive is not a readable tar / tar.gz file', {
      file: archivePath,
      field: `entries[${index}]`,
      cause: error,
    });
  }
  return { files, bytes };
}

/** True for `.`, `./`, `.//.` and the like: names that denote the extraction root. */
function isRootDirectory(name: string): boolean {
  return /^\.([\\/]+\.)*[\\/]*$/.test(name);
}

/** Splits an entry name into safe path segments, or throws. */
function safeRelativePath(name: string, archivePath: string, field: string): string[] {
  const unsafe = (why: string) =>
    new FormatError(`unsafe archive entry: ${why}`, {
      file: archivePath,
      field,
      expected: 'a relative path inside the destination',
      actual: name,
    });
  if (name.includes('\0')) throw unsafe('NUL byte in name');
  if (/^[\\/]/.test(name) || /^[A-Za-z]:/.test(name)) throw unsafe('absolute path');
  const segments = name.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafe('".." segment');
  if (segments.length === 0) throw unsafe('empty name');
  return segments;
}

/** Rejects a link whose target would resolve outside the extraction root. */
function checkLinkTarget(header: Header, relative: string[], archivePath: string, field: string) {
  const linkname = header.linkname ?? '';
  // Symlink targets are relative to the link's folder; hard-link targets to the archive root.
  const base = header.type === 'symlink' ? relative.slice(0, -1) : [];
  const absolute = /^[\\/]/.test(linkname) || /^[A-Za-z]:/.test(linkname);
  let depth = base.length;
  let escapes = absolute || linkname.includes('\0');
  for (const segment of linkname.split(/[\\/]+/)) {
    if (segment === '' || segment === '.') continue;
    depth += segment === '..' ? -1 : 1;
    if (depth < 0) escapes = true;
  }
  if (escapes) {
    throw new FormatError(`unsafe archive entry: ${header.type} pointing outside the destination`, {
      file: archivePath,
      field,
      expected: 'a link target inside the destination',
      actual: `${header.name} -> ${linkname}`,
    });
  }
}

async function writeEntry(
  entry: AsyncIterable<Buffer>,
  target: string,
  mode: number | undefined,
): Promise<number> {
  // A later entry with the same name replaces an earlier one, as tar does. The staging folder
  // holds no links, so unlinking and writing here cannot reach outside it.
  await unlink(target).catch(() => undefined);
  const executable = ((mode ?? 0o644) & 0o111) !== 0;
  const handle = await open(target, 'wx', executable ? 0o755 : 0o644);
  let written = 0;
  try {
    for await (const chunk of entry) {
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return written;
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
