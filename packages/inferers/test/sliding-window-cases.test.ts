import { describe, expect, it } from 'vitest';

import { ArgumentError, ShapeError } from '@voxelkit/core';
import type { ProgressEvent } from '@voxelkit/core';
import { padIndexMap, slidingWindowInference } from '@voxelkit/inferers';
import type { ArrayWithShape } from '@voxelkit/inferers';

import { convPredictor, maxAbsDiff } from './golden.js';

const identity = (w: ArrayWithShape): ArrayWithShape => ({
  data: w.data.slice(),
  shape: [...w.shape],
});

function ramp(shape: number[]): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 3 + (i % 7);
  return data;
}

describe('image smaller than the roi (cases.md #19)', () => {
  it('A: 1x1x48x48x32 with roi 96³ and identity returns the input exactly', async () => {
    const shape = [1, 1, 48, 48, 32];
    const data = ramp(shape);
    const out = await slidingWindowInference(
      { data, shape },
      { roiSize: [96, 96, 96], swBatchSize: 1 },
      identity,
    );
    expect(out.shape).toEqual(shape);
    expect(maxAbsDiff(out.data, data)).toBe(0);
  });

  it('C: roi (66,32,32) on 64³ pads one voxel on each side of axis 0 only', async () => {
    const shape = [1, 1, 64, 64, 64];
    const data = ramp(shape);
    const seen: ArrayWithShape[] = [];
    const out = await slidingWindowInference(
      { data, shape },
      { roiSize: [66, 32, 32], swBatchSize: 4, cval: -7 },
      (w) => {
        seen.push(w);
        return identity(w);
      },
    );
    expect(out.shape).toEqual(shape);
    expect(maxAbsDiff(out.data, data)).toBe(0);
    // Window 0 starts at the padded origin: x=0 and x=65 are padding (cval), x=1 is image x=0.
    const w = seen[0]!;
    expect(w.shape).toEqual([4, 1, 66, 32, 32]);
    const plane = 32 * 32;
    expect(Array.from(w.data.subarray(0, plane)).every((v) => v === -7)).toBe(true);
    expect(Array.from(w.data.subarray(65 * plane, 66 * plane)).every((v) => v === -7)).toBe(true);
    expect(w.data[plane]).toBe(data[0]);
    expect(w.data[plane + 1]).toBe(data[1]);
    expect(w.data[plane + 32]).toBe(data[64]);
  });

  it('reflect and replicate padding read mirrored / edge voxels', async () => {
    const shape = [1, 1, 3, 1, 1];
    const data = new Float32Array([10, 20, 30]);
    for (const [mode, expected] of [
      ['reflect', [20, 10, 20, 30, 20, 10]],
      ['replicate', [10, 10, 20, 30, 30, 30]],
      ['constant', [5, 10, 20, 30, 5, 5]],
    ] as const) {
      let window: number[] = [];
      const out = await slidingWindowInference(
        { data, shape },
        { roiSize: [6, 1, 1], paddingMode: mode, cval: 5 },
        (w) => {
          window = Array.from(w.data);
          return identity(w);
        },
      );
      expect(window).toEqual(expected);
      expect(Array.from(out.data)).toEqual([10, 20, 30]);
    }
  });

  it('padIndexMap folds reflect padding wider than the image', () => {
    expect(Array.from(padIndexMap(3, 2, 1, 'reflect'))).toEqual([2, 1, 0, 1, 2, 1]);
    expect(Array.from(padIndexMap(2, 3, 3, 'reflect'))).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
    expect(Array.from(padIndexMap(1, 1, 1, 'reflect'))).toEqual([0, 0, 0]);
    expect(Array.from(padIndexMap(2, 1, 2, 'constant'))).toEqual([-1, 0, 1, -1, -1]);
  });
});

describe('overlap edge cases (cases.md #20)', () => {
  it('A: roi (4,4,1) overlap 0.25 on 10x10x5 covers every voxel with 45 windows', async () => {
    const shape = [1, 1, 10, 10, 5];
    const data = ramp(shape);
    let windows = 0;
    const out = await slidingWindowInference(
      { data, shape },
      { roiSize: [4, 4, 1], overlap: 0.25, swBatchSize: 7 },
      (w) => {
        windows += w.shape[0]!;
        return identity(w);
      },
    );
    expect(windows).toBe(45);
    expect(maxAbsDiff(out.data, data)).toBe(0);
  });

  it('B: identity returns the input for overlap 0 / 0.5 and gaussian blending', async () => {
    const shape = [1, 1, 21, 18, 13];
    const data = ramp(shape);
    for (const overlap of [0, 0.5]) {
      for (const mode of ['constant', 'gaussian'] as const) {
        const out = await slidingWindowInference(
          { data, shape },
          { roiSize: [8, 8, 8], overlap, mode, swBatchSize: 3 },
          identity,
        );
        expect(maxAbsDiff(out.data, data)).toBeLessThan(1e-5);
        // Relative to |values| up to 9: within float32 rounding of the weighted mean.
        let rel = 0;
        for (let i = 0; i < data.length; i++) {
          rel = Math.max(rel, Math.abs(out.data[i]! - data[i]!) / Math.max(1, Math.abs(data[i]!)));
        }
        expect(rel).toBeLessThan(1e-6);
      }
    }
  });

  it('B: overlap 1.0 (and negative overlap) is rejected', async () => {
    const input = { data: new Float32Array(8), shape: [1, 1, 2, 2, 2] };
    for (const overlap of [1, -0.1, [0.25, 1, 0.25]]) {
      await expect(
        slidingWindowInference(input, { roiSize: [2, 2, 2], overlap }, identity),
      ).rejects.toBeInstanceOf(ArgumentError);
    }
  });

  it('C: a constant 2-channel prediction [0.2, 0.8] comes back exactly everywhere', async () => {
    const shape = [1, 1, 19, 11, 7];
    const voxels = 19 * 11 * 7;
    const constant = (w: ArrayWithShape): ArrayWithShape => {
      const [n, , x, y, z] = w.shape as number[];
      const block = x! * y! * z!;
      const data = new Float32Array(n! * 2 * block);
      for (let b = 0; b < n!; b++) {
        data.fill(0.2, 2 * b * block, (2 * b + 1) * block);
        data.fill(0.8, (2 * b + 1) * block, (2 * b + 2) * block);
      }
      return { data, shape: [n!, 2, x!, y!, z!] };
    };
    const out = await slidingWindowInference(
      { data: new Float32Array(voxels), shape },
      { roiSize: [8, 8, 8], overlap: 0.5, swBatchSize: 2 },
      constant,
    );
    expect(out.shape).toEqual([1, 2, 19, 11, 7]);
    for (let i = 0; i < voxels; i++) {
      expect(out.data[i]).toBe(Math.fround(0.2));
      expect(out.data[voxels + i]).toBe(Math.fround(0.8));
    }
  });
});

describe('batching, roi fall-back, progress and validation', () => {
  it('windows of a batch of two are processed per item (same result as one at a time)', async () => {
    const one = [1, 1, 20, 17, 9];
    const a = ramp(one);
    const b = a.map((v) => -2 * v + 1);
    const both = new Float32Array(a.length * 2);
    both.set(a);
    both.set(b, a.length);
    const options = {
      roiSize: [8, 8, 8],
      overlap: 0.25,
      mode: 'gaussian' as const,
      swBatchSize: 5,
    };
    const outBoth = await slidingWindowInference(
      { data: both, shape: [2, 1, 20, 17, 9] },
      options,
      convPredictor,
    );
    const outA = await slidingWindowInference({ data: a, shape: one }, options, convPredictor);
    const outB = await slidingWindowInference({ data: b, shape: one }, options, convPredictor);
    expect(outBoth.shape).toEqual([2, 2, 20, 17, 9]);
    expect(maxAbsDiff(outBoth.data.subarray(0, outA.data.length), outA.data)).toBe(0);
    expect(maxAbsDiff(outBoth.data.subarray(outA.data.length), outB.data)).toBe(0);
  });

  it('roiSize -1 / undefined use the whole axis', async () => {
    const shape = [1, 1, 9, 6, 5];
    const seen: number[][] = [];
    await slidingWindowInference(
      { data: ramp(shape), shape },
      { roiSize: [4, -1, undefined] },
      (w) => {
        seen.push(w.shape);
        return identity(w);
      },
    );
    expect(seen[0]).toEqual([1, 1, 4, 6, 5]);
    expect(seen.length).toBe(3); // x starts 0, 3, 5
  });

  it('reports progress after every predictor call up to the window total', async () => {
    const shape = [2, 1, 10, 10, 10];
    const events: ProgressEvent[] = [];
    await slidingWindowInference(
      { data: ramp(shape), shape },
      { roiSize: [6, 6, 6], overlap: 0.5, swBatchSize: 3, onProgress: (e) => events.push(e) },
      identity,
    );
    // 3 starts per axis (0, 3, 4) → 27 windows per item, 54 in all, 18 calls.
    expect(events.length).toBe(18);
    expect(events.map((e) => e.done)).toEqual(Array.from({ length: 18 }, (_, i) => 3 * (i + 1)));
    expect(events.every((e) => e.total === 54 && e.stage === 'sliding-window')).toBe(true);
  });

  it('rejects a predictor result with the wrong shape or length', async () => {
    const input = { data: new Float32Array(64), shape: [1, 1, 4, 4, 4] };
    await expect(
      slidingWindowInference(input, { roiSize: [4, 4, 4] }, (w) => ({
        data: w.data,
        shape: [1, 1, 4, 4, 3],
      })),
    ).rejects.toBeInstanceOf(ShapeError);
    await expect(
      slidingWindowInference(input, { roiSize: [4, 4, 4] }, () => ({
        data: new Float32Array(3),
        shape: [1, 1, 4, 4, 4],
      })),
    ).rejects.toBeInstanceOf(ShapeError);
  });

  it('rejects inputs whose data does not match the shape, and bad options', async () => {
    await expect(
      slidingWindowInference(
        { data: new Float32Array(10), shape: [1, 1, 4, 4, 4] },
        { roiSize: 4 },
        identity,
      ),
    ).rejects.toBeInstanceOf(ShapeError);
    await expect(
      slidingWindowInference(
        { data: new Float32Array(64), shape: [1, 4, 4, 4] },
        { roiSize: 4 },
        identity,
      ),
    ).rejects.toBeInstanceOf(ShapeError);
    const input = { data: new Float32Array(64), shape: [1, 1, 4, 4, 4] };
    await expect(
      slidingWindowInference(input, { roiSize: 4, swBatchSize: 0 }, identity),
    ).rejects.toBeInstanceOf(ArgumentError);
    await expect(
      slidingWindowInference(input, { roiSize: [4, 4] }, identity),
    ).rejects.toBeInstanceOf(ArgumentError);
    await expect(
      slidingWindowInference(input, { roiSize: 4, mode: 'gaussian', sigmaScale: 0 }, identity),
    ).rejects.toBeInstanceOf(ArgumentError);
  });
});
