/**
 * Node-only part of the data-set API (file system, HTTP, hashing, tar), published as
 * `@voxelkit/io/node` so that browser bundles of `@voxelkit/io` never import `node:` modules.
 */
export * from './decathlon.js';
export * from './download.js';
export * from './extract.js';
export * from './worker-pipeline.js';
