/** One optimisation step: forward, loss, backward, update — with no tensor left behind. */
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw.js';

/** Anything with a training-mode forward pass on channels-last tensors (e.g. `UNet`). */
export interface TrainableModel {
  /** Forward pass: `[N, X, Y, Z, Cin]` → logits `[N, X, Y, Z, Cout]`. */
  apply(x: tf.Tensor5D, options: { training: boolean }): tf.Tensor5D;
}

/** A loss object (`DiceCELoss`) or function: `(logits, target) → scalar`. */
export type LossLike =
  | {
      /** The scalar loss of `logits` against `target`. */
      compute(logits: tf.Tensor5D, target: tf.Tensor5D): tf.Scalar;
    }
  | ((logits: tf.Tensor5D, target: tf.Tensor5D) => tf.Scalar);

/** Arguments of {@link trainStep}. */
export interface TrainStepArgs {
  /** The model (training-mode forward pass). */
  model: TrainableModel;
  /** The loss, `(logits, target) → scalar`. */
  loss: LossLike;
  /** The optimiser; its `variables` are the ones differentiated and updated. */
  optimizer: Pick<AdamW, 'variables' | 'step'>;
  /** `image` `[N, X, Y, Z, Cin]`, `label` as the loss expects (e.g. `[N, X, Y, Z, 1]`). */
  batch: {
    /** Input images, channels-last. */
    image: tf.Tensor5D;
    /** Targets as the loss expects them. */
    label: tf.Tensor5D;
  };
}

/**
 * Runs forward (training mode), loss, backward (`tf.variableGrads`) and the optimiser update,
 * all inside `tf.tidy`, and returns the loss value. The batch tensors are not disposed.
 *
 * @example
 * ```ts
 * const loss = trainStep({ model: net, loss: new DiceCELoss({ toOnehotY: true, softmax: true }),
 *   optimizer, batch: { image, label } });
 * ```
 */
export function trainStep({ model, loss, optimizer, batch }: TrainStepArgs): number {
  // Limitation: synchronous — the event loop is blocked for the whole step (seconds on tfjs-cpu).
  const compute = typeof loss === 'function' ? loss : loss.compute.bind(loss);
  const value = tf.tidy(() => {
    const { value: lossValue, grads } = tf.variableGrads(
      () => compute(model.apply(batch.image, { training: true }), batch.label),
      optimizer.variables,
    );
    optimizer.step(grads);
    return lossValue;
  });
  try {
    return value.dataSync()[0];
  } finally {
    value.dispose();
  }
}
