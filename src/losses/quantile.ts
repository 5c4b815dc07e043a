/**
 * Pinball (quantile) loss, as TensorFlow Addons' PinballLoss / `pinball_loss` (Keras has none):
 * with x = y − ŷ, ℓ = max(τ·x, (τ − 1)·x), the mean over the last axis per sample. Its minimiser
 * is the τ-quantile of y, so a network trained on it forecasts quantiles (τ = 0.5: the median,
 * half the mean absolute error). `tau` is one number, or one per column — several quantiles from
 * one output, e.g. [0.1, 0.5, 0.9] for a 3-column output.
 * Gradient dℓ/dŷ = −τ where y ≥ ŷ, 1 − τ where y < ŷ (at x = 0 TensorFlow's `maximum` passes
 * the gradient to its first argument, τ·x). Layout as every loss: [rows, cols], weights [rows].
 */
import { checkNumberIn, show } from '../core/errors.js';
import { Loss, checkLossOptions, zeroRow } from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

export interface PinballOptions extends BaseLossOptions {
  /** The quantile(s) in [0, 1]: one for every column, or one per column. Default 0.5 (TFA's). */
  tau?: number | readonly number[];
}

export class Pinball extends Loss {
  readonly name = 'pinball_loss';
  readonly className = 'PinballLoss';
  readonly tau: number | number[];
  private readonly taus: Float64Array;

  constructor(options: PinballOptions = {}) {
    const where = 'PinballLoss';
    checkLossOptions(options, ['tau'], where);
    super(options, where);
    const t = options.tau ?? 0.5;
    if (Array.isArray(t)) {
      if (t.length === 0) throw new RangeError(`${where}: tau must be a number or a non-empty array of numbers in [0, 1], got []`);
      this.tau = t.map((v, i) => checkNumberIn(v, 0, 1, `${where}: tau[${i}]`));
      this.taus = Float64Array.from(this.tau);
    } else if (typeof t === 'number') {
      this.tau = checkNumberIn(t, 0, 1, `${where}: tau`);
      this.taus = Float64Array.of(this.tau);
    } else throw new TypeError(`${where}: tau must be a number or an array of numbers in [0, 1], got ${show(t)}`);
  }

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    const taus = this.taus;
    const T = taus.length;
    if (T !== 1 && T !== cols) throw new RangeError(`PinballLoss: ${T} tau values for an output of ${cols} columns; give one tau or one per column`);
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    let sum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, cols);
        continue;
      }
      const g = scale * w;
      let seg = 0;
      for (let c = 0; c < cols; c++) {
        const i = o + c;
        const tau = T === 1 ? taus[0] : taus[c];
        const x = yTrue[i] - yPred[i];
        if (x >= 0) {
          seg += tau * x;
          if (dPred !== null) dPred[i] = -tau * g;
        } else {
          seg += (tau - 1) * x;
          if (dPred !== null) dPred[i] = (1 - tau) * g;
        }
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), tau: Array.isArray(this.tau) ? [...this.tau] : this.tau };
  }
}

/** Pinball (quantile) loss, TFA's `pinball_loss`: `losses.pinball({tau: 0.9})` or `{tau: [0.1, 0.5, 0.9]}`. */
export function pinball(options?: PinballOptions): Pinball {
  return new Pinball(options);
}
