/**
 * NaN-aware reduction of a `[B, C]` table of per-item, per-class scores, as MONAI 1.4's
 * `do_metric_reduction`. NaN marks "not defined" (e.g. Dice with an empty ground truth) and is
 * left out of every mean; a mean over no defined entries is 0, with a not-NaN count of 0.
 */
import { ArgumentError } from '@voxelkit/core';

/** How per-item, per-class scores are combined (MONAI's `MetricReduction`). */
export type MetricReduction =
  'none' | 'mean' | 'sum' | 'mean_batch' | 'sum_batch' | 'mean_channel' | 'sum_channel';

/** A reduced metric and how many defined (not-NaN) scores went into each entry. */
export interface MetricAggregate {
  /** One value for `mean`/`sum`; per class for `*_batch`; per item for `*_channel`; `[B·C]` for `none`. */
  value: Float32Array;
  /** Shape of `value`: `[]` (scalar), `[C]`, `[B]` or `[B, C]`. */
  shape: number[];
  /** Count of not-NaN scores behind each value, same shape as `value` (for `mean`: items with any). */
  notNans: Float32Array;
}

const REDUCTIONS: readonly MetricReduction[] = [
  'none',
  'mean',
  'sum',
  'mean_batch',
  'sum_batch',
  'mean_channel',
  'sum_channel',
];

/**
 * Reduces scores `[B, C]` (row-major) ignoring NaNs, in float32 like MONAI.
 *
 * - `mean`: first the mean over the defined classes of each item, then the mean over the items
 *   that have at least one defined class; `notNans` = number of such items.
 * - `mean_batch` / `mean_channel`: mean over items (per class) / over classes (per item).
 * - `sum*`: sums with NaNs as 0; `notNans` counts the defined entries.
 * - `none`: the scores unchanged; `notNans` is 1 where defined, else 0.
 *
 * @param scores - per-item, per-class scores, NaN where undefined
 * @param batch - B
 * @param classes - C
 * @param reduction - see {@link MetricReduction}
 * @example
 * ```ts
 * reduceMetric(new Float32Array([0.5, NaN]), 2, 1, 'mean'); // value [0.5], notNans [1]
 * ```
 */
export function reduceMetric(
  scores: Float32Array,
  batch: number,
  classes: number,
  reduction: MetricReduction,
): MetricAggregate {
  if (!REDUCTIONS.includes(reduction)) {
    throw new ArgumentError('reduceMetric: unknown reduction', {
      field: 'reduction',
      expected: REDUCTIONS.join(' | '),
      actual: reduction,
    });
  }
  const at = (b: number, c: number): number => scores[b * classes + c]!;
  if (reduction === 'none') {
    return {
      value: scores.slice(),
      shape: [batch, classes],
      notNans: scores.map((v) => (Number.isNaN(v) ? 0 : 1)),
    };
  }
  if (reduction === 'mean') {
    let sum = 0;
    let items = 0;
    for (let b = 0; b < batch; b++) {
      const { total, count } = sumDefined(classes, (c) => at(b, c));
      if (count > 0) {
        sum = Math.fround(sum + Math.fround(total / count));
        items++;
      }
    }
    return scalar(items > 0 ? Math.fround(sum / items) : 0, items);
  }
  if (reduction === 'sum') {
    const { total, count } = sumDefined(batch * classes, (i) => scores[i]!);
    return scalar(total, count);
  }
  const perClass = reduction === 'mean_batch' || reduction === 'sum_batch';
  const length = perClass ? classes : batch;
  const value = new Float32Array(length);
  const notNans = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const { total, count } = perClass
      ? sumDefined(batch, (b) => at(b, i))
      : sumDefined(classes, (c) => at(i, c));
    notNans[i] = count;
    value[i] = reduction.startsWith('mean') ? (count > 0 ? total / count : 0) : total;
  }
  return { value, shape: [length], notNans };
}

function sumDefined(length: number, get: (i: number) => number): { total: number; count: number } {
  let total = 0;
  let count = 0;
  for (let i = 0; i < length; i++) {
    const v = get(i);
    if (!Number.isNaN(v)) {
      total = Math.fround(total + v);
      count++;
    }
  }
  return { total, count };
}

function scalar(value: number, notNans: number): MetricAggregate {
  return { value: Float32Array.of(value), shape: [], notNans: Float32Array.of(notNans) };
}
