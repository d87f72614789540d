import { defineConfig } from 'tsup';

export default defineConfig({
  // `node` is the Node-only subpath `@voxelkit/io/node` (file system, HTTP, tar, workers);
  // `pipeline-worker` is the worker-thread script that WorkerPipeline starts from beside it.
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    'pipeline-worker': 'src/dataset/pipeline-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
