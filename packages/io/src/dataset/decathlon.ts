/**
 * Reads and validates a Medical Segmentation Decathlon `dataset.json` (Node only). Every problem
 * is a typed error naming the file and the field (`training[2].label`), so a broken download or a
 * hand-edited file is caught before training starts rather than hours into it.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataError, FormatError, silentLogger, type Logger } from '@voxelkit/core';
import type { DecathlonDataset, DecathlonItem } from './types.js';

/** Options of {@link loadDecathlonDataset}. */
export interface LoadDecathlonOptions {
  /** Check that every image and label file exists (default true). */
  checkFiles?: boolean;
  /** Receives warnings, e.g. a `numTraining` that disagrees with the `training` list. */
  logger?: Logger;
}

/**
 * Loads `<dir>/dataset.json`, validates it and resolves its relative paths against `dir`.
 *
 * Validation: the file must be a JSON object with a `training` array of `{ image, label }`
 * string pairs; `test` (optional) is an array of strings or `{ image }` objects; `name`,
 * `description` (strings) and `labels`, `modality` (objects of strings) are optional. No image
 * may appear twice (in training or test) and no label twice; every referenced file must exist.
 *
 * @param dir - the data set folder (e.g. `data/Task09_Spleen`), relative or absolute.
 * @returns the data set with absolute, normalised paths, in file order.
 * @throws DataError when `dataset.json` or a referenced file is missing, or an entry is
 *   duplicated; FormatError when the JSON is invalid or a field has the wrong type.
 *
 * @example
 * ```ts
 * const ds = await loadDecathlonDataset('data/spleen-mini');
 * ds.training[0]; // { image: '/…/imagesTr/spleen_ts001.nii.gz', label: '/…/labelsTr/…' }
 * ```
 */
export async function loadDecathlonDataset(
  dir: string,
  options: LoadDecathlonOptions = {},
): Promise<DecathlonDataset> {
  const root = path.resolve(dir);
  const file = path.join(root, 'dataset.json');
  const logger = options.logger ?? silentLogger;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DataError('Decathlon data set has no readable dataset.json', {
      file,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FormatError('dataset.json is not valid JSON', { file, cause: error });
  }
  if (!isObject(json)) {
    throw new FormatError('dataset.json must hold a JSON object', {
      file,
      expected: 'object',
      actual: kindOf(json),
    });
  }

  const name = optionalString(json, 'name', file);
  const description = optionalString(json, 'description', file);
  const labels = optionalStringMap(json, 'labels', file);
  const modality = optionalStringMap(json, 'modality', file);

  if (!('training' in json)) {
    throw new FormatError('dataset.json has no training list', { file, field: 'training' });
  }
  if (!Array.isArray(json.training)) {
    throw new FormatError('dataset.json training must be an array', {
      file,
      field: 'training',
      expected: 'array',
      actual: kindOf(json.training),
    });
  }
  const training: DecathlonItem[] = json.training.map((entry, i) => {
    const field = `training[${i}]`;
    if (!isObject(entry)) {
      throw new FormatError('training entries must be objects with image and label', {
        file,
        field,
        expected: '{ image: string, label: string }',
        actual: kindOf(entry),
      });
    }
    return {
      image: path.resolve(root, requiredString(entry, 'image', `${field}.image`, file)),
      label: path.resolve(root, requiredString(entry, 'label', `${field}.label`, file)),
    };
  });

  const testList = json.test ?? [];
  if (!Array.isArray(testList)) {
    throw new FormatError('dataset.json test must be an array', {
      file,
      field: 'test',
      expected: 'array',
      actual: kindOf(testList),
    });
  }
  const test = testList.map((entry, i) => {
    if (typeof entry === 'string') return path.resolve(root, entry);
    if (isObject(entry))
      return path.resolve(root, requiredString(entry, 'image', `test[${i}].image`, file));
    throw new FormatError('test entries must be paths or objects with image', {
      file,
      field: `test[${i}]`,
      expected: 'string or { image: string }',
      actual: kindOf(entry),
    });
  });

  checkUnique(
    [
      ...training.map((t, i) => [t.image, `training[${i}].image`]),
      ...test.map((t, i) => [t, `test[${i}]`]),
    ],
    'image',
    file,
  );
  checkUnique(
    training.map((t, i) => [t.label, `training[${i}].label`]),
    'label',
    file,
  );
  if (typeof json.numTraining === 'number' && json.numTraining !== training.length) {
    logger.warn('dataset.json numTraining disagrees with the training list', {
      file,
      numTraining: json.numTraining,
      training: training.length,
    });
  }
  if (options.checkFiles ?? true) {
    const referenced: [string, string][] = [
      ...training.flatMap((t, i): [string, string][] => [
        [t.image, `training[${i}].image`],
        [t.label, `training[${i}].label`],
      ]),
      ...test.map((t, i): [string, string] => [t, `test[${i}]`]),
    ];
    // Report the first problem in file order, whichever stat finishes first.
    const problems = await Promise.all(referenced.map(([p, field]) => checkFile(p, field, file)));
    const problem = problems.find((e) => e !== undefined);
    if (problem) throw problem;
  }
  return { dir: root, name, description, labels, modality, training, test };
}

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function optionalString(json: JsonObject, key: string, file: string): string {
  const value = json[key];
  if (value === undefined) return '';
  if (typeof value !== 'string') {
    throw new FormatError(`dataset.json ${key} must be a string`, {
      file,
      field: key,
      expected: 'string',
      actual: kindOf(value),
    });
  }
  return value;
}

function optionalStringMap(json: JsonObject, key: string, file: string): Record<string, string> {
  const value = json[key];
  if (value === undefined) return {};
  if (!isObject(value)) {
    throw new FormatError(`dataset.json ${key} must be an object`, {
      file,
      field: key,
      expected: 'object of strings',
      actual: kindOf(value),
    });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new FormatError(`dataset.json ${key} values must be strings`, {
        file,
        field: `${key}.${k}`,
        expected: 'string',
        actual: kindOf(v),
      });
    }
    out[k] = v;
  }
  return out;
}

function requiredString(entry: JsonObject, key: string, field: string, file: string): string {
  const value = entry[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new FormatError(`dataset.json entry needs a ${key} path`, {
      file,
      field,
      expected: 'non-empty string',
      actual: value === undefined ? 'missing' : kindOf(value),
    });
  }
  return value;
}

function checkUnique(entries: string[][], what: string, file: string): void {
  const first = new Map<string, string>();
  for (const [p, field] of entries) {
    const other = first.get(p);
    if (other !== undefined) {
      throw new DataError(`dataset.json lists the same ${what} twice`, {
        file,
        field,
        expected: `a path different from ${other}`,
        actual: p,
      });
    }
    first.set(p, field);
  }
}

async function checkFile(p: string, field: string, file: string): Promise<DataError | undefined> {
  let isFile = false;
  try {
    isFile = (await stat(p)).isFile();
  } catch (error) {
    return new DataError('dataset.json references a missing file', {
      file,
      field,
      expected: 'an existing file',
      actual: p,
      cause: error,
    });
  }
  if (!isFile) {
    return new DataError('dataset.json references something that is not a file', {
      file,
      field,
      expected: 'a regular file',
      actual: p,
    });
  }
  return undefined;
}
