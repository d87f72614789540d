/**
 * The dictionary-transform contract. A transform takes a record of named entries (volumes under
 * keys such as `image` and `label`, plus any other values) and returns a new record, or a list of
 * records when it samples several patches. Built-in and user transforms implement the same
 * interface, so they compose freely.
 */
import type { Logger, Rng, Volume } from '@voxelkit/core';

/** A record flowing through a pipeline: volumes and other values under string keys. */
export type DataRecord = { [key: string]: unknown };

/** What a transform may use besides its input. */
export interface TransformContext {
  /** Random stream for this record; random transforms draw from it and nothing else. */
  rng: Rng;
  /** Where recoverable degradations are reported. */
  logger: Logger;
  /** A name for the record in messages (e.g. the case id or file name). */
  recordName?: string;
}

/** Result of applying a transform: one record, or several (e.g. random crops). */
export type TransformResult = DataRecord | DataRecord[];

/**
 * A dictionary transform. `apply` must not mutate its input record's volumes in place unless
 * the transform says so in its documentation; it returns new records.
 */
export interface Transform {
  /** Name used in errors and in the recorded history (e.g. `'Orientationd'`). */
  readonly name: string;
  /** True when the output depends on `context.rng`. */
  readonly random?: boolean;
  /**
   * Transforms one record. Returns a new record, a list of records (e.g. several random crops;
   * later pipeline steps then run on each), or a Promise of either.
   */
  apply(record: DataRecord, context: TransformContext): TransformResult | Promise<TransformResult>;
}

/**
 * A transform that records what it did on each volume (in `volume.meta.applied`) and can undo
 * it, so predictions can be mapped back onto the input grid.
 */
export interface InvertibleTransform extends Transform {
  /** Undoes one recorded operation on `volume`; `op` is the entry this transform recorded. */
  invertVolume(volume: Volume, op: AppliedOperation): Volume;
}

/** One entry of a volume's history in `volume.meta.applied`. */
export interface AppliedOperation {
  /** The transform's `name`. */
  transform: string;
  /** Everything needed to undo the operation (shapes, affines, boxes, flips…). */
  params: { [key: string]: unknown };
}
