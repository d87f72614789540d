/**
 * Where the Medical Segmentation Decathlon archives can be downloaded, with their MD5 sums, as
 * listed by MONAI 1.4 (`monai/apps/datasets.py`, `DecathlonDataset`). Plain data: safe to import
 * in browsers.
 */

/** The ten Decathlon task names. */
export type MsdTaskName =
  | 'Task01_BrainTumour'
  | 'Task02_Heart'
  | 'Task03_Liver'
  | 'Task04_Hippocampus'
  | 'Task05_Prostate'
  | 'Task06_Lung'
  | 'Task07_Pancreas'
  | 'Task08_HepaticVessel'
  | 'Task09_Spleen'
  | 'Task10_Colon';

/** Download location of one Decathlon task. */
export interface MsdTaskResource {
  /** URL of the uncompressed `.tar` archive. */
  url: string;
  /** MD5 of the archive, 32 lower-case hex digits. */
  md5: string;
  /** Top-level folder of the archive; it holds `dataset.json`. */
  folder: MsdTaskName;
}

const BASE = 'https://msd-for-monai.s3-us-west-2.amazonaws.com';

function task(folder: MsdTaskName, md5: string): MsdTaskResource {
  return { url: `${BASE}/${folder}.tar`, md5, folder };
}

/**
 * URL, MD5 and folder of every Decathlon task (Task09_Spleen: 41 training CTs, about 1.5 GB).
 *
 * @example
 * ```ts
 * const { url, md5, folder } = MSD_TASKS.Task09_Spleen;
 * await downloadAndExtract(url, 'data', { md5, datasetFolder: folder }); // from '@voxelkit/io/node'
 * ```
 */
export const MSD_TASKS: Readonly<Record<MsdTaskName, MsdTaskResource>> = Object.freeze({
  Task01_BrainTumour: task('Task01_BrainTumour', '240a19d752f0d9e9101544901065d872'),
  Task02_Heart: task('Task02_Heart', '06ee59366e1e5124267b774dbd654057'),
  Task03_Liver: task('Task03_Liver', 'a90ec6c4aa7f6a3d087205e23d4e6397'),
  Task04_Hippocampus: task('Task04_Hippocampus', '9d24dba78a72977dbd1d2e110310f31b'),
  Task05_Prostate: task('Task05_Prostate', '35138f08b1efaef89d7424d2bcc928db'),
  Task06_Lung: task('Task06_Lung', '8afd997733c7fc0432f71255ba4e52dc'),
  Task07_Pancreas: task('Task07_Pancreas', '4f7080cfca169fa8066d17ce6eb061e4'),
  Task08_HepaticVessel: task('Task08_HepaticVessel', '641d79e80ec66453921d997fbf12a29c'),
  Task09_Spleen: task('Task09_Spleen', '410d4a301da4e5b2f6f86ec3ddba524e'),
  Task10_Colon: task('Task10_Colon', 'bad7a188931dc2f6acf72b08eb6202d0'),
});
