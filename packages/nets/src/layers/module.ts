/**
 * The minimal module protocol the UNet is built from: a forward function and a list of named
 * state tensors (PyTorch names and layouts, so weights can move between MONAI and voxelkit).
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Per-call forward options. */
export interface ForwardContext {
  /** Training mode: batch statistics in BatchNorm (and running-stat updates), active dropout. */
  training: boolean;
}

/** One named piece of state of a module. */
export interface StateEntry {
  /** Full PyTorch state-dict name, e.g. `model.0.conv.unit0.conv.weight`. */
  name: string;
  /** The tfjs variable holding the value (in tfjs layout). */
  variable: tf.Variable;
  /** Whether the optimiser updates it (parameters) or not (BatchNorm running statistics). */
  trainable: boolean;
  /** Shape in PyTorch layout. */
  torchShape: number[];
  /**
   * Axis permutation taking the PyTorch-layout tensor to the tfjs-layout one
   * (`tfjs = transpose(torch, perm)`); absent when the layouts agree.
   */
  perm?: number[];
}

/** A scalar integer buffer (BatchNorm's `num_batches_tracked`), kept on the CPU side. */
export interface CounterEntry {
  name: string;
  get(): number;
  set(value: number): void;
}

/** A layer or block. */
export interface Module {
  /** Forward pass on a channels-last `[N, X, Y, Z, C]` tensor. */
  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D;
  /** Appends this module's state under `prefix` (which ends with `.` or is empty). */
  collect(prefix: string, state: StateEntry[], counters: CounterEntry[]): void;
}

/** PyTorch conv weight `[out, in, kx, ky, kz]` → tfjs filter `[kx, ky, kz, in, out]`; the same
 * permutation maps a transposed-conv weight `[in, out, k…]` to tfjs' `[k…, out, in]`. */
export const CONV_WEIGHT_PERM = [2, 3, 4, 1, 0];
