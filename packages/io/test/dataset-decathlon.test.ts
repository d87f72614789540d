import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError, FormatError, createMemoryLogger } from '@voxelkit/core';
import { loadDecathlonDataset } from '../src/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const spleenMini = path.resolve(here, '../../../data/spleen-mini');

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temp data set folder holding `files` (empty) and the given dataset.json text or value. */
async function brokenCopy(json: unknown, files = ['imagesTr/a.nii.gz', 'labelsTr/a.nii.gz']) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vk-decathlon-'));
  temps.push(dir);
  for (const f of files) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), '');
  }
  if (json !== undefined) {
    await writeFile(
      path.join(dir, 'dataset.json'),
      typeof json === 'string' ? json : JSON.stringify(json),
    );
  }
  return dir;
}

async function failure(dir: string): Promise<Error & { details: Record<string, unknown> }> {
  try {
    await loadDecathlonDataset(dir);
  } catch (error) {
    return error as Error & { details: Record<string, unknown> };
  }
  throw new Error('expected loadDecathlonDataset to throw');
}

const pair = { image: './imagesTr/a.nii.gz', label: './labelsTr/a.nii.gz' };

describe('loadDecathlonDataset on the bundled spleen-mini set', () => {
  it('returns name, labels, modality and the three training pairs as absolute paths', async () => {
    const ds = await loadDecathlonDataset(spleenMini);
    expect(ds.dir).toBe(spleenMini);
    expect(ds.name).toBe('SpleenMini');
    expect(ds.labels).toEqual({ '0': 'background', '1': 'spleen' });
    expect(ds.modality).toEqual({ '0': 'CT' });
    expect(ds.test).toEqual([]);
    expect(ds.training).toEqual(
      ['ts001', 'ts002', 'ts003'].map((id) => ({
        image: path.join(spleenMini, 'imagesTr', `spleen_${id}.nii.gz`),
        label: path.join(spleenMini, 'labelsTr', `spleen_${id}.nii.gz`),
      })),
    );
  });

  it('resolves a relative folder against the working directory', async () => {
    const ds = await loadDecathlonDataset(path.relative(process.cwd(), spleenMini));
    expect(path.isAbsolute(ds.training[0].image)).toBe(true);
    expect(ds.training[0].image).toBe(path.join(spleenMini, 'imagesTr', 'spleen_ts001.nii.gz'));
  });
});

describe('loadDecathlonDataset rejects broken data sets with the file and field named', () => {
  it('missing dataset.json -> DataError naming the file', async () => {
    const dir = await brokenCopy(undefined);
    const error = await failure(dir);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.file).toBe(path.join(dir, 'dataset.json'));
  });

  it('invalid JSON -> FormatError', async () => {
    const error = await failure(await brokenCopy('{ "training": [ '));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toContain('dataset.json');
  });

  it('a top-level array -> FormatError', async () => {
    const error = await failure(await brokenCopy([pair]));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.actual).toBe('array');
  });

  it('missing training -> FormatError on field training', async () => {
    const error = await failure(await brokenCopy({ name: 'x', test: [] }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.field).toBe('training');
  });

  it('training that is not an array -> FormatError on field training', async () => {
    const error = await failure(await brokenCopy({ training: { a: pair } }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.field).toBe('training');
    expect(error.details.actual).toBe('object');
  });

  it('an entry without label -> FormatError on training[1].label', async () => {
    const json = { training: [pair, { image: './imagesTr/b.nii.gz' }] };
    const error = await failure(await brokenCopy(json));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.field).toBe('training[1].label');
    expect(error.details.actual).toBe('missing');
  });

  it('a label of the wrong type -> FormatError on training[0].label', async () => {
    const error = await failure(await brokenCopy({ training: [{ ...pair, label: 7 }] }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.field).toBe('training[0].label');
    expect(error.details.actual).toBe('number');
  });

  it('an entry that is a string -> FormatError on training[0]', async () => {
    const error = await failure(await brokenCopy({ training: ['./imagesTr/a.nii.gz'] }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.field).toBe('training[0]');
  });

  it('labels of the wrong type -> FormatError on labels', async () => {
    const error = await failure(await brokenCopy({ labels: ['background'], training: [pair] }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.details.field).toBe('labels');
  });

  it('a missing image file -> DataError naming the field and the absolute path', async () => {
    const json = {
      training: [pair, { image: './imagesTr/gone.nii.gz', label: './labelsTr/a2.nii.gz' }],
    };
    const dir = await brokenCopy(json, [
      'imagesTr/a.nii.gz',
      'labelsTr/a.nii.gz',
      'labelsTr/a2.nii.gz',
    ]);
    const error = await failure(dir);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('training[1].image');
    expect(error.details.actual).toBe(path.join(dir, 'imagesTr', 'gone.nii.gz'));
    expect(error.details.file).toBe(path.join(dir, 'dataset.json'));
  });

  it('a missing label file -> DataError on training[0].label', async () => {
    const error = await failure(await brokenCopy({ training: [pair] }, ['imagesTr/a.nii.gz']));
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('training[0].label');
  });

  it('a folder where a file should be -> DataError', async () => {
    const dir = await brokenCopy({
      training: [{ image: './imagesTr', label: './labelsTr/a.nii.gz' }],
    });
    const error = await failure(dir);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('training[0].image');
  });

  it('the same image twice (spelled differently) -> DataError on the second entry', async () => {
    const json = {
      training: [pair, { image: 'imagesTr/./a.nii.gz', label: './labelsTr/b.nii.gz' }],
    };
    const dir = await brokenCopy(json, [
      'imagesTr/a.nii.gz',
      'labelsTr/a.nii.gz',
      'labelsTr/b.nii.gz',
    ]);
    const error = await failure(dir);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('training[1].image');
    expect(error.details.expected).toContain('training[0].image');
  });

  it('the same label twice -> DataError', async () => {
    const json = {
      training: [pair, { image: './imagesTr/b.nii.gz', label: './labelsTr/a.nii.gz' }],
    };
    const dir = await brokenCopy(json, [
      'imagesTr/a.nii.gz',
      'imagesTr/b.nii.gz',
      'labelsTr/a.nii.gz',
    ]);
    const error = await failure(dir);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('training[1].label');
  });

  it('a test image that is also a training image -> DataError on test[0]', async () => {
    const error = await failure(
      await brokenCopy({ training: [pair], test: ['./imagesTr/a.nii.gz'] }),
    );
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('test[0]');
  });
});

describe('loadDecathlonDataset accepts the optional parts of the format', () => {
  it('test entries as strings or { image } objects, resolved to absolute paths', async () => {
    const files = [
      'imagesTr/a.nii.gz',
      'labelsTr/a.nii.gz',
      'imagesTs/t1.nii.gz',
      'imagesTs/t2.nii.gz',
    ];
    const json = {
      training: [pair],
      test: ['./imagesTs/t1.nii.gz', { image: 'imagesTs/t2.nii.gz' }],
    };
    const dir = await brokenCopy(json, files);
    const ds = await loadDecathlonDataset(dir);
    expect(ds.test).toEqual([
      path.join(dir, 'imagesTs/t1.nii.gz'),
      path.join(dir, 'imagesTs/t2.nii.gz'),
    ]);
    expect(ds.name).toBe('');
    expect(ds.labels).toEqual({});
  });

  it('warns once when numTraining disagrees with the training list', async () => {
    const logger = createMemoryLogger();
    const dir = await brokenCopy({ numTraining: 2, training: [pair] });
    await loadDecathlonDataset(dir, { logger });
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].fields).toMatchObject({ numTraining: 2, training: 1 });
  });

  it('checkFiles: false skips the existence check', async () => {
    const dir = await brokenCopy({ training: [pair] }, []);
    const ds = await loadDecathlonDataset(dir, { checkFiles: false });
    expect(ds.training[0].image).toBe(path.join(dir, 'imagesTr/a.nii.gz'));
  });
});
