/* global process, performance, console */
/**
 * Times one training step (forward, DiceCE, backward, AdamW) of the reference MONAI UNet
 * (16-32-64-128-256, strides 2, 2 residual units, batch norm) on random 2×1×S³ batches, plus one
 * eval forward, on whatever backend initBackend picks. Runs against the built packages:
 *
 *   pnpm --filter @voxelkit/backend --filter @voxelkit/nets --filter @voxelkit/train build
 *   cd packages/train && node bench/step-time.mjs 32 64
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxelkit/backend';
import { UNet } from '@voxelkit/nets';
import { AdamW, trainStep } from '@voxelkit/train';
const info = await initBackend();
function diceCE(logits, labels) {
  return tf.tidy(() => {
    const t = tf.oneHot(tf.cast(tf.squeeze(labels, [4]), 'int32'), 2);
    const p = tf.softmax(logits, -1);
    const i = tf.sum(tf.mul(p, t), [1, 2, 3]);
    const d = tf.add(tf.sum(t, [1, 2, 3]), tf.sum(p, [1, 2, 3]));
    const dice = tf.mean(tf.sub(1, tf.div(tf.add(tf.mul(i, 2), 1e-5), tf.add(d, 1e-5))));
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(logits, -1)), -1)));
    return tf.add(dice, ce);
  });
}
const net = new UNet({
  spatialDims: 3,
  inChannels: 1,
  outChannels: 2,
  channels: [16, 32, 64, 128, 256],
  strides: [2, 2, 2, 2],
  numResUnits: 2,
  norm: 'batch',
});
const opt = new AdamW(net.namedParameters(), { lr: 1e-4 });
for (const s of process.argv.slice(2).map(Number)) {
  const image = tf.randomNormal([2, s, s, s, 1]);
  const label = tf.cast(tf.greater(image, 0.5), 'float32');
  const times = [];
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    trainStep({ model: net, loss: diceCE, optimizer: opt, batch: { image, label } });
    const c = process.cpuUsage(c0);
    times.push(
      `${((performance.now() - t0) / 1000).toFixed(2)} s wall / ${((c.user + c.system) / 1e6).toFixed(2)} s CPU`,
    );
  }
  const t0 = performance.now();
  const y = net.apply(image, { training: false });
  y.dataSync();
  y.dispose();
  console.log(
    `backend ${info.name}: train step 2x1x${s}^3: ${times.join(', ')}; eval forward ${((performance.now() - t0) / 1000).toFixed(2)} s wall`,
  );
  tf.dispose([image, label]);
}
