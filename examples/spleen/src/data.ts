/**
 * Which scans the example trains and validates on: the data set folder, the patient grouping,
 * the seeded split, and the optional download of the full MSD Task09_Spleen.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { DataError, type Logger } from '@voxelkit/core';
import { MSD_TASKS, splitTrainValidation, type DecathlonItem } from '@voxelkit/io';
import { downloadAndExtract, loadDecathlonDataset } from '@voxelkit/io/node';

/**
 * Scans that share a patient with another scan. In the bundled `spleen-mini`, `spleen_ts003` is
 * the top 30 slices of `spleen_ts001` (same patient, same acquisition), so they form one group.
 * Any case not listed is its own group (true for the MSD data, one scan per patient).
 */
export const SAME_PATIENT: Readonly<Record<string, string>> = { spleen_ts003: 'spleen_ts001' };

/** The case name of an item: its image file name without `.nii(.gz)`. */
export function caseName(item: { image: string }): string {
  return basename(item.image).replace(/\.nii(\.gz)?$/, '');
}

/** The patient group of an item (see {@link SAME_PATIENT}). */
export function groupOf(item: { image: string }): string {
  const name = caseName(item);
  return SAME_PATIENT[name] ?? name;
}

/** The cases of a run, by side. */
export interface DataSplit {
  dataDir: string;
  training: DecathlonItem[];
  validation: DecathlonItem[];
}

/**
 * Loads `<dataDir>/dataset.json` and splits its training cases by patient with the run's seed.
 * A patient is never on both sides.
 */
export async function loadSplit(
  dataDir: string,
  options: { seed: number; validationFraction: number; logger: Logger },
): Promise<DataSplit> {
  if (!existsSync(dataDir)) {
    throw new DataError(
      'data folder not found; pass --data-dir <Task09_Spleen folder>, or --download to fetch MSD Task09_Spleen',
      { file: dataDir },
    );
  }
  const dataset = await loadDecathlonDataset(dataDir, { logger: options.logger });
  const { training, validation } = splitTrainValidation<DecathlonItem>(dataset.training, {
    validationFraction: options.validationFraction,
    seed: options.seed,
    groupOf,
  });
  return { dataDir, training, validation };
}

/**
 * Downloads MSD Task09_Spleen (URL and MD5 from `@voxelkit/io`'s `MSD_TASKS`) and unpacks it
 * into `<parent>/Task09_Spleen`, unless a valid copy is already there. Returns the data folder.
 */
export async function downloadTask09(parent: string, logger: Logger): Promise<string> {
  const { url, md5 } = MSD_TASKS.Task09_Spleen;
  logger.info(`fetching ${url} (about 1.5 GB, md5 ${md5}) into ${parent} unless already there`);
  const result = await downloadAndExtract(url, parent, { md5, logger });
  return result.datasetDir;
}
