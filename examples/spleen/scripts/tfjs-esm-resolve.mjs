// Node ESM resolve hook for running the CLI from source. `@voxelkit/backend` imports
// `@tensorflow/tfjs-core/dist/register_all_gradients` for its side effect; tfjs-core's ESM build
// uses extensionless relative imports ('./base', './gradients'), which bundlers accept and
// Node's ESM loader rejects. This hook retries such imports inside @tensorflow packages with
// '.js' and '/index.js'. tfjs keeps its kernel and gradient registries on the global object,
// so gradients registered through the ESM files are seen by the CommonJS build too.
import { register } from 'node:module';

if (!globalThis.__voxelkitTfjsHook) {
  globalThis.__voxelkitTfjsHook = true;
  register(
    'data:text/javascript,' +
      encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const fromTfjs = context.parentURL && context.parentURL.includes('/@tensorflow/');
    if (!fromTfjs || !specifier.startsWith('.')) throw error;
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await next(specifier + suffix, context);
      } catch {}
    }
    throw error;
  }
}
`),
    import.meta.url,
  );
}
