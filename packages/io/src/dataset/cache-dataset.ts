/**
 * A data set that runs the deterministic head of a transform pipeline once per case and keeps
 * the result in memory, then applies the random tail on every access, as MONAI's CacheDataset
 * does. The random tail draws from an {@link Rng} derived from `(seed, epoch, case id)`, so a
 * case's augmentation does not depend on the order cases are visited in (cases.md #24), and it
 * works on a structural copy so the cache is never mutated.
 */
import {
  ArgumentError,
  DataError,
  Rng,
  VoxelkitError,
  silentLogger,
  type Logger,
  type ProgressCallback,
} from '@voxelkit/core';
import { cloneRecord } from './clone.js';
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
  /** Cases prepared at once by {@link CacheDataset.init} (default 1). */
  concurrency?: number;
  /**
   * Stable id of a case, used to derive its random stream and name it in messages. Default: its
   * `id` field when a string, else the file name of its `image` field, else its index.
   */
  caseId?: (item: DatasetRecord, index: number) => string;
  /** Copy cached records before the random tail runs (default true; false only if no transform mutates). */
  copyCache?: boolean;
}

interface Prepared {
  records: DatasetRecord[];
  /** True when some transform returned an array, so the result stays an array. */
  multi: boolean;
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
  private readonly head: readonly DatasetTransform[];
  private readonly tail: readonly DatasetTransform[];
  private readonly seed: number | string;
  private readonly logger: Logger;
  private readonly onProgress?: ProgressCallback;
  private readonly concurrency: number;
  private readonly copyCache: boolean;
  private readonly ids: string[];
  private readonly cache = new Map<number, Promise<Prepared>>();

  /**
   * @param items - the cases, e.g. `{ image, label }` records with file paths.
   * @param transforms - the pipeline; nothing runs until {@link init} or {@link get}.
   * @param options - cache size, seed, logger, progress, concurrency, case ids.
   * @throws ArgumentError for options out of range or two cases with the same id.
   */
  constructor(
    items: readonly DatasetRecord[],
    transforms: readonly DatasetTransform[],
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
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ArgumentError('CacheDataset: concurrency must be a positive integer', {
        field: 'concurrency',
        actual: concurrency,
      });
    }
    const firstRandom = transforms.findIndex((t) => t.random === true);
    this.items = items.slice();
    this.head = firstRandom < 0 ? transforms.slice() : transforms.slice(0, firstRandom);
    this.tail = firstRandom < 0 ? [] : transforms.slice(firstRandom);
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
    return this.head.length;
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
      seconds: (Date.now() - started) / 1000,
    });
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
    const base = await this.prepared(index);
    // Only cached records are shared between accesses; uncached ones are fresh on every call.
    const shared = index < this.cacheCount;
    const records = shared && this.copyCache ? cloneRecord(base.records) : base.records;
    const id = this.ids[index];
    const context = {
      rng: Rng.derive(this.seed, 'epoch', epoch, id),
      logger: this.logger,
      recordName: id,
    };
    const out = await runTransforms(records, this.tail, context);
    return base.multi || out.multi ? out.records : out.records[0];
  }

  private prepared(index: number): Promise<Prepared> {
    const cached = this.cache.get(index);
    if (cached) return cached;
    const id = this.ids[index];
    const context = {
      rng: Rng.derive(this.seed, 'deterministic', id),
      logger: this.logger,
      recordName: id,
    };
    const promise = runTransforms([this.items[index]], this.head, context);
    if (index < this.cacheCount) {
      this.cache.set(index, promise);
      // A failed preparation is not kept, so a later access can retry it.
      promise.catch(() => this.cache.delete(index));
    }
    return promise;
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

async function runTransforms(
  records: DatasetRecord[],
  transforms: readonly DatasetTransform[],
  context: { rng: Rng; logger: Logger; recordName: string },
): Promise<Prepared> {
  let current = records;
  let multi = false;
  for (const transform of transforms) {
    const next: DatasetRecord[] = [];
    for (const record of current) {
      let result: DatasetTransformResult;
      try {
        result = await transform.apply(record, context);
      } catch (error) {
        if (error instanceof VoxelkitError) throw error;
        throw new DataError(`transform ${transform.name} failed on case ${context.recordName}`, {
          field: transform.name,
          cause: error,
        });
      }
      if (Array.isArray(result)) {
        multi = true;
        next.push(...result);
      } else {
        next.push(result);
      }
    }
    current = next;
  }
  return { records: current, multi };
}

function defaultCaseId(item: DatasetRecord, index: number): string {
  if (typeof item.id === 'string') return item.id;
  if (typeof item.image === 'string') {
    const parts = item.image.split(/[\\/]/);
    return parts[parts.length - 1];
  }
  return String(index);
}
