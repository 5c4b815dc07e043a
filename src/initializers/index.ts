/**
 * Weight initializers with Keras 3 formulas. An initializer fills a Float32Array of
 * a given shape from an Rng; the layer supplies its own seeded Rng unless the
 * initializer was constructed with a `seed`.
 */
import { Rng } from '../core/rng.js';
import { checkNumberIn, checkOptions, lookup, table, show } from '../core/errors.js';

export interface Initializer {
  readonly className: string;
  init(out: Float32Array, shape: readonly number[], rng: Rng): void;
  getConfig(): Record<string, unknown>;
}

/** fan_in / fan_out as Keras computes them (the fused gate axis counts whole). */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i]!;
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

abstract class Seeded implements Initializer {
  abstract readonly className: string;
  protected readonly ownRng: Rng | null;
  protected readonly seed: number | undefined;
  constructor(seed: unknown, where: string) {
    if (seed !== undefined && seed !== null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) {
      throw new RangeError(`${where}: seed must be a non-negative integer, got ${show(seed)}`);
    }
    this.seed = seed === null ? undefined : (seed as number | undefined);
    this.ownRng = this.seed === undefined ? null : new Rng(this.seed);
  }
  init(out: Float32Array, shape: readonly number[], rng: Rng): void {
    this.fill(out, shape, this.ownRng ?? rng);
  }
  protected abstract fill(out: Float32Array, shape: readonly number[], rng: Rng): void;
  abstract getConfig(): Record<string, unknown>;
  protected seedConfig(): Record<string, unknown> {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}

class Constant implements Initializer {
  readonly className: string;
  constructor(readonly value: number, className = 'Constant') {
    this.className = className;
  }
  init(out: Float32Array): void {
    out.fill(this.value);
  }
  getConfig(): Record<string, unknown> {
    return this.className === 'Constant' ? { value: this.value } : {};
  }
}

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
export type Distribution = 'truncatedNormal' | 'untruncatedNormal' | 'uniform';

/** 1 / the std of a unit normal truncated to ±2σ: Keras divides by it so the truncated draw keeps the intended variance. */
const TRUNCATION_CORRECTION = 0.8796256610342398;

function truncatedNormal(rng: Rng, mean: number, stddev: number): number {
  for (;;) {
    const z = rng.normal();
    if (z >= -2 && z <= 2) return mean + stddev * z;
  }
}

class VarianceScaling extends Seeded {
  constructor(
    readonly className: string,
    readonly scale: number,
    readonly mode: FanMode,
    readonly distribution: Distribution,
    seed: unknown,
  ) {
    super(seed, className);
    checkNumberIn(scale, 0, Infinity, `${className}: scale`, { loOpen: true });
    if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) throw new RangeError(`${className}: mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${show(mode)}`);
    if (!['truncatedNormal', 'untruncatedNormal', 'uniform'].includes(distribution)) {
      throw new RangeError(`${className}: distribution must be 'truncatedNormal', 'untruncatedNormal' or 'uniform', got ${show(distribution)}`);
    }
  }
  protected fill(out: Float32Array, shape: readonly number[], rng: Rng): void {
    const { fanIn, fanOut } = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      for (let i = 0; i < out.length; i++) out[i] = rng.uniformIn(-limit, limit);
    } else if (this.distribution === 'truncatedNormal') {
      const std = Math.sqrt(variance) / TRUNCATION_CORRECTION;
      for (let i = 0; i < out.length; i++) out[i] = truncatedNormal(rng, 0, std);
    } else {
      const std = Math.sqrt(variance);
      for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
    }
  }
  getConfig(): Record<string, unknown> {
    if (this.className !== 'VarianceScaling') return this.seedConfig();
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, ...this.seedConfig() };
  }
}

class RandomUniform extends Seeded {
  readonly className = 'RandomUniform';
  constructor(readonly minval: number, readonly maxval: number, seed: unknown) {
    super(seed, 'RandomUniform');
    if (!(minval < maxval)) throw new RangeError(`RandomUniform: minval (${minval}) must be below maxval (${maxval})`);
  }
  protected fill(out: Float32Array, _shape: readonly number[], rng: Rng): void {
    for (let i = 0; i < out.length; i++) out[i] = rng.uniformIn(this.minval, this.maxval);
  }
  getConfig(): Record<string, unknown> {
    return { minval: this.minval, maxval: this.maxval, ...this.seedConfig() };
  }
}

class RandomNormal extends Seeded {
  constructor(readonly className: 'RandomNormal' | 'TruncatedNormal', readonly mean: number, readonly stddev: number, seed: unknown) {
    super(seed, className);
    checkNumberIn(stddev, 0, Infinity, `${className}: stddev`);
  }
  protected fill(out: Float32Array, _shape: readonly number[], rng: Rng): void {
    const truncated = this.className === 'TruncatedNormal';
    for (let i = 0; i < out.length; i++) out[i] = truncated ? truncatedNormal(rng, this.mean, this.stddev) : this.mean + this.stddev * rng.normal();
  }
  getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, ...this.seedConfig() };
  }
}

/**
 * Keras orthogonal: QR of a standard-normal [max(r,c), min(r,c)] matrix, Q's columns
 * signed by diag(R), transposed when rows < cols — a whole matrix with orthonormal
 * rows or columns (for a [H, G·H] recurrent kernel, not G separate blocks).
 */
class Orthogonal extends Seeded {
  readonly className = 'Orthogonal';
  constructor(readonly gain: number, seed: unknown) {
    super(seed, 'Orthogonal');
  }
  protected fill(out: Float32Array, shape: readonly number[], rng: Rng): void {
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    const rows = out.length / cols;
    const m = Math.max(rows, cols);
    const n = Math.min(rows, cols);
    // a: column-major [m, n] in float64; modified Gram–Schmidt gives Q with diag(R) > 0,
    // which equals Householder Q · sign(diag R), Keras's normalisation.
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = rng.normal();
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[p * m + i]! * a[j * m + i]!;
        for (let i = 0; i < m; i++) a[j * m + i] = a[j * m + i]! - dot * a[p * m + i]!;
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += a[j * m + i]! ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < m; i++) a[j * m + i] = a[j * m + i]! / norm;
    }
    // Q is [m, n]; the result is Q when rows ≥ cols, else Qᵀ.
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const q = rows >= cols ? a[c * m + r]! : a[r * m + c]!;
        out[r * cols + c] = this.gain * q;
      }
    }
  }
  getConfig(): Record<string, unknown> {
    return { gain: this.gain, ...this.seedConfig() };
  }
}

class Identity implements Initializer {
  readonly className = 'Identity';
  constructor(readonly gain: number) {}
  init(out: Float32Array, shape: readonly number[]): void {
    if (shape.length !== 2) throw new RangeError(`Identity initializer needs a 2-D shape, got [${shape.join(', ')}]`);
    out.fill(0);
    const n = Math.min(shape[0]!, shape[1]!);
    for (let i = 0; i < n; i++) out[i * shape[1]! + i] = this.gain;
  }
  getConfig(): Record<string, unknown> {
    return { gain: this.gain };
  }
}

type Opts = Record<string, unknown>;
const num = (v: unknown, dflt: number, what: string): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what} must be a finite number, got ${show(v)}`);
  return v;
};

/** Factories, tfjs spellings. Every one accepts `seed` where it draws random numbers. */
export const initializers = {
  zeros: (): Initializer => new Constant(0, 'Zeros'),
  ones: (): Initializer => new Constant(1, 'Ones'),
  constant: (o: { value?: number } = {}): Initializer => {
    checkOptions(o, ['value'], 'constant initializer');
    return new Constant(num(o.value, 0, 'constant: value'));
  },
  randomUniform: (o: { minval?: number; maxval?: number; seed?: number } = {}): Initializer => {
    checkOptions(o, ['minval', 'maxval', 'seed'], 'randomUniform initializer');
    return new RandomUniform(num(o.minval, -0.05, 'randomUniform: minval'), num(o.maxval, 0.05, 'randomUniform: maxval'), o.seed);
  },
  randomNormal: (o: { mean?: number; stddev?: number; seed?: number } = {}): Initializer => {
    checkOptions(o, ['mean', 'stddev', 'seed'], 'randomNormal initializer');
    return new RandomNormal('RandomNormal', num(o.mean, 0, 'randomNormal: mean'), num(o.stddev, 0.05, 'randomNormal: stddev'), o.seed);
  },
  truncatedNormal: (o: { mean?: number; stddev?: number; seed?: number } = {}): Initializer => {
    checkOptions(o, ['mean', 'stddev', 'seed'], 'truncatedNormal initializer');
    return new RandomNormal('TruncatedNormal', num(o.mean, 0, 'truncatedNormal: mean'), num(o.stddev, 0.05, 'truncatedNormal: stddev'), o.seed);
  },
  varianceScaling: (o: { scale?: number; mode?: FanMode; distribution?: Distribution; seed?: number } = {}): Initializer => {
    checkOptions(o, ['scale', 'mode', 'distribution', 'seed'], 'varianceScaling initializer');
    return new VarianceScaling('VarianceScaling', num(o.scale, 1, 'varianceScaling: scale'), o.mode ?? 'fanIn', o.distribution ?? 'truncatedNormal', o.seed);
  },
  glorotUniform: (o: { seed?: number } = {}): Initializer => vs('GlorotUniform', 1, 'fanAvg', 'uniform', o),
  glorotNormal: (o: { seed?: number } = {}): Initializer => vs('GlorotNormal', 1, 'fanAvg', 'truncatedNormal', o),
  heUniform: (o: { seed?: number } = {}): Initializer => vs('HeUniform', 2, 'fanIn', 'uniform', o),
  heNormal: (o: { seed?: number } = {}): Initializer => vs('HeNormal', 2, 'fanIn', 'truncatedNormal', o),
  lecunUniform: (o: { seed?: number } = {}): Initializer => vs('LecunUniform', 1, 'fanIn', 'uniform', o),
  lecunNormal: (o: { seed?: number } = {}): Initializer => vs('LecunNormal', 1, 'fanIn', 'truncatedNormal', o),
  orthogonal: (o: { gain?: number; seed?: number } = {}): Initializer => {
    checkOptions(o, ['gain', 'seed'], 'orthogonal initializer');
    return new Orthogonal(num(o.gain, 1, 'orthogonal: gain'), o.seed);
  },
  identity: (o: { gain?: number } = {}): Initializer => {
    checkOptions(o, ['gain'], 'identity initializer');
    return new Identity(num(o.gain, 1, 'identity: gain'));
  },
};

function vs(className: string, scale: number, mode: FanMode, distribution: Distribution, o: Opts): Initializer {
  checkOptions(o, ['seed'], `${className} initializer`);
  return new VarianceScaling(className, scale, mode, distribution, o.seed);
}

/** Names accepted where an initializer is expected: tfjs camelCase and Keras snake_case. */
const byName = new Map<string, () => Initializer>();
for (const [name, make] of Object.entries(initializers)) {
  byName.set(name, () => (make as (o?: Opts) => Initializer)({}));
  byName.set(name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), () => (make as (o?: Opts) => Initializer)({}));
}

export type InitializerIdentifier = keyof typeof initializers;

/** Resolve a string or an Initializer object. */
export function getInitializer(id: unknown, where: string): Initializer {
  if (typeof id === 'string') {
    try {
      return lookup(byName, id, 'initializer')();
    } catch (e) {
      throw new RangeError(`${where}: ${(e as Error).message}`);
    }
  }
  if (id !== null && typeof id === 'object' && typeof (id as Initializer).init === 'function') return id as Initializer;
  if (id !== null && typeof id === 'object' && typeof (id as { className?: unknown }).className === 'string') {
    const s = id as { className: string; config?: Record<string, unknown> };
    return initializerFromConfig(s.className, s.config ?? {}, where);
  }
  throw new TypeError(`${where}: expected an initializer name or object, got ${show(id)}`);
}

/** Config form {className, config} as in Keras/tfjs JSON. */
export function serializeInitializer(init: Initializer): { className: string; config: Record<string, unknown> } {
  return { className: init.className, config: init.getConfig() };
}

const byClassName: Record<string, (o: Opts) => Initializer> = table({
  Zeros: () => initializers.zeros(),
  Ones: () => initializers.ones(),
  Constant: (o) => initializers.constant(o),
  RandomUniform: (o) => initializers.randomUniform(o),
  RandomNormal: (o) => initializers.randomNormal(o),
  TruncatedNormal: (o) => initializers.truncatedNormal(o),
  VarianceScaling: (o) => initializers.varianceScaling(o as never),
  GlorotUniform: (o) => initializers.glorotUniform(o),
  GlorotNormal: (o) => initializers.glorotNormal(o),
  HeUniform: (o) => initializers.heUniform(o),
  HeNormal: (o) => initializers.heNormal(o),
  LecunUniform: (o) => initializers.lecunUniform(o),
  LecunNormal: (o) => initializers.lecunNormal(o),
  Orthogonal: (o) => initializers.orthogonal(o),
  Identity: (o) => initializers.identity(o),
});

const FAN_MODES: Record<string, FanMode> = table({ fan_in: 'fanIn', fan_out: 'fanOut', fan_avg: 'fanAvg', fanIn: 'fanIn', fanOut: 'fanOut', fanAvg: 'fanAvg' });
/** Keras 2 'normal' was the truncated normal. */
const DISTRIBUTIONS: Record<string, Distribution> = table({
  normal: 'truncatedNormal',
  truncated_normal: 'truncatedNormal',
  untruncated_normal: 'untruncatedNormal',
  truncatedNormal: 'truncatedNormal',
  untruncatedNormal: 'untruncatedNormal',
  uniform: 'uniform',
});

/**
 * An initializer from its serialized form (Keras, tfjs or rnnkit): class name plus a
 * config with camelCase keys (null values mean "not set").
 */
export function initializerFromConfig(className: string, config: Readonly<Record<string, unknown>>, where: string): Initializer {
  const make = byClassName[className];
  if (make === undefined) {
    throw new RangeError(`${where}: unknown initializer class ${JSON.stringify(className)}; supported: ${Object.keys(byClassName).join(', ')}`);
  }
  const o: Opts = {};
  for (const [k, v] of Object.entries(config)) if (v !== null && v !== undefined) o[k] = v;
  if (className === 'VarianceScaling') {
    if (typeof o.mode === 'string') o.mode = FAN_MODES[o.mode] ?? o.mode;
    if (typeof o.distribution === 'string') o.distribution = DISTRIBUTIONS[o.distribution] ?? o.distribution;
  }
  // Only VarianceScaling itself carries scale/mode/distribution; the named ones fix them.
  if (className !== 'VarianceScaling' && /^(Glorot|He|Lecun)/.test(className)) {
    delete o.scale;
    delete o.mode;
    delete o.distribution;
  }
  try {
    return make(o);
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
}
