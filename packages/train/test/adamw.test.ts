import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@voxelkit/backend';
import { DataError, ShapeError } from '@voxelkit/core';
import { AdamW } from '@voxelkit/train';

beforeAll(async () => {
  await initBackend();
});

describe('AdamW (PyTorch torch.optim.AdamW, amsgrad off)', () => {
  it('matches three hand-computed steps', () => {
    // p0 = 1, lr = 0.1, weight decay 0.1, betas (0.9, 0.999), eps 1e-8; gradients 2, −1, 0.5.
    // Step 1 (g = 2):  p ← 1·(1 − 0.1·0.1) = 0.99
    //   m = 0.1·2 = 0.2, v = 0.001·4 = 0.004, m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4
    //   p ← 0.99 − 0.1·2/(√4 + 1e-8) = 0.8900000005
    // Step 2 (g = −1): p ← 0.8900000005·0.99 = 0.8811000005
    //   m = 0.9·0.2 − 0.1 = 0.08, v = 0.999·0.004 + 0.001 = 0.004996
    //   m̂ = 0.08/0.19 = 0.4210526316, v̂ = 0.004996/0.001999 = 2.4992496248, √v̂ = 1.5809014...
    //   p ← 0.8811000005 − 0.1·0.4210526316/1.5809014 = 0.8544662967
    // Step 3 (g = 0.5): p ← 0.8544662967·0.99 = 0.8459216337
    //   m = 0.9·0.08 + 0.05 = 0.122, v = 0.999·0.004996 + 0.001·0.25 = 0.005241004
    //   m̂ = 0.122/0.271 = 0.4501845018, v̂ = 0.005241004/0.002997001 = 1.7487495...
    //   p ← 0.8459216337 − 0.1·0.4501845018/1.3224029 = 0.8118787192
    const p = tf.variable(tf.scalar(1));
    const opt = new AdamW(new Map([['p', p]]), { lr: 0.1, weightDecay: 0.1 });
    const expected = [0.8900000005, 0.8544662967, 0.8118787192];
    [2, -1, 0.5].forEach((g, i) => {
      const grad = tf.scalar(g);
      opt.step({ [p.name]: grad });
      grad.dispose();
      expect(p.dataSync()[0]).toBeCloseTo(expected[i], 6);
    });
    expect(opt.stepCount).toBe(3);
    const state = opt.getState();
    expect(state.moments.get('p')!.expAvg[0]).toBeCloseTo(0.122, 6);
    expect(state.moments.get('p')!.expAvgSq[0]).toBeCloseTo(0.005241004, 8);
    opt.dispose();
    p.dispose();
  });

  it('leaves parameters without a gradient untouched (no weight decay either)', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    const opt = new AdamW(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      { lr: 0.5, weightDecay: 0.5 },
    );
    const g = tf.tensor1d([1, -1]);
    opt.step(new Map([['a', g]]));
    // a: decay ×0.75 then −0.5·sign(g) (first step: m̂/√v̂ = ±1)
    const [a0, a1] = Array.from(a.dataSync());
    expect(a0).toBeCloseTo(0.25, 6);
    expect(a1).toBeCloseTo(2, 6);
    expect(b.dataSync()[0]).toBe(3);
    tf.dispose([a, b, g]);
    opt.dispose();
  });

  it('getState/setState continue exactly where a run left off', () => {
    const make = () => tf.variable(tf.tensor2d([[0.5, -1.5]]));
    const grads = [tf.tensor2d([[1, 2]]), tf.tensor2d([[-3, 0.5]]), tf.tensor2d([[0.25, -1]])];
    const p1 = make();
    const o1 = new AdamW(new Map([['w', p1]]), { lr: 0.01 });
    for (const g of grads) o1.step(new Map([['w', g]]));

    const p2 = make();
    const o2 = new AdamW(new Map([['w', p2]]), { lr: 0.01 });
    o2.step(new Map([['w', grads[0]]]));
    const saved = o2.getState();
    const p3 = tf.variable(p2.clone());
    const o3 = new AdamW(new Map([['w', p3]]), { lr: 0.01 });
    o3.setState(saved);
    for (const g of grads.slice(1)) o3.step(new Map([['w', g]]));
    expect(Array.from(p3.dataSync())).toEqual(Array.from(p1.dataSync()));
    expect(o3.stepCount).toBe(3);
    tf.dispose([p1, p2, p3, ...grads]);
    [o1, o2, o3].forEach((o) => o.dispose());
  });

  it('rejects unknown gradient keys, wrong shapes and mismatched states', () => {
    const w = tf.variable(tf.zeros([2, 2]));
    const opt = new AdamW(new Map([['w', w]]));
    const g = tf.zeros([2]);
    expect(() => opt.step(new Map([['nope', g]]))).toThrow(DataError);
    expect(() => opt.step(new Map([['w', g]]))).toThrow(ShapeError);
    const state = opt.getState();
    state.moments.set('extra', {
      shape: [1],
      expAvg: new Float32Array(1),
      expAvgSq: new Float32Array(1),
    });
    expect(() => opt.setState(state)).toThrow(/extra/);
    expect(() => new AdamW(new Map(), { lr: -1 })).toThrow(/lr/);
    tf.dispose([w, g]);
    opt.dispose();
  });
});
