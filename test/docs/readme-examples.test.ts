/**
 * Every package README carries a runnable example: the first ```ts block of
 * `packages/<name>/README.md`. This test runs each one as-is (from the repository root, with
 * `@voxelkit/*` resolved to the workspace sources), so the examples users copy cannot rot.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const outDir = path.join(root, 'test', 'docs', '.generated');
const packages = readdirSync(path.join(root, 'packages')).sort();

function firstTsBlock(markdown: string): string | undefined {
  const match = /```ts\n([\s\S]*?)```/.exec(markdown);
  return match?.[1];
}

describe('package README examples', () => {
  it.each(packages)('%s has a README with a ts example that runs', async (name) => {
    const readme = path.join(root, 'packages', name, 'README.md');
    expect(existsSync(readme), `${readme} exists`).toBe(true);
    const code = firstTsBlock(readFileSync(readme, 'utf8'));
    expect(code, `${readme} has a \`\`\`ts block`).toBeDefined();

    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `${name}.readme.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    await import(/* @vite-ignore */ file);
  });
});
