import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { hausdorffDistance95, surfaceDice } from '@voxelkit/metrics';
import type { MaskVolume } from '@voxelkit/metrics';

// Expected values computed by MONAI 1.4 itself (fixtures/make_surface_reference.py).
interface ReferenceCase {
  name: string;
  shape: [number, number, number];
  spacing: [number, number, number];
  pred_indices: number[];
  target_indices: number[];
  monai: {
    hd95: number;
    hd100: number;
    hd50: number;
    hd95_directed: number;
    surface_dice: Record<string, number>;
  };
}

const reference = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures/surface_reference.json'), 'utf8'),
) as { cases: ReferenceCase[] };

function maskOf(shape: [number, number, number], indices: number[]): MaskVolume {
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (const i of indices) data[i] = 1;
  return { data, shape };
}

// MONAI reports float32 distances; ours are float64.
const close = (actual: number, expected: number): void =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));

describe('surface metrics equal MONAI compute_hausdorff_distance / compute_surface_dice', () => {
  for (const c of reference.cases) {
    const pred = maskOf(c.shape, c.pred_indices);
    const target = maskOf(c.shape, c.target_indices);
    it(`${c.name}: HD95, HD, HD50, directed HD95`, () => {
      close(hausdorffDistance95(pred, target, c.spacing), c.monai.hd95);
      close(hausdorffDistance95(pred, target, c.spacing, { percentile: 100 }), c.monai.hd100);
      close(hausdorffDistance95(pred, target, c.spacing, { percentile: 50 }), c.monai.hd50);
      close(
        hausdorffDistance95(pred, target, c.spacing, { directed: true }),
        c.monai.hd95_directed,
      );
    });
    it(`${c.name}: surface Dice at ${Object.keys(c.monai.surface_dice).join(', ')} mm`, () => {
      for (const [tolerance, expected] of Object.entries(c.monai.surface_dice)) {
        close(surfaceDice(pred, target, c.spacing, Number(tolerance)), expected);
      }
    });
  }
});
