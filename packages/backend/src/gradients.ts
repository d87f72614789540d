/**
 * Gradient registrations. tfjs-core 4.22 ships its gradient functions in a separate module that
 * nothing imports by default, and it has no gradient at all for `Conv3DBackpropInputV2` (the
 * kernel behind `tf.conv3dTranspose`). Importing this module fixes both, once per process.
 */
import * as tf from '@tensorflow/tfjs-core';
// Side-effect import: registers every gradient tfjs-core defines (Conv3D, Add, Softmax, …).
// It is an ES module with extensionless relative imports, so plain Node cannot load it; the
// package build bundles it (see tsup.config.ts) and vitest transforms it.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

/** Attributes of the `Conv3DBackpropInputV2` kernel, as tfjs-core passes them. */
interface Conv3DBackpropInputAttrs {
  strides: [number, number, number] | number;
  pad: 'valid' | 'same';
  inputShape: number[];
}

/** The kernel behind `tf.conv3dTranspose` whose gradient tfjs 4.22 lacks. */
export const CONV3D_BACKPROP_INPUT_KERNEL = 'Conv3DBackpropInputV2';

let registered = false;

/**
 * Registers the gradients voxelkit needs and tfjs-core 4.22 does not provide. Idempotent; called
 * on import of `@voxelkit/backend` and again by {@link initBackend}.
 *
 * `Conv3DBackpropInputV2(dy, filter)` computes `y = Aᵀ·dy`, where `A` is the forward convolution
 * `conv3d(·, filter, strides, pad)` that maps a tensor of `inputShape` to one of `dy`'s shape.
 * So, for an upstream gradient `g` of `y`:
 * - d/d(dy) = `A·g` = `conv3d(g, filter, strides, pad)`;
 * - d/d(filter) = the filter gradient of `conv3d(g, filter)` with output gradient `dy`, i.e.
 *   `Conv3DBackpropFilterV2(x = g, dy = dy)`.
 *
 * @returns `true` when this call registered the gradient, `false` when it already was.
 */
export function registerGradientFixes(): boolean {
  if (registered || tf.getGradient(CONV3D_BACKPROP_INPUT_KERNEL) !== undefined) {
    registered = true;
    return false;
  }
  tf.registerGradient({
    kernelName: CONV3D_BACKPROP_INPUT_KERNEL,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (g: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const upstream = (Array.isArray(g) ? g[0] : g) as tf.Tensor5D;
      const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as Conv3DBackpropInputAttrs;
      return {
        dy: () => tf.conv3d(upstream, filter, strides, pad),
        filter: () =>
          tf.engine().runKernel('Conv3DBackpropFilterV2', { x: upstream, dy }, {
            strides,
            pad,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor5D,
      };
    },
  });
  registered = true;
  return true;
}

registerGradientFixes();
