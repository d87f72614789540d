import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '../src');

/** Every module specifier a TypeScript file imports or re-exports, static or dynamic. */
function specifiers(file: string): string[] {
  // Comments (TSDoc examples) are not imports; dropping `//…` may cut a URL string, harmlessly.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [/\bfrom\s+'([^']+)'/g, /\bimport\s+'([^']+)'/g, /\bimport\(\s*'([^']+)'\s*\)/g];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** Bare (package) specifiers reachable from `entry` through relative imports. */
function reachablePackages(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.'))
        queue.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

const nodeBuiltin = (spec: string) =>
  spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

describe('the browser-safe data-set entry', () => {
  it('reaches no node: module and no Node-only package from src/dataset/index.ts', () => {
    const { files, packages } = reachablePackages(path.join(src, 'dataset/index.ts'));
    expect(files.map((f) => path.relative(src, f)).sort()).toEqual([
      'dataset/cache-dataset.ts',
      'dataset/clone.ts',
      'dataset/data-loader.ts',
      'dataset/index.ts',
      'dataset/msd.ts',
      'dataset/split.ts',
      'dataset/types.ts',
    ]);
    expect([...packages].sort()).toEqual(['@voxelkit/core']);
  });

  it('the Node entry does reach node: modules and tar-stream (so the check above can fail)', () => {
    const { packages } = reachablePackages(path.join(src, 'node.ts'));
    expect([...packages].some(nodeBuiltin)).toBe(true);
    expect(packages.has('tar-stream')).toBe(true);
  });
});
