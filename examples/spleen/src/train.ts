/**
 * The `train` command: cache the preprocessed cases, run seeded epochs of patch training,
 * validate with a sliding window every `valInterval` epochs, keep the best and the last
 * checkpoint, and resume from the last one with nothing lost.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, ResourceError, type Volume } from '@voxelkit/core';
import { CacheDataset, DataLoader, type DatasetRecord, type DecathlonItem } from '@voxelkit/io';
import { CosineAnnealingSchedule } from '@voxelkit/train';
import type { SpleenConfig } from './config.js';
import type { CliLogger } from './console.js';
import { caseName, loadSplit } from './data.js';
import { evaluate, type EvaluationCase } from './evaluate.js';
import { recoverFolder, replaceFolder, writeFileAtomic } from './files.js';
import { estimateTrainingMemory, formatBytes } from './memory.js';
import type { Batch, ModelFactory, SegmentationModel } from './model.js';
import { augmentation, preprocessing } from './pipeline.js';
import { buildReport } from './report.js';
import {
  readJson,
  runPaths,
  writeMetrics,
  type EpochRecord,
  type MetricsRecord,
  type ValidationRecord,
} from './runFolder.js';

/** What a checkpoint folder records besides the model (its `state.json`). */
export interface TrainingState {
  /** Epochs completed (1-based count). */
  epoch: number;
  bestDice: number;
  bestEpoch: number;
  history: MetricsRecord[];
  /** Compute backend that produced this state (a resume on another may differ in the last bits). */
  backend?: string;
}

/** Options of {@link train}. */
export interface TrainOptions {
  config: SpleenConfig;
  runDir: string;
  logger: CliLogger;
  createModel: ModelFactory;
  /** Continue from `<runDir>/last`. */
  resume?: boolean;
  /** Train even when the memory estimate exceeds free memory. */
  force?: boolean;
  /** Name of the compute backend in use, recorded in checkpoints. */
  backend?: string;
}

/** Summary returned when training ends. */
export interface TrainSummary {
  runDir: string;
  epochs: number;
  bestDice: number;
  bestEpoch: number;
  seconds: number;
}

/** Fraction of free memory above which training refuses to start (without `--force`). */
const REFUSE_FRACTION = 0.9;
/** Fraction of free memory above which training warns. */
const WARN_FRACTION = 0.5;

/** Trains a model as configured; see the module comment. */
export async function train(options: TrainOptions): Promise<TrainSummary> {
  const { config, runDir, logger } = options;
  const paths = runPaths(runDir);
  const started = Date.now();
  // Check memory and data before creating anything, so a failed start leaves no run folder.
  checkMemory(config, logger, options.force === true);
  const split = await loadSplit(config.dataDir, {
    seed: config.seed,
    validationFraction: config.validationFraction,
    logger,
  });
  await mkdir(runDir, { recursive: true });
  logger.attachFile(paths.log);
  await writeFileAtomic(paths.config, JSON.stringify(config, null, 2) + '\n');
  const names = (items: { image: string }[]) => items.map(caseName).join(', ');
  logger.info(
    `split by patient (seed ${config.seed}): training on [${names(split.training)}], validating on [${names(split.validation)}]`,
  );
  await writeFileAtomic(
    paths.split,
    JSON.stringify(
      { training: split.training.map(caseName), validation: split.validation.map(caseName) },
      null,
      2,
    ) + '\n',
  );

  // Each record carries its case id (kept by every transform, patches included), so an error
  // about a batch can name the cases in it.
  const withCaseId = (items: DecathlonItem[]) =>
    items.map((item) => ({ ...item, caseId: caseName(item) }) as unknown as DatasetRecord);
  const trainSet = new CacheDataset(
    withCaseId(split.training),
    [...preprocessing(config), ...augmentation(config)],
    {
      seed: config.seed,
      logger,
      caseId: (item) => caseName(item as unknown as { image: string }),
      onProgress: progressBar(logger, 'cache train'),
    },
  );
  await trainSet.init();
  const validationSet = new CacheDataset(withCaseId(split.validation), preprocessing(config), {
    seed: config.seed,
    logger,
    caseId: (item) => caseName(item as unknown as { image: string }),
    onProgress: progressBar(logger, 'cache val'),
  });
  await validationSet.init();
  const validationCases: EvaluationCase[] = [];
  for (let i = 0; i < validationSet.length; i++) {
    const record = (await validationSet.get(i, 0)) as DatasetRecord;
    validationCases.push({
      name: caseName(split.validation[i]),
      image: record.image as Volume,
      label: record.label as Volume,
    });
  }

  const model = await options.createModel(config);
  logger.info(
    `UNet ${config.channels.join('-')} (strides ${config.strides.join(',')}), ${model.parameterCount.toLocaleString('en')} parameters`,
  );
  let state: TrainingState = {
    epoch: 0,
    bestDice: -Infinity,
    bestEpoch: 0,
    history: [],
    backend: options.backend,
  };
  if (options.resume) {
    state = await restore(runDir, model, config, logger);
    if (
      state.backend !== undefined &&
      options.backend !== undefined &&
      state.backend !== options.backend
    ) {
      logger.warn(
        `the run was trained on the ${state.backend} backend and continues on ${options.backend}: results will not match an uninterrupted run bit for bit`,
      );
    }
    state.backend = options.backend;
    // metrics.jsonl may hold an epoch written after the last checkpoint: the checkpoint wins.
    await writeMetrics(runDir, state.history);
  }

  const loader = new DataLoader(trainSet, {
    batchSize: config.batchSize,
    shuffle: true,
    seed: config.seed,
    prefetch: 1,
  });
  const epochBar = logger.bars.create('epochs', config.epochs);
  epochBar.update(state.epoch);
  try {
    for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
      const record = await trainEpoch(model, loader, epoch, config, logger);
      state.history.push(record);
      epochBar.update(epoch, { loss: record.loss });
      logger.debug(`epoch ${epoch}`, { loss: record.loss, lr: record.lr, seconds: record.seconds });
      if (epoch % config.valInterval === 0 || epoch === config.epochs) {
        const validation = await validateEpoch(
          model,
          validationCases,
          epoch,
          config,
          logger,
          state,
        );
        state.history.push(validation.record);
        if (validation.record.best) {
          state.bestDice = validation.record.meanDice;
          state.bestEpoch = epoch;
          await saveCheckpoint(join(runDir, 'best'), model, config, { ...state, epoch });
          if (validation.overlay) {
            await writeFileAtomic(
              paths.overlayData,
              JSON.stringify({ ...validation.overlay, epoch }),
            );
          }
        }
      }
      state.epoch = epoch;
      await saveCheckpoint(paths.last, model, config, state);
      await writeMetrics(runDir, state.history);
      if (epoch % config.valInterval === 0 || epoch === config.epochs) await buildReport(runDir);
    }
  } finally {
    epochBar.stop();
  }
  await buildReport(runDir);
  model.dispose();
  const seconds = (Date.now() - started) / 1000;
  logger.info(
    `done: best mean Dice ${fmt(state.bestDice)} at epoch ${state.bestEpoch}; ${(seconds / 60).toFixed(1)} min; report ${paths.report}`,
  );
  return {
    runDir,
    epochs: state.epoch,
    bestDice: state.bestDice,
    bestEpoch: state.bestEpoch,
    seconds,
  };
}

/**
 * Cosine annealing from `lr` to 0 over `epochs` (PyTorch `CosineAnnealingLR` stepped once per
 * epoch, `T_max = epochs`); `epoch` is 1-based, so epoch 1 trains at `lr`.
 */
export function cosineLearningRate(lr: number, epoch: number, epochs: number): number {
  return new CosineAnnealingSchedule({ baseLr: lr, tMax: epochs }).lrAt(epoch - 1);
}

async function trainEpoch(
  model: SegmentationModel,
  loader: DataLoader,
  epoch: number,
  config: SpleenConfig,
  logger: CliLogger,
): Promise<EpochRecord> {
  const started = Date.now();
  const lr = cosineLearningRate(config.lr, epoch, config.epochs);
  const bar = logger.bars.create(`epoch ${epoch}`, loader.length);
  let total = 0;
  let steps = 0;
  const poisonStep = testPoisonStep();
  try {
    // DataLoader epochs are 0-based; their shuffles and augmentations derive from (seed, epoch).
    for await (const batch of loader.iterate(epoch - 1)) {
      const { images, labels } = stack(batch);
      const step = steps + 1;
      if ((epoch - 1) * loader.length + step === poisonStep) images.data[0] = NaN;
      const loss = await model.trainStep(images, labels, lr);
      if (!Number.isFinite(loss)) {
        // Thrown before this epoch's checkpoint is written: `last` keeps the previous epoch.
        const cases = [...new Set(batch.map((r) => String(r.caseId)))].join(', ');
        const kept =
          epoch > 1
            ? `the last checkpoint is the one of epoch ${epoch - 1}`
            : 'no checkpoint was written';
        throw new ResourceError(
          `training diverged: the loss is ${loss} at epoch ${epoch}, step ${step} of ${loader.length} ` +
            `(batch of cases ${cases}); ${kept}. ` +
            'Try a lower --lr, or check those cases',
          { field: 'loss', expected: 'a finite loss', actual: String(loss) },
        );
      }
      total += loss;
      steps++;
      const elapsed = (Date.now() - started) / 1000;
      bar.update(steps, { loss, 's/it': elapsed / steps });
    }
  } finally {
    bar.stop();
  }
  return {
    kind: 'epoch',
    epoch,
    loss: total / Math.max(1, steps),
    lr,
    steps,
    seconds: (Date.now() - started) / 1000,
  };
}

async function validateEpoch(
  model: SegmentationModel,
  cases: EvaluationCase[],
  epoch: number,
  config: SpleenConfig,
  logger: CliLogger,
  state: TrainingState,
) {
  const started = Date.now();
  const bar = logger.bars.create('validate', 1);
  const result = await evaluate(model, cases, config, (e) => {
    if (e.done === 0 || e.total === 0) return;
    bar.update(e.done / e.total);
  }).finally(() => bar.stop());
  const best = Number.isFinite(result.meanDice) && result.meanDice > state.bestDice;
  const record: ValidationRecord = {
    kind: 'validation',
    epoch,
    meanDice: result.meanDice,
    cases: result.cases,
    best,
    seconds: (Date.now() - started) / 1000,
  };
  const perCase = result.cases.map((c) => `${c.name} ${fmt(c.dice)}`).join(', ');
  logger.info(
    `epoch ${epoch}/${config.epochs} validation: mean Dice ${fmt(result.meanDice)} [${perCase}]` +
      (best ? ' ★ new best' : ` (best ${fmt(state.bestDice)} at epoch ${state.bestEpoch})`),
    { epoch, meanDice: result.meanDice, seconds: record.seconds },
  );
  return { record, overlay: result.overlay };
}

/**
 * Test hook: `VOXELKIT_TEST_POISON_LOSS_STEP=n` writes a NaN into the input of the n-th optimiser
 * step of the run (1-based, counted from epoch 1 as `(epoch - 1) * stepsPerEpoch + step`), so
 * tests can force a non-finite loss through the real model. Unset (the normal case): no effect.
 */
function testPoisonStep(): number | undefined {
  const raw = process.env.VOXELKIT_TEST_POISON_LOSS_STEP;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new DataError('VOXELKIT_TEST_POISON_LOSS_STEP must be a positive integer', {
      field: 'VOXELKIT_TEST_POISON_LOSS_STEP',
      actual: raw,
    });
  }
  return n;
}

/** Concatenates a batch of patch records into `[B, 1, X, Y, Z]` images and labels. */
function stack(batch: DatasetRecord[]): { images: Batch; labels: Batch } {
  const first = batch[0].image as Volume;
  const spatial = first.shape.slice(1);
  const n = first.data.length;
  const images = new Float32Array(n * batch.length);
  const labels = new Float32Array(n * batch.length);
  batch.forEach((record, b) => {
    const image = record.image as Volume;
    const label = record.label as Volume;
    if (image.data.length !== n || label.data.length !== n) {
      throw new ResourceError('patches of one batch differ in size', {
        expected: first.shape,
        actual: image.shape,
      });
    }
    images.set(image.data, b * n);
    labels.set(label.data, b * n);
  });
  const shape = [batch.length, 1, ...spatial];
  return { images: { data: images, shape }, labels: { data: labels, shape } };
}

/** Writes `dir` atomically: model, state and config go to a staging folder that is renamed. */
async function saveCheckpoint(
  dir: string,
  model: SegmentationModel,
  config: SpleenConfig,
  state: TrainingState,
): Promise<void> {
  const staging = `${dir}.staging`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await model.save(join(staging, 'model'));
  await writeFileAtomic(join(staging, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  await writeFileAtomic(join(staging, 'state.json'), JSON.stringify(state) + '\n');
  await replaceFolder(staging, dir);
}

/** Loads `<runDir>/last` into `model` and returns its state. */
async function restore(
  runDir: string,
  model: SegmentationModel,
  config: SpleenConfig,
  logger: CliLogger,
): Promise<TrainingState> {
  const last = runPaths(runDir).last;
  await recoverFolder(last);
  if (!existsSync(join(last, 'state.json'))) {
    logger.warn(`no checkpoint in ${last}; starting from epoch 1`);
    return { epoch: 0, bestDice: -Infinity, bestEpoch: 0, history: [] };
  }
  const state = await readJson<TrainingState>(join(last, 'state.json'));
  state.bestDice = state.bestDice ?? -Infinity;
  if (state.bestDice === null) state.bestDice = -Infinity;
  await model.load(join(last, 'model'));
  logger.info(
    `resumed from ${last}: ${state.epoch} of ${config.epochs} epochs done, best Dice ${fmt(state.bestDice)}`,
  );
  return state;
}

function checkMemory(config: SpleenConfig, logger: CliLogger, force: boolean): void {
  const estimate = estimateTrainingMemory(config);
  const text =
    `memory estimate for roi ${config.roiSize.join('×')}, ${config.batchSize}×${config.numSamples} patches, ` +
    `channels ${config.channels.join('-')}: ${formatBytes(estimate.total)} (free: ${formatBytes(estimate.free)})`;
  if (estimate.total > REFUSE_FRACTION * estimate.free && !force) {
    throw new ResourceError(
      `${text}; reduce --roi, --batch-size, --num-samples or --channels, or pass --force`,
      {
        field: 'memory',
        expected: `< ${formatBytes(REFUSE_FRACTION * estimate.free)}`,
        actual: formatBytes(estimate.total),
      },
    );
  }
  if (estimate.total > WARN_FRACTION * estimate.free) logger.warn(text);
  else logger.info(text);
}

function progressBar(logger: CliLogger, label: string) {
  let bar: ReturnType<CliLogger['bars']['create']> | undefined;
  return (e: { done: number; total: number }) => {
    bar ??= logger.bars.create(label, e.total);
    bar.update(e.done);
    if (e.done >= e.total) bar.stop();
  };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}
