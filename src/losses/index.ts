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
import { Loss } from './loss.js';
import {
  Huber,
  MeanAbsoluteError,
  MeanSquaredError,
  huber,
  meanAbsoluteError,
  meanSquaredError,
} from './regression.js';

export { Loss, EPSILON, ONE_MINUS_EPSILON, maskToWeights } from './loss.js';
export type { BaseLossOptions, LossConfig, Reduction } from './loss.js';
export { BinaryCrossentropy } from './binaryCrossentropy.js';
export type { BinaryCrossentropyOptions } from './binaryCrossentropy.js';
export { CategoricalCrossentropy, SparseCategoricalCrossentropy } from './categoricalCrossentropy.js';
export type { CategoricalCrossentropyOptions, SparseCategoricalCrossentropyOptions } from './categoricalCrossentropy.js';
export { Huber, MeanAbsoluteError, MeanSquaredError } from './regression.js';
export type { HuberOptions, MeanAbsoluteErrorOptions, MeanSquaredErrorOptions } from './regression.js';

/** Loss factories, tfjs-style: `losses.binaryCrossentropy({ fromLogits: true })`. */
export const losses = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
  meanAbsoluteError,
  huber,
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
]);

/**
 * Rebuild a loss from `className` and `getConfig()` output. Also reads Keras configs:
 * snake_case keys become camelCase, and `name`, `dtype` and `axis: -1` are dropped
 * (the name is fixed per class; dtype and last-axis reduction are implied).
 */
export function lossFromConfig(className: string, config: Readonly<Record<string, unknown>> = {}): Loss {
  if (typeof className !== 'string') {
    throw new TypeError(`loss className must be a string, got ${describe(className)}`);
  }
  const ctor = lookup(BY_CLASS, className, 'loss class');
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`${className}: config must be an object, got ${describe(config)}`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (camel === 'name' || camel === 'dtype') continue;
    if (camel === 'axis' && value === -1) continue;
    options[camel] = value;
  }
  return new ctor(options);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
