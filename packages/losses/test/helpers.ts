// Test helpers: CPU backend with gradients, golden access, channel-first ↔ channels-last.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

import { readFileSync } from 'node:fs';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

export { tf };

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

type Nested = number | Nested[];

export interface GoldenVariant {
  kwargs: Record<string, unknown>;
  value: number;
  dice_component: number;
  ce_component: number;
  grad: Nested;
}

export interface GoldenLossCase {
  logits: Nested;
  label: Nested;
  shape: number[];
  variants: Record<string, GoldenVariant>;
}

export const golden = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../../shared/golden/dicece_loss.json'), 'utf8'),
) as { cases: Record<string, GoldenLossCase> };

/** Nested channel-first [B, C, X, Y, Z] → channels-last tensor [B, X, Y, Z, C]. */
export function channelsLast(nested: Nested): tf.Tensor5D {
  return tf.tidy(() => tf.transpose(tf.tensor(nested as number[]), [0, 2, 3, 4, 1]) as tf.Tensor5D);
}

/** Channels-last tensor → flat channel-first values. */
export function channelsFirstValues(t: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 4, 1, 2, 3]).dataSync() as Float32Array);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export function flatten(nested: Nested): number[] {
  return Array.isArray(nested) ? nested.flatMap(flatten) : [nested];
}
