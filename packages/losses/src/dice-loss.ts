/**
 * Soft Dice loss on channels-last TensorFlow.js tensors, with MONAI 1.4's `DiceLoss` options and
 * formula.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, silentLogger } from '@voxelkit/core';
import type { Logger } from '@voxelkit/core';

import { checkLossShapes, oneHotTarget } from './target.js';

/** Dice inputs after activation, one-hot conversion and background removal. */
export interface PreparedDiceInputs {
  /** Activated predictions `[N, X, Y, Z, C']`. */
  probabilities: tf.Tensor;
  /** One-hot target `[N, X, Y, Z, C']`, float32. */
  oneHot: tf.Tensor;
}

/** How per-item, per-class loss values are combined. */
export type LossReduction = 'mean' | 'sum' | 'none';

/** Options of {@link DiceLoss}: MONAI's `DiceLoss` arguments in camelCase. */
// Limitation: MONAI's `other_act` (an arbitrary activation) is not supported.
export interface DiceLossOptions {
  /** Score channel 0 (background) too (default true). Ignored (with a warning) for 1 channel. */
  includeBackground?: boolean;
  /** Target holds class indices `[N, X, Y, Z, 1]`; one-hot encode it (default false). */
  toOnehotY?: boolean;
  /** Apply a sigmoid to the logits first (default false). */
  sigmoid?: boolean;
  /** Apply a softmax over channels first (default false). Needs ≥ 2 channels. */
  softmax?: boolean;
  /** Square predictions and targets in the denominator (default false). */
  squaredPred?: boolean;
  /** Soft Jaccard (IoU) instead of Dice (default false). */
  jaccard?: boolean;
  /** `'mean'` (default), `'sum'` or `'none'` (per item and class, shape `[N, 1, 1, 1, C']`). */
  reduction?: LossReduction;
  /** Added to the numerator (default 1e-5). */
  smoothNr?: number;
  /** Added to the denominator (default 1e-5). */
  smoothDr?: number;
  /** Sum intersections and areas over the batch before dividing (default false). */
  batch?: boolean;
  /** Per-class weights of the loss (one number for all, or one per scored class; ≥ 0). */
  weight?: number | readonly number[];
  /** Validate class-index targets (integers in [0, C)); costs one read-back (default true). */
  validateTarget?: boolean;
  /** Receives MONAI's single-channel warnings. */
  logger?: Logger;
}

/**
 * Soft Dice loss `1 − (2·Σ p·t + smoothNr) / (Σ t + Σ p + smoothDr)` per item and class (sums
 * over X, Y, Z, and over N too with `batch`), then reduced.
 *
 * Variants (MONAI): `squaredPred` sums `t²` and `p²` in the denominator; `jaccard` replaces the
 * denominator `D` by `2·(D − Σ p·t)`. Class `weight`s multiply the per-class values before the
 * reduction.
 *
 * Tensors are channels-last: logits `[N, X, Y, Z, C]`, target `[N, X, Y, Z, 1]` (class indices,
 * with `toOnehotY`) or `[N, X, Y, Z, C]` (one-hot). Gradients need tfjs-core's gradient
 * registrations (`@voxelkit/backend`'s `initBackend`, or
 * `import '@tensorflow/tfjs-core/dist/register_all_gradients'`).
 *
 * @example
 * ```ts
 * const loss = new DiceLoss({ toOnehotY: true, softmax: true });
 * const value = loss.compute(logits, labels); // tf.Scalar
 * ```
 */
export class DiceLoss {
  /** The options in effect, defaults filled in. */
  readonly options: Readonly<Required<Omit<DiceLossOptions, 'weight' | 'logger'>>> & {
    /** Per-class weights, if any. */
    weight?: number | readonly number[];
  };
  private readonly logger: Logger;

  constructor(options: DiceLossOptions = {}) {
    if (options.sigmoid && options.softmax) {
      throw new ArgumentError('DiceLoss: sigmoid and softmax are mutually exclusive', {
        field: 'sigmoid/softmax',
        expected: 'at most one true',
        actual: { sigmoid: options.sigmoid, softmax: options.softmax },
      });
    }
    const reduction = options.reduction ?? 'mean';
    if (!['mean', 'sum', 'none'].includes(reduction)) {
      throw new ArgumentError('DiceLoss: unknown reduction', {
        field: 'reduction',
        expected: "'mean' | 'sum' | 'none'",
        actual: reduction,
      });
    }
    checkWeight(options.weight);
    this.options = {
      includeBackground: options.includeBackground ?? true,
      toOnehotY: options.toOnehotY ?? false,
      sigmoid: options.sigmoid ?? false,
      softmax: options.softmax ?? false,
      squaredPred: options.squaredPred ?? false,
      jaccard: options.jaccard ?? false,
      reduction,
      smoothNr: options.smoothNr ?? 1e-5,
      smoothDr: options.smoothDr ?? 1e-5,
      batch: options.batch ?? false,
      validateTarget: options.validateTarget ?? true,
      ...(options.weight === undefined ? {} : { weight: options.weight }),
    };
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * The loss of `logits` against `target`.
   *
   * @param logits - `[N, X, Y, Z, C]` raw scores (or probabilities without sigmoid/softmax)
   * @param target - `[N, X, Y, Z, 1]` class indices (with `toOnehotY`) or `[N, X, Y, Z, C]` one-hot
   * @returns a scalar for `'mean'`/`'sum'`; `[N, 1, 1, 1, C']` (or `[1, 1, 1, 1, C']` with
   *   `batch`) for `'none'`
   * @throws ShapeError naming the expected target shape; ArgumentError for softmax on 1 channel
   */
  compute(logits: tf.Tensor, target: tf.Tensor): tf.Tensor {
    return this.computeEncoded(logits, target);
  }

  /**
   * {@link DiceLoss.compute} with the one-hot encoding of a class-index target already made
   * (DiceCELoss shares one encoding, and one validation read-back, between its two terms).
   *
   * @internal
   */
  computeEncoded(logits: tf.Tensor, target: tf.Tensor, encoded?: tf.Tensor): tf.Tensor {
    const channels = checkLossShapes('DiceLoss', logits, target);
    return tf.tidy(() => {
      const { probabilities, oneHot } = this.prepare(logits, target, channels, encoded);
      return this.reduce(diceValues(probabilities, oneHot, this.options));
    });
  }

  /**
   * Activation, one-hot conversion and background removal, as MONAI orders them.
   * Also used by `DiceCELoss`.
   *
   * @param encoded - the one-hot encoding of a class-index target, when already made
   */
  prepare(
    logits: tf.Tensor,
    target: tf.Tensor,
    channels: number,
    encoded?: tf.Tensor,
  ): PreparedDiceInputs {
    let probabilities = tf.cast(logits, 'float32');
    if (this.options.sigmoid) probabilities = tf.sigmoid(probabilities);
    if (this.options.softmax) {
      if (channels === 1) {
        // MONAI only warns and skips the softmax; the loss would then be computed on raw logits
        // (and a softmax over one channel would be identically 1): refuse instead.
        throw new ArgumentError('softmax over a single channel is constant; use sigmoid: true', {
          field: 'softmax',
          expected: 'logits with >= 2 channels, or sigmoid: true for 1 channel',
          actual: logits.shape,
        });
      }
      probabilities = tf.softmax(probabilities, -1);
    }
    let oneHot = tf.cast(target, 'float32');
    if (this.options.toOnehotY) {
      if (channels === 1) {
        this.logger.warn('single channel prediction, toOnehotY ignored');
      } else if (target.shape[4] !== 1) {
        throw new ShapeError('toOnehotY expects class indices with one channel', {
          field: 'target.shape',
          expected: `[${target.shape.slice(0, 4).join(', ')}, 1]`,
          actual: target.shape,
        });
      } else {
        oneHot = encoded ?? oneHotTarget(target, channels, this.options.validateTarget);
      }
    }
    if (oneHot.shape[4] !== channels) {
      throw new ShapeError('target has class indices but toOnehotY is false', {
        field: 'target.shape',
        expected: `one-hot [${target.shape.slice(0, 4).join(', ')}, ${channels}] or toOnehotY: true`,
        actual: target.shape,
      });
    }
    if (!this.options.includeBackground) {
      if (channels === 1) {
        this.logger.warn('single channel prediction, includeBackground=false ignored');
      } else {
        probabilities = dropBackground(probabilities);
        oneHot = dropBackground(oneHot);
      }
    }
    return { probabilities, oneHot };
  }

  private reduce(values: tf.Tensor): tf.Tensor {
    let f = values;
    const weight = this.options.weight;
    const classes = f.shape[f.rank - 1]!;
    if (weight !== undefined && classes !== 1) {
      const w = typeof weight === 'number' ? new Array<number>(classes).fill(weight) : [...weight];
      if (w.length !== classes) {
        throw new ArgumentError('DiceLoss: one weight per scored class is needed', {
          field: 'weight',
          expected: `${classes} values (without background when includeBackground is false)`,
          actual: weight,
        });
      }
      f = tf.mul(f, tf.tensor1d(w));
    }
    if (this.options.reduction === 'mean') return tf.mean(f);
    if (this.options.reduction === 'sum') return tf.sum(f);
    return f.rank === 1
      ? tf.reshape(f, [1, 1, 1, 1, classes])
      : tf.reshape(f, [f.shape[0]!, 1, 1, 1, classes]);
  }
}

/**
 * Per-item, per-class soft Dice (or Jaccard) loss values: `[N, C']`, or `[C']` with `batch`.
 */
function diceValues(
  probabilities: tf.Tensor,
  target: tf.Tensor,
  options: {
    squaredPred: boolean;
    jaccard: boolean;
    batch: boolean;
    smoothNr: number;
    smoothDr: number;
  },
): tf.Tensor {
  const axes = options.batch ? [0, 1, 2, 3] : [1, 2, 3];
  const intersection = tf.sum(tf.mul(target, probabilities), axes);
  const groundO = tf.sum(options.squaredPred ? tf.square(target) : target, axes);
  const predO = tf.sum(options.squaredPred ? tf.square(probabilities) : probabilities, axes);
  let denominator = tf.add(groundO, predO);
  if (options.jaccard) denominator = tf.mul(2, tf.sub(denominator, intersection));
  const ratio = tf.div(
    tf.add(tf.mul(2, intersection), options.smoothNr),
    tf.add(denominator, options.smoothDr),
  );
  return tf.sub(1, ratio);
}

function dropBackground(t: tf.Tensor): tf.Tensor {
  const [n, x, y, z, c] = t.shape as [number, number, number, number, number];
  return tf.slice(t, [0, 0, 0, 0, 1], [n, x, y, z, c - 1]);
}

function checkWeight(weight: number | readonly number[] | undefined): void {
  if (weight === undefined) return;
  const values = typeof weight === 'number' ? [weight] : weight;
  if (values.some((w) => !(w >= 0) || !Number.isFinite(w))) {
    throw new ArgumentError('loss weights must be finite and >= 0', {
      field: 'weight',
      expected: '>= 0',
      actual: weight,
    });
  }
}
