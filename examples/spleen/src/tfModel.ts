/**
 * The TensorFlow.js implementation of {@link SegmentationModel}: `@voxelkit/nets`' UNet,
 * `@voxelkit/losses`' DiceCE, `@voxelkit/train`'s AdamW, and a checkpoint format that holds every variable (weights, batch-norm
 * statistics, optimiser moments, step count) so a resumed run continues bit for bit.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { channelsFirstToTensor, tensorToChannelsFirst } from '@voxelkit/backend';
import { DataError, ResourceError } from '@voxelkit/core';
import { DiceCELoss } from '@voxelkit/losses';
import { AdamW, type AdamWMoments } from '@voxelkit/train';
import {
  UNet,
  encodeSafetensors,
  loadSafetensors,
  readSafetensors,
  type StateDict,
} from '@voxelkit/nets';
import { countNonFinite } from './checkFinite.js';
import type { SpleenConfig } from './config.js';
import { writeFileAtomic } from './files.js';
import type { Batch, ModelFactory, SegmentationModel } from './model.js';

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
  private readonly optimizer: AdamW;
  private readonly loss = new DiceCELoss({ toOnehotY: true, softmax: true });

  constructor(
    private readonly network: UNet,
    config: SpleenConfig,
  ) {
    this.parameterCount = network.numParameters();
    this.optimizer = new AdamW(network.namedParameters(), {
      lr: config.lr,
      weightDecay: config.weightDecay,
    });
  }

  async trainStep(images: Batch, labels: Batch, lr: number): Promise<number> {
    const x = channelsFirstToTensor(images.data, images.shape);
    const y = channelsFirstToTensor(labels.data, labels.shape);
    const { value, grads } = tf.variableGrads(
      () => this.loss.compute(this.network.apply(x, { training: true }), y),
      this.optimizer.variables,
    );
    this.optimizer.lr = lr;
    this.optimizer.step(grads);
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
    const weights = this.network.stateDict();
    const state = this.optimizer.getState();
    // A step can leave non-finite weights behind a finite loss (a huge learning rate): such a
    // model is never written, so the checkpoint being replaced stays the last good one.
    for (const [name, entry] of weights) assertFinite(name, entry.data);
    for (const [name, m] of state.moments) assertFinite(`${name} (AdamW moment)`, m.expAvgSq);
    await mkdir(dir, { recursive: true });
    // The model in PyTorch names and layout (loadable by MONAI through safetensors.torch).
    await writeFileAtomic(join(dir, 'model.safetensors'), encodeSafetensors(weights));
    const moments: StateDict = new Map();
    for (const [name, m] of state.moments) {
      moments.set(`${name}.exp_avg`, { shape: m.shape, data: m.expAvg });
      moments.set(`${name}.exp_avg_sq`, { shape: m.shape, data: m.expAvgSq });
    }
    const metadata = {
      step: String(state.step),
      lr: String(state.lr),
      betas: state.betas.join(','),
      eps: String(state.eps),
      weightDecay: String(state.weightDecay),
    };
    await writeFileAtomic(join(dir, 'optimizer.safetensors'), encodeSafetensors(moments, metadata));
  }

  async load(dir: string): Promise<void> {
    const modelPath = join(dir, 'model.safetensors');
    this.network.loadStateDict(loadSafetensors(await readBytes(modelPath), modelPath));
    const optimizerPath = join(dir, 'optimizer.safetensors');
    if (!existsSync(optimizerPath)) return; // weights only: enough for validate / predict
    const file = readSafetensors(await readBytes(optimizerPath), optimizerPath);
    const moments = new Map<string, AdamWMoments>();
    for (const [key, entry] of file.tensors) {
      const name = key.replace(/\.exp_avg(_sq)?$/, '');
      const m = moments.get(name) ?? {
        shape: entry.shape,
        expAvg: new Float32Array(0),
        expAvgSq: new Float32Array(0),
      };
      if (key.endsWith('.exp_avg_sq')) m.expAvgSq = entry.data;
      else m.expAvg = entry.data;
      moments.set(name, m);
    }
    const meta = file.metadata;
    const [b1, b2] = (meta.betas ?? '0.9,0.999').split(',').map(Number);
    this.optimizer.setState({
      step: Number(meta.step ?? 0),
      lr: Number(meta.lr ?? this.optimizer.lr),
      betas: [b1, b2],
      eps: Number(meta.eps ?? 1e-8),
      weightDecay: Number(meta.weightDecay ?? this.optimizer.weightDecay),
      moments,
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.network.dispose();
  }
}

function assertFinite(name: string, data: ArrayLike<number>): void {
  const { nan, infinite } = countNonFinite(data);
  if (nan + infinite > 0) {
    throw new ResourceError(
      `training diverged: ${name} holds ${nan} NaN and ${infinite} ±Inf values; the checkpoint was not written. Try a lower --lr`,
      { field: name, expected: 'finite values', actual: `${nan} NaN, ${infinite} ±Inf` },
    );
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  if (!existsSync(path)) throw new DataError('checkpoint file not found', { file: path });
  return new Uint8Array(await readFile(path));
}
