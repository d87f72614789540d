/**
 * `EnsureChannelFirstd`: makes sure each volume is channel-first `[C, X, Y, Z]`.
 */
import type { Volume } from '@voxelkit/core';
import { allocate, DataError } from '@voxelkit/core';
import type { DataRecord, Transform } from '../transform.js';
import { isVolume } from './record-access.js';

/** Options of {@link EnsureChannelFirstd}. */
export interface EnsureChannelFirstdOptions {
  /** Record keys of the volumes to check. */
  keys: string[];
  /**
   * Where 4-D inputs keep their channels: `0` (already channel-first, default) or `-1`
   * (channel-last `[X, Y, Z, C]`, moved to the front). 3-D `[X, Y, Z]` inputs always get C = 1.
   */
  channelDim?: 0 | -1;
}

/**
 * Ensures every volume under `keys` is channel-first. Volumes from `loadNifti` already are, so
 * for them this is a validation step: `[C, X, Y, Z]` passes through untouched, `[X, Y, Z]` gains
 * a leading channel of 1 (data shared, no copy), and with `channelDim: -1` a channel-last
 * `[X, Y, Z, C]` volume is transposed to `[C, X, Y, Z]`. Any other rank throws {@link DataError}.
 */
export class EnsureChannelFirstd implements Transform {
  readonly name = 'EnsureChannelFirstd';
  /** Record keys of the volumes checked. */
  readonly keys: string[];
  /** Where 4-D inputs keep their channels (0 = first, -1 = last). */
  readonly channelDim: 0 | -1;

  constructor(options: EnsureChannelFirstdOptions) {
    this.keys = [...options.keys];
    this.channelDim = options.channelDim ?? 0;
  }

  apply(record: DataRecord): DataRecord {
    const out: DataRecord = { ...record };
    for (const key of this.keys) {
      const value = record[key];
      if (!isVolume(value)) {
        throw new DataError(`${this.name}: key "${key}" is missing or not a volume`, {
          field: key,
          expected: 'a volume',
          actual: value === undefined ? 'missing' : typeof value,
        });
      }
      out[key] = this.ensure(value, key);
    }
    return out;
  }

  private ensure(volume: Volume, key: string): Volume {
    if (volume.shape.length === 3) return { ...volume, shape: [1, ...volume.shape] };
    if (volume.shape.length !== 4) {
      throw new DataError(`${this.name}: volume "${key}" has an unsupported rank`, {
        field: `${key}.shape`,
        expected: '[X, Y, Z] or [C, X, Y, Z]',
        actual: volume.shape,
      });
    }
    if (this.channelDim === 0) return volume;
    const [sx, sy, sz, channels] = volume.shape;
    const out = allocate(volume.dtype, volume.data.length);
    const block = sx * sy * sz;
    for (let v = 0; v < block; v++) {
      for (let c = 0; c < channels; c++) out[c * block + v] = volume.data[v * channels + c];
    }
    return { ...volume, data: out, shape: [channels, sx, sy, sz] };
  }
}
