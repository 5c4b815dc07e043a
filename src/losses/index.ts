/**
 * Loss registry: the `losses` namespace of factories, string lookup (`getLoss`, Keras
 * snake names, tfjs camel names and aliases) and `lossFromConfig`.
 */
import { lookup } from '../core/errors.js';
import { BinaryCrossentropy, binaryCrossentropy } from './binaryCrossentropy.js';
import {
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
} from './categoricalCrossentropy.js';
import {
  BinaryFocalCrossentropy,
  CategoricalFocalCrossentropy,
  binaryFocalCrossentropy,
  categoricalFocalCrossentropy,
} from './focal.js';
import { CategoricalHinge, Hinge, SquaredHinge, categoricalHinge, hinge, squaredHinge } from './hinge.js';
import { Loss, optionsFromConfig } from './loss.js';
import { KLDivergence, Poisson, kullbackLeiblerDivergence, poisson } from './probabilistic.js';
import { Pinball, pinball } from './quantile.js';
import {
  CosineSimilarity,
  Huber,
  LogCosh,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  cosineSimilarity,
  huber,
  logcosh,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  meanSquaredLogarithmicError,
} from './regression.js';

export { Loss, EPSILON, ONE_MINUS_EPSILON, checkTrainable, maskToWeights } from './loss.js';
export type { BaseLossOptions, LossConfig, Reduction } from './loss.js';
export { BinaryCrossentropy } from './binaryCrossentropy.js';
export type { BinaryCrossentropyOptions } from './binaryCrossentropy.js';
export { CategoricalCrossentropy, SparseCategoricalCrossentropy } from './categoricalCrossentropy.js';
export type { CategoricalCrossentropyOptions, SparseCategoricalCrossentropyOptions } from './categoricalCrossentropy.js';
export {
  CosineSimilarity,
  Huber,
  LogCosh,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
} from './regression.js';
export type {
  CosineSimilarityOptions,
  HuberOptions,
  LogCoshOptions,
  MeanAbsoluteErrorOptions,
  MeanAbsolutePercentageErrorOptions,
  MeanSquaredErrorOptions,
  MeanSquaredLogarithmicErrorOptions,
} from './regression.js';
export { CategoricalHinge, Hinge, SquaredHinge } from './hinge.js';
export type { CategoricalHingeOptions, HingeOptions, SquaredHingeOptions } from './hinge.js';
export { KLDivergence, Poisson } from './probabilistic.js';
export type { KLDivergenceOptions, PoissonOptions } from './probabilistic.js';
export { BinaryFocalCrossentropy, CategoricalFocalCrossentropy } from './focal.js';
export type { BinaryFocalCrossentropyOptions, CategoricalFocalCrossentropyOptions } from './focal.js';
export { Pinball } from './quantile.js';
export type { PinballOptions } from './quantile.js';

// The factories, also one by one (for modules such as metrics that wrap a loss).
export {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
  meanAbsoluteError,
  huber,
  meanAbsolutePercentageError,
  meanSquaredLogarithmicError,
  hinge,
  squaredHinge,
  categoricalHinge,
  logcosh,
  kullbackLeiblerDivergence,
  poisson,
  cosineSimilarity,
  binaryFocalCrossentropy,
  categoricalFocalCrossentropy,
};

/** Loss factories, tfjs-style: `losses.binaryCrossentropy({ fromLogits: true })`. */
export const losses = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
  meanAbsoluteError,
  huber,
  meanAbsolutePercentageError,
  meanSquaredLogarithmicError,
  hinge,
  squaredHinge,
  categoricalHinge,
  logcosh,
  kullbackLeiblerDivergence,
  poisson,
  cosineSimilarity,
  /** tfjs-layers' name of {@link cosineSimilarity} (the same value, −cos). */
  cosineProximity: cosineSimilarity,
  binaryFocalCrossentropy,
  categoricalFocalCrossentropy,
  /** Pinball (quantile) loss, as TensorFlow Addons' (Keras has none). */
  pinball,
} as const;

const BY_NAME: ReadonlyMap<string, () => Loss> = new Map<string, () => Loss>([
  ['binary_crossentropy', () => binaryCrossentropy()],
  ['binaryCrossentropy', () => binaryCrossentropy()],
  ['categorical_crossentropy', () => categoricalCrossentropy()],
  ['categoricalCrossentropy', () => categoricalCrossentropy()],
  ['sparse_categorical_crossentropy', () => sparseCategoricalCrossentropy()],
  ['sparseCategoricalCrossentropy', () => sparseCategoricalCrossentropy()],
  ['mean_squared_error', () => meanSquaredError()],
  ['meanSquaredError', () => meanSquaredError()],
  ['mse', () => meanSquaredError()],
  ['mean_absolute_error', () => meanAbsoluteError()],
  ['meanAbsoluteError', () => meanAbsoluteError()],
  ['mae', () => meanAbsoluteError()],
  ['huber', () => huber()],
  ['huber_loss', () => huber()],
  // Keras 3 aliases (ALL_OBJECTS_DICT) of the losses above
  ['bce', () => binaryCrossentropy()],
  ['BCE', () => binaryCrossentropy()],
  ['MSE', () => meanSquaredError()],
  ['MAE', () => meanAbsoluteError()],
  // Keras 3 function names and aliases, legacy Keras names, tfjs-layers names
  ['mean_absolute_percentage_error', () => meanAbsolutePercentageError()],
  ['meanAbsolutePercentageError', () => meanAbsolutePercentageError()],
  ['mape', () => meanAbsolutePercentageError()],
  ['MAPE', () => meanAbsolutePercentageError()],
  ['mean_squared_logarithmic_error', () => meanSquaredLogarithmicError()],
  ['meanSquaredLogarithmicError', () => meanSquaredLogarithmicError()],
  ['msle', () => meanSquaredLogarithmicError()],
  ['MSLE', () => meanSquaredLogarithmicError()],
  ['hinge', () => hinge()],
  ['squared_hinge', () => squaredHinge()],
  ['squaredHinge', () => squaredHinge()],
  ['categorical_hinge', () => categoricalHinge()],
  ['categoricalHinge', () => categoricalHinge()],
  ['log_cosh', () => logcosh()],
  ['logcosh', () => logcosh()],
  ['logCosh', () => logcosh()],
  ['kl_divergence', () => kullbackLeiblerDivergence()],
  ['kullback_leibler_divergence', () => kullbackLeiblerDivergence()],
  ['kullbackLeiblerDivergence', () => kullbackLeiblerDivergence()],
  ['klDivergence', () => kullbackLeiblerDivergence()],
  ['kld', () => kullbackLeiblerDivergence()],
  ['KLD', () => kullbackLeiblerDivergence()],
  ['poisson', () => poisson()],
  ['cosine_similarity', () => cosineSimilarity()],
  ['cosineSimilarity', () => cosineSimilarity()],
  ['cosineProximity', () => cosineSimilarity()],
  ['cosine', () => cosineSimilarity()],
  ['binary_focal_crossentropy', () => binaryFocalCrossentropy()],
  ['binaryFocalCrossentropy', () => binaryFocalCrossentropy()],
  ['categorical_focal_crossentropy', () => categoricalFocalCrossentropy()],
  ['categoricalFocalCrossentropy', () => categoricalFocalCrossentropy()],
  // TensorFlow Addons' names (not in Keras)
  ['pinball_loss', () => pinball()],
  ['pinballLoss', () => pinball()],
]);

/**
 * A loss from its name (Keras snake_case, tfjs camelCase or alias such as 'mse'),
 * with default options; a Loss instance is returned as is.
 */
export function getLoss(id: string | Loss): Loss {
  if (id instanceof Loss) return id;
  if (typeof id !== 'string') {
    throw new TypeError(`loss must be a loss name or a Loss instance, got ${describe(id)}`);
  }
  return lookup(BY_NAME, id, 'loss')();
}

type LossCtor = new (options?: Record<string, unknown>) => Loss;

const BY_CLASS: ReadonlyMap<string, LossCtor> = new Map<string, LossCtor>([
  ['BinaryCrossentropy', BinaryCrossentropy as LossCtor],
  ['CategoricalCrossentropy', CategoricalCrossentropy as LossCtor],
  ['SparseCategoricalCrossentropy', SparseCategoricalCrossentropy as LossCtor],
  ['MeanSquaredError', MeanSquaredError as LossCtor],
  ['MeanAbsoluteError', MeanAbsoluteError as LossCtor],
  ['Huber', Huber as LossCtor],
  ['MeanAbsolutePercentageError', MeanAbsolutePercentageError as LossCtor],
  ['MeanSquaredLogarithmicError', MeanSquaredLogarithmicError as LossCtor],
  ['Hinge', Hinge as LossCtor],
  ['SquaredHinge', SquaredHinge as LossCtor],
  ['CategoricalHinge', CategoricalHinge as LossCtor],
  ['LogCosh', LogCosh as LossCtor],
  ['KLDivergence', KLDivergence as LossCtor],
  ['Poisson', Poisson as LossCtor],
  ['CosineSimilarity', CosineSimilarity as LossCtor],
  ['BinaryFocalCrossentropy', BinaryFocalCrossentropy as LossCtor],
  ['CategoricalFocalCrossentropy', CategoricalFocalCrossentropy as LossCtor],
  ['PinballLoss', Pinball as LossCtor],
]);

/**
 * Rebuild a loss from `className` and `getConfig()` output. Also reads Keras configs:
 * snake_case keys become camelCase, `name`, `dtype` and `axis: -1` are dropped (the name
 * is fixed per class; dtype and last-axis reduction are implied), and a null (Python
 * None) `reduction` is Keras's 'none'.
 */
export function lossFromConfig(className: string, config: Readonly<Record<string, unknown>> = {}): Loss {
  if (typeof className !== 'string') {
    throw new TypeError(`loss className must be a string, got ${describe(className)}`);
  }
  const ctor = lookup(BY_CLASS, className, 'loss class');
  return new ctor(optionsFromConfig(config, className));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
