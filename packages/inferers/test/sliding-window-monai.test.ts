import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { slidingWindowInference } from '@voxelkit/inferers';
import type { ArrayWithShape, SlidingWindowOptions } from '@voxelkit/inferers';

import { maxAbsDiff } from './golden.js';

// Expected outputs computed by MONAI 1.4 itself (fixtures/make_sliding_window_reference.py).
interface ReferenceCase {
  name: string;
  input_shape: number[];
  input: number[];
  kwargs: Record<string, unknown>;
  output_shape: number[];
  output: number[];
}

const reference = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures/sliding_window_reference.json'), 'utf8'),
) as { cases: ReferenceCase[] };

/** The generator's predictor: ramp y = x + (i/r0 + 2j/r1 + 3k/r2), then channels [y, 2y − 1]. */
function rampTwoChannels(windows: ArrayWithShape): ArrayWithShape {
  const [n, c, r0, r1, r2] = windows.shape as [number, number, number, number, number];
  const block = r0 * r1 * r2;
  const out = new Float32Array(n * 2 * c * block);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let t = 0;
      for (let i = 0; i < r0; i++) {
        for (let j = 0; j < r1; j++) {
          for (let k = 0; k < r2; k++, t++) {
            const y =
              windows.data[(b * c + ch) * block + t]! + (i / r0 + (2 * j) / r1 + (3 * k) / r2);
            out[(b * 2 * c + ch) * block + t] = y;
            out[(b * 2 * c + c + ch) * block + t] = 2 * Math.fround(y) - 1;
          }
        }
      }
    }
  }
  return { data: out, shape: [n, 2 * c, r0, r1, r2] };
}

function optionsOf(kwargs: Record<string, unknown>): SlidingWindowOptions {
  const names: Record<string, keyof SlidingWindowOptions> = {
    roi_size: 'roiSize',
    sw_batch_size: 'swBatchSize',
    overlap: 'overlap',
    mode: 'mode',
    sigma_scale: 'sigmaScale',
    padding_mode: 'paddingMode',
    cval: 'cval',
  };
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    expect(names[key], `unmapped MONAI argument ${key}`).toBeDefined();
    options[names[key]!] = value;
  }
  return options as unknown as SlidingWindowOptions;
}

describe('sliding-window options equal MONAI (abs 1e-5)', () => {
  for (const c of reference.cases) {
    it(`${c.name} ${JSON.stringify(c.kwargs)}`, async () => {
      const out = await slidingWindowInference(
        { data: Float32Array.from(c.input), shape: c.input_shape },
        optionsOf(c.kwargs),
        rampTwoChannels,
      );
      expect(out.shape).toEqual(c.output_shape);
      expect(maxAbsDiff(out.data, c.output)).toBeLessThan(1e-5);
    });
  }
});
