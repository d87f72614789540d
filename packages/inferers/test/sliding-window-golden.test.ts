import { describe, expect, it } from 'vitest';

import {
  computeImportanceMap,
  denseWindowStarts,
  getScanInterval,
  slidingWindowInference,
} from '@voxelkit/inferers';

import { convPredictor, golden, maxAbsDiff, rampPredictor, readF32 } from './golden.js';

const roi = golden.roi_size;

describe('importance map equals MONAI compute_importance_map (16³, sigma 0.125)', () => {
  it('constant mode is all ones', () => {
    const expected = readF32('importance_constant.f32');
    expect(Array.from(computeImportanceMap(roi, 'constant'))).toEqual(Array.from(expected));
  });

  it('gaussian mode matches to a few float32 ulp, with the exact 1e-3 clamp', () => {
    // torch's vectorised float32 exp is 1 ulp below the correctly rounded value for 3 of the 8
    // distinct 1-D weights; the 3-factor products then differ by at most ~2 ulp (rel < 4e-7).
    const expected = readF32('importance_gaussian.f32');
    const actual = computeImportanceMap(roi, 'gaussian', golden.sigma_scale);
    let maxRel = 0;
    for (let i = 0; i < actual.length; i++) {
      maxRel = Math.max(maxRel, Math.abs(actual[i]! - expected[i]!) / expected[i]!);
    }
    expect(maxRel).toBeLessThan(4e-7);
    expect(Math.min(...expected)).toBe(Math.fround(1e-3));
    expect(Math.min(...actual)).toBe(Math.fround(1e-3));
  });
});

describe('window layout equals MONAI for every golden volume and overlap', () => {
  for (const [name, volume] of Object.entries(golden.volumes)) {
    for (const [overlap, layout] of Object.entries(volume.layouts)) {
      it(`${name} overlap=${overlap}`, () => {
        const ov = Number(overlap);
        const interval = getScanInterval(layout.padded_image_size, roi, [ov, ov, ov]);
        expect(interval).toEqual(layout.scan_interval);
        const starts = denseWindowStarts(layout.padded_image_size, roi, interval);
        expect(starts).toEqual(layout.window_starts);
        expect(starts.length).toBe(layout.num_windows);
      });
    }
  }
});

describe('sliding-window outputs equal MONAI (abs 1e-5)', () => {
  for (const [name, volume] of Object.entries(golden.volumes)) {
    const input = readF32(volume.input.file);
    for (const run of volume.runs) {
      it(`${name} predictor=${run.predictor} overlap=${run.overlap} mode=${run.mode}`, async () => {
        const predictor = run.predictor === 'conv' ? convPredictor : rampPredictor;
        const calls: number[] = [];
        const result = await slidingWindowInference(
          { data: input, shape: volume.input.shape },
          {
            roiSize: roi,
            swBatchSize: golden.sw_batch_size,
            overlap: run.overlap,
            mode: run.mode,
            sigmaScale: golden.sigma_scale,
          },
          (windows) => {
            calls.push(windows.shape[0]!);
            return predictor(windows);
          },
        );
        expect(result.shape).toEqual(run.output.shape);
        expect(maxAbsDiff(result.data, readF32(run.output.file))).toBeLessThan(1e-5);
        // Windows are streamed in groups of at most swBatchSize.
        const windows = volume.layouts[String(run.overlap)]!.num_windows;
        expect(calls.reduce((a, b) => a + b, 0)).toBe(windows);
        expect(Math.max(...calls)).toBeLessThanOrEqual(golden.sw_batch_size);
      });
    }
  }
});
