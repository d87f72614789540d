/**
 * Spleen segmentation on CT: train, validate, predict, report
 *
 * @packageDocumentation
 */
export {};
