/**
 * The browser-safe NIfTI modules import nothing from Node, and node.ts loads its built-ins only
 * lazily, so bundling `@voxelkit/io` for a browser never pulls in `node:` modules. Also: a lying
 * header (claiming far more data than the file holds) fails without allocating for the claim.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@voxelkit/core';
import { readNifti } from '@voxelkit/io';
import { buildNifti } from './nifti-fixtures';

const src = path.resolve(__dirname, '../src/nifti');

describe('nifti modules are browser-safe', () => {
  for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    it(`${file}: no static import of Node built-ins`, () => {
      const text = readFileSync(path.join(src, file), 'utf8');
      const staticImports = [...text.matchAll(/^import[^;]*from\s+'([^']+)'/gm)].map((m) => m[1]);
      const builtins = staticImports.filter(
        (s) => s.startsWith('node:') || ['fs', 'zlib', 'path', 'crypto'].includes(s),
      );
      expect(builtins).toEqual([]);
      expect(text).not.toMatch(/\brequire\(/);
      // Dynamic imports of built-ins only through node.ts's computed-specifier helper.
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/(?<!typeof )import\('node:/);
    });
  }
});

describe('a browser bundle of @voxelkit/io builds', () => {
  it('esbuild --platform=browser bundles src/index.ts without resolving any Node built-in', async () => {
    const result = await build({
      entryPoints: [path.resolve(__dirname, '../src/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code).toMatch(/function readNifti/);
    expect(code).not.toMatch(/from "node:|require\("node:|import\("node:/);
  });
});

describe('lying headers do not allocate for their claim', () => {
  // 1024 x 1024 x 250 uint8 = 262 MB claimed (under the 2 GiB limit), 8 bytes present.
  const liar = buildNifti({ dim: [3, 1024, 1024, 250], datatype: 2, bitpix: 8 }, new Uint8Array(8));

  for (const [label, bytes] of [
    ['plain', liar],
    ['gzipped', new Uint8Array(gzipSync(liar))],
  ] as const) {
    it(`${label}: FormatError "file shorter than the header says", array buffers grow < 16 MB`, () => {
      const before = process.memoryUsage().arrayBuffers;
      let peak = before;
      try {
        readNifti(bytes, { filename: 'liar.nii' });
      } catch (e) {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        expect(e).toBeInstanceOf(FormatError);
        expect((e as Error).message).toMatch(
          /file shorter than the header says.*liar\.nii.*262144352/,
        );
      }
      expect(peak - before).toBeLessThan(16 * 1024 * 1024);
    });
  }
});
