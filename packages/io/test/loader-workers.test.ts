import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, createMemoryLogger } from '@voxelkit/core';
import { CacheDataset, DataLoader, type DatasetRecord, type DatasetTransform } from '@voxelkit/io';
import { WorkerPipeline } from '../src/node.js';

/**
 * A pipeline module as a user would write it: a factory returning transforms. Plain JavaScript
 * with no imports, written to a temp folder so that workers can load it by path.
 */
const FIXTURE = `
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
export function createTransforms({ workMs, size }) {
  return [
    {
      name: 'FakeDecode',
      apply: (r) => {
        spin(workMs);
        if (r.id === 'broken') throw new Error('cannot decode');
        if (r.id === 'crash') process.exit(3);
        return { ...r, image: new Float32Array(size).fill(Number(r.id.slice(4))) };
      },
    },
    {
      name: 'RandShiftIntensity',
      random: true,
      apply: (r, { rng, logger }) => {
        spin(workMs);
        if (r.id === 'case3') logger.warn('case3 is odd', { case: r.id });
        const shift = rng.uniform();
        return { ...r, shift, image: r.image.map((v) => v + shift) };
      },
    },
    {
      name: 'RandCrops',
      random: true,
      apply: (r, { rng }) => [0, 1].map(() => ({ ...r, at: rng.int(r.image.length) })),
    },
  ];
}
export const notAFactory = 42;
`;

let dir = '';
let moduleUrl = '';
let pipeline: WorkerPipeline;
const logger = createMemoryLogger();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vk-workers-'));
  const file = path.join(dir, 'pipeline.mjs');
  await writeFile(file, FIXTURE);
  moduleUrl = pathToFileURL(file).href;
  pipeline = await WorkerPipeline.start({
    module: file,
    exportName: 'createTransforms',
    factoryOptions: { workMs: 0, size: 16 },
    workers: 2,
  });
});

afterAll(async () => {
  await pipeline?.close();
  await rm(dir, { recursive: true, force: true });
});

const items = (n: number): DatasetRecord[] =>
  Array.from({ length: n }, (_, i) => ({ id: `case${i}` }));

async function localTransforms(options: { workMs: number; size: number }) {
  const module = (await import(moduleUrl)) as {
    createTransforms: (o: unknown) => DatasetTransform[];
  };
  return module.createTransforms(options);
}

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('WorkerPipeline', () => {
  it('reports the steps built in the workers', () => {
    expect(pipeline.workers).toBe(2);
    expect(pipeline.steps).toEqual([
      { name: 'FakeDecode', random: false },
      { name: 'RandShiftIntensity', random: true },
      { name: 'RandCrops', random: true },
    ]);
  });

  it('gives exactly the records the same pipeline gives in this thread', async () => {
    const local = new CacheDataset(items(4), await localTransforms({ workMs: 0, size: 16 }), {
      seed: 5,
      cacheRate: 0.5,
    });
    const remote = new CacheDataset(items(4), pipeline, { seed: 5, cacheRate: 0.5, logger });
    expect(remote.cachedTransformCount).toBe(1);
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let i = 0; i < 4; i++) {
        const a = (await local.get(i, epoch)) as DatasetRecord[];
        const b = (await remote.get(i, epoch)) as DatasetRecord[];
        expect(b).toHaveLength(2);
        expect(b.map((r) => [r.id, r.shift, r.at])).toEqual(a.map((r) => [r.id, r.shift, r.at]));
        expect(Array.from(b[0].image as Float32Array)).toEqual(
          Array.from(a[0].image as Float32Array),
        );
      }
    }
  });

  it('forwards worker log messages to the data set logger', async () => {
    const ds = new CacheDataset(items(4), pipeline, { seed: 0, logger });
    await ds.get(3, 0);
    expect(logger.records).toContainEqual({
      level: 'warn',
      message: 'case3 is odd',
      fields: { case: 'case3' },
    });
  });

  it('a failing transform in a worker rejects with a DataError naming it and the case', async () => {
    const ds = new CacheDataset([{ id: 'broken' }], pipeline);
    const error = await ds.get(0, 0).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/transform FakeDecode failed on case broken/);
    expect(error.details.field).toBe('FakeDecode');
    // The pool survives and keeps serving.
    expect(await new CacheDataset(items(1), pipeline).get(0, 0)).toHaveLength(2);
  });

  it('a record that cannot be cloned rejects with a DataError', async () => {
    const ds = new CacheDataset([{ id: 'case0', callback: () => 1 }], pipeline);
    await expect(ds.get(0, 0)).rejects.toThrow(/not cloneable/);
  });

  it('a module without the named factory fails at start with a DataError', async () => {
    const error = await WorkerPipeline.start({
      module: moduleUrl,
      exportName: 'notAFactory',
      workers: 1,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('notAFactory');
  });

  /** Wall time of one epoch whose every batch is followed by a synchronous "training step". */
  async function epochWall(ds: CacheDataset, stepMs: number) {
    const loader = new DataLoader(ds, { batchSize: 1, prefetch: 2 });
    const start = performance.now();
    for await (const _batch of loader.iterate(0)) spin(stepMs);
    return performance.now() - start;
  }

  it('decoding in workers overlaps a CPU-bound consumer; in this thread it cannot', async () => {
    const work = 40;
    const cases = 6;
    const sequential = cases * (2 * work + 2 * work); // loading (2 steps) + training step
    const busy = await WorkerPipeline.start({
      module: moduleUrl,
      exportName: 'createTransforms',
      factoryOptions: { workMs: work, size: 16 },
      workers: 2,
    });
    try {
      // Nothing cached: every access runs FakeDecode and RandShiftIntensity (2 x 40 ms each).
      const inWorkers = await epochWall(
        new CacheDataset(items(cases), busy, { cacheRate: 0 }),
        2 * work,
      );
      const local = await localTransforms({ workMs: work, size: 16 });
      const inThread = await epochWall(
        new CacheDataset(items(cases), local, { cacheRate: 0 }),
        2 * work,
      );
      if (process.env.VK_PRINT_TIMES) console.log({ sequential, inWorkers, inThread });
      expect(inThread).toBeGreaterThanOrEqual(0.95 * sequential);
      // Relative to the in-thread run, so that a loaded machine slows both alike.
      expect(inWorkers).toBeLessThan(0.8 * inThread);
    } finally {
      await busy.close();
    }
  });

  it('a worker that dies fails only its own case; the others keep serving', async () => {
    const fragile = await WorkerPipeline.start({
      module: moduleUrl,
      exportName: 'createTransforms',
      factoryOptions: { workMs: 0, size: 4 },
      workers: 2,
    });
    try {
      const error = await new CacheDataset([{ id: 'crash' }], fragile).get(0, 0).catch((e) => e);
      expect(error).toBeInstanceOf(DataError);
      expect(error.message).toMatch(/exited/);
      expect(error.details.field).toBe('crash');
      expect(fragile.workers).toBe(1);
      expect(await new CacheDataset(items(3), fragile).get(2, 0)).toHaveLength(2);
    } finally {
      await fragile.close();
    }
  });

  it('rejects runs after close()', async () => {
    const short = await WorkerPipeline.start({
      module: moduleUrl,
      exportName: 'createTransforms',
      factoryOptions: { workMs: 0, size: 4 },
      workers: 1,
    });
    await short.close();
    await expect(new CacheDataset(items(1), short).get(0, 0)).rejects.toThrow(/after close/);
  });
});
