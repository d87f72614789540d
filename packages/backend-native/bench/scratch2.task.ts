import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { initBackend } from '@voxelkit/backend';
import { UNet } from '@voxelkit/nets';

it('scratch2', async () => {
  await initBackend();
  const net = new UNet({ spatialDims: 3, inChannels: 1, outChannels: 2, channels: [16, 32, 64, 128, 256], strides: [2, 2, 2, 2], numResUnits: 2, norm: 'batch' }, { seed: 0 });
  const image = tf.randomNormal([2, 96, 96, 96, 1], 0, 1, 'float32', 0) as tf.Tensor5D;
  const label = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 96, 96, 96, 1]), 0.7), 'float32')) as tf.Tensor5D;
  const { DiceCELoss } = await import('@voxelkit/losses');
  const { AdamW, trainStep } = await import('@voxelkit/train');
  const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
  const optimizer = new AdamW(net.namedParameters(), { lr: 1e-4 });
  const step = () => trainStep({ model: net, loss, optimizer, batch: { image, label } });
  step(); step();
  const p = await tf.profile(() => { step(); });
  for (const k of p.kernels) if (Number(k.kernelTimeMs) > 8) console.log('S', k.name, JSON.stringify(k.inputShapes), Number(k.kernelTimeMs).toFixed(1));
  const fwd = () => { const y = tf.tidy(() => net.apply(image, { training: false })); y.dataSync(); y.dispose(); };
  fwd(); fwd();
  let t = performance.now(); fwd(); console.log('fwd4', performance.now() - t);
  const info = await tf.profile(() => { fwd(); });
  for (const k of info.kernels) if (Number(k.kernelTimeMs) > 3) console.log(k.name, JSON.stringify(k.inputShapes), Number(k.kernelTimeMs).toFixed(1));
}, 600000);
