/**
 * R2Score (Keras 3 `metrics/regression_metrics.py` `R2Score`, the coefficient of
 * determination). Per output column j it accumulates, over every batch since `reset`,
 *   Σw·y, Σw·y², Σw·(y − ŷ)², Σw
 * and counts the samples (rows) of nonzero weight, so several batches give exactly what
 * one batch of the same rows gives. The result, as Keras:
 *   mean = Σw·y / Σw, total = Σw·y² − Σw·y · mean, raw = 1 − Σw·(y − ŷ)² / total,
 *   raw = 0 where it is ±∞ (constant targets, imperfect prediction); 0/0 (constant
 *   targets predicted exactly) stays NaN, as in Keras;
 *   classAggregation 'uniform_average' → mean of raw; 'variance_weighted_average' →
 *   Σ total·raw / Σ total; null → one score per column.
 *   numRegressors p > 0 (adjusted R²), with n samples: 1 − (1 − R²)(n − 1)/(n − p − 1);
 *   when p ≥ n − 1 Keras warns and falls back to the plain R², and so does this (one
 *   console warning per metric).
 * The sums are float64 (Keras keeps float32 variables). Nothing seen: 0 (or [] per
 * column before the first batch), the base Metric's rule, where Keras has no value.
 *
 * Layout: yPred, yTrue [rows, cols] (sparse only when cols = 1); weights per row, a row
 * of weight 0 skipped. A mask arrives folded into the weights, so padded timesteps do
 * not count (Keras's R2Score reads sample_weight only).
 */
import { checkOptions, show } from '../core/errors.js';
import { requireDenseTargets } from './accuracy.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';

export type R2ClassAggregation = 'uniform_average' | 'variance_weighted_average' | null;

export interface R2ScoreOptions extends BaseMetricOptions {
  /** How the per-column scores combine: 'uniform_average' (default), 'variance_weighted_average', or null (one per column). */
  classAggregation?: R2ClassAggregation;
  /** Independent regressors for the adjusted R², a non-negative integer; 0 (default) is the plain R². */
  numRegressors?: number;
}

export class R2Score extends Metric {
  readonly className = 'R2Score';
  readonly classAggregation: R2ClassAggregation;
  readonly numRegressors: number;
  private classes = 0;
  private sum = new Float64Array(0);
  private squaredSum = new Float64Array(0);
  private residual = new Float64Array(0);
  private weightSum = new Float64Array(0);
  private numSamples = 0;
  private warned = false;

  constructor(options: R2ScoreOptions = {}) {
    const where = 'R2Score';
    checkOptions(options, ['name', 'classAggregation', 'numRegressors'], where);
    super(checkMetricName(options.name, 'r2_score', where));
    const agg = options.classAggregation === undefined ? 'uniform_average' : options.classAggregation;
    if (agg !== null && agg !== 'uniform_average' && agg !== 'variance_weighted_average') {
      throw new RangeError(`${where}: invalid classAggregation ${show(agg)}; expected 'uniform_average', 'variance_weighted_average' or null`);
    }
    this.classAggregation = agg;
    const p = options.numRegressors === undefined ? 0 : options.numRegressors;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) {
      throw new RangeError(`${where}: numRegressors must be an integer ≥ 0, got ${show(p)}`);
    }
    this.numRegressors = p;
  }

  override reset(): void {
    super.reset();
    this.sum.fill(0);
    this.squaredSum.fill(0);
    this.residual.fill(0);
    this.weightSum.fill(0);
    this.numSamples = 0;
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
    if (this.classes === 0) {
      this.classes = cols;
      this.sum = new Float64Array(cols);
      this.squaredSum = new Float64Array(cols);
      this.residual = new Float64Array(cols);
      this.weightSum = new Float64Array(cols);
    } else if (this.classes !== cols) {
      throw new RangeError(`metric '${this.name}' (R2Score): built for ${this.classes} output columns, got ${cols}`);
    }
    const { sum, squaredSum, residual, weightSum } = this;
    let n = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      n++;
      for (let j = 0; j < cols; j++) {
        const y = yTrue[o + j]!;
        const d = y - yPred[o + j]!;
        sum[j] += w * y;
        squaredSum[j] += w * y * y;
        residual[j] += w * d * d;
        weightSum[j] += w;
      }
    }
    this.numSamples += n;
  }

  /** One score per column with classAggregation null; otherwise the one aggregated score. */
  override results(): number[] {
    const K = this.classes;
    if (K === 0) return this.classAggregation === null ? [] : [0];
    if (this.numSamples === 0) return this.classAggregation === null ? new Array<number>(K).fill(0) : [0];
    const raw = new Array<number>(K);
    const total = new Array<number>(K);
    for (let j = 0; j < K; j++) {
      const mean = this.sum[j]! / this.weightSum[j]!;
      total[j] = this.squaredSum[j]! - this.sum[j]! * mean;
      const score = 1 - this.residual[j]! / total[j]!;
      raw[j] = score === Infinity || score === -Infinity ? 0 : score;
    }
    let scores: number[];
    if (this.classAggregation === 'uniform_average') {
      scores = [raw.reduce((a, b) => a + b, 0) / K];
    } else if (this.classAggregation === 'variance_weighted_average') {
      let num = 0;
      let den = 0;
      for (let j = 0; j < K; j++) {
        num += total[j]! * raw[j]!;
        den += total[j]!;
      }
      scores = [num / den];
    } else {
      scores = raw;
    }
    const p = this.numRegressors;
    if (p === 0) return scores;
    const n = this.numSamples;
    if (p >= n - 1) {
      if (!this.warned) {
        this.warned = true;
        console.warn(
          `rnnkit: metric '${this.name}' (R2Score): numRegressors ${p} ${p > n - 1 ? 'is more than' : 'equals'} the ${n} samples − 1, ` +
            `so the adjusted R² is undefined; reporting the plain R² (as Keras)`,
        );
      }
      return scores;
    }
    return scores.map((r2) => 1 - ((1 - r2) * (n - 1)) / (n - p - 1));
  }

  override result(): number {
    const all = this.results();
    if (all.length > 1) {
      throw new RangeError(
        `metric '${this.name}' (R2Score) with classAggregation null has one score per output column (${all.length}): read results(), not result(), ` +
          `or pass classAggregation 'uniform_average' or 'variance_weighted_average'`,
      );
    }
    return all.length === 0 ? 0 : all[0]!;
  }

  override validate(ctx: MetricContext): void {
    requireDenseTargets(this, ctx);
    if (this.classAggregation === null && ctx.predWidth > 1) {
      throw new RangeError(
        `metric '${this.name}' (R2Score): classAggregation null gives one score per output column (${ctx.predWidth} here), ` +
          `but a compiled metric logs one number: pass classAggregation 'uniform_average' or 'variance_weighted_average'`,
      );
    }
  }

  override getConfig(): MetricConfig {
    return { ...super.getConfig(), classAggregation: this.classAggregation, numRegressors: this.numRegressors };
  }
}

/** R² (coefficient of determination) streamed over batches; see {@link R2ScoreOptions}. */
export function r2Score(options?: R2ScoreOptions): R2Score {
  return new R2Score(options);
}
