/**
 * `@voxelkit/transforms`: MONAI-compatible dictionary transforms on typed arrays.
 *
 * @packageDocumentation
 */
export * from './transform.js';
