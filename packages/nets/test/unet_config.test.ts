import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@voxelkit/backend';
import { ArgumentError, DataError, ShapeError } from '@voxelkit/core';
import { UNet } from '@voxelkit/nets';

beforeAll(async () => {
  await initBackend();
});

describe('UNet structure for other configurations', () => {
  it('numResUnits 0 + instance norm: MONAI names and a hand-counted 1,636 parameters', () => {
    // channels (4, 8), strides (2,), in 1, out 2:
    //   model.0           Convolution 1→4 s2: 4·1·27 + 4 weights/bias + 1 PReLU      = 113
    //   model.1.submodule Convolution 4→8 s1: 8·4·27 + 8 + 1                          = 873
    //   model.2           ConvTranspose 12→2 s2, conv only (top, no res units): 12·2·27 + 2 = 650
    // InstanceNorm3d has no parameters (affine=False).
    const net = new UNet({
      spatialDims: 3,
      inChannels: 1,
      outChannels: 2,
      channels: [4, 8],
      strides: [2],
    });
    expect([...net.namedParameters().keys()]).toEqual([
      'model.0.conv.weight',
      'model.0.conv.bias',
      'model.0.adn.A.weight',
      'model.1.submodule.conv.weight',
      'model.1.submodule.conv.bias',
      'model.1.submodule.adn.A.weight',
      'model.2.conv.weight',
      'model.2.conv.bias',
    ]);
    expect(net.numParameters()).toBe(1636);
    expect(net.stateDict().get('model.2.conv.weight')!.shape).toEqual([12, 2, 3, 3, 3]);
    const y = net.apply(tf.randomNormal([2, 8, 4, 6, 1]) as tf.Tensor5D, { training: true });
    expect(y.shape).toEqual([2, 8, 4, 6, 2]);
    tf.dispose(y);
    net.dispose();
  });

  it('stride 3 (output_padding 2 beyond the full transposed-conv output) keeps the size', () => {
    const net = new UNet({
      spatialDims: 3,
      inChannels: 1,
      outChannels: 2,
      channels: [2, 4],
      strides: [3],
    });
    expect(net.sizeDivisor).toBe(3);
    const x = tf.randomNormal([1, 6, 9, 3, 1]) as tf.Tensor5D;
    const y = net.apply(x, { training: false });
    expect(y.shape).toEqual([1, 6, 9, 3, 2]);
    expect(() => net.apply(tf.zeros([1, 6, 9, 4, 1]) as tf.Tensor5D, { training: false })).toThrow(
      /nearest valid sizes: 3 or 6/,
    );
    tf.dispose([x, y]);
    net.dispose();
  });

  it('bias=false drops every conv bias; BatchNorm adds weight/bias/running stats', () => {
    const net = new UNet({
      spatialDims: 3,
      inChannels: 1,
      outChannels: 3,
      channels: [4, 8],
      strides: [2],
      numResUnits: 1,
      norm: 'batch',
      bias: false,
      dropout: 0.2,
    });
    const names = [...net.stateDict().keys()];
    expect(names.some((n) => n.endsWith('conv.bias'))).toBe(false);
    expect(names).toContain('model.0.conv.unit0.adn.N.running_var');
    expect(names).toContain('model.0.conv.unit0.adn.N.num_batches_tracked');
    expect(names).toContain('model.0.residual.weight'); // strided residual conv
    expect(names).toContain('model.1.submodule.residual.weight'); // 1×1×1 channel adapter
    expect(net.stateDict().get('model.1.submodule.residual.weight')!.shape).toEqual([
      8, 4, 1, 1, 1,
    ]);
    // The top up layer's residual unit ends conv-only: no norm/act after the last conv.
    expect(names.filter((n) => n.startsWith('model.2.1.'))).toEqual([
      'model.2.1.conv.unit0.conv.weight',
    ]);
    net.dispose();
  });

  it('training mode updates BatchNorm running statistics as PyTorch (momentum 0.1, unbiased var)', () => {
    const net = new UNet({
      spatialDims: 3,
      inChannels: 1,
      outChannels: 2,
      channels: [2, 4],
      strides: [2],
      norm: 'batch',
    });
    // Make model.0's conv the identity-like 1→2 map "x, 2x" (centre tap), no bias.
    const dict = net.stateDict();
    const w = new Float32Array(2 * 27);
    w[13] = 1;
    w[27 + 13] = 2;
    dict.set('model.0.conv.weight', { shape: [2, 1, 3, 3, 3], data: w });
    dict.set('model.0.conv.bias', { shape: [2], data: new Float32Array(2) });
    net.loadStateDict(dict);
    // Stride-2 conv keeps voxels (0,0,0),(0,0,2),… of the padded input: input values at even indices.
    const x = tf.tensor5d(
      Float32Array.from({ length: 64 }, (_, i) => i % 7),
      [1, 4, 4, 4, 1],
    );
    const picked = Array.from(
      tf.tidy(() =>
        tf.stridedSlice(x, [0, 0, 0, 0, 0], [1, 4, 4, 4, 1], [1, 2, 2, 2, 1]).dataSync(),
      ) as Float32Array,
    );
    const n = picked.length;
    const mean = picked.reduce((a, v) => a + v, 0) / n;
    const unbiased = picked.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
    tf.dispose(net.apply(x, { training: true }));
    const after = net.stateDict();
    const rm = after.get('model.0.adn.N.running_mean')!.data;
    const rv = after.get('model.0.adn.N.running_var')!.data;
    expect(rm[0]).toBeCloseTo(0.1 * mean, 5);
    expect(rm[1]).toBeCloseTo(0.1 * 2 * mean, 5);
    expect(rv[0]).toBeCloseTo(0.9 + 0.1 * unbiased, 4);
    expect(rv[1]).toBeCloseTo(0.9 + 0.1 * 4 * unbiased, 4);
    expect(after.get('model.0.adn.N.num_batches_tracked')!.data[0]).toBe(1);
    tf.dispose(x);
    net.dispose();
  });
});

describe('UNet input and weight validation', () => {
  const net = new UNet({
    spatialDims: 3,
    inChannels: 1,
    outChannels: 2,
    channels: [2, 2, 2, 2, 2],
    strides: [2, 2, 2, 2],
    numResUnits: 0,
  });

  it('rejects a spatial size the strides do not divide, naming it and the nearest valid sizes (cases #23)', () => {
    const x = tf.zeros([1, 96, 96, 90, 1]) as tf.Tensor5D;
    expect(() => net.apply(x, { training: false })).toThrow(ShapeError);
    expect(() => net.apply(x, { training: false })).toThrow(
      /size 90 \(axis Z\) is not divisible by 16.*80 or 96/,
    );
    x.dispose();
    const small = tf.zeros([1, 16, 16, 8, 1]) as tf.Tensor5D;
    expect(() => net.apply(small, { training: false })).toThrow(/nearest valid sizes: 16/);
    small.dispose();
  });

  it('maps 1×1×96³ and 1×1×160×160×32 inputs to 2-channel outputs of the same size (cases #23)', () => {
    // One feature channel per level keeps this cheap; the geometry is what is checked.
    const thin = new UNet({ ...net.config, channels: [1, 1, 1, 1, 1] });
    // (A full 160³ volume costs ~9 s of CPU on tfjs-cpu; 160×160×32 checks the same axis sizes.)
    for (const [a, b, c] of [
      [96, 96, 96],
      [160, 160, 32],
    ]) {
      const x = tf.zeros([1, a, b, c, 1]) as tf.Tensor5D;
      const y = thin.apply(x, { training: false });
      expect(y.shape).toEqual([1, a, b, c, 2]);
      tf.dispose([x, y]);
    }
    thin.dispose();
  });

  it('accepts sizes that are multiples of 16 and returns the same spatial shape', () => {
    const x = tf.zeros([1, 32, 16, 48, 1]) as tf.Tensor5D;
    const y = net.apply(x, { training: false });
    expect(y.shape).toEqual([1, 32, 16, 48, 2]);
    tf.dispose([x, y]);
  });

  it('rejects channel-first input and wrong ranks', () => {
    const cf = tf.zeros([1, 2, 16, 16, 16]) as tf.Tensor5D;
    expect(() => net.apply(cf, { training: false })).toThrow(/channels/);
    const r4 = tf.zeros([16, 16, 16, 1]) as unknown as tf.Tensor5D;
    expect(() => net.apply(r4, { training: false })).toThrow(/rank-5/);
    tf.dispose([cf, r4]);
  });

  it('rejects invalid configurations with ArgumentError', () => {
    const base = {
      spatialDims: 3 as const,
      inChannels: 1,
      outChannels: 2,
      channels: [4, 8],
      strides: [2],
    };
    expect(() => new UNet({ ...base, channels: [4] })).toThrow(ArgumentError);
    expect(() => new UNet({ ...base, strides: [] })).toThrow(/strides/);
    expect(() => new UNet({ ...base, kernelSize: 4 })).toThrow(/odd/);
    expect(() => new UNet({ ...base, spatialDims: 2 as never })).toThrow(/spatialDims/);
    expect(() => new UNet({ ...base, dropout: 1 })).toThrow(/dropout/);
  });

  it('loadStateDict names missing/unexpected entries and wrong shapes', () => {
    const dict = net.stateDict();
    const first = [...dict.keys()][0];
    const missing = new Map(dict);
    missing.delete(first);
    expect(() => net.loadStateDict(missing)).toThrow(DataError);
    expect(() => net.loadStateDict(missing)).toThrow(first);
    expect(() => net.loadStateDict(missing, { strict: false })).not.toThrow();
    const extra = new Map(dict).set('model.9.weight', { shape: [1], data: new Float32Array(1) });
    expect(() => net.loadStateDict(extra)).toThrow(/model\.9\.weight/);
    const wrong = new Map(dict).set(first, { shape: [1, 2, 3], data: new Float32Array(6) });
    expect(() => net.loadStateDict(wrong)).toThrow(ShapeError);
  });
});
