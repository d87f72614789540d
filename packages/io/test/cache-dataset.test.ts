import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DataError,
  FormatError,
  createMemoryLogger,
  type Rng,
} from '@voxelkit/core';
import {
  CacheDataset,
  LocalPipeline,
  type DatasetRecord,
  type DatasetTransform,
  cloneRecord,
  type PipelineRunner,
} from '@voxelkit/io';

/** A "load" step that fakes decoding: a fresh volume-like record, counting its calls. */
function counter() {
  const calls: string[] = [];
  const load: DatasetTransform = {
    name: 'FakeLoad',
    apply: (record) => {
      calls.push(String(record.id));
      return { ...record, image: { data: new Float32Array([1, 2, 3, 4]), shape: [1, 2, 2, 1] } };
    },
  };
  return { calls, load };
}

/** A random step that draws one number and (badly) mutates its input in place. */
const mutatingRandom: DatasetTransform = {
  name: 'RandShiftInPlace',
  random: true,
  apply: (record, { rng }) => {
    const image = record.image as { data: Float32Array };
    const shift = rng.uniform();
    for (let i = 0; i < image.data.length; i++) image.data[i] += shift;
    return { ...record, shift };
  },
};

const items = (n: number): DatasetRecord[] =>
  Array.from({ length: n }, (_, i) => ({ id: `case${i}` }));

describe('CacheDataset cache size', () => {
  it('cacheRate 0.5 of 4 items caches 2; the others are computed on every access', async () => {
    const { calls, load } = counter();
    const ds = new CacheDataset(items(4), [load, mutatingRandom], { cacheRate: 0.5 });
    expect(ds.cacheCount).toBe(2);
    expect(ds.cachedTransformCount).toBe(1);
    await ds.init();
    expect(calls).toEqual(['case0', 'case1']);
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let i = 0; i < 4; i++) await ds.get(i, epoch);
    }
    expect(calls.filter((c) => c === 'case0' || c === 'case1')).toHaveLength(2);
    expect(calls.filter((c) => c === 'case2')).toHaveLength(3);
    expect(calls.filter((c) => c === 'case3')).toHaveLength(3);
  });

  it('init() logs the cached bytes: 2 cases x Float32Array(4) = 32 bytes', async () => {
    const { load } = counter();
    const logger = createMemoryLogger();
    const ds = new CacheDataset(items(4), [load, mutatingRandom], { cacheRate: 0.5, logger });
    expect(await ds.cachedBytes()).toBe(0);
    await ds.init();
    expect(await ds.cachedBytes()).toBe(32);
    expect(logger.records.at(-1)).toMatchObject({
      level: 'info',
      fields: { cached: 2, cases: 4, bytes: 32 },
    });
  });

  it('without random transforms, get() returns copies of the cache without running anything', async () => {
    const { calls, load } = counter();
    const ds = new CacheDataset(items(1), [load]);
    const a = (await ds.get(0, 0)) as { image: { data: Float32Array } };
    a.image.data[0] = 100;
    const b = (await ds.get(0, 1)) as { image: { data: Float32Array } };
    expect(b.image.data[0]).toBe(1);
    expect(calls).toEqual(['case0']);
  });

  it('the smaller of cacheNum and cacheRate * N wins (floor, like MONAI)', () => {
    const { load } = counter();
    expect(new CacheDataset(items(5), [load], { cacheNum: 1 }).cacheCount).toBe(1);
    expect(new CacheDataset(items(5), [load], { cacheRate: 0.5, cacheNum: 9 }).cacheCount).toBe(2);
    expect(new CacheDataset(items(5), [load], { cacheRate: 0 }).cacheCount).toBe(0);
    expect(new CacheDataset(items(5), [load]).cacheCount).toBe(5);
  });

  it('a cached case is prepared once, on first access, even without init()', async () => {
    const { calls, load } = counter();
    const ds = new CacheDataset(items(2), [load, mutatingRandom]);
    await Promise.all([ds.get(1, 0), ds.get(1, 1), ds.get(1, 2)]);
    expect(calls).toEqual(['case1']);
  });

  it('init() reports progress and prepares at most `concurrency` cases at once', async () => {
    let running = 0;
    let peak = 0;
    const slowLoad: DatasetTransform = {
      name: 'SlowLoad',
      apply: async (record) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return record;
      },
    };
    const events: number[] = [];
    const ds = new CacheDataset(items(6), [slowLoad], {
      concurrency: 2,
      onProgress: (e) => events.push(e.done),
    });
    await ds.init();
    expect(peak).toBe(2);
    expect(events).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('CacheDataset never mutates its cache', () => {
  it('an in-place random transform sees pristine data in every epoch', async () => {
    const { load } = counter();
    const ds = new CacheDataset(items(1), [load, mutatingRandom], { seed: 3 });
    for (let epoch = 0; epoch < 4; epoch++) {
      const out = (await ds.get(0, epoch)) as { image: { data: Float32Array }; shift: number };
      const s = out.shift;
      expect(Array.from(out.image.data)).toEqual([1 + s, 2 + s, 3 + s, 4 + s].map(Math.fround));
    }
    // Same epoch again: identical result, so the cached record was not shifted by earlier calls.
    const again = (await ds.get(0, 2)) as { shift: number; image: { data: Float32Array } };
    const first = (await ds.get(0, 2)) as { shift: number; image: { data: Float32Array } };
    expect(Array.from(again.image.data)).toEqual(Array.from(first.image.data));
  });

  it('also protects the raw items when nothing is deterministic', async () => {
    const raw = [{ id: 'a', image: { data: new Float32Array([0, 0]) } }];
    const ds = new CacheDataset(raw, [mutatingRandom]);
    await ds.get(0, 0);
    await ds.get(0, 1);
    expect(Array.from(raw[0].image.data)).toEqual([0, 0]);
  });
});

describe('CacheDataset random streams (cases.md #24)', () => {
  const draw: DatasetTransform = {
    name: 'Draw',
    random: true,
    apply: (record, { rng }) => ({ ...record, value: rng.uniform() }),
  };
  const valueOf = async (ds: CacheDataset, index: number, epoch: number) =>
    ((await ds.get(index, epoch)) as { value: number }).value;

  it('same seed -> identical values in two fresh data sets; other seed -> different', async () => {
    const a = new CacheDataset(items(3), [draw], { seed: 0 });
    const b = new CacheDataset(items(3), [draw], { seed: 0 });
    const c = new CacheDataset(items(3), [draw], { seed: 1 });
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let i = 0; i < 3; i++) {
        expect(await valueOf(b, i, epoch)).toBe(await valueOf(a, i, epoch));
        expect(await valueOf(c, i, epoch)).not.toBe(await valueOf(a, i, epoch));
      }
    }
  });

  it('different epochs give different draws for the same case', async () => {
    const ds = new CacheDataset(items(1), [draw], { seed: 0 });
    const values = await Promise.all([0, 1, 2, 3].map((epoch) => valueOf(ds, 0, epoch)));
    expect(new Set(values).size).toBe(4);
  });

  it("a case's draw depends on its id, not its position or the visiting order", async () => {
    const forward = new CacheDataset(items(3), [draw], { seed: 9 });
    const reversed = new CacheDataset(items(3).reverse(), [draw], { seed: 9 });
    const late = await valueOf(forward, 2, 5);
    await valueOf(forward, 0, 5);
    expect(await valueOf(reversed, 0, 5)).toBe(late);
    expect(reversed.caseIdOf(0)).toBe('case2');
  });

  it('the default case id is the image file name', () => {
    const ds = new CacheDataset(
      [{ image: '/data/imagesTr/spleen_1.nii.gz' }, { image: 'C:\\d\\spleen_2.nii.gz' }],
      [],
    );
    expect([ds.caseIdOf(0), ds.caseIdOf(1)]).toEqual(['spleen_1.nii.gz', 'spleen_2.nii.gz']);
  });

  it('two cases with one id -> ArgumentError (they would share augmentations)', () => {
    const twins = [{ image: '/a/x.nii.gz' }, { image: '/b/x.nii.gz' }];
    expect(() => new CacheDataset(twins, [])).toThrow(ArgumentError);
    const ds = new CacheDataset(twins, [], { caseId: (item) => String(item.image) });
    expect(ds.caseIdOf(1)).toBe('/b/x.nii.gz');
  });
});

describe('CacheDataset with multi-sample transforms', () => {
  const crops = (n: number, random: boolean): DatasetTransform => ({
    name: 'Crops',
    random,
    apply: (record, { rng }) =>
      Array.from({ length: n }, (_, k) => ({ ...record, crop: k, at: random ? rng.int(1000) : k })),
  });
  const flip: DatasetTransform = {
    name: 'Flip',
    random: true,
    apply: (record, { rng }) => ({ ...record, flip: rng.uniform() }),
  };

  it('a random transform returning 3 records makes the rest apply to each', async () => {
    const ds = new CacheDataset(items(2), [crops(3, true), flip], { seed: 0 });
    const out = (await ds.get(1, 0)) as DatasetRecord[];
    expect(Array.isArray(out)).toBe(true);
    expect(out.map((r) => r.crop)).toEqual([0, 1, 2]);
    const flips = out.map((r) => r.flip as number);
    expect(new Set(flips).size).toBe(3); // consecutive draws differ
  });

  it('a deterministic transform returning an array is cached as an array', async () => {
    let calls = 0;
    const split: DatasetTransform = {
      name: 'Split',
      apply: (record) => {
        calls++;
        return [record, { ...record, half: 2 }];
      },
    };
    const ds = new CacheDataset(items(1), [split, flip], { seed: 0 });
    const a = (await ds.get(0, 0)) as DatasetRecord[];
    const b = (await ds.get(0, 1)) as DatasetRecord[];
    expect(calls).toBe(1);
    expect(a).toHaveLength(2);
    expect(b[1].half).toBe(2);
    expect(a[0].flip).not.toBe(b[0].flip);
  });
});

describe('CacheDataset errors', () => {
  it('an untyped failure becomes a DataError naming transform and case; typed errors pass', async () => {
    const broken: DatasetTransform = {
      name: 'Broken',
      apply: () => {
        throw new Error('boom');
      },
    };
    await expect(new CacheDataset(items(1), [broken]).get(0, 0)).rejects.toThrow(
      /transform Broken failed on case case0/,
    );
    await expect(new CacheDataset(items(1), [broken]).get(0, 0)).rejects.toBeInstanceOf(DataError);
    const typed: DatasetTransform = {
      name: 'Typed',
      apply: () => {
        throw new FormatError('bad file', { file: 'x.nii' });
      },
    };
    await expect(new CacheDataset(items(1), [typed]).get(0, 0)).rejects.toBeInstanceOf(FormatError);
  });

  it('a failed preparation is retried on the next access', async () => {
    let attempts = 0;
    const flaky: DatasetTransform = {
      name: 'Flaky',
      apply: (record) => {
        if (attempts++ === 0) throw new Error('transient');
        return record;
      },
    };
    const ds = new CacheDataset(items(1), [flaky]);
    await expect(ds.get(0, 0)).rejects.toThrow(DataError);
    await expect(ds.get(0, 0)).resolves.toEqual({ id: 'case0' });
  });

  it('bad options, indices and epochs -> ArgumentError', async () => {
    expect(() => new CacheDataset(items(2), [], { cacheRate: 1.5 })).toThrow(ArgumentError);
    expect(() => new CacheDataset(items(2), [], { cacheNum: 1.5 })).toThrow(ArgumentError);
    expect(() => new CacheDataset(items(2), [], { concurrency: 0 })).toThrow(ArgumentError);
    const ds = new CacheDataset(items(2), []);
    await expect(ds.get(2, 0)).rejects.toThrow(ArgumentError);
    await expect(ds.get(0, -1)).rejects.toThrow(ArgumentError);
  });

  it('passes the case id and an Rng to transforms', async () => {
    const seen: { name?: string; rng: Rng }[] = [];
    const spy: DatasetTransform = {
      name: 'Spy',
      random: true,
      apply: (record, context) => {
        seen.push({ name: context.recordName, rng: context.rng });
        return record;
      },
    };
    await new CacheDataset(items(1), [spy]).get(0, 0);
    expect(seen[0].name).toBe('case0');
    expect(typeof seen[0].rng.uniform()).toBe('number');
  });
});

describe('CacheDataset with a custom PipelineRunner', () => {
  it('init() runs `parallelism` preparations at once; a copying runner gets the cache as is', async () => {
    const { load } = counter();
    const local = new LocalPipeline([load, mutatingRandom]);
    let running = 0;
    let peak = 0;
    const calls: { input: DatasetRecord[]; output: DatasetRecord[]; start: number }[] = [];
    const runner: PipelineRunner = {
      steps: local.steps,
      copiesInput: true,
      parallelism: 3,
      async run(request) {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        // Like a worker, work on a copy of the input.
        const copy = request.records.map((r) => cloneRecord(r));
        const output = await local.run({ ...request, records: copy });
        calls.push({
          input: request.records,
          output: output.records,
          start: request.stages[0].start,
        });
        return output;
      },
    };
    const ds = new CacheDataset(items(6), runner);
    await ds.init();
    expect(peak).toBe(3);
    const head = calls.find((c) => c.start === 0 && c.output[0].id === 'case0')!;
    const first = (await ds.get(0, 0)) as DatasetRecord;
    const tail = calls.at(-1)!;
    expect(tail.start).toBe(1);
    // No cloneRecord before handing over: the runner received the cached record itself.
    expect(tail.input[0]).toBe(head.output[0]);
    expect(((await ds.get(0, 0)) as DatasetRecord).shift).toBe(first.shift);
  });
});

describe('cloneRecord', () => {
  it('copies typed arrays, nested objects, Maps and Sets; keeps prototypes, cycles and functions', () => {
    class Meta {
      constructor(public spacing: number[]) {}
      first() {
        return this.spacing[0];
      }
    }
    const fn = () => 1;
    const source: Record<string, unknown> = {
      image: { data: new Int16Array([1, 2]), affine: new Float64Array(16) },
      meta: new Meta([1.5, 1.5, 2]),
      map: new Map([['a', [1]]]),
      set: new Set([new Uint8Array([3])]),
      fn,
    };
    source.self = source;
    const copy = cloneRecord(source);
    const image = copy.image as { data: Int16Array };
    image.data[0] = 99;
    (copy.meta as Meta).spacing[0] = 9;
    (copy.map as Map<string, number[]>).get('a')![0] = 7;
    expect((source.image as { data: Int16Array }).data[0]).toBe(1);
    expect((source.meta as Meta).spacing[0]).toBe(1.5);
    expect((source.map as Map<string, number[]>).get('a')).toEqual([1]);
    expect(copy.meta).toBeInstanceOf(Meta);
    expect((copy.meta as Meta).first()).toBe(9);
    expect(image.data).toBeInstanceOf(Int16Array);
    expect(copy.self).toBe(copy);
    expect(copy.fn).toBe(fn);
    expect([...(copy.set as Set<Uint8Array>)][0]).not.toBe([...(source.set as Set<Uint8Array>)][0]);
  });
});
