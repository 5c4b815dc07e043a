/**
 * Weight constraints with Keras 3 formulas (keras/src/constraints/constraints.py),
 * applied in place to a weight after each optimizer update.
 *
 *   n = ‖w‖₂ along `axis` (one norm per slice, Keras `sum(square(w), axis, keepdims)`)
 *   MaxNorm:    w ← w · clip(n, 0, maxValue) / (ε + n)
 *   UnitNorm:   w ← w / (ε + n)
 *   MinMaxNorm: w ← w · (rate · clip(n, minValue, maxValue) + (1 − rate) · n) / (ε + n)
 *   NonNeg:     w ← w · (w ≥ 0)
 * with ε = 1e-7 (Keras `backend.epsilon()`).
 *
 * Layout: `w` is flat row-major with the given shape. For a 2-D kernel [rows, cols]
 * axis 0 gives one norm per column, over the rows (the Keras default for a kernel
 * [in, units]: the weights into each unit); axis 1 one norm per row; negative axes
 * count from the end; for a 1-D weight axis 0 is the whole vector. In general the
 * shape splits as [outer, n = shape[axis], inner] and each (outer, inner) pair is a slice.
 *
 * Contract: `apply` checks the shape against `w.length` (cheap, no allocation) and
 * allocates only a float64 scratch of norms, once, grown when a larger shape comes.
 * Norms and scale factors are computed in float64 and the result rounded once.
 */
import { checkOptions, lookup, table, show } from '../core/errors.js';

export interface Constraint {
  /** Keras class name: 'MaxNorm', 'NonNeg', 'UnitNorm', 'MinMaxNorm' for the built-ins. */
  readonly className: string;
  /** Project `w` (flat, row-major, of `shape`) in place. */
  apply(w: Float32Array, shape: readonly number[]): void;
  /** JSON-safe config, tfjs camelCase keys. */
  getConfig(): Record<string, unknown>;
}

/** Keras/tfjs JSON form of a constraint. */
export interface SerializedConstraint {
  className: string;
  config: Record<string, unknown>;
}

export interface MaxNormArgs {
  /** Largest norm allowed for each slice. Default 2. Must be finite and > 0. */
  maxValue?: number;
  /** Axis along which norms are taken (negative counts from the end). Default 0: per column of a [in, units] kernel. */
  axis?: number;
}

export interface UnitNormArgs {
  /** Axis along which norms are taken (negative counts from the end). Default 0. */
  axis?: number;
}

export interface MinMaxNormArgs {
  /** Smallest norm wanted. Default 0. Must be finite, ≥ 0 and ≤ maxValue. */
  minValue?: number;
  /** Largest norm wanted. Default 1. Must be finite and > 0. */
  maxValue?: number;
  /** How far to move toward the clipped norm each time, in [0, 1]: 1 enforces strictly. Default 1. */
  rate?: number;
  /** Axis along which norms are taken (negative counts from the end). Default 0. */
  axis?: number;
}

/** Keras `backend.epsilon()`. */
const EPSILON = 1e-7;

/**
 * Shared machinery of the norm constraints: per-slice L2 norms into a float64
 * scratch, then one multiply pass by desired(n) / (ε + n) with
 *   desired(n) = rate · clip(n, lo, hi) + (1 − rate) · n
 * which is MaxNorm for (0, maxValue, 1), UnitNorm for (1, 1, 1) and MinMaxNorm as
 * given. One formula on fields, not a per-class virtual method: a polymorphic call
 * returning a double boxes its result, one allocation per slice.
 */
abstract class NormConstraint implements Constraint {
  abstract readonly className: string;
  /** Norms, then scale factors, one per slice; grown on demand, never shrunk. */
  private scratch = new Float64Array(0);

  /**
   * [lo, hi, rate] as float64. A Float64Array, not number fields: a field first set
   * to an integer (maxNorm's lo = 0) is kept as a small integer by V8, and a ternary
   * mixing it with a double then boxes one number per slice.
   */
  private readonly params: Float64Array;

  constructor(
    readonly axis: number,
    lo: number,
    hi: number,
    rate: number,
  ) {
    this.params = Float64Array.of(lo, hi, rate);
  }

  apply(w: Float32Array, shape: readonly number[]): void {
    const rank = shape.length;
    if (rank === 0) throw new RangeError(`${this.className} constraint: needs a weight of rank ≥ 1, got shape []`);
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 0 || axis >= rank) {
      throw new RangeError(`${this.className} constraint: axis ${this.axis} is out of range for a weight of shape [${shape.join(', ')}]`);
    }
    let outer = 1;
    let inner = 1;
    for (let d = 0; d < axis; d++) outer *= shape[d]!;
    for (let d = axis + 1; d < rank; d++) inner *= shape[d]!;
    const n = shape[axis]!;
    if (outer * n * inner !== w.length) {
      throw new RangeError(`${this.className} constraint: weight of length ${w.length} does not match shape [${shape.join(', ')}]`);
    }
    const slices = outer * inner;
    if (this.scratch.length < slices) this.scratch = new Float64Array(slices);
    const s = this.scratch;

    // 1. Sum of squares per slice, the inner index contiguous.
    if (inner === 1) {
      // Contiguous runs (axis 1 of [rows, cols], axis 0 of a vector).
      for (let o = 0; o < outer; o++) {
        const base = o * n;
        let sum = 0;
        for (let k = 0; k < n; k++) {
          const v = w[base + k]!;
          sum += v * v;
        }
        s[o] = sum;
      }
    } else {
      // Strided slices (axis 0 of [rows, cols]): accumulate row by row.
      s.fill(0, 0, slices);
      for (let o = 0; o < outer; o++) {
        const sBase = o * inner;
        for (let k = 0; k < n; k++) {
          const wBase = (o * n + k) * inner;
          for (let i = 0; i < inner; i++) {
            const v = w[wBase + i]!;
            s[sBase + i] = s[sBase + i]! + v * v;
          }
        }
      }
    }

    // 2. Scale per slice: norms = sqrt(Σw²); desired = rate · clip(norms, lo, hi) + (1 − rate) · norms;
    //    factor = desired / (ε + norms).
    const params = this.params;
    const lo = params[0]!;
    const hi = params[1]!;
    const rate = params[2]!;
    const keep = 1 - rate;
    const eps = EPSILON;
    for (let g = 0; g < slices; g++) {
      const norm = Math.sqrt(s[g]!);
      const clipped = norm < lo ? lo : norm > hi ? hi : norm;
      // Keras adds (1 − rate)·norms even at rate 1; skipping 0·norm only differs for norm = ∞.
      const desired = rate === 1 ? clipped : rate * clipped + keep * norm;
      s[g] = desired / (eps + norm);
    }

    // 3. w ← w · factor of its slice.
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        const base = o * n;
        const f = s[o]!;
        for (let k = 0; k < n; k++) w[base + k] = w[base + k]! * f;
      }
    } else {
      for (let o = 0; o < outer; o++) {
        const sBase = o * inner;
        for (let k = 0; k < n; k++) {
          const wBase = (o * n + k) * inner;
          for (let i = 0; i < inner; i++) w[wBase + i] = w[wBase + i]! * s[sBase + i]!;
        }
      }
    }
  }

  abstract getConfig(): Record<string, unknown>;
}

class MaxNorm extends NormConstraint {
  readonly className = 'MaxNorm';
  constructor(
    readonly maxValue: number,
    axis: number,
  ) {
    // desired = clip(norm, 0, maxValue)
    super(axis, 0, maxValue, 1);
  }
  getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

class UnitNorm extends NormConstraint {
  readonly className = 'UnitNorm';
  constructor(axis: number) {
    // desired = 1: w / (ε + norm)
    super(axis, 1, 1, 1);
  }
  getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

class MinMaxNorm extends NormConstraint {
  readonly className = 'MinMaxNorm';
  constructor(
    readonly minValue: number,
    readonly maxValue: number,
    readonly rate: number,
    axis: number,
  ) {
    super(axis, minValue, maxValue, rate);
  }
  getConfig(): Record<string, unknown> {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}

class NonNeg implements Constraint {
  readonly className = 'NonNeg';
  apply(w: Float32Array): void {
    // w · (w ≥ 0): negatives become 0; NaN and −0 pass through as that product leaves them.
    const n = w.length;
    for (let i = 0; i < n; i++) if (w[i]! < 0) w[i] = 0;
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

function finiteNumber(value: unknown, dflt: number, name: string, where: string): number {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${show(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${where}: ${name} must be finite, got ${String(value)}`);
  return value;
}

function axisArg(value: unknown, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new RangeError(`${where}: axis must be an integer (one axis; lists of axes are not supported), got ${show(value)}`);
  }
  return value;
}

/** Factories, tfjs spellings (`tf.constraints.maxNorm({maxValue, axis})` …), Keras 3 defaults. */
export const constraints = {
  /** Rescale each slice whose L2 norm exceeds maxValue down to maxValue (Keras `MaxNorm`). Defaults maxValue 2, axis 0. */
  maxNorm: (o: MaxNormArgs = {}): Constraint => {
    const where = 'maxNorm constraint';
    checkOptions(o, ['maxValue', 'axis'], where);
    const maxValue = finiteNumber(o.maxValue, 2, 'maxValue', where);
    if (!(maxValue > 0)) throw new RangeError(`${where}: maxValue must be > 0, got ${maxValue}`);
    return new MaxNorm(maxValue, axisArg(o.axis, where));
  },
  /** Set negative weights to 0 (Keras `NonNeg`). */
  nonNeg: (o: Record<string, never> = {}): Constraint => {
    checkOptions(o, [], 'nonNeg constraint');
    return new NonNeg();
  },
  /** Scale each slice to unit L2 norm (Keras `UnitNorm`). Default axis 0. */
  unitNorm: (o: UnitNormArgs = {}): Constraint => {
    const where = 'unitNorm constraint';
    checkOptions(o, ['axis'], where);
    return new UnitNorm(axisArg(o.axis, where));
  },
  /** Move each slice's L2 norm into [minValue, maxValue] at `rate` (Keras `MinMaxNorm`). Defaults 0, 1, rate 1, axis 0. */
  minMaxNorm: (o: MinMaxNormArgs = {}): Constraint => {
    const where = 'minMaxNorm constraint';
    checkOptions(o, ['minValue', 'maxValue', 'rate', 'axis'], where);
    const minValue = finiteNumber(o.minValue, 0, 'minValue', where);
    const maxValue = finiteNumber(o.maxValue, 1, 'maxValue', where);
    const rate = finiteNumber(o.rate, 1, 'rate', where);
    if (minValue < 0) throw new RangeError(`${where}: minValue must be ≥ 0, got ${minValue}`);
    if (!(maxValue > 0)) throw new RangeError(`${where}: maxValue must be > 0, got ${maxValue}`);
    if (minValue > maxValue) throw new RangeError(`${where}: minValue (${minValue}) must not exceed maxValue (${maxValue})`);
    if (rate < 0 || rate > 1) throw new RangeError(`${where}: rate must be in [0, 1], got ${rate}`);
    return new MinMaxNorm(minValue, maxValue, rate, axisArg(o.axis, where));
  },
};

/** String identifiers: tfjs camelCase, Keras snake_case and class names. */
export type ConstraintIdentifier =
  | 'maxNorm'
  | 'max_norm'
  | 'MaxNorm'
  | 'nonNeg'
  | 'non_neg'
  | 'NonNeg'
  | 'unitNorm'
  | 'unit_norm'
  | 'UnitNorm'
  | 'minMaxNorm'
  | 'min_max_norm'
  | 'MinMaxNorm';

type Factory = (o?: Record<string, unknown>) => Constraint;
const factories: Readonly<Record<string, Factory>> = constraints as unknown as Record<string, Factory>;
const classOf: Readonly<Record<string, string>> = table({ maxNorm: 'MaxNorm', nonNeg: 'NonNeg', unitNorm: 'UnitNorm', minMaxNorm: 'MinMaxNorm' });

const byName = new Map<string, () => Constraint>();
const byClass = new Map<string, Factory>();
for (const [name, make] of Object.entries(factories)) {
  byName.set(name, () => make({}));
  byName.set(name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), () => make({}));
  byName.set(classOf[name]!, () => make({}));
  byClass.set(classOf[name]!, make);
}

/** Keras JSON writes snake_case keys (max_value); tfjs camelCase. Accept both. */
function camelKeys(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

function isConstraint(x: unknown): x is Constraint {
  return x !== null && typeof x === 'object' && typeof (x as Constraint).apply === 'function';
}

/**
 * Rebuild a constraint from its class name ('MaxNorm', 'NonNeg', 'UnitNorm',
 * 'MinMaxNorm') and config (camelCase or Keras snake_case keys).
 */
export function constraintFromConfig(className: string, config: Readonly<Record<string, unknown>> = {}, where = 'constraint'): Constraint {
  let make: Factory;
  try {
    make = lookup(byClass, className, 'constraint class');
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
  return make(camelKeys(config));
}

/**
 * Resolve what a layer option holds: null/undefined → null (no constraint); a name
 * ('maxNorm'/'max_norm', 'nonNeg'/'non_neg', 'unitNorm'/'unit_norm',
 * 'minMaxNorm'/'min_max_norm', or the class name) → that constraint with its defaults;
 * a `{className, config}` object → `constraintFromConfig`; a Constraint → itself.
 * `where` prefixes error messages.
 */
export function getConstraint(
  id: ConstraintIdentifier | (string & {}) | Constraint | SerializedConstraint | null | undefined,
  where: string,
): Constraint | null {
  if (id === null || id === undefined) return null;
  if (typeof id === 'string') {
    try {
      return lookup(byName, id, 'constraint')();
    } catch (e) {
      throw new RangeError(`${where}: ${(e as Error).message}`);
    }
  }
  if (isConstraint(id)) return id;
  if (typeof id === 'object' && typeof (id as SerializedConstraint).className === 'string') {
    const s = id as SerializedConstraint;
    const config = s.config ?? {};
    if (typeof config !== 'object' || Array.isArray(config)) {
      throw new TypeError(`${where}: constraint config must be an object, got ${show(config)}`);
    }
    return constraintFromConfig(s.className, config, where);
  }
  throw new TypeError(`${where}: expected a constraint name or object, got ${show(id)}`);
}

/** Config form {className, config} as in Keras/tfjs JSON. */
export function serializeConstraint(c: Constraint): SerializedConstraint {
  return { className: c.className, config: c.getConfig() };
}
