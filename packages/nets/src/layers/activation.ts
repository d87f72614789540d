/** PReLU and dropout, the "A" and "D" of MONAI's ADN block. */
import * as tf from '@tensorflow/tfjs-core';
import { constantVariable } from './init.js';
import type { CounterEntry, ForwardContext, Module, StateEntry } from './module.js';

/** `nn.PReLU(num_parameters=1, init=0.25)`: `max(0, x) + a·min(0, x)` with one learnt `a`. */
export class PReLU implements Module {
  readonly weight: tf.Variable;

  constructor(init = 0.25) {
    this.weight = constantVariable([1], init, true);
  }

  apply(x: tf.Tensor5D, _ctx: ForwardContext): tf.Tensor5D {
    return tf.prelu(x, this.weight as unknown as tf.Tensor5D);
  }

  collect(prefix: string, state: StateEntry[], _counters: CounterEntry[]): void {
    state.push({
      name: `${prefix}weight`,
      variable: this.weight,
      trainable: true,
      torchShape: [1],
    });
  }
}

/**
 * Element-wise `nn.Dropout(p)` (MONAI's `dropout_dim=1`): in training, zeroes each element with
 * probability `p` and scales the rest by `1/(1−p)`; identity in evaluation.
 */
export class Dropout implements Module {
  constructor(readonly rate: number) {}

  apply(x: tf.Tensor5D, ctx: ForwardContext): tf.Tensor5D {
    if (!ctx.training || this.rate === 0) return x;
    // Limitation: tf.dropout draws from Math.random-based seeds, so dropout > 0 is not reproducible.
    return tf.dropout(x, this.rate) as tf.Tensor5D;
  }

  collect(_prefix: string, _state: StateEntry[], _counters: CounterEntry[]): void {}
}
