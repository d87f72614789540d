/**
 * NIfTI-1/2 reading and writing. `readNifti`, `readNiftiHeader` and `encodeNifti` are
 * browser-safe; `loadNifti` and `saveNifti` need Node (their built-ins are imported lazily).
 */
export * from './header.js';
export * from './datatypes.js';
export * from './affine.js';
export * from './read.js';
export * from './encode.js';
export * from './node.js';
export { isGzip } from './gzip.js';
