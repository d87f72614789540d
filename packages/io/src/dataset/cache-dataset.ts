/**
 * A data set that runs the deterministic head of a transform pipeline once per case and keeps
 * the result in memory, then applies the random tail on every access, as MONAI's CacheDataset
 * does. The random tail draws from an `Rng` derived from `(seed, epoch, case id)`, so a
 * case's augmentation does not depend on the order cases are visited in (cases.md #24), and it
 * works on a structural copy so the cache is never mutated.
 */
import { ArgumentError, silentLogger, type Logger, type ProgressCallback } from '@voxelkit/core';
import { cloneRecord } from './clone.js';
import {
  LocalPipeline,
  type PipelineOutput,
  type PipelineRunner,
  type PipelineStage,
} from './pipeline.js';
import type {
  DatasetRecord,
  DatasetTransform,
  DatasetTransformResult,
  EpochDataset,
} from './types.js';

/** Options of {@link CacheDataset}. */
export interface CacheDatasetOptions {
  /** Share of cases to cache, in `[0, 1]` (default 1). The first cases are cached. */
  cacheRate?: number;
  /** Upper bound on cached cases (default: no bound). The smaller of both limits wins. */
  cacheNum?: number;
  /** Seed of every random stream (default 0). */
  seed?: number | string;
  /** Receives a summary when the cache is filled. */
  logger?: Logger;
  /** Reports `{ stage: 'cache', done, total }` while {@link CacheDataset.init} runs. */
  onProgress?: ProgressCallback;
  /**
   * Cases prepared at once by {@link CacheDataset.init} (default: the runner's `parallelism`,
   * e.g. the number of workers of a `WorkerPipeline`, else 1).
   */
  concurrency?: number;
  /**
   * Stable id of a case, used to derive its random stream and name it in messages. Default: its
   * `id` field when a string, else the file name of its `image` field, else its index.
   */
  caseId?: (item: DatasetRecord, index: number) => string;
  /** Copy cached records before the random tail runs (default true; false only if no transform mutates). */
  copyCache?: boolean;
}

/**
 * Caches the deterministic prefix of a transform pipeline, applies the random rest per access.
 *
 * The deterministic prefix is every transform before the first one with `random: true`. Cases
 * with index `< cacheCount` are prepared once (by {@link init} or on first access) and kept;
 * other cases run the whole pipeline on each access. A transform that returns an array makes
 * every later transform apply to each element, and {@link get} then returns an array.
 *
 * @example
 * ```ts
 * const ds = new CacheDataset(training, [load, orient, spacing, randCrop], { seed: 0 });
 * await ds.init();
 * const samples = await ds.get(0, epoch);
 * ```
 */
export class CacheDataset implements EpochDataset {
  /** Number of cases whose deterministic prefix is kept in memory. */
  readonly cacheCount: number;
  private readonly items: readonly DatasetRecord[];
  private readonly runner: PipelineRunner;
  /** Index of the first random step (the cached prefix is `[0, split)`). */
  private readonly split: number;
  private readonly seed: number | string;
  private readonly logger: Logger;
  private readonly onProgress?: ProgressCallback;
  private readonly concurrency: number;
  private readonly copyCache: boolean;
  private readonly ids: string[];
  // Limitation: the cache lives in memory only (no disk cache like MONAI's PersistentDataset),
  // and its size is not estimated before it is filled.
  private readonly cache = new Map<number, Promise<PipelineOutput>>();

  /**
   * @param items - the cases, e.g. `{ image, label }` records with file paths.
   * @param transforms - the pipeline, or a {@link PipelineRunner} that runs it elsewhere (e.g. a
   *   `WorkerPipeline` from `@voxelkit/io/node`); nothing runs until {@link init} or {@link get}.
   * @param options - cache size, seed, logger, progress, concurrency, case ids.
   * @throws ArgumentError for options out of range or two cases with the same id.
   */
  constructor(
    items: readonly DatasetRecord[],
    transforms: readonly DatasetTransform[] | PipelineRunner,
    options: CacheDatasetOptions = {},
  ) {
    const cacheRate = options.cacheRate ?? 1;
    if (!(cacheRate >= 0 && cacheRate <= 1)) {
      throw new ArgumentError('CacheDataset: cacheRate must be in [0, 1]', {
        field: 'cacheRate',
        actual: cacheRate,
      });
    }
    const cacheNum = options.cacheNum ?? Infinity;
    if (!(cacheNum >= 0) || (Number.isFinite(cacheNum) && !Number.isInteger(cacheNum))) {
      throw new ArgumentError('CacheDataset: cacheNum must be a non-negative integer', {
        field: 'cacheNum',
        actual: cacheNum,
      });
    }
    this.runner = isRunner(transforms) ? transforms : new LocalPipeline(transforms);
    const concurrency = options.concurrency ?? this.runner.parallelism ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ArgumentError('CacheDataset: concurrency must be a positive integer', {
        field: 'concurrency',
        actual: concurrency,
      });
    }
    const firstRandom = this.runner.steps.findIndex((t) => t.random === true);
    this.split = firstRandom < 0 ? this.runner.steps.length : firstRandom;
    this.items = items.slice();
    this.cacheCount = Math.min(cacheNum, Math.floor(items.length * cacheRate), items.length);
    this.seed = options.seed ?? 0;
    this.logger = options.logger ?? silentLogger;
    this.onProgress = options.onProgress;
    this.concurrency = concurrency;
    this.copyCache = options.copyCache ?? true;
    this.ids = this.items.map((item, index) => (options.caseId ?? defaultCaseId)(item, index));
    const firstIndex = new Map<string, number>();
    this.ids.forEach((id, index) => {
      const other = firstIndex.get(id);
      if (other !== undefined) {
        throw new ArgumentError('CacheDataset: two cases share one id; pass options.caseId', {
          field: `items[${index}]`,
          expected: `an id different from items[${other}]`,
          actual: id,
        });
      }
      firstIndex.set(id, index);
    });
  }

  /** Number of cases. */
  get length(): number {
    return this.items.length;
  }

  /** Number of transforms in the cached deterministic prefix. */
  get cachedTransformCount(): number {
    return this.split;
  }

  /** The id of case `index` (what its random stream is derived from). */
  caseIdOf(index: number): string {
    this.checkIndex(index);
    return this.ids[index];
  }

  /**
   * Prepares every cached case now, `concurrency` at a time, reporting progress. Optional:
   * {@link get} prepares a cached case on first access. Calling it twice does no work twice.
   */
  async init(): Promise<void> {
    const started = Date.now();
    const total = this.cacheCount;
    let next = 0;
    let done = 0;
    this.onProgress?.({ stage: 'cache', done, total });
    const worker = async () => {
      while (next < total) {
        const index = next++;
        await this.prepared(index);
        done++;
        this.onProgress?.({ stage: 'cache', done, total });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, total) }, worker));
    this.logger.info('CacheDataset: cache filled', {
      cached: total,
      cases: this.items.length,
      bytes: await this.cachedBytes(),
      seconds: (Date.now() - started) / 1000,
    });
  }

  /**
   * Bytes held by typed arrays in the cache (volumes dominate a cache's memory). Each buffer is
   * counted once, however many views share it; cases not prepared yet count zero.
   */
  async cachedBytes(): Promise<number> {
    const prepared = await Promise.allSettled(this.cache.values());
    const buffers = new Set<ArrayBufferLike>();
    const seen = new Set<object>();
    const visit = (value: unknown) => {
      if (value === null || typeof value !== 'object' || seen.has(value)) return;
      seen.add(value);
      if (ArrayBuffer.isView(value)) {
        buffers.add(value.buffer);
        return;
      }
      const children = value instanceof Map ? value.values() : Object.values(value);
      for (const child of children) visit(child);
    };
    for (const result of prepared) if (result.status === 'fulfilled') visit(result.value.records);
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.byteLength;
    return bytes;
  }

  /**
   * The transformed case `index` for `epoch`: the cached (or freshly computed) deterministic
   * prefix, copied, then the random tail with an Rng derived from `(seed, 'epoch', epoch, id)`.
   *
   * @param index - case index in `[0, length)`.
   * @param epoch - non-negative integer; different epochs give different augmentations.
   * @returns one record, or an array when some transform returned several.
   * @throws ArgumentError for a bad index or epoch; DataError when a transform fails (the
   *   message names the transform and the case; typed errors from transforms pass unchanged).
   */
  async get(index: number, epoch = 0): Promise<DatasetTransformResult> {
    this.checkIndex(index);
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new ArgumentError('CacheDataset.get: epoch must be a non-negative integer', {
        field: 'epoch',
        actual: epoch,
      });
    }
    const id = this.ids[index];
    const tail = {
      start: this.split,
      end: this.runner.steps.length,
      rngParts: [this.seed, 'epoch', epoch, id],
    };
    if (index >= this.cacheCount) {
      // Not cached: the whole pipeline in one run (one round trip when it runs in a worker).
      const out = await this.runner.run({
        records: [this.items[index]],
        stages: [this.headStage(id), tail],
        recordName: id,
        logger: this.logger,
      });
      return out.multi ? out.records : out.records[0];
    }
    const base = await this.prepared(index);
    if (this.split === this.runner.steps.length) {
      // Nothing random (e.g. a validation pipeline): no run, so no round trip to a worker.
      const records = this.copyCache ? cloneRecord(base.records) : base.records;
      return base.multi ? records : records[0];
    }
    // Cached records are shared between accesses: the random tail must work on a copy.
    const copy = this.copyCache && !this.runner.copiesInput;
    const out = await this.runner.run({
      records: copy ? cloneRecord(base.records) : base.records,
      stages: [tail],
      recordName: id,
      logger: this.logger,
    });
    return base.multi || out.multi ? out.records : out.records[0];
  }

  private prepared(index: number): Promise<PipelineOutput> {
    const cached = this.cache.get(index);
    if (cached) return cached;
    const id = this.ids[index];
    const promise = this.runner.run({
      records: [this.items[index]],
      stages: [this.headStage(id)],
      recordName: id,
      logger: this.logger,
    });
    this.cache.set(index, promise);
    // A failed preparation is not kept, so a later access can retry it.
    promise.catch(() => this.cache.delete(index));
    return promise;
  }

  private headStage(id: string): PipelineStage {
    return { start: 0, end: this.split, rngParts: [this.seed, 'deterministic', id] };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.items.length) {
      throw new ArgumentError('CacheDataset: index out of range', {
        field: 'index',
        expected: `an integer in [0, ${this.items.length})`,
        actual: index,
      });
    }
  }
}

function isRunner(value: readonly DatasetTransform[] | PipelineRunner): value is PipelineRunner {
  return !Array.isArray(value);
}

function defaultCaseId(item: DatasetRecord, index: number): string {
  if (typeof item.id === 'string') return item.id;
  if (typeof item.image === 'string') {
    const parts = item.image.split(/[\\/]/);
    return parts[parts.length - 1];
  }
  return String(index);
}
