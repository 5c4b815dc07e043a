/**
 * Regression metrics (Keras 3 `metrics/regression_metrics.py`), stateful means over
 * every element seen (equal to Keras's mean of per-sample means, since every sample
 * has the same width):
 *   MeanSquaredError  (ŷ − y)²
 *   MeanAbsoluteError |ŷ − y|
 * Layout: yPred, yTrue [rows, cols] (sparse targets only when cols = 1); weights
 * [rows] or null, each element weighted by its row's weight.
 */
import { checkOptions } from '../core/errors.js';
import { requireDenseTargets } from './accuracy.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricContext } from './metric.js';

export type MeanSquaredErrorMetricOptions = BaseMetricOptions;
export type MeanAbsoluteErrorMetricOptions = BaseMetricOptions;

export class MeanSquaredErrorMetric extends Metric {
  readonly className = 'MeanSquaredError';

  constructor(options: MeanSquaredErrorMetricOptions = {}) {
    const where = 'MeanSquaredError';
    checkOptions(options, ['name'], where);
    super(checkMetricName(options.name, 'mean_squared_error', where));
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
    if (weights === null) {
      const n = rows * cols;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = yPred[i] - yTrue[i];
        sum += x * x;
      }
      this.total += sum;
      this.count += n;
      return;
    }
    let sum = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights[r];
      if (w === 0) continue;
      let rowSum = 0;
      for (let i = o; i < o + cols; i++) {
        const x = yPred[i] - yTrue[i];
        rowSum += x * x;
      }
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

export class MeanAbsoluteErrorMetric extends Metric {
  readonly className = 'MeanAbsoluteError';

  constructor(options: MeanAbsoluteErrorMetricOptions = {}) {
    const where = 'MeanAbsoluteError';
    checkOptions(options, ['name'], where);
    super(checkMetricName(options.name, 'mean_absolute_error', where));
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
    if (weights === null) {
      const n = rows * cols;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.abs(yPred[i] - yTrue[i]);
      this.total += sum;
      this.count += n;
      return;
    }
    let sum = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights[r];
      if (w === 0) continue;
      let rowSum = 0;
      for (let i = o; i < o + cols; i++) rowSum += Math.abs(yPred[i] - yTrue[i]);
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

/** Mean squared error metric (log key 'mean_squared_error' unless named). */
export function meanSquaredError(options?: MeanSquaredErrorMetricOptions): MeanSquaredErrorMetric {
  return new MeanSquaredErrorMetric(options);
}

/** Mean absolute error metric (log key 'mean_absolute_error' unless named). */
export function meanAbsoluteError(options?: MeanAbsoluteErrorMetricOptions): MeanAbsoluteErrorMetric {
  return new MeanAbsoluteErrorMetric(options);
}
