import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError, ShapeError } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  AsDiscreted,
  EnsureTyped,
  argmax,
  asDiscrete,
  castTo,
  toOnehot,
} from '@voxelkit/transforms';
import { context, vol } from './transform-fixtures.js';

describe('argmax / toOnehot / asDiscrete', () => {
  it('argmax over channels of [3, 2] data', () => {
    const r = argmax(new Float32Array([0.2, 0.9, 0.8, 0.1, 0.5, 0.5]), [3, 2]);
    expect(Array.from(r.data)).toEqual([1, 0]);
    expect(r.shape).toEqual([1, 2]);
  });

  it('ties go to the lowest channel index, as torch.argmax', () => {
    expect(Array.from(argmax(new Float32Array([1, 5, 1, 5, 1, 5]), [3, 2]).data)).toEqual([0, 0]);
  });

  it('toOnehot of class indices [0, 2, 1] with 3 classes', () => {
    const r = toOnehot(new Uint8Array([0, 2, 1]), [1, 3], 3);
    expect(Array.from(r.data)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(r.shape).toEqual([3, 3]);
  });

  it('toOnehot rejects values that are not class indices and multi-channel input', () => {
    expect(() => toOnehot(new Float32Array([0, 2]), [1, 2], 2)).toThrow(DataError);
    expect(() => toOnehot(new Float32Array([0.5]), [1, 1], 2)).toThrow(DataError);
    expect(() => toOnehot(new Float32Array([0, 1]), [2, 1], 2)).toThrow(ShapeError);
  });

  it('argmax then one-hot (the tutorial post_pred), then threshold', () => {
    const logits = { data: new Float32Array([3, 0, 1, 5]), shape: [2, 2] };
    const r = asDiscrete(logits, { argmax: true, toOnehot: 2 });
    expect(Array.from(r.data)).toEqual([1, 0, 0, 1]);
    expect(r.shape).toEqual([2, 2]);
    const t = asDiscrete(
      { data: new Float32Array([0.2, 0.5, 0.7]), shape: [1, 3] },
      { threshold: 0.5 },
    );
    expect(Array.from(t.data)).toEqual([0, 1, 1]);
  });

  it('does not modify its input', () => {
    const data = new Float32Array([0.2, 0.7]);
    asDiscrete({ data, shape: [1, 2] }, { threshold: 0.5 });
    expect(Array.from(data)).toEqual([Math.fround(0.2), Math.fround(0.7)]);
  });

  it('AsDiscreted takes one option per key (pred: argmax + one-hot, label: one-hot)', () => {
    const { ctx } = context();
    const pred = vol(new Float32Array([3, 0, 1, 5]), [2, 2, 1, 1]);
    const label = vol(new Uint8Array([0, 1]), [1, 2, 1, 1]);
    const out = new AsDiscreted({
      keys: ['pred', 'label'],
      argmax: [true, false],
      toOnehot: 2,
    }).apply({ pred, label }, ctx);
    expect(Array.from((out.pred as Volume).data)).toEqual([1, 0, 0, 1]);
    expect(Array.from((out.label as Volume).data)).toEqual([1, 0, 0, 1]);
    expect((out.label as Volume).shape).toEqual([2, 2, 1, 1]);
    expect(() => new AsDiscreted({ keys: ['pred', 'label'], argmax: [true] })).toThrow(
      ArgumentError,
    );
  });
});

describe('EnsureTyped', () => {
  it('float32 image stays the same object; int16 image becomes float32; float label becomes uint8', () => {
    const { ctx } = context();
    const image = vol(new Float32Array([1.5]), [1, 1, 1, 1]);
    const ct = vol(new Int16Array([-1000, 40]), [1, 2, 1, 1]);
    const label = vol(new Float32Array([0, 1]), [1, 2, 1, 1]);
    const out = new EnsureTyped({ keys: ['image', 'ct'], dtype: 'float32' }).apply(
      { image, ct, label },
      ctx,
    );
    expect(out.image).toBe(image);
    expect((out.ct as Volume).dtype).toBe('float32');
    expect(Array.from((out.ct as Volume).data)).toEqual([-1000, 40]);
    const lab = new EnsureTyped({ keys: ['label'], dtype: 'uint8' }).apply(out, ctx)
      .label as Volume;
    expect(lab.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(lab.data)).toEqual([0, 1]);
  });

  it('castTo truncates toward zero and maps NaN to 0 for integer types', () => {
    expect(Array.from(castTo(new Float32Array([1.9, -1.9, NaN]), 'int16'))).toEqual([1, -1, 0]);
  });

  it('rejects unknown dtypes and reports missing keys', () => {
    expect(() => new EnsureTyped({ keys: ['image'], dtype: 'float16' as never })).toThrow(/dtype/);
    expect(() => new EnsureTyped({ keys: ['image'] }).apply({}, context().ctx)).toThrow(
      /EnsureTyped.*"image"/,
    );
  });
});
