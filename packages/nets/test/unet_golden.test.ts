import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelsFirstToTensor, initBackend, tensorToChannelsFirst } from '@voxelkit/backend';
import { UNet, type StateDict } from '@voxelkit/nets';
import { DiceCELoss } from '@voxelkit/losses';
import { maxAbsDiff, readF32, readGoldenJson, readGoldenStateDict } from './helpers/golden.js';

// MONAI: UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(16,32,64,128,256),
// strides=(2,2,2,2), num_res_units=2, norm=Norm.BATCH); golden values from shared/golden/unet.
const golden = readGoldenJson();
const config = {
  spatialDims: 3 as const,
  inChannels: 1,
  outChannels: 2,
  channels: [16, 32, 64, 128, 256],
  strides: [2, 2, 2, 2],
  numResUnits: 2,
  norm: 'batch' as const,
};

describe('UNet against MONAI golden values (reference architecture, 1×1×32³)', () => {
  let net: UNet;
  let weights: StateDict;
  let input: tf.Tensor5D;

  beforeAll(async () => {
    await initBackend();
    net = new UNet(config);
    weights = readGoldenStateDict(golden);
    net.loadStateDict(weights);
    input = channelsFirstToTensor(readF32('input.f32'), [1, 1, 32, 32, 32]);
  });

  it('has MONAI’s parameter count and state-dict names, order and shapes', () => {
    expect(net.numParameters()).toBe(golden.num_parameters); // 4,808,917
    const ours = [...net.stateDict()].map(([name, e]) => [name, e.shape]);
    const theirs = golden.state_dict.entries.map((e) => [e.name, e.shape]);
    expect(ours).toEqual(theirs);
  });

  it('round-trips the golden weights through stateDict() exactly', () => {
    const back = net.stateDict();
    for (const [name, entry] of weights)
      expect(maxAbsDiff(back.get(name)!.data, entry.data)).toBe(0);
  });

  it('eval output matches output_eval.f32 within 1e-4', () => {
    const y = net.apply(input, { training: false });
    const out = tensorToChannelsFirst(y);
    y.dispose();
    expect(out.shape).toEqual([1, 2, 32, 32, 32]);
    expect(maxAbsDiff(out.data, readF32('output_eval.f32'))).toBeLessThan(1e-4);
  });

  it('train-mode output (batch statistics) matches output_train.f32 within 1e-4, and the gradients match', () => {
    const labels = tf.tidy(() => tf.cast(tf.greater(input, 0.5), 'float32')) as tf.Tensor5D;
    const named = net.namedParameters();
    const names = [...named.keys()];
    // MONAI's DiceCELoss(to_onehot_y=True, softmax=True), as in the golden train step.
    const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
    let trainOut: Float32Array | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = net.apply(input, { training: true });
      trainOut = tensorToChannelsFirst(logits).data;
      return loss.compute(logits, labels);
    }, [...named.values()]);
    expect(maxAbsDiff(trainOut!, readF32('output_train.f32'))).toBeLessThan(1e-4);
    expect(Math.abs(value.dataSync()[0] - golden.train_step.loss)).toBeLessThan(
      1e-5 * golden.train_step.loss,
    );

    // Gradients in PyTorch layout, keyed by parameter name.
    const entries = new Map(net.stateEntries().map((e) => [e.name, e]));
    const torchGrad = (name: string): Float32Array => {
      const e = entries.get(name)!;
      const g = grads[e.variable.name];
      const inv = e.perm ? [4, 3, 0, 1, 2] : undefined; // inverse of [2, 3, 4, 1, 0]
      return tf.tidy(() => (inv ? tf.transpose(g, inv) : g).dataSync() as Float32Array);
    };
    let compared = 0;
    for (const name of names) {
      const stats = golden.train_step.grad_stats[name];
      const g = torchGrad(name);
      let l2 = 0;
      let absmax = 0;
      for (const v of g) {
        l2 += v * v;
        absmax = Math.max(absmax, Math.abs(v));
      }
      l2 = Math.sqrt(l2);
      // Conv biases directly followed by BatchNorm have a zero true gradient (1e-9 noise in both).
      const floor = 1e-7;
      expect(Math.abs(l2 - stats.l2), name).toBeLessThan(1e-3 * stats.l2 + floor);
      expect(Math.abs(absmax - stats.absmax), name).toBeLessThan(1e-3 * stats.absmax + floor);
      compared++;
    }
    expect(compared).toBe(Object.keys(golden.train_step.grad_stats).length);
    for (const [name, info] of Object.entries(golden.train_step.full_grads)) {
      const expected = readF32(info.file);
      const g = torchGrad(name);
      const scale = Math.max(...expected.map(Math.abs));
      expect(maxAbsDiff(g, expected) / scale, name).toBeLessThan(1e-3);
    }
    tf.dispose([value, labels, ...Object.values(grads)]);
  });
});
