/**
 * `pnpm bench --preprocess`: data-loading speed against the Python peers on the same files, back
 * to back in one run — the spleen inference preprocessing (LoadImaged → … → CropForegroundd) of
 * voxelkit against MONAI's (`ref.py bench-preprocess`), and NIfTI loading against nibabel
 * (`packages/io/bench/load.bench.ts`). Prints markdown tables with ratios (ours / peer).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface StepTimes {
  median_seconds: Record<string, number>;
}

/** Runs both preprocessing benchmarks and prints their tables; `root` is the repository root. */
export function preprocessBench(root: string, python: string): void {
  const image = path.join(root, 'data/spleen-mini/imagesTr/spleen_ts001.nii.gz');
  const label = path.join(root, 'data/spleen-mini/labelsTr/spleen_ts001.nii.gz');
  const loadavg = () =>
    os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
  console.log(`preprocessing benchmark, load average ${loadavg()}`);

  const ours = spawnSync(
    'npx',
    [
      'tsx',
      'packages/transforms/bench/spatial.bench.ts',
      '--image',
      image,
      '--label',
      label,
      '--repeats',
      '3',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  const oursRuns = ours.status === 0 ? parseOurs(ours.stdout) : undefined;

  const dir = path.join(os.tmpdir(), `voxelkit-bench-pp-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const ref = spawnSync(
    python,
    [
      '../shared/oracle/ref.py',
      'bench-preprocess',
      '--image',
      image,
      '--label',
      label,
      '--repeats',
      '3',
      '--threads',
      '2',
      '--out',
      dir,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: path.resolve(root, '../shared/oracle/vendor-monai') },
    },
  );
  const refFile = path.join(dir, 'bench_preprocess.json');
  const refRuns =
    ref.status === 0 && existsSync(refFile)
      ? (JSON.parse(readFileSync(refFile, 'utf8')).runs as Record<string, StepTimes>)
      : undefined;

  console.log(
    '\n| spleen_ts001 (122×101×112 int32, 3 mm → 1.5×1.5×2 mm) | voxelkit | MONAI 1.4 | ratio |',
  );
  console.log('|---|---|---|---|');
  for (const key of ['image only', 'image+label']) {
    const a = oursRuns?.[key]?.median_seconds.total;
    const b = refRuns?.[`(given file) ${key}`]?.median_seconds.total;
    console.log(
      `| ${key}, median of 3 | ${fmt(a)} | ${fmt(b)} | ${a && b ? (a / b).toFixed(2) : 'n/a'} |`,
    );
  }

  const loadBench = spawnSync('npx', ['tsx', 'packages/io/bench/load.bench.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  console.log('\nNIfTI load (decompress + decode), median of 3:\n');
  console.log(loadBench.status === 0 ? loadBench.stdout.trim() : `failed: ${loadBench.stderr}`);
  console.log(`\nload average after: ${loadavg()}`);
}

function parseOurs(stdout: string): Record<string, StepTimes> | undefined {
  const json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
    results: { runs: Record<string, StepTimes> }[];
  };
  return json.results[0]?.runs;
}

function fmt(seconds: number | undefined): string {
  return seconds === undefined ? 'n/a' : `${seconds.toFixed(3)} s`;
}
