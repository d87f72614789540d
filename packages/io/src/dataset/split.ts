/**
 * Deterministic train/validation split that keeps groups (e.g. all scans of one patient) on one
 * side. The result depends only on the seed and the set of case keys: not on input order, not
 * on the platform (the order uses UTF-16 code-unit comparison, never the locale, and the
 * shuffle uses the integer-only {@link Rng} from `@voxelkit/core`).
 */
import { ArgumentError, DataError, Rng } from '@voxelkit/core';

/** Options of {@link splitTrainValidation}. */
export interface SplitOptions<T> {
  /** Share of cases to put in validation, in `[0, 1]`. */
  validationFraction: number;
  /** Seed of the shuffle; equal seeds give equal splits. */
  seed: number | string;
  /**
   * Group id of a case (e.g. the patient id). Cases with the same id land on the same side.
   * Default: each case is its own group.
   */
  groupOf?: (item: T) => string;
  /**
   * A stable, unique key of a case, used to order cases before shuffling. Default: the item
   * itself when it is a string, else its `image` field with `\` turned into `/`.
   */
  keyOf?: (item: T) => string;
}

/** The two sides of a split; each side is in ascending key order. */
export interface SplitResult<T> {
  /** Cases to train on. */
  training: T[];
  /** Cases to validate on; disjoint from `training`. */
  validation: T[];
}

/**
 * Splits cases into training and validation sides, deterministically.
 *
 * Algorithm (also in `docs/io-datasets.md`):
 * 1. Key every case (`keyOf`), reject duplicate keys; group cases by `groupOf` (default: key).
 * 2. Sort the group ids by UTF-16 code units and shuffle them with `new Rng(seed).shuffle`.
 * 3. `target = floor(validationFraction * N + 0.5)` for `N` cases; when `0 < fraction < 1` and
 *    `N >= 2` it is clamped to `[1, N - 1]`.
 * 4. Walk the shuffled groups, moving whole groups to validation while the validation count is
 *    below `target`.
 * 5. If that emptied the training side while `fraction < 1`, the last moved group goes back.
 * 6. Both sides are returned in ascending key order.
 *
 * @param items - the cases (e.g. `DecathlonDataset.training`).
 * @param options - fraction, seed, optional `groupOf` and `keyOf`.
 * @returns the `training` and `validation` cases; no case is on both sides.
 * @throws ArgumentError for a fraction outside `[0, 1]`, a missing or duplicate key.
 * @throws DataError when `0 < fraction < 1`, `N >= 2`, but all cases form one group.
 *
 * @example
 * ```ts
 * const { training, validation } = splitTrainValidation(ds.training, {
 *   validationFraction: 0.2, seed: 0,
 *   groupOf: (item) => patientOf(item.image),
 * });
 * ```
 */
export function splitTrainValidation<T>(
  items: readonly T[],
  options: SplitOptions<T>,
): SplitResult<T> {
  const fraction = options.validationFraction;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
    throw new ArgumentError('splitTrainValidation: validationFraction must be in [0, 1]', {
      field: 'validationFraction',
      expected: 'a number in [0, 1]',
      actual: fraction,
    });
  }
  const keyOf: (item: T) => string | undefined = options.keyOf ?? defaultKey;
  const keyed: Keyed<T>[] = items.map((item, index) => ({
    item,
    key: checkedKey(keyOf, item, index),
  }));
  const seen = new Set<string>();
  for (const { key } of keyed) {
    if (seen.has(key)) {
      throw new ArgumentError('splitTrainValidation: two cases share one key', {
        field: 'items',
        expected: 'unique case keys',
        actual: key,
      });
    }
    seen.add(key);
  }
  keyed.sort((a, b) => compareCodeUnits(a.key, b.key));

  const groups = new Map<string, Keyed<T>[]>();
  for (const entry of keyed) {
    const id = options.groupOf ? options.groupOf(entry.item) : entry.key;
    const members = groups.get(id);
    if (members) members.push(entry);
    else groups.set(id, [entry]);
  }
  const order = new Rng(options.seed).shuffle([...groups.keys()].sort(compareCodeUnits));

  const n = keyed.length;
  let target = Math.floor(fraction * n + 0.5);
  if (fraction > 0 && fraction < 1 && n >= 2) target = Math.min(Math.max(target, 1), n - 1);
  if (fraction > 0 && fraction < 1 && n >= 2 && groups.size < 2) {
    throw new DataError(
      'splitTrainValidation: all cases form one group, so one side would be empty',
      {
        field: 'groupOf',
        expected: 'at least 2 groups',
        actual: `${n} cases in 1 group`,
      },
    );
  }

  const validationGroups: string[] = [];
  let validationCount = 0;
  for (const id of order) {
    if (validationCount >= target) break;
    validationGroups.push(id);
    validationCount += groups.get(id)!.length;
  }
  if (fraction < 1 && validationCount === n && validationGroups.length > 0) validationGroups.pop();

  const inValidation = new Set(validationGroups);
  const training: Keyed<T>[] = [];
  const validation: Keyed<T>[] = [];
  for (const [id, members] of groups) {
    for (const entry of members) (inValidation.has(id) ? validation : training).push(entry);
  }
  return { training: inKeyOrder(training), validation: inKeyOrder(validation) };
}

interface Keyed<T> {
  item: T;
  key: string;
}

function inKeyOrder<T>(entries: Keyed<T>[]): T[] {
  return entries.sort((a, b) => compareCodeUnits(a.key, b.key)).map((e) => e.item);
}

function defaultKey(item: unknown): string | undefined {
  if (typeof item === 'string') return item.replace(/\\/g, '/');
  if (item !== null && typeof item === 'object') {
    const image = (item as { image?: unknown }).image;
    if (typeof image === 'string') return image.replace(/\\/g, '/');
  }
  return undefined;
}

function checkedKey<T>(keyOf: (item: T) => string | undefined, item: T, index: number): string {
  const key = keyOf(item);
  if (typeof key !== 'string') {
    throw new ArgumentError('splitTrainValidation: a case has no key; pass options.keyOf', {
      field: `items[${index}]`,
      expected: 'a string, or an object with a string `image` field',
      actual: typeof item,
    });
  }
  return key;
}

/** Orders strings by UTF-16 code units: the same on every platform and locale. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
