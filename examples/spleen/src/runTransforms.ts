/**
 * Applies a transform chain to one record outside a data set (validation of a checkpoint,
 * prediction). Deterministic chains only: the random stream is fixed.
 */
import { DataError, Rng, type Logger } from '@voxelkit/core';
import type { DataRecord, Transform } from '@voxelkit/transforms';

/** Runs `transforms` in order on `record`; a transform that samples several records is an error. */
export async function runTransforms(
  record: DataRecord,
  transforms: Transform[],
  logger: Logger,
  recordName?: string,
): Promise<DataRecord> {
  let current = record;
  const context = { rng: new Rng(0), logger, recordName };
  for (const t of transforms) {
    const out = await t.apply(current, context);
    if (Array.isArray(out)) {
      throw new DataError(`${t.name} returned several records where one was expected`, {
        field: t.name,
      });
    }
    current = out;
  }
  return current;
}
