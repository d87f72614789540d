/**
 * Shapes shared by the data-set modules: Decathlon data sets, records flowing through a
 * pipeline, and the structural transform interface that {@link CacheDataset} runs. The
 * transform shape matches `@voxelkit/transforms`' `Transform` exactly, but is declared here
 * because `@voxelkit/transforms` depends on this package, not the other way round.
 */
import type { Logger, Rng } from '@voxelkit/core';

/** One training case of a Decathlon data set: absolute paths to the image and its label. */
export interface DecathlonItem {
  /** Absolute path of the image file (e.g. `/data/Task09_Spleen/imagesTr/spleen_2.nii.gz`). */
  image: string;
  /** Absolute path of the label file on the same grid as the image. */
  label: string;
}

/** A validated Medical Segmentation Decathlon data set (the content of its `dataset.json`). */
export interface DecathlonDataset {
  /** Absolute path of the folder holding `dataset.json`. */
  dir: string;
  /** The `name` field (e.g. `Spleen`); empty when absent. */
  name: string;
  /** The `description` field; empty when absent. */
  description: string;
  /** Label value (as a string key) to class name, e.g. `{ '0': 'background', '1': 'spleen' }`. */
  labels: Record<string, string>;
  /** Input channel index (as a string key) to modality name, e.g. `{ '0': 'CT' }`. */
  modality: Record<string, string>;
  /** Training cases in file order, with absolute paths. */
  training: DecathlonItem[];
  /** Absolute paths of the test images (no labels), in file order. */
  test: string[];
}

/** A record flowing through a pipeline: volumes and other values under string keys. */
export type DatasetRecord = { [key: string]: unknown };

/** What a {@link DatasetTransform} receives besides its input record. */
export interface DatasetTransformContext {
  /** Random stream for this record; random transforms draw from it and nothing else. */
  rng: Rng;
  /** Where recoverable degradations are reported. */
  logger: Logger;
  /** A name for the record in messages (the case id). */
  recordName?: string;
}

/** One record, or several (e.g. random patches of one case). */
export type DatasetTransformResult = DatasetRecord | DatasetRecord[];

/**
 * A dictionary transform as {@link CacheDataset} sees it: a name, whether it is random, and an
 * `apply` that returns a new record (or several) without mutating its input.
 */
export interface DatasetTransform {
  /** Name used in errors (e.g. `'Orientationd'`). */
  readonly name: string;
  /** True when the output depends on `context.rng`; the cache stops before the first one. */
  readonly random?: boolean;
  /** Returns the transformed record (or several); must not mutate `record`. */
  apply(
    record: DatasetRecord,
    context: DatasetTransformContext,
  ): DatasetTransformResult | Promise<DatasetTransformResult>;
}

/** What a {@link DataLoader} needs from a data set: a length and an epoch-aware `get`. */
export interface EpochDataset {
  /** Number of cases. */
  readonly length: number;
  /** The transformed case `index` for `epoch`; an array when the case yields several samples. */
  get(index: number, epoch: number): Promise<DatasetTransformResult>;
}
