/**
 * Browser-safe part of the data-set API: types, the train/validation split, the cache data set,
 * the data loader and the Decathlon download constants. The Node-only part (reading
 * `dataset.json`, downloading, extracting) is in `./node.ts`, published as `@voxelkit/io/node`.
 */
export * from './types.js';
export * from './split.js';
export * from './clone.js';
export * from './cache-dataset.js';
export * from './data-loader.js';
export * from './msd.js';
