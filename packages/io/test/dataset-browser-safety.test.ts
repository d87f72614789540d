import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '../src');

/**
 * Module specifiers of a TypeScript file: `static` ones run when the file is imported (type-only
 * imports are erased and left out), `dynamic` ones only when an `import()` call runs.
 */
function specifiers(file: string): { static: string[]; dynamic: string[] } {
  // Comments (TSDoc examples) are not imports; dropping `//…` may cut a URL string, harmlessly.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const found = { static: [] as string[], dynamic: [] as string[] };
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\bfrom\s+'([^']+)'/gm)) {
    if (!m[2]) found.static.push(m[3]);
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.static.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.dynamic.push(m[1]);
  return found;
}

/** Files and packages reachable from `entry` through static imports, plus dynamic targets. */
function staticGraph(entry: string) {
  const files: string[] = [];
  const packages = new Set<string>();
  const dynamic = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    const local = (spec: string) => path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    const specs = specifiers(file);
    for (const spec of specs.static) {
      if (spec.startsWith('.')) queue.push(local(spec));
      else packages.add(spec);
    }
    for (const spec of specs.dynamic) dynamic.add(spec.startsWith('.') ? local(spec) : spec);
  }
  return { files, packages, dynamic };
}

const nodeBuiltin = (spec: string) =>
  spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

describe('the browser-safe data-set entry', () => {
  it('src/dataset/index.ts statically reaches only @voxelkit/core, no node: module', () => {
    const { files, packages, dynamic } = staticGraph(path.join(src, 'dataset/index.ts'));
    expect(files.map((f) => path.relative(src, f)).sort()).toEqual([
      'dataset/cache-dataset.ts',
      'dataset/clone.ts',
      'dataset/data-loader.ts',
      'dataset/index.ts',
      'dataset/msd.ts',
      'dataset/pipeline.ts',
      'dataset/split.ts',
      'dataset/types.ts',
    ]);
    expect([...packages].sort()).toEqual(['@voxelkit/core']);
    // Not even lazily: bundlers such as esbuild follow import() too.
    expect([...dynamic]).toEqual([]);
  });

  it('the Node entry does reach node: modules and tar-stream (so the check above can fail)', () => {
    const { packages } = staticGraph(path.join(src, 'node.ts'));
    expect([...packages].some(nodeBuiltin)).toBe(true);
    expect(packages.has('tar-stream')).toBe(true);
  });
});
