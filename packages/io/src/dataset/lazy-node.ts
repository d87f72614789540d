/**
 * The Node-only data-set functions of the contract (`loadDecathlonDataset`, `downloadAndExtract`)
 * as exported by the main `@voxelkit/io` entry: thin wrappers that load their implementation,
 * and with it `node:fs`, `node:http` and `tar-stream`, on first call. Importing `@voxelkit/io`
 * therefore pulls no `node:` module at top level (the same approach as `loadNifti`). Node
 * programs may import the same functions statically from `@voxelkit/io/node`.
 */
import type { DownloadAndExtractOptions, DownloadAndExtractResult } from './download.js';
import type { LoadDecathlonOptions } from './decathlon.js';
import type { DecathlonDataset } from './types.js';

export type { LoadDecathlonOptions } from './decathlon.js';
export type { DownloadAndExtractOptions, DownloadAndExtractResult } from './download.js';

/**
 * Loads and validates `<dir>/dataset.json` (Node only). See the full description in
 * `@voxelkit/io/node`'s `loadDecathlonDataset`: absolute paths, typed errors naming the file and
 * the field for missing `training`, wrong types, missing files and duplicate entries.
 *
 * @param dir - the data set folder.
 * @param options - `checkFiles` (default true) and a logger.
 *
 * @example
 * ```ts
 * const ds = await loadDecathlonDataset('data/spleen-mini');
 * ```
 */
export async function loadDecathlonDataset(
  dir: string,
  options?: LoadDecathlonOptions,
): Promise<DecathlonDataset> {
  const implementation = await import('./decathlon.js');
  return implementation.loadDecathlonDataset(dir, options);
}

/**
 * Downloads (with resume and MD5 check), safely extracts and validates a Decathlon archive
 * (Node only); returns at once when the data set folder already loads. See `@voxelkit/io/node`'s
 * `downloadAndExtract` for the full description.
 *
 * @param url - `http:` or `https:` URL of a `.tar` / `.tar.gz` archive.
 * @param destDir - folder to extract into.
 * @param options - MD5, progress, logger, abort signal, retry policy.
 *
 * @example
 * ```ts
 * const { url, md5 } = MSD_TASKS.Task09_Spleen;
 * const { datasetDir } = await downloadAndExtract(url, 'data', { md5 });
 * ```
 */
export async function downloadAndExtract(
  url: string,
  destDir: string,
  options?: DownloadAndExtractOptions,
): Promise<DownloadAndExtractResult> {
  const implementation = await import('./download.js');
  return implementation.downloadAndExtract(url, destDir, options);
}
