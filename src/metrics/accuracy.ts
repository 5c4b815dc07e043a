/**
 * Accuracy metrics (Keras 3 `metrics/accuracy_metrics.py`), stateful means.
 *   BinaryAccuracy:            ŷ counts as 1 iff ŷ > threshold (strictly; 0.5 → 0),
 *                              scored per element, averaged over all elements seen.
 *   CategoricalAccuracy:       argmax ŷ == argmax y per row (first max wins on ties).
 *   SparseCategoricalAccuracy: argmax ŷ == integer label per row.
 *   TopKCategoricalAccuracy / SparseTopKCategoricalAccuracy: the target class (argmax
 *                              of the one-hot row, or the label) is among the k highest
 *                              predictions, ties counted as TF's `in_top_k` and Keras 3's
 *                              `ops.in_top_k`: a hit iff fewer than k predictions are
 *                              strictly greater than the target's, so every class tied at
 *                              the boundary is in the top k; a row holding a non-finite
 *                              prediction is never a hit (TF `InTopK`). k must be below
 *                              the number of classes: Keras accepts k ≥ classes and then
 *                              logs 1 whatever the model does; rnnkit refuses it.
 * Layout: yPred [rows, cols]; yTrue [rows, cols] or [rows] (sparse); weights [rows]
 * or null — weighted per element for BinaryAccuracy, per row for the categorical ones.
 */
import { checkBoolean, checkNumberIn, checkOptions, checkPositiveInt } from '../core/errors.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';

export interface BinaryAccuracyOptions extends BaseMetricOptions {
  /** A prediction counts as class 1 iff it is strictly greater than this. Default 0.5. */
  threshold?: number;
}
export type CategoricalAccuracyOptions = BaseMetricOptions;
export type SparseCategoricalAccuracyOptions = BaseMetricOptions;

/** Index of the first maximum of row [o, o + cols). */
function argmaxRow(a: Float32Array, o: number, cols: number): number {
  let best = 0;
  let bestValue = a[o];
  for (let j = 1; j < cols; j++) {
    if (a[o + j] > bestValue) {
      bestValue = a[o + j];
      best = j;
    }
  }
  return best;
}

/** Shared check for metrics that read dense [rows, cols] targets. */
export function requireDenseTargets(metric: Metric, ctx: MetricContext): void {
  if (ctx.sparseTargets && ctx.predWidth !== 1) {
    throw new RangeError(
      `metric '${metric.name}' (${metric.className}) needs targets of shape [*, ${ctx.predWidth}], ` +
        `but the targets are class indices; use 'sparse_categorical_accuracy' or one-hot targets`,
    );
  }
}

function denseGuard(metric: Metric, sparseTargets: boolean, cols: number): void {
  if (sparseTargets && cols !== 1) requireDenseTargets(metric, { predWidth: cols, sparseTargets });
}

export class BinaryAccuracy extends Metric {
  readonly className = 'BinaryAccuracy';
  readonly threshold: number;

  constructor(options: BinaryAccuracyOptions = {}) {
    const where = 'BinaryAccuracy';
    checkOptions(options, ['name', 'threshold'], where);
    super(checkMetricName(options.name, 'binary_accuracy', where));
    this.threshold =
      options.threshold === undefined ? 0.5 : checkNumberIn(options.threshold, -Infinity, Infinity, `${where}: threshold`, { loOpen: true, hiOpen: true });
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    denseGuard(this, sparseTargets, cols);
    // Keras casts the threshold to y_pred's dtype: compare in float32, so ŷ = 0.3 is
    // not above threshold 0.3.
    const t = Math.fround(this.threshold);
    if (weights === null) {
      const n = rows * cols;
      let correct = 0;
      for (let i = 0; i < n; i++) {
        const cls = yPred[i] > t ? 1 : 0;
        if (yTrue[i] === cls) correct++;
      }
      this.total += correct;
      this.count += n;
      return;
    }
    // per element: each of the row's cols elements carries the row's weight
    let total = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights[r];
      if (w === 0) continue;
      let correct = 0;
      for (let i = o; i < o + cols; i++) {
        const cls = yPred[i] > t ? 1 : 0;
        if (yTrue[i] === cls) correct++;
      }
      total += w * correct;
      wsum += w;
    }
    this.total += total;
    this.count += wsum * cols;
  }

  override validate(ctx: MetricContext): void {
    requireDenseTargets(this, ctx);
  }

  override getConfig(): Record<string, string | number | boolean> {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

export class CategoricalAccuracy extends Metric {
  readonly className = 'CategoricalAccuracy';

  constructor(options: CategoricalAccuracyOptions = {}) {
    const where = 'CategoricalAccuracy';
    checkOptions(options, ['name'], where);
    super(checkMetricName(options.name, 'categorical_accuracy', where));
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    denseGuard(this, sparseTargets, cols);
    if (weights === null) {
      let correct = 0; // an integer count: measurably faster than a weighted sum
      for (let r = 0, o = 0; r < rows; r++, o += cols) {
        if (argmaxRow(yPred, o, cols) === argmaxRow(yTrue, o, cols)) correct++;
      }
      this.total += correct;
      this.count += rows;
      return;
    }
    let total = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights[r];
      if (w === 0) continue;
      if (argmaxRow(yPred, o, cols) === argmaxRow(yTrue, o, cols)) total += w;
      wsum += w;
    }
    this.total += total;
    this.count += wsum;
  }

  override validate(ctx: MetricContext): void {
    requireDenseTargets(this, ctx);
  }
}

export class SparseCategoricalAccuracy extends Metric {
  readonly className = 'SparseCategoricalAccuracy';

  constructor(options: SparseCategoricalAccuracyOptions = {}) {
    const where = 'SparseCategoricalAccuracy';
    checkOptions(options, ['name'], where);
    super(checkMetricName(options.name, 'sparse_categorical_accuracy', where));
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    if (!sparseTargets && cols !== 1) this.validate({ predWidth: cols, sparseTargets });
    // yTrue is [rows] (or [rows, 1], the same layout)
    if (weights === null) {
      let correct = 0; // an integer count: measurably faster than a weighted sum
      for (let r = 0; r < rows; r++) {
        if (argmaxRow(yPred, r * cols, cols) === yTrue[r]) correct++;
      }
      this.total += correct;
      this.count += rows;
      return;
    }
    let total = 0;
    let wsum = 0;
    for (let r = 0; r < rows; r++) {
      const w = weights[r];
      if (w === 0) continue;
      if (argmaxRow(yPred, r * cols, cols) === yTrue[r]) total += w;
      wsum += w;
    }
    this.total += total;
    this.count += wsum;
  }

  override validate(ctx: MetricContext): void {
    if (!ctx.sparseTargets && ctx.predWidth !== 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}) needs integer class-index targets, ` +
          `but the targets are [*, ${ctx.predWidth}]; use 'categorical_accuracy' for one-hot targets`,
      );
    }
  }
}

export interface TopKCategoricalAccuracyOptions extends BaseMetricOptions {
  /** How many of the highest predictions count, a positive integer below the number of classes. Default 5. */
  k?: number;
}

export interface SparseTopKCategoricalAccuracyOptions extends TopKCategoricalAccuracyOptions {
  /**
   * Keras `from_sorted_ids`: ŷ holds class ids sorted by score, highest first (N ≥ k
   * columns), not scores; a hit iff the label is among the first k ids. Default false.
   */
  fromSortedIds?: boolean;
}

/**
 * TF `in_top_k` for one row: the target's prediction has fewer than k strictly greater
 * ones; false when the target is not a class index of the row or any prediction of the
 * row is non-finite.
 */
function inTopK(a: Float32Array, o: number, cols: number, target: number, k: number): boolean {
  if (!(target >= 0 && target < cols && Number.isInteger(target))) return false;
  const t = a[o + target]!;
  if (!Number.isFinite(t)) return false;
  let greater = 0;
  for (let j = o; j < o + cols; j++) {
    const v = a[j]!;
    if (!Number.isFinite(v)) return false;
    if (v > t) greater++;
  }
  return greater < k;
}

function checkK(k: unknown, where: string): number {
  return k === undefined ? 5 : checkPositiveInt(k, `${where}: k`);
}

/** k must leave some class out: with k ≥ cols every target is in the top k (Keras would log 1). */
function checkKBelow(metric: Metric, k: number, cols: number, what: string): void {
  if (k >= cols) {
    throw new RangeError(
      `metric '${metric.name}' (${metric.className}): k ${k} is not below the ${cols} ${what}, so every target would be in the top ${k} ` +
        `and the metric always 1; pass k < ${cols}, e.g. metrics.${metric.className === 'TopKCategoricalAccuracy' ? 'topKCategoricalAccuracy' : 'sparseTopKCategoricalAccuracy'}({ k: ${Math.max(1, cols - 1)} })`,
    );
  }
}

export class TopKCategoricalAccuracy extends Metric {
  readonly className = 'TopKCategoricalAccuracy';
  readonly k: number;

  constructor(options: TopKCategoricalAccuracyOptions = {}) {
    const where = 'TopKCategoricalAccuracy';
    checkOptions(options, ['name', 'k'], where);
    super(checkMetricName(options.name, 'top_k_categorical_accuracy', where));
    this.k = checkK(options.k, where);
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    denseGuard(this, sparseTargets, cols);
    checkKBelow(this, this.k, cols, 'prediction columns');
    const k = this.k;
    let total = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      // Keras takes argmax(y_true), the first maximum, as the target class.
      if (inTopK(yPred, o, cols, argmaxRow(yTrue, o, cols), k)) total += w;
      wsum += w;
    }
    this.total += total;
    this.count += wsum;
  }

  override validate(ctx: MetricContext): void {
    requireDenseTargets(this, ctx);
    checkKBelow(this, this.k, ctx.predWidth, "model's output columns");
  }

  override getConfig(): MetricConfig {
    return { ...super.getConfig(), k: this.k };
  }
}

export class SparseTopKCategoricalAccuracy extends Metric {
  readonly className = 'SparseTopKCategoricalAccuracy';
  readonly k: number;
  readonly fromSortedIds: boolean;

  constructor(options: SparseTopKCategoricalAccuracyOptions = {}) {
    const where = 'SparseTopKCategoricalAccuracy';
    checkOptions(options, ['name', 'k', 'fromSortedIds'], where);
    super(checkMetricName(options.name, 'sparse_top_k_categorical_accuracy', where));
    this.k = checkK(options.k, where);
    this.fromSortedIds = options.fromSortedIds === undefined ? false : checkBoolean(options.fromSortedIds, `${where}: fromSortedIds`);
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    if (!sparseTargets && cols !== 1) this.validate({ predWidth: cols, sparseTargets });
    const k = this.k;
    if (this.fromSortedIds) {
      if (cols < k) this.validate({ predWidth: cols, sparseTargets: true });
    } else {
      checkKBelow(this, k, cols, 'prediction columns');
    }
    let total = 0;
    let wsum = 0;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      let hit = false;
      if (this.fromSortedIds) {
        // Keras compares the label with the first k ids (in ŷ's dtype) and counts a row once.
        const label = yTrue[r]!;
        for (let j = o; j < o + k && !hit; j++) hit = yPred[j] === label;
      } else {
        hit = inTopK(yPred, o, cols, yTrue[r]!, k);
      }
      if (hit) total += w;
      wsum += w;
    }
    this.total += total;
    this.count += wsum;
  }

  override validate(ctx: MetricContext): void {
    if (!ctx.sparseTargets && ctx.predWidth !== 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}) needs integer class-index targets, ` +
          `but the targets are [*, ${ctx.predWidth}]; use 'top_k_categorical_accuracy' for one-hot targets`,
      );
    }
    if (this.fromSortedIds) {
      if (ctx.predWidth < this.k) {
        throw new RangeError(`metric '${this.name}' (${this.className}): fromSortedIds needs at least k = ${this.k} sorted ids per row, got ${ctx.predWidth} columns`);
      }
    } else {
      checkKBelow(this, this.k, ctx.predWidth, "model's output columns");
    }
  }

  override getConfig(): MetricConfig {
    const config: MetricConfig = { ...super.getConfig(), k: this.k };
    if (this.fromSortedIds) config.fromSortedIds = true;
    return config;
  }
}

/** Binary accuracy; see {@link BinaryAccuracyOptions}. */
export function binaryAccuracy(options?: BinaryAccuracyOptions): BinaryAccuracy {
  return new BinaryAccuracy(options);
}

/** Categorical accuracy: argmax of prediction equals argmax of one-hot target. */
export function categoricalAccuracy(options?: CategoricalAccuracyOptions): CategoricalAccuracy {
  return new CategoricalAccuracy(options);
}

/** Sparse categorical accuracy: argmax of prediction equals the integer label. */
export function sparseCategoricalAccuracy(options?: SparseCategoricalAccuracyOptions): SparseCategoricalAccuracy {
  return new SparseCategoricalAccuracy(options);
}

/** Whether the target class is among the k highest predictions (default k 5); see {@link TopKCategoricalAccuracyOptions}. */
export function topKCategoricalAccuracy(options?: TopKCategoricalAccuracyOptions): TopKCategoricalAccuracy {
  return new TopKCategoricalAccuracy(options);
}

/** Whether the integer label is among the k highest predictions (default k 5); see {@link SparseTopKCategoricalAccuracyOptions}. */
export function sparseTopKCategoricalAccuracy(options?: SparseTopKCategoricalAccuracyOptions): SparseTopKCategoricalAccuracy {
  return new SparseTopKCategoricalAccuracy(options);
}
