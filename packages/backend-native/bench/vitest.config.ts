// Runs the benchmark tasks with vitest's module loader (which can load tfjs-core's gradient
// registrations; plain Node cannot). Called by the repo-root bench/run.ts with --root at the
// repository root.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [{ find: /^@voxelkit\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    root,
    include: ['packages/backend-native/bench/*.task.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
