/**
 * Regression losses (Keras 3), each a mean over the last axis per sample, with
 * x = ŷ − y:
 *   MeanSquaredError   ℓ = x²
 *   MeanAbsoluteError  ℓ = |x|                        (dℓ/dx = sign(x), 0 at 0)
 *   Huber(δ)           ℓ = ½x²        if |x| ≤ δ
 *                        = δ|x| − ½δ²  otherwise
 *   MeanAbsolutePercentageError  ℓ = 100·|x| / max(|y|, ε)
 *   MeanSquaredLogarithmicError  ℓ = (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))²
 *   LogCosh            ℓ = x + softplus(−2x) − log 2   (= log cosh x, stable; dℓ/dx = tanh x)
 * and CosineSimilarity, a sum over the last axis:
 *   ℓ = −Σ ŷ_n·y_n,  v_n = v / sqrt(max(Σv², ε²))    (Keras 3 `normalize`; 0 for a zero vector)
 * Layout: yPred, yTrue, dPred all [rows, cols]; weights [rows] or null (see Loss).
 * Where a max(·, ε) clamp is active the gradient is 0, as for the clips elsewhere.
 */
import { checkNumberIn } from '../core/errors.js';
import { EPSILON, EPSILON_SQUARED, Loss, checkAxis, checkLossOptions, zeroRow } from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

// Module-local copies: V8 boxes a double read through an import binding on every
// access in a hot loop, which would allocate on each call.
const EPS: number = EPSILON;
const EPS2: number = EPSILON_SQUARED;
const LOG2 = Math.log(2);

export type MeanSquaredErrorOptions = BaseLossOptions;
export type MeanAbsoluteErrorOptions = BaseLossOptions;
export type MeanAbsolutePercentageErrorOptions = BaseLossOptions;
export type MeanSquaredLogarithmicErrorOptions = BaseLossOptions;
export type LogCoshOptions = BaseLossOptions;

export interface CosineSimilarityOptions extends BaseLossOptions {
  /** Keras's feature axis: −1 (the default) only. */
  axis?: number;
}

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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
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

export class MeanAbsolutePercentageError extends Loss {
  readonly name = 'mean_absolute_percentage_error';
  readonly className = 'MeanAbsolutePercentageError';

  constructor(options: MeanAbsolutePercentageErrorOptions = {}) {
    const where = 'MeanAbsolutePercentageError';
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    // Segments as in MeanSquaredError: one flat loop without weights, else one per row.
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
        const y = yTrue[i];
        const x = yPred[i] - y;
        const ay = y < 0 ? -y : y;
        const k = 100 / (ay > EPS ? ay : EPS);
        // ℓ = 100·|ŷ − y| / max(|y|, ε) → dℓ/dŷ = sign(ŷ − y)·100 / max(|y|, ε), 0 at ŷ = y
        seg += k * (x < 0 ? -x : x);
        if (dPred !== null) dPred[i] = x > 0 ? k * g : x < 0 ? -k * g : 0;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }
}

export class MeanSquaredLogarithmicError extends Loss {
  readonly name = 'mean_squared_logarithmic_error';
  readonly className = 'MeanSquaredLogarithmicError';

  constructor(options: MeanSquaredLogarithmicErrorOptions = {}) {
    const where = 'MeanSquaredLogarithmicError';
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    // Segments as in MeanSquaredError: one flat loop without weights, else one per row.
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
        const p = yPred[i];
        const y = yTrue[i];
        const pc = p < EPS ? EPS : p;
        const x = Math.log1p(pc) - Math.log1p(y < EPS ? EPS : y);
        seg += x * x;
        // dℓ/dŷ = 2x / (ŷ + 1) where ŷ ≥ ε; the clamp passes no gradient below ε
        if (dPred !== null) dPred[i] = p < EPS ? 0 : ((2 * x) / (pc + 1)) * g;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }
}

export class LogCosh extends Loss {
  readonly name = 'log_cosh';
  readonly className = 'LogCosh';

  constructor(options: LogCoshOptions = {}) {
    const where = 'LogCosh';
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    // Segments as in MeanSquaredError: one flat loop without weights, else one per row.
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
        // ℓ = x + softplus(−2x) − log 2, softplus(u) = max(u, 0) + log1p(exp(−|u|))
        const u = -2 * x;
        seg += x + (u > 0 ? u : 0) + Math.log1p(Math.exp(-(u < 0 ? -u : u))) - LOG2;
        // dℓ/dŷ = tanh(x)
        if (dPred !== null) dPred[i] = Math.tanh(x) * g;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }
}

export class CosineSimilarity extends Loss {
  readonly name = 'cosine_similarity';
  readonly className = 'CosineSimilarity';

  constructor(options: CosineSimilarityOptions = {}) {
    const where = 'CosineSimilarity';
    checkLossOptions(options, ['axis'], where);
    super(options, where);
    checkAxis(options.axis, where);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / div; // per-sample value is a sum: no 1/cols
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, cols);
        continue;
      }
      let st = 0;
      let sp = 0;
      let tp = 0;
      for (let j = o; j < o + cols; j++) {
        st += yTrue[j] * yTrue[j];
        sp += yPred[j] * yPred[j];
        tp += yTrue[j] * yPred[j];
      }
      const nt = Math.sqrt(st > EPS2 ? st : EPS2);
      const clamped = !(sp > EPS2);
      const np = Math.sqrt(clamped ? EPS2 : sp);
      // ℓ = −(t·p) / (‖t‖·‖p‖), norms clamped at ε
      const c = tp / (nt * np);
      sum -= w * c;
      if (dPred !== null) {
        // dℓ/dp_j = −t_j/(‖t‖‖p‖) + c·p_j/‖p‖²; with ‖p‖ clamped at ε, only −t_j/(‖t‖ε)
        const g = scale * w;
        const a = -g / (nt * np);
        const b = clamped ? 0 : (g * c) / (np * np);
        for (let j = o; j < o + cols; j++) dPred[j] = a * yTrue[j] + b * yPred[j];
      }
    }
    out[0] = div === 0 ? 0 : sum / div; // inline: a returned double would be boxed
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

/** Mean absolute percentage error, 100·mean |ŷ − y| / max(|y|, ε) per sample (Keras 'mape'). */
export function meanAbsolutePercentageError(options?: MeanAbsolutePercentageErrorOptions): MeanAbsolutePercentageError {
  return new MeanAbsolutePercentageError(options);
}

/** Mean squared logarithmic error, mean (log(ŷ+1) − log(y+1))² per sample, values clamped at ε (Keras 'msle'). */
export function meanSquaredLogarithmicError(options?: MeanSquaredLogarithmicErrorOptions): MeanSquaredLogarithmicError {
  return new MeanSquaredLogarithmicError(options);
}

/** Mean of log(cosh(ŷ − y)) per sample (Keras 3 'log_cosh', tfjs 'logcosh'). */
export function logcosh(options?: LogCoshOptions): LogCosh {
  return new LogCosh(options);
}

/** Negative cosine similarity over the last axis (Keras 3 'cosine_similarity', tfjs 'cosineProximity'); in [−1, 1], −1 when aligned. */
export function cosineSimilarity(options?: CosineSimilarityOptions): CosineSimilarity {
  return new CosineSimilarity(options);
}
