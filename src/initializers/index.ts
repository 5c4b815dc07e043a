/**
 * Weight initializers with Keras 3 formulas. An initializer fills a Float32Array of
 * a given shape from an Rng; the layer supplies its own seeded Rng unless the
 * initializer was constructed with a `seed`.
 *
 * A seeded initializer draws from a fresh Rng(seed) on every call, so it returns the
 * same values every time (Keras 3's documented rule): one seeded instance shared by two
 * layers gives them equal kernels, as in Keras. An unseeded one draws from the layer's
 * Rng, so each call differs (Keras 3 fixes an unseeded instance's seed at construction
 * and repeats it too; rnnkit keeps a layer's `seed` in charge instead).
 *
 * Names: tfjs's factory names ('glorotUniform', 'leCunNormal', …), their snake_case
 * ('glorot_uniform'), the class names ('GlorotUniform', 'LeCunNormal') and Keras 3's
 * aliases ('normal', 'uniform', 'one', 'zero', 'IdentityInitializer',
 * 'OrthogonalInitializer'). Keras's STFT initializer is refused by name.
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
  protected readonly seed: number | undefined;
  constructor(seed: unknown, where: string) {
    if (seed !== undefined && seed !== null && (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)) {
      throw new RangeError(`${where}: seed must be a non-negative integer, got ${show(seed)}`);
    }
    this.seed = seed === null ? undefined : (seed as number | undefined);
  }
  init(out: Float32Array, shape: readonly number[], rng: Rng): void {
    // A new Rng per call: a seeded initializer repeats its values (Keras 3).
    this.fill(out, shape, this.seed === undefined ? rng : new Rng(this.seed));
  }
  protected abstract fill(out: Float32Array, shape: readonly number[], rng: Rng): void;
  abstract getConfig(): Record<string, unknown>;
  protected seedConfig(): Record<string, unknown> {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}

/** A nested list of numbers, as Keras serializes an array value. */
export type NestedNumbers = number | readonly NestedNumbers[];

/** The shape and row-major values of a rectangular nested list of finite numbers. */
function flattenNested(v: unknown, what: string): { shape: number[]; data: Float64Array } {
  const shape: number[] = [];
  for (let x: unknown = v; Array.isArray(x); x = x[0]) {
    if (x.length === 0) throw new RangeError(`${what} must not hold an empty list`);
    shape.push(x.length);
  }
  const data: number[] = [];
  const walk = (x: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`${what}${path} must be a finite number, got ${show(x)}`);
      data.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new RangeError(`${what} is not rectangular: ${what}${path} should be a list of ${shape[depth]}, got ${show(x)?.slice(0, 60)}`);
    }
    x.forEach((e, i) => walk(e, depth + 1, `${path}[${i}]`));
  };
  walk(v, 0, '');
  return { shape, data: Float64Array.from(data) };
}

/**
 * Keras Constant: value · ones(shape). A scalar fills the weight; an array (Keras's code
 * multiplies, so any NumPy-broadcastable value works, though its docstring says scalar)
 * is broadcast to the weight's shape, and a shape that does not broadcast is an error.
 */
class Constant implements Initializer {
  readonly className: string;
  readonly value: number | NestedNumbers;
  private readonly valueShape: number[];
  private readonly data: Float64Array;
  constructor(value: unknown, className = 'Constant') {
    this.className = className;
    // Keras writes a NumPy value as {class_name: '__numpy__', config: {value, dtype}}.
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && (value as { className?: unknown }).className === '__numpy__') {
      value = (value as { config?: { value?: unknown } }).config?.value;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TypeError(`constant: value must be a finite number or a list of them, got ${show(value)}`);
      this.valueShape = [];
      this.data = Float64Array.of(value);
      this.value = value;
    } else if (Array.isArray(value)) {
      const { shape, data } = flattenNested(value, 'constant: value');
      this.valueShape = shape;
      this.data = data;
      this.value = JSON.parse(JSON.stringify(value)) as NestedNumbers;
    } else {
      throw new TypeError(`constant: value must be a finite number or a (nested) list of numbers, got ${show(value)}`);
    }
  }
  init(out: Float32Array, shape: readonly number[]): void {
    if (this.valueShape.length === 0) {
      out.fill(this.data[0]!);
      return;
    }
    // NumPy broadcasting: align the trailing axes; each value axis is 1 or the weight's.
    const vs = this.valueShape;
    const fail = (): never => {
      throw new RangeError(`Constant initializer: a value of shape [${vs.join(', ')}] does not broadcast to the weight shape [${shape.join(', ')}]`);
    };
    if (vs.length > shape.length) fail();
    const offset = shape.length - vs.length;
    for (let a = 0; a < vs.length; a++) if (vs[a] !== 1 && vs[a] !== shape[offset + a]) fail();
    // value strides, 0 on broadcast axes
    const strides = new Array<number>(shape.length).fill(0);
    for (let a = vs.length - 1, st = 1; a >= 0; a--) {
      strides[offset + a] = vs[a] === 1 ? 0 : st;
      st *= vs[a]!;
    }
    const idx = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < out.length; i++) {
      let src = 0;
      for (let a = 0; a < shape.length; a++) src += idx[a]! * strides[a]!;
      out[i] = this.data[src]!;
      for (let a = shape.length - 1; a >= 0; a--) {
        if (++idx[a]! < shape[a]!) break;
        idx[a] = 0;
      }
    }
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

/** Check Keras's input_axes / output_axes: a non-empty list of integer axes (negative from the end). */
function checkAxes(v: unknown, what: string): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'number' && Number.isInteger(a))) {
    throw new TypeError(`${what} must be a non-empty list of integer axes, got ${show(v)}`);
  }
  return [...(v as number[])];
}

/** The product of shape[axis] over axes (negative axes count from the end, as Python). */
function fanOver(shape: readonly number[], axes: readonly number[], what: string): number {
  let fan = 1;
  for (const a of axes) {
    const k = a < 0 ? shape.length + a : a;
    if (k < 0 || k >= shape.length) throw new RangeError(`${what}: axis ${a} is out of range for the weight shape [${shape.join(', ')}]`);
    fan *= shape[k]!;
  }
  return fan;
}

class VarianceScaling extends Seeded {
  readonly inputAxes: number[] | undefined;
  readonly outputAxes: number[] | undefined;
  constructor(
    readonly className: string,
    readonly scale: number,
    readonly mode: FanMode,
    readonly distribution: Distribution,
    seed: unknown,
    inputAxes?: unknown,
    outputAxes?: unknown,
  ) {
    super(seed, className);
    checkNumberIn(scale, 0, Infinity, `${className}: scale`, { loOpen: true });
    if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) throw new RangeError(`${className}: mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${show(mode)}`);
    if (!['truncatedNormal', 'untruncatedNormal', 'uniform'].includes(distribution)) {
      throw new RangeError(`${className}: distribution must be 'truncatedNormal' (or 'normal'), 'untruncatedNormal' or 'uniform', got ${show(distribution)}`);
    }
    this.inputAxes = checkAxes(inputAxes, `${className}: inputAxes`);
    this.outputAxes = checkAxes(outputAxes, `${className}: outputAxes`);
    // Keras uses the axes only when both are given and silently falls back otherwise: refuse half.
    if ((this.inputAxes === undefined) !== (this.outputAxes === undefined)) {
      throw new RangeError(`${className}: inputAxes and outputAxes work together (the fans come from both); pass both or neither`);
    }
  }
  protected fill(out: Float32Array, shape: readonly number[], rng: Rng): void {
    const { fanIn, fanOut } =
      this.inputAxes !== undefined && this.outputAxes !== undefined
        ? { fanIn: fanOver(shape, this.inputAxes, `${this.className}: inputAxes`), fanOut: fanOver(shape, this.outputAxes, `${this.className}: outputAxes`) }
        : computeFans(shape);
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
    const axes = this.inputAxes === undefined ? {} : { inputAxes: [...this.inputAxes], outputAxes: [...this.outputAxes!] };
    if (this.className !== 'VarianceScaling') return { ...this.seedConfig(), ...axes };
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, ...this.seedConfig(), ...axes };
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
    if (shape.length < 2) throw new RangeError(`Orthogonal initializer needs a shape of at least 2 dimensions (as Keras), got [${shape.join(', ')}]`);
    const cols = shape[shape.length - 1]!;
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

/** Keras's and tfjs's names for a distribution, in the factory: 'normal' is Keras's (and tfjs's) alias of the truncated normal. */
function distributionOf(v: unknown): Distribution {
  if (v === undefined) return 'truncatedNormal';
  // tfjs draws 'normal' without Keras's 0.8796 variance correction; rnnkit uses Keras's meaning.
  if (v === 'normal') return 'truncatedNormal';
  return v as Distribution;
}

/** Options of the variance-scaling family beyond seed (Keras 3). */
interface AxesOptions {
  /** Keras `input_axes`: the weight axes whose sizes multiply to fan_in (with outputAxes; negative from the end). */
  inputAxes?: number[];
  /** Keras `output_axes`: the weight axes whose sizes multiply to fan_out (with inputAxes). */
  outputAxes?: number[];
}

export interface VarianceScalingOptions extends AxesOptions {
  /** Positive scale. Default 1. */
  scale?: number;
  /** 'fanIn' (default), 'fanOut' or 'fanAvg'. */
  mode?: FanMode;
  /** 'truncatedNormal' (default; 'normal' is its alias), 'untruncatedNormal' or 'uniform'. */
  distribution?: Distribution | 'normal';
  seed?: number;
}

export interface SeedAxesOptions extends AxesOptions {
  seed?: number;
}

/** Factories, tfjs spellings. Every one accepts `seed` where it draws random numbers. */
export const initializers = {
  // They take no options, and say so to any given (an options object is never ignored).
  zeros: (args?: Record<string, never>): Initializer => (checkOptions(args, [], 'zeros initializer'), new Constant(0, 'Zeros')),
  ones: (args?: Record<string, never>): Initializer => (checkOptions(args, [], 'ones initializer'), new Constant(1, 'Ones')),
  /** A scalar, or a (nested) list broadcast to the weight's shape as NumPy would (Keras's value · ones(shape)). */
  constant: (o: { value?: NestedNumbers } = {}): Initializer => {
    checkOptions(o, ['value'], 'constant initializer');
    return new Constant(o.value === undefined ? 0 : o.value);
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
  varianceScaling: (o: VarianceScalingOptions = {}): Initializer => {
    checkOptions(o, ['scale', 'mode', 'distribution', 'seed', 'inputAxes', 'outputAxes'], 'varianceScaling initializer');
    return new VarianceScaling('VarianceScaling', num(o.scale, 1, 'varianceScaling: scale'), o.mode ?? 'fanIn', distributionOf(o.distribution), o.seed, o.inputAxes, o.outputAxes);
  },
  glorotUniform: (o: SeedAxesOptions = {}): Initializer => vs('GlorotUniform', 1, 'fanAvg', 'uniform', o),
  glorotNormal: (o: SeedAxesOptions = {}): Initializer => vs('GlorotNormal', 1, 'fanAvg', 'truncatedNormal', o),
  heUniform: (o: SeedAxesOptions = {}): Initializer => vs('HeUniform', 2, 'fanIn', 'uniform', o),
  heNormal: (o: SeedAxesOptions = {}): Initializer => vs('HeNormal', 2, 'fanIn', 'truncatedNormal', o),
  lecunUniform: (o: SeedAxesOptions = {}): Initializer => vs('LecunUniform', 1, 'fanIn', 'uniform', o),
  lecunNormal: (o: SeedAxesOptions = {}): Initializer => vs('LecunNormal', 1, 'fanIn', 'truncatedNormal', o),
  /** tfjs's spelling of lecunUniform. */
  leCunUniform: (o: SeedAxesOptions = {}): Initializer => vs('LecunUniform', 1, 'fanIn', 'uniform', o),
  /** tfjs's spelling of lecunNormal. */
  leCunNormal: (o: SeedAxesOptions = {}): Initializer => vs('LecunNormal', 1, 'fanIn', 'truncatedNormal', o),
  orthogonal: (o: { gain?: number; seed?: number } = {}): Initializer => {
    checkOptions(o, ['gain', 'seed'], 'orthogonal initializer');
    return new Orthogonal(num(o.gain, 1, 'orthogonal: gain'), o.seed);
  },
  identity: (o: { gain?: number } = {}): Initializer => {
    checkOptions(o, ['gain'], 'identity initializer');
    return new Identity(num(o.gain, 1, 'identity: gain'));
  },
};

function vs(className: string, scale: number, mode: FanMode, distribution: Distribution, o: SeedAxesOptions): Initializer {
  checkOptions(o, ['seed', 'inputAxes', 'outputAxes'], `${className} initializer`);
  return new VarianceScaling(className, scale, mode, distribution, o.seed, o.inputAxes, o.outputAxes);
}

/** Initializers Keras has and rnnkit refuses, with the reason. */
const REFUSED: Readonly<Record<string, string>> = table({
  STFT: "Keras's STFT initializer (for its STFTSpectrogram layer) is not supported",
  STFTInitializer: "Keras's STFT initializer (for its STFTSpectrogram layer) is not supported",
  stft: "Keras's STFT initializer (for its STFTSpectrogram layer) is not supported",
});

/**
 * Names accepted where an initializer is expected: the factory names (tfjs camelCase),
 * their Keras snake_case, the class names, and Keras 3's aliases.
 */
const byName = new Map<string, () => Initializer>();
for (const [name, make] of Object.entries(initializers)) {
  byName.set(name, () => (make as (o?: Opts) => Initializer)({}));
  if (!name.startsWith('leCun')) byName.set(name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), () => (make as (o?: Opts) => Initializer)({}));
}

export type InitializerIdentifier = keyof typeof initializers;

/** Resolve a string or an Initializer object. */
export function getInitializer(id: unknown, where: string): Initializer {
  if (typeof id === 'string') {
    if (REFUSED[id] !== undefined) throw new RangeError(`${where}: ${REFUSED[id]}`);
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
  LeCunUniform: (o) => initializers.lecunUniform(o),
  LeCunNormal: (o) => initializers.lecunNormal(o),
  Orthogonal: (o) => initializers.orthogonal(o),
  OrthogonalInitializer: (o) => initializers.orthogonal(o),
  Identity: (o) => initializers.identity(o),
  IdentityInitializer: (o) => initializers.identity(o),
});

// Class names and Keras 3's aliases work as names too.
for (const className of Object.keys(byClassName)) byName.set(className, () => byClassName[className]!({}));
for (const [alias, className] of [['normal', 'RandomNormal'], ['uniform', 'RandomUniform'], ['one', 'Ones'], ['zero', 'Zeros']] as const) {
  byName.set(alias, () => byClassName[className]!({}));
}

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
  if (REFUSED[className] !== undefined) throw new RangeError(`${where}: ${REFUSED[className]}`);
  if (make === undefined) {
    throw new RangeError(`${where}: unknown initializer class ${JSON.stringify(className)}; supported: ${Object.keys(byClassName).join(', ')}`);
  }
  const o: Opts = {};
  for (const [k, v] of Object.entries(config)) if (v !== null && v !== undefined) o[k] = v;
  // TF 1.13-1.15's tf.keras wrote each initializer's dtype into its config (init_ops'
  // get_config: {"seed": null, "dtype": "float32"}); float32 is what rnnkit draws anyway.
  if (o.dtype !== undefined) {
    if (o.dtype !== 'float32') throw new RangeError(`${where}: ${className} initializer dtype ${JSON.stringify(o.dtype)}; rnnkit draws float32 weights`);
    delete o.dtype;
  }
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
