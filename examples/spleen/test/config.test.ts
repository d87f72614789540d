import { describe, expect, it } from 'vitest';
import { parseTriple, presetConfig, resolveConfig } from '../src/config.js';
import { caseName, groupOf } from '../src/data.js';
import { estimateTrainingMemory, formatBytes } from '../src/memory.js';
import { cosineLearningRate } from '../src/train.js';

describe('presets', () => {
  it('full keeps the MONAI tutorial settings', () => {
    const full = presetConfig('full', true);
    expect(full.roiSize).toEqual([96, 96, 96]);
    expect(full.channels).toEqual([16, 32, 64, 128, 256]);
    expect(full.strides).toEqual([2, 2, 2, 2]);
    expect(full.pixdim).toEqual([1.5, 1.5, 2.0]);
    expect([full.aMin, full.aMax]).toEqual([-57, 164]);
    expect([full.lr, full.weightDecay, full.epochs, full.batchSize, full.valInterval]).toEqual([
      1e-4, 1e-5, 200, 2, 3,
    ]);
    expect([full.numSamples, full.pos, full.neg, full.swBatchSize, full.overlap]).toEqual([
      4, 1, 1, 4, 0.5,
    ]);
  });

  it('quick is 15 epochs of the full model on a GPU and of the CPU-sized model otherwise', () => {
    expect(presetConfig('quick', true)).toMatchObject({ epochs: 15, roiSize: [96, 96, 96] });
    const cpu = presetConfig('cpu', false);
    expect(presetConfig('quick', false)).toMatchObject({
      epochs: 15,
      roiSize: cpu.roiSize,
      channels: cpu.channels,
    });
  });

  it('rejects an unknown preset, naming the flag', () => {
    expect(() => presetConfig('huge', false)).toThrow(/unknown preset.*--preset/s);
  });
});

describe('resolveConfig', () => {
  const base = { ...presetConfig('cpu', false), dataDir: '/data' };

  it('applies layers in order, later ones winning', () => {
    const config = resolveConfig(base, { epochs: 7, lr: 0.5 }, { epochs: 9 });
    expect(config.epochs).toBe(9);
    expect(config.lr).toBe(0.5);
  });

  it('rejects an unknown key (a typo in a config file)', () => {
    expect(() => resolveConfig(base, { epoch: 3 } as never)).toThrow(
      /unknown configuration key.*epoch/s,
    );
  });

  it('rejects a patch size the UNet cannot halve exactly', () => {
    expect(() => resolveConfig(base, { roiSize: [36, 32, 32] })).toThrow(
      /divisible.*multiples of 8/s,
    );
  });

  it('rejects channels and strides of mismatched length', () => {
    expect(() => resolveConfig(base, { channels: [8, 16] })).toThrow(/one more entry than strides/);
  });

  it('parses 1 or 3 sizes', () => {
    expect(parseTriple('64', '--roi')).toEqual([64, 64, 64]);
    expect(parseTriple('64,64,32', '--roi')).toEqual([64, 64, 32]);
    expect(() => parseTriple('64,32', '--roi')).toThrow(/--roi/);
  });
});

describe('patient grouping', () => {
  it('puts spleen_ts003 (top slices of ts001) in the group of spleen_ts001', () => {
    const item = (name: string) => ({ image: `/d/imagesTr/${name}.nii.gz` });
    expect(groupOf(item('spleen_ts003'))).toBe('spleen_ts001');
    expect(groupOf(item('spleen_ts001'))).toBe('spleen_ts001');
    expect(groupOf(item('spleen_ts002'))).toBe('spleen_ts002');
    expect(groupOf(item('spleen_12'))).toBe('spleen_12');
    expect(caseName({ image: '/d/imagesTr/spleen_12.nii' })).toBe('spleen_12');
  });
});

describe('cosine learning rate', () => {
  it('starts at lr, halves at mid-run and approaches 0', () => {
    expect(cosineLearningRate(1, 1, 10)).toBe(1);
    expect(cosineLearningRate(1, 6, 10)).toBeCloseTo(0.5, 12);
    expect(cosineLearningRate(1, 10, 10)).toBeCloseTo(0.5 * (1 + Math.cos((Math.PI * 9) / 10)), 12);
  });
});

describe('memory estimate', () => {
  it('counts kept activations per level and four float32 copies of the weights', () => {
    const config = resolveConfig(
      { ...presetConfig('tiny', false), dataDir: '/d' },
      { batchSize: 2 },
    );
    const estimate = estimateTrainingMemory(config);
    // 2 images × 2 patches; levels 16³×4, 8³×8, 4³×16 channels; 24 float32 tensors per level.
    expect(estimate.activations).toBe(4 * 4 * 24 * (4096 * 4 + 512 * 8 + 64 * 16));
    // Conv weights + biases (×2 convs per level), times weights, grads and two AdamW moments.
    expect(estimate.parameters).toBe(
      16 * 2 * (27 * 1 * 4 + 4 + (27 * 4 * 8 + 8) + (27 * 8 * 16 + 16)),
    );
    expect(estimate.total).toBe(estimate.activations + estimate.parameters);
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
