import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelsFirstToTensor, initBackend } from '@voxelkit/backend';
import { UNet } from '@voxelkit/nets';
import { AdamW, CosineAnnealingSchedule, trainStep } from '@voxelkit/train';
import { localDiceCE } from './helpers/dice_ce.js';
import { spleenPatch } from './helpers/spleen_patch.js';

const tinyConfig = {
  spatialDims: 3 as const,
  inChannels: 1,
  outChannels: 2,
  channels: [4, 8, 16],
  strides: [2, 2],
  numResUnits: 1,
  norm: 'batch' as const,
};

beforeAll(async () => {
  await initBackend();
});

/** Lets vitest's worker RPC run between long synchronous steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Hard Dice of the foreground class from channels-last logits. */
function foregroundDice(logits: tf.Tensor5D, label: Float32Array): number {
  const pred = tf.tidy(() => tf.argMax(logits, 4).dataSync());
  let inter = 0;
  let p = 0;
  let g = 0;
  for (let i = 0; i < label.length; i++) {
    inter += pred[i] === 1 && label[i] === 1 ? 1 : 0;
    p += pred[i] === 1 ? 1 : 0;
    g += label[i] === 1 ? 1 : 0;
  }
  return (2 * inter) / Math.max(1, p + g);
}

describe('trainStep', () => {
  it('leaves no tensor behind over 20 steps (tf.memory().numTensors is flat)', async () => {
    const net = new UNet({ ...tinyConfig, channels: [2, 4, 8] }, { seed: 1 });
    const optimizer = new AdamW(net.namedParameters(), { lr: 1e-3 });
    const image = tf.randomNormal([1, 8, 8, 8, 1]) as tf.Tensor5D;
    const label = tf.tidy(() => tf.cast(tf.greater(image, 0), 'float32')) as tf.Tensor5D;
    trainStep({ model: net, loss: localDiceCE, optimizer, batch: { image, label } });
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      losses.push(trainStep({ model: net, loss: localDiceCE, optimizer, batch: { image, label } }));
      await yieldToEventLoop();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(optimizer.stepCount).toBe(21);
    tf.dispose([image, label]);
    optimizer.dispose();
    net.dispose();
  });

  it('accepts a loss object with compute() (as @voxelkit/losses provides)', () => {
    const net = new UNet(tinyConfig, { seed: 2 });
    const optimizer = new AdamW(net.namedParameters());
    const image = tf.randomNormal([1, 8, 8, 8, 1]) as tf.Tensor5D;
    const label = tf.zeros([1, 8, 8, 8, 1]) as tf.Tensor5D;
    const calls: number[] = [];
    const loss = {
      compute: (logits: tf.Tensor5D, target: tf.Tensor5D) => {
        calls.push(logits.shape[4]);
        return localDiceCE(logits, target);
      },
    };
    const value = trainStep({ model: net, loss, optimizer, batch: { image, label } });
    expect(value).toBeGreaterThan(0);
    expect(calls).toEqual([2]);
    tf.dispose([image, label]);
    optimizer.dispose();
    net.dispose();
  });

  it('overfits one real 16³ CT patch around the spleen: loss falls, Dice rises', async () => {
    const { image, label, size } = spleenPatch();
    const x = channelsFirstToTensor(image, [1, 1, size, size, size]);
    const y = channelsFirstToTensor(label, [1, 1, size, size, size]);
    const net = new UNet(tinyConfig, { seed: 0 });
    const optimizer = new AdamW(net.namedParameters(), { lr: 1e-2, weightDecay: 1e-5 });
    const steps = 30;
    const schedule = new CosineAnnealingSchedule({ baseLr: 1e-2, tMax: steps, etaMin: 1e-3 });
    const evalDice = () => {
      const logits = net.apply(x, { training: false });
      const d = foregroundDice(logits, label);
      logits.dispose();
      return d;
    };
    const start = Date.now();
    const cpuStart = process.cpuUsage();
    const diceBefore = evalDice();
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      schedule.apply(optimizer, i);
      losses.push(
        trainStep({ model: net, loss: localDiceCE, optimizer, batch: { image: x, label: y } }),
      );
      await yieldToEventLoop();
    }
    const diceAfter = evalDice();
    const seconds = (Date.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    console.log(
      `overfit: loss ${losses[0].toFixed(3)} → ${losses[steps - 1].toFixed(3)}, ` +
        `eval Dice ${diceBefore.toFixed(3)} → ${diceAfter.toFixed(3)} in ${seconds.toFixed(1)} s ` +
        `(${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU)`,
    );
    const firstFive = losses.slice(0, 5).reduce((a, v) => a + v, 0) / 5;
    const lastFive = losses.slice(-5).reduce((a, v) => a + v, 0) / 5;
    expect(lastFive).toBeLessThan(0.5 * firstFive);
    expect(diceAfter).toBeGreaterThan(0.8);
    expect(diceAfter).toBeGreaterThan(diceBefore);
    tf.dispose([x, y]);
    optimizer.dispose();
    net.dispose();
  });
});
