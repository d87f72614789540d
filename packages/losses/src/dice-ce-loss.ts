/**
 * Dice + cross-entropy loss (MONAI 1.4's `DiceCELoss`) on channels-last TensorFlow.js tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@voxelkit/core';

import { binaryCrossEntropyWithLogits, crossEntropy } from './cross-entropy.js';
import { DiceLoss } from './dice-loss.js';
import type { DiceLossOptions } from './dice-loss.js';
import { checkLossShapes, oneHotTarget } from './target.js';

/** Options of {@link DiceCELoss}: MONAI's `DiceCELoss` arguments in camelCase. */
// Limitation: MONAI's `label_smoothing` and `other_act` are not supported.
export interface DiceCELossOptions extends Omit<DiceLossOptions, 'reduction' | 'weight'> {
  /** `'mean'` (default) or `'sum'`; used by both terms (MONAI has no `'none'` here). */
  reduction?: 'mean' | 'sum';
  /**
   * Class weights (length C) of the cross-entropy term (BCE `pos_weight` for one channel); the
   * Dice term uses them too, without the background entry when `includeBackground` is false.
   */
  weight?: readonly number[];
  /** Weight of the Dice term (default 1, ≥ 0). */
  lambdaDice?: number;
  /** Weight of the cross-entropy term (default 1, ≥ 0). */
  lambdaCe?: number;
}

/**
 * `lambdaDice · Dice + lambdaCe · CE`, as MONAI's `DiceCELoss`.
 *
 * The Dice term is {@link DiceLoss} with the same options (the activation applies to it only).
 * The CE term always works on the raw logits: softmax cross-entropy for ≥ 2 channels, binary
 * cross-entropy with logits for 1 channel. A target of class indices `[N, X, Y, Z, 1]` gives
 * the CE its classes directly; a `[N, X, Y, Z, C]` target is used as (soft) class
 * probabilities, as PyTorch does.
 *
 * After each {@link DiceCELoss.compute}, {@link DiceCELoss.dice} and {@link DiceCELoss.ce} hold
 * that call's two (unweighted) terms as kept scalars, replaced (and disposed) by the next call.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-core/dist/register_all_gradients';
 * const loss = new DiceCELoss({ toOnehotY: true, softmax: true });
 * const grads = tf.grad((x: tf.Tensor) => loss.compute(x, labels))(logits); // logits [N,X,Y,Z,2]
 * loss.dice?.dataSync(); loss.ce?.dataSync();
 * ```
 */
export class DiceCELoss {
  /** The Dice part, configured from the same options. */
  readonly diceLoss: DiceLoss;
  /** Reduction of both terms. */
  readonly reduction: 'mean' | 'sum';
  /** Weight of the Dice term. */
  readonly lambdaDice: number;
  /** Weight of the cross-entropy term. */
  readonly lambdaCe: number;
  /** Class weights (length C), if any. */
  readonly weight?: readonly number[];
  /** Dice term of the last {@link DiceCELoss.compute} call. */
  dice?: tf.Scalar;
  /** Cross-entropy term of the last {@link DiceCELoss.compute} call. */
  ce?: tf.Scalar;

  constructor(options: DiceCELossOptions = {}) {
    const reduction = options.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum') {
      throw new ArgumentError("DiceCELoss: reduction must be 'mean' or 'sum'", {
        field: 'reduction',
        expected: "'mean' | 'sum'",
        actual: reduction,
      });
    }
    for (const [field, value] of [
      ['lambdaDice', options.lambdaDice ?? 1],
      ['lambdaCe', options.lambdaCe ?? 1],
    ] as const) {
      if (!(value >= 0)) {
        throw new ArgumentError(`DiceCELoss: ${field} must be >= 0`, {
          field,
          expected: '>= 0',
          actual: value,
        });
      }
    }
    const includeBackground = options.includeBackground ?? true;
    const diceWeight =
      options.weight !== undefined && !includeBackground ? options.weight.slice(1) : options.weight;
    this.diceLoss = new DiceLoss({
      ...options,
      reduction,
      ...(diceWeight === undefined ? {} : { weight: diceWeight }),
    });
    this.reduction = reduction;
    this.lambdaDice = options.lambdaDice ?? 1;
    this.lambdaCe = options.lambdaCe ?? 1;
    if (options.weight !== undefined) this.weight = [...options.weight];
  }

  /**
   * The combined loss.
   *
   * @param logits - `[N, X, Y, Z, C]` raw network outputs
   * @param target - `[N, X, Y, Z, 1]` class indices or `[N, X, Y, Z, C]` one-hot
   * @returns scalar loss
   * @throws ShapeError naming the expected target shape (e.g. a target without channel axis)
   * @throws ArgumentError for softmax on single-channel logits, or a weight of the wrong length
   * @throws DataError for a class-index target with values outside [0, C)
   */
  compute(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
    const channels = checkLossShapes('DiceCELoss', logits, target);
    if (this.weight !== undefined && this.weight.length !== channels) {
      throw new ArgumentError('DiceCELoss: one weight per channel is needed', {
        field: 'weight',
        expected: `${channels} values`,
        actual: this.weight,
      });
    }
    const { total, dice, ce } = tf.tidy(() => {
      // Class indices are encoded (and validated) once for both terms.
      const encoded =
        channels > 1 && target.shape[4] === 1
          ? oneHotTarget(target, channels, this.diceLoss.options.validateTarget)
          : undefined;
      const diceTerm = this.diceLoss.computeEncoded(logits, target, encoded) as tf.Scalar;
      const ceTerm = this.crossEntropy(logits, target, channels, encoded);
      const sum = tf.add(tf.mul(this.lambdaDice, diceTerm), tf.mul(this.lambdaCe, ceTerm));
      return { total: sum as tf.Scalar, dice: tf.keep(diceTerm), ce: tf.keep(ceTerm) };
    });
    this.dice?.dispose();
    this.ce?.dispose();
    this.dice = dice;
    this.ce = ce;
    return total;
  }

  private crossEntropy(
    logits: tf.Tensor,
    target: tf.Tensor,
    channels: number,
    encoded: tf.Tensor | undefined,
  ): tf.Scalar {
    if (channels === 1) {
      return binaryCrossEntropyWithLogits(logits, target, this.reduction, this.weight?.[0]);
    }
    if (encoded !== undefined) {
      return crossEntropy(logits, encoded, true, this.reduction, this.weight);
    }
    return crossEntropy(logits, tf.cast(target, 'float32'), false, this.reduction, this.weight);
  }
}
