/**
 * Shared test helpers: golden-file readers, tiny volume builders and a context factory. Not a
 * test file itself (no `.test.ts`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMemoryLogger, createVolume, Rng } from '@voxelkit/core';
import type { TypedArray, Volume } from '@voxelkit/core';
import type { TransformContext } from '@voxelkit/transforms';

/** Root of the MONAI golden outputs (the repository's sibling `shared/`). */
export const GOLDEN = path.resolve(__dirname, '../../../../shared/golden');

/** Parsed `augment.json`. */
export function augmentJson(): any {
  return JSON.parse(readFileSync(path.join(GOLDEN, 'augment.json'), 'utf8'));
}

/** Reads a raw little-endian float32 golden file. */
export function readF32(file: string): Float32Array {
  const b = readFileSync(path.join(GOLDEN, file));
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** Reads a raw uint8 golden file. */
export function readU8(file: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(GOLDEN, file)));
}

/** Flattens nested JSON arrays (C order) into a Float32Array. */
export function flatten(nested: unknown): Float32Array {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v as number);
  };
  walk(nested);
  return Float32Array.from(out);
}

/** Shape of a nested JSON array. */
export function nestedShape(nested: unknown): number[] {
  const shape: number[] = [];
  let v = nested;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** A volume from data and shape with an identity affine. */
export function vol<T extends TypedArray>(data: T, shape: number[]): Volume<T> {
  return createVolume(data, shape);
}

/** A context with a seeded stream and a memory logger. */
export function context(seed: number | string = 0, recordName?: string) {
  const logger = createMemoryLogger();
  const ctx: TransformContext = {
    rng: new Rng(seed),
    logger,
    ...(recordName ? { recordName } : {}),
  };
  return { ctx, logger };
}

/** Largest absolute difference between two arrays of equal length (NaN-aware: NaN vs NaN = 0). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** The 4·sqrt(p(1-p)/N) band of the golden README. */
export function band(p: number, n: number): number {
  return 4 * Math.sqrt((p * (1 - p)) / n);
}
