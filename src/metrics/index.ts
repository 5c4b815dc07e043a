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
 *
 * Names follow Keras 3 (class names and their snake_case, plus its aliases 'bce', 'BCE',
 * 'mse', 'MSE', 'mae', 'MAE', 'mape', 'MAPE', 'msle', 'MSLE') and tfjs (camelCase factory names, and
 * 'cosine' / 'cosineProximity', tfjs's negative cosine). The top-k accuracies by name
 * take Keras's k = 5.
 */
import { lookup } from '../core/errors.js';
import { show, table } from '../core/errors.js';
import {
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  topKCategoricalAccuracy,
} from './accuracy.js';
import { Metric } from './metric.js';
import type { MetricConfig, MetricContext } from './metric.js';
import {
  cosineProximity,
  cosineSimilarity,
  logCoshError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  meanSquaredLogarithmicError,
  rootMeanSquaredError,
} from './regression.js';
import { r2Score } from './r2.js';
import {
  binaryCrossentropyMetric,
  categoricalCrossentropyMetric,
  categoricalHingeMetric,
  hingeMetric,
  klDivergenceMetric,
  poissonMetric,
  sparseCategoricalCrossentropyMetric,
  squaredHingeMetric,
} from './probabilistic.js';
import { auc, precision, recall } from './confusion.js';
import { f1Score, fbetaScore } from './fscore.js';

export { Metric } from './metric.js';
export type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';
export { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy } from './accuracy.js';
export type {
  BinaryAccuracyOptions,
  CategoricalAccuracyOptions,
  SparseCategoricalAccuracyOptions,
  SparseTopKCategoricalAccuracyOptions,
  TopKCategoricalAccuracyOptions,
} from './accuracy.js';
export {
  CosineProximity,
  CosineSimilarity,
  LogCoshError,
  MeanAbsoluteErrorMetric,
  MeanAbsolutePercentageError,
  MeanSquaredErrorMetric,
  MeanSquaredLogarithmicError,
  RootMeanSquaredError,
} from './regression.js';
export type {
  CosineSimilarityOptions,
  LogCoshErrorOptions,
  MeanAbsoluteErrorMetricOptions,
  MeanAbsolutePercentageErrorOptions,
  MeanSquaredErrorMetricOptions,
  MeanSquaredLogarithmicErrorOptions,
  RootMeanSquaredErrorOptions,
} from './regression.js';
export { R2Score } from './r2.js';
export { LossMetric } from './probabilistic.js';
export type {
  BinaryCrossentropyMetricOptions,
  CategoricalCrossentropyMetricOptions,
  CategoricalHingeMetricOptions,
  HingeMetricOptions,
  KLDivergenceMetricOptions,
  PoissonMetricOptions,
  SparseCategoricalCrossentropyMetricOptions,
  SquaredHingeMetricOptions,
} from './probabilistic.js';
export type { R2ClassAggregation, R2ScoreOptions } from './r2.js';
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
  topKCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  meanSquaredError,
  meanAbsoluteError,
  rootMeanSquaredError,
  meanAbsolutePercentageError,
  meanSquaredLogarithmicError,
  logCoshError,
  cosineSimilarity,
  cosineProximity,
  r2Score,
  binaryCrossentropy: binaryCrossentropyMetric,
  categoricalCrossentropy: categoricalCrossentropyMetric,
  sparseCategoricalCrossentropy: sparseCategoricalCrossentropyMetric,
  klDivergence: klDivergenceMetric,
  poisson: poissonMetric,
  hinge: hingeMetric,
  squaredHinge: squaredHingeMetric,
  categoricalHinge: categoricalHingeMetric,
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
  ['top_k_categorical_accuracy', (name) => topKCategoricalAccuracy({ name })],
  ['topKCategoricalAccuracy', (name) => topKCategoricalAccuracy({ name })],
  ['TopKCategoricalAccuracy', (name) => topKCategoricalAccuracy({ name })],
  ['sparse_top_k_categorical_accuracy', (name) => sparseTopKCategoricalAccuracy({ name })],
  ['sparseTopKCategoricalAccuracy', (name) => sparseTopKCategoricalAccuracy({ name })],
  ['SparseTopKCategoricalAccuracy', (name) => sparseTopKCategoricalAccuracy({ name })],
  ['mean_squared_error', (name) => meanSquaredError({ name })],
  ['meanSquaredError', (name) => meanSquaredError({ name })],
  ['MeanSquaredError', (name) => meanSquaredError({ name })],
  ['mse', (name) => meanSquaredError({ name })],
  ['MSE', (name) => meanSquaredError({ name })],
  ['mean_absolute_error', (name) => meanAbsoluteError({ name })],
  ['meanAbsoluteError', (name) => meanAbsoluteError({ name })],
  ['MeanAbsoluteError', (name) => meanAbsoluteError({ name })],
  ['mae', (name) => meanAbsoluteError({ name })],
  ['MAE', (name) => meanAbsoluteError({ name })],
  ['root_mean_squared_error', (name) => rootMeanSquaredError({ name })],
  ['rootMeanSquaredError', (name) => rootMeanSquaredError({ name })],
  ['RootMeanSquaredError', (name) => rootMeanSquaredError({ name })],
  ['mean_absolute_percentage_error', (name) => meanAbsolutePercentageError({ name })],
  ['meanAbsolutePercentageError', (name) => meanAbsolutePercentageError({ name })],
  ['MeanAbsolutePercentageError', (name) => meanAbsolutePercentageError({ name })],
  ['mape', (name) => meanAbsolutePercentageError({ name })],
  ['MAPE', (name) => meanAbsolutePercentageError({ name })],
  ['mean_squared_logarithmic_error', (name) => meanSquaredLogarithmicError({ name })],
  ['meanSquaredLogarithmicError', (name) => meanSquaredLogarithmicError({ name })],
  ['MeanSquaredLogarithmicError', (name) => meanSquaredLogarithmicError({ name })],
  ['msle', (name) => meanSquaredLogarithmicError({ name })],
  ['MSLE', (name) => meanSquaredLogarithmicError({ name })],
  ['logcosh', (name) => logCoshError({ name })],
  ['log_cosh_error', (name) => logCoshError({ name })],
  ['logCoshError', (name) => logCoshError({ name })],
  ['LogCoshError', (name) => logCoshError({ name })],
  ['cosine_similarity', (name) => cosineSimilarity({ name })],
  ['cosineSimilarity', (name) => cosineSimilarity({ name })],
  ['CosineSimilarity', (name) => cosineSimilarity({ name })],
  ['cosine', (name) => cosineProximity({ name })],
  ['cosineProximity', (name) => cosineProximity({ name })],
  ['binary_crossentropy', (name) => binaryCrossentropyMetric({ name })],
  ['binaryCrossentropy', (name) => binaryCrossentropyMetric({ name })],
  ['BinaryCrossentropy', (name) => binaryCrossentropyMetric({ name })],
  ['bce', (name) => binaryCrossentropyMetric({ name })],
  ['BCE', (name) => binaryCrossentropyMetric({ name })],
  ['categorical_crossentropy', (name) => categoricalCrossentropyMetric({ name })],
  ['categoricalCrossentropy', (name) => categoricalCrossentropyMetric({ name })],
  ['CategoricalCrossentropy', (name) => categoricalCrossentropyMetric({ name })],
  ['sparse_categorical_crossentropy', (name) => sparseCategoricalCrossentropyMetric({ name })],
  ['sparseCategoricalCrossentropy', (name) => sparseCategoricalCrossentropyMetric({ name })],
  ['SparseCategoricalCrossentropy', (name) => sparseCategoricalCrossentropyMetric({ name })],
  ['kl_divergence', (name) => klDivergenceMetric({ name })],
  ['klDivergence', (name) => klDivergenceMetric({ name })],
  ['KLDivergence', (name) => klDivergenceMetric({ name })],
  ['poisson', (name) => poissonMetric({ name })],
  ['Poisson', (name) => poissonMetric({ name })],
  ['hinge', (name) => hingeMetric({ name })],
  ['Hinge', (name) => hingeMetric({ name })],
  ['squared_hinge', (name) => squaredHingeMetric({ name })],
  ['squaredHinge', (name) => squaredHingeMetric({ name })],
  ['SquaredHinge', (name) => squaredHingeMetric({ name })],
  ['categorical_hinge', (name) => categoricalHingeMetric({ name })],
  ['categoricalHinge', (name) => categoricalHingeMetric({ name })],
  ['CategoricalHinge', (name) => categoricalHingeMetric({ name })],
  ['r2_score', (name) => r2Score({ name })],
  ['r2Score', (name) => r2Score({ name })],
  ['R2Score', (name) => r2Score({ name })],
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

/** Keras 3 metrics rnnkit does not build, by class name (their snake_case names are refused too). */
const NOT_BUILT: Readonly<Record<string, string>> = table({
  Accuracy: "Keras's Accuracy counts exact equality ŷ == y; for classification use 'accuracy' (binary, categorical or sparse from the shapes)",
  IoU: 'the IoU metrics are not built',
  BinaryIoU: 'the IoU metrics are not built',
  MeanIoU: 'the IoU metrics are not built',
  OneHotIoU: 'the IoU metrics are not built',
  OneHotMeanIoU: 'the IoU metrics are not built',
  TruePositives: "the raw confusion counts are not built as metrics; metrics.precision(…).confusion() returns them",
  FalsePositives: "the raw confusion counts are not built as metrics; metrics.precision(…).confusion() returns them",
  TrueNegatives: "the raw confusion counts are not built as metrics; metrics.precision(…).confusion() returns them",
  FalseNegatives: "the raw confusion counts are not built as metrics; metrics.precision(…).confusion() returns them",
  PrecisionAtRecall: 'the metrics at a fixed operating point are not built; metrics.auc(…).confusion() gives the counts per threshold',
  RecallAtPrecision: 'the metrics at a fixed operating point are not built; metrics.auc(…).confusion() gives the counts per threshold',
  SensitivityAtSpecificity: 'the metrics at a fixed operating point are not built; metrics.auc(…).confusion() gives the counts per threshold',
  SpecificityAtSensitivity: 'the metrics at a fixed operating point are not built; metrics.auc(…).confusion() gives the counts per threshold',
  PearsonCorrelation: 'the correlation metrics are not built',
  ConcordanceCorrelation: 'the correlation metrics are not built',
  Mean: 'the generic reduction metrics (Mean, Sum, MeanMetricWrapper) are not built; pass a named metric or a Metric subclass',
  Sum: 'the generic reduction metrics (Mean, Sum, MeanMetricWrapper) are not built; pass a named metric or a Metric subclass',
  MeanMetricWrapper: 'the generic reduction metrics (Mean, Sum, MeanMetricWrapper) are not built; pass a named metric or a Metric subclass',
});

/** Keras's to_snake_case of a class name ('MeanIoU' → 'mean_io_u', as Keras spells it). */
const snakeOf = (name: string): string => name.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
const NOT_BUILT_BY_NAME: ReadonlyMap<string, string> = new Map(Object.keys(NOT_BUILT).flatMap((c) => [[c, c], [snakeOf(c), c]] as [string, string][]));

/** A known name's factory, or an error: Keras metrics rnnkit does not build say so by name. */
function factoryFor(id: string): Factory {
  const refused = NOT_BUILT_BY_NAME.get(id);
  if (refused !== undefined && !BY_NAME.has(id)) throw new RangeError(`metric ${JSON.stringify(id)} (Keras ${refused}) is not supported: ${NOT_BUILT[refused]}`);
  return lookup(BY_NAME, id, 'metric');
}

/**
 * Check a compile metric id without the model's shapes: a known name or a Metric
 * object (shape checks wait for resolveMetric, once the output widths are known).
 */
export function checkMetricId(id: string | Metric | MetricJson): void {
  if (id instanceof Metric) return;
  if (isMetricJson(id)) {
    metricFromJson(id);
    return;
  }
  if (typeof id !== 'string') throw new TypeError(`metric must be a metric name or a Metric instance, got ${id === null ? 'null' : typeof id}`);
  factoryFor(id);
}

/** A metric as a saved training config holds it when its name alone would not rebuild it. */
export interface MetricJson {
  class_name: string;
  config?: Record<string, unknown>;
}

function isMetricJson(v: unknown): v is MetricJson {
  return v !== null && typeof v === 'object' && !(v instanceof Metric) && typeof (v as MetricJson).class_name === 'string';
}

function metricFromJson(j: MetricJson): Metric {
  const config = j.config ?? {};
  return metricFromConfig(j.class_name, config, `metric ${JSON.stringify(j.class_name)}`);
}

/**
 * What a saved training config writes for a compiled metric: its name when the name
 * alone rebuilds the same metric for this output (every metric compiled by name, and
 * objects equal to their name's defaults, e.g. metrics.precision()), so tfjs and older
 * rnnkit read the file as before; otherwise {class_name, config}, which resolveMetric
 * reads back — never a name that would silently rebuild other options (a
 * metrics.topKCategoricalAccuracy({k: 2}) saved as 'top_k_categorical_accuracy').
 */
export function metricToJson(metric: Metric, ctx: MetricContext): string | MetricJson {
  const make = BY_NAME.get(metric.name);
  if (make !== undefined) {
    try {
      const byName = make(metric.name, ctx);
      if (byName.className === metric.className && JSON.stringify(byName.getConfig()) === JSON.stringify(metric.getConfig())) return metric.name;
    } catch {
      // the name's default does not fit this output: write the object
    }
  }
  return { class_name: metric.className, config: metric.getConfig() };
}

/**
 * A metric from its name (kept as the log key), a Metric instance, or the {class_name,
 * config} a saved training config holds, checked against the model's output width and
 * target kind. Unknown names → RangeError listing the
 * valid names; a metric that cannot read these targets → RangeError.
 */
export function resolveMetric(id: string | Metric | MetricJson, ctx: MetricContext): Metric {
  let metric: Metric;
  if (id instanceof Metric) {
    metric = id;
  } else if (isMetricJson(id)) {
    metric = metricFromJson(id);
  } else if (typeof id === 'string') {
    metric = factoryFor(id)(id, ctx);
  } else {
    throw new TypeError(`metric must be a metric name or a Metric instance, got ${id === null ? 'null' : typeof id}`);
  }
  metric.validate(ctx);
  return metric;
}

/** Every metric class by its className, built from its getConfig() (camelCase keys). */
const BY_CLASS: Readonly<Record<string, (config: Record<string, unknown>) => Metric>> = table({
  BinaryAccuracy: (c) => binaryAccuracy(c),
  CategoricalAccuracy: (c) => categoricalAccuracy(c),
  SparseCategoricalAccuracy: (c) => sparseCategoricalAccuracy(c),
  TopKCategoricalAccuracy: (c) => topKCategoricalAccuracy(c),
  SparseTopKCategoricalAccuracy: (c) => sparseTopKCategoricalAccuracy(c),
  MeanSquaredError: (c) => meanSquaredError(c),
  MeanAbsoluteError: (c) => meanAbsoluteError(c),
  RootMeanSquaredError: (c) => rootMeanSquaredError(c),
  MeanAbsolutePercentageError: (c) => meanAbsolutePercentageError(c),
  MeanSquaredLogarithmicError: (c) => meanSquaredLogarithmicError(c),
  LogCoshError: (c) => logCoshError(c),
  CosineSimilarity: (c) => cosineSimilarity(c),
  CosineProximity: (c) => cosineProximity(c),
  R2Score: (c) => r2Score(c),
  BinaryCrossentropy: (c) => binaryCrossentropyMetric(c),
  CategoricalCrossentropy: (c) => categoricalCrossentropyMetric(c),
  SparseCategoricalCrossentropy: (c) => sparseCategoricalCrossentropyMetric(c),
  KLDivergence: (c) => klDivergenceMetric(c),
  Poisson: (c) => poissonMetric(c),
  Hinge: (c) => hingeMetric(c),
  SquaredHinge: (c) => squaredHingeMetric(c),
  CategoricalHinge: (c) => categoricalHingeMetric(c),
  Precision: (c) => precision(c),
  Recall: (c) => recall(c),
  AUC: (c) => auc(c),
  F1Score: (c) => f1Score(c),
  FBetaScore: (c) => fbetaScore(c),
});

/** A metric's JSON form {className, config}: `metricFromConfig` rebuilds the same metric from it. */
export function serializeMetric(metric: Metric): { className: string; config: MetricConfig } {
  return { className: metric.className, config: metric.getConfig() };
}

/**
 * Rebuild a metric from its className and config (as `serializeMetric` writes them);
 * unknown classes and unknown config keys are errors naming them.
 */
export function metricFromConfig(className: string, config: Readonly<Record<string, unknown>> = {}, where = 'metric'): Metric {
  const make = typeof className === 'string' ? BY_CLASS[className] : undefined;
  if (make === undefined) throw new RangeError(`${where}: unknown metric class ${show(className)}; supported: ${Object.keys(BY_CLASS).join(', ')}`);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`${where}: a metric config must be an object, got ${show(config)}`);
  return make({ ...config });
}
