/**
 * Readers for the MONAI golden preprocessing outputs in `shared/golden/preprocess` (see its
 * README): raw float32/uint8 arrays in C order plus `preprocess.json` with per-step metadata.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Volume } from '@voxelkit/core';
import { affineFromRows, createVolume } from '@voxelkit/core';

export const GOLDEN = path.resolve(__dirname, '../../../../shared/golden');
export const SHARED_DATA = path.resolve(__dirname, '../../../../shared/data');

export interface GoldenKeyStep {
  affine: number[][];
  axcodes: string;
  stats: {
    shape: number[];
    min: number;
    max: number;
    mean: number;
    sum: number;
    nonzero: number;
    nonzero_bbox: [number, number][];
    samples: { index: number[]; value: number | string }[];
  };
  files?: { raw_f32?: string; raw_u8?: string };
}

export interface GoldenStep {
  step: number;
  name: string;
  keys: { image: GoldenKeyStep; label: GoldenKeyStep };
}

export interface GoldenCase {
  dir: string;
  params: { pixdim: number[]; a_min: number; a_max: number; b_min: number; b_max: number };
  steps: GoldenStep[];
}

export function readCase(name: string): GoldenCase {
  const dir = path.join(GOLDEN, 'preprocess', name);
  const json = JSON.parse(readFileSync(path.join(dir, 'preprocess.json'), 'utf8')) as GoldenCase;
  return { ...json, dir };
}

export function step(c: GoldenCase, name: string): GoldenStep {
  const s = c.steps.find((x) => x.name === name);
  if (!s) throw new Error(`no step ${name}`);
  return s;
}

/** The golden array of one step/key as a channel-first volume ([1, X, Y, Z]). */
export function goldenVolume(c: GoldenCase, s: GoldenStep, key: 'image' | 'label'): Volume {
  const k = s.keys[key];
  const file = k.files?.raw_f32 ?? k.files?.raw_u8;
  if (!file) throw new Error(`no array for ${s.name} ${key}`);
  const bytes = readFileSync(path.join(c.dir, file));
  const data = file.endsWith('.f32')
    ? new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    : new Uint8Array(bytes);
  const shape = k.stats.shape.length === 3 ? [1, ...k.stats.shape] : k.stats.shape;
  return createVolume(data, shape, affineFromRows(k.affine));
}

export function maxAffineDiff(a: Float64Array, rows: number[][]): number {
  let m = 0;
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) m = Math.max(m, Math.abs(a[r * 4 + c] - rows[r][c]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN counts as a difference
  }
  return m;
}

export function countDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Inclusive bounding box of non-zero voxels per spatial axis of a [1, X, Y, Z] volume. */
export function nonzeroBox(v: Volume): [number, number][] {
  const [, sx, sy, sz] = v.shape;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  let o = 0;
  for (let x = 0; x < sx; x++)
    for (let y = 0; y < sy; y++)
      for (let z = 0; z < sz; z++, o++) {
        if (v.data[o] === 0) continue;
        const p = [x, y, z];
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], p[a]);
          hi[a] = Math.max(hi[a], p[a]);
        }
      }
  return [0, 1, 2].map((a) => [lo[a], hi[a]] as [number, number]);
}

/** MONAI ScaleIntensityRange with clip, applied inline (float32 result). */
export function scaleRange(
  v: Volume,
  aMin: number,
  aMax: number,
  bMin: number,
  bMax: number,
): Volume {
  const out = new Float32Array(v.data.length);
  for (let i = 0; i < out.length; i++) {
    const t = ((v.data[i] - aMin) / (aMax - aMin)) * (bMax - bMin) + bMin;
    out[i] = Math.min(Math.max(t, bMin), bMax);
  }
  return { ...v, data: out, dtype: 'float32' };
}
