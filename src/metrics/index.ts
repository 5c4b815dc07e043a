/**
 * Metric registry: the `metrics` namespace of factories and `resolveMetric`, which
 * turns a name into a Metric using Keras's 'accuracy' rule (B8): predWidth 1 →
 * binary; else sparse targets → sparse categorical; else categorical. The metric keeps
 * the name the user typed as its log key.
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

export { Metric } from './metric.js';
export type { BaseMetricOptions, MetricContext } from './metric.js';
export { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy } from './accuracy.js';
export type { BinaryAccuracyOptions, CategoricalAccuracyOptions, SparseCategoricalAccuracyOptions } from './accuracy.js';
export { MeanAbsoluteErrorMetric, MeanSquaredErrorMetric } from './regression.js';
export type { MeanAbsoluteErrorMetricOptions, MeanSquaredErrorMetricOptions } from './regression.js';

/** Metric factories, tfjs-style: `metrics.binaryAccuracy({ threshold: 0.7 })`. */
export const metrics = {
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  meanSquaredError,
  meanAbsoluteError,
} as const;

type Factory = (name: string, ctx: MetricContext) => Metric;

function accuracyFor(name: string, ctx: MetricContext): Metric {
  if (ctx.predWidth === 1) return binaryAccuracy({ name });
  if (ctx.sparseTargets) return sparseCategoricalAccuracy({ name });
  return categoricalAccuracy({ name });
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
]);

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
