/**
 * AdamW (Loshchilov & Hutter) exactly as PyTorch's `torch.optim.AdamW` with `amsgrad=False`:
 * decoupled weight decay, then the bias-corrected Adam update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamwUpdateMany } from '@voxelkit/backend';
import { ArgumentError, DataError, ShapeError } from '@voxelkit/core';

/** Hyper-parameters of {@link AdamW}; defaults are PyTorch's. */
export interface AdamWOptions {
  /** Learning rate (default 1e-3). Can be changed between steps via {@link AdamW.lr}. */
  lr?: number;
  /** Exponential decay rates of the first and second moments (default `[0.9, 0.999]`). */
  betas?: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Decoupled weight-decay coefficient (default 1e-2). */
  weightDecay?: number;
}

/** Per-parameter optimiser moments (in the variable's tfjs layout and shape). */
export interface AdamWMoments {
  /** The parameter's tfjs shape. */
  shape: number[];
  /** First moment `m` (PyTorch `exp_avg`). */
  expAvg: Float32Array;
  /** Second moment `v` (PyTorch `exp_avg_sq`). */
  expAvgSq: Float32Array;
}

/** Serialisable optimiser state: hyper-parameters, step count and moments by parameter name. */
export interface AdamWState {
  /** Steps taken. */
  step: number;
  /** Learning rate at the time of {@link AdamW.getState}. */
  lr: number;
  /** `[β1, β2]`. */
  betas: [number, number];
  /** Denominator term. */
  eps: number;
  /** Decoupled weight-decay coefficient. */
  weightDecay: number;
  /** Moments keyed by parameter name. */
  moments: Map<string, AdamWMoments>;
}

/**
 * AdamW over named tfjs variables. For each parameter `p` with gradient `g`, at step `t`:
 *
 * ```
 * p ← p − lr·wd·p                      (decoupled weight decay)
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * ```
 *
 * Parameters without a gradient in a step are left untouched (as PyTorch does for `grad=None`).
 *
 * @example
 * ```ts
 * const opt = new AdamW(net.namedParameters(), { lr: 1e-4, weightDecay: 1e-5 });
 * const { grads } = tf.variableGrads(() => loss(net.apply(x, { training: true }), y), opt.variables);
 * opt.step(grads); // grads keyed by variable.name, as tf.variableGrads returns them
 * ```
 */
export class AdamW {
  /** Current learning rate; schedules set it before each step or epoch. */
  lr: number;
  /** `[β1, β2]`, the moment decay rates. */
  readonly betas: [number, number];
  /** Added to the denominator for numerical stability. */
  readonly eps: number;
  /** Decoupled weight-decay coefficient. */
  readonly weightDecay: number;
  private readonly params: Map<string, tf.Variable>;
  private readonly byVariableName = new Map<string, string>();
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  /**
   * @param params - trainable variables keyed by a stable name (e.g. `UNet.namedParameters()`);
   *   the names key the state in checkpoints.
   */
  constructor(params: Map<string, tf.Variable>, options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    check(this.lr >= 0, 'lr', '≥ 0', this.lr);
    check(
      this.betas.every((b) => b >= 0 && b < 1),
      'betas',
      'each in [0, 1)',
      this.betas,
    );
    check(this.eps >= 0, 'eps', '≥ 0', this.eps);
    check(this.weightDecay >= 0, 'weightDecay', '≥ 0', this.weightDecay);
    this.params = new Map(params);
    for (const [name, variable] of this.params) {
      this.byVariableName.set(variable.name, name);
      this.m.set(name, tf.variable(tf.zerosLike(variable), false));
      this.v.set(name, tf.variable(tf.zerosLike(variable), false));
    }
  }

  /** The optimised variables, in construction order (pass to `tf.variableGrads`). */
  get variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** Number of steps taken (PyTorch's `state['step']`). */
  get stepCount(): number {
    return this.t;
  }

  /**
   * Applies one update. `grads` is keyed by tfjs variable name (what `tf.variableGrads` returns)
   * or by the parameter names given to the constructor. The gradients are not disposed.
   *
   * @throws DataError when a gradient's key matches no parameter.
   * @throws ShapeError when a gradient's shape differs from its parameter's.
   */
  step(grads: tf.NamedTensorMap | Map<string, tf.Tensor>): void {
    const entries = grads instanceof Map ? [...grads] : Object.entries(grads);
    const resolved = entries.map(([key, g]) => {
      const name = this.params.has(key) ? key : this.byVariableName.get(key);
      if (name === undefined) {
        throw new DataError('AdamW.step got a gradient for an unknown parameter', { field: key });
      }
      const p = this.params.get(name)!;
      if (!sameShape(p.shape, g.shape)) {
        throw new ShapeError('AdamW.step: gradient shape differs from the parameter', {
          field: name,
          expected: p.shape,
          actual: g.shape,
        });
      }
      return [name, g] as const;
    });
    this.t += 1;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    const constants = {
      stepSize: this.lr / bc1,
      beta1: b1,
      beta2: b2,
      biasCorrection2Sqrt: bc2Sqrt,
      eps: this.eps,
      decay: 1 - this.lr * this.weightDecay,
    };
    tf.tidy(() => {
      const entries = resolved.map(([name, grad]) => ({
        name,
        param: this.params.get(name)!,
        grad,
        expAvg: this.m.get(name)!,
        expAvgSq: this.v.get(name)!,
      }));
      const next = adamwUpdateMany(entries, constants);
      entries.forEach((e, i) => {
        e.param.assign(next[i].param);
        this.m.get(e.name)!.assign(next[i].expAvg);
        this.v.get(e.name)!.assign(next[i].expAvgSq);
      });
    });
  }

  /** A copy of the state (moments downloaded to typed arrays). */
  getState(): AdamWState {
    const moments = new Map<string, AdamWMoments>();
    for (const [name, p] of this.params) {
      moments.set(name, {
        shape: [...p.shape],
        expAvg: Float32Array.from(this.m.get(name)!.dataSync()),
        expAvgSq: Float32Array.from(this.v.get(name)!.dataSync()),
      });
    }
    return {
      step: this.t,
      lr: this.lr,
      betas: [...this.betas],
      eps: this.eps,
      weightDecay: this.weightDecay,
      moments,
    };
  }

  /**
   * Restores a state from {@link AdamW.getState} (or a checkpoint): step, learning rate and
   * moments. `betas`, `eps` and `weightDecay` stay as constructed (they are configuration).
   *
   * @throws DataError when a parameter has no moments in `state`, or `state` has unknown names.
   * @throws ShapeError when stored moments do not fit a parameter.
   */
  setState(state: AdamWState): void {
    const missing = [...this.params.keys()].filter((n) => !state.moments.has(n));
    const unknown = [...state.moments.keys()].filter((n) => !this.params.has(n));
    if (missing.length > 0 || unknown.length > 0) {
      throw new DataError('optimizer state does not match the parameters', {
        field: 'moments',
        expected: missing.length > 0 ? { missing: missing.slice(0, 10) } : undefined,
        actual: unknown.length > 0 ? { unknown: unknown.slice(0, 10) } : undefined,
      });
    }
    for (const [name, p] of this.params) {
      const mom = state.moments.get(name)!;
      if (
        !sameShape(mom.shape, p.shape) ||
        mom.expAvg.length !== p.size ||
        mom.expAvgSq.length !== p.size
      ) {
        throw new ShapeError('optimizer moments do not fit the parameter', {
          field: name,
          expected: p.shape,
          actual: mom.shape,
        });
      }
    }
    for (const [name, p] of this.params) {
      const mom = state.moments.get(name)!;
      tf.tidy(() => {
        this.m.get(name)!.assign(tf.tensor(mom.expAvg, p.shape));
        this.v.get(name)!.assign(tf.tensor(mom.expAvgSq, p.shape));
      });
    }
    this.t = state.step;
    this.lr = state.lr;
  }

  /** Frees the moment variables (not the parameters). */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

function check(ok: boolean, field: string, expected: string, actual: unknown): void {
  if (!ok) throw new ArgumentError(`AdamW: invalid ${field}`, { field, expected, actual });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
