/**
 * Worker-thread side of `WorkerPipeline` (Node only). It imports the user's pipeline module,
 * builds the transforms once with its factory, then runs the ranges of steps it is asked for
 * with the same `runTransforms` as the main thread, so results do not depend on where they ran.
 */
import { parentPort } from 'node:worker_threads';
import { DataError, VoxelkitError, type Logger } from '@voxelkit/core';
import { runStages } from './pipeline.js';
import type { DatasetRecord, DatasetTransform } from './types.js';
import type { InitMessage, RunMessage, SerializedError, WorkerReply } from './worker-protocol.js';

const port = parentPort;
let transforms: DatasetTransform[] | undefined;

if (port) {
  port.on('message', (message: InitMessage | RunMessage) => {
    if (message.type === 'init') void init(message);
    else void run(message);
  });
}

async function init(message: InitMessage): Promise<void> {
  try {
    const module = (await import(message.module)) as Record<string, unknown>;
    const factory = module[message.exportName];
    if (typeof factory !== 'function') {
      throw new DataError('pipeline module does not export the transform factory', {
        file: message.module,
        field: message.exportName,
        expected: 'a function returning the transforms',
        actual: typeof factory,
      });
    }
    const built = (await factory(message.options)) as DatasetTransform[];
    if (!Array.isArray(built) || built.some((t) => typeof t?.apply !== 'function')) {
      throw new DataError('pipeline factory must return an array of transforms', {
        file: message.module,
        field: message.exportName,
        expected: '{ name, random?, apply }[]',
      });
    }
    transforms = built;
    post({ type: 'ready', steps: built.map((t) => ({ name: t.name, random: t.random === true })) });
  } catch (error) {
    post({ type: 'failed', id: null, error: serialize(error) });
  }
}

async function run(message: RunMessage): Promise<void> {
  const logger = forwardingLogger(message.id);
  try {
    const output = await runStages(
      { records: message.records, stages: message.stages, recordName: message.recordName, logger },
      transforms!,
    );
    const reply: WorkerReply = { type: 'done', id: message.id, ...output };
    port!.postMessage(reply, transferables(output.records));
  } catch (error) {
    post({ type: 'failed', id: message.id, error: serialize(error) });
  }
}

function post(reply: WorkerReply): void {
  port!.postMessage(reply);
}

function forwardingLogger(id: number): Logger {
  const send =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>) => {
      try {
        post({ type: 'log', id, level, message, fields });
      } catch {
        // Fields that cannot be cloned are sent as text.
        post({ type: 'log', id, level, message, fields: { text: String(fields) } });
      }
    };
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') };
}

/**
 * Distinct, transferable buffers of the typed arrays in `records`.
 *
 * Limitation: a buffer is detached in this worker once transferred, so a transform must not put
 * an array it keeps for later (e.g. a module-level lookup table) into its output records.
 */
function transferables(records: DatasetRecord[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (value: unknown) => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
      return;
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) visit(child);
  };
  visit(records);
  return [...buffers];
}

function serialize(error: unknown): SerializedError {
  if (error instanceof VoxelkitError) {
    const { file, field, expected, actual } = error.details;
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      details: cloneable({ file, field, expected, actual }),
      stack: error.stack,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, stack: e.stack };
}

function cloneable<T>(value: T): T | undefined {
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}
