/**
 * End-to-end benchmarks with the real packages: `@voxelkit/nets` UNet, `@voxelkit/losses`
 * DiceCELoss, `@voxelkit/train` AdamW + trainStep, `@voxelkit/inferers` slidingWindowInference,
 * after `initBackend()` from `@voxelkit/backend`. One mode per process (so that the process's
 * peak RSS belongs to that workload), chosen by BENCH_MODE:
 *
 *   step   training step + eval forward on 2×1×S³ (BENCH_SIZE), medians of BENCH_REPEATS
 *   sw     sliding-window inference of a 1×1×226×157×113 volume, roi 96, batch 4, overlap 0.5,
 *          BENCH_REPEATS runs after a one-window warm-up; then, unless
 *          BENCH_SW_TFJS=0, one 1×1×96³ window forward on tfjs-cpu kernels only
 *   soak   many small training steps and sliding-window inferences, sampling tf.memory() and RSS
 *
 * Writes JSON to $BENCH_OUT. Run through bench/run.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';

import { initBackend } from '@voxelkit/backend';
import { registerNativeKernels, unregisterNativeKernels } from '@voxelkit/backend-native';
import { slidingWindowInference } from '@voxelkit/inferers';
import type { ArrayWithShape } from '@voxelkit/inferers';
import { DiceCELoss } from '@voxelkit/losses';
import { UNet } from '@voxelkit/nets';
import type { UNetConfig } from '@voxelkit/nets';
import { AdamW, trainStep } from '@voxelkit/train';

const mode = process.env.BENCH_MODE ?? 'step';
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

const SPLEEN_UNET: UNetConfig = {
  spatialDims: 3,
  inChannels: 1,
  outChannels: 2,
  channels: [16, 32, 64, 128, 256],
  strides: [2, 2, 2, 2],
  numResUnits: 2,
  norm: 'batch',
};

// Long synchronous kernels starve vitest's worker RPC ("Timeout calling onTaskUpdate"); give
// its event loop a turn between measurements.
const yieldToVitest = () => new Promise((resolve) => setTimeout(resolve, 0));

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Peak resident set size of this process so far, bytes (getrusage ru_maxrss). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** Random labels in {0, 1}, `[N, X, Y, Z, 1]` (DiceCE with toOnehotY). */
function randomLabel(shape: number[]): tf.Tensor5D {
  return tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(shape), 0.7), 'float32')) as tf.Tensor5D;
}

/** A WindowPredictor running `net` in eval mode: `[n, 1, r, r, r]` → `[n, K, r, r, r]`. */
function unetPredictor(net: UNet) {
  return (w: ArrayWithShape): ArrayWithShape => {
    const [n, c, ...roi] = w.shape;
    // Channel-first with C = 1 has the same memory as channels-last.
    const out = tf.tidy(() => {
      const x = tf.tensor5d(w.data, [n, roi[0], roi[1], roi[2], c]);
      return tf.transpose(net.apply(x, { training: false }), [0, 4, 1, 2, 3]);
    });
    const data = out.dataSync() as Float32Array;
    const shape = out.shape;
    out.dispose();
    return { data, shape };
  };
}

async function benchStep() {
  const size = Number(process.env.BENCH_SIZE ?? 96);
  const net = new UNet(SPLEEN_UNET, { seed: 0 });
  const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
  const optimizer = new AdamW(net.namedParameters(), { lr: 1e-4 });
  const image = tf.randomNormal([2, size, size, size, 1], 0, 1, 'float32', 0) as tf.Tensor5D;
  const label = randomLabel([2, size, size, size, 1]);
  const step = () => trainStep({ model: net, loss, optimizer, batch: { image, label } });
  // Read the output outside tf.tidy: a tidy callback returning a typed array makes tfjs walk
  // every element looking for tensors (seconds for 3.5 M values).
  const forward = () => {
    const y = tf.tidy(() => net.apply(image, { training: false }));
    y.dataSync();
    y.dispose();
  };
  let maxRssSampled = 0;
  const sample = () => (maxRssSampled = Math.max(maxRssSampled, process.memoryUsage().rss));
  await yieldToVitest();
  step(); // warm-up: oneDNN primitives, allocator
  sample();
  const stepTimes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    step();
    stepTimes.push((performance.now() - t0) / 1000);
    sample();
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
  let profile: { kernel: string; ms: number; calls: number }[] = [];
  if (process.env.BENCH_PROFILE === '1') {
    const info = await tf.profile(() => {
      step();
    });
    const byKernel = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls += 1;
      byKernel.set(k.name, e);
    }
    profile = [...byKernel.entries()]
      .map(([kernel, v]) => ({ kernel, ...v }))
      .sort((a, b) => b.ms - a.ms);
  }
  return {
    size,
    batch: 2,
    numParameters: net.numParameters(),
    trainStepSeconds: median(stepTimes),
    trainStepAll: stepTimes,
    forwardSeconds: median(forwardTimes),
    forwardAll: forwardTimes,
    peakRssBytes: peakRss(),
    maxSampledRssBytes: maxRssSampled,
    profile,
  };
}

async function benchSlidingWindow() {
  const shape = [1, 1, 226, 157, 113] as const;
  const net = new UNet(SPLEEN_UNET, { seed: 0 });
  // Timing does not depend on content; a seeded normal volume (as ref.py bench-sw uses).
  const data = tf.tidy(() => tf.randomNormal([226 * 157 * 113], 0, 1, 'float32', 0).dataSync());
  const options = { roiSize: 96, swBatchSize: 4, overlap: 0.5 };
  const predictor = unetPredictor(net);
  let windows = 0;
  const counting = async (w: ArrayWithShape) => {
    windows += w.shape[0];
    // A 4-window batch blocks for many seconds; let vitest's worker RPC run in between.
    await yieldToVitest();
    return predictor(w);
  };
  // Warm-up on one window (allocator, oneDNN primitives); a whole run takes minutes here.
  predictor({ data: new Float32Array(96 ** 3), shape: [1, 1, 96, 96, 96] });
  await yieldToVitest();
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    windows = 0;
    const t0 = performance.now();
    const out = await slidingWindowInference(
      { data: data as Float32Array, shape },
      options,
      counting,
    );
    runs.push((performance.now() - t0) / 1000);
    if (out.shape.join() !== '1,2,226,157,113') throw new Error(`output ${out.shape.join('x')}`);
    await yieldToVitest();
  }
  const result: Record<string, unknown> = {
    shape,
    ...options,
    windows,
    runs,
    medianSeconds: median(runs),
    peakRssBytes: peakRss(),
  };
  // tfjs-cpu only: one 1×1×96³ window (after a warm-up at a small size), to extrapolate.
  if (process.env.BENCH_SW_TFJS !== '0') {
    unregisterNativeKernels();
    const one = { data: new Float32Array(data.subarray(0, 96 ** 3)), shape: [1, 1, 96, 96, 96] };
    predictor({ data: new Float32Array(16 ** 3), shape: [1, 1, 16, 16, 16] });
    await yieldToVitest();
    const t0 = performance.now();
    predictor(one);
    result.tfjsCpuOneWindowSeconds = (performance.now() - t0) / 1000;
    registerNativeKernels({ threads: 2 });
    // The same single window on native kernels, for a like-for-like ratio.
    predictor(one);
    const t1 = performance.now();
    predictor(one);
    result.nativeOneWindowSeconds = (performance.now() - t1) / 1000;
  }
  return result;
}

interface Sample {
  iteration: number;
  numTensors: number;
  numBytes: number;
  rssBytes: number;
}

function verdict(samples: Sample[]) {
  const q = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const growth = (key: 'numBytes' | 'rssBytes') => {
    const first = mean(samples.slice(0, q).map((s) => s[key]));
    const last = mean(samples.slice(-q).map((s) => s[key]));
    return last / first - 1;
  };
  const tensorsConstant = samples.every((s) => s.numTensors === samples[0].numTensors);
  const bytesGrowth = growth('numBytes');
  const rssGrowth = growth('rssBytes');
  return {
    tensorsConstant,
    bytesGrowth,
    rssGrowth,
    flat: tensorsConstant && Math.abs(bytesGrowth) <= 0.05 && Math.abs(rssGrowth) <= 0.05,
  };
}

async function benchSoak() {
  const steps = Number(process.env.BENCH_SOAK_STEPS ?? 200);
  const inferences = Number(process.env.BENCH_SOAK_INFERENCES ?? 30);
  const every = Number(process.env.BENCH_SOAK_EVERY ?? 10);
  const net = new UNet(
    { ...SPLEEN_UNET, channels: [8, 16, 32, 64], strides: [2, 2, 2] },
    { seed: 0 },
  );
  const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
  const optimizer = new AdamW(net.namedParameters(), { lr: 1e-4 });
  const image = tf.randomNormal([2, 32, 32, 32, 1], 0, 1, 'float32', 0) as tf.Tensor5D;
  const label = randomLabel([2, 32, 32, 32, 1]);
  const sample = (iteration: number): Sample => ({
    iteration,
    numTensors: tf.memory().numTensors,
    numBytes: tf.memory().numBytes,
    rssBytes: process.memoryUsage().rss,
  });
  // One warm-up step: AdamW creates its moments lazily on the first step.
  trainStep({ model: net, loss, optimizer, batch: { image, label } });
  const train: Sample[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    trainStep({ model: net, loss, optimizer, batch: { image, label } });
    if (i % every === 0) {
      train.push(sample(i));
      await yieldToVitest();
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;

  const volume = tf.tidy(() => tf.randomNormal([64 ** 3], 0, 1, 'float32', 1).dataSync());
  const predictor = unetPredictor(net);
  const infer = () =>
    slidingWindowInference(
      { data: volume as Float32Array, shape: [1, 1, 64, 64, 64] },
      { roiSize: 32, swBatchSize: 4, overlap: 0.25, mode: 'gaussian' },
      predictor,
    );
  await infer(); // warm-up
  const sw: Sample[] = [];
  const everySw = Math.max(1, Math.floor(every / 4));
  const t1 = performance.now();
  for (let i = 1; i <= inferences; i++) {
    await infer();
    if (i % everySw === 0) sw.push(sample(i));
  }
  const swSeconds = (performance.now() - t1) / 1000;
  return {
    train: {
      steps,
      shape: [2, 1, 32, 32, 32],
      seconds: trainSeconds,
      samples: train,
      ...verdict(train),
    },
    slidingWindow: {
      inferences,
      shape: [1, 1, 64, 64, 64],
      roiSize: 32,
      seconds: swSeconds,
      samples: sw,
      ...verdict(sw),
    },
  };
}

it(`pipeline ${mode}`, async () => {
  const info = await initBackend({ prefer: 'native', nativeOptions: { threads: 2 } });
  const result =
    mode === 'step'
      ? await benchStep()
      : mode === 'sw'
        ? await benchSlidingWindow()
        : await benchSoak();
  writeFileSync(
    process.env.BENCH_OUT ?? `/tmp/voxelkit-bench-${mode}.json`,
    JSON.stringify({ mode, backend: info.name, result }, null, 2),
  );
});
