/**
 * Regression losses (Keras 3), each a mean over the last axis per sample, with
 * x = ŷ − y:
 *   MeanSquaredError   ℓ = x²
 *   MeanAbsoluteError  ℓ = |x|                        (dℓ/dx = sign(x), 0 at 0)
 *   Huber(δ)           ℓ = ½x²        if |x| ≤ δ
 *                        = δ|x| − ½δ²  otherwise
 * Layout: yPred, yTrue, dPred all [rows, cols].
 */
import { checkNumberIn } from '../core/errors.js';
import { Loss, checkLossOptions, reduceSum } from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

export type MeanSquaredErrorOptions = BaseLossOptions;
export type MeanAbsoluteErrorOptions = BaseLossOptions;

export interface HuberOptions extends BaseLossOptions {
  /** Where the loss turns from quadratic to linear. Positive; default 1. */
  delta?: number;
}

export class MeanSquaredError extends Loss {
  readonly name = 'mean_squared_error';
  readonly className = 'MeanSquaredError';

  constructor(options: MeanSquaredErrorOptions = {}) {
    const where = 'MeanSquaredError';
    checkLossOptions(options, [], where);
    super(options, where);
  }

  computeInto(out: Float64Array, yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null, rows: number, cols: number): void {
    const n = rows * cols;
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = yPred[i] - yTrue[i];
      sum += x * x;
      // d(x²)/dŷ = 2x
      if (dPred !== null) dPred[i] = 2 * x * scale;
    }
    out[0] = reduceSum(sum / cols, div);
  }
}

export class MeanAbsoluteError extends Loss {
  readonly name = 'mean_absolute_error';
  readonly className = 'MeanAbsoluteError';

  constructor(options: MeanAbsoluteErrorOptions = {}) {
    const where = 'MeanAbsoluteError';
    checkLossOptions(options, [], where);
    super(options, where);
  }

  computeInto(out: Float64Array, yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null, rows: number, cols: number): void {
    const n = rows * cols;
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = yPred[i] - yTrue[i];
      sum += Math.abs(x);
      // d|x|/dŷ = sign(x), 0 at 0
      if (dPred !== null) dPred[i] = x > 0 ? scale : x < 0 ? -scale : 0;
    }
    out[0] = reduceSum(sum / cols, div);
  }
}

export class Huber extends Loss {
  readonly name = 'huber';
  readonly className = 'Huber';
  readonly delta: number;

  constructor(options: HuberOptions = {}) {
    const where = 'Huber';
    checkLossOptions(options, ['delta'], where);
    super(options, where);
    this.delta = options.delta === undefined ? 1 : checkNumberIn(options.delta, 0, Infinity, `${where}: delta`, { loOpen: true, hiOpen: true });
  }

  computeInto(out: Float64Array, yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null, rows: number, cols: number): void {
    const n = rows * cols;
    const d = this.delta;
    const halfD2 = 0.5 * d * d;
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = yPred[i] - yTrue[i];
      const ax = Math.abs(x);
      if (ax <= d) {
        // ℓ = ½x² → dℓ/dŷ = x
        sum += 0.5 * x * x;
        if (dPred !== null) dPred[i] = x * scale;
      } else {
        // ℓ = δ|x| − ½δ² → dℓ/dŷ = δ·sign(x)
        sum += d * ax - halfD2;
        if (dPred !== null) dPred[i] = (x > 0 ? d : -d) * scale;
      }
    }
    out[0] = reduceSum(sum / cols, div);
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), delta: this.delta };
  }
}

/** Mean squared error, mean over the last axis per sample. */
export function meanSquaredError(options?: MeanSquaredErrorOptions): MeanSquaredError {
  return new MeanSquaredError(options);
}

/** Mean absolute error, mean over the last axis per sample. */
export function meanAbsoluteError(options?: MeanAbsoluteErrorOptions): MeanAbsoluteError {
  return new MeanAbsoluteError(options);
}

/** Huber loss; see {@link HuberOptions}. */
export function huber(options?: HuberOptions): Huber {
  return new Huber(options);
}
