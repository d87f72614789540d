import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@voxelkit/core';
import { CosineAnnealingSchedule } from '@voxelkit/train';

describe('CosineAnnealingSchedule (PyTorch CosineAnnealingLR closed form)', () => {
  it('matches hand-computed values', () => {
    // base 1, etaMin 0, T 4: (1 + cos(πt/4))/2 → 1, (1 + √2/2)/2, 1/2, (1 − √2/2)/2, 0
    const s = new CosineAnnealingSchedule({ baseLr: 1, tMax: 4 });
    expect(s.lrAt(0)).toBe(1);
    expect(s.lrAt(1)).toBeCloseTo(0.8535533905932737, 15);
    expect(s.lrAt(2)).toBeCloseTo(0.5, 15);
    expect(s.lrAt(3)).toBeCloseTo(0.14644660940672627, 15);
    expect(s.lrAt(4)).toBeCloseTo(0, 15);
    // base 1e-2, etaMin 1e-4, T 10, t 3: 1e-4 + 0.0099·(1 + cos(0.3π))/2, cos(0.3π) = 0.5877852523
    const t = new CosineAnnealingSchedule({ baseLr: 1e-2, tMax: 10, etaMin: 1e-4 });
    expect(t.lrAt(3)).toBeCloseTo(0.007959536998847742, 15);
    expect(t.lrAt(10)).toBeCloseTo(1e-4, 15);
  });

  it('sets an optimiser learning rate', () => {
    const opt = { lr: 0 };
    const s = new CosineAnnealingSchedule({ baseLr: 2, tMax: 2 });
    expect(s.apply(opt, 1)).toBeCloseTo(1, 15);
    expect(opt.lr).toBeCloseTo(1, 15);
  });

  it('rejects a non-positive period and negative rates', () => {
    expect(() => new CosineAnnealingSchedule({ baseLr: 1, tMax: 0 })).toThrow(ArgumentError);
    expect(() => new CosineAnnealingSchedule({ baseLr: -1, tMax: 3 })).toThrow(/baseLr/);
    expect(() => new CosineAnnealingSchedule({ baseLr: 1, tMax: 3 }).lrAt(-1)).toThrow(/t must/);
  });
});
