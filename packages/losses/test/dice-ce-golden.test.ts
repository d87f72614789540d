import { beforeAll, describe, expect, it } from 'vitest';

import { DiceCELoss } from '@voxelkit/losses';
import type { DiceCELossOptions } from '@voxelkit/losses';

import {
  channelsFirstValues,
  channelsLast,
  flatten,
  golden,
  maxAbsDiff,
  tf,
  useCpu,
} from './helpers.js';

beforeAll(useCpu);

/** MONAI kwargs of a golden variant → our options. */
function optionsOf(kwargs: Record<string, unknown>): DiceCELossOptions {
  const options: DiceCELossOptions = { toOnehotY: true, softmax: true };
  if ('include_background' in kwargs)
    options.includeBackground = kwargs['include_background'] as boolean;
  if ('batch' in kwargs) options.batch = kwargs['batch'] as boolean;
  const known = ['include_background', 'batch'];
  expect(Object.keys(kwargs).filter((k) => !known.includes(k))).toEqual([]);
  return options;
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('DiceCELoss equals MONAI DiceCELoss(to_onehot_y, softmax) (dicece_loss.json)', () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    for (const [variant, expected] of Object.entries(c.variants)) {
      it(`${name} ${variant}: value (rel 1e-5), components, gradient (abs 1e-6)`, () => {
        const logits = channelsLast(c.logits);
        const labels = channelsLast(c.label);
        const loss = new DiceCELoss(optionsOf(expected.kwargs));
        const value = loss.compute(logits, labels);
        expect(rel(value.dataSync()[0]!, expected.value)).toBeLessThan(1e-5);
        expect(rel(loss.dice!.dataSync()[0]!, expected.dice_component)).toBeLessThan(1e-5);
        expect(rel(loss.ce!.dataSync()[0]!, expected.ce_component)).toBeLessThan(1e-5);

        const grad = tf.grad((x: tf.Tensor) => loss.compute(x, labels))(logits);
        expect(grad.shape).toEqual(logits.shape);
        expect(maxAbsDiff(channelsFirstValues(grad), flatten(expected.grad))).toBeLessThan(1e-6);
        tf.dispose([logits, labels, value, grad, loss.dice!, loss.ce!]);
      });
    }
  }

  it('does not leak tensors across repeated calls (components are replaced)', () => {
    const c = golden.cases['b2_c2_4x5x6']!;
    const logits = channelsLast(c.logits);
    const labels = channelsLast(c.label);
    const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
    tf.dispose(loss.compute(logits, labels));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(loss.compute(logits, labels));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, labels, loss.dice!, loss.ce!]);
  });
});
