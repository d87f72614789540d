/**
 * Training-step benchmark of a MONAI-shaped UNet (channels 16-32-64-128-256, strides 2, 2 res
 * units, batch norm, PReLU; DiceCE; Adam) on 2×1×S³ inputs, with native conv kernels (or
 * tfjs-cpu's own with BENCH_STEP_IMPL=tfjs-cpu), plus a per-kernel profile of one step.
 * Writes JSON to $BENCH_OUT. Run through bench/run.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Registers tfjs-core's gradients and the Conv3DBackpropInputV2 gradient tfjs lacks.
import '@voxelkit/backend';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';

import { registerNativeKernels, unregisterNativeKernels } from '@voxelkit/backend-native';

import { buildBenchUNet, diceCELoss } from './unet.js';

const impl = process.env.BENCH_STEP_IMPL ?? 'native';
// 'all' (default) or 'conv3d': which kernels registerNativeKernels replaces.
const scope = process.env.BENCH_NATIVE_KERNELS === 'conv3d' ? 'conv3d' : 'all';
const sizes = (process.env.BENCH_SIZES ?? '96,64').split(',').map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const profileSize = Number(process.env.BENCH_PROFILE_SIZE ?? sizes[0]);

// Long synchronous kernels starve vitest's worker RPC ("Timeout calling onTaskUpdate"); give
// its event loop a turn between measurements.
const yieldToVitest = () => new Promise((resolve) => setTimeout(resolve, 0));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

it('unet training step', async () => {
  await tf.setBackend('cpu');
  unregisterNativeKernels();
  if (impl === 'native' && !registerNativeKernels({ threads: 2, kernels: scope })) {
    throw new Error('native kernels requested but the addon does not load');
  }
  const results: Record<string, unknown>[] = [];
  let profile: { kernel: string; ms: number; calls: number }[] = [];
  for (const size of sizes) {
    const net = buildBenchUNet({
      inChannels: 1,
      outChannels: 2,
      channels: [16, 32, 64, 128, 256],
      strides: [2, 2, 2, 2],
      numResUnits: 2,
    });
    const x = tf.randomNormal([2, size, size, size, 1]) as tf.Tensor5D;
    const y = tf.cast(tf.greater(tf.randomUniform([2, size, size, size, 1]), 0.8), 'float32');
    const optimizer = tf.train.adam(1e-4);
    const step = () => {
      const cost = optimizer.minimize(
        () => diceCELoss(net.apply(x, true), y as tf.Tensor5D),
        true,
        net.variables,
      );
      cost?.dataSync();
      cost?.dispose();
    };
    const forward = () => {
      const y = tf.tidy(() => net.apply(x, false));
      y.dataSync();
      y.dispose();
    };
    await yieldToVitest();
    step(); // warm-up: oneDNN primitive creation, allocator
    const stepTimes: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      step();
      stepTimes.push((performance.now() - t0) / 1000);
      await yieldToVitest();
    }
    forward();
    const forwardTimes: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      forward();
      forwardTimes.push((performance.now() - t0) / 1000);
      await yieldToVitest();
    }
    results.push({
      size,
      batch: 2,
      impl,
      kernels: impl === 'native' ? scope : 'none',
      trainStepSeconds: median(stepTimes),
      forwardSeconds: median(forwardTimes),
    });
    if (size === profileSize) {
      const info = await tf.profile(() => step());
      const byKernel = new Map<string, { ms: number; calls: number }>();
      for (const k of info.kernels) {
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
        entry.ms += ms;
        entry.calls += 1;
        byKernel.set(k.name, entry);
      }
      profile = [...byKernel.entries()]
        .map(([kernel, v]) => ({ kernel, ...v }))
        .sort((a, b) => b.ms - a.ms);
    }
    tf.dispose([x, y, ...net.variables]);
    optimizer.dispose();
  }
  unregisterNativeKernels();
  writeFileSync(
    process.env.BENCH_OUT ?? '/tmp/voxelkit-bench-unet.json',
    JSON.stringify({ impl, kernels: scope, results, profileSize, profile }, null, 2),
  );
});
