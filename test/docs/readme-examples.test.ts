/**
 * Every package README carries a runnable example: the first ```ts block of
 * `packages/<name>/README.md`. This test runs each one as-is (working directory: the repository
 * root, so `data/spleen-mini/...` paths work; `@voxelkit/*` resolved to the workspace sources), so
 * the examples users copy cannot rot.
 *
 * The block is written to `packages/<name>/.tmp/readme-example-<pid>.ts` (ignored by git) rather
 * than under `test/`: bare imports of third-party packages (e.g. `@tensorflow/tfjs-core` in the losses
 * example) then resolve from that package's own `node_modules`, as they would in a user project
 * that installed the package and the peers its README names. The files are removed afterwards.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const packages = readdirSync(path.join(root, 'packages')).sort();
const written: string[] = [];

function firstTsBlock(markdown: string): string | undefined {
  const match = /```ts\n([\s\S]*?)```/.exec(markdown);
  return match?.[1];
}

afterAll(() => {
  for (const file of written) {
    rmSync(file, { force: true });
    // Keep the folder if something else lives there.
    if (readdirSync(path.dirname(file)).length === 0) rmdirSync(path.dirname(file));
  }
});

describe('package README examples', () => {
  it.each(packages)('%s has a README with a ts example that runs', async (name) => {
    const readme = path.join(root, 'packages', name, 'README.md');
    expect(existsSync(readme), `${readme} exists`).toBe(true);
    const code = firstTsBlock(readFileSync(readme, 'utf8'));
    expect(code, `${readme} has a \`\`\`ts block`).toBeDefined();

    const outDir = path.join(root, 'packages', name, '.tmp');
    mkdirSync(outDir, { recursive: true });
    // One file per process, so concurrent runs of the suite do not delete each other's files.
    const file = path.join(outDir, `readme-example-${process.pid}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    written.push(file);
    await import(/* @vite-ignore */ file);
  });
});
