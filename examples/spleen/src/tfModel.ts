/**
 * The TensorFlow.js implementation of {@link SegmentationModel}: UNet, DiceCE loss, AdamW with
 * decoupled weight decay, and a checkpoint format that holds every variable (weights, batch-norm
 * statistics, optimiser moments, step count) so a resumed run continues bit for bit.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { channelsFirstToTensor, tensorToChannelsFirst } from '@voxelkit/backend';
import { DataError, FormatError } from '@voxelkit/core';
import { DiceCELoss } from '@voxelkit/losses';
import {
  UNet,
  encodeSafetensors,
  loadSafetensors,
  readSafetensors,
  type StateDict,
} from '@voxelkit/nets';
import type { SpleenConfig } from './config.js';
import { writeFileAtomic } from './files.js';
import type { Batch, ModelFactory, SegmentationModel } from './model.js';

/** AdamW constants (PyTorch defaults). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** Builds the TensorFlow.js model for `config`: MONAI's UNet from `@voxelkit/nets`. */
export const createTfModel: ModelFactory = async (config: SpleenConfig) => {
  const unet = new UNet(
    {
      spatialDims: 3,
      inChannels: 1,
      outChannels: 2,
      channels: config.channels,
      strides: config.strides,
      numResUnits: config.numResUnits,
      norm: config.norm,
    },
    { seed: config.seed },
  );
  return new TfSegmentationModel(unet, config);
};

class TfSegmentationModel implements SegmentationModel {
  readonly parameterCount: number;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private step = 0;

  private readonly names: string[];
  private readonly loss = new DiceCELoss({ toOnehotY: true, softmax: true });

  constructor(
    private readonly network: UNet,
    private readonly config: SpleenConfig,
  ) {
    this.parameterCount = network.numParameters();
    const named = [...network.namedParameters().entries()];
    this.names = named.map(([name]) => name);
    this.m = named.map(([, p]) => tf.variable(tf.zerosLike(p), false));
    this.v = named.map(([, p]) => tf.variable(tf.zerosLike(p), false));
  }

  async trainStep(images: Batch, labels: Batch, lr: number): Promise<number> {
    const x = channelsFirstToTensor(images.data, images.shape);
    const y = channelsFirstToTensor(labels.data, labels.shape);
    const params = this.network.trainableVariables;
    const { value, grads } = tf.variableGrads(
      () => this.loss.compute(this.network.apply(x, { training: true }), y),
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
    // The model in PyTorch names and layout (loadable by MONAI through safetensors.torch).
    await writeFileAtomic(
      join(dir, 'model.safetensors'),
      encodeSafetensors(this.network.stateDict()),
    );
    const moments: StateDict = new Map();
    this.names.forEach((name, i) => {
      moments.set(`${name}.exp_avg`, {
        shape: this.m[i].shape,
        data: Float32Array.from(this.m[i].dataSync()),
      });
      moments.set(`${name}.exp_avg_sq`, {
        shape: this.v[i].shape,
        data: Float32Array.from(this.v[i].dataSync()),
      });
    });
    await writeFileAtomic(
      join(dir, 'optimizer.safetensors'),
      encodeSafetensors(moments, { step: String(this.step) }),
    );
  }

  async load(dir: string): Promise<void> {
    const modelPath = join(dir, 'model.safetensors');
    this.network.loadStateDict(loadSafetensors(await readBytes(modelPath), modelPath));
    const optimizerPath = join(dir, 'optimizer.safetensors');
    if (!existsSync(optimizerPath)) return; // weights only (e.g. an exported model): fine for inference
    const file = readSafetensors(await readBytes(optimizerPath), optimizerPath);
    const moments = loadSafetensors(await readBytes(optimizerPath), optimizerPath);
    this.names.forEach((name, i) => {
      for (const [suffix, target] of [
        ['exp_avg', this.m[i]],
        ['exp_avg_sq', this.v[i]],
      ] as const) {
        const entry = moments.get(`${name}.${suffix}`);
        if (!entry || entry.shape.join(',') !== target.shape.join(',')) {
          throw new FormatError('optimizer state does not match the model', {
            file: optimizerPath,
            field: `${name}.${suffix}`,
            expected: target.shape,
            actual: entry?.shape ?? 'missing',
          });
        }
        target.assign(tf.tensor(entry.data, entry.shape));
      }
    });
    this.step = Number(file.metadata?.step ?? 0);
  }

  dispose(): void {
    this.network.dispose();
    tf.dispose([...this.m, ...this.v]);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  if (!existsSync(path)) throw new DataError('checkpoint file not found', { file: path });
  return new Uint8Array(await readFile(path));
}
