/**
 * Runs a transform pipeline in worker threads (Node only), so decoding, resampling and
 * augmentation proceed in parallel with a training step on the main thread, as MONAI's
 * DataLoader workers do. Transform objects hold closures and cannot be sent to a worker, so each
 * worker builds its own copy from a module that exports a factory; records travel by structured
 * clone (inputs) and transfer (results).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  ArgumentError,
  DataError,
  FormatError,
  ResourceError,
  ShapeError,
  VoxelkitError,
  silentLogger,
  type Logger,
} from '@voxelkit/core';
import type { PipelineOutput, PipelineRun, PipelineRunner, PipelineStep } from './pipeline.js';
import type { RunMessage, SerializedError, WorkerReply } from './worker-protocol.js';

/** Options of {@link WorkerPipeline.start}. */
export interface WorkerPipelineOptions {
  /**
   * Module exporting the transform factory: a path or `file:` URL. The factory receives
   * `options.factoryOptions` and returns the transforms (or a promise of them). TypeScript
   * modules (`.ts`, `.mts`) are loaded through `tsx`, which must then be installed.
   */
  module: string | URL;
  /** Exported name of the factory (default `default`). */
  exportName?: string;
  /** Argument of the factory; must be structured-cloneable (no functions). */
  factoryOptions?: unknown;
  /** Number of worker threads (default 2). */
  workers?: number;
  /** Receives worker start-up and crash messages. */
  logger?: Logger;
}

interface Job {
  message: RunMessage;
  logger: Logger;
  resolve: (output: PipelineOutput) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/**
 * A {@link PipelineRunner} whose steps run in a pool of worker threads. Pass it to
 * `CacheDataset` in place of the transform list; the cache stays on the main thread.
 *
 * @example
 * ```ts
 * // pipeline.ts: export function createTransforms(opts) { return [load, orient, randCrop]; }
 * const pipeline = await WorkerPipeline.start({
 *   module: new URL('./pipeline.ts', import.meta.url), exportName: 'createTransforms', workers: 2,
 * });
 * const ds = new CacheDataset(items, pipeline, { seed: 0 });
 * // … train …
 * await pipeline.close();
 * ```
 */
export class WorkerPipeline implements PipelineRunner {
  /** Name and `random` flag of each transform, as built in the workers. */
  readonly steps: readonly PipelineStep[];
  /** True: records are structured-cloned into the worker. */
  readonly copiesInput = true;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly logger: Logger;
  private nextId = 0;
  private closed = false;

  private constructor(slots: Slot[], steps: PipelineStep[], logger: Logger) {
    this.slots = slots;
    this.steps = steps;
    this.logger = logger;
    for (const slot of slots) this.watch(slot);
  }

  /**
   * Starts the workers, builds the transforms in each, and resolves once all are ready.
   *
   * @throws ArgumentError for a bad worker count; DataError when the module cannot be loaded,
   *   does not export the factory, or workers disagree on the steps.
   */
  static async start(options: WorkerPipelineOptions): Promise<WorkerPipeline> {
    const count = options.workers ?? 2;
    if (!Number.isInteger(count) || count < 1) {
      throw new ArgumentError('WorkerPipeline: workers must be a positive integer', {
        field: 'workers',
        actual: count,
      });
    }
    const logger = options.logger ?? silentLogger;
    const module = toFileUrl(options.module);
    const slots: Slot[] = [];
    try {
      const steps = await Promise.all(
        Array.from({ length: count }, async () => {
          const worker = spawn(module);
          slots.push({ worker });
          return handshake(worker, module, options.exportName ?? 'default', options.factoryOptions);
        }),
      );
      const names = JSON.stringify(steps[0]);
      if (steps.some((s) => JSON.stringify(s) !== names)) {
        throw new DataError('WorkerPipeline: workers built different pipelines', { file: module });
      }
      logger.info('WorkerPipeline: workers ready', { workers: count, steps: steps[0].length });
      return new WorkerPipeline(slots, steps[0], logger);
    } catch (error) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw error;
    }
  }

  /** Number of live worker threads. */
  get workers(): number {
    return this.slots.length;
  }

  /** Runs that make progress at once: one per worker. */
  get parallelism(): number {
    return this.slots.length;
  }

  /** Runs the stages of `request` on a free worker (queued when all are busy). */
  run(request: PipelineRun): Promise<PipelineOutput> {
    if (this.closed) {
      return Promise.reject(new DataError('WorkerPipeline: used after close()'));
    }
    return new Promise<PipelineOutput>((resolve, reject) => {
      const message: RunMessage = {
        type: 'run',
        id: this.nextId++,
        records: request.records,
        stages: request.stages,
        recordName: request.recordName,
      };
      this.queue.push({ message, logger: request.logger, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; pending runs are rejected. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new DataError('WorkerPipeline: closed while runs were pending');
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const slot of this.slots) slot.job?.reject(error);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      // A busy worker keeps the process alive; an idle one does not (no close() needed to exit).
      slot.worker.ref();
      try {
        slot.worker.postMessage(job.message);
      } catch (error) {
        slot.job = undefined;
        slot.worker.unref();
        job.reject(
          new DataError('WorkerPipeline: a record cannot be sent to a worker (not cloneable)', {
            field: job.message.recordName,
            cause: error,
          }),
        );
      }
    }
  }

  private watch(slot: Slot): void {
    slot.worker.unref();
    slot.worker.on('message', (reply: WorkerReply) => {
      const job = slot.job;
      if (reply.type === 'log') {
        job?.logger[reply.level](reply.message, reply.fields);
        return;
      }
      if (!job || (reply.type !== 'ready' && reply.id !== job.message.id)) return;
      slot.job = undefined;
      slot.worker.unref();
      if (reply.type === 'done') job.resolve({ records: reply.records, multi: reply.multi });
      else if (reply.type === 'failed') job.reject(revive(reply.error));
      this.dispatch();
    });
    slot.worker.on('error', (error) => {
      this.logger.error('WorkerPipeline: a worker crashed', { error: String(error) });
      slot.job?.reject(
        new DataError('WorkerPipeline: the worker running this case crashed', {
          field: slot.job.message.recordName,
          cause: error,
        }),
      );
      slot.job = undefined;
    });
    slot.worker.on('exit', (code) => {
      // A dead worker takes no more jobs; the others keep going.
      slot.job?.reject(
        new DataError('WorkerPipeline: the worker running this case exited', {
          field: slot.job.message.recordName,
          actual: `exit code ${code}`,
        }),
      );
      slot.job = undefined;
      const index = this.slots.indexOf(slot);
      if (index >= 0 && !this.closed) this.slots.splice(index, 1);
      if (this.slots.length === 0 && !this.closed) {
        const error = new DataError('WorkerPipeline: all workers have exited');
        for (const job of this.queue.splice(0)) job.reject(error);
      }
    });
  }
}

// Limitation: Node worker threads only; there is no Web Worker runner for browsers yet.

/** The worker script next to this module: built `.js`, or the `.ts` source through tsx. */
function spawn(module: string): Worker {
  const here = currentFile();
  const built = path.join(path.dirname(here), 'pipeline-worker.js');
  const source = path.join(path.dirname(here), 'pipeline-worker.ts');
  const script = existsSync(built) ? built : source;
  const needsTsx = script.endsWith('.ts') || /\.m?ts$/.test(module);
  if (!needsTsx) return new Worker(script);
  // Node 20 does not pass `--import tsx` on to workers; register tsx inside the worker instead.
  const tsxApi = pathToFileURL(tsxEsmApi(here)).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(script).href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Path of tsx's ESM register API (its `import` export; `require.resolve` gives the CJS one). */
function tsxEsmApi(from: string): string {
  let manifestPath: string;
  try {
    manifestPath = createRequire(from).resolve('tsx/package.json');
  } catch (error) {
    throw new DataError('WorkerPipeline: TypeScript sources in workers need the tsx package', {
      field: 'module',
      expected: 'tsx installed, or a built .js pipeline module',
      cause: error,
    });
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return path.join(path.dirname(manifestPath), manifest.exports['./esm/api'].import.default);
}

function handshake(
  worker: Worker,
  module: string,
  exportName: string,
  factoryOptions: unknown,
): Promise<PipelineStep[]> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: WorkerReply) => {
      if (reply.type === 'ready') {
        cleanup();
        resolve(reply.steps);
      } else if (reply.type === 'failed') {
        cleanup();
        reject(revive(reply.error));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        new DataError('WorkerPipeline: a worker failed to start', { file: module, cause: error }),
      );
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ type: 'init', module, exportName, options: factoryOptions });
  });
}

const ERROR_CLASSES: Record<string, new (message: string) => VoxelkitError> = {
  E_FORMAT: FormatError,
  E_ARGUMENT: ArgumentError,
  E_SHAPE: ShapeError,
  E_DATA: DataError,
  E_RESOURCE: ResourceError,
};

/** Rebuilds a worker's error as the same typed error class, with its message and details. */
function revive(serialized: SerializedError): Error {
  const Class = serialized.code ? ERROR_CLASSES[serialized.code] : undefined;
  const error = Class ? new Class('') : new Error('');
  Object.defineProperty(error, 'message', { value: serialized.message, enumerable: false });
  if (error instanceof VoxelkitError) Object.assign(error.details, serialized.details ?? {});
  error.stack = `${error.name}: ${serialized.message}\n    (in a WorkerPipeline worker)\n${serialized.stack ?? ''}`;
  return error;
}

function toFileUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return /^file:/.test(module) ? module : pathToFileURL(path.resolve(module)).href;
}

function currentFile(): string {
  // CommonJS builds have __filename; ESM builds and sources have import.meta.url.
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}
