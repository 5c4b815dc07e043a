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
    // Segments: the whole block at weight 1 when weights is null (one flat loop),
    // else one segment per row at that row's weight. The loop bodies stay inline:
    // a double argument to a helper call that is not inlined would be boxed.
    const segs = weights === null ? 1 : rows;
    const len = weights === null ? rows * cols : cols;
    let sum = 0;
    for (let r = 0, o = 0; r < segs; r++, o += len) {
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, len);
        continue;
      }
      const g = scale * w;
      let seg = 0;
      const end = o + len;
      for (let i = o; i < end; i++) {
        const x = yPred[i] - yTrue[i];
        seg += x * x;
        // d(x²)/dŷ = 2x
        if (dPred !== null) dPred[i] = 2 * x * g;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
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
    // Segments: the whole block at weight 1 when weights is null (one flat loop),
    // else one segment per row at that row's weight. The loop bodies stay inline:
    // a double argument to a helper call that is not inlined would be boxed.
    const segs = weights === null ? 1 : rows;
    const len = weights === null ? rows * cols : cols;
    let sum = 0;
    for (let r = 0, o = 0; r < segs; r++, o += len) {
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, len);
        continue;
      }
      const g = scale * w;
      let seg = 0;
      const end = o + len;
      for (let i = o; i < end; i++) {
        const x = yPred[i] - yTrue[i];
        seg += Math.abs(x);
        // d|x|/dŷ = sign(x), 0 at 0
        if (dPred !== null) dPred[i] = x > 0 ? g : x < 0 ? -g : 0;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
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
    const halfD2 = 0.5 * d * d;
    const div = this.divisor(rows);
    const scale = 1 / (cols * div);
    // Gradients: x·g in the quadratic zone, ±δ·g in the linear one. (Not
    // (x > 0 ? δ : −δ)·g: that phi mixes the tagged field value with a float64 and
    // boxes a number per call.)
    let sum = 0;
    if (weights === null) {
      // one flat loop: measurably faster here than the row-segment form below
      const n = rows * cols;
      const dg = d * scale;
      for (let i = 0; i < n; i++) {
        const x = yPred[i] - yTrue[i];
        const ax = Math.abs(x);
        if (ax <= d) {
          sum += 0.5 * x * x; // ℓ = ½x² → dℓ/dŷ = x
          if (dPred !== null) dPred[i] = x * scale;
        } else {
          sum += d * ax - halfD2; // ℓ = δ|x| − ½δ² → dℓ/dŷ = δ·sign(x)
          if (dPred !== null) dPred[i] = x > 0 ? dg : -dg;
        }
      }
    } else {
      for (let r = 0, o = 0; r < rows; r++, o += cols) {
        const w = weights[r];
        if (w === 0) {
          if (dPred !== null) zeroRow(dPred, o, cols);
          continue;
        }
        const g = scale * w;
        const dg = d * g;
        let seg = 0;
        const end = o + cols;
        for (let i = o; i < end; i++) {
          const x = yPred[i] - yTrue[i];
          const ax = Math.abs(x);
          if (ax <= d) {
            seg += 0.5 * x * x;
            if (dPred !== null) dPred[i] = x * g;
          } else {
            seg += d * ax - halfD2;
            if (dPred !== null) dPred[i] = x > 0 ? dg : -dg;
          }
        }
        sum += w * seg;
      }
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
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
