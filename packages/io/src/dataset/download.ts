/**
 * Downloading (Node only): HTTP(S) to a `.part` file that survives interruptions and is resumed
 * with a `Range` request, MD5 verification, and an atomic rename once the bytes are right; then
 * {@link downloadAndExtract} extracts the archive safely and checks the data set loads. A data
 * set folder that already loads is never downloaded again.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, statfs, truncate, unlink } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ArgumentError,
  DataError,
  ResourceError,
  VoxelkitError,
  silentLogger,
  type Logger,
  type ProgressCallback,
} from '@voxelkit/core';
import { loadDecathlonDataset } from './decathlon.js';
import { extractTarArchive } from './extract.js';

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions {
  /** Expected MD5 of the whole file (32 hex digits). A mismatch deletes the file and throws. */
  md5?: string;
  /** Reports `{ stage: 'download', done, total }` in bytes (`total` 0 when unknown). */
  onProgress?: ProgressCallback;
  /** Receives retries, resumes and skips. */
  logger?: Logger;
  /** Aborts the transfer; the `.part` file is kept for a later resume. */
  signal?: AbortSignal;
  /** Further attempts after a dropped connection or a 5xx answer (default 3). */
  retries?: number;
  /** Wait before retry `n` (1-based) is `retryDelayMs * 2^(n-1)` ms (default 1000). */
  retryDelayMs?: number;
  /** Give up on a connection silent for this long, in ms (default 60 000). */
  idleTimeoutMs?: number;
}

/** Options of {@link downloadAndExtract}. */
export interface DownloadAndExtractOptions extends DownloadFileOptions {
  /** Where the archive is stored (default: `destDir/<last URL path segment>`). */
  archivePath?: string;
  /**
   * Folder inside `destDir` that holds `dataset.json` once extracted (default: the archive name
   * without `.tar`, `.tar.gz` or `.tgz`, e.g. `Task09_Spleen`).
   */
  datasetFolder?: string;
  /** Keep the archive after a successful extraction (default true). */
  keepArchive?: boolean;
}

/** What {@link downloadAndExtract} did. */
export interface DownloadAndExtractResult {
  /** Absolute path of the data set folder (it holds a loadable `dataset.json`). */
  datasetDir: string;
  /** Absolute path of the archive (may no longer exist when `keepArchive` is false). */
  archivePath: string;
  /** True when bytes were transferred in this call. */
  downloaded: boolean;
  /** True when the archive was extracted in this call (false: the folder was already valid). */
  extracted: boolean;
}

/**
 * Makes sure `destDir/<datasetFolder>` holds a valid Decathlon data set: returns at once when
 * it already loads; otherwise downloads the archive (resuming a `.part` file, verifying MD5,
 * reusing an already complete archive), extracts it safely and checks that it loads.
 *
 * @param url - `http:` or `https:` URL of a `.tar` or `.tar.gz` archive.
 * @param destDir - folder to extract into (created if missing).
 * @param options - MD5, progress, logger, abort signal, retry policy, archive location.
 * @throws DataError for an MD5 mismatch (the file is deleted), an HTTP error status, a transfer
 *   that still fails after `retries`, or an archive without a valid data set; FormatError for
 *   an unsafe or corrupt archive; ArgumentError for a bad URL or MD5 string.
 *
 * @example
 * ```ts
 * const { url, md5 } = MSD_TASKS.Task09_Spleen;
 * const { datasetDir } = await downloadAndExtract(url, 'data', { md5, onProgress: bar });
 * const ds = await loadDecathlonDataset(datasetDir);
 * ```
 */
export async function downloadAndExtract(
  url: string,
  destDir: string,
  options: DownloadAndExtractOptions = {},
): Promise<DownloadAndExtractResult> {
  const logger = options.logger ?? silentLogger;
  const parsed = parseUrl(url);
  const root = path.resolve(destDir);
  const archiveName = decodeURIComponent(parsed.pathname.split('/').pop() ?? '') || 'archive.tar';
  const archivePath = path.resolve(options.archivePath ?? path.join(root, archiveName));
  const datasetFolder =
    options.datasetFolder ?? archiveName.replace(/(\.tar\.gz|\.tgz|\.tar)$/i, '');
  const datasetDir = path.join(root, datasetFolder);
  const result = { datasetDir, archivePath, downloaded: false, extracted: false };

  if (await loadsAsDataset(datasetDir)) {
    logger.info('downloadAndExtract: data set already present, nothing to do', { datasetDir });
    return result;
  }
  await mkdir(root, { recursive: true });
  let haveArchive = await isFile(archivePath);
  if (haveArchive && options.md5 !== undefined) {
    const actual = await md5OfFile(archivePath);
    if (actual !== options.md5.toLowerCase()) {
      logger.warn('downloadAndExtract: existing archive has the wrong MD5, downloading again', {
        archivePath,
        expected: options.md5,
        actual,
      });
      await unlink(archivePath);
      haveArchive = false;
    }
  }
  if (haveArchive) {
    logger.info('downloadAndExtract: reusing the archive already on disk', { archivePath });
  } else {
    await downloadFile(url, archivePath, options);
    result.downloaded = true;
  }
  await extractTarArchive(archivePath, root, {
    onProgress: options.onProgress,
    logger,
    signal: options.signal,
  });
  result.extracted = true;
  try {
    await loadDecathlonDataset(datasetDir);
  } catch (error) {
    throw new DataError('the extracted archive does not hold a valid Decathlon data set', {
      file: archivePath,
      field: 'datasetFolder',
      expected: `${datasetDir}/dataset.json`,
      cause: error,
    });
  }
  if (options.keepArchive === false) await unlink(archivePath);
  return result;
}

/**
 * Downloads `url` to `filePath` through `filePath + '.part'`: a partial `.part` left by an
 * earlier interrupted call (or a dropped connection in this call) is continued with a
 * `Range: bytes=<size>-` request; a server that ignores the range restarts it from zero. The
 * part file is renamed to `filePath` only after the MD5 (when given) matches.
 *
 * @param url - `http:` or `https:` URL; up to 5 redirects are followed.
 * @param filePath - final location; its folder is created if missing.
 * @param options - MD5, progress, logger, abort signal, retry policy, idle timeout.
 * @throws DataError for an MD5 mismatch (the part file is deleted), an HTTP error status or a
 *   transfer that fails after all retries; ResourceError when the announced size exceeds the
 *   free disk space (checked before writing); ArgumentError for a bad URL or MD5 string.
 */
export async function downloadFile(
  url: string,
  filePath: string,
  options: DownloadFileOptions = {},
): Promise<void> {
  const logger = options.logger ?? silentLogger;
  parseUrl(url);
  if (options.md5 !== undefined && !/^[0-9a-f]{32}$/i.test(options.md5)) {
    throw new ArgumentError('downloadFile: md5 must be 32 hexadecimal digits', {
      field: 'md5',
      actual: options.md5,
    });
  }
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const part = `${filePath}.part`;
  await mkdir(path.dirname(path.resolve(filePath)), { recursive: true });

  for (let attempt = 0; ; attempt++) {
    const offset = (await isFile(part)) ? (await stat(part)).size : 0;
    if (offset > 0) logger.info('downloadFile: resuming a partial download', { part, offset });
    try {
      await transfer(url, part, offset, options, 5);
      break;
    } catch (error) {
      options.signal?.throwIfAborted();
      const retriable = error instanceof TransferInterrupted || !(error instanceof VoxelkitError);
      if (!retriable) throw error;
      if (attempt >= retries) {
        throw new DataError('download failed after all retries', {
          file: url,
          field: 'retries',
          expected: `success within ${retries + 1} attempts`,
          actual: String((error as Error).message),
          cause: error,
        });
      }
      const delay = retryDelayMs * 2 ** attempt;
      logger.warn('downloadFile: transfer interrupted, retrying', {
        url,
        attempt: attempt + 1,
        delayMs: delay,
        error: String((error as Error).message),
      });
      await sleep(delay, options.signal);
    }
  }

  if (options.md5 !== undefined) {
    const expected = options.md5.toLowerCase();
    const actual = await md5OfFile(part);
    if (actual !== expected) {
      await unlink(part);
      throw new DataError('downloaded file is corrupt: MD5 mismatch (the file was deleted)', {
        file: url,
        field: 'md5',
        expected,
        actual,
      });
    }
  }
  await rename(part, filePath);
}

/**
 * MD5 of a file's content as 32 lower-case hex digits, read as a stream (constant memory).
 *
 * @param file - path of the file.
 */
export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

// Limitation: one connection per download (no parallel ranges), MD5 as the only checksum (it is
// what MSD publishes), and proxies only as far as Node's default http agent supports them.

/** One HTTP request; appends to `part` from `offset`. Throws TransferInterrupted to retry. */
async function transfer(
  url: string,
  part: string,
  offset: number,
  options: DownloadFileOptions,
  redirectsLeft: number,
): Promise<void> {
  const target = parseUrl(url);
  const client = target.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { 'user-agent': 'voxelkit' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = client.get(target, { headers, signal: options.signal }, resolve);
    request.on('error', reject);
    request.setTimeout(options.idleTimeoutMs ?? 60_000, () => {
      request.destroy(new Error(`no data for ${options.idleTimeoutMs ?? 60_000} ms`));
    });
  });
  const status = response.statusCode ?? 0;

  if (status >= 300 && status < 400 && response.headers.location) {
    response.resume();
    if (redirectsLeft <= 0) {
      throw new DataError('too many HTTP redirects', { file: url, field: 'location' });
    }
    const next = new URL(response.headers.location, target).toString();
    return transfer(next, part, offset, options, redirectsLeft - 1);
  }
  if (status === 416 && offset > 0) {
    response.resume();
    // The range starts at or after the end: the part file may already be complete.
    const size = /\/(\d+)$/.exec(response.headers['content-range'] ?? '');
    if (size && Number(size[1]) === offset) return;
    await truncate(part, 0);
    throw retriableError(url, 'the server rejected the resume range; restarting from zero');
  }
  if (status >= 500) {
    response.resume();
    throw retriableError(url, `HTTP ${status}`);
  }
  let start = offset;
  if (status === 200) {
    start = 0; // the server ignored the Range header: start over
  } else if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== offset) {
      response.resume();
      await truncate(part, 0);
      throw retriableError(url, 'the server answered a different range; restarting from zero');
    }
  } else {
    response.resume();
    throw new DataError('download failed: the server answered with an error status', {
      file: url,
      field: 'HTTP status',
      expected: '200 or 206',
      actual: status,
    });
  }

  const length = Number(response.headers['content-length'] ?? NaN);
  const total = Number.isFinite(length) ? start + length : 0;
  if (Number.isFinite(length)) {
    try {
      await checkFreeSpace(path.dirname(path.resolve(part)), length, url);
    } catch (error) {
      response.destroy();
      throw error;
    }
  }
  let done = start;
  let reported = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      // Reporting every ~256 KiB keeps the callback cheap on multi-GB downloads.
      if (done - reported >= 262_144 || done === total) {
        reported = done;
        options.onProgress?.({ stage: 'download', done, total });
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(response, counter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }));
  } catch (error) {
    options.signal?.throwIfAborted();
    throw retriableError(url, `connection dropped after ${done} bytes`, error);
  }
  if (total > 0 && done < total) {
    throw retriableError(url, `connection closed after ${done} of ${total} bytes`);
  }
  options.onProgress?.({ stage: 'download', done, total: total || done });
}

/** A transfer failure worth retrying (dropped connection, 5xx, unusable range answer). */
class TransferInterrupted extends DataError {}

/** Fails early, before writing, when the file system cannot hold `bytes` more. */
async function checkFreeSpace(dir: string, bytes: number, url: string): Promise<void> {
  const stats = await statfs(dir).catch(() => undefined);
  if (!stats) return; // statfs unsupported here: let the write fail instead
  const free = stats.bavail * stats.bsize;
  if (bytes > free) {
    throw new ResourceError('not enough free disk space for the download', {
      file: url,
      field: 'content-length',
      expected: `at most ${free} bytes (free in ${dir})`,
      actual: bytes,
    });
  }
}

function retriableError(url: string, message: string, cause?: unknown): DataError {
  return new TransferInterrupted(message, { file: url, field: 'transfer', cause });
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ArgumentError('not a valid URL', { field: 'url', actual: url, cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ArgumentError('only http: and https: URLs can be downloaded', {
      field: 'url',
      expected: 'http: or https:',
      actual: parsed.protocol,
    });
  }
  return parsed;
}

async function loadsAsDataset(dir: string): Promise<boolean> {
  try {
    await loadDecathlonDataset(dir);
    return true;
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
