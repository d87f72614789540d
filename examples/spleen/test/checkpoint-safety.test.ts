/**
 * A model whose weights went non-finite is never written as a checkpoint: `save` refuses before
 * touching the folder, so the checkpoint it would replace stays the last good one.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ResourceError } from '@voxelkit/core';
import { presetConfig } from '../src/config.js';
import { createTfModel } from '../src/tfModel.js';

let work: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'spleen-save-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

it('save refuses non-finite weights and writes nothing', async () => {
  const config = { ...presetConfig('tiny', false), dataDir: '' };
  const model = await createTfModel(config);
  const n = 16 * 16 * 16;
  const images = { data: new Float32Array(n).fill(0.5), shape: [1, 1, 16, 16, 16] };
  const labels = { data: new Float32Array(n), shape: [1, 1, 16, 16, 16] };
  labels.data.fill(1, 0, n / 2);
  const good = join(work, 'good');
  await model.trainStep(images, labels, 1e-3);
  await model.save(good);
  expect(readdirSync(good).sort()).toEqual(['model.safetensors', 'optimizer.safetensors']);

  // One NaN voxel makes every gradient NaN, so the step leaves NaN weights behind.
  images.data[0] = NaN;
  expect(Number.isFinite(await model.trainStep(images, labels, 1e-3))).toBe(false);
  const bad = join(work, 'bad');
  await expect(model.save(bad)).rejects.toBeInstanceOf(ResourceError);
  await expect(model.save(bad)).rejects.toThrow(/not finite|NaN/);
  expect(existsSync(bad)).toBe(false);
  model.dispose();
}, 60_000);
