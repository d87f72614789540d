/**
 * Packs every package as npm would publish it, installs the tarballs into a fresh project outside
 * the workspace, and compiles (skipLibCheck: false) and runs a small program against them as ESM
 * and as CommonJS. Catches workspace-only paths, missing files in `files`, broken `exports` maps
 * and type declarations that do not resolve.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const packagesDir = path.join(root, 'packages');
const work = mkdtempSync(path.join(tmpdir(), 'voxelkit-pack-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

const execFileAsync = promisify(execFile);

/**
 * Runs a command and returns its stdout. Asynchronous on purpose: a synchronous child process
 * blocks the test worker for minutes, and vitest then reports an RPC timeout as an error.
 */
async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

const consumerEsm = `
import { Rng, createVolume, axcodesFromAffine } from '@voxelkit/core';
import { readNifti } from '@voxelkit/io';
import { loadDecathlonDataset } from '@voxelkit/io/node';
import { Orientationd, Compose } from '@voxelkit/transforms';
import { DiceMetric } from '@voxelkit/metrics';
import { slidingWindowInference } from '@voxelkit/inferers';
import { readFileSync } from 'node:fs';

const volume = readNifti(new Uint8Array(readFileSync(process.argv[2])), { filename: process.argv[2] });
const dataset = await loadDecathlonDataset(process.argv[3]);
const pipeline = new Compose([new Orientationd({ keys: ['image'], axcodes: 'RAS' })]);
const out = (await pipeline.apply({ image: volume }, { rng: new Rng(0), logger: console })) as {
  image: typeof volume;
};
const metric = new DiceMetric({ includeBackground: true });
const sw = await slidingWindowInference(
  { data: new Float32Array(8), shape: [1, 1, 2, 2, 2] },
  { roiSize: [2, 2, 2], swBatchSize: 1, overlap: 0 },
  async (w) => w,
);
console.log(JSON.stringify({
  shape: out.image.shape,
  axcodes: axcodesFromAffine(out.image.affine),
  metric: typeof metric.aggregate,
  sw: Array.from(sw.data).length,
  training: dataset.training.length,
  v: createVolume(new Float32Array(1), [1, 1, 1, 1]).shape,
}));
`;

// \`import x = require()\` makes TypeScript resolve the packages' \`require\` condition, so the
// CommonJS type declarations are checked too (a \`.d.ts\` in a \`"type": "module"\` package is ESM
// to TypeScript and cannot be required: the \`require\` condition needs its own \`.d.cts\`).
const consumerCjs = `
import core = require('@voxelkit/core');
import io = require('@voxelkit/io');
import ioNode = require('@voxelkit/io/node');
import metrics = require('@voxelkit/metrics');
import transforms = require('@voxelkit/transforms');
import inferers = require('@voxelkit/inferers');
const rng = new core.Rng(0);
const flipped: unknown = new transforms.RandFlipd({ keys: ['image'], prob: 1, spatialAxis: [0] });
console.log(JSON.stringify({
  u: rng.uniform() < 1,
  read: typeof io.readNifti,
  load: typeof ioNode.loadDecathlonDataset,
  dice: typeof metrics.DiceMetric,
  flip: typeof flipped,
  sw: typeof inferers.slidingWindowInference,
}));
`;

// The TensorFlow.js packages, type-checked and run on the CPU backend (ESM and CommonJS).
const consumerTfEsm = `
import { channelsFirstToTensor, initBackend } from '@voxelkit/backend';
import { DiceCELoss } from '@voxelkit/losses';
import { UNet } from '@voxelkit/nets';
import { AdamW, CosineAnnealingSchedule } from '@voxelkit/train';

const info = await initBackend({ prefer: 'cpu' });
const net = new UNet({ spatialDims: 3, inChannels: 1, outChannels: 2, channels: [2, 4], strides: [2], numResUnits: 1 });
const x = channelsFirstToTensor(new Float32Array(8 ** 3), [1, 1, 8, 8, 8]);
const logits = net.apply(x, { training: false });
const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
console.log(JSON.stringify({
  backend: info.name,
  logits: logits.shape,
  loss: typeof loss.compute,
  optimiser: typeof AdamW,
  schedule: typeof CosineAnnealingSchedule,
}));
`;

const consumerTfCjs = `
import backend = require('@voxelkit/backend');
import losses = require('@voxelkit/losses');
import nets = require('@voxelkit/nets');
import train = require('@voxelkit/train');
console.log(JSON.stringify([backend.initBackend, losses.DiceLoss, nets.UNet, train.AdamW].map((f) => typeof f)));
`;

/**
 * tsconfig for the consumer: strict, NodeNext, and library declarations checked. `types` lists
 * the global type packages to load; tfjs-core's own declarations use the global `Long` of
 * `@types/long` (its dependency), so a project that restricts `types` must name it.
 */
function tsconfig(files: string[], types: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      outDir: 'dist',
      types,
    },
    files,
  });
}

const project = path.join(work, 'consumer');

describe('packed packages in a fresh project', () => {
  beforeAll(async () => {
    await run('pnpm', ['-r', '--filter', './packages/**', 'run', 'build'], root);

    const tarballs = new Map<string, string>();
    for (const dir of readdirSync(packagesDir)) {
      const pkgDir = path.join(packagesDir, dir);
      const name = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
        .name as string;
      const out = (await run('pnpm', ['pack', '--pack-destination', work], pkgDir))
        .trim()
        .split('\n');
      tarballs.set(name, out[out.length - 1].trim());
    }

    mkdirSync(path.join(project, 'src'), { recursive: true });
    const deps = Object.fromEntries([...tarballs].map(([n, t]) => [n, `file:${t}`]));
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: deps,
        overrides: deps,
        devDependencies: { typescript: '5.7.3', '@types/node': '^20' },
      }),
    );
    writeFileSync(path.join(project, 'src', 'esm.mts'), consumerEsm);
    writeFileSync(path.join(project, 'src', 'cjs.cts'), consumerCjs);
    writeFileSync(path.join(project, 'src', 'tf.mts'), consumerTfEsm);
    writeFileSync(path.join(project, 'src', 'tf-cjs.cts'), consumerTfCjs);
    writeFileSync(
      path.join(project, 'tsconfig.safe.json'),
      tsconfig(['src/esm.mts', 'src/cjs.cts'], ['node']),
    );
    writeFileSync(
      path.join(project, 'tsconfig.tf.json'),
      tsconfig(['src/tf.mts', 'src/tf-cjs.cts'], ['node', 'long']),
    );

    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project);
  }, 600_000);

  it('browser-safe packages: type-check with skipLibCheck false, run as ESM and CJS', async () => {
    // tfjs-node-gpu must stay optional: nothing pulls it in.
    expect(
      readdirSync(path.join(project, 'node_modules', '@tensorflow'), { withFileTypes: true }).map(
        (d) => d.name,
      ),
    ).not.toContain('tfjs-node-gpu');

    await run(tsc(), ['-p', 'tsconfig.safe.json'], project);

    const nifti = path.join(root, 'data', 'spleen-mini', 'imagesTr', 'spleen_ts003.nii.gz');
    const spleenMini = path.join(root, 'data', 'spleen-mini');
    const esm = JSON.parse(await run('node', ['dist/esm.mjs', nifti, spleenMini], project));
    expect(esm.shape).toEqual([1, 122, 101, 30]);
    expect(esm.axcodes).toBe('RAS');
    expect(esm.sw).toBe(8);
    expect(esm.training).toBe(3);
    const cjs = JSON.parse(await run('node', ['dist/cjs.cjs'], project));
    expect(cjs).toEqual({
      u: true,
      read: 'function',
      load: 'function',
      dice: 'function',
      flip: 'object',
      sw: 'function',
    });
  }, 120_000);

  it('TensorFlow.js packages: type-check with skipLibCheck false, run as ESM and CJS', async () => {
    await run(tsc(), ['-p', 'tsconfig.tf.json'], project);
    const esm = JSON.parse(await run('node', ['dist/tf.mjs'], project));
    expect(esm).toEqual({
      backend: 'cpu',
      logits: [1, 8, 8, 8, 2],
      loss: 'function',
      optimiser: 'function',
      schedule: 'function',
    });
    const cjs = JSON.parse(await run('node', ['dist/tf-cjs.cjs'], project));
    expect(cjs).toEqual(['function', 'function', 'function', 'function']);
  }, 120_000);
});

function tsc(): string {
  return path.join(project, 'node_modules', '.bin', 'tsc');
}
