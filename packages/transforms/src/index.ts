/**
 * MONAI-compatible dictionary transforms on typed arrays
 *
 * @packageDocumentation
 */
export {};
