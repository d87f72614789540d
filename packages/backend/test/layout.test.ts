import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  channelsFirstToTensor,
  tensorToChannelsFirst,
  tensorToChannelsFirstAsync,
} from '@voxelkit/backend';
import { ShapeError } from '@voxelkit/core';

describe('channel-first ↔ channels-last layout', () => {
  it('puts [b, c, x, y, z] at tensor index [b, x, y, z, c]', () => {
    const shape = [2, 3, 2, 4, 5];
    const data = Float32Array.from({ length: 2 * 3 * 2 * 4 * 5 }, (_, i) => i);
    const t = channelsFirstToTensor(data, shape);
    expect(t.shape).toEqual([2, 2, 4, 5, 3]);
    const buf = t.bufferSync();
    // element [b=1, c=2, x=1, y=3, z=4] sits at ((((1*3+2)*2+1)*4+3)*5+4) in channel-first memory
    expect(buf.get(1, 1, 3, 4, 2)).toBe((((1 * 3 + 2) * 2 + 1) * 4 + 3) * 5 + 4);
    expect(buf.get(0, 0, 0, 1, 1)).toBe(2 * 4 * 5 + 1);
    t.dispose();
  });

  it('round-trips through tensorToChannelsFirst (sync and async)', async () => {
    const shape = [1, 2, 3, 2, 2];
    const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const t = channelsFirstToTensor(data, shape);
    expect(tensorToChannelsFirst(t)).toEqual({ data, shape });
    expect(await tensorToChannelsFirstAsync(t)).toEqual({ data, shape });
    t.dispose();
  });

  it('shares memory order for one channel (reshape only)', () => {
    const data = Float32Array.from({ length: 8 }, (_, i) => i);
    const t = channelsFirstToTensor(data, [1, 1, 2, 2, 2]);
    expect(Array.from(t.dataSync())).toEqual(Array.from(data));
    t.dispose();
  });

  it('throws ShapeError on a length mismatch or a non-5D shape', () => {
    expect(() => channelsFirstToTensor(new Float32Array(7), [1, 1, 2, 2, 2])).toThrow(ShapeError);
    expect(() => channelsFirstToTensor(new Float32Array(8), [1, 2, 2, 2])).toThrow(ShapeError);
    const t4 = tf.zeros([1, 2, 2, 2]);
    expect(() => tensorToChannelsFirst(t4 as unknown as tf.Tensor5D)).toThrow(/rank-5/);
    t4.dispose();
  });
});
