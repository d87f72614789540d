/**
 * NIfTI load time, ours against nibabel on the same files, back to back in one run.
 *
 *   npx tsx packages/io/bench/load.bench.ts [file.nii.gz …]
 *
 * Default files: the bundled spleen_ts001 CT and a generated 512×512×500 int16 CT
 * (`packages/io/test/nifti-bench.ts` writes it to /tmp/vkbench/ct512.nii.gz). nibabel's time is
 * `np.asanyarray(nib.load(f).dataobj)` (decompress + decode, no float conversion), run by
 * `load_nibabel.py` beside this file with Debian's python3-nibabel.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNifti } from '@voxelkit/io';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const defaults = [
  path.join(root, 'data/spleen-mini/imagesTr/spleen_ts001.nii.gz'),
  '/tmp/vkbench/ct512.nii.gz',
];
const files = (process.argv.length > 2 ? process.argv.slice(2) : defaults).filter((f) =>
  existsSync(f),
);
const repeats = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows: string[] = [];
for (const file of files) {
  await loadNifti(file); // warm-up
  const ours: number[] = [];
  let shape: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const v = await loadNifti(file);
    ours.push(performance.now() - t0);
    shape = v.shape;
  }
  const py = JSON.parse(
    execFileSync('/usr/bin/python3', [path.join(here, 'load_nibabel.py'), file, String(repeats)], {
      encoding: 'utf8',
    }),
  ) as { median_ms: number };
  const oursMs = median(ours);
  rows.push(
    `| ${path.basename(file)} | ${shape.slice(1).join('×')} | ${oursMs.toFixed(0)} ms | ` +
      `${py.median_ms.toFixed(0)} ms | ${(oursMs / py.median_ms).toFixed(2)} |`,
  );
}
console.log('| file | voxels | voxelkit loadNifti | nibabel | ratio |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
