import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // tfjs-core's gradient registrations (dist/register_all_gradients) are ES modules with
  // extensionless relative imports that Node cannot load directly; bundle that subtree. The
  // bundled copy shares the engine and registries with the external tfjs-core through tfjs's
  // global namespace.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
