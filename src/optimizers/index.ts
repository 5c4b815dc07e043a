/**
 * Optimizer registry: the `optimizers` factory namespace, lookup by name for
 * `compile({ optimizer: 'adam' })`, and re-creation from a saved (className, config).
 */
import { lookup } from '../core/errors.js';
import { Optimizer } from './optimizer.js';
import { SGD, sgd } from './sgd.js';
import { Adam, adam } from './adam.js';
import { AdamW, adamw } from './adamw.js';
import { RMSprop, rmsprop } from './rmsprop.js';
import { Adagrad, adagrad } from './adagrad.js';
import { Adamax, adamax } from './adamax.js';
import { Nadam, nadam } from './nadam.js';
import { Lion, lion } from './lion.js';
import { Adadelta, adadelta } from './adadelta.js';
import { Ftrl, ftrl } from './ftrl.js';

export { Optimizer } from './optimizer.js';
export type { ParamSegment, OptimizerOptions, OptimizerState, OptimizerStateInput } from './optimizer.js';
export { SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, Nadam, Lion, Adadelta, Ftrl };
export type { SGDOptions } from './sgd.js';
export type { AdamOptions } from './adam.js';
export type { AdamWOptions } from './adamw.js';
export type { RMSpropOptions } from './rmsprop.js';
export type { AdagradOptions } from './adagrad.js';
export type { AdamaxOptions } from './adamax.js';
export type { NadamOptions } from './nadam.js';
export type { LionOptions } from './lion.js';
export type { AdadeltaOptions } from './adadelta.js';
export type { FtrlOptions } from './ftrl.js';
export {
  schedules, LearningRateSchedule, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay,
  CosineDecayRestarts, serializeSchedule, deserializeSchedule,
} from './schedules.js';
export type {
  SerializedSchedule, ExponentialDecayOptions, InverseTimeDecayOptions, PiecewiseConstantDecayOptions, PolynomialDecayOptions,
  CosineDecayOptions, CosineDecayRestartsOptions,
} from './schedules.js';

/** Factories with Keras 3 defaults: `optimizers.adam({ learningRate: 0.01 })`. */
export const optimizers = { sgd, adam, adamw, rmsprop, adagrad, adamax, nadam, lion, adadelta, ftrl } as const;

/** Lower-case names accepted by getOptimizer; each builds the optimizer with defaults. */
const BY_NAME: ReadonlyMap<string, () => Optimizer> = new Map<string, () => Optimizer>([
  ['sgd', () => new SGD()],
  ['adam', () => new Adam()],
  ['adamw', () => new AdamW()],
  ['rmsprop', () => new RMSprop()],
  ['adagrad', () => new Adagrad()],
  ['adamax', () => new Adamax()],
  ['nadam', () => new Nadam()],
  ['lion', () => new Lion()],
  ['adadelta', () => new Adadelta()],
  ['ftrl', () => new Ftrl()],
]);

/** Keras class names, for configs saved by getConfig. */
const BY_CLASS: ReadonlyMap<string, (config: Record<string, unknown>) => Optimizer> = new Map<string, (config: Record<string, unknown>) => Optimizer>([
  ['SGD', (c) => SGD.fromConfig(c)],
  ['Adam', (c) => Adam.fromConfig(c)],
  ['AdamW', (c) => AdamW.fromConfig(c)],
  ['RMSprop', (c) => RMSprop.fromConfig(c)],
  ['Adagrad', (c) => Adagrad.fromConfig(c)],
  ['Adamax', (c) => Adamax.fromConfig(c)],
  ['Nadam', (c) => Nadam.fromConfig(c)],
  ['Lion', (c) => Lion.fromConfig(c)],
  ['Adadelta', (c) => Adadelta.fromConfig(c)],
  ['Ftrl', (c) => Ftrl.fromConfig(c)],
]);

/**
 * An optimizer from a name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adamax', 'nadam',
 * 'lion', 'adadelta', 'ftrl'; any case) with
 * Keras defaults, or the given instance unchanged.
 */
export function getOptimizer(id: string | Optimizer): Optimizer {
  if (id instanceof Optimizer) return id;
  if (typeof id !== 'string') {
    throw new TypeError(`optimizer must be a name or an Optimizer instance, got ${describe(id)}`);
  }
  const make = BY_NAME.get(id.toLowerCase()) ?? lookup(BY_NAME, id, 'optimizer');
  return make();
}

/** Re-create an optimizer from `className` and `getConfig()` output. */
export function optimizerFromConfig(className: string, config: Record<string, unknown>): Optimizer {
  if (typeof className !== 'string') {
    throw new TypeError(`optimizer className must be a string, got ${describe(className)}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`${className}: optimizer config must be an object, got ${describe(config)}`);
  }
  // Accept any case ('adam' for 'Adam'): names in hand-written configs vary.
  let make = BY_CLASS.get(className);
  if (make === undefined) {
    for (const [k, f] of BY_CLASS) if (k.toLowerCase() === className.toLowerCase()) make = f;
  }
  return (make ?? lookup(BY_CLASS, className, 'optimizer class'))(config);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
