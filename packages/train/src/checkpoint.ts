/**
 * Training checkpoints: model weights, optimiser moments, step, epoch, metrics and run
 * configuration in one safetensors file, written atomically.
 *
 * Layout of `<dir>/<name>.safetensors`:
 * - `model.<param>`: the model's PyTorch-layout state dict (`num_batches_tracked` as I64), so
 *   `safetensors.torch.load_file` + stripping the `model.` prefix loads it into MONAI's UNet;
 * - `optimizer.exp_avg.<param>` / `optimizer.exp_avg_sq.<param>`: AdamW moments, float32, in the
 *   parameter's tfjs layout;
 * - `__metadata__["voxelkit.checkpoint"]`: JSON manifest {@link CheckpointManifest}.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataError, FormatError } from '@voxelkit/core';
import {
  encodeSafetensors,
  readSafetensors,
  type SafetensorsTensor,
  type StateDict,
} from '@voxelkit/nets';
import type { AdamW, AdamWMoments } from './adamw.js';
import { writeFileAtomic } from './atomic_write.js';

/** The checkpoint format identifier stored in the manifest. */
export const CHECKPOINT_FORMAT = 'voxelkit-checkpoint';
/** Current manifest version. */
export const CHECKPOINT_VERSION = 1;
const METADATA_KEY = 'voxelkit.checkpoint';

/** A model that can export and import a PyTorch-style state dict (e.g. `UNet`). */
export interface CheckpointModel {
  /** The PyTorch-layout state dict to save. */
  stateDict(): StateDict;
  /** Restores a state dict (throws when names or shapes do not match). */
  loadStateDict(entries: StateDict): void;
}

/** What {@link saveCheckpoint} stores. */
export interface CheckpointContent {
  /** The model whose weights are saved. */
  model: CheckpointModel;
  /** The optimiser whose step and moments are saved (optional). */
  optimizer?: AdamW;
  /** Epochs completed. */
  epoch: number;
  /** Latest metrics (e.g. `{ valDice: 0.91, loss: 0.12 }`). */
  metrics?: Record<string, number>;
  /** The run configuration, any JSON value. */
  config?: unknown;
}

/** The JSON manifest inside a checkpoint. */
export interface CheckpointManifest {
  /** Always {@link CHECKPOINT_FORMAT}. */
  format: typeof CHECKPOINT_FORMAT;
  /** Manifest version ({@link CHECKPOINT_VERSION} when written by this release). */
  version: number;
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken (0 without an optimiser). */
  step: number;
  /** Metrics given to {@link saveCheckpoint} (`{}` when none). */
  metrics: Record<string, number>;
  /** Run configuration given to {@link saveCheckpoint} (`null` when none). */
  config: unknown;
  /** AdamW hyper-parameters and learning rate at save time, when an optimiser was saved. */
  optimizer?: {
    /** Optimiser kind. */
    type: 'AdamW';
    /** Learning rate at save time. */
    lr: number;
    /** `[β1, β2]`. */
    betas: [number, number];
    /** Denominator term. */
    eps: number;
    /** Decoupled weight-decay coefficient. */
    weightDecay: number;
  };
  /** ISO time of writing. */
  savedAt: string;
}

/** Options of {@link saveCheckpoint} / {@link loadCheckpoint}. */
export interface CheckpointFileOptions {
  /** File name without extension (default `'checkpoint'`), e.g. `'best'` or `'last'`. */
  name?: string;
}

/** What {@link loadCheckpoint} returns (after restoring into `model`/`optimizer` if given). */
export interface LoadedCheckpoint {
  /** The JSON manifest (epoch, step, metrics, config, optimiser settings). */
  manifest: CheckpointManifest;
  /** The model state dict, PyTorch layout. */
  stateDict: StateDict;
  /** Optimiser moments by parameter name, when the checkpoint has them. */
  moments?: Map<string, AdamWMoments>;
  /** The file read. */
  path: string;
}

/**
 * Writes a checkpoint atomically (temp file, fsync, rename): a crash mid-write leaves the
 * previous checkpoint of the same name intact.
 *
 * @returns the path written, `<dir>/<name>.safetensors`.
 * @example
 * ```ts
 * await saveCheckpoint('runs/spleen', { model: net, optimizer, epoch, metrics: { valDice } , config },
 *   { name: 'last' });
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  content: CheckpointContent,
  options: CheckpointFileOptions = {},
): Promise<string> {
  const target = checkpointPath(dir, options);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of content.model.stateDict()) {
    const integer = name.endsWith('num_batches_tracked');
    tensors.set(`model.${name}`, { ...entry, dtype: integer ? 'I64' : 'F32' });
  }
  let optimizer: CheckpointManifest['optimizer'];
  let step = 0;
  if (content.optimizer) {
    const state = content.optimizer.getState();
    step = state.step;
    optimizer = {
      type: 'AdamW',
      lr: state.lr,
      betas: state.betas,
      eps: state.eps,
      weightDecay: state.weightDecay,
    };
    // Limitation: moments are stored in tfjs layout, so they do not load into a PyTorch optimiser.
    for (const [name, m] of state.moments) {
      tensors.set(`optimizer.exp_avg.${name}`, { shape: m.shape, data: m.expAvg });
      tensors.set(`optimizer.exp_avg_sq.${name}`, { shape: m.shape, data: m.expAvgSq });
    }
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    epoch: content.epoch,
    step,
    metrics: content.metrics ?? {},
    config: content.config ?? null,
    ...(optimizer ? { optimizer } : {}),
    savedAt: new Date().toISOString(),
  };
  const bytes = encodeSafetensors(tensors, { [METADATA_KEY]: JSON.stringify(manifest) });
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(target, bytes);
  return target;
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}; when `model` / `optimizer` are given,
 * restores weights (strictly: names and shapes must match) and optimiser step, lr and moments.
 *
 * @throws FormatError when the file is not a voxelkit checkpoint (or is corrupt).
 * @throws DataError when an optimiser is given but the checkpoint has no optimiser state.
 */
export async function loadCheckpoint(
  dir: string,
  options: CheckpointFileOptions & { model?: CheckpointModel; optimizer?: AdamW } = {},
): Promise<LoadedCheckpoint> {
  const file = checkpointPath(dir, options);
  const { tensors, metadata } = readSafetensors(new Uint8Array(await readFile(file)), file);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(metadata[METADATA_KEY] ?? 'null') as CheckpointManifest;
  } catch {
    throw new FormatError('checkpoint manifest is not valid JSON', { file, field: METADATA_KEY });
  }
  if (manifest === null || manifest.format !== CHECKPOINT_FORMAT) {
    throw new FormatError('not a voxelkit checkpoint', {
      file,
      field: `__metadata__.${METADATA_KEY}.format`,
      expected: CHECKPOINT_FORMAT,
      actual: manifest?.format,
    });
  }
  if (manifest.version > CHECKPOINT_VERSION) {
    throw new FormatError('checkpoint written by a newer voxelkit', {
      file,
      field: 'version',
      expected: `≤ ${CHECKPOINT_VERSION}`,
      actual: manifest.version,
    });
  }
  const stateDict: StateDict = new Map();
  const avg = new Map<string, { shape: number[]; data: Float32Array }>();
  const avgSq = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, entry] of tensors) {
    if (name.startsWith('model.')) stateDict.set(name.slice('model.'.length), entry);
    else if (name.startsWith('optimizer.exp_avg_sq.'))
      avgSq.set(name.slice('optimizer.exp_avg_sq.'.length), entry);
    else if (name.startsWith('optimizer.exp_avg.'))
      avg.set(name.slice('optimizer.exp_avg.'.length), entry);
  }
  let moments: Map<string, AdamWMoments> | undefined;
  if (manifest.optimizer) {
    moments = new Map();
    for (const [name, m] of avg) {
      const sq = avgSq.get(name);
      if (sq === undefined)
        throw new FormatError('checkpoint lacks exp_avg_sq', { file, field: name });
      moments.set(name, { shape: m.shape, expAvg: m.data, expAvgSq: sq.data });
    }
  }
  options.model?.loadStateDict(stateDict);
  if (options.optimizer) {
    if (moments === undefined || manifest.optimizer === undefined) {
      throw new DataError('checkpoint has no optimizer state to restore', {
        file,
        field: 'optimizer',
      });
    }
    options.optimizer.setState({ ...manifest.optimizer, step: manifest.step, moments });
  }
  return { manifest, stateDict, moments, path: file };
}

function checkpointPath(dir: string, options: CheckpointFileOptions): string {
  return path.join(dir, `${options.name ?? 'checkpoint'}.safetensors`);
}
