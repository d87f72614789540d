/**
 * Times the inference preprocessing (LoadImaged → EnsureChannelFirstd → Orientationd →
 * Spacingd → ScaleIntensityRanged → CropForegroundd) per step and prints JSON, in the same shape
 * as the MONAI oracle's `ref.py bench-preprocess` so the two can be compared.
 *
 * Run from the repository root (tsx resolves `@voxelkit/*` to sources via tsconfig paths):
 *   npx tsx packages/transforms/bench/spatial.bench.ts [--image a.nii.gz --label b.nii.gz]
 *     [--synthetic] [--synthetic-dir DIR] [--repeats 3]
 * Without `--image`, it times spleen_ts001 from `data/spleen-mini`; `--synthetic` adds a
 * 512×512×100 int16 volume (LPS, 0.78125 × 0.78125 × 2.5 mm): the files `bench_image.nii.gz` /
 * `bench_label.nii.gz` that `ref.py bench-preprocess --out DIR` wrote when `--synthetic-dir` is
 * given (same bytes as MONAI timed), otherwise a generated one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { affineFromRows, createVolume, Rng, silentLogger } from '@voxelkit/core';
import { saveNifti } from '@voxelkit/io';
import type { DataRecord, Transform, TransformContext } from '@voxelkit/transforms';
import {
  CropForegroundd,
  EnsureChannelFirstd,
  LoadImaged,
  Orientationd,
  ScaleIntensityRanged,
  Spacingd,
} from '@voxelkit/transforms';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const repeats = Number(flag('--repeats') ?? 3);
const root = path.resolve(import.meta.dirname, '../../..');

function pipeline(keys: string[]): Transform[] {
  return [
    new LoadImaged({ keys }),
    new EnsureChannelFirstd({ keys }),
    new Orientationd({ keys, axcodes: 'RAS' }),
    new Spacingd({
      keys,
      pixdim: [1.5, 1.5, 2],
      mode: ['bilinear', 'nearest'].slice(0, keys.length) as ('bilinear' | 'nearest')[],
    }),
    new ScaleIntensityRanged({
      keys: ['image'],
      aMin: -57,
      aMax: 164,
      bMin: 0,
      bMax: 1,
      clip: true,
    }),
    new CropForegroundd({ keys, sourceKey: 'image', allowSmaller: true }),
  ];
}

async function timeRun(
  input: DataRecord,
): Promise<{ seconds: Record<string, number>; shape: number[] }> {
  const ctx: TransformContext = { rng: new Rng(0), logger: silentLogger };
  const seconds: Record<string, number> = {};
  let record = input;
  const t0 = performance.now();
  for (const t of pipeline(Object.keys(input))) {
    const s = performance.now();
    record = (await t.apply(record, ctx)) as DataRecord;
    seconds[t.name] = (performance.now() - s) / 1000;
  }
  seconds.total = (performance.now() - t0) / 1000;
  return { seconds, shape: (record.image as { shape: number[] }).shape };
}

async function bench(name: string, image: string, label: string): Promise<Record<string, unknown>> {
  const runs: Record<string, unknown> = {};
  for (const withLabel of [false, true]) {
    const input: DataRecord = withLabel ? { image, label } : { image };
    const all: Record<string, number>[] = [];
    let shape: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      const res = await timeRun(input); // run 0 is the warm-up
      if (r > 0) all.push(res.seconds);
      shape = res.shape;
    }
    const median: Record<string, number> = {};
    for (const k of Object.keys(all[0])) {
      const v = all.map((a) => a[k]).sort((a, b) => a - b);
      median[k] = v[Math.floor(v.length / 2)];
    }
    runs[withLabel ? 'image+label' : 'image only'] = {
      median_seconds: median,
      all,
      output_shape: shape,
    };
  }
  return { name, image, label, runs };
}

async function syntheticFiles(dir: string): Promise<[string, string]> {
  // An LPS CT-like volume: air -1000, a body ellipse ~40 HU with noise, a denser blob.
  const [nx, ny, nz] = [512, 512, 100];
  const data = new Int16Array(nx * ny * nz);
  const label = new Uint8Array(nx * ny * nz);
  const rng = new Rng(1);
  let o = 0;
  for (let x = 0; x < nx; x++)
    for (let y = 0; y < ny; y++)
      for (let z = 0; z < nz; z++, o++) {
        const dx = (x - nx / 2) / (nx * 0.4);
        const dy = (y - ny / 2) / (ny * 0.3);
        const inBody = dx * dx + dy * dy < 1;
        const ex = (x - nx * 0.65) / 40;
        const ey = (y - ny * 0.55) / 30;
        const ez = (z - nz / 2) / 20;
        const organ = ex * ex + ey * ey + ez * ez < 1;
        data[o] = Math.round(
          (organ ? 110 : inBody ? 40 : -1000) + 12 * (rng.uniform() - 0.5) * 3.4,
        );
        label[o] = organ ? 1 : 0;
      }
  const affine = affineFromRows([
    [-0.78125, 0, 0, 200],
    [0, -0.78125, 0, 200],
    [0, 0, 2.5, -125],
  ]);
  const ip = path.join(dir, 'bench_image.nii.gz');
  const lp = path.join(dir, 'bench_label.nii.gz');
  await saveNifti(ip, createVolume(data, [1, nx, ny, nz], affine));
  await saveNifti(lp, createVolume(label, [1, nx, ny, nz], affine));
  return [ip, lp];
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  const image = flag('--image') ?? path.join(root, 'data/spleen-mini/imagesTr/spleen_ts001.nii.gz');
  const label = flag('--label') ?? path.join(root, 'data/spleen-mini/labelsTr/spleen_ts001.nii.gz');
  results.push(await bench(path.basename(image), image, label));
  if (args.includes('--synthetic')) {
    const given = flag('--synthetic-dir');
    const dir = given ?? mkdtempSync(path.join(os.tmpdir(), 'voxelkit-bench-'));
    const [ip, lp] = given
      ? [path.join(dir, 'bench_image.nii.gz'), path.join(dir, 'bench_label.nii.gz')]
      : await syntheticFiles(dir);
    results.push(await bench('synthetic 512x512x100 int16', ip, lp));
    if (!given) rmSync(dir, { recursive: true, force: true });
  }
  const load = os.loadavg();
  process.stdout.write(
    JSON.stringify(
      { node: process.version, cpus: os.cpus().length, loadavg: load, repeats, results },
      null,
      2,
    ) + '\n',
  );
}

void main();
