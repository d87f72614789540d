import { describe, expect, it } from 'vitest';
import { Rng, silentLogger } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import { RandFlipd, RandRotate90d } from '@voxelkit/transforms';
import type { AppliedOperation } from '@voxelkit/transforms';
import { augmentJson, band, vol } from './transform-fixtures.js';

const golden = augmentJson().distributions;

describe('random decisions follow the tutorial probabilities (4000 draws; MONAI fractions ± 4σ)', () => {
  for (const axis of [0, 1, 2]) {
    it(`RandFlipd(prob=0.1, spatialAxis=[${axis}])`, () => {
      const g = golden[`RandFlipd(prob=0.1, spatial_axis=[${axis}])`];
      const t = new RandFlipd({ keys: ['image'], prob: 0.1, spatialAxis: [axis] });
      const ctx = { rng: new Rng(`flip${axis}`), logger: silentLogger };
      const image = vol(new Float32Array(8), [1, 2, 2, 2]);
      let flipped = 0;
      for (let i = 0; i < g.draws; i++)
        if ((t.apply({ image }, ctx).image as Volume) !== image) flipped++;
      const f = flipped / g.draws;
      expect(Math.abs(f - 0.1)).toBeLessThan(band(0.1, g.draws));
      expect(Math.abs(f - g.fraction_flipped)).toBeLessThan(1.5 * band(0.1, g.draws));
    });
  }

  it('RandRotate90d(prob=0.1, maxK=3): fraction rotated ≈ 0.1, k uniform in {1, 2, 3}', () => {
    const g = golden['RandRotate90d(prob=0.1, max_k=3)'];
    const t = new RandRotate90d({ keys: ['image'], prob: 0.1, maxK: 3 });
    const ctx = { rng: new Rng('rot'), logger: silentLogger };
    const image = vol(new Float32Array(8), [1, 2, 2, 2]);
    const counts = [0, 0, 0, 0];
    let rotated = 0;
    for (let i = 0; i < g.draws; i++) {
      const out = t.apply({ image }, ctx).image as Volume;
      if (out === image) continue;
      rotated++;
      counts[(out.meta.applied as AppliedOperation[])[0].params.k as number]++;
    }
    expect(Math.abs(rotated / g.draws - 0.1)).toBeLessThan(band(0.1, g.draws));
    expect(Math.abs(rotated / g.draws - g.fraction_rotated)).toBeLessThan(1.5 * band(0.1, g.draws));
    expect(counts[0]).toBe(0);
    for (const k of [1, 2, 3]) {
      expect(Math.abs(counts[k] / rotated - 1 / 3)).toBeLessThan(band(1 / 3, rotated));
      const monai = g.k_counts_when_rotated[String(k)] / (g.fraction_rotated * g.draws);
      expect(Math.abs(counts[k] / rotated - monai)).toBeLessThan(1.5 * band(1 / 3, rotated));
    }
  });
});
