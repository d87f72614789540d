/**
 * Kernel benchmark: Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2 on the shapes,
 * timed for tfjs-backend-cpu's own kernels, for the native tfjs kernels in both layouts, and for
 * the channel-first kernels behind `conv3dNcdhw` (what the UNet uses). Writes
 * JSON to $BENCH_OUT. Run through bench/run.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';

import {
  nativeInfo,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@voxelkit/backend-native';

const SHAPES = [
  { shape: '96^3x1->16 k3 s2', batch: 2, size: 96, cin: 1, cout: 16, stride: 2 },
  { shape: '48^3x16->32 k3 s2', batch: 2, size: 48, cin: 16, cout: 32, stride: 2 },
  { shape: '48^3x16->16 k3 s1', batch: 2, size: 48, cin: 16, cout: 16, stride: 1 },
];
const OPS = ['forward', 'backprop-input', 'backprop-filter'] as const;
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const tfjsRepeats = Number(process.env.BENCH_TFJS_REPEATS ?? 1);

// Long synchronous kernels starve vitest's worker RPC ("Timeout calling onTaskUpdate"); give
// its event loop a turn between measurements.
const yieldToVitest = () => new Promise((resolve) => setTimeout(resolve, 0));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

it('kernels', async () => {
  await tf.setBackend('cpu');
  const results: Record<string, unknown>[] = [];
  const variants = [
    ...(process.env.BENCH_SKIP_TFJS === '1'
      ? []
      : [{ impl: 'tfjs-cpu', layout: undefined, reps: tfjsRepeats, warm: false } as const]),
    { impl: 'native', layout: 'ncdhw', reps: repeats, warm: true },
    { impl: 'native', layout: 'channels-last', reps: repeats, warm: true },
    // The kernels the UNet runs: @voxelkit/backend's conv3dNcdhw on [N, C, D, H, W] buffers
    // (PyTorch padding 1, which gives the same output size as 'same' for k3, s1 and s2).
    { impl: 'native', layout: 'channel-first', reps: repeats, warm: true },
  ] as const;
  for (const s of SHAPES) {
    const out = Math.ceil(s.size / s.stride);
    const x = tf.randomNormal([s.batch, s.size, s.size, s.size, s.cin]) as tf.Tensor5D;
    const w = tf.randomNormal([3, 3, 3, s.cin, s.cout]) as tf.Tensor5D;
    const dy = tf.randomNormal([s.batch, out, out, out, s.cout]) as tf.Tensor5D;
    const flops = 2 * s.batch * out ** 3 * s.cout * s.cin * 27;
    const xFirst = tf.transpose(x, [0, 4, 1, 2, 3]);
    const dyFirst = tf.transpose(dy, [0, 4, 1, 2, 3]);
    const geometry = {
      stride: [s.stride, s.stride, s.stride],
      padding: [1, 1, 1],
      transposed: false,
      outputPadding: [0, 0, 0],
    };
    const runChannelFirst = (op: (typeof OPS)[number]) => {
      const r =
        op === 'forward'
          ? tf
              .engine()
              .runKernel('VoxelkitConv3dNcdhw', { x: xFirst, filter: w }, geometry as never)
          : op === 'backprop-input'
            ? tf
                .engine()
                .runKernel('VoxelkitConv3dNcdhwBackpropInput', { dy: dyFirst, filter: w }, {
                  ...geometry,
                  inShape: xFirst.shape,
                } as never)
            : tf
                .engine()
                .runKernel('VoxelkitConv3dNcdhwBackpropFilter', { x: xFirst, dy: dyFirst }, {
                  ...geometry,
                  filterShape: w.shape,
                } as never);
      (r as tf.Tensor).dispose();
    };
    const runTfjsKernel = (op: (typeof OPS)[number]) => {
      const attrs = { strides: s.stride, pad: 'same' } as Record<string, unknown>;
      const r =
        op === 'forward'
          ? tf.engine().runKernel('Conv3D', { x, filter: w }, { ...attrs, dilations: 1 } as never)
          : op === 'backprop-input'
            ? tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: w }, {
                ...attrs,
                inputShape: x.shape,
              } as never)
            : tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, {
                ...attrs,
                filterShape: w.shape,
              } as never);
      (r as tf.Tensor).dispose();
    };
    for (const v of variants) {
      unregisterNativeKernels();
      const layout = v.layout === 'channel-first' ? 'ncdhw' : v.layout;
      if (layout && !registerNativeKernels({ threads: 2, layout })) continue;
      const run = v.layout === 'channel-first' ? runChannelFirst : runTfjsKernel;
      for (const op of OPS) {
        await yieldToVitest();
        if (v.warm) run(op);
        const times: number[] = [];
        for (let i = 0; i < v.reps; i++) {
          const t0 = performance.now();
          run(op);
          times.push((performance.now() - t0) / 1000);
          await yieldToVitest();
        }
        const seconds = median(times);
        results.push({
          shape: s.shape,
          op,
          impl: v.impl,
          layout: v.layout ?? null,
          seconds,
          flops,
        });
      }
    }
    tf.dispose([x, w, dy, xFirst, dyFirst]);
  }
  unregisterNativeKernels();
  writeFileSync(
    process.env.BENCH_OUT ?? '/tmp/voxelkit-bench-kernels.json',
    JSON.stringify({ native: nativeInfo() ?? null, results }, null, 2),
  );
});
