/**
 * Metric registry: the `metrics` namespace of factories and `resolveMetric`, which
 * turns a name into a Metric using Keras's 'accuracy' rule (B8): predWidth 1 →
 * binary; else sparse targets → sparse categorical; else categorical. The metric keeps
 * the name the user typed as its log key.
 *
 * Classification metrics by name: 'precision', 'recall', 'auc' are Keras's defaults
 * (threshold 0.5; 200 thresholds, ROC). 'f1_score' / 'fbeta_score' would be per-class
 * vectors with Keras's defaults, which a log cannot hold, so by name they resolve to one
 * number: threshold 0.5 for a one-column output (the F1 of the positive class), average
 * 'macro' over the argmax for several columns. Pass metrics.f1Score({...}) for any other form.
 */
import { lookup } from '../core/errors.js';
import {
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
} from './accuracy.js';
import { Metric } from './metric.js';
import type { MetricContext } from './metric.js';
import { meanAbsoluteError, meanSquaredError } from './regression.js';
import { auc, precision, recall } from './confusion.js';
import { f1Score, fbetaScore } from './fscore.js';

export { Metric } from './metric.js';
export type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';
export { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy } from './accuracy.js';
export type { BinaryAccuracyOptions, CategoricalAccuracyOptions, SparseCategoricalAccuracyOptions } from './accuracy.js';
export { MeanAbsoluteErrorMetric, MeanSquaredErrorMetric } from './regression.js';
export type { MeanAbsoluteErrorMetricOptions, MeanSquaredErrorMetricOptions } from './regression.js';
export { AUC, Precision, Recall } from './confusion.js';
export type { AUCCurve, AUCOptions, AUCSummationMethod, PrecisionOptions, PrecisionRecallOptions, RecallOptions } from './confusion.js';
export { F1Score, FBetaScore } from './fscore.js';
export type { F1ScoreOptions, FBetaScoreOptions, FScoreAverage } from './fscore.js';
export { classificationReport, confusionMatrix, formatClassificationReport, prAuc, rocAuc } from './classification.js';
export type { ClassMetrics, ClassificationScores } from './classification.js';

/** Metric factories, tfjs-style: `metrics.binaryAccuracy({ threshold: 0.7 })`. */
export const metrics = {
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  meanSquaredError,
  meanAbsoluteError,
  precision,
  recall,
  auc,
  f1Score,
  fbetaScore,
} as const;

type Factory = (name: string, ctx: MetricContext) => Metric;

function accuracyFor(name: string, ctx: MetricContext): Metric {
  if (ctx.predWidth === 1) return binaryAccuracy({ name });
  if (ctx.sparseTargets) return sparseCategoricalAccuracy({ name });
  return categoricalAccuracy({ name });
}

/** F-scores by name: one number per log — the positive class's at 0.5 for one column, the macro average over the argmax for several. */
function f1For(name: string, ctx: MetricContext): Metric {
  return ctx.predWidth === 1 ? f1Score({ name, threshold: 0.5 }) : f1Score({ name, average: 'macro' });
}

function fbetaFor(name: string, ctx: MetricContext): Metric {
  return ctx.predWidth === 1 ? fbetaScore({ name, threshold: 0.5 }) : fbetaScore({ name, average: 'macro' });
}

const BY_NAME: ReadonlyMap<string, Factory> = new Map<string, Factory>([
  ['accuracy', accuracyFor],
  ['acc', accuracyFor],
  ['binary_accuracy', (name) => binaryAccuracy({ name })],
  ['binaryAccuracy', (name) => binaryAccuracy({ name })],
  ['categorical_accuracy', (name) => categoricalAccuracy({ name })],
  ['categoricalAccuracy', (name) => categoricalAccuracy({ name })],
  ['sparse_categorical_accuracy', (name) => sparseCategoricalAccuracy({ name })],
  ['sparseCategoricalAccuracy', (name) => sparseCategoricalAccuracy({ name })],
  ['mean_squared_error', (name) => meanSquaredError({ name })],
  ['meanSquaredError', (name) => meanSquaredError({ name })],
  ['mse', (name) => meanSquaredError({ name })],
  ['mean_absolute_error', (name) => meanAbsoluteError({ name })],
  ['meanAbsoluteError', (name) => meanAbsoluteError({ name })],
  ['mae', (name) => meanAbsoluteError({ name })],
  ['precision', (name) => precision({ name })],
  ['Precision', (name) => precision({ name })],
  ['recall', (name) => recall({ name })],
  ['Recall', (name) => recall({ name })],
  ['auc', (name) => auc({ name })],
  ['AUC', (name) => auc({ name })],
  ['f1_score', f1For],
  ['f1Score', f1For],
  ['F1Score', f1For],
  ['fbeta_score', fbetaFor],
  ['fbetaScore', fbetaFor],
  ['FBetaScore', fbetaFor],
]);

/**
 * Check a compile metric id without the model's shapes: a known name or a Metric
 * object (shape checks wait for resolveMetric, once the output widths are known).
 */
export function checkMetricId(id: string | Metric): void {
  if (id instanceof Metric) return;
  if (typeof id !== 'string') throw new TypeError(`metric must be a metric name or a Metric instance, got ${id === null ? 'null' : typeof id}`);
  lookup(BY_NAME, id, 'metric');
}

/**
 * A metric from its name (kept as the log key) or a Metric instance, checked against
 * the model's output width and target kind. Unknown names → RangeError listing the
 * valid names; a metric that cannot read these targets → RangeError.
 */
export function resolveMetric(id: string | Metric, ctx: MetricContext): Metric {
  let metric: Metric;
  if (id instanceof Metric) {
    metric = id;
  } else if (typeof id === 'string') {
    metric = lookup(BY_NAME, id, 'metric')(id, ctx);
  } else {
    throw new TypeError(`metric must be a metric name or a Metric instance, got ${id === null ? 'null' : typeof id}`);
  }
  metric.validate(ctx);
  return metric;
}
