/**
 * Behaviour of the spatial transforms on small hand-built volumes: the field cases of
 * shared/cases.md (#11, #13, #14, #16) and the edge cases (one-voxel-thick axes, NaN, missing
 * keys, multi-valued labels, channel layouts).
 */
import { describe, expect, it } from 'vitest';
import type { Volume } from '@voxelkit/core';
import {
  affineFromRows,
  applyAffine,
  axcodesFromAffine,
  createMemoryLogger,
  createVolume,
  DataError,
  Rng,
} from '@voxelkit/core';
import type { DataRecord, TransformContext } from '@voxelkit/transforms';
import {
  CropForegroundd,
  EnsureChannelFirstd,
  foregroundBox,
  LoadImaged,
  orient,
  Orientationd,
  resampleToGrid,
  resampleToSpacing,
  Spacingd,
  spacingGrid,
} from '@voxelkit/transforms';

const ctx = (
  name?: string,
): TransformContext & { logger: ReturnType<typeof createMemoryLogger> } => ({
  rng: new Rng(0),
  logger: createMemoryLogger(),
  recordName: name,
});

function arange(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i);
}

function at(v: Volume, x: number, y: number, z: number, c = 0): number {
  const [, sx, sy, sz] = v.shape;
  return v.data[((c * sx + x) * sy + y) * sz + z];
}

describe('Orientationd (cases.md #11)', () => {
  const input = createVolume(
    arange(24),
    [1, 2, 3, 4],
    affineFromRows([
      [-1, 0, 0, 0],
      [0, -1, 0, 0],
      [0, 0, 1, 0],
    ]),
  );

  it('A: LPS-diagonal data to RAS flips i and j and keeps every value at its world position', () => {
    const out = new Orientationd({ keys: ['image'] }).apply({ image: input }).image as Volume;
    expect(out.shape).toEqual([1, 2, 3, 4]);
    expect(Array.from(out.affine)).toEqual([1, 0, 0, -1, 0, 1, 0, -2, 0, 0, 1, 0, 0, 0, 0, 1]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 4; k++) {
          expect(at(out, i, j, k)).toBe(at(input, 1 - i, 2 - j, k));
          const v = at(out, i, j, k);
          const src = [0, 1, 2, 3]
            .flatMap((kk) => [0, 1].flatMap((ii) => [0, 1, 2].map((jj) => [ii, jj, kk])))
            .find(([ii, jj, kk]) => at(input, ii, jj, kk) === v)!;
          expect(applyAffine(out.affine, [i, j, k])).toEqual(applyAffine(input.affine, src));
        }
  });

  it('C: applying RAS twice is a no-op (same data and affine)', () => {
    const t = new Orientationd({ keys: ['image'], axcodes: 'RAS' });
    const once = t.apply({ image: input }).image as Volume;
    const twice = t.apply({ image: once }).image as Volume;
    expect(Array.from(twice.data)).toEqual(Array.from(once.data));
    expect(Array.from(twice.affine)).toEqual(Array.from(once.affine));
  });

  it('reaches any target codes (PSL from an oblique SAL grid) with world positions preserved', () => {
    const a = affineFromRows([
      [0, 0, -2, 10],
      [0.9, 0.1, 0, -5],
      [0.05, -1.5, 0, 3],
    ]); // S A L-ish
    const v = createVolume(arange(60), [1, 3, 4, 5], a);
    const out = orient(v, 'psl').volume;
    expect(axcodesFromAffine(out.affine)).toBe('PSL');
    // Each output voxel holds the input value whose world position equals its own.
    const [, sx, sy, sz] = v.shape;
    for (let x = 0; x < out.shape[1]; x++)
      for (let y = 0; y < out.shape[2]; y++)
        for (let z = 0; z < out.shape[3]; z++) {
          const val = at(out, x, y, z);
          const src = [Math.floor(val / (sy * sz)), Math.floor(val / sz) % sy, val % sz];
          expect(src[0]).toBeLessThan(sx);
          const w1 = applyAffine(out.affine, [x, y, z]);
          const w0 = applyAffine(v.affine, src);
          for (let d = 0; d < 3; d++) expect(w1[d]).toBeCloseTo(w0[d], 9);
        }
  });

  it('rejects invalid codes when constructed', () => {
    expect(() => new Orientationd({ keys: ['image'], axcodes: 'RRS' })).toThrow(/axcodes/);
  });
});

describe('Spacingd', () => {
  it('cases.md #13: nearest keeps labels binary and preserves the cube volume; bilinear blends the image', () => {
    const label = new Uint8Array(64);
    for (let x = 1; x < 3; x++)
      for (let y = 1; y < 3; y++) for (let z = 1; z < 3; z++) label[(x * 4 + y) * 4 + z] = 1;
    const rec: DataRecord = {
      image: createVolume(Float32Array.from(label), [1, 4, 4, 4]),
      label: createVolume(label, [1, 4, 4, 4]),
    };
    const out = new Spacingd({
      keys: ['image', 'label'],
      pixdim: [0.5, 0.5, 0.5],
      mode: ['bilinear', 'nearest'],
    }).apply(rec);
    const lab = out.label as Volume;
    const img = out.image as Volume;
    expect(lab.shape).toEqual([1, 7, 7, 7]);
    expect(lab.dtype).toBe('uint8');
    expect(new Set(lab.data)).toEqual(new Set([0, 1]));
    const mm3 = Array.from(lab.data).reduce((s, v) => s + v, 0) * 0.125;
    // 8 mm³ cube; one voxel layer at 0.5 mm on the 4×4 mm² faces is ≤ 6 · 2 · 2 · 0.5 = 12 mm³.
    expect(Math.abs(mm3 - 8)).toBeLessThanOrEqual(12);
    expect(img.dtype).toBe('float32');
    expect(img.data.some((v) => v > 0 && v < 1)).toBe(true);
  });

  it('keeps non-binary label values under nearest (no new values appear)', () => {
    const label = Uint8Array.from({ length: 5 * 6 * 7 }, (_, i) => (i * 7) % 6);
    const v = createVolume(
      label,
      [1, 5, 6, 7],
      affineFromRows([
        [0.9, 0, 0, 0],
        [0, 1.1, 0, 0],
        [0, 0, 2, 0],
      ]),
    );
    const out = resampleToSpacing(v, [0.7, 0.7, 1.3], { mode: 'nearest' });
    expect(out.dtype).toBe('uint8');
    expect(new Set(out.data)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('handles a one-voxel-thick axis (reproduces a linear ramp exactly)', () => {
    const data = Float32Array.from({ length: 4 * 5 }, (_, i) => Math.floor(i / 5) + 10 * (i % 5));
    const v = createVolume(
      data,
      [1, 4, 5, 1],
      affineFromRows([
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 2, 0],
      ]),
    );
    const out = resampleToSpacing(v, [0.5, 0.5, 1]);
    expect(out.shape).toEqual([1, 7, 9, 1]);
    for (let x = 0; x < 7; x++)
      for (let y = 0; y < 9; y++) expect(at(out, x, y, 0)).toBeCloseTo(x * 0.5 + 5 * y, 5);
    const thin = orient(
      createVolume(
        data,
        [1, 4, 5, 1],
        affineFromRows([
          [-1, 0, 0, 0],
          [0, 0, 1, 0],
          [0, 1, 0, 0],
        ]),
      ),
      'RAS',
    );
    expect(thin.volume.shape).toEqual([1, 4, 1, 5]);
  });

  it('propagates NaN to the bilinear outputs next to it only; nearest copies it where nearest', () => {
    const data = new Float32Array(6 * 6 * 6).fill(1);
    data[(3 * 6 + 3) * 6 + 3] = NaN;
    const v = createVolume(data, [1, 6, 6, 6]);
    const bil = resampleToSpacing(v, [0.5, 0.5, 0.5]);
    const nanCount = bil.data.filter((x) => Number.isNaN(x)).length;
    // MONAI 1.4 (Spacing, same input; run once with the vendored oracle): 125 NaN voxels, the
    // cube of outputs 4..8 per axis. In exact arithmetic outputs 4 and 8 sample 2.0 and 4.0, but
    // the normalised-coordinate round trip lands a hair inside, so voxel 3 is one of their taps
    // (with a ~1e-15 weight); NaN·w is NaN, as in PyTorch.
    expect(nanCount).toBe(125);
    for (let x = 0; x < 11; x++)
      for (let y = 0; y < 11; y++)
        for (let z = 0; z < 11; z++) {
          const inside = [x, y, z].every((i) => i >= 4 && i <= 8);
          expect(Number.isNaN(at(bil, x, y, z))).toBe(inside);
        }
    const near = resampleToSpacing(v, [0.5, 0.5, 0.5], { mode: 'nearest' });
    // Nearest: only output 6 (coordinate 3.0) per axis reads voxel 3 (MONAI: one NaN at (6,6,6)).
    expect(near.data.filter((x) => Number.isNaN(x)).length).toBe(1);
    expect(Number.isNaN(at(near, 6, 6, 6))).toBe(true);
  });

  it('keeps an axis spacing within 1e-3 mm of the target, and a non-positive pixdim keeps the axis', () => {
    const a = affineFromRows([
      [1.0005, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 3, 0],
    ]);
    const g = spacingGrid(a, [10, 10, 10], [1, 0, -1]);
    expect(g.spacing).toEqual([1.0005, 2, 3]);
    expect(g.shape).toEqual([10, 10, 10]);
    const v = createVolume(new Float32Array(1000), [1, 10, 10, 10], a);
    expect(resampleToSpacing(v, [1, 0, -1], { mode: 'nearest' })).toBe(v); // unchanged grid
  });

  it('computes MONAI shapes with round-half-even and keeps the obliquity', () => {
    // extent (5 - 1) · 1 / 1.6 + 1 = 3.5 → 4 (even); (7 - 1) / 2.4 + 1 = 3.5 → 4; 9 → 9.
    const r = Math.SQRT1_2;
    const a = affineFromRows([
      [r, -r, 0, 1],
      [r, r, 0, 2],
      [0, 0, 1, 3],
    ]);
    const g = spacingGrid(a, [5, 7, 9], [1.6, 2.4, 1]);
    expect(g.shape).toEqual([4, 4, 9]);
    expect(g.affine[0]).toBeCloseTo(r * 1.6, 12);
    expect(g.affine[1]).toBeCloseTo(-r * 2.4, 12);
    expect(Array.from(g.affine.slice(3, 12).filter((_, i) => i % 4 === 0))).toEqual([1, 2, 3]);
  });

  it('resamples every channel of a multi-channel volume like a single-channel one', () => {
    const a = affineFromRows([
      [0.9, 0, 0, 1],
      [0, 1.1, 0, 2],
      [0, 0, 2, 3],
    ]);
    const one = Float32Array.from({ length: 5 * 6 * 7 }, (_, i) => Math.sin(i));
    const two = Float32Array.from({ length: 5 * 6 * 7 }, (_, i) => Math.cos(i));
    const both = new Float32Array(2 * one.length);
    both.set(one);
    both.set(two, one.length);
    const r1 = resampleToSpacing(createVolume(one, [1, 5, 6, 7], a), [0.7, 0.7, 1.3]);
    const r2 = resampleToSpacing(createVolume(two, [1, 5, 6, 7], a), [0.7, 0.7, 1.3]);
    const rb = resampleToSpacing(createVolume(both, [2, 5, 6, 7], a), [0.7, 0.7, 1.3]);
    expect(rb.shape).toEqual([2, ...r1.shape.slice(1)]);
    expect(Array.from(rb.data)).toEqual([...Array.from(r1.data), ...Array.from(r2.data)]);
  });

  it('general (cross-axis) resampling equals the exact axis permutation', () => {
    const v = createVolume(
      arange(60),
      [1, 3, 4, 5],
      affineFromRows([
        [0, 0, 2, 0],
        [1, 0, 0, 0],
        [0, 3, 0, 0],
      ]),
    );
    const target = orient(v, 'RAS').volume;
    for (const mode of ['nearest', 'bilinear'] as const) {
      const out = resampleToGrid(v, target.affine, target.shape.slice(1), { mode });
      expect(Array.from(out.data)).toEqual(Array.from(target.data));
    }
  });

  it('rejects a per-key mode list of the wrong length and alignCorners=true', () => {
    expect(() => new Spacingd({ keys: ['a', 'b'], pixdim: [1], mode: ['nearest'] })).toThrow(
      /mode/,
    );
    const v = createVolume(new Float32Array(8), [1, 2, 2, 2]);
    expect(() => resampleToSpacing(v, [1], { alignCorners: true })).toThrow(/alignCorners/);
  });
});

describe('CropForegroundd', () => {
  it('cases.md #14: margin 2 with allowSmaller=false pads symmetrically (1 at index 2, length 5)', () => {
    for (let pos = 0; pos < 3; pos++) {
      const data = new Float32Array(3);
      data[pos] = 1;
      const rec = { image: createVolume(data, [1, 3, 1, 1]) };
      const t = new CropForegroundd({
        keys: ['image'],
        sourceKey: 'image',
        margin: [2, 0, 0],
        allowSmaller: false,
      });
      const out = t.apply(rec, ctx()).image as Volume;
      expect(out.shape).toEqual([1, 5, 1, 1]);
      expect(Array.from(out.data)).toEqual([0, 0, 1, 0, 0]);
      // World position of the 1 is unchanged.
      expect(applyAffine(out.affine, [2, 0, 0])).toEqual([pos, 0, 0]);
    }
  });

  it('allowSmaller=true clamps the margin to the image', () => {
    const data = new Float32Array(3);
    data[0] = 1;
    const box = foregroundBox(createVolume(data, [1, 3, 1, 1]), { margin: 2 });
    expect(box).toEqual({ start: [0, 0, 0], end: [3, 1, 1] });
  });

  it('kDivisible grows the box to a multiple of k, the extra split floor-first', () => {
    const data = new Float32Array(10 * 1 * 1);
    data[4] = 1;
    data[6] = 1; // foreground 4..6 (size 3) → size 4, start 4 - floor(1/2) = 4
    expect(foregroundBox(createVolume(data, [1, 10, 1, 1]), { kDivisible: [4, 1, 1] })).toEqual({
      start: [4, 0, 0],
      end: [8, 1, 1],
    });
  });

  it('cases.md #16: empty foreground leaves the record unchanged and warns once naming the record', () => {
    const image = createVolume(new Float32Array(512).fill(-1024), [1, 8, 8, 8]);
    const c = ctx('case_007');
    const out = new CropForegroundd({ keys: ['image'], sourceKey: 'image' }).apply({ image }, c);
    const v = out.image as Volume;
    expect(v.shape).toEqual([1, 8, 8, 8]);
    expect(v.data).toBe(image.data);
    expect(c.logger.records).toHaveLength(1);
    expect(c.logger.records[0].level).toBe('warn');
    expect(JSON.stringify(c.logger.records[0])).toContain('case_007');
  });

  it('selects channels and a custom selectFn', () => {
    const data = new Float32Array(2 * 4);
    data[1] = 5; // channel 0, x=1
    data[4 + 3] = 5; // channel 1, x=3
    const v = createVolume(data, [2, 4, 1, 1]);
    expect(foregroundBox(v, { channelIndices: [1] })?.start[0]).toBe(3);
    expect(foregroundBox(v, { selectFn: (x) => x > 10 })).toBeUndefined();
  });
});

describe('record handling', () => {
  it('a missing key throws DataError naming the key and the transform', () => {
    const rec = { image: createVolume(new Float32Array(8), [1, 2, 2, 2]) };
    const transforms = [
      new Orientationd({ keys: ['label'] }),
      new Spacingd({ keys: ['label'], pixdim: [1] }),
      new CropForegroundd({ keys: ['label'], sourceKey: 'label' }),
    ];
    for (const t of transforms) {
      let error: unknown;
      try {
        t.apply(rec, ctx());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect(String(error)).toContain('"label"');
      expect(String(error)).toContain(t.name);
    }
  });

  it('records each operation in meta.applied', () => {
    const image = createVolume(
      new Float32Array(27).fill(1),
      [1, 3, 3, 3],
      affineFromRows([
        [-1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ]),
    );
    let r: DataRecord = { image };
    r = new Orientationd({ keys: ['image'] }).apply(r);
    r = new Spacingd({ keys: ['image'], pixdim: [2] }).apply(r);
    r = new CropForegroundd({ keys: ['image'], sourceKey: 'image' }).apply(r, ctx());
    const applied = (r.image as Volume).meta.applied as { transform: string }[];
    expect(applied.map((o) => o.transform)).toEqual([
      'Orientationd',
      'Spacingd',
      'CropForegroundd',
    ]);
  });
});

describe('EnsureChannelFirstd and LoadImaged', () => {
  it('adds a channel to [X, Y, Z], keeps [C, X, Y, Z], moves channel-last to first', () => {
    const v3 = { ...createVolume(arange(6), [1, 1, 2, 3]), shape: [1, 2, 3] };
    expect((new EnsureChannelFirstd({ keys: ['v'] }).apply({ v: v3 }).v as Volume).shape).toEqual([
      1, 1, 2, 3,
    ]);
    const last = createVolume(arange(8), [2, 2, 1, 2]); // read as [X=2, Y=2, Z=1, C=2]
    const out = new EnsureChannelFirstd({ keys: ['v'], channelDim: -1 }).apply({ v: last })
      .v as Volume;
    expect(out.shape).toEqual([2, 2, 2, 1]);
    expect(Array.from(out.data)).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    const bad = { ...last, shape: [1, 1, 2, 2, 2] };
    expect(() => new EnsureChannelFirstd({ keys: ['v'] }).apply({ v: bad })).toThrow(DataError);
  });

  it('LoadImaged reads paths with the given reader, keeps volumes, and names a missing key', async () => {
    const vol = createVolume(new Float32Array(8), [1, 2, 2, 2]);
    const seen: string[] = [];
    const t = new LoadImaged({
      keys: ['image', 'label'],
      reader: async (p) => {
        seen.push(p);
        return vol;
      },
    });
    const out = await t.apply({ image: '/x/ct.nii.gz', label: vol }, ctx());
    expect(seen).toEqual(['/x/ct.nii.gz']);
    expect(out.image).toBe(vol);
    await expect(t.apply({ image: 'a.nii' }, ctx())).rejects.toThrow(/LoadImaged.*"label"/);
  });
});
