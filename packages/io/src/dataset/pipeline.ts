/**
 * Where a pipeline's transforms run. {@link CacheDataset} asks a {@link PipelineRunner} to run a
 * range of steps on some records; {@link LocalPipeline} runs them in this thread, and
 * `WorkerPipeline` (in `@voxelkit/io/node`) runs them in worker threads. Both use
 * {@link runTransforms}, so results are identical wherever they run.
 */
import { DataError, Rng, VoxelkitError, type Logger } from '@voxelkit/core';
import type { DatasetRecord, DatasetTransform, DatasetTransformResult } from './types.js';

/** Name and randomness of one pipeline step, all a scheduler needs to know about it. */
export interface PipelineStep {
  /** The transform's name. */
  name: string;
  /** True when the transform draws from the random stream. */
  random?: boolean;
}

/** A range of steps `[start, end)` sharing one random stream `Rng.derive(...rngParts)`. */
export interface PipelineStage {
  /** First step of the stage. */
  start: number;
  /** One past the last step of the stage. */
  end: number;
  /** Parts passed to `Rng.derive` for this stage's stream. */
  rngParts: (number | string)[];
}

/**
 * One request to a {@link PipelineRunner}: run the stages in order on `records`. Several stages
 * in one request save a round trip when the runner is a worker.
 */
export interface PipelineRun {
  /** Input records (one case, or its samples). */
  records: DatasetRecord[];
  /** Stages to run in order, each on the previous one's output. */
  stages: PipelineStage[];
  /** The case id, for messages. */
  recordName: string;
  /** Receives what the transforms log. */
  logger: Logger;
}

/** Records produced by a run; `multi` is true when some step returned an array. */
export interface PipelineOutput {
  /** The output records, flattened. */
  records: DatasetRecord[];
  /** True when some step returned an array (so the case yields a list of samples). */
  multi: boolean;
}

/** Runs ranges of a fixed list of transforms, here or elsewhere. */
export interface PipelineRunner {
  /** The steps, in order. */
  readonly steps: readonly PipelineStep[];
  /**
   * True when `run` never mutates the records it is given (e.g. they are copied to a worker),
   * so a cache may hand over its records without copying them first.
   */
  readonly copiesInput: boolean;
  /** How many runs make progress at once (workers); `CacheDataset.init` uses it by default. */
  readonly parallelism?: number;
  /** Runs the stages of `request`; rejects with the transform's (typed) error. */
  run(request: PipelineRun): Promise<PipelineOutput>;
}

/**
 * A {@link PipelineRunner} that runs transforms in the calling thread.
 *
 * @example
 * ```ts
 * const runner = new LocalPipeline([load, orient, randCrop]);
 * ```
 */
export class LocalPipeline implements PipelineRunner {
  /** Name and `random` flag of each transform. */
  readonly steps: readonly PipelineStep[];
  /** False: transforms receive the records they are given. */
  readonly copiesInput = false;
  private readonly transforms: readonly DatasetTransform[];

  /** @param transforms - the pipeline, in order. */
  constructor(transforms: readonly DatasetTransform[]) {
    this.transforms = transforms.slice();
    this.steps = this.transforms.map((t) => ({ name: t.name, random: t.random === true }));
  }

  /** Runs the stages of `request` in this thread. */
  run(request: PipelineRun): Promise<PipelineOutput> {
    return runStages(request, this.transforms);
  }
}

/**
 * Runs each stage of `request` with {@link runTransforms} on the previous stage's output.
 */
export async function runStages(
  request: PipelineRun,
  transforms: readonly DatasetTransform[],
): Promise<PipelineOutput> {
  let output: PipelineOutput = { records: request.records, multi: false };
  for (const stage of request.stages) {
    const next = await runTransforms(
      { ...request, records: output.records, rngParts: stage.rngParts },
      transforms.slice(stage.start, stage.end),
    );
    output = { records: next.records, multi: output.multi || next.multi };
  }
  return output;
}

/**
 * Applies `transforms` in order to every record; a transform returning an array makes the later
 * ones apply to each element. All transforms of one run share one stream,
 * `Rng.derive(...rngParts)`, drawn from in order.
 *
 * @throws the transform's own error when it is a voxelkit error; otherwise a DataError naming
 *   the transform and the case.
 */
export async function runTransforms(
  request: {
    records: DatasetRecord[];
    rngParts: (number | string)[];
    recordName: string;
    logger: Logger;
  },
  transforms: readonly DatasetTransform[],
): Promise<PipelineOutput> {
  const context = {
    rng: Rng.derive(...request.rngParts),
    logger: request.logger,
    recordName: request.recordName,
  };
  let current = request.records;
  let multi = false;
  for (const transform of transforms) {
    const next: DatasetRecord[] = [];
    for (const record of current) {
      let result: DatasetTransformResult;
      try {
        result = await transform.apply(record, context);
      } catch (error) {
        if (error instanceof VoxelkitError) throw error;
        throw new DataError(`transform ${transform.name} failed on case ${request.recordName}`, {
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
