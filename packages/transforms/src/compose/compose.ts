/**
 * `Compose`: runs transforms one after another. A transform that returns several records (random
 * crops) makes every later transform run on each of them; the result is then a flat list. Works
 * with synchronous and asynchronous transforms alike, staying synchronous while it can.
 */
import { ArgumentError, DataError, Rng, VoxelkitError, silentLogger } from '@voxelkit/core';
import type { Logger } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext, TransformResult } from '../transform.js';
import { recordRng } from './seeding.js';

/** Options of {@link Compose}. */
export interface ComposeOptions {
  /** Used by {@link Compose.run} when the call does not pass one (default: silent). */
  logger?: Logger;
}

/** Options of {@link Compose.run}. */
export interface RunOptions {
  /** The record's random stream; wins over `seed`. */
  rng?: Rng;
  /** Seed from which the stream is derived with `epoch` and `recordName` (default 0). */
  seed?: number | string;
  /** Epoch number mixed into the derived stream (default 0). */
  epoch?: number;
  /** The record's name (e.g. case id): in messages, and part of the derived seed. */
  recordName?: string;
  /** Overrides the Compose's logger for this call. */
  logger?: Logger;
}

/**
 * A pipeline of transforms, itself a {@link Transform} (so pipelines nest).
 *
 * Seeding: every random transform draws from the single `context.rng` in pipeline order, so
 * consecutive random transforms get different numbers and the same stream gives the same output.
 * Pass one stream per record (see {@link recordRng}).
 *
 * @example
 * ```ts
 * const train = new Compose([
 *   new RandCropByPosNegLabeld({ keys: ['image', 'label'], labelKey: 'label', spatialSize: [96, 96, 96], numSamples: 4 }),
 *   new RandFlipd({ keys: ['image', 'label'], prob: 0.1, spatialAxis: 0 }),
 * ]);
 * const patches = await train.run({ image, label }, { seed: 0, epoch: 2, recordName: 'spleen_12' });
 * patches.length; // 4
 * ```
 */
export class Compose implements Transform {
  readonly name: string = 'Compose';
  /** The member transforms, in order. */
  readonly transforms: readonly Transform[];
  /** Logger used by {@link Compose.run} unless the call passes one. */
  readonly logger: Logger;

  constructor(transforms: readonly Transform[], options: ComposeOptions = {}) {
    if (!Array.isArray(transforms)) {
      throw new ArgumentError('Compose: expects a list of transforms', {
        field: 'transforms',
        actual: typeof transforms,
      });
    }
    transforms.forEach((t, i) => {
      if (typeof t !== 'object' || t === null || typeof t.apply !== 'function') {
        throw new ArgumentError('Compose: every entry must be a transform with an apply method', {
          field: `transforms[${i}]`,
          actual: t === null ? 'null' : typeof t,
        });
      }
    });
    this.transforms = [...transforms];
    this.logger = options.logger ?? silentLogger;
  }

  /** True when any member transform is random. */
  get random(): boolean {
    return this.transforms.some((t) => t.random === true);
  }

  /**
   * Applies every transform in order. Returns a record, or a flat list of records when some
   * transform produced several; returns a Promise only if some transform did.
   */
  apply(record: DataRecord, context: TransformContext): TransformResult | Promise<TransformResult> {
    return applyFrom(this.transforms, 0, record, context);
  }

  /**
   * Convenience entry point: builds the context (stream from `rng`, or derived from
   * `seed`/`epoch`/`recordName`) and always returns a list of records.
   *
   * @example
   * ```ts
   * const [out] = await new Compose([new Flipd({ keys: ['image'], spatialAxis: 0 })]).run({ image });
   * ```
   */
  async run(record: DataRecord, options: RunOptions = {}): Promise<DataRecord[]> {
    const rng =
      options.rng ?? recordRng(options.seed ?? 0, options.epoch ?? 0, options.recordName ?? '');
    const context: TransformContext = {
      rng,
      logger: options.logger ?? this.logger,
      ...(options.recordName === undefined ? {} : { recordName: options.recordName }),
    };
    const result = await this.apply(record, context);
    return Array.isArray(result) ? result : [result];
  }
}

function applyFrom(
  transforms: readonly Transform[],
  start: number,
  record: DataRecord,
  context: TransformContext,
): TransformResult | Promise<TransformResult> {
  let current: DataRecord = record;
  for (let i = start; i < transforms.length; i++) {
    const result = callTransform(transforms[i], current, context);
    if (isPromise(result)) {
      return result.then((r) => continueWith(transforms, i + 1, r, context));
    }
    if (Array.isArray(result)) return continueWith(transforms, i + 1, result, context);
    current = result;
  }
  return current;
}

/** Applies the rest of the pipeline to one result, fanning out over lists, in order. */
function continueWith(
  transforms: readonly Transform[],
  next: number,
  result: TransformResult,
  context: TransformContext,
): TransformResult | Promise<TransformResult> {
  if (!Array.isArray(result)) return applyFrom(transforms, next, result, context);
  const outputs: DataRecord[] = [];
  // Elements are processed strictly one after another so they draw from the stream in order.
  for (let j = 0; j < result.length; j++) {
    const r = applyFrom(transforms, next, result[j], context);
    if (isPromise(r)) {
      return r.then(async (first) => {
        push(outputs, first);
        for (let k = j + 1; k < result.length; k++) {
          push(outputs, await applyFrom(transforms, next, result[k], context));
        }
        return outputs;
      });
    }
    push(outputs, r);
  }
  return outputs;
}

function callTransform(
  transform: Transform,
  record: DataRecord,
  context: TransformContext,
): TransformResult | Promise<TransformResult> {
  try {
    const result = transform.apply(record, context);
    return isPromise(result)
      ? result.catch((e: unknown) => rethrow(e, transform, context))
      : result;
  } catch (e) {
    return rethrow(e, transform, context);
  }
}

/** Our typed errors already name transform and key; anything else is wrapped so it does too. */
function rethrow(error: unknown, transform: Transform, context: TransformContext): never {
  if (error instanceof VoxelkitError) throw error;
  const where = context.recordName === undefined ? '' : ` on record ${context.recordName}`;
  throw new DataError(`Compose: transform ${transform.name} failed${where}: ${String(error)}`, {
    field: transform.name,
    cause: error,
  });
}

function push(outputs: DataRecord[], result: TransformResult): void {
  if (Array.isArray(result)) outputs.push(...result);
  else outputs.push(result);
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
