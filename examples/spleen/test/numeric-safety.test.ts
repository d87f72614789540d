/**
 * Non-finite numbers never train silently: NaN voxels in a case stop the run with a message
 * naming the case, a non-finite loss stops it naming epoch, step and cases while the last good
 * checkpoint stays loadable, and the progress bars show `--` for an ETA they cannot know yet.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVolume, DataError, Rng, silentLogger } from '@voxelkit/core';
import { loadNifti, saveNifti } from '@voxelkit/io';
import { CheckFinited, countNonFinite } from '../src/checkFinite.js';
import { BAR_OPTIONS, formatBarTime } from '../src/console.js';
import { bundledDataDir, runCli } from './runCli.js';

/** Tiny preset, seed 2 (trains on ts001 + ts003, validates on ts002), two steps per epoch. */
const TRAIN_FLAGS = ['train', '--preset', 'tiny', '--seed', '2', '--batch-size', '1', '--quiet'];

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'spleen-nan-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('CheckFinited', () => {
  const context = { rng: new Rng(0), logger: silentLogger, recordName: 'case_7' };
  const volume = (values: number[]) =>
    createVolume(Float32Array.from(values), [1, values.length, 1, 1], undefined, {
      filename: '/data/case_7.nii.gz',
    });

  it('passes a record whose volumes are finite unchanged', () => {
    const record = { image: volume([0, 1, -3.5]), label: volume([0, 1, 1]) };
    expect(new CheckFinited({ keys: ['image', 'label'] }).apply(record, context)).toBe(record);
  });

  it('throws a DataError naming the case, key, file and counts of NaN and Inf', () => {
    const record = { image: volume([0, NaN, NaN, Infinity, -Infinity, 2]) };
    let error: unknown;
    try {
      new CheckFinited({ keys: ['image'] }).apply(record, context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    const message = (error as DataError).message;
    expect(message).toContain('case_7');
    expect(message).toContain('image has 4 non-finite voxels of 6');
    expect(message).toContain('2 NaN, 2 ±Inf');
    expect(message).toContain('/data/case_7.nii.gz');
  });

  it('counts NaN and infinities separately', () => {
    expect(countNonFinite([1, NaN, Infinity, -Infinity, NaN, 0])).toEqual({ nan: 2, infinite: 2 });
    expect(countNonFinite(new Float32Array([1e38, -1e38]))).toEqual({ nan: 0, infinite: 0 });
  });
});

describe('progress bar ETA', () => {
  const options = { autopaddingChar: ' ' } as cliProgress.Options;

  it('shows -- while cli-progress has no estimate (NULL before the first step, INF)', () => {
    expect(formatBarTime('NULL', options, 5)).toBe('--');
    expect(formatBarTime('INF', options, 5)).toBe('--');
    expect(formatBarTime(NaN, options, 5)).toBe('--');
  });

  it('formats known times like cli-progress (75 s → " 1m15s", 5 s → " 5s")', () => {
    expect(formatBarTime(75, options, 5)).toBe(' 1m15s');
    expect(formatBarTime(5, options, 5)).toBe(' 5s');
  });

  it('a bar line before the first step reads "eta --", not NULL', () => {
    // The CLI's own bar options; the bar drawing fields are what cli-progress derives from a preset.
    const barOptions = {
      ...BAR_OPTIONS,
      ...options,
      barCompleteString: '#'.repeat(4),
      barIncompleteString: '-'.repeat(4),
      barsize: 4,
      barGlue: '',
    };
    // cli-progress keeps the string 'NULL' in `eta` at run time although its types say number.
    const eta = 'NULL' as unknown as number;
    const line = cliProgress.Format.Formatter(
      barOptions,
      {
        progress: 0,
        eta,
        startTime: Date.now(),
        stopTime: null,
        value: 0,
        total: 4,
        maxWidth: 200,
      },
      { label: 'epoch 1', extra: '' },
    );
    expect(line).toMatch(/^epoch 1 \|----\| 0\/4 {2}\| {2}0s eta --$/);
  });
});

describe('spleen CLI with non-finite numbers', () => {
  it('refuses a data set with NaN voxels in one CT, naming that case', async () => {
    const dataDir = join(work, 'data');
    cpSync(bundledDataDir, dataDir, { recursive: true });
    const file = join(dataDir, 'imagesTr', 'spleen_ts003.nii.gz');
    const ct = await loadNifti(file);
    const data = Float32Array.from(ct.data);
    // A 10×10×4 block of NaN in the middle of the scan (inside the body, so the foreground crop
    // keeps it).
    const [, X, Y, Z] = ct.shape;
    for (let x = X / 2 - 5; x < X / 2 + 5; x++)
      for (let y = Y / 2 - 5; y < Y / 2 + 5; y++)
        for (let z = Math.floor(Z / 2) - 2; z < Math.floor(Z / 2) + 2; z++)
          data[(x * Y + y) * Z + z] = NaN;
    await saveNifti(file, createVolume(data, ct.shape, ct.affine, {}));

    const run = join(work, 'nan-run');
    const result = await runCli([...TRAIN_FLAGS, '--data-dir', dataDir, '--out', run], work);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /case spleen_ts003: image has \d+ non-finite voxels of \d+ after preprocessing \(\d+ NaN, 0 ±Inf\)/,
    );
    expect(result.output).toContain(file);
    expect(existsSync(join(run, 'last'))).toBe(false);
  }, 60_000);

  it('stops on a non-finite loss naming epoch, step and cases; the last checkpoint still loads', async () => {
    const run = join(work, 'poisoned-run');
    // Step 3 = epoch 2, step 1 (two steps per epoch): epoch 1 has written `last` by then.
    const result = await runCli([...TRAIN_FLAGS, '--out', run], work, {
      VOXELKIT_TEST_POISON_LOSS_STEP: '3',
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /training diverged: the loss is NaN at epoch 2, step 1 of 2 \(batch of cases spleen_ts00[13]\); the last checkpoint is the one of epoch 1/,
    );
    const state = JSON.parse(readFileSync(join(run, 'last', 'state.json'), 'utf8'));
    expect(state.epoch).toBe(1);
    expect(state.history.map((r: { kind: string }) => r.kind)).toEqual(['epoch', 'validation']);
    const validate = await runCli(['validate', '--checkpoint', join(run, 'last')], work);
    expect(validate.output).toMatch(/spleen_ts002/);
    expect(validate.code).toBe(0);
  }, 120_000);
});
