/**
 * `pnpm bench`: conv3d kernel and UNet training-step benchmarks, ours (tfjs-cpu and native
 * kernels) against PyTorch measured in the same run. Prints tables and writes
 * bench/results/latest.raw.json. Self-contained; about 3–4 minutes on an idle 2-core machine.
 *
 *   pnpm bench             kernels + UNet step (native) + PyTorch reference
 *   pnpm bench --quick     kernels only
 *   pnpm bench --full      also the UNet step at 64³ with native conv3d only and with tfjs-cpu
 *                          only (slow: a few minutes idle)
 *
 * Needs /usr/bin/python3 with torch (Debian python3-torch) for the PyTorch columns and the built
 * native addon (packages/backend-native, libtorch-dev) for the native columns; missing parts are
 * reported, not fatal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

function runVitestTask(task: string, env: Record<string, string>): unknown | undefined {
  const out = path.join(os.tmpdir(), `voxelkit-bench-${task}-${process.pid}.json`);
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const config = 'packages/backend-native/bench/vitest.config.ts';
  const file = `packages/backend-native/bench/${task}.task.ts`;
  const started = Date.now();
  const r = spawnSync(process.execPath, [vitest, 'run', '--config', config, file], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_OUT: out },
    encoding: 'utf8',
  });
  console.log(`  ${task}: ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${r.status})`);
  if (!existsSync(out)) {
    console.log(`${r.stdout}\n${r.stderr}`.split('\n').slice(-30).join('\n'));
    return undefined;
  }
  return JSON.parse(readFileSync(out, 'utf8'));
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

function main() {
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

  let step:
    | {
        results: Record<string, number | string>[];
        profile: { kernel: string; ms: number; calls: number }[];
      }
    | undefined;
  let stepTfjs: typeof step;
  let stepConv: typeof step;
  let ref:
    | { runs: Record<string, { train_step_median_s: number; forward_eval_median_s: number }> }
    | undefined;
  if (!quick) {
    step = runVitestTask('unet-step', {
      BENCH_SIZES: '96,64',
      BENCH_REPEATS: process.env.BENCH_STEP_REPEATS ?? '3',
    }) as typeof step;
    if (full) {
      stepConv = runVitestTask('unet-step', {
        BENCH_SIZES: '64',
        BENCH_REPEATS: '1',
        BENCH_NATIVE_KERNELS: 'conv3d',
      }) as typeof step;
      stepTfjs = runVitestTask('unet-step', {
        BENCH_SIZES: '64',
        BENCH_REPEATS: '1',
        BENCH_STEP_IMPL: 'tfjs-cpu',
      }) as typeof step;
    }
    const refDir = path.join(os.tmpdir(), `voxelkit-bench-ref-${process.pid}`);
    const ok = runPython(
      [
        '../shared/oracle/ref.py',
        'bench-unet',
        '--sizes',
        '96',
        '64',
        '--batch',
        '2',
        '--repeats',
        '3',
        '--threads',
        String(threads),
        '--out',
        refDir,
      ],
      { PYTHONPATH: path.resolve(root, '../shared/oracle/vendor-monai') },
    );
    if (ok) ref = JSON.parse(readFileSync(path.join(refDir, 'bench_unet.json'), 'utf8'));
    console.log(`  PyTorch/MONAI UNet: ${ref ? 'ok' : 'unavailable'}`);
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
      const flops = (t ?? n1 ?? n2)?.flops ?? 0;
      const pt = torch?.results.filter((r) => r.shape === shape && r.op === op) ?? [];
      const ptBest = pt.length ? Math.min(...pt.map((r) => r.seconds)) : undefined;
      const gf = (s?: number) => (s ? (flops / s / 1e9).toFixed(1) : '–');
      const pk = (s?: number) =>
        s ? `${((flops / s / 1e9 / m.peakGflops) * 100).toFixed(0)}%` : '–';
      const best = n1 && n2 ? Math.min(n1.seconds, n2.seconds) : (n1 ?? n2)?.seconds;
      rows.push([
        shape,
        op,
        `${fmt(t?.seconds)} (${gf(t?.seconds)})`,
        `${fmt(n1?.seconds)} (${gf(n1?.seconds)}, ${pk(n1?.seconds)})`,
        `${fmt(n2?.seconds)} (${gf(n2?.seconds)}, ${pk(n2?.seconds)})`,
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
        'native NCDHW',
        'native channels-last',
        'PyTorch (best layout)',
        'native/PyTorch',
        'speed-up vs tfjs',
      ],
      rows,
    ),
  );

  if (step) {
    const srows = step.results.map((r) => {
      const key = `2x1x${r.size}x${r.size}x${r.size}`;
      const p = ref?.runs[key];
      const t = stepTfjs?.results.find((x) => x.size === r.size);
      const c = stepConv?.results.find((x) => x.size === r.size);
      return [
        `2x1x${r.size}^3`,
        fmt(r.trainStepSeconds as number),
        fmt(p?.train_step_median_s),
        p ? ((r.trainStepSeconds as number) / p.train_step_median_s).toFixed(2) : '–',
        fmt(c?.trainStepSeconds as number | undefined),
        fmt(t?.trainStepSeconds as number | undefined),
        fmt(r.forwardSeconds as number),
        fmt(p?.forward_eval_median_s),
      ];
    });
    console.log('\nUNet (16-32-64-128-256, 2 res units) training step and forward (medians):\n');
    console.log(
      table(
        [
          'input',
          'ours (native)',
          'PyTorch/MONAI',
          'ratio',
          'ours (native conv3d only)',
          'ours (tfjs-cpu)',
          'forward ours',
          'forward PyTorch',
        ],
        srows,
      ),
    );
    const total = step.profile.reduce((a, b) => a + b.ms, 0);
    console.log(
      `\nwhere one native training step spends its kernel time (2x1x${(step as unknown as { profileSize: number }).profileSize}^3):\n`,
    );
    console.log(
      table(
        ['kernel', 'ms', 'share', 'calls'],
        step.profile
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
        step,
        stepTfjs,
        ref,
      },
      null,
      2,
    ),
  );
}

main();
