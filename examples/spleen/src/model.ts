/**
 * The segmentation model as the CLI sees it: one training step on a batch of patches, window
 * predictions for sliding-window inference, and a checkpoint folder. Everything TensorFlow.js
 * lives behind this interface (see tfModel.ts).
 */
import type { SpleenConfig } from './config.js';

/** Channel-first float data with its shape, e.g. `[B, C, X, Y, Z]`. */
export interface Batch {
  data: Float32Array;
  shape: number[];
}

/** A trainable 3D segmentation model with its optimiser. */
export interface SegmentationModel {
  /**
   * One optimiser step on `images` `[B, 1, X, Y, Z]` (0..1) and `labels` `[B, 1, X, Y, Z]` (class
   * indices) at learning rate `lr`; returns the loss before the step.
   */
  trainStep(images: Batch, labels: Batch, lr: number): Promise<number>;
  /** Logits `[B, 2, X, Y, Z]` for windows `[B, 1, X, Y, Z]`, in inference mode. */
  predict(windows: Batch): Promise<Batch>;
  /** Writes weights, batch-norm statistics and optimiser state into the folder `dir`. */
  save(dir: string): Promise<void>;
  /** Restores what {@link save} wrote. */
  load(dir: string): Promise<void>;
  /** Number of trainable parameters. */
  readonly parameterCount: number;
  dispose(): void;
}

/** Builds a model for `config` with weights initialised from `config.seed`. */
export type ModelFactory = (config: SpleenConfig) => Promise<SegmentationModel>;
