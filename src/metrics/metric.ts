/**
 * Metric base: a stateful mean (Keras 3 `Mean` / `MeanMetricWrapper`). `update` adds
 * one batch to `total` and `count`; `result` is total / count over everything since
 * `reset`, and 0 when nothing was seen (Keras `divide_no_nan`).
 *
 * Layout: yPred [rows, cols]; yTrue [rows, cols] (dense) or [rows] class indices
 * (sparseTargets). With cols = 1 the two layouts coincide. `update` allocates nothing
 * and sums in JS doubles.
 *
 * Weights (Keras `sample_weight`, class weights, masks): one per row, or null for 1.
 * Each value is added as total += w·value, count += w — per element for element-wise
 * metrics (every element of a row gets the row's weight), per row for row-wise ones
 * (categorical accuracies). The result is the Keras weighted mean. A row with weight
 * exactly 0 is skipped and does not count. Keras applies a mask to metrics as is
 * (no total/valid rescaling): build metric weights with `maskToWeights(…, 'sum')`.
 */
import { show } from '../core/errors.js';

/** What `resolveMetric` and `Metric.validate` need to know about the model. */
export interface MetricContext {
  /** Width of the model's last output axis (cols). */
  predWidth: number;
  /** True when targets are class indices [rows] rather than [rows, cols]. */
  sparseTargets: boolean;
}

/** A metric's JSON-safe configuration (camelCase keys); null where Keras's option is None (R2Score's classAggregation). */
export type MetricConfig = Record<string, string | number | boolean | number[] | null>;

/** Options every metric accepts. */
export interface BaseMetricOptions {
  /** Log key; defaults to the Keras name (e.g. 'binary_accuracy'). */
  name?: string;
}

export abstract class Metric {
  /** Log key: the name the user typed ('accuracy', 'acc', 'mse', …) or the Keras default. */
  readonly name: string;
  /** Keras class name, e.g. 'BinaryAccuracy'. */
  abstract readonly className: string;
  protected total = 0;
  protected count = 0;

  protected constructor(name: string) {
    this.name = name;
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }

  /**
   * Add one batch: yPred [rows, cols]; yTrue [rows, cols] or [rows] when sparseTargets;
   * weights [≥ rows] per-row weights, or null (every row weight 1).
   */
  abstract update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights?: Float32Array | null,
  ): void;

  /** total / count since the last reset; 0 when nothing was seen. */
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  /**
   * Every value of the result: `[result()]` for a number-valued metric; one per threshold
   * or per class where Keras's result is a vector (Precision/Recall with several
   * thresholds, F1Score/FBetaScore with average null), whose `result()` then refuses.
   */
  results(): number[] {
    return [this.result()];
  }

  /**
   * Boundary check that this metric makes sense for the model's outputs and targets;
   * throws RangeError otherwise. Default: every combination is fine.
   */
  validate(ctx: MetricContext): void {
    void ctx;
  }

  /** JSON-safe configuration (camelCase keys). */
  getConfig(): MetricConfig {
    return { name: this.name };
  }
}

/** Validate a user-supplied metric name option. */
export function checkMetricName(name: unknown, fallback: string, where: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${where}: name must be a non-empty string, got ${show(name)}`);
  }
  return name;
}
