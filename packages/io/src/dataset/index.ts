/**
 * The data-set API of the main `@voxelkit/io` entry, safe for browsers: types, the
 * train/validation split, the cache data set and pipeline runners, the data loader, and the
 * Decathlon download constants. Nothing here reaches a `node:` module, even lazily; the
 * Node-only functions (reading `dataset.json`, downloading, extracting, worker threads) are in
 * `./node.ts`, published as `@voxelkit/io/node`.
 */
export * from './types.js';
export * from './split.js';
export * from './clone.js';
export * from './pipeline.js';
export * from './cache-dataset.js';
export * from './data-loader.js';
export * from './msd.js';
