/**
 * `LoadImaged`: replaces file paths in a record by the volumes they hold.
 */
import type { Logger, Volume } from '@voxelkit/core';
import { DataError, ResourceError, silentLogger } from '@voxelkit/core';
import type { DataRecord, Transform, TransformContext } from '../transform.js';
import { isVolume } from '../spatial/record-access.js';

/** Reads one image file into a channel-first volume. */
export type VolumeReader = (path: string) => Promise<Volume>;

/** Options of {@link LoadImaged}. */
export interface LoadImagedOptions {
  /** Record keys holding file paths. */
  keys: string[];
  /** How to read a path; default `loadNifti` from `@voxelkit/io` (Node only). */
  reader?: VolumeReader;
  /** Where the reader reports recoverable problems (passed to `loadNifti`). */
  logger?: Logger;
}

/**
 * Loads the file named under each key (default reader: `loadNifti` from `@voxelkit/io`, which
 * returns channel-first `[C, X, Y, Z]` volumes with their affine and header). A value that is
 * already a volume is kept as it is, so records can mix paths and in-memory volumes. A missing
 * key or a value that is neither a path nor a volume throws {@link DataError} naming the key.
 *
 * @example
 * ```ts
 * const rec = await new LoadImaged({ keys: ['image', 'label'] }).apply(
 *   { image: 'ct.nii.gz', label: 'seg.nii.gz' }, ctx);
 * ```
 */
export class LoadImaged implements Transform {
  readonly name = 'LoadImaged';
  /** Record keys holding file paths. */
  readonly keys: string[];
  private readonly reader?: VolumeReader;
  private readonly logger?: Logger;

  constructor(options: LoadImagedOptions) {
    this.keys = [...options.keys];
    this.reader = options.reader;
    this.logger = options.logger;
  }

  async apply(record: DataRecord, context?: Partial<TransformContext>): Promise<DataRecord> {
    const out: DataRecord = { ...record };
    const reader =
      this.reader ?? (await defaultReader(this.logger ?? context?.logger ?? silentLogger));
    for (const key of this.keys) {
      const value = record[key];
      if (isVolume(value)) continue;
      if (typeof value !== 'string') {
        throw new DataError(`${this.name}: key "${key}" does not hold a file path`, {
          field: key,
          expected: 'a file path string',
          actual: value === undefined ? 'missing' : typeof value,
        });
      }
      out[key] = await reader(value);
    }
    return out;
  }
}

/**
 * `loadNifti` from `@voxelkit/io`, imported lazily so this package stays usable in browsers
 * (where callers pass their own `reader`).
 */
async function defaultReader(logger: Logger): Promise<VolumeReader> {
  const io = (await import('@voxelkit/io')) as {
    loadNifti?: (path: string, options?: { logger?: Logger }) => Promise<Volume>;
  };
  const load = io.loadNifti;
  if (typeof load !== 'function') {
    throw new ResourceError('LoadImaged: @voxelkit/io provides no loadNifti; pass a reader', {
      field: 'reader',
    });
  }
  return (path) => load(path, { logger });
}
