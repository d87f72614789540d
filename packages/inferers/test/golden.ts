// Test helpers: golden file access and the two reference predictors of sliding_window.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ArrayWithShape } from '@voxelkit/inferers';

export const goldenDir = path.resolve(__dirname, '../../../../shared/golden/sliding_window');

export function readF32(file: string): Float32Array {
  const bytes = readFileSync(path.join(goldenDir, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export interface GoldenRun {
  predictor: 'conv' | 'ramp';
  overlap: number;
  mode: 'constant' | 'gaussian';
  output: { file: string; shape: number[] };
}

export interface GoldenLayout {
  padded_image_size: number[];
  pad_before_after_per_axis: number[][];
  scan_interval: number[];
  num_windows: number;
  window_starts: number[][];
}

export interface GoldenVolume {
  input: { file: string; shape: number[] };
  runs: GoldenRun[];
  layouts: Record<string, GoldenLayout>;
}

export interface GoldenSlidingWindow {
  roi_size: number[];
  sw_batch_size: number;
  sigma_scale: number;
  volumes: Record<string, GoldenVolume>;
  predictor_info: { conv: { weight: number[][][][][]; bias: number[] } };
}

export const golden = JSON.parse(
  readFileSync(path.join(goldenDir, 'sliding_window.json'), 'utf8'),
) as GoldenSlidingWindow;

/** conv3d with zero padding 1 inside each window, 1 input channel → 2 output channels. */
export function convPredictor(windows: ArrayWithShape): ArrayWithShape {
  const { weight, bias } = golden.predictor_info.conv;
  const [n, , X, Y, Z] = windows.shape as [number, number, number, number, number];
  const out = new Float32Array(n * 2 * X * Y * Z);
  const at = (b: number, x: number, y: number, z: number): number =>
    x < 0 || y < 0 || z < 0 || x >= X || y >= Y || z >= Z
      ? 0
      : windows.data[((b * X + x) * Y + y) * Z + z]!;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < 2; k++) {
      for (let x = 0; x < X; x++) {
        for (let y = 0; y < Y; y++) {
          for (let z = 0; z < Z; z++) {
            let sum = bias[k]!;
            for (let dx = 0; dx < 3; dx++) {
              for (let dy = 0; dy < 3; dy++) {
                for (let dz = 0; dz < 3; dz++) {
                  sum += weight[k]![0]![dx]![dy]![dz]! * at(b, x + dx - 1, y + dy - 1, z + dz - 1);
                }
              }
            }
            out[(((b * 2 + k) * X + x) * Y + y) * Z + z] = sum;
          }
        }
      }
    }
  }
  return { data: out, shape: [n, 2, X, Y, Z] };
}

/** x + (i/rx + 2j/ry + 3k/rz), i,j,k the voxel index inside the window. */
export function rampPredictor(windows: ArrayWithShape): ArrayWithShape {
  const [n, c, X, Y, Z] = windows.shape as [number, number, number, number, number];
  const out = new Float32Array(windows.data.length);
  let t = 0;
  for (let b = 0; b < n * c; b++) {
    for (let i = 0; i < X; i++) {
      for (let j = 0; j < Y; j++) {
        for (let k = 0; k < Z; k++) {
          out[t] = windows.data[t]! + (i / X + (2 * j) / Y + (3 * k) / Z);
          t++;
        }
      }
    }
  }
  return { data: out, shape: [...windows.shape] };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
