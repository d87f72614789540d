import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@voxelkit/backend';
import { FormatError } from '@voxelkit/core';
import { UNet, encodeSafetensors, readSafetensors } from '@voxelkit/nets';
import { AdamW, loadCheckpoint, saveCheckpoint, trainStep } from '@voxelkit/train';
import { localDiceCE } from './helpers/dice_ce.js';

const config = {
  spatialDims: 3 as const,
  inChannels: 1,
  outChannels: 2,
  channels: [2, 4],
  strides: [2],
  numResUnits: 1,
  norm: 'batch' as const,
};
const repoRoot = path.resolve(__dirname, '../../..');
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(path.join(os.tmpdir(), 'voxelkit-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function batch() {
  const image = tf.tidy(() => tf.randomNormal([1, 4, 4, 4, 1], 0, 1, 'float32', 3)) as tf.Tensor5D;
  const label = tf.tidy(() => tf.cast(tf.greater(image, 0), 'float32')) as tf.Tensor5D;
  return { image, label };
}

describe('checkpoints', () => {
  it('round-trips weights, BatchNorm buffers, AdamW moments, step, epoch, metrics and config', async () => {
    const b = batch();
    const net = new UNet(config, { seed: 1 });
    const opt = new AdamW(net.namedParameters(), { lr: 0.01, weightDecay: 0.001 });
    for (let i = 0; i < 3; i++)
      trainStep({ model: net, loss: localDiceCE, optimizer: opt, batch: b });
    const file = await saveCheckpoint(
      dir,
      {
        model: net,
        optimizer: opt,
        epoch: 7,
        metrics: { valDice: 0.5 },
        config: { preset: 'quick' },
      },
      { name: 'last' },
    );
    expect(file).toBe(path.join(dir, 'last.safetensors'));

    const restored = new UNet(config, { seed: 99 });
    const opt2 = new AdamW(restored.namedParameters(), { lr: 0.01, weightDecay: 0.001 });
    const loaded = await loadCheckpoint(dir, { name: 'last', model: restored, optimizer: opt2 });
    expect(loaded.manifest).toMatchObject({
      format: 'voxelkit-checkpoint',
      version: 1,
      epoch: 7,
      step: 3,
      metrics: { valDice: 0.5 },
      config: { preset: 'quick' },
      optimizer: { type: 'AdamW', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.001 },
    });
    expect(opt2.stepCount).toBe(3);
    const a = net.stateDict();
    const r = restored.stateDict();
    for (const [name, e] of a)
      expect(Array.from(r.get(name)!.data), name).toEqual(Array.from(e.data));
    expect(r.get('model.0.conv.unit0.adn.N.num_batches_tracked')!.data[0]).toBe(3);

    // Training continues identically from the checkpoint.
    trainStep({ model: net, loss: localDiceCE, optimizer: opt, batch: b });
    trainStep({ model: restored, loss: localDiceCE, optimizer: opt2, batch: b });
    const a2 = net.stateDict();
    const r2 = restored.stateDict();
    for (const [name, e] of a2)
      expect(Array.from(r2.get(name)!.data), name).toEqual(Array.from(e.data));

    // The file is plain safetensors: PyTorch names under "model.", I64 counters.
    const file2 = readSafetensors(new Uint8Array(await readFile(file)));
    expect(file2.dtypes.get('model.model.0.conv.unit0.adn.N.num_batches_tracked')).toBe('I64');
    expect(file2.tensors.get('model.model.0.conv.unit0.conv.weight')!.shape).toEqual([
      2, 1, 3, 3, 3,
    ]);
    tf.dispose([b.image, b.label]);
    [opt, opt2].forEach((o) => o.dispose());
    [net, restored].forEach((n) => n.dispose());
  });

  it('rejects files that are not voxelkit checkpoints', async () => {
    await writeFile(
      path.join(dir, 'other.safetensors'),
      encodeSafetensors(new Map(), { format: 'pt' }),
    );
    await expect(loadCheckpoint(dir, { name: 'other' })).rejects.toThrow(FormatError);
  });

  it('a crash mid-write leaves the previous checkpoint intact', async () => {
    const net = new UNet(config, { seed: 5 });
    const target = await saveCheckpoint(dir, { model: net, epoch: 1 }, { name: 'crash' });
    const before = await readFile(target);

    // A child process overwrites the same path through the same atomic writer and is killed
    // (SIGKILL: no cleanup runs) while the new content is half written.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures/crash_writer.ts'), target],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        if (String(d).includes('writing')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const leftovers = (await readdir(dir)).filter((f) => f.startsWith('crash.safetensors.tmp-'));
    expect(leftovers.length).toBe(1); // the torn temporary file, never renamed
    expect(Buffer.compare(await readFile(target), before)).toBe(0);
    const loaded = await loadCheckpoint(dir, { name: 'crash' });
    expect(loaded.manifest.epoch).toBe(1);
    net.dispose();
  });
});
