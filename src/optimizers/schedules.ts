/**
 * Learning-rate schedules, Keras 3 (`keras/optimizers/schedules/learning_rate_schedule.py`):
 * objects mapping the optimizer's step count to a learning rate. Pass one as any
 * optimizer's `learningRate`; the optimizer evaluates it at its step count before each
 * update (Keras: `learning_rate(self._iterations)` before the counter is incremented, so
 * the first update uses the value at step 0).
 *
 * Values are computed in float64; Keras computes them in float32 (the dtype of
 * `initial_learning_rate`), so the two agree to about 1e-7 relative.
 *
 * In the training step a schedule writes its value into a Float64Array (`write`) instead of
 * returning it: a double returned from a call V8 does not inline is boxed (allocated).
 * `call(step)` is the convenient form for users and tests.
 *
 * Serialized as Keras 3 writes a built-in object: `{module: 'keras.optimizers.schedules',
 * class_name, config, registered_name: null}`; the config keys are camelCase like every
 * rnnkit config, with every key written (Keras writes `warmup_target: None` as well).
 */
import { checkBoolean, checkNumberIn, checkOptions, show, table } from '../core/errors.js';

/** The `module` Keras 3 writes for its built-in schedules. */
export const SCHEDULES_MODULE = 'keras.optimizers.schedules';

/** A schedule as saved in an optimizer config (Keras 3 `serialize_keras_object`). */
export interface SerializedSchedule {
  module: string;
  class_name: string;
  config: Record<string, unknown>;
  registered_name: string | null;
}

/**
 * Base class. A custom schedule overrides `call(step)` (and `getConfig` to be saved);
 * built-in ones override `write` as well, so the training step allocates nothing.
 */
export abstract class LearningRateSchedule {
  /** Keras class name, e.g. 'ExponentialDecay'. */
  abstract readonly className: string;

  /** The learning rate at `step` (the optimizer's step count, from 0). */
  abstract call(step: number): number;

  /** Write the rate at `step` into out[0]: the form the optimizer uses in its step. */
  write(step: number, out: Float64Array): void {
    out[0] = this.call(step);
  }

  /** JSON-safe config; `fromConfig` of the same class takes it back. */
  getConfig(): Record<string, unknown> {
    throw new Error(`learning-rate schedule '${this.className}' must override getConfig() to be saved`);
  }
}

/** Built-in schedules: `call` runs the same arithmetic as `write`. */
abstract class BuiltinSchedule extends LearningRateSchedule {
  private readonly scratch = new Float64Array(1);

  override call(step: number): number {
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      throw new TypeError(`${this.className}: step must be a finite number, got ${show(step)}`);
    }
    this.write(step, this.scratch);
    return this.scratch[0]!;
  }

  abstract override write(step: number, out: Float64Array): void;
}

function checkName(value: unknown, cls: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`${cls}: name must be a string, got ${show(value)}`);
  return value;
}

function required(o: Record<string, unknown>, key: string, cls: string): unknown {
  if (o[key] === undefined) throw new RangeError(`${cls}: ${key} is required`);
  return o[key];
}

const rate = (v: unknown, what: string): number => checkNumberIn(v, 0, Infinity, what);
const positive = (v: unknown, what: string): number => checkNumberIn(v, 0, Infinity, what, { loOpen: true });

// ---------------------------------------------------------------------------------------------

export interface ExponentialDecayOptions {
  /** Rate at step 0, ≥ 0. Required. */
  initialLearningRate: number;
  /** Steps per decay period, > 0. Required. */
  decaySteps: number;
  /** Factor per period, ≥ 0. Required. */
  decayRate: number;
  /** Decay in whole periods (floor(step / decaySteps)). Default false. */
  staircase?: boolean;
  /** Default 'ExponentialDecay'. */
  name?: string;
}

/** lr(step) = initialLearningRate · decayRate^(step / decaySteps) (floored with staircase). */
export class ExponentialDecay extends BuiltinSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(options: ExponentialDecayOptions) {
    super();
    const cls = 'ExponentialDecay';
    checkOptions(options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name'], cls);
    const o = (options ?? {}) as unknown as Record<string, unknown>;
    this.initialLearningRate = rate(required(o, 'initialLearningRate', cls), `${cls}: initialLearningRate`);
    this.decaySteps = positive(required(o, 'decaySteps', cls), `${cls}: decaySteps`);
    this.decayRate = rate(required(o, 'decayRate', cls), `${cls}: decayRate`);
    this.staircase = checkBoolean(o['staircase'] ?? false, `${cls}: staircase`);
    this.name = checkName(o['name'], cls, 'ExponentialDecay');
  }

  static fromConfig(config: Record<string, unknown>): ExponentialDecay {
    return new ExponentialDecay(config as unknown as ExponentialDecayOptions);
  }

  override write(step: number, out: Float64Array): void {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    out[0] = this.initialLearningRate * Math.pow(this.decayRate, p);
  }

  override getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase, name: this.name };
  }
}

// ---------------------------------------------------------------------------------------------

export interface InverseTimeDecayOptions {
  /** Rate at step 0, ≥ 0. Required. */
  initialLearningRate: number;
  /** Steps per unit of decay, > 0. Required. */
  decaySteps: number;
  /** ≥ 0. Required. */
  decayRate: number;
  /** Use floor(step / decaySteps). Default false. */
  staircase?: boolean;
  /** Default 'InverseTimeDecay'. */
  name?: string;
}

/** lr(step) = initialLearningRate / (1 + decayRate · step / decaySteps) (floored with staircase). */
export class InverseTimeDecay extends BuiltinSchedule {
  readonly className = 'InverseTimeDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(options: InverseTimeDecayOptions) {
    super();
    const cls = 'InverseTimeDecay';
    checkOptions(options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name'], cls);
    const o = (options ?? {}) as unknown as Record<string, unknown>;
    this.initialLearningRate = rate(required(o, 'initialLearningRate', cls), `${cls}: initialLearningRate`);
    this.decaySteps = positive(required(o, 'decaySteps', cls), `${cls}: decaySteps`);
    this.decayRate = rate(required(o, 'decayRate', cls), `${cls}: decayRate`);
    this.staircase = checkBoolean(o['staircase'] ?? false, `${cls}: staircase`);
    this.name = checkName(o['name'], cls, 'InverseTimeDecay');
  }

  static fromConfig(config: Record<string, unknown>): InverseTimeDecay {
    return new InverseTimeDecay(config as unknown as InverseTimeDecayOptions);
  }

  override write(step: number, out: Float64Array): void {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    out[0] = this.initialLearningRate / (1 + this.decayRate * p);
  }

  override getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase, name: this.name };
  }
}

// ---------------------------------------------------------------------------------------------

export interface PiecewiseConstantDecayOptions {
  /** Strictly increasing step numbers (at least one). Required. */
  boundaries: number[];
  /** One more rate than boundaries, each ≥ 0. Required. */
  values: number[];
  /** Default 'PiecewiseConstant'. */
  name?: string;
}

/**
 * values[0] while step ≤ boundaries[0], values[i] while boundaries[i−1] < step ≤ boundaries[i],
 * values[last] after the last boundary (Keras: a boundary step still gets the earlier value).
 */
export class PiecewiseConstantDecay extends BuiltinSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name: string;
  /** The same as Float64Arrays, so write reads unboxed doubles. */
  private readonly b: Float64Array;
  private readonly v: Float64Array;

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    const cls = 'PiecewiseConstantDecay';
    checkOptions(options, ['boundaries', 'values', 'name'], cls);
    const o = (options ?? {}) as unknown as Record<string, unknown>;
    const boundaries = required(o, 'boundaries', cls);
    const values = required(o, 'values', cls);
    if (!Array.isArray(boundaries) || boundaries.length === 0) throw new TypeError(`${cls}: boundaries must be a non-empty array of numbers, got ${show(boundaries)}`);
    if (!Array.isArray(values)) throw new TypeError(`${cls}: values must be an array of numbers, got ${show(values)}`);
    if (values.length !== boundaries.length + 1) {
      throw new RangeError(`${cls}: values must have one more entry than boundaries; got ${boundaries.length} boundaries and ${values.length} values`);
    }
    boundaries.forEach((x, i) => {
      checkNumberIn(x, -Infinity, Infinity, `${cls}: boundaries[${i}]`);
      if (i > 0 && !(x > (boundaries[i - 1] as number))) throw new RangeError(`${cls}: boundaries must be strictly increasing; boundaries[${i}] = ${show(x)} follows ${show(boundaries[i - 1])}`);
    });
    values.forEach((x, i) => rate(x, `${cls}: values[${i}]`));
    this.boundaries = Object.freeze([...(boundaries as number[])]);
    this.values = Object.freeze([...(values as number[])]);
    this.b = Float64Array.from(this.boundaries);
    this.v = Float64Array.from(this.values);
    this.name = checkName(o['name'], cls, 'PiecewiseConstant');
  }

  static fromConfig(config: Record<string, unknown>): PiecewiseConstantDecay {
    return new PiecewiseConstantDecay(config as unknown as PiecewiseConstantDecayOptions);
  }

  override write(step: number, out: Float64Array): void {
    const b = this.b;
    let i = 0;
    while (i < b.length && step > b[i]!) i++;
    out[0] = this.v[i]!;
  }

  override getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

// ---------------------------------------------------------------------------------------------

export interface PolynomialDecayOptions {
  /** Rate at step 0, ≥ 0. Required. */
  initialLearningRate: number;
  /** Steps to reach endLearningRate, > 0. Required. */
  decaySteps: number;
  /** ≥ 0. Default 0.0001. */
  endLearningRate?: number;
  /** Exponent of the polynomial, ≥ 0 (a negative one would make the end rate infinite). Default 1. */
  power?: number;
  /** After decaySteps, decay again over the next multiple of decaySteps. Default false. */
  cycle?: boolean;
  /** Default 'PolynomialDecay'. */
  name?: string;
}

/**
 * lr(step) = (initial − end)·(1 − s/D)^power + end with s = min(step, D), D = decaySteps;
 * with cycle, s = step and D = decaySteps·ceil(step / decaySteps) (decaySteps at step 0).
 */
export class PolynomialDecay extends BuiltinSchedule {
  readonly className = 'PolynomialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(options: PolynomialDecayOptions) {
    super();
    const cls = 'PolynomialDecay';
    checkOptions(options, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name'], cls);
    const o = (options ?? {}) as unknown as Record<string, unknown>;
    this.initialLearningRate = rate(required(o, 'initialLearningRate', cls), `${cls}: initialLearningRate`);
    this.decaySteps = positive(required(o, 'decaySteps', cls), `${cls}: decaySteps`);
    this.endLearningRate = rate(o['endLearningRate'] ?? 0.0001, `${cls}: endLearningRate`);
    this.power = checkNumberIn(o['power'] ?? 1, 0, Infinity, `${cls}: power`);
    this.cycle = checkBoolean(o['cycle'] ?? false, `${cls}: cycle`);
    this.name = checkName(o['name'], cls, 'PolynomialDecay');
  }

  static fromConfig(config: Record<string, unknown>): PolynomialDecay {
    return new PolynomialDecay(config as unknown as PolynomialDecayOptions);
  }

  override write(step: number, out: Float64Array): void {
    let s = step;
    let d = this.decaySteps;
    if (this.cycle) {
      // The first multiple of decaySteps at or above step; 1 at step 0 (Keras).
      d = d * (s === 0 ? 1 : Math.ceil(s / this.decaySteps));
    } else {
      s = s < d ? s : d;
    }
    const p = s / d;
    out[0] = (this.initialLearningRate - this.endLearningRate) * Math.pow(1 - p, this.power) + this.endLearningRate;
  }

  override getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, endLearningRate: this.endLearningRate,
      power: this.power, cycle: this.cycle, name: this.name,
    };
  }
}

// ---------------------------------------------------------------------------------------------

export interface CosineDecayOptions {
  /** Rate at step 0 (where warmup starts, or decay without warmup), ≥ 0. Required. */
  initialLearningRate: number;
  /** Steps of the cosine decay (after warmup), > 0. Required. */
  decaySteps: number;
  /** Final rate as a fraction of the decay's starting rate, in [0, 1]. Default 0. */
  alpha?: number;
  /** Rate reached at the end of a linear warmup, ≥ 0; null: no warmup. Default null. */
  warmupTarget?: number | null;
  /** Steps of the linear warmup, ≥ 0; needs warmupTarget when > 0. Default 0. */
  warmupSteps?: number;
  /** Default 'CosineDecay'. */
  name?: string;
}

/**
 * Without warmup: lr(step) = initial·((1 − α)·½(1 + cos(π·s/D)) + α), s = min(step, D).
 * With warmupTarget W over warmupSteps S: a line from initial to W while step < S, then the
 * cosine from W over the next D steps (s = min(step, D + S) − S).
 */
export class CosineDecay extends BuiltinSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  readonly name: string;

  constructor(options: CosineDecayOptions) {
    super();
    const cls = 'CosineDecay';
    checkOptions(options, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name'], cls);
    const o = (options ?? {}) as unknown as Record<string, unknown>;
    this.initialLearningRate = rate(required(o, 'initialLearningRate', cls), `${cls}: initialLearningRate`);
    this.decaySteps = positive(required(o, 'decaySteps', cls), `${cls}: decaySteps`);
    this.alpha = checkNumberIn(o['alpha'] ?? 0, 0, 1, `${cls}: alpha`);
    this.warmupTarget = o['warmupTarget'] === undefined || o['warmupTarget'] === null ? null : rate(o['warmupTarget'], `${cls}: warmupTarget`);
    this.warmupSteps = checkNumberIn(o['warmupSteps'] ?? 0, 0, Infinity, `${cls}: warmupSteps`);
    // Keras ignores warmup_steps without warmup_target; here that is an error, not a silent no-op.
    if (this.warmupTarget === null && this.warmupSteps > 0) {
      throw new RangeError(`${cls}: warmupSteps (${this.warmupSteps}) needs warmupTarget, the rate the warmup reaches`);
    }
    this.name = checkName(o['name'], cls, 'CosineDecay');
  }

  static fromConfig(config: Record<string, unknown>): CosineDecay {
    return new CosineDecay(config as unknown as CosineDecayOptions);
  }

  override write(step: number, out: Float64Array): void {
    // One expression for both branches, no helper method: a double returned from a call V8
    // does not inline is boxed.
    const d = this.decaySteps;
    const w = this.warmupSteps;
    const target = this.warmupTarget;
    let from = this.initialLearningRate;
    let s = step < d ? step : d;
    if (target !== null) {
      s = step < d + w ? step : d + w;
      if (s < w) {
        out[0] = (target - from) * (s / w) + from;
        return;
      }
      from = target;
      s -= w;
    }
    const cosine = 0.5 * (1 + Math.cos((Math.PI * s) / d));
    out[0] = from * ((1 - this.alpha) * cosine + this.alpha);
  }

  override getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha, name: this.name,
      warmupTarget: this.warmupTarget, warmupSteps: this.warmupSteps,
    };
  }
}

// ---------------------------------------------------------------------------------------------

export interface CosineDecayRestartsOptions {
  /** Rate at step 0, ≥ 0. Required. */
  initialLearningRate: number;
  /** Length of the first period, > 0. Required. */
  firstDecaySteps: number;
  /** Each period is tMul times longer than the one before, > 0. Default 2. */
  tMul?: number;
  /** Each period starts at mMul times the rate of the one before, ≥ 0. Default 1. */
  mMul?: number;
  /** Final rate of a period as a fraction of its starting rate, in [0, 1]. Default 0. */
  alpha?: number;
  /** Default 'SGDRDecay'. */
  name?: string;
}

/**
 * SGDR: cosine decay from the period's rate to α times it, then a warm restart. Period i
 * (from 0) has length firstDecaySteps·tMul^i and peak initial·mMul^i; located in closed form
 * as Keras does (a log for tMul ≠ 1).
 */
export class CosineDecayRestarts extends BuiltinSchedule {
  readonly className = 'CosineDecayRestarts';
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  readonly name: string;

  constructor(options: CosineDecayRestartsOptions) {
    super();
    const cls = 'CosineDecayRestarts';
    checkOptions(options, ['initialLearningRate', 'firstDecaySteps', 'tMul', 'mMul', 'alpha', 'name'], cls);
    const o = (options ?? {}) as unknown as Record<string, unknown>;
    this.initialLearningRate = rate(required(o, 'initialLearningRate', cls), `${cls}: initialLearningRate`);
    this.firstDecaySteps = positive(required(o, 'firstDecaySteps', cls), `${cls}: firstDecaySteps`);
    this.tMul = positive(o['tMul'] ?? 2, `${cls}: tMul`);
    this.mMul = rate(o['mMul'] ?? 1, `${cls}: mMul`);
    this.alpha = checkNumberIn(o['alpha'] ?? 0, 0, 1, `${cls}: alpha`);
    this.name = checkName(o['name'], cls, 'SGDRDecay');
  }

  static fromConfig(config: Record<string, unknown>): CosineDecayRestarts {
    return new CosineDecayRestarts(config as unknown as CosineDecayRestartsOptions);
  }

  override write(step: number, out: Float64Array): void {
    const t = this.tMul;
    let completed = step / this.firstDecaySteps;
    let restart: number;
    if (t === 1) {
      restart = Math.floor(completed);
      completed -= restart;
    } else {
      // Periods 1, t, t², …: period i starts at (1 − tⁱ)/(1 − t) first-period lengths.
      restart = Math.floor(Math.log(1 - completed * (1 - t)) / Math.log(t));
      const before = (1 - Math.pow(t, restart)) / (1 - t);
      completed = (completed - before) / Math.pow(t, restart);
    }
    const cosine = 0.5 * Math.pow(this.mMul, restart) * (1 + Math.cos(Math.PI * completed));
    out[0] = this.initialLearningRate * ((1 - this.alpha) * cosine + this.alpha);
  }

  override getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate, firstDecaySteps: this.firstDecaySteps, tMul: this.tMul, mMul: this.mMul,
      alpha: this.alpha, name: this.name,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Registry and serialization.

const BY_CLASS: Readonly<Record<string, (config: Record<string, unknown>) => LearningRateSchedule>> = table({
  ExponentialDecay: (c) => ExponentialDecay.fromConfig(c),
  InverseTimeDecay: (c) => InverseTimeDecay.fromConfig(c),
  PiecewiseConstantDecay: (c) => PiecewiseConstantDecay.fromConfig(c),
  PolynomialDecay: (c) => PolynomialDecay.fromConfig(c),
  CosineDecay: (c) => CosineDecay.fromConfig(c),
  CosineDecayRestarts: (c) => CosineDecayRestarts.fromConfig(c),
});

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A schedule as Keras 3 serializes it. A custom schedule is written with its class name and
 * `registered_name` set to it (Keras: the registered name); loading such a file then needs it
 * passed as an instance, since rnnkit has no registry of user classes.
 */
export function serializeSchedule(schedule: LearningRateSchedule): SerializedSchedule {
  const builtin = Object.hasOwn(BY_CLASS, schedule.className) && schedule instanceof BuiltinSchedule;
  return {
    module: builtin ? SCHEDULES_MODULE : 'custom',
    class_name: schedule.className,
    config: schedule.getConfig(),
    registered_name: builtin ? null : schedule.className,
  };
}

/** A schedule from its serialized form; `where` prefixes messages. */
export function deserializeSchedule(value: unknown, where = 'learning-rate schedule'): LearningRateSchedule {
  if (!isPlainObject(value)) throw new TypeError(`${where}: expected {module, class_name, config, registered_name}, got ${show(value)}`);
  checkOptions(value, ['module', 'class_name', 'config', 'registered_name'], where);
  const cls = value['class_name'];
  if (typeof cls !== 'string') throw new TypeError(`${where}: class_name must be a string, got ${show(cls)}`);
  const module = value['module'];
  if (module !== undefined && module !== SCHEDULES_MODULE) {
    throw new RangeError(`${where}: schedule '${cls}' is from module ${show(module)}; only the built-in schedules (module '${SCHEDULES_MODULE}') can be loaded from a config: ${Object.keys(BY_CLASS).join(', ')}`);
  }
  const registered = value['registered_name'];
  if (registered !== undefined && registered !== null) {
    throw new RangeError(`${where}: schedule '${cls}' is a registered custom class (${show(registered)}); pass the schedule object itself as learningRate`);
  }
  const config = value['config'] ?? {};
  if (!isPlainObject(config)) throw new TypeError(`${where}: config of '${cls}' must be an object, got ${show(config)}`);
  const make = Object.hasOwn(BY_CLASS, cls) ? BY_CLASS[cls] : undefined;
  if (make === undefined) throw new RangeError(`${where}: unknown schedule class ${JSON.stringify(cls)}; valid names: ${Object.keys(BY_CLASS).join(', ')}`);
  return make(config);
}

/** Factories: `schedules.exponentialDecay({initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96})`. */
export const schedules = {
  exponentialDecay: (options: ExponentialDecayOptions): ExponentialDecay => new ExponentialDecay(options),
  inverseTimeDecay: (options: InverseTimeDecayOptions): InverseTimeDecay => new InverseTimeDecay(options),
  piecewiseConstantDecay: (options: PiecewiseConstantDecayOptions): PiecewiseConstantDecay => new PiecewiseConstantDecay(options),
  polynomialDecay: (options: PolynomialDecayOptions): PolynomialDecay => new PolynomialDecay(options),
  cosineDecay: (options: CosineDecayOptions): CosineDecay => new CosineDecay(options),
  cosineDecayRestarts: (options: CosineDecayRestartsOptions): CosineDecayRestarts => new CosineDecayRestarts(options),
  serialize: serializeSchedule,
  deserialize: (value: unknown): LearningRateSchedule => deserializeSchedule(value),
  LearningRateSchedule,
  ExponentialDecay,
  InverseTimeDecay,
  PiecewiseConstantDecay,
  PolynomialDecay,
  CosineDecay,
  CosineDecayRestarts,
} as const;
