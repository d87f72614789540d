import { describe, expect, it } from 'vitest';
import { DataError, Rng, createMemoryLogger } from '@voxelkit/core';
import type { Volume } from '@voxelkit/core';
import {
  Compose,
  Flipd,
  RandCropByPosNegLabeld,
  RandFlipd,
  RandRotate90d,
  RandShiftIntensityd,
  ScaleIntensityRanged,
  recordRng,
  splitAtFirstRandom,
} from '@voxelkit/transforms';
import type { DataRecord, Transform } from '@voxelkit/transforms';
import { context, vol } from './transform-fixtures.js';

/** A small synthetic case: body ellipsoid with a "spleen" blob; differs per case id. */
function makeCase(id: number): DataRecord {
  const [X, Y, Z] = [20, 18, 16];
  const image = vol(new Float32Array(X * Y * Z), [1, X, Y, Z]);
  const label = vol(new Uint8Array(X * Y * Z), [1, X, Y, Z]);
  const rng = new Rng(`case${id}`);
  for (let x = 0; x < X; x++)
    for (let y = 0; y < Y; y++)
      for (let z = 0; z < Z; z++) {
        const i = (x * Y + y) * Z + z;
        const inBody = ((x - 10) / 8) ** 2 + ((y - 9) / 7) ** 2 + ((z - 8) / 7) ** 2 < 1;
        image.data[i] = inBody ? 0.3 + 0.1 * rng.uniform() : 0;
        if (inBody && Math.abs(x - 8 - id) < 3 && Math.abs(y - 9) < 3 && Math.abs(z - 8) < 2)
          label.data[i] = 1;
      }
  return { image, label, id: `case${id}` };
}

/** cases.md #24 pipeline. */
const pipeline = () =>
  new Compose([
    new RandFlipd({ keys: ['image', 'label'], prob: 0.5, spatialAxis: [0] }),
    new RandRotate90d({ keys: ['image', 'label'], prob: 0.5 }),
    new RandShiftIntensityd({ keys: ['image'], offsets: 0.1, prob: 0.5 }),
    new RandCropByPosNegLabeld({
      keys: ['image', 'label'],
      labelKey: 'label',
      spatialSize: [8, 8, 8],
      numSamples: 4,
      imageKey: 'image',
    }),
  ]);

async function epoch(
  order: number[],
  seed: number,
  epochNo = 0,
): Promise<Map<string, Uint8Array[]>> {
  const compose = pipeline();
  const out = new Map<string, Uint8Array[]>();
  for (const id of order) {
    const rec = makeCase(id);
    const patches = await compose.run(rec, { seed, epoch: epochNo, recordName: rec.id as string });
    out.set(
      rec.id as string,
      patches.flatMap((p) => [bytes(p.image as Volume), bytes(p.label as Volume)]),
    );
  }
  return out;
}
const bytes = (v: Volume) =>
  new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength).slice();

describe('cases.md #24: seeding random transforms', () => {
  it('same seed, two fresh runs over 3 cases → byte-identical outputs', async () => {
    const a = await epoch([0, 1, 2], 0);
    const b = await epoch([0, 1, 2], 0);
    for (const id of a.keys()) {
      expect(a.get(id)).toHaveLength(8);
      a.get(id)!.forEach((buf, i) => expect(Buffer.compare(buf, b.get(id)![i])).toBe(0));
    }
  });

  it("changing only the case order does not change a case's augmentation", async () => {
    const a = await epoch([0, 1, 2], 0);
    const b = await epoch([2, 0, 1], 0);
    for (const id of a.keys())
      a.get(id)!.forEach((buf, i) => expect(Buffer.compare(buf, b.get(id)![i])).toBe(0));
  });

  it('a different seed or epoch changes the augmentation', async () => {
    const a = await epoch([0], 0);
    const b = await epoch([0], 1);
    const c = await epoch([0], 0, 1);
    const same = (x: Uint8Array[], y: Uint8Array[]) =>
      x.every((buf, i) => Buffer.compare(buf, y[i]) === 0);
    expect(same(a.get('case0')!, b.get('case0')!)).toBe(false);
    expect(same(a.get('case0')!, c.get('case0')!)).toBe(false);
  });

  it('two consecutive random transforms do not draw the same value', () => {
    const t = new Compose([
      new RandShiftIntensityd({ keys: ['image'], offsets: 1, prob: 1 }),
      new RandShiftIntensityd({ keys: ['image'], offsets: 1, prob: 1 }),
    ]);
    for (let seed = 0; seed < 20; seed++) {
      const out = t.apply(
        { image: vol(new Float32Array([0]), [1, 1, 1, 1]) },
        { rng: recordRng(seed, 0, 'x'), logger: createMemoryLogger() },
      ) as DataRecord;
      const total = (out.image as Volume).data[0];
      const second = (out.image as Volume).meta.lastIntensityShift as number;
      const first = total - second;
      expect(Math.abs(first - second)).toBeGreaterThan(1e-6);
    }
  });

  it("recordRng equals the stream @voxelkit/io's CacheDataset derives for a case's random tail", () => {
    expect(recordRng(3, 2, 'spleen_12').nextUint32()).toBe(
      Rng.derive(3, 'epoch', 2, 'spleen_12').nextUint32(),
    );
  });

  it('recordRng: equal inputs give equal streams; any change gives another stream', () => {
    expect(recordRng(0, 1, 'a').nextUint32()).toBe(recordRng(0, 1, 'a').nextUint32());
    const v = recordRng(0, 1, 'a').nextUint32();
    expect(recordRng(1, 1, 'a').nextUint32()).not.toBe(v);
    expect(recordRng(0, 2, 'a').nextUint32()).not.toBe(v);
    expect(recordRng(0, 1, 'b').nextUint32()).not.toBe(v);
  });
});

describe('Compose mechanics', () => {
  const tag = (label: string): Transform => ({
    name: `tag-${label}`,
    apply: (r) => ({ ...r, trail: [...((r.trail as string[]) ?? []), label] }),
  });
  const split = (n: number): Transform => ({
    name: 'split',
    apply: (r) =>
      Array.from({ length: n }, (_, i) => ({ ...r, trail: [...(r.trail as string[]), `s${i}`] })),
  });
  const later = (label: string): Transform => ({
    name: `async-${label}`,
    apply: async (r) => {
      await new Promise((res) => setTimeout(res, 1));
      return { ...r, trail: [...((r.trail as string[]) ?? []), label] };
    },
  });

  it('a transform returning a list makes the rest run on each element; lists flatten', () => {
    const { ctx } = context();
    const out = new Compose([tag('a'), split(2), tag('b'), split(2)]).apply(
      {},
      ctx,
    ) as DataRecord[];
    expect(out.map((r) => (r.trail as string[]).join(','))).toEqual([
      'a,s0,b,s0',
      'a,s0,b,s1',
      'a,s1,b,s0',
      'a,s1,b,s1',
    ]);
  });

  it('stays synchronous with synchronous transforms and becomes a Promise with async ones, in order', async () => {
    const { ctx } = context();
    const sync = new Compose([tag('a')]).apply({}, ctx);
    expect(sync).not.toBeInstanceOf(Promise);
    const res = new Compose([tag('a'), split(3), later('x'), tag('b')]).apply({}, ctx);
    expect(res).toBeInstanceOf(Promise);
    const out = (await res) as DataRecord[];
    expect(out.map((r) => (r.trail as string[]).join(','))).toEqual([
      'a,s0,x,b',
      'a,s1,x,b',
      'a,s2,x,b',
    ]);
  });

  it('nests: a Compose inside a Compose; random is true when any member is', async () => {
    const inner = new Compose([tag('i'), new RandFlipd({ keys: ['image'], prob: 0 })]);
    expect(inner.random).toBe(true);
    expect(new Compose([tag('x')]).random).toBe(false);
    const out = await new Compose([tag('o'), inner]).run(
      { image: vol(new Float32Array(1), [1, 1, 1, 1]) },
      { seed: 1 },
    );
    expect(out[0].trail).toEqual(['o', 'i']);
  });

  it('run uses the given rng, and the Compose logger unless the call passes one', async () => {
    const logger = createMemoryLogger();
    const crop = new RandCropByPosNegLabeld({
      keys: ['image'],
      labelKey: 'label',
      spatialSize: [1, 1, 1],
      imageKey: 'image',
    });
    const rec = {
      image: vol(new Float32Array([1, 1]), [1, 2, 1, 1]),
      label: vol(new Uint8Array(2), [1, 2, 1, 1]),
    };
    await new Compose([crop], { logger }).run(rec, { rng: new Rng(1), recordName: 'nolabel' });
    expect(logger.records[0].message).toContain('nolabel');
  });

  it('errors that are not ours are wrapped in a DataError naming the transform and the record', async () => {
    const boom: Transform = {
      name: 'Boom',
      apply: () => {
        throw new Error('kaput');
      },
    };
    await expect(new Compose([boom]).run({}, { recordName: 'c1' })).rejects.toThrow(DataError);
    await expect(new Compose([boom]).run({}, { recordName: 'c1' })).rejects.toThrow(
      /Boom.*c1.*kaput/,
    );
  });

  it('rejects entries that are not transforms', () => {
    expect(() => new Compose([{} as Transform])).toThrow(/transforms\[0\]/);
  });
});

describe('splitAtFirstRandom', () => {
  it('cuts before the first random transform (deterministic prefix for caching)', () => {
    const scale = new ScaleIntensityRanged({ keys: ['image'], aMin: 0, aMax: 1 });
    const flip = new Flipd({ keys: ['image'], spatialAxis: 0 });
    const rflip = new RandFlipd({ keys: ['image'] });
    const shift = new RandShiftIntensityd({ keys: ['image'], offsets: 0.1 });
    expect(splitAtFirstRandom([scale, flip, rflip, flip, shift])).toEqual({
      deterministic: [scale, flip],
      random: [rflip, flip, shift],
    });
    expect(splitAtFirstRandom([scale, flip])).toEqual({ deterministic: [scale, flip], random: [] });
    expect(splitAtFirstRandom([rflip])).toEqual({ deterministic: [], random: [rflip] });
  });
});
