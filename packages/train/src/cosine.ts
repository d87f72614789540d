/** Cosine-annealed learning rate, PyTorch `CosineAnnealingLR`'s closed form. */
import { ArgumentError } from '@voxelkit/core';

/** Options of {@link CosineAnnealingSchedule}. */
export interface CosineAnnealingOptions {
  /** Learning rate at `t = 0`. */
  baseLr: number;
  /** Half-period in steps or epochs (PyTorch `T_max`): the rate reaches `etaMin` at `t = tMax`. */
  tMax: number;
  /** Minimum learning rate (default 0). */
  etaMin?: number;
}

/**
 * `lr(t) = etaMin + (baseLr − etaMin) · (1 + cos(π·t / tMax)) / 2`.
 *
 * Past `tMax` the formula keeps following the cosine (rising again), as PyTorch's closed form
 * does; callers usually set `tMax` to the total number of epochs.
 *
 * @example
 * ```ts
 * const schedule = new CosineAnnealingSchedule({ baseLr: 1e-3, tMax: 100 });
 * schedule.lrAt(50); // 5e-4
 * schedule.apply(optimizer, epoch); // optimizer.lr = schedule.lrAt(epoch)
 * ```
 */
export class CosineAnnealingSchedule {
  /** Learning rate at `t = 0`. */
  readonly baseLr: number;
  /** Half-period: the rate reaches `etaMin` at `t = tMax`. */
  readonly tMax: number;
  /** Minimum learning rate. */
  readonly etaMin: number;

  constructor(options: CosineAnnealingOptions) {
    this.baseLr = options.baseLr;
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    if (!(this.baseLr >= 0))
      throw new ArgumentError('baseLr must be ≥ 0', { field: 'baseLr', actual: this.baseLr });
    if (!(this.tMax > 0))
      throw new ArgumentError('tMax must be > 0', { field: 'tMax', actual: this.tMax });
    if (!(this.etaMin >= 0))
      throw new ArgumentError('etaMin must be ≥ 0', { field: 'etaMin', actual: this.etaMin });
  }

  /** The learning rate at step/epoch `t` (≥ 0). */
  lrAt(t: number): number {
    if (!(t >= 0)) throw new ArgumentError('t must be ≥ 0', { field: 't', actual: t });
    return (
      this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2
    );
  }

  /** Sets `optimizer.lr` to {@link CosineAnnealingSchedule.lrAt}(t) and returns it. */
  apply(optimizer: { lr: number }, t: number): number {
    optimizer.lr = this.lrAt(t);
    return optimizer.lr;
  }
}
