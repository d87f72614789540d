import { beforeAll, describe, expect, it } from 'vitest';

import { ArgumentError, DataError, ShapeError, createMemoryLogger } from '@voxelkit/core';
import { DiceCELoss, DiceLoss } from '@voxelkit/losses';

import { tf, useCpu } from './helpers.js';

beforeAll(useCpu);

const N = 2;
const SPATIAL = [3, 2, 4];
const V = 3 * 2 * 4;

/** Deterministic pseudo-random logits [N, X, Y, Z, C] and labels [N, X, Y, Z, 1]. */
function sample(channels: number): { logits: number[]; labels: number[] } {
  const logits: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < N * V * channels; i++) logits.push(Math.sin(i * 1.7 + 0.3) * 2.5);
  for (let i = 0; i < N * V; i++)
    labels.push(Math.floor(((Math.sin(i * 2.3) + 1) / 2) * channels) % channels);
  return { logits, labels };
}

const tensors = (s: { logits: number[]; labels: number[] }, channels: number) => ({
  logits: tf.tensor5d(s.logits, [N, ...SPATIAL, channels] as [
    number,
    number,
    number,
    number,
    number,
  ]),
  labels: tf.tensor5d(s.labels, [N, ...SPATIAL, 1] as [number, number, number, number, number]),
});

function oneHot(labels: number[], channels: number): number[] {
  return labels.flatMap((l) => Array.from({ length: channels }, (_, c) => (c === l ? 1 : 0)));
}

// ---- Reference formulas (MONAI's, written out on plain arrays; independent of the package) ----
interface RefOptions {
  sigmoid?: boolean;
  squaredPred?: boolean;
  jaccard?: boolean;
  batch?: boolean;
  includeBackground?: boolean;
  weight?: number[];
}

function refDice(logits: number[], labels: number[], C: number, o: RefOptions): number[] {
  const p = o.sigmoid ? logits.map((x) => 1 / (1 + Math.exp(-x))) : softmax(logits, C);
  const t = C === 1 ? labels : oneHot(labels, C);
  const first = o.includeBackground === false && C > 1 ? 1 : 0;
  const groups = o.batch ? [[...Array(N).keys()]] : [...Array(N).keys()].map((n) => [n]);
  const out: number[] = [];
  for (const items of groups) {
    for (let c = first; c < C; c++) {
      let inter = 0;
      let g = 0;
      let q = 0;
      for (const n of items) {
        for (let v = 0; v < V; v++) {
          const i = (n * V + v) * C + c;
          inter += p[i]! * t[i]!;
          g += o.squaredPred ? t[i]! ** 2 : t[i]!;
          q += o.squaredPred ? p[i]! ** 2 : p[i]!;
        }
      }
      let den = g + q;
      if (o.jaccard) den = 2 * (den - inter);
      const f = 1 - (2 * inter + 1e-5) / (den + 1e-5);
      out.push(o.weight ? f * o.weight[c - first]! : f);
    }
  }
  return out;
}

function softmax(logits: number[], C: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length; i += C) {
    const row = logits.slice(i, i + C);
    const m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((x) => x / s));
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const value = (t: tf.Tensor): number => t.dataSync()[0]!;

describe('DiceCELoss target formats (cases.md #22)', () => {
  it('A: class indices with toOnehotY equal a hand-made one-hot target (1e-6)', () => {
    const s = sample(2);
    const { logits, labels } = tensors(s, 2);
    const hot = tf.tensor5d(oneHot(s.labels, 2), [N, ...SPATIAL, 2] as [
      number,
      number,
      number,
      number,
      number,
    ]);
    const a = new DiceCELoss({ toOnehotY: true, softmax: true }).compute(logits, labels);
    const b = new DiceCELoss({ softmax: true }).compute(logits, hot);
    expect(Math.abs(value(a) - value(b))).toBeLessThan(1e-6);
    const da = new DiceLoss({ toOnehotY: true, softmax: true }).compute(logits, labels);
    const db = new DiceLoss({ softmax: true }).compute(logits, hot);
    expect(Math.abs(value(da) - value(db))).toBeLessThan(1e-6);
  });

  it('B: a target without channel axis is a ShapeError naming [N, X, Y, Z, 1]', () => {
    const logits = tf.zeros([1, 4, 4, 4, 2]);
    const target = tf.zeros([1, 4, 4, 4]);
    const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
    expect(() => loss.compute(logits, target)).toThrow(ShapeError);
    expect(() => loss.compute(logits, target)).toThrow(/\[1, 4, 4, 4, 1\]/);
    expect(() => new DiceLoss().compute(logits, tf.zeros([1, 4, 4, 3, 1]))).toThrow(ShapeError);
    expect(() => new DiceLoss().compute(tf.zeros([4, 4, 4, 2]), target)).toThrow(ShapeError);
  });

  it('B: class indices without toOnehotY are a ShapeError (not silently broadcast)', () => {
    const { logits, labels } = tensors(sample(3), 3);
    expect(() => new DiceCELoss({ softmax: true }).compute(logits, labels)).toThrow(ShapeError);
  });

  it('C: single-channel logits with softmax are rejected (CE would be identically 0)', () => {
    const logits = tf.zeros([1, 4, 4, 4, 1]);
    const target = tf.zeros([1, 4, 4, 4, 1]);
    expect(() => new DiceCELoss({ softmax: true }).compute(logits, target)).toThrow(ArgumentError);
    expect(() => new DiceLoss({ softmax: true }).compute(logits, target)).toThrow(/sigmoid/);
  });

  it('D: perfect logits (+20 / −20) give a loss below 1e-3', () => {
    const s = sample(3);
    const perfect = oneHot(s.labels, 3).map((h) => (h ? 20 : -20));
    const logits = tf.tensor5d(perfect, [N, ...SPATIAL, 3] as [
      number,
      number,
      number,
      number,
      number,
    ]);
    const { labels } = tensors(s, 3);
    expect(
      value(new DiceCELoss({ toOnehotY: true, softmax: true }).compute(logits, labels)),
    ).toBeLessThan(1e-3);
  });

  it('D: lambdaDice=1, lambdaCe=0 equals plain DiceLoss', () => {
    const { logits, labels } = tensors(sample(3), 3);
    for (const extra of [{}, { includeBackground: false }, { batch: true }]) {
      const a = new DiceCELoss({ toOnehotY: true, softmax: true, lambdaCe: 0, ...extra }).compute(
        logits,
        labels,
      );
      const b = new DiceLoss({ toOnehotY: true, softmax: true, ...extra }).compute(logits, labels);
      expect(value(a)).toBe(value(b));
    }
  });

  it('class indices outside [0, C) or non-integers are a DataError', () => {
    const logits = tf.zeros([1, 2, 1, 1, 2]);
    const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
    expect(() => loss.compute(logits, tf.tensor5d([0, 2], [1, 2, 1, 1, 1]))).toThrow(DataError);
    expect(() => loss.compute(logits, tf.tensor5d([0, 0.5], [1, 2, 1, 1, 1]))).toThrow(DataError);
    expect(() => loss.compute(logits, tf.tensor5d([0, -1], [1, 2, 1, 1, 1]))).toThrow(DataError);
  });
});

describe('DiceLoss options follow MONAI formulas (reference on plain arrays, rel 1e-5)', () => {
  const C = 3;
  const s = sample(C);
  const cases: [string, RefOptions, ConstructorParameters<typeof DiceLoss>[0]][] = [
    ['softmax', {}, { softmax: true }],
    ['squaredPred', { squaredPred: true }, { softmax: true, squaredPred: true }],
    ['jaccard', { jaccard: true }, { softmax: true, jaccard: true }],
    ['sigmoid (multi-label)', { sigmoid: true }, { sigmoid: true }],
    ['batch', { batch: true }, { softmax: true, batch: true }],
    ['no background', { includeBackground: false }, { softmax: true, includeBackground: false }],
    ['weights', { weight: [0.2, 1, 3] }, { softmax: true, weight: [0.2, 1, 3] }],
    [
      'weights without background',
      { weight: [1, 3], includeBackground: false },
      { softmax: true, weight: [1, 3], includeBackground: false },
    ],
  ];
  for (const [name, ref, options] of cases) {
    it(`${name}: mean, sum and none`, () => {
      const { logits, labels } = tensors(s, C);
      const expected = refDice(s.logits, s.labels, C, ref);
      const make = (reduction: 'mean' | 'sum' | 'none') =>
        new DiceLoss({ ...options, toOnehotY: true, reduction }).compute(logits, labels);
      expect(value(make('mean'))).toBeCloseTo(mean(expected), 5);
      expect(value(make('sum'))).toBeCloseTo(
        expected.reduce((a, b) => a + b, 0),
        5,
      );
      const none = make('none');
      const classes = expected.length / (ref.batch ? 1 : N);
      expect(none.shape).toEqual([ref.batch ? 1 : N, 1, 1, 1, classes]);
      const got = Array.from(none.dataSync());
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
    });
  }

  it('rejects incompatible options and a wrong number of weights', () => {
    expect(() => new DiceLoss({ sigmoid: true, softmax: true })).toThrow(ArgumentError);
    expect(() => new DiceLoss({ reduction: 'avg' as never })).toThrow(ArgumentError);
    expect(() => new DiceLoss({ weight: [1, -1] })).toThrow(ArgumentError);
    const { logits, labels } = tensors(s, C);
    expect(() => new DiceLoss({ toOnehotY: true, weight: [1, 2] }).compute(logits, labels)).toThrow(
      ArgumentError,
    );
  });

  it('warns (through the logger) when toOnehotY is ignored for a single channel, like MONAI', () => {
    const logger = createMemoryLogger();
    const target = tf.tensor5d([1, 0, 1, 1], [1, 4, 1, 1, 1]);
    const logits = tf.tensor5d([3, -3, 2, 1], [1, 4, 1, 1, 1]);
    const loss = new DiceLoss({ sigmoid: true, toOnehotY: true, logger });
    const p = [3, -3, 2, 1].map((x) => 1 / (1 + Math.exp(-x)));
    const inter = p[0]! + p[2]! + p[3]!;
    const expected = 1 - (2 * inter + 1e-5) / (3 + p.reduce((a, b) => a + b, 0) + 1e-5);
    expect(value(loss.compute(logits, target))).toBeCloseTo(expected, 6);
    expect(logger.records.some((r) => r.level === 'warn' && /toOnehotY/.test(r.message))).toBe(
      true,
    );
  });
});

describe('DiceCELoss cross-entropy term (PyTorch conventions)', () => {
  it('class weights give the weighted mean Σ w[y]·nll / Σ w[y]', () => {
    const C = 3;
    const s = sample(C);
    const { logits, labels } = tensors(s, C);
    const weight = [0.5, 2, 1];
    const loss = new DiceCELoss({ toOnehotY: true, softmax: true, weight });
    const total = value(loss.compute(logits, labels));
    const p = softmax(s.logits, C);
    let num = 0;
    let den = 0;
    s.labels.forEach((y, v) => {
      num += weight[y]! * -Math.log(p[v * C + y]!);
      den += weight[y]!;
    });
    expect(value(loss.ce!)).toBeCloseTo(num / den, 5);
    const dice = mean(refDice(s.logits, s.labels, C, { weight }));
    expect(value(loss.dice!)).toBeCloseTo(dice, 5);
    expect(total).toBeCloseTo(num / den + dice, 5);
  });

  it("reduction 'sum' sums the CE over voxels; 'none' is rejected as in MONAI", () => {
    const C = 2;
    const s = sample(C);
    const { logits, labels } = tensors(s, C);
    const loss = new DiceCELoss({
      toOnehotY: true,
      softmax: true,
      reduction: 'sum',
      lambdaDice: 0,
    });
    const p = softmax(s.logits, C);
    const nll = s.labels.reduce((a, y, v) => a - Math.log(p[v * C + y]!), 0);
    expect(value(loss.compute(logits, labels))).toBeCloseTo(nll, 4);
    expect(() => new DiceCELoss({ reduction: 'none' as never })).toThrow(ArgumentError);
    expect(() => new DiceCELoss({ lambdaCe: -1 })).toThrow(ArgumentError);
  });

  it('one channel with sigmoid uses binary cross-entropy with logits', () => {
    const xs = [2, -1, 0.5, -3, 4, 0];
    const ts = [1, 0, 1, 1, 0, 0];
    const logits = tf.tensor5d(xs, [1, 6, 1, 1, 1]);
    const target = tf.tensor5d(ts, [1, 6, 1, 1, 1]);
    const loss = new DiceCELoss({ sigmoid: true });
    const total = value(loss.compute(logits, target));
    const bce = mean(
      xs.map(
        (x, i) =>
          -(
            ts[i]! * Math.log(1 / (1 + Math.exp(-x))) +
            (1 - ts[i]!) * Math.log(1 - 1 / (1 + Math.exp(-x)))
          ),
      ),
    );
    expect(value(loss.ce!)).toBeCloseTo(bce, 5);
    const p = xs.map((x) => 1 / (1 + Math.exp(-x)));
    const inter = p.reduce((a, q, i) => a + q * ts[i]!, 0);
    const dice = 1 - (2 * inter + 1e-5) / (p.reduce((a, b) => a + b, 0) + 3 + 1e-5);
    expect(value(loss.dice!)).toBeCloseTo(dice, 5);
    expect(total).toBeCloseTo(bce + dice, 5);
  });

  it('log-softmax stays finite for extreme logits (gradient too)', () => {
    const logits = tf.tensor5d([500, -500, -400, 400], [1, 2, 1, 1, 2]);
    const target = tf.tensor5d([1, 0], [1, 2, 1, 1, 1]);
    const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
    const v = value(loss.compute(logits, target));
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(400); // voxel 2: nll ≈ 800, mean ≈ 400, plus Dice
    const g = tf
      .grad((x: tf.Tensor) => loss.compute(x, target))(logits)
      .dataSync();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });
});
