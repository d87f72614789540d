/**
 * Getting a Decathlon data set onto disk (Node only): download the archive (resumable, MD5
 * checked, see `download-file.ts`), extract it safely, and check that it loads. A data set
 * folder that already loads is never downloaded again.
 */
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DataError, silentLogger } from '@voxelkit/core';
import { loadDecathlonDataset } from './decathlon.js';
import {
  downloadFile,
  isFile,
  md5OfFile,
  parseUrl,
  type DownloadFileOptions,
} from './download-file.js';
import { extractTarArchive } from './extract.js';

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

async function loadsAsDataset(dir: string): Promise<boolean> {
  try {
    await loadDecathlonDataset(dir);
    return true;
  } catch {
    return false;
  }
}
