/**
 * Weight regularizers with Keras 3 formulas (keras/src/regularizers/regularizers.py):
 *
 *   penalty(w) = l1 · Σ|w| + l2 · Σw²        (no ½ on the L2 term)
 *   d penalty / dw = l1 · sign(w) + 2 · l2 · w   (sign(0) = 0, as TF's |·| gradient)
 *
 * A term whose factor is 0 is skipped entirely, as Keras's `if self.l1:` does (so an
 * Inf weight gives Inf, never 0 · Inf = NaN, from a term that is switched off).
 *
 * Contract: `penalty` reads a flat Float32Array of any shape and returns a float64
 * sum; `addGradient` adds (`+=`) into a gradient buffer of the same length. Both are
 * allocation-free and run inside the training step; validation happens in the
 * factories and in `getRegularizer`/`regularizerFromConfig` at the boundary.
 */
import { checkOptions, lookup, show } from '../core/errors.js';

export interface Regularizer {
  /** Keras class name: 'L1', 'L2' or 'L1L2' for the built-ins. */
  readonly className: string;
  /** The penalty this regularizer adds to the loss for weight `w` (any shape, flat). */
  penalty(w: Float32Array): number;
  /** grad += d penalty / dw, elementwise; `grad` and `w` have the same length. */
  addGradient(grad: Float32Array, w: Float32Array): void;
  /** JSON-safe config, the Keras `get_config()` keys. */
  getConfig(): Record<string, unknown>;
}

/** Keras/tfjs JSON form of a regularizer. */
export interface SerializedRegularizer {
  className: string;
  config: Record<string, unknown>;
}

export interface L1Args {
  /** L1 factor: penalty l1 · Σ|w|. Default 0.01. Must be finite and ≥ 0. */
  l1?: number;
}

export interface L2Args {
  /** L2 factor: penalty l2 · Σw² (no ½). Default 0.01. Must be finite and ≥ 0. */
  l2?: number;
}

export interface L1L2Args {
  /**
   * L1 factor. Default 0 — Keras 3's `L1L2(l1=0.0, l2=0.0)`; tfjs defaults to 0.01,
   * and Keras's docstring says 0.01 for the string form, but its code gives 0.
   */
  l1?: number;
  /** L2 factor. Default 0 (Keras 3 `L1L2` default; see `l1`). */
  l2?: number;
}

type RegularizerClass = 'L1' | 'L2' | 'L1L2';

/** One class for the three Keras regularizers: they differ only in which factors exist. */
class L1L2Regularizer implements Regularizer {
  constructor(
    readonly className: RegularizerClass,
    readonly l1: number,
    readonly l2: number,
  ) {}

  penalty(w: Float32Array): number {
    const l1 = this.l1;
    const l2 = this.l2;
    const n = w.length;
    let total = 0;
    if (l1 !== 0) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(w[i]!);
      total += l1 * s;
    }
    if (l2 !== 0) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const v = w[i]!;
        s += v * v;
      }
      total += l2 * s;
    }
    return total;
  }

  addGradient(grad: Float32Array, w: Float32Array): void {
    const n = w.length;
    if (grad.length !== n) {
      throw new RangeError(`${this.className} regularizer: gradient length ${grad.length} does not match weight length ${n}`);
    }
    const l1 = this.l1;
    const twoL2 = 2 * this.l2;
    if (l1 !== 0 && twoL2 !== 0) {
      for (let i = 0; i < n; i++) {
        const v = w[i]!;
        // penalty term l1·|v| + l2·v²  →  l1·sign(v) + 2·l2·v, sign(0) = 0. The sign
        // stays an integer: a ternary mixing l1, −l1 and 0 boxes a number per call.
        const sign = (v > 0 ? 1 : 0) - (v < 0 ? 1 : 0);
        grad[i] = grad[i]! + l1 * sign + twoL2 * v;
      }
    } else if (l1 !== 0) {
      for (let i = 0; i < n; i++) {
        const v = w[i]!;
        if (v > 0) grad[i] = grad[i]! + l1;
        else if (v < 0) grad[i] = grad[i]! - l1;
      }
    } else if (twoL2 !== 0) {
      for (let i = 0; i < n; i++) grad[i] = grad[i]! + twoL2 * w[i]!;
    }
  }

  getConfig(): Record<string, unknown> {
    if (this.className === 'L1') return { l1: this.l1 };
    if (this.className === 'L2') return { l2: this.l2 };
    return { l1: this.l1, l2: this.l2 };
  }
}

/** Keras `validate_float_arg`: a finite, non-negative number. */
function factor(value: unknown, dflt: number, name: string, where: string): number {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${show(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where}: ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** Factories, tfjs spellings (`tf.regularizers.l1({l1})` …), Keras 3 defaults. */
export const regularizers = {
  /** L1 penalty l1 · Σ|w| (Keras `L1`). Default l1 = 0.01. */
  l1: (o: L1Args = {}): Regularizer => {
    checkOptions(o, ['l1'], 'l1 regularizer');
    return new L1L2Regularizer('L1', factor(o.l1, 0.01, 'l1', 'l1 regularizer'), 0);
  },
  /** L2 penalty l2 · Σw² (Keras `L2`, no ½). Default l2 = 0.01. */
  l2: (o: L2Args = {}): Regularizer => {
    checkOptions(o, ['l2'], 'l2 regularizer');
    return new L1L2Regularizer('L2', 0, factor(o.l2, 0.01, 'l2', 'l2 regularizer'));
  },
  /** l1 · Σ|w| + l2 · Σw² (Keras `L1L2`). Defaults l1 = 0, l2 = 0 (Keras 3). */
  l1l2: (o: L1L2Args = {}): Regularizer => {
    checkOptions(o, ['l1', 'l2'], 'l1l2 regularizer');
    return new L1L2Regularizer('L1L2', factor(o.l1, 0, 'l1', 'l1l2 regularizer'), factor(o.l2, 0, 'l2', 'l1l2 regularizer'));
  },
};

/** String identifiers: tfjs/Keras function names, Keras snake_case and class names. */
export type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | 'l1_l2' | 'L1' | 'L2' | 'L1L2';

const byName = new Map<string, () => Regularizer>([
  ['l1', () => regularizers.l1()],
  ['l2', () => regularizers.l2()],
  ['l1l2', () => regularizers.l1l2()],
  ['l1_l2', () => regularizers.l1l2()],
  ['L1', () => regularizers.l1()],
  ['L2', () => regularizers.l2()],
  ['L1L2', () => regularizers.l1l2()],
]);

const byClass = new Map<string, (config: Record<string, unknown>) => Regularizer>([
  ['L1', (c) => regularizers.l1(c as L1Args)],
  ['L2', (c) => regularizers.l2(c as L2Args)],
  ['L1L2', (c) => regularizers.l1l2(c as L1L2Args)],
]);

function isRegularizer(x: unknown): x is Regularizer {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as Regularizer).penalty === 'function' &&
    typeof (x as Regularizer).addGradient === 'function'
  );
}

/**
 * Rebuild a regularizer from its Keras/tfjs class name and config. Keras 3 writes
 * 'L1', 'L2', 'L1L2'; tfjs writes 'L1L2' for all three. Unknown keys are rejected.
 */
export function regularizerFromConfig(className: string, config: Readonly<Record<string, unknown>> = {}, where = 'regularizer'): Regularizer {
  let make: (config: Record<string, unknown>) => Regularizer;
  try {
    make = lookup(byClass, className, 'regularizer class');
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
  return make({ ...config });
}

/**
 * Resolve what a layer option holds: null/undefined → null (no regularizer); a name
 * ('l1', 'l2', 'l1l2'/'l1_l2', or a class name) → that regularizer with its defaults;
 * a `{className, config}` object → `regularizerFromConfig`; a Regularizer → itself.
 * `where` prefixes error messages, e.g. "SimpleRNN 'rnn_1': kernelRegularizer".
 */
export function getRegularizer(
  id: RegularizerIdentifier | (string & {}) | Regularizer | SerializedRegularizer | null | undefined,
  where: string,
): Regularizer | null {
  if (id === null || id === undefined) return null;
  if (typeof id === 'string') {
    try {
      return lookup(byName, id, 'regularizer')();
    } catch (e) {
      throw new RangeError(`${where}: ${(e as Error).message}`);
    }
  }
  if (isRegularizer(id)) return id;
  if (typeof id === 'object' && typeof (id as SerializedRegularizer).className === 'string') {
    const s = id as SerializedRegularizer;
    const config = s.config ?? {};
    if (typeof config !== 'object' || Array.isArray(config)) {
      throw new TypeError(`${where}: regularizer config must be an object, got ${show(config)}`);
    }
    return regularizerFromConfig(s.className, config, where);
  }
  throw new TypeError(`${where}: expected a regularizer name or object, got ${show(id)}`);
}

/** Config form {className, config} as in Keras/tfjs JSON. */
export function serializeRegularizer(reg: Regularizer): SerializedRegularizer {
  return { className: reg.className, config: reg.getConfig() };
}
