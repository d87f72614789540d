/**
 * Fuzzing `loadDecathlonDataset` with random and corrupted `dataset.json` contents: for every
 * input it must either return a well-formed data set (absolute paths of existing files) or throw
 * a `VoxelkitError` — never another exception, never hang.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { VoxelkitError } from '@voxelkit/core';
import { loadDecathlonDataset } from '@voxelkit/io/node';

const existing = [
  'imagesTr/a.nii.gz',
  'labelsTr/a.nii.gz',
  'imagesTr/b.nii.gz',
  'imagesTs/t.nii.gz',
];
const base = await mkdtemp(path.join(os.tmpdir(), 'vk-fuzz-dataset-'));
let counter = 0;

afterAll(() => rm(base, { recursive: true, force: true }));

/** A fresh data set folder with the `existing` (empty) files and `dataset.json` = `bytes`. */
async function datasetDir(bytes: Uint8Array | string | undefined): Promise<string> {
  const dir = path.join(base, String(counter++));
  for (const f of existing) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), '');
  }
  // A sub-folder named like a file, to be referenced as if it were one.
  await mkdir(path.join(dir, 'labelsTr', 'folder.nii.gz'), { recursive: true });
  if (bytes !== undefined) await writeFile(path.join(dir, 'dataset.json'), bytes);
  return dir;
}

/** Resolves or rejects like `promise`, or rejects after `ms` (a hang is a failure). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Runs the loader and checks the outcome against the contract. */
async function checkOutcome(dir: string): Promise<void> {
  let result;
  try {
    result = await withDeadline(loadDecathlonDataset(dir), 5000);
  } catch (error) {
    if (!(error instanceof VoxelkitError)) {
      throw new Error(`non-typed error: ${String(error)}`, { cause: error });
    }
    expect(error.details.file ?? '').toContain(dir);
    return;
  }
  expect(result.dir).toBe(path.resolve(dir));
  expect(Array.isArray(result.training)).toBe(true);
  expect(Array.isArray(result.test)).toBe(true);
  const present = new Set(existing.map((f) => path.join(dir, f)));
  for (const item of result.training) {
    expect(Object.keys(item).sort()).toEqual(['image', 'label']);
    expect(present.has(item.image), item.image).toBe(true);
    expect(present.has(item.label), item.label).toBe(true);
  }
  for (const t of result.test) expect(present.has(t), t).toBe(true);
  expect(new Set(result.training.map((t) => t.image)).size).toBe(result.training.length);
  for (const key of ['name', 'description'] as const) expect(typeof result[key]).toBe('string');
  for (const key of ['labels', 'modality'] as const) {
    for (const v of Object.values(result[key])) expect(typeof v).toBe('string');
  }
}

// Path strings that mix valid, missing, duplicated, escaping and odd references.
const pathLike = fc.oneof(
  fc.constantFrom(
    ...existing,
    `./${existing[0]}`,
    `imagesTr/../${existing[1]}`,
    'labelsTr/folder.nii.gz',
    'missing.nii.gz',
    '../outside.nii.gz',
    '/etc/passwd',
    '',
    'a\0b',
    'x'.repeat(5000),
  ),
  fc.string({ maxLength: 12 }),
);
const fieldValue = fc.oneof(
  { weight: 5, arbitrary: pathLike },
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.array(pathLike, { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), pathLike, { maxKeys: 2 }),
);
const trainingEntry = fc.oneof(
  { weight: 5, arbitrary: fc.record({ image: fieldValue, label: fieldValue }) },
  fc.record({ image: fieldValue }, { requiredKeys: [] }),
  fieldValue,
);
const testEntry = fc.oneof(fieldValue, fc.record({ image: fieldValue }));
const stringMap = fc.oneof(
  fc.dictionary(fc.constantFrom('0', '1', '__proto__', 'constructor', 'x'), fc.string(), {
    maxKeys: 3,
  }),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Decathlon-shaped objects with every field sometimes absent or of the wrong type. */
const datasetObject = fc.record(
  {
    name: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
    description: fc.string(),
    labels: stringMap,
    modality: stringMap,
    numTraining: fc.oneof(fc.nat(5), fc.string()),
    training: fc.oneof(
      { weight: 6, arbitrary: fc.array(trainingEntry, { maxLength: 4 }) },
      fc.jsonValue({ maxDepth: 2 }),
    ),
    test: fc.oneof(fc.array(testEntry, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);

describe('loadDecathlonDataset under fuzzing', () => {
  it('returns a valid data set or throws a VoxelkitError for Decathlon-shaped JSON', async () => {
    await fc.assert(
      fc.asyncProperty(datasetObject, async (json) => {
        await checkOutcome(await datasetDir(JSON.stringify(json)));
      }),
      { numRuns: 100 },
    );
  });

  it('also for truncated, bit-flipped or arbitrary bytes, any JSON value, or no file', async () => {
    const valid = JSON.stringify({
      name: 'Spleen',
      labels: { '0': 'background', '1': 'spleen' },
      training: [{ image: existing[0], label: existing[1] }],
      test: [existing[3]],
    });
    const corrupted = fc.oneof(
      fc.nat(valid.length).map((n) => valid.slice(0, n)),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
        const bytes = new TextEncoder().encode(valid);
        bytes[i % bytes.length] ^= b;
        return bytes;
      }),
      fc.uint8Array({ maxLength: 64 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.constant('['.repeat(100_000)),
      fc.constant(undefined),
    );
    await fc.assert(
      fc.asyncProperty(corrupted, async (bytes) => {
        await checkOutcome(await datasetDir(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it('throws a DataError when dataset.json is a folder, a symlink loop or a dangling link', async () => {
    const asFolder = await datasetDir(undefined);
    await mkdir(path.join(asFolder, 'dataset.json'));
    const loop = await datasetDir(undefined);
    await symlink('dataset.json', path.join(loop, 'dataset.json'));
    const dangling = await datasetDir(undefined);
    await symlink('nowhere.json', path.join(dangling, 'dataset.json'));
    for (const dir of [asFolder, loop, dangling]) {
      await expect(loadDecathlonDataset(dir)).rejects.toMatchObject({
        code: 'E_DATA',
        details: { file: path.join(dir, 'dataset.json') },
      });
    }
  });

  it('accepts the uncorrupted file (the generators can reach success)', async () => {
    const dir = await datasetDir(
      JSON.stringify({ training: [{ image: existing[0], label: existing[1] }] }),
    );
    const ds = await loadDecathlonDataset(dir);
    expect(ds.training).toEqual([
      { image: path.join(dir, existing[0]), label: path.join(dir, existing[1]) },
    ]);
  });
});
