/**
 * The training config in the form TensorFlow.js reads, next to rnnkit's own.
 *
 * tfjs-layers 4.22 (`LayersModel.loadTrainingConfig`, engine/training.ts) takes the loss
 * and each metric as a name — it camel-cases the string and looks it up in its
 * `lossesMap` / `metricsMap` ('accuracy', 'acc', 'crossentropy', 'ce' resolved from the
 * loss) — refuses `loss_weights`, `weighted_metrics` and `sample_weight_mode`, and builds
 * the optimizer from `optimizer_config` through tfjs-core's class registry ('SGD',
 * 'Adam', 'RMSProp', 'Adagrad', 'Adadelta', 'Adamax', 'Momentum', each `fromConfig` reading
 * its own camelCase keys). Its `setWeights` then takes the optimizer's state as a list:
 * the iteration count first, then one tensor per trainable weight for each slot, slot
 * after slot (Adam: every first moment, then every second moment).
 *
 * Here each loss, metric and optimizer rnnkit has is mapped to the tfjs one that computes
 * the same numbers; what tfjs has not, or has with other numbers (Huber, hinge without
 * Keras's 0/1 → ±1 labels, a stateful Precision, Nadam, clipnorm, schedules…), gets a name
 * tfjs does not know, so that `tf.loadLayersModel` refuses the file naming it instead of
 * training something else. rnnkit itself reads its exact form, kept beside (saving.ts).
 */
import type { Loss } from '../losses/index.js';
import { lossFromConfig } from '../losses/index.js';
import { metricFromConfig, type Metric } from '../metrics/index.js';
import type { Optimizer } from '../optimizers/index.js';

/** rnnkit loss class → tfjs-layers loss name (snake case, as tfjs's own save writes it). */
const TFJS_LOSSES: Readonly<Record<string, string>> = {
  MeanSquaredError: 'mean_squared_error',
  MeanAbsoluteError: 'mean_absolute_error',
  MeanAbsolutePercentageError: 'mean_absolute_percentage_error',
  MeanSquaredLogarithmicError: 'mean_squared_logarithmic_error',
  CategoricalHinge: 'categorical_hinge',
  LogCosh: 'logcosh',
  CategoricalCrossentropy: 'categorical_crossentropy',
  SparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  BinaryCrossentropy: 'binary_crossentropy',
  KLDivergence: 'kullback_leibler_divergence',
  Poisson: 'poisson',
  // tfjs's cosineProximity is −Σ ŷ·y of the L2-normalized rows: Keras 3's loss value.
  CosineSimilarity: 'cosine_proximity',
  // Not Hinge / SquaredHinge: Keras (and rnnkit) turn 0/1 labels into ±1 first, tfjs never does.
};

/**
 * rnnkit metric class → tfjs metric name, written camel-cased: tfjs camel-cases a list's
 * strings but passes a multi-output model's per-output lists through untouched.
 */
const TFJS_METRICS: Readonly<Record<string, string>> = {
  BinaryAccuracy: 'binaryAccuracy',
  CategoricalAccuracy: 'categoricalAccuracy',
  MeanSquaredError: 'mse',
  MeanAbsoluteError: 'mae',
  MeanAbsolutePercentageError: 'mape',
  CategoricalCrossentropy: 'categoricalCrossentropy',
  SparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  // Not 'precision': tfjs's counts only predictions exactly equal to 1, per batch.
};

/** Configs equal apart from the name (the name does not change a value). */
function sameConfig(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const { name: _a, ...ra } = a;
  const { name: _b, ...rb } = b;
  return JSON.stringify(ra) === JSON.stringify(rb);
}

/** The loss as tfjs names it, or (no equivalent: tfjs refuses it) its rnnkit class name. */
export function tfjsLossName(loss: Loss): string {
  const name = TFJS_LOSSES[loss.className];
  if (name === undefined) return loss.className;
  const defaults = lossFromConfig(loss.className, {}).getConfig() as unknown as Record<string, unknown>;
  return sameConfig(loss.getConfig() as unknown as Record<string, unknown>, defaults) ? name : loss.className;
}

/**
 * The metric as tfjs names it, or (no equivalent: tfjs's compile says "Unknown metric …")
 * its rnnkit class name. `tfjsLoss` and `predWidth` decide what tfjs's 'accuracy' would be.
 */
export function tfjsMetricName(metric: Metric, tfjsLoss: string | null, predWidth: number): string {
  // tfjs has no sparse accuracy by name; its 'accuracy' is the sparse one after a sparse
  // categorical crossentropy loss on a prediction wider than 1.
  const name = metric.className === 'SparseCategoricalAccuracy' ? (tfjsLoss === 'sparse_categorical_crossentropy' && predWidth !== 1 ? 'accuracy' : undefined) : TFJS_METRICS[metric.className];
  if (name === undefined) return metric.className;
  let defaults: Record<string, unknown>;
  try {
    defaults = metricFromConfig(metric.className, {}).getConfig() as unknown as Record<string, unknown>;
  } catch {
    return metric.className; // a class without defaults for every option
  }
  return sameConfig(metric.getConfig() as unknown as Record<string, unknown>, defaults) ? name : metric.className;
}

/** How an optimizer goes to tfjs: its config, and its slots in the order tfjs's setWeights takes them. */
export interface TfjsOptimizer {
  config: { class_name: string; config: Record<string, number | boolean> };
  /**
   * rnnkit slot names in tfjs's order; null where tfjs wants a slot rnnkit has not (RMSprop
   * without momentum: tfjs keeps moments it multiplies by 0), written as zeros.
   */
  slots: (string | null)[];
}

/** A slot tfjs keeps that rnnkit has not (always zero); loading skips it. */
export const TFJS_ONLY_SLOT = 'tfjsOnly';

/**
 * The tfjs optimizer that performs the same update, or (`refused`) the class name to write
 * instead: one tfjs does not have, saying why. tfjs has no weight decay, gradient
 * clipping, EMA, loss scaling, gradient accumulation or learning-rate schedules. Its Adam
 * adds ε to the bias-corrected √v̂ where Keras adds it to √v (the same rule with ε scaled by
 * √(1 − β2^t)); that one is accepted as Adam (tfjs reads Keras's Adam configs so too) and
 * the difference is measured in the README. Its Adadelta divides by the gradient average
 * from before the step, its centered RMSProp subtracts ε under the root: refused.
 */
export function tfjsOptimizer(o: Optimizer): TfjsOptimizer | { refused: string } {
  const cls = o.className;
  const extras = ([
    ['learningRate schedule', o.learningRateSchedule !== null],
    ['weightDecay', o.weightDecay !== undefined && o.weightDecay !== 0],
    ['clipnorm', o.clipnorm !== undefined],
    ['clipvalue', o.clipvalue !== undefined],
    ['globalClipnorm', o.globalClipnorm !== undefined],
    ['useEma', o.useEma],
    ['lossScaleFactor', o.lossScaleFactor !== undefined],
    ['gradientAccumulationSteps', o.gradientAccumulationSteps !== undefined],
  ] as const).filter(([, set]) => set).map(([k]) => k);
  if (extras.length > 0) return { refused: notInTfjs(cls, extras.join(', ')) };
  const lr = o.learningRate;
  const h = o as unknown as Record<string, number | boolean>;
  switch (cls) {
    case 'SGD':
      // tfjs's Momentum keeps Σ g where Keras keeps −lr·Σ g: the same only while lr is constant.
      if (h['momentum'] !== 0) return { refused: 'SGD with momentum (TensorFlow.js Momentum keeps another state)' };
      return { config: { class_name: 'SGD', config: { learningRate: lr } }, slots: [] };
    case 'Adam':
      if (h['amsgrad'] === true) return { refused: notInTfjs(cls, 'amsgrad') };
      return { config: { class_name: 'Adam', config: { learningRate: lr, beta1: h['beta1']!, beta2: h['beta2']!, epsilon: h['epsilon']! } }, slots: ['momentum', 'velocity'] };
    case 'RMSprop':
      if (h['centered'] === true) return { refused: 'RMSprop centered (TensorFlow.js RMSProp subtracts epsilon under the root)' };
      return {
        config: { class_name: 'RMSProp', config: { learningRate: lr, decay: h['rho']!, momentum: h['momentum']!, epsilon: h['epsilon']!, centered: false } },
        slots: ['velocity', h['momentum'] === 0 ? null : 'momentum'],
      };
    case 'Adagrad':
      // tfjs adds the backend's ε (1e-7 on the CPU and WebAssembly backends) and takes no other.
      if (h['epsilon'] !== 1e-7) return { refused: notInTfjs(cls, `epsilon ${String(h['epsilon'])}`) };
      return { config: { class_name: 'Adagrad', config: { learningRate: lr, initialAccumulatorValue: h['initialAccumulatorValue']! } }, slots: ['accumulator'] };
    case 'Adamax':
      // (tfjs 4.22's Adamax cannot take a saved state: its setWeights throws, saying so.)
      return { config: { class_name: 'Adamax', config: { learningRate: lr, beta1: h['beta1']!, beta2: h['beta2']!, epsilon: h['epsilon']!, decay: 0 } }, slots: ['momentum', 'norm'] };
    case 'Adadelta':
      return { refused: 'Adadelta (Keras rule; TensorFlow.js Adadelta divides by the previous gradient average)' };
    default:
      return { refused: notInTfjs(cls, '') };
  }
}

/** A class name tfjs's registry has not (no underscores: tfjs camel-cases them away). */
export function notInTfjs(className: string, what: string): string {
  return `${className}${what === '' ? '' : ` with ${what}`} (not in TensorFlow.js)`;
}
