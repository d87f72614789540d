/**
 * NIfTI-1/2 reading and writing, Decathlon data sets, download, caching and loading
 *
 * @packageDocumentation
 */
export * from './nifti/index.js';
export * from './dataset/index.js';
