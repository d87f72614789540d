/**
 * Batches from a data set, with a seeded per-epoch shuffle and a bounded prefetch queue, as an
 * async iterable. Batches are lists of records; a case that yields several samples (e.g. random
 * patches) contributes all of them, flattened, as MONAI's `list_data_collate` does.
 *
 * The loader itself only schedules: loading overlaps the consumer wherever it awaits. For
 * CPU-bound transforms to run in parallel with a synchronous training step, give the data set a
 * `WorkerPipeline` (`@voxelkit/io/node`), which runs them in worker threads.
 */
import { ArgumentError, Rng } from '@voxelkit/core';
import type { DatasetRecord, EpochDataset } from './types.js';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Cases per batch (default 1). A batch holds more records when cases yield several samples. */
  batchSize?: number;
  /** Visit cases in a seeded random order, new every epoch (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number | string;
  /**
   * Batches loaded ahead of the consumer (default 2, at least 1). At most this many batches are
   * loading or loaded but not yet handed out, which bounds memory.
   */
  prefetch?: number;
  /** Drop the last batch when it has fewer than `batchSize` cases (default false). */
  dropLast?: boolean;
}

/**
 * Iterates a data set in batches, loading ahead of the consumer.
 *
 * `for await (const batch of loader)` runs one epoch; each such loop uses the next epoch number
 * (0, 1, 2, …). {@link iterate} runs a given epoch explicitly. Within a batch, cases load
 * concurrently; the order of records in a batch follows the (shuffled) case order, then the
 * sample order within a case.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(cacheDataset, { batchSize: 2, shuffle: true, seed: 0, prefetch: 2 });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const batch of loader.iterate(epoch)) trainOn(batch);
 * }
 * ```
 */
export class DataLoader implements AsyncIterable<DatasetRecord[]> {
  private readonly dataset: EpochDataset;
  private readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly seed: number | string;
  private readonly prefetch: number;
  private readonly dropLast: boolean;
  private nextEpoch = 0;

  /**
   * @param dataset - anything with `length` and `get(index, epoch)`, e.g. a {@link CacheDataset}.
   * @param options - batch size, shuffle, seed, prefetch depth, dropLast.
   * @throws ArgumentError for a batch size or prefetch that is not a positive integer.
   */
  constructor(dataset: EpochDataset, options: DataLoaderOptions = {}) {
    this.dataset = dataset;
    this.batchSize = positiveInteger(options.batchSize ?? 1, 'batchSize');
    this.prefetch = positiveInteger(options.prefetch ?? 2, 'prefetch');
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
  }

  /** Number of batches in one epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The case indices of `epoch`, in visiting order (a seeded shuffle when `shuffle` is set). */
  order(epoch: number): number[] {
    const indices = Array.from({ length: this.dataset.length }, (_, i) => i);
    return this.shuffle ? Rng.derive(this.seed, 'shuffle', epoch).shuffle(indices) : indices;
  }

  /** Runs the next epoch (0 for the first loop, then 1, 2, …). */
  [Symbol.asyncIterator](): AsyncIterator<DatasetRecord[]> {
    return this.iterate(this.nextEpoch++)[Symbol.asyncIterator]();
  }

  /**
   * The batches of `epoch`. Up to `prefetch` batches load ahead of the consumer; an error while
   * loading a batch is thrown when the consumer reaches that batch. Leaving the loop early stops
   * new loads (loads already started finish in the background and are dropped).
   *
   * @param epoch - non-negative integer, passed to `dataset.get` and to the shuffle.
   */
  async *iterate(epoch: number): AsyncGenerator<DatasetRecord[]> {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new ArgumentError('DataLoader.iterate: epoch must be a non-negative integer', {
        field: 'epoch',
        actual: epoch,
      });
    }
    const order = this.order(epoch);
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      if (batch.length < this.batchSize && this.dropLast) break;
      batches.push(batch);
    }
    const queue: Promise<DatasetRecord[]>[] = [];
    let next = 0;
    const fill = () => {
      while (queue.length < this.prefetch && next < batches.length) {
        const loading = this.loadBatch(batches[next++], epoch);
        // Errors surface when the consumer reaches this batch; this avoids an unhandled rejection
        // for batches the consumer never reaches.
        loading.catch(() => undefined);
        queue.push(loading);
      }
    };
    fill();
    while (queue.length > 0) {
      const batch = await queue.shift()!;
      fill();
      yield batch;
    }
  }

  private async loadBatch(indices: number[], epoch: number): Promise<DatasetRecord[]> {
    const results = await Promise.all(indices.map((index) => this.dataset.get(index, epoch)));
    return results.flatMap((result) => (Array.isArray(result) ? result : [result]));
  }
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ArgumentError(`DataLoader: ${field} must be a positive integer`, {
      field,
      actual: value,
    });
  }
  return value;
}
