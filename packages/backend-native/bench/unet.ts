/**
 * A MONAI-shaped 3D UNet in plain tfjs ops, for benchmarking only (the real one is
 * `@voxelkit/nets`): residual units with `subunits` conv → batch-norm → PReLU blocks, strided
 * convolutions down, transposed convolutions up, skip connections by channel concatenation.
 * Channels-last tensors throughout.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Shape of the network: MONAI's UNet arguments. */
export interface BenchUNetConfig {
  inChannels: number;
  outChannels: number;
  channels: number[];
  strides: number[];
  numResUnits: number;
}

type Layer = (x: tf.Tensor5D, training: boolean) => tf.Tensor5D;

/** Builds the network; returns its forward function and trainable variables. */
export function buildBenchUNet(config: BenchUNetConfig, seed = 0) {
  const variables: tf.Variable[] = [];
  let nextSeed = seed;
  const param = (shape: number[], fanIn: number) => {
    const v = tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', nextSeed++));
    variables.push(v);
    return v;
  };
  const constant = (shape: number[], value: number) => {
    const v = tf.variable(tf.fill(shape, value));
    variables.push(v);
    return v;
  };

  const conv = (cin: number, cout: number, stride: number, kernel: number): Layer => {
    const w = param([kernel, kernel, kernel, cin, cout], cin * kernel ** 3);
    const b = constant([cout], 0);
    return (x) => tf.add(tf.conv3d(x, w as tf.Tensor5D, stride, 'same'), b);
  };
  const convTranspose = (cin: number, cout: number, stride: number): Layer => {
    const w = param([3, 3, 3, cout, cin], cin * 27);
    const b = constant([cout], 0);
    return (x) => {
      const [n, d, h, wd] = x.shape;
      const out: [number, number, number, number, number] = [
        n,
        d * stride,
        h * stride,
        wd * stride,
        cout,
      ];
      return tf.add(tf.conv3dTranspose(x, w as tf.Tensor5D, out, stride, 'same'), b);
    };
  };
  // Norm → (dropout 0) → PReLU, MONAI's "NDA" ordering.
  const nda = (channels: number): Layer => {
    const gamma = constant([channels], 1);
    const beta = constant([channels], 0);
    const alpha = constant([1], 0.25);
    return (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
      // Written out: tfjs' FusedBatchNorm gradient only handles rank <= 4.
      const y = tf.add(
        tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma),
        beta,
      );
      return tf.prelu(y, alpha) as tf.Tensor5D;
    };
  };
  const residualUnit = (
    cin: number,
    cout: number,
    stride: number,
    subunits: number,
    lastConvOnly: boolean,
  ): Layer => {
    const blocks: Layer[] = [];
    let c = cin;
    let s = stride;
    for (let i = 0; i < subunits; i++) {
      const convOnly = lastConvOnly && i === subunits - 1;
      const cv = conv(c, cout, s, 3);
      const post = convOnly ? undefined : nda(cout);
      blocks.push((x, t) => (post ? post(cv(x, t), t) : cv(x, t)));
      c = cout;
      s = 1;
    }
    const residual =
      stride !== 1 || cin !== cout ? conv(cin, cout, stride, stride !== 1 ? 3 : 1) : undefined;
    return (x, t) => {
      let y = x;
      for (const b of blocks) y = b(y, t);
      return tf.add(y, residual ? residual(x, t) : x);
    };
  };
  const block = (cin: number, cout: number, chs: number[], sts: number[], top: boolean): Layer => {
    const c = chs[0];
    const s = sts[0];
    let sub: Layer;
    let upIn: number;
    if (chs.length > 2) {
      sub = block(c, c, chs.slice(1), sts.slice(1), false);
      upIn = 2 * c;
    } else {
      sub = residualUnit(c, chs[1], 1, config.numResUnits, false);
      upIn = c + chs[1];
    }
    const down = residualUnit(cin, c, s, config.numResUnits, false);
    const upConv = convTranspose(upIn, cout, s);
    const upNda = nda(cout);
    const upRes = residualUnit(cout, cout, 1, 1, top);
    return (x, t) => {
      const d = down(x, t);
      const skip = tf.concat([d, sub(d, t)], 4) as tf.Tensor5D;
      return upRes(upNda(upConv(skip, t), t), t);
    };
  };
  const net = block(config.inChannels, config.outChannels, config.channels, config.strides, true);
  return { apply: net, variables };
}

/** MONAI DiceCE (softmax, one-hot target, mean Dice loss + mean cross-entropy). */
export function diceCELoss(logits: tf.Tensor5D, labels: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => {
    const channels = logits.shape[4];
    const target = tf.oneHot(tf.cast(tf.squeeze(labels, [4]), 'int32'), channels) as tf.Tensor5D;
    const p = tf.softmax(logits);
    const inter = tf.sum(tf.mul(p, target), [1, 2, 3]);
    const denom = tf.add(tf.sum(p, [1, 2, 3]), tf.sum(target, [1, 2, 3]));
    const dice = tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), 1e-5), tf.add(denom, 1e-5)));
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 4)));
    return tf.add(tf.mean(dice), ce) as tf.Scalar;
  });
}
