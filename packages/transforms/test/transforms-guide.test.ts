/**
 * Runs the example of docs/transforms.md exactly as printed: the code block after the marker is
 * written to a temporary module and imported, so the guide cannot drift from the API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '@voxelkit/core';

const GUIDE = path.resolve(__dirname, '../../../docs/transforms.md');
const MARKER = '<!-- example: run by packages/transforms/test/transforms-guide.test.ts -->';
const dir = mkdtempSync(path.join(os.tmpdir(), 'voxelkit-guide-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadExample(): Promise<{
  trainingPatches: (seed: number, epoch: number) => Promise<Volume[]>;
}> {
  const text = readFileSync(GUIDE, 'utf8');
  const at = text.indexOf(MARKER);
  expect(at, 'marker present in docs/transforms.md').toBeGreaterThan(-1);
  const start = text.indexOf('```ts\n', at) + '```ts\n'.length;
  const code = text.slice(start, text.indexOf('\n```', start) + 1);
  const file = path.join(dir, 'transforms-guide-example.ts');
  writeFileSync(file, code);
  return import(file);
}

describe('docs/transforms.md example', () => {
  it('gives four 16³ float32 patches in [0, 1.1], reproducible per (seed, epoch)', async () => {
    const { trainingPatches } = await loadExample();
    const a = await trainingPatches(0, 1);
    expect(a).toHaveLength(4);
    for (const p of a) {
      expect(p.shape).toEqual([1, 16, 16, 16]);
      expect(p.dtype).toBe('float32');
      expect(Math.min(...p.data)).toBeGreaterThanOrEqual(-0.1);
      expect(Math.max(...p.data)).toBeLessThanOrEqual(1.1);
    }
    const b = await trainingPatches(0, 1);
    expect(b.map((p) => Array.from(p.data))).toEqual(a.map((p) => Array.from(p.data)));
    const c = await trainingPatches(0, 2);
    expect(c.map((p) => Array.from(p.data))).not.toEqual(a.map((p) => Array.from(p.data)));
  });
});
