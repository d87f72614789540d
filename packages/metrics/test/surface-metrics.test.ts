import { describe, expect, it } from 'vitest';

import { ArgumentError, Rng, ShapeError } from '@voxelkit/core';
import {
  hausdorffDistance95,
  quantile,
  squaredDistanceTransform,
  surfaceDice,
  surfaceDistances,
  surfaceVoxels,
} from '@voxelkit/metrics';
import type { MaskVolume } from '@voxelkit/metrics';

function mask(
  shape: [number, number, number],
  inside: (x: number, y: number, z: number) => boolean,
): MaskVolume {
  const [X, Y, Z] = shape;
  const data = new Uint8Array(X * Y * Z);
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++)
      for (let z = 0; z < Z; z++) data[(x * Y + y) * Z + z] = inside(x, y, z) ? 1 : 0;
  }
  return { data, shape };
}

/** Reference: nearest feature by exhaustive search (test only). */
function bruteForceSquared(features: Uint8Array, shape: number[], spacing: number[]): Float64Array {
  const [X, Y, Z] = shape as [number, number, number];
  const points: number[][] = [];
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++)
      for (let z = 0; z < Z; z++) if (features[(x * Y + y) * Z + z]) points.push([x, y, z]);
  }
  const out = new Float64Array(X * Y * Z).fill(Infinity);
  let i = 0;
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      for (let z = 0; z < Z; z++, i++) {
        for (const [px, py, pz] of points) {
          const d =
            ((x - px!) * spacing[0]!) ** 2 +
            ((y - py!) * spacing[1]!) ** 2 +
            ((z - pz!) * spacing[2]!) ** 2;
          if (d < out[i]!) out[i] = d;
        }
      }
    }
  }
  return out;
}

describe('surface voxels (6-neighbourhood, image border counts as background)', () => {
  it('a 3x3x3 cube inside a 5x5x5 volume has 26 surface voxels (all but the centre)', () => {
    const cube = mask([5, 5, 5], (x, y, z) => [x, y, z].every((v) => v >= 1 && v <= 3));
    const s = surfaceVoxels(cube);
    expect(s.reduce((a, b) => a + b, 0)).toBe(26);
    expect(s[(2 * 5 + 2) * 5 + 2]).toBe(0);
  });

  it('a full volume is surface only on its faces (border = background)', () => {
    const s = surfaceVoxels(mask([4, 4, 4], () => true));
    expect(s.reduce((a, b) => a + b, 0)).toBe(64 - 8);
  });
});

describe('Euclidean distance transform (Felzenszwalb–Huttenlocher, anisotropic)', () => {
  it('equals an exhaustive search on random sparse features with anisotropic spacing', () => {
    const rng = new Rng(7);
    for (const [shape, spacing] of [
      [
        [9, 7, 6],
        [0.8, 1.7, 2.5],
      ],
      [
        [5, 11, 4],
        [3, 0.5, 1],
      ],
      [
        [1, 6, 8],
        [1, 1, 1],
      ],
    ] as [number[], number[]][]) {
      const n = shape[0]! * shape[1]! * shape[2]!;
      const features = new Uint8Array(n);
      for (let i = 0; i < n; i++) features[i] = rng.uniform() < 0.04 ? 1 : 0;
      features[Math.floor(n / 2)] = 1;
      const fast = squaredDistanceTransform(features, shape, spacing);
      const slow = bruteForceSquared(features, shape, spacing);
      for (let i = 0; i < n; i++) expect(fast[i]).toBeCloseTo(slow[i]!, 9);
    }
  });

  it('is infinite everywhere without features', () => {
    const d = squaredDistanceTransform(new Uint8Array(8), [2, 2, 2], [1, 1, 1]);
    expect(Array.from(d).every((v) => v === Infinity)).toBe(true);
  });
});

describe('hausdorffDistance95 (hand-computed)', () => {
  it('two single voxels: the Euclidean distance in mm', () => {
    const a = mask([6, 7, 3], (x, y, z) => x === 1 && y === 1 && z === 1);
    const b = mask([6, 7, 3], (x, y, z) => x === 4 && y === 5 && z === 1);
    // Δ = (3·0.5, 4·2, 0) mm → sqrt(2.25 + 64)
    // (distances are float32, as MONAI's)
    expect(hausdorffDistance95(a, b, [0.5, 2, 3])).toBe(Math.fround(Math.sqrt(66.25)));
    expect(surfaceDice(a, b, [0.5, 2, 3], 8.1)).toBe(0);
    expect(surfaceDice(a, b, [0.5, 2, 3], 8.2)).toBe(1);
  });

  it('two cubes offset by 2 voxels along x with spacing (2, 1, 3)', () => {
    // Cubes 4³ voxels: A at x 1..4, B at x 3..6; same y, z range 1..4.
    const inRange = (v: number, lo: number): boolean => v >= lo && v <= lo + 3;
    const a = mask([9, 6, 6], (x, y, z) => inRange(x, 1) && inRange(y, 1) && inRange(z, 1));
    const b = mask([9, 6, 6], (x, y, z) => inRange(x, 3) && inRange(y, 1) && inRange(z, 1));
    // A's surface (56 voxels): face x=1 (16), rings x=2 and x=3 (12 each), face x=4 (16).
    // B's surface: face x=3, rings x=4 and x=5, face x=6. Nearest B surface voxel for each:
    //   A face x=1 → B face x=3: 2 voxels · 2 mm = 4 mm        (16 voxels)
    //   A ring x=2 → B face x=3: 1 voxel · 2 mm = 2 mm         (12)
    //   A ring x=3 lies on B's face x=3: 0                     (12)
    //   A face x=4: its ring lies on B's ring x=4: 0           (12)
    //              its 2x2 centre is inside B: 1 voxel in y or z → 1 mm (4)
    const d = surfaceDistances(a, b, [2, 1, 3]);
    const sorted = Array.from(d.predToTarget).sort((p, q) => p - q);
    const expected = [
      ...Array(24).fill(0),
      ...Array(4).fill(1),
      ...Array(12).fill(2),
      ...Array(16).fill(4),
    ];
    expect(sorted.length).toBe(56);
    expect(sorted).toEqual(expected);
    // By symmetry B→A is the same multiset. q95: position 0.95·55 = 52.25 → 4 mm;
    // median: position 27.5, between the last 1 (index 27) and the first 2 (index 28) → 1.5 mm.
    expect(hausdorffDistance95(a, b, [2, 1, 3])).toBe(4);
    expect(hausdorffDistance95(a, b, [2, 1, 3], { percentile: 50 })).toBe(1.5);
  });

  it('percentile interpolates linearly between order statistics (torch.quantile)', () => {
    // pred: a line of 5 voxels along x (all surface); truth: its first voxel.
    const pred = mask([7, 3, 3], (x, y, z) => x >= 1 && x <= 5 && y === 1 && z === 1);
    const truth = mask([7, 3, 3], (x, y, z) => x === 1 && y === 1 && z === 1);
    // pred→truth distances 0,1,2,3,4; q95 at position 3.8 → 3.8; truth→pred: 0.
    expect(hausdorffDistance95(pred, truth)).toBeCloseTo(3.8, 12);
    expect(hausdorffDistance95(pred, truth, [1, 1, 1], { percentile: 100 })).toBe(4);
    expect(hausdorffDistance95(truth, pred, [1, 1, 1], { directed: true })).toBe(0);
    expect(quantile(Float64Array.of(4, 0, 2, 1, 3), 0.95)).toBeCloseTo(3.8, 12);
  });

  it('concentric spheres of radius 10 and 14 mm: HD95 ≈ 4 mm', () => {
    const c = 16;
    const ball = (r: number): MaskVolume =>
      mask([33, 33, 33], (x, y, z) => (x - c) ** 2 + (y - c) ** 2 + (z - c) ** 2 <= r * r);
    const hd = hausdorffDistance95(ball(10), ball(14));
    // Discrete spheres: surfaces sit within one voxel of the ideal radius.
    expect(hd).toBeGreaterThan(3);
    expect(hd).toBeLessThan(5);
    // Same spheres sampled at 0.5 mm (radii in voxels doubled) give the same mm answer ±0.5.
    const fine = (r: number): MaskVolume =>
      mask(
        [65, 65, 65],
        (x, y, z) => (x - 32) ** 2 + (y - 32) ** 2 + (z - 32) ** 2 <= (2 * r) ** 2,
      );
    expect(Math.abs(hausdorffDistance95(fine(10), fine(14), [0.5, 0.5, 0.5]) - 4)).toBeLessThan(
      0.5,
    );
  });

  it('anisotropic spacing: planes 2 voxels apart along z with 2.5 mm slices are 5 mm apart', () => {
    const a = mask([4, 5, 8], (_x, _y, z) => z === 2);
    const b = mask([4, 5, 8], (_x, _y, z) => z === 4);
    expect(hausdorffDistance95(a, b, [0.7, 0.7, 2.5])).toBeCloseTo(5, 12);
    expect(surfaceDice(a, b, [0.7, 0.7, 2.5], 4.99)).toBe(0);
    expect(surfaceDice(a, b, [0.7, 0.7, 2.5], 5)).toBe(1);
  });
});

describe('empty masks follow MONAI', () => {
  const empty = mask([4, 4, 4], () => false);
  const voxel = mask([4, 4, 4], (x, y, z) => x === 1 && y === 2 && z === 3);
  it('both empty → NaN (HD95 and surface Dice)', () => {
    expect(hausdorffDistance95(empty, empty)).toBeNaN();
    expect(surfaceDice(empty, empty, [1, 1, 1], 1)).toBeNaN();
  });
  it('one empty → HD95 Infinity, surface Dice 0', () => {
    expect(hausdorffDistance95(voxel, empty)).toBe(Infinity);
    expect(hausdorffDistance95(empty, voxel)).toBe(Infinity);
    expect(surfaceDice(voxel, empty, [1, 1, 1], 100)).toBe(0);
    expect(surfaceDice(empty, voxel, [1, 1, 1], 100)).toBe(0);
  });
});

describe('surfaceDice (hand-computed partial agreement)', () => {
  it('counts surface voxels of both masks within tolerance', () => {
    // pred: voxels x=1 and x=4 on a line; truth: x=1 only. Distances pred→truth: 0, 3;
    // truth→pred: 0. With τ = 2: (1 + 1) / (2 + 1).
    const pred = mask([6, 1, 1], (x) => x === 1 || x === 4);
    const truth = mask([6, 1, 1], (x) => x === 1);
    expect(surfaceDice(pred, truth, [1, 1, 1], 2)).toBeCloseTo(2 / 3, 12);
    expect(surfaceDice(pred, truth, [1, 1, 1], 3)).toBe(1);
  });
});

describe('validation', () => {
  const a = mask([2, 2, 2], () => true);
  it('rejects shape mismatch, bad spacing, tolerance and percentile', () => {
    expect(() =>
      hausdorffDistance95(
        a,
        mask([2, 2, 3], () => true),
      ),
    ).toThrow(ShapeError);
    expect(() => hausdorffDistance95(a, { data: [1], shape: [2, 2, 2] })).toThrow(ShapeError);
    expect(() => hausdorffDistance95(a, a, [1, 0, 1])).toThrow(ArgumentError);
    expect(() => hausdorffDistance95(a, a, [1, 1])).toThrow(ArgumentError);
    expect(() => hausdorffDistance95(a, a, [1, 1, 1], { percentile: 101 })).toThrow(ArgumentError);
    expect(() => surfaceDice(a, a, [1, 1, 1], -1)).toThrow(ArgumentError);
    expect(() => surfaceDice(a, a, [1, 1, 1], Infinity)).toThrow(ArgumentError);
  });
});
