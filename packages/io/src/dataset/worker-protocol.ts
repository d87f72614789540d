/**
 * Messages between `WorkerPipeline` (main thread) and its worker script. Everything here is
 * structured-cloneable; typed-array buffers of results are transferred, not copied.
 */
import type { DatasetRecord } from './types.js';
import type { PipelineStage, PipelineStep } from './pipeline.js';

/** Main → worker: build the transforms from a module's factory. */
export interface InitMessage {
  type: 'init';
  /** `file:` URL of the module that exports the factory. */
  module: string;
  /** Name of the exported factory (`default` for a default export). */
  exportName: string;
  /** Structured-cloneable argument passed to the factory. */
  options: unknown;
}

/** Main → worker: run the stages in order. */
export interface RunMessage {
  type: 'run';
  id: number;
  records: DatasetRecord[];
  stages: PipelineStage[];
  recordName: string;
}

/** Worker → main. */
export type WorkerReply =
  | { type: 'ready'; steps: PipelineStep[] }
  | { type: 'done'; id: number; records: DatasetRecord[]; multi: boolean }
  | { type: 'failed'; id: number | null; error: SerializedError }
  | {
      type: 'log';
      id: number;
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown>;
    };

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  details?: { file?: string; field?: string; expected?: unknown; actual?: unknown };
  stack?: string;
}
