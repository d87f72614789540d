import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError, Rng } from '@voxelkit/core';
import { splitTrainValidation } from '@voxelkit/io';
import { loadDecathlonDataset } from '../src/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const spleenMini = path.resolve(here, '../../../data/spleen-mini');

/** ts001 and ts003 are the same scan of one patient (shared/data/SOURCES.md). */
const patientOf = (item: { image: string }) =>
  /spleen_ts00[13]/.test(item.image) ? 'patient-A' : path.basename(item.image);

const cases = (n: number) =>
  Array.from({ length: n }, (_, i) => `case_${String(i).padStart(3, '0')}`);

describe('splitTrainValidation on spleen-mini with a patient grouping', () => {
  it('keeps ts001 and ts003 together, with both sides non-empty, for 32 seeds', async () => {
    const { training } = await loadDecathlonDataset(spleenMini);
    const seen = new Set<string>();
    for (let seed = 0; seed < 32; seed++) {
      const split = splitTrainValidation(training, {
        validationFraction: 0.34,
        seed,
        groupOf: patientOf,
      });
      expect(split.training.length).toBeGreaterThan(0);
      expect(split.validation.length).toBeGreaterThan(0);
      expect([...split.training, ...split.validation].map((t) => t.image).sort()).toEqual(
        training.map((t) => t.image).sort(),
      );
      const side = (id: string) =>
        split.training.some((t) => t.image.includes(id)) ? 'train' : 'val';
      expect(side('ts001')).toBe(side('ts003'));
      seen.add(split.validation.map((t) => path.basename(t.image)).join(','));
    }
    // Both possible splits occur: the seed really matters.
    expect([...seen].sort()).toEqual([
      'spleen_ts001.nii.gz,spleen_ts003.nii.gz',
      'spleen_ts002.nii.gz',
    ]);
  });
});

describe('splitTrainValidation determinism', () => {
  it('does not depend on the input order', () => {
    const items = cases(25);
    const reference = splitTrainValidation(items, { validationFraction: 0.2, seed: 7 });
    for (let k = 0; k < 5; k++) {
      const shuffled = new Rng(100 + k).shuffle(items);
      expect(splitTrainValidation(shuffled, { validationFraction: 0.2, seed: 7 })).toEqual(
        reference,
      );
    }
  });

  it('same seed gives the same split; other seeds give other splits', () => {
    const items = cases(30);
    const a = splitTrainValidation(items, { validationFraction: 0.2, seed: 1 });
    const b = splitTrainValidation(items.slice(), { validationFraction: 0.2, seed: 1 });
    expect(b).toEqual(a);
    const others = [2, 3, 4].map((seed) =>
      splitTrainValidation(items, { validationFraction: 0.2, seed }),
    );
    expect(others.every((o) => o.validation.join() !== a.validation.join())).toBe(true);
  });

  it('treats an image path with backslashes like one with slashes (platform-stable keys)', () => {
    const posix = cases(12).map((c) => ({ image: `data/imagesTr/${c}.nii.gz` }));
    const windows = posix.map((p) => ({ image: p.image.replace(/\//g, '\\') }));
    const a = splitTrainValidation(posix, { validationFraction: 0.25, seed: 3 });
    const b = splitTrainValidation(windows, { validationFraction: 0.25, seed: 3 });
    expect(b.validation.map((v) => v.image.replace(/\\/g, '/'))).toEqual(
      a.validation.map((v) => v.image),
    );
  });

  it('returns each side in ascending key order', () => {
    const split = splitTrainValidation(cases(10).reverse(), { validationFraction: 0.5, seed: 0 });
    expect(split.training).toEqual(split.training.slice().sort());
    expect(split.validation).toEqual(split.validation.slice().sort());
  });
});

describe('splitTrainValidation sizes', () => {
  it('rounds fraction * N half up: 0.25 of 10 -> 3 validation cases', () => {
    const split = splitTrainValidation(cases(10), { validationFraction: 0.25, seed: 0 });
    expect(split.validation).toHaveLength(3);
    expect(split.training).toHaveLength(7);
  });

  it('at least one validation case when the fraction is tiny and N >= 2', () => {
    expect(
      splitTrainValidation(cases(2), { validationFraction: 0.01, seed: 0 }).validation,
    ).toHaveLength(1);
    expect(
      splitTrainValidation(cases(40), { validationFraction: 0.001, seed: 5 }).validation,
    ).toHaveLength(1);
  });

  it('at least one training case when the fraction is below 1', () => {
    const split = splitTrainValidation(cases(3), { validationFraction: 0.99, seed: 0 });
    expect(split.training).toHaveLength(1);
    expect(split.validation).toHaveLength(2);
  });

  it('fraction 0 -> everything in training; fraction 1 -> everything in validation', () => {
    expect(splitTrainValidation(cases(4), { validationFraction: 0, seed: 0 }).validation).toEqual(
      [],
    );
    expect(splitTrainValidation(cases(4), { validationFraction: 1, seed: 0 }).training).toEqual([]);
  });

  it('a single case with a fraction in (0, 1) stays in training', () => {
    const split = splitTrainValidation(['only'], { validationFraction: 0.5, seed: 0 });
    expect(split).toEqual({ training: ['only'], validation: [] });
  });

  it('moves whole groups: groups of 3 with target 2 give 3 validation cases', () => {
    const items = cases(12);
    const groupOf = (c: string) => `g${Math.floor(Number(c.slice(5)) / 3)}`;
    const split = splitTrainValidation(items, { validationFraction: 0.15, seed: 4, groupOf });
    expect(split.validation).toHaveLength(3);
    expect(new Set(split.validation.map(groupOf)).size).toBe(1);
  });

  it('a patient with every case never empties the training side', () => {
    const items = ['a1', 'a2', 'a3', 'b1'];
    for (let seed = 0; seed < 16; seed++) {
      const split = splitTrainValidation(items, {
        validationFraction: 0.5,
        seed,
        groupOf: (c) => c[0],
      });
      expect(split.training.length).toBeGreaterThan(0);
      expect(split.validation.length).toBeGreaterThan(0);
    }
  });
});

describe('splitTrainValidation rejects bad input', () => {
  it('fraction outside [0, 1] or NaN -> ArgumentError on validationFraction', () => {
    for (const validationFraction of [-0.1, 1.5, NaN]) {
      expect(() => splitTrainValidation(cases(3), { validationFraction, seed: 0 })).toThrow(
        ArgumentError,
      );
    }
  });

  it('duplicate keys -> ArgumentError naming the key', () => {
    expect(() =>
      splitTrainValidation(['a', 'b', 'a'], { validationFraction: 0.5, seed: 0 }),
    ).toThrow(/share one key.*got a/);
  });

  it('items without a string key -> ArgumentError asking for keyOf', () => {
    expect(() =>
      splitTrainValidation([{ n: 1 }, { n: 2 }], { validationFraction: 0.5, seed: 0 }),
    ).toThrow(/keyOf/);
    const split = splitTrainValidation([{ n: 1 }, { n: 2 }], {
      validationFraction: 0.5,
      seed: 0,
      keyOf: (item) => String(item.n),
    });
    expect(split.training.length + split.validation.length).toBe(2);
  });

  it('all cases in one group with a fraction in (0, 1) -> DataError on groupOf', () => {
    const error = (() => {
      try {
        splitTrainValidation(cases(4), { validationFraction: 0.5, seed: 0, groupOf: () => 'p' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).details.field).toBe('groupOf');
  });
});
