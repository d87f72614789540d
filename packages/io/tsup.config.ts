import { defineConfig } from 'tsup';

export default defineConfig({
  // `node` is the Node-only subpath `@voxelkit/io/node` (file system, HTTP, tar).
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
