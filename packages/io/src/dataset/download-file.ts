/**
 * HTTP(S) download of one file (Node only): bytes go to a `.part` file that survives
 * interruptions and is resumed with a `Range` request; the MD5 is verified before an atomic
 * rename, and a download larger than the free disk space is refused before writing.
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

/** Parses and checks an `http:` / `https:` URL. */
export function parseUrl(url: string): URL {
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

/** True when `p` exists and is a regular file. */
export async function isFile(p: string): Promise<boolean> {
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
