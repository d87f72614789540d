/**
 * Sliding-window inference
 *
 * @packageDocumentation
 */
export {};
