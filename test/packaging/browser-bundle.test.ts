/**
 * The browser-safe packages (core, io's main entry, transforms, metrics, inferers) must bundle for
 * the browser with no Node built-in reachable, and must evaluate in a context without Node globals.
 */
import { build } from 'esbuild';
import { runInNewContext } from 'node:vm';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const browserSafe = ['core', 'io', 'transforms', 'metrics', 'inferers'];

describe('browser bundle', () => {
  it('bundles the browser-safe packages with platform=browser and no node: imports', async () => {
    const entry = browserSafe.map((p) => `export * as ${p} from '@voxelkit/${p}';`).join('\n');
    const result = await build({
      stdin: { contents: entry, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'voxelkit',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'workspace-source',
          setup(b) {
            b.onResolve({ filter: /^@voxelkit\/[a-z0-9-]+$/ }, (args) => ({
              path: path.join(root, 'packages', args.path.split('/')[1], 'src', 'index.ts'),
            }));
          },
        },
      ],
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(/require\(["']node:/);

    // Evaluate with browser-like globals only: no process, require, Buffer.
    const sandbox: Record<string, unknown> = {
      TextDecoder,
      TextEncoder,
      console,
      setTimeout,
      clearTimeout,
      queueMicrotask,
    };
    sandbox.self = sandbox;
    sandbox.globalThis = sandbox;
    runInNewContext(code, sandbox);
    const lib = sandbox.voxelkit as Record<string, Record<string, unknown>>;
    expect(Object.keys(lib).sort()).toEqual([...browserSafe].sort());
    expect(typeof lib.core.Rng).toBe('function');
  }, 120_000);
});
