/**
 * Load-time benchmark of the NIfTI reader on a generated 512×512×500 int16 CT (262 MB decoded),
 * written once under /tmp/vkbench. Not a test (not picked up by vitest). Run from the repo root:
 *
 *   npx tsx packages/io/test/nifti-bench.ts
 *
 * Prints wall and CPU milliseconds (CPU time is the honest figure on a shared machine).
 */
import { mkdirSync } from 'node:fs';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readNifti, loadNifti, encodeNifti } from '@voxelkit/io';
import { createVolume, affineFromRows } from '@voxelkit/core';

const X = 512,
  Y = 512,
  Z = 500;
mkdirSync('/tmp/vkbench', { recursive: true });
const nii = '/tmp/vkbench/ct512.nii';
const gz = '/tmp/vkbench/ct512.nii.gz';
if (!existsSync(gz)) {
  // CT-like: air outside a body ellipse, soft tissue inside, a little noise.
  const data = new Int16Array(X * Y * Z);
  let s = 1;
  for (let x = 0; x < X; x++)
    for (let y = 0; y < Y; y++) {
      const body = ((x - 256) / 200) ** 2 + ((y - 256) / 150) ** 2 < 1;
      for (let z = 0; z < Z; z++) {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        data[(x * Y + y) * Z + z] = (body ? 40 : -1000) + (s % 21) - 10;
      }
    }
  const vol = createVolume(
    data,
    [1, X, Y, Z],
    affineFromRows([
      [-0.8, 0, 0, 200],
      [0, -0.8, 0, 200],
      [0, 0, 1, -500],
    ]),
  );
  const raw = encodeNifti(vol);
  writeFileSync(nii, raw);
  writeFileSync(gz, gzipSync(raw, { level: 6 }));
}
const rawBytes = new Uint8Array(readFileSync(nii));
const gzBytes = new Uint8Array(readFileSync(gz));
console.log('file sizes', rawBytes.length, gzBytes.length);
async function time(label: string, f: () => unknown) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(
    `${label}: wall ${wall.toFixed(0)} ms, cpu ${((c.user + c.system) / 1000).toFixed(0)} ms`,
  );
}
for (let rep = 0; rep < 2; rep++) {
  await time('readNifti .nii (transpose only)', () => readNifti(rawBytes));
  await time('readNifti .nii.gz (fflate + CRC)', () => readNifti(gzBytes));
  await time('readNifti .nii.gz no CRC', () => readNifti(gzBytes, { checkCrc: false }));
  await time('loadNifti .nii.gz (native zlib)', () => loadNifti(gz));
  await time('loadNifti .nii', () => loadNifti(nii));
  await time('plain copy of the 262 MB', () => rawBytes.slice());
}
const vol0 = readNifti(rawBytes);
await time('encodeNifti (no gzip)', () => encodeNifti(vol0));
const scaled = rawBytes.slice();
new DataView(scaled.buffer).setFloat32(112, 1, true);
new DataView(scaled.buffer).setFloat32(116, -1024, true);
await time('readNifti scaled int16 -> float32 .nii', () => readNifti(scaled));
