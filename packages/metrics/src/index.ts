/**
 * Dice, Hausdorff and surface Dice metrics on typed arrays
 *
 * @packageDocumentation
 */
export {};
