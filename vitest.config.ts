import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One workspace-wide config: tests import packages by their public name, resolved to source, so
// the suite needs no build step. Packaging is checked separately (see packages/*/test/pack*).
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      // Node-only subpath export of @voxelkit/io (dataset.json loading, download).
      { find: /^@voxelkit\/io\/node$/, replacement: `${root}packages/io/src/node.ts` },
      {
        find: /^@voxelkit\/([a-z0-9-]+)$/,
        replacement: `${root}packages/$1/src/index.ts`,
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
