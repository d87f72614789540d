/**
 * Which scans the example trains and validates on: the data set folder, the patient grouping,
 * the seeded split, and the optional download of the full MSD Task09_Spleen.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError, type Logger } from '@voxelkit/core';
import { loadDecathlonDataset, splitTrainValidation, type DecathlonItem } from '@voxelkit/io';

/** MSD Task09_Spleen archive and its MD5, as published by the MONAI project. */
export const TASK09_URL = 'https://msd-for-monai.s3-us-west-2.amazonaws.com/Task09_Spleen.tar';
export const TASK09_MD5 = '410d4a301da4e5b2f6f86ec3ddba524e';

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
 * Downloads and unpacks MSD Task09_Spleen into `<parent>/Task09_Spleen` unless it is there,
 * checking the archive's MD5. Returns the data folder.
 */
export async function downloadTask09(parent: string, logger: Logger): Promise<string> {
  const target = join(parent, 'Task09_Spleen');
  if (existsSync(join(target, 'dataset.json'))) {
    logger.info(`using existing ${target}`);
    return target;
  }
  const io = (await import('@voxelkit/io')) as Record<string, unknown>;
  const download = io['downloadAndExtract'] as
    | ((url: string, dir: string, options: { md5?: string; logger?: Logger }) => Promise<unknown>)
    | undefined;
  if (typeof download !== 'function') {
    throw new DataError('this build of @voxelkit/io has no downloader; download Task09_Spleen.tar by hand', {
      expected: `${TASK09_URL} (md5 ${TASK09_MD5}) unpacked into ${dirname(target)}`,
    });
  }
  logger.info(`downloading ${TASK09_URL} (about 1.5 GB) into ${parent}`);
  await download(TASK09_URL, parent, { md5: TASK09_MD5, logger });
  return target;
}
