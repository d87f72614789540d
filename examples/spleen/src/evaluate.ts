/**
 * Validation: sliding-window inference over whole preprocessed scans, argmax, and the
 * foreground Dice (plus HD95 and surface Dice in mm) per case.
 */
import type { ProgressCallback, Volume } from '@voxelkit/core';
import { slidingWindowInference } from '@voxelkit/inferers';
import type { SpleenConfig } from './config.js';
import type { OverlayData } from './figures/overlay.js';
import { extractOverlaySlices } from './figures/overlay.js';
import { caseMetrics } from './scores.js';
import type { Batch, SegmentationModel } from './model.js';
import type { CaseMetrics } from './runFolder.js';

/** A preprocessed validation case: image in 0..1 and label, both `[1, X, Y, Z]` in RAS. */
export interface EvaluationCase {
  name: string;
  image: Volume;
  label: Volume;
}

/** What one validation pass produced. */
export interface EvaluationResult {
  cases: CaseMetrics[];
  meanDice: number;
  /** Slices of the first case with foreground, for the overlay figure. */
  overlay?: Omit<OverlayData, 'epoch'>;
}

/** Predicts each case with a sliding window and scores it against its label. */
export async function evaluate(
  model: SegmentationModel,
  cases: EvaluationCase[],
  config: SpleenConfig,
  onProgress?: ProgressCallback,
): Promise<EvaluationResult> {
  const results: CaseMetrics[] = [];
  let overlay: EvaluationResult['overlay'];
  for (const c of cases) {
    const prediction = await segment(model, c.image, config, onProgress);
    const spacing = config.pixdim;
    const metrics = caseMetrics(c.name, prediction, c.label.data, c.image.shape.slice(1), spacing);
    results.push(metrics);
    if (!overlay && hasForeground(c.label.data)) {
      const [X, Y, Z] = c.image.shape.slice(1);
      overlay = {
        caseName: c.name,
        dice: metrics.dice,
        slices: extractOverlaySlices(c.image.data, c.label.data, prediction, [X, Y, Z], spacing),
      };
    }
  }
  const meanDice = results.reduce((s, r) => s + r.dice, 0) / Math.max(1, results.length);
  return { cases: results, meanDice, overlay };
}

/**
 * The class map (0 background, 1 spleen) of a preprocessed image `[1, X, Y, Z]`: sliding-window
 * logits, then argmax over the two channels.
 */
export async function segment(
  model: SegmentationModel,
  image: Volume,
  config: SpleenConfig,
  onProgress?: ProgressCallback,
): Promise<Uint8Array> {
  const [, X, Y, Z] = image.shape;
  const input: Batch = { data: Float32Array.from(image.data), shape: [1, 1, X, Y, Z] };
  const logits = await slidingWindowInference(
    input,
    {
      roiSize: config.roiSize,
      swBatchSize: config.swBatchSize,
      overlap: config.overlap,
      mode: 'constant',
      onProgress,
    },
    (windows) => model.predict(windows),
  );
  const n = X * Y * Z;
  const out = new Uint8Array(n);
  const classes = logits.shape[1];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) {
      if (logits.data[k * n + i] > logits.data[best * n + i]) best = k;
    }
    out[i] = best;
  }
  return out;
}

function hasForeground(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] > 0) return true;
  return false;
}
