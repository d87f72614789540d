/**
 * Node-only part of the data-set API (file system, HTTP, hashing, tar, worker threads),
 * published as `@voxelkit/io/node` so that browser bundles of `@voxelkit/io` never import
 * `node:` modules.
 */
export * from './decathlon.js';
export * from './download.js';
export { downloadFile, md5OfFile, type DownloadFileOptions } from './download-file.js';
export * from './extract.js';
export * from './worker-pipeline.js';
