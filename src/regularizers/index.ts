/**
 * Weight regularizers with Keras 3 formulas (keras/src/regularizers/regularizers.py):
 *
 *   penalty(w) = l1 · Σ|w| + l2 · Σw²        (no ½ on the L2 term)
 *   d penalty / dw = l1 · sign(w) + 2 · l2 · w   (sign(0) = 0, as TF's |·| gradient)
 *
 * A term whose factor is 0 is skipped entirely, as Keras's `if self.l1:` does (so an
 * Inf weight gives Inf, never 0 · Inf = NaN, from a term that is switched off).
 *
 * and OrthogonalRegularizer (Keras 3 `OrthogonalRegularizer(factor, mode)`), on a 2-D
 * weight whose n rows ('rows') or columns ('columns') are the vectors x_i:
 *
 *   u_i = x_i · rsqrt(max(Σx_i², ε²))   (Keras `ops.normalize`, ε = 1e-7)
 *   penalty = factor · ½ · Σ_{i≠j} |u_i·u_j| / (n(n − 1)/2) = factor · Σ_{i≠j} |u_i·u_j| / (n(n − 1))
 *   d penalty / dx_i = factor / (n(n − 1)) · r_i (v_i − (u_i·v_i) u_i),  v_i = 2 Σ_{j≠i} sign(u_i·u_j) u_j
 *   (r_i v_i alone where the norm is clamped, a vector shorter than ε).
 *
 * Contract: `penalty` reads a flat Float32Array of any shape and returns a float64
 * sum; `addGradient` adds (`+=`) into a gradient buffer of the same length. Both are
 * allocation-free and run inside the training step; validation happens in the
 * factories and in `getRegularizer`/`regularizerFromConfig` at the boundary. A
 * regularizer that needs the weight's shape (OrthogonalRegularizer) implements
 * `forWeight`, which the layer calls when it creates the weight: it checks the shape
 * and returns a copy bound to it.
 */
import { checkOptions, lookup, show } from '../core/errors.js';

export interface Regularizer {
  /** Keras class name: 'L1', 'L2', 'L1L2' or 'OrthogonalRegularizer' for the built-ins. */
  readonly className: string;
  /** The penalty this regularizer adds to the loss for weight `w` (any shape, flat). */
  penalty(w: Float32Array): number;
  /** grad += d penalty / dw, elementwise; `grad` and `w` have the same length. */
  addGradient(grad: Float32Array, w: Float32Array): void;
  /** JSON-safe config, the Keras `get_config()` keys. */
  getConfig(): Record<string, unknown>;
  /**
   * For a regularizer that needs the weight's shape: check it and return an instance
   * bound to it (RangeError naming `where` for a shape it cannot take). The layer calls
   * this once per weight; regularizers that read only the values leave it out.
   */
  forWeight?(shape: readonly number[], where: string): Regularizer;
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

export type OrthogonalMode = 'rows' | 'columns';

export interface OrthogonalRegularizerArgs {
  /** Factor of the mean absolute cosine between distinct vectors. Default 0.01. Must be finite and ≥ 0. */
  factor?: number;
  /** 'rows' (default): the rows of the 2-D weight are the vectors; 'columns': its columns. */
  mode?: OrthogonalMode;
}

/** Keras's normalize clamp: Σx² below ε² (ε = backend.epsilon() = 1e-7) counts as ε². */
const NORM_CLAMP = 1e-14;

/** Keras 3 OrthogonalRegularizer; see the header for the penalty and its gradient. */
export class OrthogonalRegularizer implements Regularizer {
  readonly className = 'OrthogonalRegularizer';
  /** Vectors (n), their length (d), and the flat strides of a vector and of a component. */
  private readonly n: number;
  private readonly d: number;
  private readonly vecStride: number;
  private readonly compStride: number;
  /** Scratch for the bound shape: normalized vectors u [n·d], 1/norm r [n], clamped flags, v [d]. */
  private readonly u: Float64Array;
  private readonly r: Float64Array;
  private readonly clamped: Uint8Array;
  private readonly v: Float64Array;

  constructor(
    readonly factor: number,
    readonly mode: OrthogonalMode,
    readonly shape: readonly number[] | null = null,
  ) {
    if (shape === null) {
      this.n = this.d = this.vecStride = this.compStride = 0;
    } else {
      const [rows, cols] = shape as [number, number];
      this.n = mode === 'rows' ? rows : cols;
      this.d = mode === 'rows' ? cols : rows;
      this.vecStride = mode === 'rows' ? cols : 1;
      this.compStride = mode === 'rows' ? 1 : cols;
    }
    this.u = new Float64Array(this.n * this.d);
    this.r = new Float64Array(this.n);
    this.clamped = new Uint8Array(this.n);
    this.v = new Float64Array(this.d);
  }

  forWeight(shape: readonly number[], where: string): OrthogonalRegularizer {
    if (shape.length !== 2) {
      throw new RangeError(`${where}: OrthogonalRegularizer needs a 2-D weight (as Keras), got shape [${shape.join(', ')}]`);
    }
    const n = this.mode === 'rows' ? shape[0]! : shape[1]!;
    if (n < 2) {
      throw new RangeError(
        `${where}: OrthogonalRegularizer mode '${this.mode}' on shape [${shape.join(', ')}] has ${n} ${this.mode === 'rows' ? 'row' : 'column'}: ` +
          `no pairs to make orthogonal (Keras divides by zero pairs and gives NaN)`,
      );
    }
    return new OrthogonalRegularizer(this.factor, this.mode, [...shape]);
  }

  private check(w: Float32Array, what: string): void {
    if (this.shape === null) {
      throw new RangeError(
        `OrthogonalRegularizer: ${what} needs the weight's 2-D shape: pass it as a layer regularizer, or call forWeight([rows, cols], where) first`,
      );
    }
    if (w.length !== this.n * this.d) {
      throw new RangeError(`OrthogonalRegularizer: bound to shape [${this.shape.join(', ')}] (${this.n * this.d} values), got ${w.length}`);
    }
  }

  /** Fill u, r and clamped from w. */
  private normalize(w: Float32Array): void {
    const { n, d, vecStride, compStride, u, r, clamped } = this;
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let k = 0; k < d; k++) {
        const x = w[i * vecStride + k * compStride]!;
        ss += x * x;
      }
      clamped[i] = ss < NORM_CLAMP ? 1 : 0;
      const ri = 1 / Math.sqrt(ss < NORM_CLAMP ? NORM_CLAMP : ss);
      r[i] = ri;
      for (let k = 0; k < d; k++) u[i * d + k] = w[i * vecStride + k * compStride]! * ri;
    }
  }

  private dot(i: number, j: number): number {
    const { d, u } = this;
    let s = 0;
    for (let k = 0; k < d; k++) s += u[i * d + k]! * u[j * d + k]!;
    return s;
  }

  penalty(w: Float32Array): number {
    this.check(w, 'penalty');
    if (this.factor === 0) return 0;
    this.normalize(w);
    const n = this.n;
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sum += Math.abs(this.dot(i, j));
    // Σ over ordered pairs i ≠ j is twice the unordered sum: factor·½·2S/(n(n−1)/2)
    return (this.factor * 2 * sum) / (n * (n - 1));
  }

  addGradient(grad: Float32Array, w: Float32Array): void {
    this.check(w, 'addGradient');
    if (grad.length !== w.length) {
      throw new RangeError(`OrthogonalRegularizer: gradient length ${grad.length} does not match weight length ${w.length}`);
    }
    if (this.factor === 0) return;
    this.normalize(w);
    const { n, d, vecStride, compStride, u, r, clamped, v } = this;
    const scale = this.factor / (n * (n - 1));
    for (let i = 0; i < n; i++) {
      v.fill(0);
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const c = this.dot(i, j);
        // d|c|/dc = sign(c), sign(0) = 0 as TF's |·| gradient; ×2: |u_i·u_j| appears as (i, j) and (j, i)
        const sgn = 2 * ((c > 0 ? 1 : 0) - (c < 0 ? 1 : 0));
        if (sgn === 0) continue;
        for (let k = 0; k < d; k++) v[k] = v[k]! + sgn * u[j * d + k]!;
      }
      let uv = 0;
      if (clamped[i] === 0) for (let k = 0; k < d; k++) uv += u[i * d + k]! * v[k]!;
      const ri = r[i]!;
      for (let k = 0; k < d; k++) {
        const at = i * vecStride + k * compStride;
        grad[at] = grad[at]! + scale * ri * (v[k]! - uv * u[i * d + k]!);
      }
    }
  }

  getConfig(): Record<string, unknown> {
    return { factor: this.factor, mode: this.mode };
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
  /** Keras 3 `OrthogonalRegularizer`: factor · mean |cosine| between distinct rows (or columns) of a 2-D weight. Defaults factor 0.01, mode 'rows'. */
  orthogonalRegularizer: (o: OrthogonalRegularizerArgs = {}): Regularizer => {
    const where = 'orthogonalRegularizer';
    checkOptions(o, ['factor', 'mode'], where);
    const mode = o.mode === undefined || o.mode === null ? 'rows' : o.mode;
    if (mode !== 'rows' && mode !== 'columns') throw new RangeError(`${where}: mode must be 'rows' or 'columns', got ${show(mode)}`);
    return new OrthogonalRegularizer(factor(o.factor, 0.01, 'factor', where), mode);
  },
};

/** String identifiers: tfjs/Keras function names, Keras snake_case and class names. */
export type RegularizerIdentifier =
  | 'l1'
  | 'l2'
  | 'l1l2'
  | 'l1_l2'
  | 'L1'
  | 'L2'
  | 'L1L2'
  | 'orthogonalRegularizer'
  | 'orthogonal_regularizer'
  | 'OrthogonalRegularizer';

const byName = new Map<string, () => Regularizer>([
  ['l1', () => regularizers.l1()],
  ['l2', () => regularizers.l2()],
  ['l1l2', () => regularizers.l1l2()],
  ['l1_l2', () => regularizers.l1l2()],
  ['L1', () => regularizers.l1()],
  ['L2', () => regularizers.l2()],
  ['L1L2', () => regularizers.l1l2()],
  ['orthogonalRegularizer', () => regularizers.orthogonalRegularizer()],
  ['orthogonal_regularizer', () => regularizers.orthogonalRegularizer()],
  ['OrthogonalRegularizer', () => regularizers.orthogonalRegularizer()],
]);

const byClass = new Map<string, (config: Record<string, unknown>) => Regularizer>([
  ['L1', (c) => regularizers.l1(c as L1Args)],
  ['L2', (c) => regularizers.l2(c as L2Args)],
  ['L1L2', (c) => regularizers.l1l2(c as L1L2Args)],
  ['OrthogonalRegularizer', (c) => regularizers.orthogonalRegularizer(c as OrthogonalRegularizerArgs)],
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
