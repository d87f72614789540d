/**
 * Proof test of the spleen example: the CLI, run as a user runs it (child process through tsx),
 * trains a tiny model on the bundled data, writes a complete run folder, predicts a mask on the
 * input's own grid, and resumes a killed run to exactly the metrics of an uninterrupted one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNifti } from '@voxelkit/io';
import { bundledDataDir as dataDir, cliCommand, exampleDir, runCli } from './runCli.js';

/**
 * The tiny preset with seed 2 (the seeded patient split then trains on ts001 + ts003 and
 * validates on ts002), batch size 1 so each epoch has two optimiser steps.
 */
const TRAIN_FLAGS = ['train', '--preset', 'tiny', '--seed', '2', '--batch-size', '1', '--quiet'];

let work: string;

/** Runs the CLI and resolves when it exits with status 0. */
async function cli(args: string[]): Promise<void> {
  const { code, output } = await runCli(args, work);
  if (code !== 0) throw new Error(`spleen ${args.join(' ')} exited with ${code}:\n${output}`);
}

interface Record {
  kind: string;
  epoch: number;
  loss?: number;
  meanDice?: number;
  seconds?: number;
  cases?: { name: string; dice: number }[];
}

function metrics(runDir: string): Record[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record);
}

/** Metrics without wall-clock fields, for exact comparison between runs. */
function withoutTimes(records: Record[]) {
  return records.map(({ seconds: _seconds, ...rest }) => rest);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'spleen-e2e-'));
  await cli([...TRAIN_FLAGS, '--out', join(work, 'run')]);
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('spleen CLI end to end (tiny preset, bundled data)', () => {
  it('writes a complete run folder', () => {
    const run = join(work, 'run');
    for (const file of [
      'config.json',
      'split.json',
      'metrics.jsonl',
      'train.log',
      'loss.png',
      'dice.png',
      'overlay.png',
      'report.html',
    ]) {
      expect(existsSync(join(run, file)), file).toBe(true);
      expect(statSync(join(run, file)).size, file).toBeGreaterThan(0);
    }
    for (const checkpoint of ['best', 'last']) {
      for (const file of [
        'config.json',
        'state.json',
        'model/model.safetensors',
        'model/optimizer.safetensors',
      ]) {
        expect(existsSync(join(run, checkpoint, file)), `${checkpoint}/${file}`).toBe(true);
      }
    }
    const split = JSON.parse(readFileSync(join(run, 'split.json'), 'utf8'));
    expect(split).toEqual({
      training: ['spleen_ts001', 'spleen_ts003'],
      validation: ['spleen_ts002'],
    });
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    for (const img of ['loss.png', 'dice.png', 'overlay.png'])
      expect(html).toContain(`src="${img}"`);
  });

  it('records finite metrics for every epoch and validation, and the loss falls', () => {
    const records = metrics(join(work, 'run'));
    const epochs = records.filter((r) => r.kind === 'epoch');
    const validations = records.filter((r) => r.kind === 'validation');
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(validations.map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const r of epochs) expect(Number.isFinite(r.loss)).toBe(true);
    for (const r of validations) {
      expect(r.meanDice).toBeGreaterThanOrEqual(0);
      expect(r.meanDice).toBeLessThanOrEqual(1);
      expect(r.cases?.map((c) => c.name)).toEqual(['spleen_ts002']);
    }
    expect(epochs[2].loss!).toBeLessThan(epochs[0].loss!);
  });

  it("predict writes a uint8 mask with the input image's shape and affine", async () => {
    const input = join(dataDir, 'imagesTr/spleen_ts002.nii.gz');
    const output = join(work, 'mask.nii.gz');
    await cli([
      'predict',
      '--quiet',
      '--checkpoint',
      join(work, 'run', 'best'),
      '--input',
      input,
      '--output',
      output,
    ]);
    const image = await loadNifti(input);
    const mask = await loadNifti(output);
    expect(mask.shape).toEqual(image.shape);
    expect(mask.dtype).toBe('uint8');
    expect(Array.from(mask.affine)).toEqual(Array.from(image.affine));
    expect(mask.data.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('--resume after SIGKILL ends with exactly the metrics of the uninterrupted run', async () => {
    const run = join(work, 'killed');
    const child = spawn(cliCommand.file, [...cliCommand.args, ...TRAIN_FLAGS, '--out', run], {
      cwd: exampleDir,
      env: { ...process.env, INIT_CWD: work },
      stdio: 'ignore',
      detached: false,
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    // Kill as soon as the first `last` checkpoint exists, i.e. mid-run (3 epochs in total).
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        if (existsSync(join(run, 'last', 'state.json'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          done();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          fail(new Error('training finished before it could be killed'));
        }
      }, 50);
    });
    await exited;
    const state = JSON.parse(readFileSync(join(run, 'last', 'state.json'), 'utf8'));
    expect(state.epoch).toBeLessThan(3);
    await cli(['train', '--quiet', '--resume', run]);
    expect(withoutTimes(metrics(run))).toEqual(withoutTimes(metrics(join(work, 'run'))));
  });
});
