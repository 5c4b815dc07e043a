/**
 * Regression losses (Keras 3), each a mean over the last axis per sample, with
 * x = ŷ − y:
 *   MeanSquaredError   ℓ = x²
 *   MeanAbsoluteError  ℓ = |x|                        (dℓ/dx = sign(x), 0 at 0)
 *   Huber(δ)           ℓ = ½x²        if |x| ≤ δ
 *                        = δ|x| − ½δ²  otherwise
 * Layout: yPred, yTrue, dPred all [rows, cols]; weights [rows] or null (see Loss).
 */
import { checkNumberIn } from '../core/errors.js';
import { Loss, checkLossOptions, zeroRow } from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

export type MeanSquaredErrorOptions = BaseLossOptions;
export type MeanAbsoluteErrorOptions = BaseLossOptions;

export interface HuberOptions extends BaseLossOptions {
  /** Where the loss turns from quadratic to linear. Positive; default 1. */
  delta?: number;
}

// Element kernels over the flat range [start, end): add w·Σℓ to acc[0] and write
// dPred[i] = dℓ/dŷ · g. The unweighted path runs one kernel over the whole block
// (w = 1, g = scale); the weighted path runs one per row (g = scale·w). The sum
// goes through acc, not a return value, so no double is boxed if a call is not
// inlined.

function mseRange(
  yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null,
  start: number, end: number, w: number, g: number, acc: Float64Array,
): void {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const x = yPred[i] - yTrue[i];
    sum += x * x;
    // d(x²)/dŷ = 2x
    if (dPred !== null) dPred[i] = 2 * x * g;
  }
  acc[0] += w * sum;
}

function maeRange(
  yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null,
  start: number, end: number, w: number, g: number, acc: Float64Array,
): void {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const x = yPred[i] - yTrue[i];
    sum += Math.abs(x);
    // d|x|/dŷ = sign(x), 0 at 0
    if (dPred !== null) dPred[i] = x > 0 ? g : x < 0 ? -g : 0;
  }
  acc[0] += w * sum;
}

function huberRange(
  yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null,
  start: number, end: number, w: number, g: number, acc: Float64Array, d: number,
): void {
  const halfD2 = 0.5 * d * d;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const x = yPred[i] - yTrue[i];
    const ax = Math.abs(x);
    if (ax <= d) {
      // ℓ = ½x² → dℓ/dŷ = x
      sum += 0.5 * x * x;
      if (dPred !== null) dPred[i] = x * g;
    } else {
      // ℓ = δ|x| − ½δ² → dℓ/dŷ = δ·sign(x)
      sum += d * ax - halfD2;
      if (dPred !== null) dPred[i] = (x > 0 ? d : -d) * g;
    }
  }
  acc[0] += w * sum;
}

export class MeanSquaredError extends Loss {
  readonly name = 'mean_squared_error';
  readonly className = 'MeanSquaredError';

  constructor(options: MeanSquaredErrorOptions = {}) {
    const where = 'MeanSquaredError';
    checkLossOptions(options, [], where);
    super(options, where);
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
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    out[0] = 0;
    if (weights === null) {
      mseRange(yPred, yTrue, dPred, 0, rows * cols, 1, scale, out);
    } else {
      for (let r = 0, o = 0; r < rows; r++, o += cols) {
        const w = weights[r];
        if (w === 0) {
          if (dPred !== null) zeroRow(dPred, o, cols);
        } else {
          mseRange(yPred, yTrue, dPred, o, o + cols, w, scale * w, out);
        }
      }
    }
    out[0] = div === 0 ? 0 : (out[0] / cols) / div; // inline: a returned double would be boxed
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

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    out[0] = 0;
    if (weights === null) {
      maeRange(yPred, yTrue, dPred, 0, rows * cols, 1, scale, out);
    } else {
      for (let r = 0, o = 0; r < rows; r++, o += cols) {
        const w = weights[r];
        if (w === 0) {
          if (dPred !== null) zeroRow(dPred, o, cols);
        } else {
          maeRange(yPred, yTrue, dPred, o, o + cols, w, scale * w, out);
        }
      }
    }
    out[0] = div === 0 ? 0 : (out[0] / cols) / div; // inline: a returned double would be boxed
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

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    const d = this.delta;
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    out[0] = 0;
    if (weights === null) {
      huberRange(yPred, yTrue, dPred, 0, rows * cols, 1, scale, out, d);
    } else {
      for (let r = 0, o = 0; r < rows; r++, o += cols) {
        const w = weights[r];
        if (w === 0) {
          if (dPred !== null) zeroRow(dPred, o, cols);
        } else {
          huberRange(yPred, yTrue, dPred, o, o + cols, w, scale * w, out, d);
        }
      }
    }
    out[0] = div === 0 ? 0 : (out[0] / cols) / div; // inline: a returned double would be boxed
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
