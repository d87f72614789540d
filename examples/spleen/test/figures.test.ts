import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { extractOverlaySlices } from '../src/figures/overlay.js';
import { buildReport } from '../src/report.js';

describe('overlay slices', () => {
  // A 4×3×2 RAS volume with one labelled voxel at x=3 (patient's far right), y=2 (anterior), z=1.
  const shape: [number, number, number] = [4, 3, 2];
  const at = (x: number, y: number, z: number) => (x * 3 + y) * 2 + z;
  const label = new Uint8Array(24);
  label[at(3, 2, 1)] = 1;
  const image = new Float32Array(24).map((_, i) => i / 24);

  it('cuts through the largest label area and shows it in radiological view', () => {
    const [axial, coronal] = extractOverlaySlices(image, label, label, shape, [1, 2, 3]);
    expect(axial.index).toBe(1);
    expect(coronal.index).toBe(2);
    // Patient right (large x) on the viewer's left, anterior (large y) at the top.
    expect(axial.label[0 * axial.width + 0]).toBe(1);
    expect(axial.label.reduce((a, b) => a + b, 0)).toBe(1);
    // Coronal: superior (large z) at the top.
    expect(coronal.label[0 * coronal.width + 0]).toBe(1);
    expect([axial.pixelWidth, axial.pixelHeight, coronal.pixelHeight]).toEqual([1, 2, 3]);
  });
});

describe('report', () => {
  it('renders loss, Dice and overlay PNGs and an HTML page from a run folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spleen-report-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ preset: 'cpu', epochs: 4 }));
      const lines = [
        { kind: 'epoch', epoch: 1, loss: 1.2, lr: 1e-3, steps: 1, seconds: 1 },
        { kind: 'epoch', epoch: 2, loss: 0.9, lr: 1e-3, steps: 1, seconds: 1 },
        {
          kind: 'validation',
          epoch: 2,
          meanDice: 0.4,
          cases: [{ name: 'a', dice: 0.4 }],
          best: true,
          seconds: 1,
        },
      ];
      writeFileSync(
        join(dir, 'metrics.jsonl'),
        lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
      );
      const shape: [number, number, number] = [6, 5, 4];
      const label = new Uint8Array(120);
      label[50] = 1;
      const slices = extractOverlaySlices(
        new Float32Array(120).fill(0.5),
        label,
        label,
        shape,
        [1, 1, 1],
      );
      writeFileSync(
        join(dir, 'overlay.json'),
        JSON.stringify({ caseName: 'a', epoch: 2, dice: 0.4, slices }),
      );
      const files = await buildReport(dir);
      expect(files.figures.map((f) => f.slice(dir.length + 1))).toEqual([
        'loss.png',
        'dice.png',
        'overlay.png',
      ]);
      for (const f of files.figures) {
        const png = PNG.sync.read(readFileSync(f));
        expect(png.width).toBeGreaterThan(300);
        expect(png.height).toBeGreaterThan(200);
      }
      const html = readFileSync(files.html, 'utf8');
      expect(html).toContain('0.4000');
      expect(html).toContain('src="overlay.png"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
