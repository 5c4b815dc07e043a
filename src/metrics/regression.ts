/**
 * Regression metrics (Keras 3 `metrics/regression_metrics.py`), stateful means over
 * every element seen (equal to Keras's mean of per-sample means, since every sample
 * has the same width):
 *   MeanSquaredError            (ŷ − y)²
 *   MeanAbsoluteError           |ŷ − y|
 *   RootMeanSquaredError        √(mean (ŷ − y)²), the root of the streamed mean
 *   MeanAbsolutePercentageError 100·|y − ŷ| / max(|y|, ε)
 *   MeanSquaredLogarithmicError (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))²
 *   LogCoshError                log cosh(ŷ − y)
 * with ε = 1e-7 in float32, as Keras casts it to the predictions' dtype; and per row
 *   CosineSimilarity            Σ ŷ·y / (‖ŷ‖·‖y‖), each norm clamped below at ε
 *                               (Keras `ops.normalize`: x·rsqrt(max(Σx², ε²)));
 *                               the tfjs names 'cosine' / 'cosineProximity' give its
 *                               negative with tfjs's clamp max(Σx², ε).
 * R2Score (r2.ts) keeps per-column sums instead of a mean.
 * Values are computed in float64 from the float32 inputs.
 * Layout: yPred, yTrue [rows, cols] (sparse targets only when cols = 1); weights
 * [rows] or null, each element weighted by its row's weight (a row, for cosine).
 */
import { checkOptions, show } from '../core/errors.js';
import { requireDenseTargets } from './accuracy.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricContext } from './metric.js';

export type MeanSquaredErrorMetricOptions = BaseMetricOptions;
export type MeanAbsoluteErrorMetricOptions = BaseMetricOptions;

export type RootMeanSquaredErrorOptions = BaseMetricOptions;
export type MeanAbsolutePercentageErrorOptions = BaseMetricOptions;
export type MeanSquaredLogarithmicErrorOptions = BaseMetricOptions;
export type LogCoshErrorOptions = BaseMetricOptions;
export interface CosineSimilarityOptions extends BaseMetricOptions {
  /** Keras `axis`: only −1 (the last axis, the default), the one axis of rnnkit's [rows, cols] outputs. */
  axis?: number;
}

/** Keras `backend.epsilon()` as float32, the dtype Keras casts it to. */
const EPSILON_F32 = Math.fround(1e-7);
const LN2 = Math.LN2;

/**
 * A weighted mean of one value per element (Keras `MeanMetricWrapper` over a function
 * that averages the last axis): total += w·Σ value, count += w·cols.
 */
abstract class ElementwiseMean extends Metric {
  protected constructor(options: BaseMetricOptions, where: string, fallbackName: string) {
    checkOptions(options, ['name'], where);
    super(checkMetricName(options.name, fallbackName, where));
  }

  /** The per-element value, from a prediction p and its target t. */
  protected abstract value(p: number, t: number): number;

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    if (sparseTargets && cols !== 1) this.validate({ predWidth: cols, sparseTargets });
    let sum = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      let rowSum = 0;
      for (let i = o; i < o + cols; i++) rowSum += this.value(yPred[i]!, yTrue[i]!);
      sum += w * rowSum;
      wsum += w;
    }
    this.total += sum;
    this.count += wsum * cols;
  }

  override validate(ctx: MetricContext): void {
    requireDenseTargets(this, ctx);
  }
}

export class MeanSquaredErrorMetric extends ElementwiseMean {
  readonly className = 'MeanSquaredError';

  constructor(options: MeanSquaredErrorMetricOptions = {}) {
    super(options, 'MeanSquaredError', 'mean_squared_error');
  }

  protected value(p: number, t: number): number {
    const x = p - t;
    return x * x;
  }
}

export class MeanAbsoluteErrorMetric extends ElementwiseMean {
  readonly className = 'MeanAbsoluteError';

  constructor(options: MeanAbsoluteErrorMetricOptions = {}) {
    super(options, 'MeanAbsoluteError', 'mean_absolute_error');
  }

  protected value(p: number, t: number): number {
    return Math.abs(p - t);
  }
}

/**
 * Keras RootMeanSquaredError: the square root of the streamed weighted mean of (ŷ − y)²
 * (not a mean of per-batch roots). A mask arrives in the weights, so padded timesteps do
 * not count, as for every rnnkit metric (Keras's RootMeanSquaredError extends Mean, not
 * MeanMetricWrapper, and does not read y_pred's mask).
 */
export class RootMeanSquaredError extends ElementwiseMean {
  readonly className = 'RootMeanSquaredError';

  constructor(options: RootMeanSquaredErrorOptions = {}) {
    super(options, 'RootMeanSquaredError', 'root_mean_squared_error');
  }

  protected value(p: number, t: number): number {
    const d = p - t;
    return d * d;
  }

  override result(): number {
    return Math.sqrt(super.result());
  }
}

export class MeanAbsolutePercentageError extends ElementwiseMean {
  readonly className = 'MeanAbsolutePercentageError';

  constructor(options: MeanAbsolutePercentageErrorOptions = {}) {
    super(options, 'MeanAbsolutePercentageError', 'mean_absolute_percentage_error');
  }

  protected value(p: number, t: number): number {
    return (100 * Math.abs(t - p)) / Math.max(Math.abs(t), EPSILON_F32);
  }
}

export class MeanSquaredLogarithmicError extends ElementwiseMean {
  readonly className = 'MeanSquaredLogarithmicError';

  constructor(options: MeanSquaredLogarithmicErrorOptions = {}) {
    super(options, 'MeanSquaredLogarithmicError', 'mean_squared_logarithmic_error');
  }

  protected value(p: number, t: number): number {
    const d = Math.log1p(Math.max(p, EPSILON_F32)) - Math.log1p(Math.max(t, EPSILON_F32));
    return d * d;
  }
}

export class LogCoshError extends ElementwiseMean {
  readonly className = 'LogCoshError';

  constructor(options: LogCoshErrorOptions = {}) {
    super(options, 'LogCoshError', 'logcosh');
  }

  protected value(p: number, t: number): number {
    // log cosh x = |x| + log1p(e^(−2|x|)) − ln 2: no overflow for large |x| (Keras: x + softplus(−2x) − ln 2)
    const a = Math.abs(p - t);
    return a + Math.log1p(Math.exp(-2 * a)) - LN2;
  }
}

/**
 * Keras CosineSimilarity (axis −1): the weighted mean over rows of the cosine between
 * ŷ and y. `proximity` gives tfjs's cosineProximity instead: the negative, with tfjs's
 * norm clamp (max(Σx², ε) rather than Keras's max(Σx², ε²)).
 */
export class CosineSimilarity extends Metric {
  readonly className: string = 'CosineSimilarity';
  private readonly sign: number;
  private readonly clamp: number;

  constructor(options: CosineSimilarityOptions = {}, where = 'CosineSimilarity', fallbackName = 'cosine_similarity', proximity = false) {
    checkOptions(options, ['name', 'axis'], where);
    super(checkMetricName(options.name, fallbackName, where));
    if (options.axis !== undefined && options.axis !== -1) {
      throw new RangeError(`${where}: axis ${show(options.axis)} is not supported; the cosine is taken over the last axis (axis -1) of [rows, cols] outputs`);
    }
    this.sign = proximity ? -1 : 1;
    this.clamp = proximity ? EPSILON_F32 : EPSILON_F32 * EPSILON_F32;
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    if (sparseTargets && cols !== 1) this.validate({ predWidth: cols, sparseTargets });
    const clamp = this.clamp;
    let sum = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      let pt = 0;
      let pp = 0;
      let tt = 0;
      for (let i = o; i < o + cols; i++) {
        const p = yPred[i]!;
        const t = yTrue[i]!;
        pt += p * t;
        pp += p * p;
        tt += t * t;
      }
      sum += (w * pt) / (Math.sqrt(Math.max(pp, clamp)) * Math.sqrt(Math.max(tt, clamp)));
      wsum += w;
    }
    this.total += this.sign * sum;
    this.count += wsum;
  }

  override validate(ctx: MetricContext): void {
    requireDenseTargets(this, ctx);
  }
}

/** tfjs cosineProximity ('cosine'): −cosine similarity, the loss's sign. */
export class CosineProximity extends CosineSimilarity {
  override readonly className: string = 'CosineProximity';

  constructor(options: CosineSimilarityOptions = {}) {
    super(options, 'CosineProximity', 'cosine_proximity', true);
  }
}

/** Root mean squared error (log key 'root_mean_squared_error' unless named). */
export function rootMeanSquaredError(options?: RootMeanSquaredErrorOptions): RootMeanSquaredError {
  return new RootMeanSquaredError(options);
}

/** Mean absolute percentage error, in percent (log key 'mean_absolute_percentage_error' unless named). */
export function meanAbsolutePercentageError(options?: MeanAbsolutePercentageErrorOptions): MeanAbsolutePercentageError {
  return new MeanAbsolutePercentageError(options);
}

/** Mean squared logarithmic error (log key 'mean_squared_logarithmic_error' unless named). */
export function meanSquaredLogarithmicError(options?: MeanSquaredLogarithmicErrorOptions): MeanSquaredLogarithmicError {
  return new MeanSquaredLogarithmicError(options);
}

/** Mean log cosh of the error (log key 'logcosh' unless named, as Keras). */
export function logCoshError(options?: LogCoshErrorOptions): LogCoshError {
  return new LogCoshError(options);
}

/** Mean cosine similarity of prediction and target rows (log key 'cosine_similarity' unless named). */
export function cosineSimilarity(options?: CosineSimilarityOptions): CosineSimilarity {
  return new CosineSimilarity(options);
}

/** tfjs cosineProximity: the negative mean cosine similarity (log key 'cosine_proximity' unless named). */
export function cosineProximity(options?: CosineSimilarityOptions): CosineProximity {
  return new CosineProximity(options);
}

/** Mean squared error metric (log key 'mean_squared_error' unless named). */
export function meanSquaredError(options?: MeanSquaredErrorMetricOptions): MeanSquaredErrorMetric {
  return new MeanSquaredErrorMetric(options);
}

/** Mean absolute error metric (log key 'mean_absolute_error' unless named). */
export function meanAbsoluteError(options?: MeanAbsoluteErrorMetricOptions): MeanAbsoluteErrorMetric {
  return new MeanAbsoluteErrorMetric(options);
}
