/**
 * `@voxelkit/io/node`: the Node-only API of `@voxelkit/io` (file system, HTTP, hashing, tar).
 * Kept out of the main entry so that browser bundles never import `node:` modules.
 *
 * @packageDocumentation
 */
export * from './dataset/node.js';
