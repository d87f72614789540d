import { describe, expect, it } from 'vitest';
import {
  affineFromRows,
  affineToRows,
  applyAffine,
  axcodesFromAffine,
  invertAffine,
  multiplyAffines,
  orientationTransform,
  reorientAffine,
  spacingFromAffine,
  identity,
  ArgumentError,
} from '@voxelkit/core';

describe('axcodesFromAffine', () => {
  it('reads RAS, LPS and permuted codes', () => {
    expect(axcodesFromAffine(identity())).toBe('RAS');
    expect(
      axcodesFromAffine(
        affineFromRows([
          [-1, 0, 0, 0],
          [0, -1, 0, 0],
          [0, 0, 1, 0],
        ]),
      ),
    ).toBe('LPS');
    // voxel i -> -y (P), j -> -x (L), k -> -z (I)
    expect(
      axcodesFromAffine(
        affineFromRows([
          [0, -2, 0, 0],
          [-3, 0, 0, 0],
          [0, 0, -1, 0],
        ]),
      ),
    ).toBe('PLI');
  });

  it('picks the nearest axis of an oblique affine (10 degrees)', () => {
    const t = (10 * Math.PI) / 180;
    const a = affineFromRows([
      [Math.cos(t), -Math.sin(t), 0, 0],
      [Math.sin(t), Math.cos(t), 0, 0],
      [0, 0, 1, 0],
    ]);
    expect(axcodesFromAffine(a)).toBe('RAS');
  });
});

describe('orientation transform (cases.md #11 A)', () => {
  it('maps diag(-1,-1,1) to RAS with the hand-computed affine', () => {
    const affine = affineFromRows([
      [-1, 0, 0, 0],
      [0, -1, 0, 0],
      [0, 0, 1, 0],
    ]);
    const t = orientationTransform(axcodesFromAffine(affine), 'RAS');
    expect(t).toEqual({ perm: [0, 1, 2], flip: [true, true, false] });
    const out = reorientAffine(affine, [2, 3, 4], t);
    expect(affineToRows(out).slice(0, 3)).toEqual([
      [1, 0, 0, -1],
      [0, 1, 0, -2],
      [0, 0, 1, 0],
    ]);
    // Every voxel keeps its world position: new index n reads old index (1-n0, 2-n1, n2).
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 4; k++) {
          expect(applyAffine(out, [i, j, k])).toEqual(
            applyAffine(affine, [1 - i, 2 - j, k]).map((v) => v + 0),
          );
        }
  });

  it('is a no-op when source and target agree', () => {
    expect(orientationTransform('RAS', 'RAS')).toEqual({
      perm: [0, 1, 2],
      flip: [false, false, false],
    });
  });

  it('rejects malformed codes', () => {
    expect(() => orientationTransform('RAX', 'RAS')).toThrow(ArgumentError);
    expect(() => orientationTransform('RRS', 'RAS')).toThrow(/each world axis once/);
  });
});

describe('affine arithmetic', () => {
  it('inverts and multiplies back to identity', () => {
    const a = affineFromRows([
      [0, 2, 0, 10],
      [3, 0, 0, 20],
      [0, 0, -4, 30],
    ]);
    const p = multiplyAffines(a, invertAffine(a));
    for (let i = 0; i < 16; i++) expect(p[i]).toBeCloseTo(identity()[i], 12);
  });

  it('computes spacing from column norms', () => {
    expect(
      spacingFromAffine(
        affineFromRows([
          [0, 2, 0, 0],
          [3, 0, 0, 0],
          [0, 0, -4, 0],
        ]),
      ),
    ).toEqual([3, 2, 4]);
  });

  it('throws on a singular affine', () => {
    expect(() => invertAffine(new Float64Array(16))).toThrow(/singular/);
  });
});
