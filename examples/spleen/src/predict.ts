/**
 * The `predict` command: preprocess one CT volume as in training, segment it with a sliding
 * window, and map the mask back onto the input's own grid (shape and affine) with `Invertd`.
 */
import { join } from 'node:path';
import { createVolume, type Volume } from '@voxelkit/core';
import { saveNifti } from '@voxelkit/io';
import { Invertd } from '@voxelkit/transforms';
import type { SpleenConfig } from './config.js';
import type { CliLogger } from './console.js';
import { segment } from './evaluate.js';
import type { ModelFactory } from './model.js';
import { preprocessing } from './pipeline.js';
import { readJson } from './runFolder.js';
import { runTransforms } from './runTransforms.js';

/** Options of {@link predictFile}. */
export interface PredictOptions {
  checkpoint: string;
  /** CT volume, `.nii` or `.nii.gz`. */
  input: string;
  /** Mask to write (uint8, 0 background, 1 spleen). */
  output: string;
  logger: CliLogger;
  createModel: ModelFactory;
}

/** Segments `input` and writes the mask to `output`; returns the mask volume. */
export async function predictFile(options: PredictOptions): Promise<Volume> {
  const { logger } = options;
  const config = await readJson<SpleenConfig>(join(options.checkpoint, 'config.json'));
  const model = await options.createModel(config);
  await model.load(join(options.checkpoint, 'model'));
  const record = await runTransforms(
    { image: options.input },
    preprocessing(config, false),
    logger,
    options.input,
  );
  const image = record.image as Volume;
  const bar = logger.bars.create('inference', 1);
  const classes = await segment(model, image, config, (e) => {
    if (e.total > 0) bar.update(e.done / e.total);
  });
  bar.stop();
  model.dispose();
  const pred = createVolume(classes, image.shape, image.affine, { applied: image.meta.applied });
  const inverted = new Invertd({ keys: ['pred'], origKey: 'image', mode: 'nearest' }).apply({
    ...record,
    pred,
  }).pred as Volume;
  const mask = createVolume(
    Uint8Array.from(inverted.data, (v) => (v > 0.5 ? 1 : 0)),
    inverted.shape,
    inverted.affine,
    {},
  );
  await saveNifti(options.output, mask);
  let voxels = 0;
  for (const v of mask.data) voxels += v;
  logger.info(
    `wrote ${options.output}: shape ${mask.shape.slice(1).join('×')}, ${voxels} spleen voxels`,
  );
  return mask;
}
