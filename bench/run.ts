/**
 * `pnpm bench`: conv3d kernels, the real UNet training step and sliding-window inference of a
 * CT-sized volume, ours (tfjs-cpu and native kernels, after initBackend()) against PyTorch/MONAI
 * measured in the same run, with peak RSS of both. Prints tables and writes
 * bench/results/latest.raw.json. About 5–8 minutes on a 2-core machine.
 *
 *   pnpm bench             kernels + UNet step (96³, 64³) + sliding window + PyTorch references
 *   pnpm bench --quick     kernels only
 *   pnpm bench --full      also the older bench UNet (packages/backend-native/bench/unet.ts) at
 *                          64³ with native conv3d only and with tfjs-cpu only (slow)
 *   pnpm bench --preprocess  preprocessing vs MONAI and NIfTI loading vs nibabel (~1 min)
 *   pnpm bench --soak      only the soak test (issue 7): ~200 training steps and ~30 sliding-window
 *                          inferences, tf.memory() and RSS sampled; prints the series and a
 *                          verdict and rewrites the soak section of docs/benchmarks.md
 *
 * Needs /usr/bin/python3 with torch (Debian python3-torch) for the PyTorch columns, /usr/bin/time
 * for PyTorch's peak RSS, and the built native addon (packages/backend-native, libtorch-dev) for
 * the native columns; missing parts are reported, not fatal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { preprocessBench } from './preprocess.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const full = args.has('--full');
const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const threads = 2;

interface KernelRow {
  shape: string;
  op: string;
  impl: string;
  layout: string | null;
  seconds: number;
  flops: number;
}

function load(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.speed ?? 0);
  const avx512 = /\bavx512f\b/.test(cpuinfo);
  // Assumption: 32 fp32 flops/cycle/core = 2 FMA pipes x 8 lanes (256 bits) x 2 flops. That is
  // AMD Zen 4, which executes AVX-512 on 256-bit pipes; a core with two 512-bit FMA units
  // (many Xeons) does 64. Override with BENCH_FLOPS_PER_CYCLE.
  const flopsPerCycle = Number(process.env.BENCH_FLOPS_PER_CYCLE ?? (avx512 ? 32 : 16));
  const cores = Math.min(threads, os.availableParallelism());
  const peakGflops = (cores * mhz * flopsPerCycle) / 1000;
  return {
    model,
    mhz,
    cores,
    avx512,
    flopsPerCycle,
    peakGflops,
    logicalCpus: os.availableParallelism(),
  };
}

function runVitestTask(
  task: string,
  env: Record<string, string>,
  label = task,
): unknown | undefined {
  const out = path.join(os.tmpdir(), `voxelkit-bench-${label}-${process.pid}.json`);
  rmSync(out, { force: true });
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const config = 'packages/backend-native/bench/vitest.config.ts';
  const file = `packages/backend-native/bench/${task}.task.ts`;
  const started = Date.now();
  const r = spawnSync(process.execPath, [vitest, 'run', '--config', config, file], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_OUT: out },
    encoding: 'utf8',
  });
  console.log(
    `  ${label}: ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${r.status}, load ${load()})`,
  );
  if (!existsSync(out)) {
    console.log(`${r.stdout}\n${r.stderr}`.split('\n').slice(-30).join('\n'));
    return undefined;
  }
  if (r.status !== 0) {
    // The task wrote its result; vitest failed afterwards (e.g. a worker RPC timeout). Show why.
    const why = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error|timeout/i.test(l));
    console.log(
      `    vitest exit ${r.status} after the result was written: ${why.slice(0, 3).join(' | ')}`,
    );
  }
  return JSON.parse(readFileSync(out, 'utf8'));
}

/**
 * Runs `ref.py <command> ... --out <dir>` (unmodified MONAI) under `/usr/bin/time -v` and returns
 * its JSON plus the process's peak RSS in bytes (undefined when /usr/bin/time is missing).
 */
function runRef(
  command: string,
  argv: string[],
  jsonName: string,
): { json: Record<string, unknown>; peakRssBytes?: number } | undefined {
  const dir = path.join(os.tmpdir(), `voxelkit-bench-ref-${command}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const refArgs = ['../shared/oracle/ref.py', command, ...argv, '--out', dir];
  const timed = existsSync('/usr/bin/time');
  const started = Date.now();
  const r = spawnSync(
    timed ? '/usr/bin/time' : python,
    timed ? ['-v', python, ...refArgs] : refArgs,
    {
      cwd: root,
      env: { ...process.env, PYTHONPATH: path.resolve(root, '../shared/oracle/vendor-monai') },
      encoding: 'utf8',
    },
  );
  const file = path.join(dir, jsonName);
  console.log(
    `  ref.py ${command} ${argv.slice(0, 4).join(' ')}: ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${r.status}, load ${load()})`,
  );
  if (r.status !== 0 || !existsSync(file)) {
    console.log(`    failed: ${(r.stderr ?? '').split('\n').slice(-4).join(' ')}`);
    return undefined;
  }
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '')?.[1];
  return {
    json: JSON.parse(readFileSync(file, 'utf8')),
    peakRssBytes: kb ? Number(kb) * 1024 : undefined,
  };
}

function runPython(argv: string[], extraEnv: Record<string, string> = {}): string | undefined {
  const r = spawnSync(python, argv, {
    cwd: root,
    env: { ...process.env, ...extraEnv },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.log(
      `  python ${argv[0]} failed (exit ${r.status}): ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`,
    );
    return undefined;
  }
  return r.stdout;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const fmt = (s: number | undefined) =>
  s === undefined ? '–' : s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`;

const mib = (b: number | undefined) => (b === undefined ? '–' : `${(b / 2 ** 20).toFixed(0)} MiB`);

interface StepResult {
  size: number;
  trainStepSeconds: number;
  forwardSeconds: number;
  peakRssBytes: number;
  profile: { kernel: string; ms: number; calls: number }[];
}
interface RefUnet {
  runs: Record<string, { train_step_median_s: number; forward_eval_median_s: number }>;
}
interface SwResult {
  windows: number;
  runs: number[];
  medianSeconds: number;
  peakRssBytes: number;
  tfjsCpuOneWindowSeconds?: number;
  nativeOneWindowSeconds?: number;
}
interface SoakSample {
  iteration: number;
  numTensors: number;
  numBytes: number;
  rssBytes: number;
}
interface SoakSeries {
  samples: SoakSample[];
  seconds: number;
  tensorsConstant: boolean;
  bytesGrowth: number;
  rssGrowth: number;
  flat: boolean;
}

const pipeline = (env: Record<string, string>, label: string) =>
  (runVitestTask('pipeline', env, label) as { result: unknown } | undefined)?.result;

function soak() {
  const loadBefore = load();
  console.log(`soak (issue 7), load average before: ${loadBefore}`);
  const r = pipeline(
    {
      BENCH_MODE: 'soak',
      BENCH_SOAK_STEPS: process.env.BENCH_SOAK_STEPS ?? '200',
      BENCH_SOAK_INFERENCES: process.env.BENCH_SOAK_INFERENCES ?? '30',
      BENCH_SOAK_EVERY: '20',
    },
    'soak',
  ) as {
    train: SoakSeries & { steps: number };
    slidingWindow: SoakSeries & { inferences: number };
  };
  const loadAfter = load();
  if (!r) return;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const series = (name: string, s: SoakSeries) =>
    `${name}\n\n` +
    table(
      ['iteration', 'numTensors', 'numBytes', 'RSS'],
      s.samples.map((x) => [x.iteration, x.numTensors, x.numBytes, mib(x.rssBytes)]),
    );
  const verdictRow = (name: string, work: string, s: SoakSeries) => [
    name,
    work,
    `${s.seconds.toFixed(0)} s`,
    s.tensorsConstant ? `constant (${s.samples[0].numTensors})` : 'CHANGES',
    pct(s.bytesGrowth),
    pct(s.rssGrowth),
    s.flat ? 'flat' : 'GROWS',
  ];
  const summary = table(
    [
      'workload',
      'iterations',
      'time',
      'numTensors',
      'numBytes last/first quartile',
      'RSS last/first quartile',
      'verdict',
    ],
    [
      verdictRow(
        'training step, small UNet (8-16-32-64), 2×1×32³, DiceCE, AdamW',
        String(r.train.steps),
        r.train,
      ),
      verdictRow(
        'sliding window, 1×1×64³, roi 32, batch 4, overlap 0.25, gaussian (27 windows)',
        String(r.slidingWindow.inferences),
        r.slidingWindow,
      ),
    ],
  );
  console.log(
    `\n${series('training steps', r.train)}\n\n${series('sliding-window inferences', r.slidingWindow)}`,
  );
  console.log(`\n${summary}\n\nload average before: ${loadBefore}; after: ${loadAfter}`);
  const section = [
    '<!-- soak:begin (written by `pnpm bench --soak`) -->',
    `\`pnpm bench --soak\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${loadBefore} → ${loadAfter}. ` +
      'Flat = `numTensors` exactly constant and the last-quartile means of `numBytes` and RSS within 5 % of the first-quartile means (samples after one warm-up iteration).',
    '',
    summary,
    '',
    `Samples (every ${r.train.samples[1]?.iteration - r.train.samples[0]?.iteration} steps / every ${r.slidingWindow.samples[1]?.iteration - r.slidingWindow.samples[0]?.iteration} inferences): numTensors ${r.train.samples[0].numTensors}…${r.train.samples.at(-1)?.numTensors} / ${r.slidingWindow.samples[0].numTensors}…${r.slidingWindow.samples.at(-1)?.numTensors}; RSS (MiB) training ${r.train.samples.map((x) => (x.rssBytes / 2 ** 20).toFixed(0)).join(', ')}; sliding window ${r.slidingWindow.samples.map((x) => (x.rssBytes / 2 ** 20).toFixed(0)).join(', ')}.`,
    '<!-- soak:end -->',
  ].join('\n');
  const doc = path.join(root, 'docs', 'benchmarks.md');
  const text = readFileSync(doc, 'utf8');
  const re = /<!-- soak:begin[\s\S]*?<!-- soak:end -->/;
  if (re.test(text)) {
    writeFileSync(`${doc}.tmp`, text.replace(re, section));
    renameSync(`${doc}.tmp`, doc);
    console.log('\nwrote the soak section of docs/benchmarks.md');
  } else {
    console.log('\ndocs/benchmarks.md has no soak markers; section not written:\n' + section);
  }
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'soak.raw.json'),
    JSON.stringify({ date: new Date().toISOString(), loadBefore, loadAfter, ...r }, null, 2),
  );
}

function main() {
  if (args.has('--soak')) return soak();
  if (args.has('--preprocess')) return preprocessBench(root, python);
  const m = machine();
  const loadBefore = load();
  console.log(`machine: ${m.model}, ${m.logicalCpus} CPUs (${m.cores} used), ${m.mhz} MHz`);
  console.log(
    `fp32 peak assumed: ${m.cores} cores x ${(m.mhz / 1000).toFixed(2)} GHz x ${m.flopsPerCycle} flops/cycle = ${m.peakGflops.toFixed(0)} GFLOP/s`,
  );
  console.log(`load average before: ${loadBefore}`);
  console.log('running:');

  const kernels = runVitestTask('kernels', {}) as
    { native: unknown; results: KernelRow[] } | undefined;
  const torchOut = runPython([
    'bench/torch_conv3d.py',
    '--threads',
    String(threads),
    '--repeats',
    '5',
    '--layouts',
    'contiguous',
    'channels_last',
  ]);
  const torch = torchOut
    ? (JSON.parse(torchOut) as {
        results: { shape: string; op: string; layout: string; seconds: number }[];
      })
    : undefined;
  console.log(`  PyTorch kernels: ${torch ? 'ok' : 'unavailable'}`);

  // Real UNet step: ours then MONAI's, one process each per size (peak RSS per workload).
  const steps: { ours?: StepResult; ref?: ReturnType<typeof runRef> }[] = [];
  let sw: SwResult | undefined;
  let swRef: ReturnType<typeof runRef>;
  let stepTfjs: { results: Record<string, number | string>[] } | undefined;
  let stepConv: typeof stepTfjs;
  if (!quick) {
    for (const size of [96, 64]) {
      const ours = pipeline(
        {
          BENCH_MODE: 'step',
          BENCH_SIZE: String(size),
          // 96³ steps take ~15 s each here: 2 repeats there keep `pnpm bench` under ~10 min.
          BENCH_REPEATS: process.env.BENCH_STEP_REPEATS ?? (size === 96 ? '2' : '3'),
          BENCH_PROFILE: size === 64 ? '1' : '0',
        },
        `UNet step 2x1x${size}^3`,
      ) as StepResult | undefined;
      const ref = runRef(
        'bench-unet',
        ['--sizes', String(size), '--batch', '2', '--repeats', '3', '--threads', String(threads)],
        'bench_unet.json',
      );
      steps.push({ ours, ref });
    }
    sw = pipeline(
      { BENCH_MODE: 'sw', BENCH_REPEATS: process.env.BENCH_SW_REPEATS ?? '1' },
      'sliding window 226x157x113',
    ) as SwResult | undefined;
    swRef = runRef(
      'bench-sw',
      [
        '--shape',
        '226',
        '157',
        '113',
        '--roi',
        '96',
        '--sw-batch-size',
        '4',
        '--overlap',
        '0.5',
        '--repeats',
        '3',
        '--threads',
        String(threads),
      ],
      'bench_sw.json',
    );
    if (full) {
      stepConv = runVitestTask(
        'unet-step',
        { BENCH_SIZES: '64', BENCH_REPEATS: '1', BENCH_NATIVE_KERNELS: 'conv3d' },
        'bench-UNet conv3d only',
      ) as typeof stepTfjs;
      stepTfjs = runVitestTask(
        'unet-step',
        { BENCH_SIZES: '64', BENCH_REPEATS: '1', BENCH_STEP_IMPL: 'tfjs-cpu' },
        'bench-UNet tfjs-cpu',
      ) as typeof stepTfjs;
    }
  }
  const loadAfter = load();

  // ---- kernel table
  const rows: (string | number)[][] = [];
  const find = (shape: string, op: string, impl: string, layout: string | null) =>
    kernels?.results.find(
      (r) => r.shape === shape && r.op === op && r.impl === impl && r.layout === layout,
    );
  const shapes = [...new Set(kernels?.results.map((r) => r.shape) ?? [])];
  for (const shape of shapes) {
    for (const op of ['forward', 'backprop-input', 'backprop-filter']) {
      const t = find(shape, op, 'tfjs-cpu', null);
      const n1 = find(shape, op, 'native', 'ncdhw');
      const n2 = find(shape, op, 'native', 'channels-last');
      const n3 = find(shape, op, 'native', 'channel-first');
      const flops = (t ?? n1 ?? n2 ?? n3)?.flops ?? 0;
      const pt = torch?.results.filter((r) => r.shape === shape && r.op === op) ?? [];
      const ptBest = pt.length ? Math.min(...pt.map((r) => r.seconds)) : undefined;
      const gf = (s?: number) => (s ? (flops / s / 1e9).toFixed(1) : '–');
      const pk = (s?: number) =>
        s ? `${((flops / s / 1e9 / m.peakGflops) * 100).toFixed(0)}%` : '–';
      // The UNet runs the channel-first kernels; the ratio compares those with PyTorch.
      const best = n3?.seconds;
      rows.push([
        shape,
        op,
        `${fmt(t?.seconds)} (${gf(t?.seconds)})`,
        `${fmt(n1?.seconds)} (${gf(n1?.seconds)}, ${pk(n1?.seconds)})`,
        `${fmt(n2?.seconds)} (${gf(n2?.seconds)}, ${pk(n2?.seconds)})`,
        `${fmt(n3?.seconds)} (${gf(n3?.seconds)}, ${pk(n3?.seconds)})`,
        `${fmt(ptBest)} (${gf(ptBest)}, ${pk(ptBest)})`,
        best && ptBest ? (best / ptBest).toFixed(2) : '–',
        best && t ? `${(t.seconds / best).toFixed(0)}x` : '–',
      ]);
    }
  }
  console.log('\nconv3d kernels, batch 2, k3, "same" (time, GFLOP/s, share of peak):\n');
  console.log(
    table(
      [
        'shape',
        'op',
        'tfjs-cpu',
        'native tfjs kernel, NCDHW copy',
        'native tfjs kernel, channels-last',
        'native channel-first (UNet path)',
        'PyTorch (best layout)',
        'channel-first/PyTorch',
        'speed-up vs tfjs',
      ],
      rows,
    ),
  );

  if (steps.length) {
    const srows = steps.map(({ ours, ref }, i) => {
      const size = [96, 64][i];
      const p = (ref?.json as RefUnet | undefined)?.runs[`2x1x${size}x${size}x${size}`];
      return [
        `2x1x${size}^3`,
        fmt(ours?.trainStepSeconds),
        fmt(p?.train_step_median_s),
        ours && p ? (ours.trainStepSeconds / p.train_step_median_s).toFixed(2) : '–',
        fmt(ours?.forwardSeconds),
        fmt(p?.forward_eval_median_s),
        ours && p ? (ours.forwardSeconds / p.forward_eval_median_s).toFixed(2) : '–',
        mib(ours?.peakRssBytes),
        mib(ref?.peakRssBytes),
        ours && ref?.peakRssBytes ? (ours.peakRssBytes / ref.peakRssBytes).toFixed(2) : '–',
      ];
    });
    console.log(
      '\n@voxelkit/nets UNet (16-32-64-128-256, 2 res units, batch norm), DiceCE, AdamW, trainStep (medians after a warm-up: ours 2 at 96^3, 3 at 64^3, PyTorch 3; peak RSS of the whole process):\n',
    );
    console.log(
      table(
        [
          'input',
          'step ours (native)',
          'step PyTorch/MONAI',
          'ratio',
          'forward ours (eval)',
          'forward PyTorch',
          'ratio',
          'peak RSS ours',
          'peak RSS PyTorch',
          'ratio',
        ],
        srows,
      ),
    );
    const prof = steps[1]?.ours?.profile ?? [];
    if (prof.length) {
      const total = prof.reduce((a, b) => a + b.ms, 0);
      console.log('\nwhere one native training step spends its kernel time (2x1x64^3):\n');
      console.log(
        table(
          ['kernel', 'ms', 'share', 'calls'],
          prof
            .slice(0, 12)
            .map((k) => [
              k.kernel,
              k.ms.toFixed(0),
              `${((k.ms / total) * 100).toFixed(1)}%`,
              k.calls,
            ]),
        ),
      );
    }
  }
  if (sw || swRef) {
    const refJson = swRef?.json as { median_s: number; runs_s: number[] } | undefined;
    const tfjsEst =
      sw?.tfjsCpuOneWindowSeconds !== undefined && sw.nativeOneWindowSeconds !== undefined
        ? sw.medianSeconds + sw.windows * (sw.tfjsCpuOneWindowSeconds - sw.nativeOneWindowSeconds)
        : undefined;
    console.log(
      '\nsliding-window inference, 1x1x226x157x113, roi 96, swBatchSize 4, overlap 0.5, eval UNet (ours: BENCH_SW_REPEATS runs, default 1, after a one-window warm-up; PyTorch: median of 3 runs, the first one cold):\n',
    );
    console.log(
      table(
        [
          '',
          'ours (native)',
          'PyTorch/MONAI',
          'ours/PyTorch',
          'tfjs-cpu (extrapolated)',
          'ours/tfjs-cpu',
        ],
        [
          [
            'time',
            `${fmt(sw?.medianSeconds)} (${sw?.runs.map((r) => r.toFixed(2)).join(', ')})`,
            `${fmt(refJson?.median_s)} (${refJson?.runs_s.map((r) => r.toFixed(2)).join(', ')})`,
            sw && refJson ? (sw.medianSeconds / refJson.median_s).toFixed(2) : '–',
            fmt(tfjsEst),
            sw && tfjsEst ? (sw.medianSeconds / tfjsEst).toFixed(3) : '–',
          ],
          [
            'peak RSS',
            mib(sw?.peakRssBytes),
            mib(swRef?.peakRssBytes),
            sw && swRef?.peakRssBytes ? (sw.peakRssBytes / swRef.peakRssBytes).toFixed(2) : '–',
            '',
            '',
          ],
        ],
      ),
    );
    if (sw?.tfjsCpuOneWindowSeconds !== undefined) {
      console.log(
        `\ntfjs-cpu estimate = ours + ${sw.windows} windows x (one 1x1x96^3 window on tfjs-cpu ${fmt(sw.tfjsCpuOneWindowSeconds)} - on native ${fmt(sw.nativeOneWindowSeconds)}); measured one window, not the whole run.`,
      );
    }
  }
  if (stepConv || stepTfjs) {
    console.log('\nolder bench UNet (bench/unet.ts), 2x1x64^3, 1 step after warm-up:\n');
    console.log(
      table(
        ['configuration', 'train step', 'forward'],
        [
          [
            'native conv3d only',
            fmt(stepConv?.results[0]?.trainStepSeconds as number),
            fmt(stepConv?.results[0]?.forwardSeconds as number),
          ],
          [
            'tfjs-cpu only',
            fmt(stepTfjs?.results[0]?.trainStepSeconds as number),
            fmt(stepTfjs?.results[0]?.forwardSeconds as number),
          ],
        ],
      ),
    );
  }
  console.log(`\nload average before: ${loadBefore}; after: ${loadAfter}`);

  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'latest.raw.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: m,
        loadBefore,
        loadAfter,
        kernels,
        torch,
        steps,
        sw,
        swRef,
        stepConv,
        stepTfjs,
      },
      null,
      2,
    ),
  );
}

main();
