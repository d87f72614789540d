/** Readers for the MONAI golden UNet files in `shared/golden/unet` (see its README). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StateDict } from '@voxelkit/nets';

export const GOLDEN_UNET = path.resolve(__dirname, '../../../../../shared/golden/unet');

export interface GoldenEntry {
  name: string;
  shape: number[];
  dtype: string;
  offset_elems?: number;
  numel?: number;
  value?: number;
}

export interface GoldenUnet {
  num_parameters: number;
  state_dict: { file: string; entries: GoldenEntry[] };
  train_step: {
    loss: number;
    grad_stats: Record<string, { sum: number; l2: number; absmax: number }>;
    full_grads: Record<string, { file: string; shape: number[] }>;
  };
}

export function readGoldenJson(): GoldenUnet {
  return JSON.parse(readFileSync(path.join(GOLDEN_UNET, 'unet.json'), 'utf8')) as GoldenUnet;
}

export function readF32(file: string): Float32Array {
  const bytes = readFileSync(path.join(GOLDEN_UNET, file));
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

/** The golden state dict: float32 entries from the blob, int64 entries from their inline value. */
export function readGoldenStateDict(golden: GoldenUnet): StateDict {
  const blob = readF32(golden.state_dict.file);
  const out: StateDict = new Map();
  for (const e of golden.state_dict.entries) {
    if (e.dtype === 'float32') {
      const start = e.offset_elems!;
      out.set(e.name, { shape: e.shape, data: blob.slice(start, start + e.numel!) });
    } else {
      out.set(e.name, { shape: e.shape, data: Float32Array.of(e.value!) });
    }
  }
  return out;
}

/** Max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
