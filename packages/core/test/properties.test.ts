/**
 * Property-based checks (fast-check) of the affine, orientation and Rng invariants everything
 * else relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Rng,
  affineFromRows,
  applyAffine,
  axcodesFromAffine,
  composeAffines,
  determinant3,
  identity,
  invertAffine,
  isSingularAffine,
  multiplyAffines,
  orientationTransform,
  parseAxcodes,
  reorientAffine,
  spacingFromAffine,
} from '@voxelkit/core';

const permutations = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const;

/** A voxel-to-world affine: permuted, signed axes with positive spacings and an offset. */
const orthogonalAffine = fc
  .record({
    perm: fc.constantFrom(...permutations),
    signs: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
    spacing: fc.tuple(
      fc.double({ min: 0.1, max: 5, noNaN: true }),
      fc.double({ min: 0.1, max: 5, noNaN: true }),
      fc.double({ min: 0.1, max: 5, noNaN: true }),
    ),
    offset: fc.tuple(
      fc.integer({ min: -300, max: 300 }),
      fc.integer({ min: -300, max: 300 }),
      fc.integer({ min: -300, max: 300 }),
    ),
  })
  .map(({ perm, signs, spacing, offset }) => {
    // Voxel axis c points along world axis perm[c].
    const rows = [0, 1, 2].map((r) => [0, 0, 0, offset[r]]);
    for (let c = 0; c < 3; c++) rows[perm[c]][c] = (signs[c] ? -1 : 1) * spacing[c];
    return { affine: affineFromRows(rows), perm, signs, spacing };
  });

const codes = fc
  .tuple(fc.constantFrom(...permutations), fc.boolean(), fc.boolean(), fc.boolean())
  .map(([perm, ...flips]) =>
    perm.map((w, i) => (flips[i] ? ['L', 'P', 'I'] : ['R', 'A', 'S'])[w]).join(''),
  );

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol);
};

describe('affine and orientation properties', () => {
  it('codes and spacing of a permuted, flipped, scaled affine are the hand-derived ones', () => {
    fc.assert(
      fc.property(orthogonalAffine, ({ affine, perm, signs, spacing }) => {
        const expected = perm
          .map((w, c) => (signs[c] ? ['L', 'P', 'I'] : ['R', 'A', 'S'])[w])
          .join('');
        expect(axcodesFromAffine(affine)).toBe(expected);
        close(spacingFromAffine(affine), spacing);
      }),
      { numRuns: 200 },
    );
  });

  it('reorienting to any target keeps every voxel at its world position', () => {
    fc.assert(
      fc.property(
        orthogonalAffine,
        codes,
        fc.tuple(
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 6 }),
        ),
        ({ affine }, target, shape) => {
          const t = orientationTransform(axcodesFromAffine(affine), target);
          const out = reorientAffine(affine, shape, t);
          expect(axcodesFromAffine(out)).toBe(target);
          const outShape = t.perm.map((s) => shape[s]);
          // New index n reads old index o with o[perm[a]] = flip[a] ? shape - 1 - n[a] : n[a].
          for (const n of [
            [0, 0, 0],
            [outShape[0] - 1, 0, outShape[2] - 1],
            [outShape[0] - 1, outShape[1] - 1, outShape[2] - 1],
          ]) {
            const o = [0, 0, 0];
            for (let a = 0; a < 3; a++) {
              const s = t.perm[a];
              o[s] = t.flip[a] ? shape[s] - 1 - n[a] : n[a];
            }
            close(applyAffine(out, n), applyAffine(affine, o), 1e-9);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('orientationTransform composes: from → to after to → from is the identity', () => {
    fc.assert(
      fc.property(codes, codes, (from, to) => {
        const there = orientationTransform(from, to);
        const back = orientationTransform(to, from);
        for (let a = 0; a < 3; a++) {
          expect(there.perm[back.perm[a]]).toBe(a);
          expect(back.flip[a]).toBe(there.flip[back.perm[a]]);
        }
        expect(parseAxcodes(from.toLowerCase())).toEqual(parseAxcodes(from));
      }),
      { numRuns: 200 },
    );
  });

  it('invertAffine is a two-sided inverse and composeAffines applies right to left', () => {
    fc.assert(
      fc.property(orthogonalAffine, orthogonalAffine, ({ affine: a }, { affine: b }) => {
        close(multiplyAffines(a, invertAffine(a)), identity(), 1e-9);
        close(multiplyAffines(invertAffine(a), a), identity(), 1e-9);
        const p = [1, 2, 3];
        close(applyAffine(composeAffines(a, b), p), applyAffine(a, applyAffine(b, p)), 1e-6);
        expect(isSingularAffine(a)).toBe(false);
        expect(Math.abs(determinant3(a))).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });

  it('flags singular or non-finite affines', () => {
    expect(
      isSingularAffine(
        affineFromRows([
          [1, 1, 0, 0],
          [1, 1, 0, 0],
          [0, 0, 1, 0],
        ]),
      ),
    ).toBe(true);
    expect(
      isSingularAffine(
        affineFromRows([
          [NaN, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
        ]),
      ),
    ).toBe(true);
    expect(isSingularAffine(new Float64Array(16))).toBe(true);
    expect(() => axcodesFromAffine(new Float64Array(16))).toThrow(ArgumentError);
    expect(() => affineFromRows([[1, 0, 0]])).toThrow(ArgumentError);
    expect(() =>
      affineFromRows([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).toThrow(/4 entries/);
  });
});

describe('Rng properties', () => {
  it('int(n) stays in [0, n), shuffle is a permutation, and both are reproducible', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.string()),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.integer(), { maxLength: 30 }),
        (seed, n, items) => {
          const a = new Rng(seed);
          const b = new Rng(seed);
          for (let i = 0; i < 20; i++) {
            const k = a.int(n);
            expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
            expect(b.int(n)).toBe(k);
          }
          const s = a.shuffle(items);
          expect(b.shuffle(items)).toEqual(s);
          expect([...s].sort((x, y) => x - y)).toEqual([...items].sort((x, y) => x - y));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fork gives an independent, reproducible child and advances the parent once', () => {
    const a = new Rng(3);
    const b = new Rng(3);
    const child = a.fork();
    b.nextUint32();
    expect(a.nextUint32()).toBe(b.nextUint32());
    expect(child.uniform()).toBe(new Rng(3).fork().uniform());
  });

  it('derive separates numbers from strings and orders parts', () => {
    const first = (r: Rng) => r.nextUint32();
    expect(first(Rng.derive(1, 'a'))).not.toBe(first(Rng.derive('1', 'a')));
    expect(first(Rng.derive(1, 'a'))).not.toBe(first(Rng.derive('a', 1)));
    expect(first(Rng.derive(0, 2, 'case'))).toBe(first(Rng.derive(0, 2, 'case')));
  });

  it('normal draws have mean ≈ 0 and variance ≈ 1; bernoulli(p) hits ≈ p', () => {
    const r = new Rng(11);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      sum += x;
      sq += x * x;
      if (r.bernoulli(0.3)) hits++;
    }
    // Standard errors: mean 1/sqrt(n) ≈ 0.007, variance sqrt(2/n) ≈ 0.01, rate ≈ 0.003.
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
    expect(Math.abs(hits / n - 0.3)).toBeLessThan(0.015);
    expect(new Rng(1).normal(10, 0)).toBe(10);
  });

  it('rejects bad seeds and bounds with ArgumentError', () => {
    expect(() => new Rng(Infinity)).toThrow(ArgumentError);
    expect(() => new Rng(NaN)).toThrow(/seed must be finite/);
    expect(() => new Rng(0).int(0)).toThrow(ArgumentError);
    expect(() => new Rng(0).int(2.5)).toThrow(/positive integer/);
  });

  it('accepts large and fractional seeds and keeps them distinct', () => {
    const first = (seed: number) => new Rng(seed).nextUint32();
    expect(first(2 ** 40)).toBe(first(2 ** 40));
    expect(first(2 ** 40)).not.toBe(first(2 ** 40 + 1));
    expect(first(0.5)).not.toBe(first(0));
  });
});
