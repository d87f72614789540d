import { describe, expect, it } from 'vitest';
import { Rng } from '@voxelkit/core';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(0);
    const b = new Rng(0);
    const c = new Rng(1);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });

  it('derives order-independent child streams', () => {
    const x = Rng.derive(0, 3, 'case-a').uniform();
    Rng.derive(0, 3, 'case-b').uniform();
    expect(Rng.derive(0, 3, 'case-a').uniform()).toBe(x);
  });

  it('draws uniform values with the right mean and range', () => {
    const r = new Rng(42);
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
    }
    // mean of U(0,1) is 0.5 with sd 1/sqrt(12 n) ~ 0.002
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });

  it('draws integers in range covering all values', () => {
    const r = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(r.int(3));
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });
});
