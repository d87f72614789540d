import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError } from '@voxelkit/core';
import {
  CacheDataset,
  DataLoader,
  type DatasetRecord,
  type DatasetTransform,
  type DatasetTransformResult,
  type EpochDataset,
} from '@voxelkit/io';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A data set of `n` cases whose `get` records every call; optional delay and sample count. */
function fakeDataset(
  n: number,
  options: { delayMs?: number; samples?: number; failAt?: number } = {},
) {
  const calls: { index: number; epoch: number }[] = [];
  const dataset: EpochDataset = {
    length: n,
    async get(index, epoch): Promise<DatasetTransformResult> {
      calls.push({ index, epoch });
      if (options.delayMs) await sleep(options.delayMs);
      if (index === options.failAt) throw new DataError(`cannot load case ${index}`);
      if (options.samples === undefined) return { index, epoch };
      return Array.from({ length: options.samples }, (_, k) => ({ index, epoch, sample: k }));
    },
  };
  return { calls, dataset };
}

async function collect(iterable: AsyncIterable<DatasetRecord[]>): Promise<DatasetRecord[][]> {
  const out: DatasetRecord[][] = [];
  for await (const batch of iterable) out.push(batch);
  return out;
}

const indices = (batches: DatasetRecord[][]) => batches.map((b) => b.map((r) => r.index));

describe('DataLoader batching', () => {
  it('5 cases, batch size 2 -> batches of 2, 2, 1 in order; dropLast -> 2, 2', async () => {
    const { dataset } = fakeDataset(5);
    expect(indices(await collect(new DataLoader(dataset, { batchSize: 2 }).iterate(0)))).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
    const dropping = new DataLoader(dataset, { batchSize: 2, dropLast: true });
    expect(dropping.length).toBe(2);
    expect(indices(await collect(dropping.iterate(0)))).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('flattens multi-sample cases like list_data_collate: 2 cases x 3 samples -> 6 records', async () => {
    const { dataset } = fakeDataset(4, { samples: 3 });
    const batches = await collect(new DataLoader(dataset, { batchSize: 2 }).iterate(0));
    expect(batches).toHaveLength(2);
    expect(batches[0].map((r) => [r.index, r.sample])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
  });

  it('for-await loops run epochs 0, 1, 2 in turn', async () => {
    const { calls, dataset } = fakeDataset(2);
    const loader = new DataLoader(dataset);
    for (let k = 0; k < 3; k++) await collect(loader);
    expect(calls.map((c) => c.epoch)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('bad batch size, prefetch or epoch -> ArgumentError', async () => {
    const { dataset } = fakeDataset(2);
    expect(() => new DataLoader(dataset, { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => new DataLoader(dataset, { prefetch: 1.5 })).toThrow(ArgumentError);
    await expect(collect(new DataLoader(dataset).iterate(-1))).rejects.toThrow(ArgumentError);
  });
});

describe('DataLoader shuffling', () => {
  it('same seed -> identical orders; other seed -> other order; each epoch a permutation', async () => {
    const { dataset } = fakeDataset(12);
    const a = new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 0 });
    const b = new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 0 });
    const c = new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 1 });
    const a0 = indices(await collect(a.iterate(0)));
    expect(indices(await collect(b.iterate(0)))).toEqual(a0);
    expect(indices(await collect(c.iterate(0)))).not.toEqual(a0);
    const a1 = indices(await collect(a.iterate(1)));
    expect(a1).not.toEqual(a0);
    for (const epoch of [a0, a1]) {
      expect(epoch.flat().sort((x, y) => Number(x) - Number(y))).toEqual([...Array(12).keys()]);
    }
  });

  it('without shuffle the order is 0..N-1 every epoch', () => {
    const { dataset } = fakeDataset(4);
    const loader = new DataLoader(dataset, { seed: 5 });
    expect(loader.order(3)).toEqual([0, 1, 2, 3]);
  });
});

describe('DataLoader prefetch queue', () => {
  it('a slow consumer never has more than `prefetch` batches pending, and they do load ahead', async () => {
    for (const prefetch of [1, 3]) {
      const { calls, dataset } = fakeDataset(10);
      const loader = new DataLoader(dataset, { batchSize: 1, prefetch });
      let received = 0;
      let peakPending = 0;
      for await (const _batch of loader.iterate(0)) {
        received++;
        await sleep(10); // slow training step: the loader has time to fill its queue
        peakPending = Math.max(peakPending, calls.length - received);
      }
      expect(received).toBe(10);
      expect(peakPending).toBe(prefetch);
    }
  });

  it('loading overlaps the consumer: wall time < producer time + consumer time', async () => {
    const delay = 40;
    const batches = 6;
    const { dataset } = fakeDataset(batches, { delayMs: delay });
    const loader = new DataLoader(dataset, { batchSize: 1, prefetch: 2 });
    const start = performance.now();
    let consumer = 0;
    for await (const _batch of loader.iterate(0)) {
      const t = performance.now();
      await sleep(delay);
      consumer += performance.now() - t;
    }
    const wall = performance.now() - start;
    const producer = batches * delay;
    // Sequential loading would take producer + consumer (~480 ms); overlapped, about 7 * 40 ms.
    expect(wall).toBeLessThan(0.8 * (producer + consumer));
  });

  it('a load error surfaces at its batch, after the earlier batches', async () => {
    const { dataset } = fakeDataset(5, { failAt: 3 });
    const seen: unknown[] = [];
    const run = async () => {
      for await (const batch of new DataLoader(dataset, { batchSize: 1 }).iterate(0)) {
        seen.push(batch[0].index);
      }
    };
    await expect(run()).rejects.toThrow(/cannot load case 3/);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('leaving the loop early starts no further loads', async () => {
    const { calls, dataset } = fakeDataset(20);
    for await (const _batch of new DataLoader(dataset, { batchSize: 1, prefetch: 2 }).iterate(0)) {
      break;
    }
    await sleep(5);
    expect(calls.length).toBeLessThanOrEqual(3);
  });
});

describe('CacheDataset + DataLoader end to end', () => {
  const load: DatasetTransform = {
    name: 'Load',
    apply: (record) => ({ ...record, image: new Float32Array(8).fill(Number(record.id)) }),
  };
  const crops: DatasetTransform = {
    name: 'RandCrops',
    random: true,
    apply: (record, { rng }) =>
      [0, 1].map(() => ({
        ...record,
        at: rng.int(8),
        image: (record.image as Float32Array).slice(),
      })),
  };
  const run = async (seed: number) => {
    const items = Array.from({ length: 5 }, (_, i) => ({ id: String(i) }));
    const ds = new CacheDataset(items, [load, crops], { seed, cacheRate: 0.6 });
    await ds.init();
    const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed, prefetch: 2 });
    const epochs = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      epochs.push(
        (await collect(loader.iterate(epoch))).map((b) => b.map((r) => `${r.id}@${r.at}`)),
      );
    }
    return epochs;
  };

  it('same seed -> identical batches over two epochs; different seed -> different', async () => {
    const a = await run(0);
    expect(await run(0)).toEqual(a);
    expect(await run(1)).not.toEqual(a);
    expect(a[0]).not.toEqual(a[1]);
    expect(a[0].map((b) => b.length)).toEqual([4, 4, 2]);
  });
});
