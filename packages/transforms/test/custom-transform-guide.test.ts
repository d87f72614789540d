/**
 * Runs the worked example of docs/custom-transforms.md. The guide embeds
 * `custom-transform-example.ts` verbatim; the first test fails when the two drift apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, createMemoryLogger, createVolume, Rng } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import { scaleIntensityRange } from '@voxelkit/transforms';
import type { AppliedOperation } from '@voxelkit/transforms';
import { RandGammad, augmentAndRestore } from './custom-transform-example.js';

const GUIDE = path.resolve(__dirname, '../../../docs/custom-transforms.md');

/** The ```ts block that follows the marker comment in the guide. */
function guideBlock(): string {
  const text = readFileSync(GUIDE, 'utf8');
  const marker =
    '<!-- embedded verbatim from packages/transforms/test/custom-transform-example.ts -->';
  const at = text.indexOf(marker);
  expect(at).toBeGreaterThan(-1);
  const start = text.indexOf('```ts\n', at) + '```ts\n'.length;
  const end = text.indexOf('\n```', start);
  return text.slice(start, end + 1);
}

function ct(): Volume {
  // 1×4×3×2 "CT" ramp from -200 to 250 HU.
  const data = Float32Array.from({ length: 24 }, (_, i) => -200 + (450 * i) / 23);
  return createVolume(data, [1, 4, 3, 2]);
}

describe('docs/custom-transforms.md worked example', () => {
  it('the guide shows custom-transform-example.ts verbatim', () => {
    const source = readFileSync(path.join(__dirname, 'custom-transform-example.ts'), 'utf8');
    expect(guideBlock()).toBe(source);
  });

  it('augments with a seeded gamma and flip, and Invertd restores the scaled image', async () => {
    const image = ct();
    const { augmented, restored } = await augmentAndRestore(image, 7);
    const aug = augmented.image as Volume;
    const ops = (aug.meta.applied as AppliedOperation[]).map((o) => o.transform);
    expect(ops).toEqual(['RandGammad', 'RandFlipd']);
    const scaled = scaleIntensityRange(image.data, {
      aMin: -57,
      aMax: 164,
      bMin: 0,
      bMax: 1,
      clip: true,
    });
    const back = (restored.image as Volume).data;
    expect(back.length).toBe(scaled.length);
    for (let i = 0; i < back.length; i++) expect(back[i]).toBeCloseTo(scaled[i], 5);
    // The augmentation really changed something (gamma ≠ 1 and the flip).
    expect(Array.from(aug.data)).not.toEqual(Array.from(scaled));
  });

  it('is deterministic per seed and differs between seeds', async () => {
    const a = (await augmentAndRestore(ct(), 1)).augmented.image as Volume;
    const b = (await augmentAndRestore(ct(), 1)).augmented.image as Volume;
    const c = (await augmentAndRestore(ct(), 2)).augmented.image as Volume;
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('gamma 2 on [0, 0.5, 1] gives [0, 0.25, 1]; prob 0 leaves the record alone', () => {
    const t = new RandGammad({ keys: ['image'], gammaRange: [2, 2], prob: 1 });
    const ctx = { rng: new Rng(0), logger: createMemoryLogger() };
    const out = t.apply({ image: createVolume(new Float32Array([0, 0.5, 1]), [1, 3, 1, 1]) }, ctx);
    expect(Array.from((out.image as Volume).data)).toEqual([0, 0.25, 1]);
    const none = new RandGammad({ keys: ['image'], gammaRange: [2, 2], prob: 0 });
    const image = createVolume(new Float32Array([0, 0.5, 1]), [1, 3, 1, 1]);
    expect(none.apply({ image }, ctx).image).toBe(image);
  });

  it('validates its options and names missing keys', () => {
    expect(() => new RandGammad({ keys: ['image'], gammaRange: [0, 1] })).toThrow(ArgumentError);
    const t = new RandGammad({ keys: ['image'], gammaRange: [1, 2], prob: 1 });
    expect(() => t.apply({}, { rng: new Rng(0), logger: createMemoryLogger() })).toThrow(
      /RandGammad.*image/,
    );
  });
});
