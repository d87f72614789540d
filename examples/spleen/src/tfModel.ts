/**
 * The TensorFlow.js implementation of {@link SegmentationModel}: UNet, DiceCE loss, AdamW with
 * decoupled weight decay, and a checkpoint format that holds every variable (weights, batch-norm
 * statistics, optimiser moments, step count) so a resumed run continues bit for bit.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { channelsFirstToTensor, tensorToChannelsFirst } from '@voxelkit/backend';
import { FormatError } from '@voxelkit/core';
import type { SpleenConfig } from './config.js';
import { writeFileAtomic } from './files.js';
import { LocalUNet, type Network } from './localUnet.js';
import type { Batch, ModelFactory, SegmentationModel } from './model.js';

/** AdamW constants (PyTorch defaults). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** Builds the TensorFlow.js model for `config`. */
export const createTfModel: ModelFactory = async (config: SpleenConfig) => {
  const network = new LocalUNet({
    inChannels: 1,
    outChannels: 2,
    channels: config.channels,
    strides: config.strides,
    numResUnits: config.numResUnits,
    seed: config.seed,
  });
  return new TfSegmentationModel(network, config);
};

class TfSegmentationModel implements SegmentationModel {
  readonly parameterCount: number;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private step = 0;

  constructor(
    private readonly network: Network & { commitRunningStatistics?: () => void },
    private readonly config: SpleenConfig,
  ) {
    this.parameterCount = network.trainableVariables.reduce((s, v) => s + v.size, 0);
    this.m = network.trainableVariables.map((p) =>
      tf.variable(tf.zerosLike(p), false, `${p.name}.exp_avg`),
    );
    this.v = network.trainableVariables.map((p) =>
      tf.variable(tf.zerosLike(p), false, `${p.name}.exp_avg_sq`),
    );
  }

  async trainStep(images: Batch, labels: Batch, lr: number): Promise<number> {
    const x = channelsFirstToTensor(images.data, images.shape);
    const y = channelsFirstToTensor(labels.data, labels.shape);
    const params = this.network.trainableVariables;
    const { value, grads } = tf.variableGrads(
      () => diceCELoss(this.network.apply(x, { training: true }), y),
      params,
    );
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      const c1 = 1 - BETA1 ** t;
      const c2 = 1 - BETA2 ** t;
      params.forEach((p, i) => {
        const g = grads[p.name];
        // A variable outside the loss's graph (e.g. the unused norm of a conv-only output layer).
        if (g === undefined || g === null) return;
        const m = tf.add(tf.mul(this.m[i], BETA1), tf.mul(g, 1 - BETA1));
        const v = tf.add(tf.mul(this.v[i], BETA2), tf.mul(tf.square(g), 1 - BETA2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const decayed = tf.mul(p, 1 - lr * this.config.weightDecay);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), ADAM_EPSILON));
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
    this.network.commitRunningStatistics?.();
    const loss = (await value.data())[0];
    tf.dispose([x, y, value, ...Object.values(grads)]);
    return loss;
  }

  async predict(windows: Batch): Promise<Batch> {
    const logits = tf.tidy(() =>
      this.network.apply(channelsFirstToTensor(windows.data, windows.shape), { training: false }),
    );
    try {
      return tensorToChannelsFirst(logits);
    } finally {
      logits.dispose();
    }
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const variables = this.allVariables();
    const entries: { name: string; shape: number[]; offset: number; length: number }[] = [];
    let offset = 0;
    for (const v of variables) {
      entries.push({ name: v.name, shape: v.shape, offset, length: v.size });
      offset += v.size;
    }
    const data = new Float32Array(offset);
    for (const [i, v] of variables.entries()) data.set(await v.data(), entries[i].offset);
    await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(data.buffer));
    await writeFileAtomic(
      join(dir, 'index.json'),
      JSON.stringify({ format: 'voxelkit-spleen-1', step: this.step, entries }, null, 1),
    );
  }

  async load(dir: string): Promise<void> {
    const indexPath = join(dir, 'index.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as {
      step: number;
      entries: { name: string; shape: number[]; offset: number; length: number }[];
    };
    const bytes = await readFile(join(dir, 'weights.bin'));
    const data = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const byName = new Map(index.entries.map((e) => [e.name, e]));
    for (const v of this.allVariables()) {
      const entry = byName.get(v.name);
      if (!entry || entry.shape.join(',') !== v.shape.join(',')) {
        throw new FormatError(
          'checkpoint does not match the model (different channels or strides?)',
          {
            file: indexPath,
            field: v.name,
            expected: v.shape,
            actual: entry?.shape ?? 'missing',
          },
        );
      }
      v.assign(tf.tensor(data.subarray(entry.offset, entry.offset + entry.length), entry.shape));
    }
    this.step = index.step;
  }

  dispose(): void {
    tf.dispose([...this.allVariables()]);
  }

  private allVariables(): tf.Variable[] {
    return [...this.network.stateVariables, ...this.m, ...this.v];
  }
}

/**
 * DiceCE as MONAI's `DiceCELoss(to_onehot_y=True, softmax=True)`: Dice loss on softmax
 * probabilities against the one-hot label (per sample and channel, background included,
 * smoothing 1e-5) plus mean cross-entropy, weights 1 and 1.
 */
function diceCELoss(logits: tf.Tensor5D, label: tf.Tensor5D): tf.Scalar {
  const classes = logits.shape[4];
  const target = tf.oneHot(tf.cast(tf.squeeze(label, [4]), 'int32'), classes) as tf.Tensor5D;
  const probs = tf.softmax(logits);
  const axes = [1, 2, 3];
  const intersection = tf.sum(tf.mul(probs, target), axes);
  const denominator = tf.add(tf.sum(probs, axes), tf.sum(target, axes));
  const dice = tf.sub(1, tf.div(tf.add(tf.mul(intersection, 2), 1e-5), tf.add(denominator, 1e-5)));
  const ce = tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 4)));
  return tf.add(tf.mean(dice), ce) as tf.Scalar;
}
