/**
 * The `validate` command: scores a checkpoint on the validation cases of its own split (or on
 * every case with `--all`), per case and on average.
 */
import { join } from 'node:path';
import type { Volume } from '@voxelkit/core';
import type { SpleenConfig } from './config.js';
import type { CliLogger } from './console.js';
import { caseName, loadSplit } from './data.js';
import { evaluate, type EvaluationResult } from './evaluate.js';
import type { ModelFactory } from './model.js';
import { preprocessing } from './pipeline.js';
import { readJson } from './runFolder.js';
import { runTransforms } from './runTransforms.js';

/** Options of {@link validateCheckpoint}. */
export interface ValidateOptions {
  /** Checkpoint folder (`<runDir>/best` or `<runDir>/last`). */
  checkpoint: string;
  /** Data folder; default: the checkpoint's `config.dataDir`. */
  dataDir?: string;
  /** Score all cases instead of the validation split. */
  all: boolean;
  logger: CliLogger;
  createModel: ModelFactory;
}

/** Loads the checkpoint, predicts each case with a sliding window and logs Dice per case. */
export async function validateCheckpoint(options: ValidateOptions): Promise<EvaluationResult> {
  const { logger } = options;
  const saved = await readJson<SpleenConfig>(join(options.checkpoint, 'config.json'));
  const config: SpleenConfig = { ...saved, dataDir: options.dataDir ?? saved.dataDir };
  const split = await loadSplit(config.dataDir, {
    seed: config.seed,
    validationFraction: config.validationFraction,
    logger,
  });
  const items = options.all ? [...split.training, ...split.validation] : split.validation;
  const model = await options.createModel(config);
  await model.load(join(options.checkpoint, 'model'));
  const transforms = preprocessing(config);
  const cases = [];
  const bar = logger.bars.create('preprocess', items.length);
  for (const [i, item] of items.entries()) {
    const record = await runTransforms({ ...item }, transforms, logger, caseName(item));
    cases.push({
      name: caseName(item),
      image: record.image as Volume,
      label: record.label as Volume,
    });
    bar.update(i + 1);
  }
  bar.stop();
  const windows = logger.bars.create('inference', 1);
  const result = await evaluate(model, cases, config, (e) => {
    if (e.total > 0) windows.update(e.done / e.total);
  });
  windows.stop();
  model.dispose();
  for (const c of result.cases) {
    const extra = [
      c.hd95 !== undefined ? `HD95 ${c.hd95.toFixed(2)} mm` : '',
      c.surfaceDice !== undefined
        ? `surface Dice@${c.surfaceTolerance} mm ${c.surfaceDice.toFixed(4)}`
        : '',
    ]
      .filter(Boolean)
      .join(', ');
    logger.info(`${c.name}: Dice ${c.dice.toFixed(4)}${extra ? `, ${extra}` : ''}`, { ...c });
  }
  logger.info(`mean Dice over ${result.cases.length} case(s): ${result.meanDice.toFixed(4)}`, {
    meanDice: result.meanDice,
  });
  return result;
}
