/** The plain-array result type shared by the array functions (flip, rotate90, crop, pad, argmax…). */
import type { TypedArray } from '@voxelkit/core';

/**
 * Flat row-major typed data with its shape, channel first (`[C, X, Y, Z]` for volumes).
 *
 * @example
 * ```ts
 * const a: ShapedArray = { data: new Float32Array(8), shape: [1, 2, 2, 2] };
 * ```
 */
export interface ShapedArray<T extends TypedArray = TypedArray> {
  /** The values, last axis fastest. */
  data: T;
  /** The shape; its product equals `data.length`. */
  shape: number[];
}
