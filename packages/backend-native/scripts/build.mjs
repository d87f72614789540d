#!/usr/bin/env node
/* global process, console */
// Builds the native addon at install time when libtorch's headers are present; otherwise prints
// one line and exits 0, so installing voxelkit never fails because of this package.
//
// Environment:
//   VOXELKIT_NATIVE_SKIP=1      do not build (the package then uses tfjs' own kernels)
//   VOXELKIT_NATIVE_REQUIRED=1  fail (exit 1) when the addon cannot be built (for CI)
//   VOXELKIT_NATIVE_FORCE=1     rebuild even when build/ is newer than the sources
//   VOXELKIT_TORCH_INCLUDE      libtorch include root (default /usr/include, Debian libtorch-dev)
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.VOXELKIT_NATIVE_REQUIRED === '1';
const torchInclude = process.env.VOXELKIT_TORCH_INCLUDE ?? '/usr/include';

function giveUp(reason) {
  const line = `@voxelkit/backend-native: ${reason}; using TensorFlow.js' own conv3d kernels`;
  if (required) {
    console.error(`${line} (VOXELKIT_NATIVE_REQUIRED=1, failing)`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

if (process.env.VOXELKIT_NATIVE_SKIP === '1')
  giveUp('native build skipped (VOXELKIT_NATIVE_SKIP=1)');
if (process.platform !== 'linux') giveUp(`no native build on ${process.platform}`);
if (!existsSync(path.join(torchInclude, 'torch/csrc/api/include/torch/version.h'))) {
  giveUp('libtorch headers not found (Debian: apt-get install -y libtorch-dev)');
}

// Every `pnpm install` runs this script; skip the ~15 s compile when the addon is newer than its
// sources (VOXELKIT_NATIVE_FORCE=1 rebuilds anyway).
const addon = path.join(packageRoot, 'build/Release/voxelkit_native.node');
const sources = [
  'binding.gyp',
  'native/conv3d.cc',
  'native/ncdhw.cc',
  'native/ncdhw.h',
  'native/optim.cc',
  'native/optim.h',
  'native/direct_conv.cc',
  'native/direct_conv.h',
  'native/napi_helpers.h',
].map((f) => path.join(packageRoot, f));
if (
  process.env.VOXELKIT_NATIVE_FORCE !== '1' &&
  existsSync(addon) &&
  sources.every((f) => statSync(f).mtimeMs <= statSync(addon).mtimeMs)
) {
  console.log('@voxelkit/backend-native: native addon up to date');
  process.exit(0);
}

// npm and pnpm hand their bundled node-gyp to lifecycle scripts in npm_config_node_gyp. We do not
// depend on node-gyp ourselves: its dependency tree pulls `encoding`, which made pnpm resolve a
// second copy of tfjs-core (node-fetch's optional peer) for this package alone.
let nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !existsSync(nodeGyp)) {
  try {
    nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    giveUp('node-gyp not found (run through npm or pnpm, which bundle it)');
  }
}

const args = [nodeGyp, 'rebuild'];
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
if (existsSync(path.join(nodeDir, 'include/node/node_api.h'))) args.push(`--nodedir=${nodeDir}`);

const result = spawnSync(process.execPath, args, {
  cwd: packageRoot,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`
    .trim()
    .split('\n')
    .slice(-15)
    .join('\n');
  if (required) console.error(tail);
  giveUp(
    `native build failed (node-gyp exit ${result.status}; rerun "node scripts/build.mjs" in ${packageRoot} to see why)`,
  );
}
console.log('@voxelkit/backend-native: native conv3d addon built (libtorch)');
