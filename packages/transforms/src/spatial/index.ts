/**
 * Spatial transforms: loading, channel layout, orientation, spacing, foreground cropping.
 */
export * from './record-access.js';
export * from './orient.js';
export * from './orientationd.js';
export * from './spacing-geometry.js';
export * from './resample.js';
export * from './spacingd.js';
export * from './crop-foreground.js';
export * from './crop-foregroundd.js';
export * from './ensure-channel-firstd.js';
export * from '../load/load-imaged.js';
export * from '../invert/invertd.js';
