/**
 * NIfTI-1/2 reading and writing, Decathlon data sets, download, caching and loading
 *
 * @packageDocumentation
 */
export {};
export * from './dataset/index.js';
