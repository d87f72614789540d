/**
 * Dice score of binarised segmentations, accumulated over batches and reduced like MONAI 1.4's
 * `DiceMetric` (same empty-ground-truth rules, same NaN handling).
 */
import { ArgumentError, ShapeError } from '@voxelkit/core';

import { reduceMetric } from './reduction.js';
import type { MetricAggregate, MetricReduction } from './reduction.js';

/** A dense array with its shape, row-major (last axis fastest). */
export interface Labelled {
  /** Values, row-major. */
  data: ArrayLike<number>;
  /** Shape, channel-first `[B, C, X, Y, Z]`. */
  shape: readonly number[];
}

/** Options of {@link DiceMetric}; MONAI's `DiceMetric` arguments in camelCase. */
export interface DiceMetricOptions {
  /** Score channel 0 (background) too (default true, as MONAI). */
  includeBackground?: boolean;
  /** Default reduction of {@link DiceMetric.aggregate} (default `'mean'`). */
  reduction?: MetricReduction;
  /**
   * An item whose ground truth is empty for a class scores NaN (left out of means) when true
   * (default); when false it scores 1 if the prediction is empty too, else 0.
   */
  ignoreEmpty?: boolean;
}

/**
 * Accumulates per-item, per-class Dice scores `2|P∩G| / (|P| + |G|)` and reduces them.
 *
 * Inputs are channel-first one-hot `[B, C, X, Y, Z]` ({@link DiceMetric.accumulate}) or class
 * indices `[B, 1, X, Y, Z]` with a class count ({@link DiceMetric.accumulateClassIndices}).
 * Voxels count as foreground where the value is non-zero (one-hot) or equals the class (indices).
 * With a single channel, that channel is scored whatever `includeBackground` says (MONAI).
 *
 * Empty ground truth: NaN with `ignoreEmpty` (default), else 1 (prediction empty too) or 0.
 * Empty prediction with non-empty ground truth: 0. `aggregate()` skips NaNs; with no defined
 * score at all it returns 0 and `notNans` 0 (not NaN), exactly like MONAI.
 *
 * MONAI's `get_not_nans=True` corresponds to reading `notNans` of the aggregate; it is always there.
 *
 * @example
 * ```ts
 * const metric = new DiceMetric({ includeBackground: false });
 * metric.accumulateClassIndices(predLabels, trueLabels, 2); // shapes [B, 1, X, Y, Z]
 * const { value } = metric.aggregate(); // value[0]: mean foreground Dice
 * metric.reset();
 * ```
 */
export class DiceMetric {
  /** Whether channel 0 is scored. */
  readonly includeBackground: boolean;
  /** Default reduction of {@link DiceMetric.aggregate}. */
  readonly reduction: MetricReduction;
  /** Whether an empty ground truth scores NaN. */
  readonly ignoreEmpty: boolean;
  private readonly rows: Float32Array[] = [];
  private classes = -1;

  constructor(options: DiceMetricOptions = {}) {
    this.includeBackground = options.includeBackground ?? true;
    this.reduction = options.reduction ?? 'mean';
    this.ignoreEmpty = options.ignoreEmpty ?? true;
  }

  /**
   * Scores one batch of one-hot (or multi-label) masks and appends them to the buffer.
   *
   * @param pred - binarised prediction `[B, C, X, Y, Z]` (non-zero = foreground)
   * @param target - ground truth, same shape
   * @returns the new scores `[B, C']` row-major (C' = C, or C − 1 without background)
   */
  accumulate(pred: Labelled, target: Labelled): Float32Array {
    const [batch, channels, voxels] = checkPair(pred, target, 'accumulate');
    // Limitation: targets are binarised (≠ 0); MONAI sums the target's values (same for 0/1).
    const first = channels > 1 && !this.includeBackground ? 1 : 0;
    const scores = new Float32Array(batch * (channels - first));
    let s = 0;
    for (let b = 0; b < batch; b++) {
      for (let c = first; c < channels; c++) {
        const offset = (b * channels + c) * voxels;
        scores[s++] = this.score(
          voxels,
          (i) => pred.data[offset + i] !== 0,
          (i) => target.data[offset + i] !== 0,
        );
      }
    }
    return this.append(scores, channels - first);
  }

  /**
   * Scores one batch of class-index volumes (no one-hot copy is made).
   *
   * @param pred - predicted classes `[B, 1, X, Y, Z]` (integers in [0, numClasses))
   * @param target - true classes, same shape
   * @param numClasses - number of classes, including background (≥ 2)
   * @returns the new scores `[B, C']` row-major
   */
  accumulateClassIndices(pred: Labelled, target: Labelled, numClasses: number): Float32Array {
    const [batch, channels, voxels] = checkPair(pred, target, 'accumulateClassIndices');
    if (channels !== 1) {
      throw new ShapeError(
        'DiceMetric.accumulateClassIndices: expected one channel of class indices',
        {
          field: 'pred.shape',
          expected: '[B, 1, X, Y, Z]',
          actual: pred.shape,
        },
      );
    }
    if (!Number.isInteger(numClasses) || numClasses < 2) {
      throw new ArgumentError(
        'DiceMetric.accumulateClassIndices: numClasses must be an integer >= 2',
        {
          field: 'numClasses',
          expected: '>= 2',
          actual: numClasses,
        },
      );
    }
    const first = this.includeBackground ? 0 : 1;
    const scores = new Float32Array(batch * (numClasses - first));
    let s = 0;
    for (let b = 0; b < batch; b++) {
      const offset = b * voxels;
      for (let c = first; c < numClasses; c++) {
        scores[s++] = this.score(
          voxels,
          (i) => pred.data[offset + i] === c,
          (i) => target.data[offset + i] === c,
        );
      }
    }
    return this.append(scores, numClasses - first);
  }

  /**
   * Reduces all accumulated scores.
   *
   * @param reduction - overrides the constructor's reduction
   * @returns value and not-NaN counts (see {@link MetricAggregate}); all zeros before any accumulate
   */
  aggregate(reduction: MetricReduction = this.reduction): MetricAggregate {
    const classes = Math.max(this.classes, 0);
    const buffer = this.buffer();
    return reduceMetric(
      buffer,
      this.rows.length === 0 ? 0 : buffer.length / classes,
      classes,
      reduction,
    );
  }

  /** All accumulated scores, `[N, C']` row-major (N = items so far), NaN where undefined. */
  buffer(): Float32Array {
    const out = new Float32Array(this.rows.reduce((n, r) => n + r.length, 0));
    let offset = 0;
    for (const row of this.rows) {
      out.set(row, offset);
      offset += row.length;
    }
    return out;
  }

  /** Forgets all accumulated scores (start of a new validation pass). */
  reset(): void {
    this.rows.length = 0;
    this.classes = -1;
  }

  private score(
    voxels: number,
    isPred: (i: number) => boolean,
    isTrue: (i: number) => boolean,
  ): number {
    let both = 0;
    let predCount = 0;
    let trueCount = 0;
    for (let i = 0; i < voxels; i++) {
      const p = isPred(i);
      const t = isTrue(i);
      if (p) predCount++;
      if (t) {
        trueCount++;
        if (p) both++;
      }
    }
    if (trueCount > 0) return Math.fround((2 * both) / (trueCount + predCount));
    if (this.ignoreEmpty) return NaN;
    return predCount === 0 ? 1 : 0;
  }

  private append(scores: Float32Array, classes: number): Float32Array {
    if (this.classes !== -1 && this.classes !== classes) {
      throw new ShapeError('DiceMetric: number of scored classes changed between batches', {
        field: 'classes',
        expected: this.classes,
        actual: classes,
      });
    }
    this.classes = classes;
    this.rows.push(scores);
    return scores;
  }
}

function checkPair(pred: Labelled, target: Labelled, method: string): [number, number, number] {
  const shape = [...pred.shape];
  if (shape.length < 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`DiceMetric.${method}: expected a channel-first batch [B, C, X, Y, Z]`, {
      field: 'pred.shape',
      expected: '[B, C, ...spatial]',
      actual: pred.shape,
    });
  }
  if (shape.length !== target.shape.length || shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(`DiceMetric.${method}: prediction and ground truth shapes differ`, {
      field: 'target.shape',
      expected: pred.shape,
      actual: target.shape,
    });
  }
  const total = shape.reduce((a, b) => a * b, 1);
  for (const [name, array] of [
    ['pred', pred],
    ['target', target],
  ] as const) {
    if (array.data.length !== total) {
      throw new ShapeError(`DiceMetric.${method}: data length does not match the shape`, {
        field: `${name}.data.length`,
        expected: total,
        actual: array.data.length,
      });
    }
  }
  return [shape[0]!, shape[1]!, total / (shape[0]! * shape[1]!)];
}
