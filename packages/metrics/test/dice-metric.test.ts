import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ArgumentError, ShapeError } from '@voxelkit/core';
import { DiceMetric, reduceMetric } from '@voxelkit/metrics';

type Num = number | 'NaN';
interface GoldenResult {
  include_background: boolean;
  ignore_empty: boolean;
  buffer: Num[][];
  aggregate_mean: Num;
  not_nans: number;
  aggregate_mean_batch: Num[];
}
interface GoldenCase {
  pred: number[][][][];
  label: number[][][][];
  num_classes: number;
  results: GoldenResult[];
}

const golden = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../../shared/golden/dice_metric.json'), 'utf8'),
) as { cases: Record<string, GoldenCase> };

const num = (v: Num): number => (v === 'NaN' ? NaN : v);

/** Class indices [B][X][Y][Z] → flat [B, 1, X, Y, Z]. */
function indices(volume: number[][][][]): { data: Float32Array; shape: number[] } {
  const flat = volume.flat(3);
  const [X, Y, Z] = [volume[0]!.length, volume[0]![0]!.length, volume[0]![0]![0]!.length];
  return { data: Float32Array.from(flat), shape: [volume.length, 1, X, Y, Z] };
}

/** Class indices → channel-first one-hot [B, C, X, Y, Z] (independent of the code under test). */
function oneHot(volume: number[][][][], classes: number): { data: Uint8Array; shape: number[] } {
  const { data, shape } = indices(volume);
  const [B, , X, Y, Z] = shape as number[];
  const voxels = X! * Y! * Z!;
  const out = new Uint8Array(B! * classes * voxels);
  for (let b = 0; b < B!; b++) {
    for (let i = 0; i < voxels; i++) out[(b * classes + data[b * voxels + i]!) * voxels + i] = 1;
  }
  return { data: out, shape: [B!, classes, X!, Y!, Z!] };
}

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) expect(actual[i]).toBeNaN();
    else expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-6);
  }
}

describe('DiceMetric equals MONAI DiceMetric (dice_metric.json, abs 1e-6, NaN in place)', () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    for (const r of c.results) {
      const label = `${name} includeBackground=${r.include_background} ignoreEmpty=${r.ignore_empty}`;
      it(`${label} (one-hot input)`, () => {
        const metric = new DiceMetric({
          includeBackground: r.include_background,
          ignoreEmpty: r.ignore_empty,
        });
        metric.accumulate(oneHot(c.pred, c.num_classes), oneHot(c.label, c.num_classes));
        expectClose(metric.buffer(), r.buffer.flat().map(num));
        const mean = metric.aggregate();
        expect(mean.shape).toEqual([]);
        expectClose(mean.value, [num(r.aggregate_mean)]);
        expect(mean.notNans[0]).toBe(r.not_nans);
        expectClose(metric.aggregate('mean_batch').value, r.aggregate_mean_batch.map(num));
      });
      it(`${label} (class-index input, item by item)`, () => {
        const metric = new DiceMetric({
          includeBackground: r.include_background,
          ignoreEmpty: r.ignore_empty,
          reduction: 'mean_batch',
        });
        // Accumulating item by item must equal one batched call.
        for (let b = 0; b < c.pred.length; b++) {
          metric.accumulateClassIndices(
            indices([c.pred[b]!]),
            indices([c.label[b]!]),
            c.num_classes,
          );
        }
        expectClose(metric.buffer(), r.buffer.flat().map(num));
        expectClose(metric.aggregate().value, r.aggregate_mean_batch.map(num));
        expectClose(metric.aggregate('mean').value, [num(r.aggregate_mean)]);
      });
    }
  }
});

describe('DiceMetric behaviour', () => {
  it('reset() forgets accumulated scores', () => {
    const metric = new DiceMetric();
    const c = golden.cases['partial_overlap']!;
    metric.accumulateClassIndices(indices(c.pred), indices(c.label), 2);
    expect(metric.buffer().length).toBe(2);
    metric.reset();
    expect(metric.buffer().length).toBe(0);
    expect(Array.from(metric.aggregate().value)).toEqual([0]);
    expect(Array.from(metric.aggregate().notNans)).toEqual([0]);
  });

  it('a single-channel mask is scored as foreground even without background', () => {
    const metric = new DiceMetric({ includeBackground: false });
    // pred 2 voxels, truth 2 voxels, 1 shared → 2·1 / 4
    const scores = metric.accumulate(
      { data: [1, 1, 0, 0], shape: [1, 1, 2, 2, 1] },
      { data: [0, 1, 1, 0], shape: [1, 1, 2, 2, 1] },
    );
    expect(Array.from(scores)).toEqual([0.5]);
  });

  it('rejects mismatched shapes, wrong data lengths and a bad class count', () => {
    const metric = new DiceMetric();
    expect(() =>
      metric.accumulate(
        { data: [1, 0], shape: [1, 2, 1, 1, 1] },
        { data: [1], shape: [1, 1, 1, 1, 1] },
      ),
    ).toThrow(ShapeError);
    expect(() =>
      metric.accumulate(
        { data: [1], shape: [1, 2, 1, 1, 1] },
        { data: [1], shape: [1, 2, 1, 1, 1] },
      ),
    ).toThrow(ShapeError);
    expect(() =>
      metric.accumulateClassIndices(
        { data: [1], shape: [1, 1, 1, 1, 1] },
        { data: [1], shape: [1, 1, 1, 1, 1] },
        1,
      ),
    ).toThrow(ArgumentError);
    expect(() => metric.aggregate('median' as never)).toThrow(ArgumentError);
  });

  it('changing the number of scored classes between batches is an error', () => {
    const metric = new DiceMetric();
    metric.accumulateClassIndices(
      { data: [1], shape: [1, 1, 1, 1, 1] },
      { data: [1], shape: [1, 1, 1, 1, 1] },
      2,
    );
    expect(() =>
      metric.accumulateClassIndices(
        { data: [1], shape: [1, 1, 1, 1, 1] },
        { data: [1], shape: [1, 1, 1, 1, 1] },
        3,
      ),
    ).toThrow(ShapeError);
  });
});

describe('reduceMetric (hand-computed)', () => {
  const scores = Float32Array.from([0.5, NaN, 1, 0.25, NaN, NaN]); // B=3, C=2
  it('mean: per-item class mean, then mean over items with any defined class', () => {
    const r = reduceMetric(scores, 3, 2, 'mean');
    expect(r.value[0]).toBeCloseTo((0.5 + 0.625) / 2, 7);
    expect(r.notNans[0]).toBe(2);
  });
  it('sum, mean_batch, sum_batch, mean_channel, sum_channel, none', () => {
    expect(Array.from(reduceMetric(scores, 3, 2, 'sum').value)).toEqual([1.75]);
    expect(Array.from(reduceMetric(scores, 3, 2, 'sum').notNans)).toEqual([3]);
    expect(Array.from(reduceMetric(scores, 3, 2, 'mean_batch').value)).toEqual([0.75, 0.25]);
    expect(Array.from(reduceMetric(scores, 3, 2, 'sum_batch').value)).toEqual([1.5, 0.25]);
    expect(Array.from(reduceMetric(scores, 3, 2, 'mean_channel').value)).toEqual([0.5, 0.625, 0]);
    expect(Array.from(reduceMetric(scores, 3, 2, 'mean_channel').notNans)).toEqual([1, 2, 0]);
    expect(Array.from(reduceMetric(scores, 3, 2, 'sum_channel').value)).toEqual([0.5, 1.25, 0]);
    const none = reduceMetric(scores, 3, 2, 'none');
    expect(none.shape).toEqual([3, 2]);
    expect(Array.from(none.notNans)).toEqual([1, 0, 1, 1, 0, 0]);
  });
});
