import { describe, expect, it } from 'vitest';
import { initBackend } from '@voxelkit/backend';
import { FormatError } from '@voxelkit/core';
import { UNet, encodeSafetensors, loadSafetensors, readSafetensors } from '@voxelkit/nets';
import { maxAbsDiff, readGoldenJson, readGoldenStateDict } from './helpers/golden.js';

/** Builds safetensors bytes by hand (independently of encodeSafetensors) for the reader test. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('reads a hand-built file with F32, F16, BF16 and I64 tensors and metadata', () => {
    const data = new Uint8Array(4 * 2 + 2 * 2 + 2 + 8);
    const view = new DataView(data.buffer);
    view.setFloat32(0, 1.5, true);
    view.setFloat32(4, -2, true);
    view.setUint16(8, 0x3c00, true); // F16 1.0
    view.setUint16(10, 0xc000, true); // F16 -2.0
    view.setUint16(12, 0x4049, true); // BF16 3.140625
    view.setBigInt64(14, 7n, true); // unaligned on purpose
    const bytes = handMade(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [1, 2], data_offsets: [8, 12] },
        b: { dtype: 'BF16', shape: [], data_offsets: [12, 14] },
        n: { dtype: 'I64', shape: [], data_offsets: [14, 22] },
      },
      data,
    );
    const file = readSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(Array.from(file.tensors.get('a')!.data)).toEqual([1.5, -2]);
    expect(file.tensors.get('h')).toEqual({ shape: [1, 2], data: Float32Array.of(1, -2) });
    expect(file.tensors.get('b')!.data[0]).toBe(3.140625);
    expect(file.tensors.get('n')!.data[0]).toBe(7);
    expect(file.dtypes.get('n')).toBe('I64');
  });

  it('rejects truncated and inconsistent files with FormatError', () => {
    expect(() => loadSafetensors(new Uint8Array(4), 'x.safetensors')).toThrow(FormatError);
    const tooLong = handMade(
      { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
      new Uint8Array(8),
    );
    expect(() => loadSafetensors(tooLong)).toThrow(/outside the data section/);
    const mismatch = handMade(
      { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
      new Uint8Array(8),
    );
    expect(() => loadSafetensors(mismatch)).toThrow(/do not match/);
    const badType = handMade(
      { a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } },
      new Uint8Array(8),
    );
    expect(() => loadSafetensors(badType)).toThrow(/dtype/);
    const bytes = handMade({ a: 1 }, new Uint8Array(0));
    bytes[8] = 0x7b + 1; // break the JSON
    expect(() => loadSafetensors(bytes)).toThrow(/JSON/);
  });

  it('a safetensors file built from the golden blob loads into the UNet and gives back the same weights', async () => {
    await initBackend();
    const golden = readGoldenJson();
    const weights = readGoldenStateDict(golden);
    const tensors = new Map(
      [...weights].map(([name, e]) => [
        name,
        { ...e, dtype: name.endsWith('num_batches_tracked') ? ('I64' as const) : ('F32' as const) },
      ]),
    );
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    expect(new DataView(bytes.buffer).getBigUint64(0, true) % 8n).toBe(0n); // padded header
    const loaded = loadSafetensors(bytes);
    expect([...loaded.keys()]).toEqual([...weights.keys()]);
    const net = new UNet({
      spatialDims: 3,
      inChannels: 1,
      outChannels: 2,
      channels: [16, 32, 64, 128, 256],
      strides: [2, 2, 2, 2],
      numResUnits: 2,
      norm: 'batch',
    });
    net.loadStateDict(loaded);
    const back = net.stateDict();
    for (const [name, entry] of weights) {
      expect(maxAbsDiff(back.get(name)!.data, entry.data), name).toBe(0);
    }
    expect(back.get('model.0.conv.unit0.adn.N.num_batches_tracked')!.data[0]).toBe(2);
    net.dispose();
  });
});
