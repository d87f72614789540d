/**
 * `@voxelkit/losses`: Dice and Dice + cross-entropy segmentation losses on channels-last
 * TensorFlow.js tensors, numerically matching MONAI 1.4's `DiceLoss` / `DiceCELoss`.
 *
 * @packageDocumentation
 */
export * from './dice-loss.js';
export * from './dice-ce-loss.js';
export * from './cross-entropy.js';
export { checkLossShapes, oneHotTarget } from './target.js';
