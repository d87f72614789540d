/**
 * The browser-safe packages (core, io's main entry, transforms, metrics, inferers) must bundle for
 * the browser with no Node built-in reachable at load time, and must evaluate in a context
 * without Node globals.
 *
 * io's main entry may keep Node-only functions (`loadNifti`, `saveNifti`) behind `import()` calls
 * that run only when such a function is called, so `node:*` specifiers are left external here: a
 * static one would surface as a `require("node:…")` at the top of the bundle and make the
 * evaluation below throw; the metafile check then proves that no `node:` module is reachable from
 * io's entry through static imports.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { runInNewContext } from 'node:vm';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const browserSafe = ['core', 'io', 'transforms', 'metrics', 'inferers'];

const workspaceSource: Plugin = {
  name: 'workspace-source',
  setup(b) {
    b.onResolve({ filter: /^@voxelkit\/[a-z0-9-]+$/ }, (args) => ({
      path: path.join(root, 'packages', args.path.split('/')[1], 'src', 'index.ts'),
    }));
  },
};

describe('browser bundle', () => {
  it('bundles the browser-safe packages with platform=browser and evaluates without Node', async () => {
    const entry = browserSafe.map((p) => `export * as ${p} from '@voxelkit/${p}';`).join('\n');
    const result = await build({
      stdin: { contents: entry, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'voxelkit',
      write: false,
      logLevel: 'silent',
      external: ['node:*'],
      plugins: [workspaceSource],
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;

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
    const exported = (pkg: string, name: string) => typeof lib[pkg][name];
    expect(exported('core', 'Rng')).toBe('function');
    expect(exported('core', 'createVolume')).toBe('function');
    expect(exported('io', 'readNifti')).toBe('function');
    expect(exported('io', 'encodeNifti')).toBe('function');
    expect(exported('transforms', 'Orientationd')).toBe('function');
    expect(exported('transforms', 'Spacingd')).toBe('function');
    expect(exported('transforms', 'Compose')).toBe('function');
    expect(exported('metrics', 'DiceMetric')).toBe('function');
    expect(exported('inferers', 'slidingWindowInference')).toBe('function');

    // The bundle works, not just loads: a tiny NIfTI round trip through the browser build. The
    // array is made inside the sandbox realm: core's dtype check uses `instanceof`, so typed
    // arrays from another realm are refused.
    const core = lib.core as { createVolume: (d: Float32Array, s: number[]) => unknown };
    const io = lib.io as {
      encodeNifti: (v: unknown) => Uint8Array;
      readNifti: (b: Uint8Array) => { shape: number[]; data: ArrayLike<number> };
    };
    const data = runInNewContext('Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8])', sandbox);
    const volume = core.createVolume(data, [1, 2, 2, 2]);
    const back = io.readNifti(io.encodeNifti(volume));
    expect(back.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);

  it('reaches no node: module from any browser-safe entry through static imports', async () => {
    const result = await build({
      entryPoints: Object.fromEntries(
        browserSafe.map((p) => [p, path.join(root, 'packages', p, 'src', 'index.ts')]),
      ),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      splitting: true,
      outdir: path.join(root, '.tmp', 'browser-bundle'),
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['node:*'],
      plugins: [workspaceSource],
    });
    expect(result.errors).toEqual([]);
    const outputs = result.metafile.outputs;
    const entries = Object.keys(outputs).filter((o) => outputs[o].entryPoint !== undefined);
    expect(entries).toHaveLength(browserSafe.length);

    // Walk the static-import graph of output chunks from each entry.
    const staticNode: string[] = [];
    for (const entry of entries) {
      const seen = new Set<string>();
      const queue = [entry];
      while (queue.length > 0) {
        const output = queue.pop()!;
        if (seen.has(output)) continue;
        seen.add(output);
        for (const imp of (outputs[output] as Metafile['outputs'][string]).imports) {
          if (imp.kind !== 'import-statement') continue;
          if (imp.path.startsWith('node:')) staticNode.push(`${entry}: ${output} -> ${imp.path}`);
          else if (!imp.external) queue.push(imp.path);
        }
      }
    }
    expect(staticNode).toEqual([]);
    // The walk saw real code: the io entry exports readNifti.
    const io = entries.find((o) => outputs[o].entryPoint?.includes('packages/io/'));
    expect(outputs[io!].exports).toContain('readNifti');
  }, 120_000);
});
