/**
 * The run folder: where a training run keeps its configuration, metrics, checkpoints, log and
 * figures, and how those files are named.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, FormatError } from '@voxelkit/core';
import { writeFileAtomic } from './files.js';

/** Metrics of one training epoch. */
export interface EpochRecord {
  kind: 'epoch';
  epoch: number;
  /** Mean loss over the epoch's steps. */
  loss: number;
  /** Learning rate used during the epoch. */
  lr: number;
  steps: number;
  seconds: number;
}

/** Metrics of one validation pass. */
export interface ValidationRecord {
  kind: 'validation';
  epoch: number;
  /** Mean foreground Dice over the validation cases. */
  meanDice: number;
  cases: CaseMetrics[];
  /** True when this pass produced a new best checkpoint. */
  best: boolean;
  seconds: number;
}

/** Per-case validation metrics. */
export interface CaseMetrics {
  name: string;
  dice: number;
  /** 95th-percentile Hausdorff distance in mm (when the metrics package provides it). */
  hd95?: number;
  /** Surface Dice at the tolerance recorded in `surfaceTolerance` mm. */
  surfaceDice?: number;
  surfaceTolerance?: number;
}

/** A line of `metrics.jsonl`. */
export type MetricsRecord = EpochRecord | ValidationRecord;

/** File names inside a run folder. */
export function runPaths(runDir: string) {
  return {
    config: join(runDir, 'config.json'),
    metrics: join(runDir, 'metrics.jsonl'),
    log: join(runDir, 'train.log'),
    split: join(runDir, 'split.json'),
    best: join(runDir, 'best'),
    last: join(runDir, 'last'),
    overlayData: join(runDir, 'overlay.json'),
    lossPng: join(runDir, 'loss.png'),
    dicePng: join(runDir, 'dice.png'),
    overlayPng: join(runDir, 'overlay.png'),
    report: join(runDir, 'report.html'),
  };
}

/** Rewrites `metrics.jsonl` from a history (atomically). */
export async function writeMetrics(runDir: string, history: MetricsRecord[]): Promise<void> {
  await writeFileAtomic(
    runPaths(runDir).metrics,
    history.map((r) => JSON.stringify(r)).join('\n') + '\n',
  );
}

/** Reads `metrics.jsonl`; a missing file is an empty history. */
export async function readMetrics(runDir: string): Promise<MetricsRecord[]> {
  const path = runPaths(runDir).metrics;
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line, i) => {
      try {
        return JSON.parse(line) as MetricsRecord;
      } catch (cause) {
        throw new FormatError('metrics line is not JSON', {
          file: path,
          field: `line ${i + 1}`,
          cause,
        });
      }
    });
}

/** Reads a JSON file, naming the file when it is missing or malformed. */
export async function readJson<T>(path: string): Promise<T> {
  if (!existsSync(path)) throw new DataError('file not found', { file: path });
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (cause) {
    throw new FormatError('file is not valid JSON', { file: path, cause });
  }
}

/** A `runs/2026-12-04T16-05-08Z` style folder name. */
export function timestampName(date = new Date()): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}
