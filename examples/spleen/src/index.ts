/**
 * Spleen segmentation on CT: train, validate, predict, report. The CLI (`src/cli.ts`, run with
 * `pnpm spleen`) is the main entry; these exports let scripts drive the same steps.
 *
 * @packageDocumentation
 */
export {
  presetConfig,
  resolveConfig,
  validateConfig,
  type SpleenConfig,
  type PresetName,
} from './config.js';
export {
  groupOf,
  caseName,
  loadSplit,
  downloadTask09,
  SAME_PATIENT,
  type DataSplit,
} from './data.js';
export { preprocessing, augmentation } from './pipeline.js';
export { CheckFinited, countNonFinite, type CheckFinitedOptions } from './checkFinite.js';
export {
  train,
  cosineLearningRate,
  type TrainOptions,
  type TrainSummary,
  type TrainingState,
} from './train.js';
export { evaluate, segment, type EvaluationCase, type EvaluationResult } from './evaluate.js';
export { validateCheckpoint, type ValidateOptions } from './validate.js';
export { predictFile, type PredictOptions } from './predict.js';
export { buildReport, lossChart, diceChart, type ReportFiles } from './report.js';
export { createTfModel } from './tfModel.js';
export { estimateTrainingMemory, formatBytes, type MemoryEstimate } from './memory.js';
export type { SegmentationModel, ModelFactory, Batch } from './model.js';
export type { MetricsRecord, EpochRecord, ValidationRecord, CaseMetrics } from './runFolder.js';
