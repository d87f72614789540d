/**
 * The data-set API of the main `@voxelkit/io` entry: types, the train/validation split, the
 * cache data set, the data loader, the Decathlon download constants, and lazy wrappers of the
 * two Node-only functions of the contract. Nothing here imports a `node:` module at top level;
 * the Node-only implementations (reading `dataset.json`, downloading, extracting) are in
 * `./node.ts`, published as `@voxelkit/io/node`.
 */
export * from './types.js';
export * from './split.js';
export * from './clone.js';
export * from './pipeline.js';
export * from './cache-dataset.js';
export * from './data-loader.js';
export * from './msd.js';
export * from './lazy-node.js';
