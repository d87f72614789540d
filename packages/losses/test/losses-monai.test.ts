import { readFileSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { DiceCELoss, DiceLoss } from '@voxelkit/losses';
import type { DiceCELossOptions, DiceLossOptions } from '@voxelkit/losses';

import { channelsFirstValues, channelsLast, flatten, maxAbsDiff, tf, useCpu } from './helpers.js';

// Expected values computed by MONAI 1.4 itself (fixtures/make_loss_reference.py).
type Nested = number | Nested[];
interface ReferenceCase {
  name: string;
  loss: 'DiceLoss' | 'DiceCELoss';
  kwargs: Record<string, unknown>;
  logits: Nested;
  target: Nested;
  value_shape: number[];
  value: number[];
  grad: Nested;
}

const reference = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures/loss_reference.json'), 'utf8'),
) as { cases: ReferenceCase[] };

/** MONAI keyword arguments → our camelCase options. */
function optionsOf(kwargs: Record<string, unknown>): DiceLossOptions & DiceCELossOptions {
  const names: Record<string, string> = {
    to_onehot_y: 'toOnehotY',
    softmax: 'softmax',
    sigmoid: 'sigmoid',
    squared_pred: 'squaredPred',
    jaccard: 'jaccard',
    include_background: 'includeBackground',
    weight: 'weight',
    reduction: 'reduction',
    batch: 'batch',
    lambda_dice: 'lambdaDice',
    lambda_ce: 'lambdaCe',
  };
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    expect(names[key], `unmapped MONAI option ${key}`).toBeDefined();
    options[names[key]!] = value;
  }
  return options;
}

beforeAll(useCpu);

describe('loss options equal MONAI DiceLoss / DiceCELoss (value rel 1e-5, gradient abs 1e-6)', () => {
  for (const c of reference.cases) {
    it(`${c.loss} ${c.name}`, () => {
      const logits = channelsLast(c.logits);
      const target = channelsLast(c.target);
      const options = optionsOf(c.kwargs);
      const loss = c.loss === 'DiceLoss' ? new DiceLoss(options) : new DiceCELoss(options);
      const value = loss.compute(logits, target);
      // MONAI's 'none' output is [B, C', 1, 1, 1]; ours is channels-last [B, 1, 1, 1, C'].
      const expectedShape =
        c.value_shape.length === 5 ? [c.value_shape[0], 1, 1, 1, c.value_shape[1]] : c.value_shape;
      expect(value.shape).toEqual(expectedShape);
      const got = Array.from(value.dataSync());
      got.forEach((v, i) => {
        expect(Math.abs(v - c.value[i]!) / Math.abs(c.value[i]!)).toBeLessThan(1e-5);
      });
      const grad = tf.grad((x: tf.Tensor) => tf.sum(loss.compute(x, target)))(logits);
      expect(maxAbsDiff(channelsFirstValues(grad), flatten(c.grad))).toBeLessThan(1e-6);
    });
  }
});
