/**
 * Focal cross-entropies (Keras 3 `BinaryFocalCrossentropy`, `CategoricalFocalCrossentropy`,
 * after Lin et al. 2018), computed as Keras's numpy/JAX/torch backends do.
 *
 * Binary, per element, then the mean over the last axis:
 *   y ← y·(1−s) + 0.5·s;  p = σ(z) with fromLogits, else the prediction
 *   bce = −(y·log c + (1−y)·log(1−c)),  c = clip(p, ε, 1−ε)
 *   ℓ = w · (1 − p_t)^γ · bce,  1 − p_t = y·(1−p) + (1−y)·p   (p unclipped, as Keras)
 *   w = y·α + (1−y)·(1−α) with applyClassBalancing, else 1
 * Categorical, per row (a sum over the last axis):
 *   y ← y·(1−s) + s/cols;  q = softmax(z) with fromLogits, else p / Σp;  c = clip(q, ε, 1−ε)
 *   ℓ = Σ_j α_j · (1 − c_j)^γ · (−y_j·log c_j)        (α a number or one per class)
 * Note that fromLogits goes through the clipped probabilities (Keras applies sigmoid /
 * softmax, then the probability form), unlike the plain cross-entropies' logit forms.
 * Gradients are exact for these formulas, the focal factor included; the clip passes none
 * outside [ε, 1−ε]. Layout: yPred, yTrue, dPred [rows, cols]; weights [rows] or null (see Loss).
 */
import { checkBoolean, checkNumberIn, show } from '../core/errors.js';
import {
  EPSILON,
  Loss,
  ONE_MINUS_EPSILON,
  checkAxis,
  checkLabelSmoothing,
  checkLossOptions,
  firstOutsideUnit,
  targetPosition,
  zeroRow,
} from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

// Module-local copies: V8 boxes a double read through an import binding on every access.
const LO: number = EPSILON;
const HI: number = ONE_MINUS_EPSILON;

export interface BinaryFocalCrossentropyOptions extends BaseLossOptions {
  /** Weigh class 1 by alpha and class 0 by 1 − alpha. Default false. */
  applyClassBalancing?: boolean;
  /** Class-1 weight when applyClassBalancing, in [0, 1]; default 0.25. */
  alpha?: number;
  /** Focusing parameter γ ≥ 0 of the factor (1 − p_t)^γ; default 2 (0: plain BCE). */
  gamma?: number;
  /** Treat yPred as logits (sigmoid applied inside). Default false. */
  fromLogits?: boolean;
  /** Smooth labels towards 0.5: y ← y·(1−s) + 0.5·s. In [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Keras's axis of the mean: −1 (the default) only. */
  axis?: number;
}

export interface CategoricalFocalCrossentropyOptions extends BaseLossOptions {
  /** Class weight α ≥ 0: one number for every class, or one per class; default 0.25. */
  alpha?: number | readonly number[];
  /** Focusing parameter γ ≥ 0 of the factor (1 − q)^γ; default 2. */
  gamma?: number;
  /** Treat yPred as logits (softmax applied inside). Default false. */
  fromLogits?: boolean;
  /** Smooth labels towards uniform: y ← y·(1−s) + s/cols. In [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Keras's class axis: −1 (the default) only. */
  axis?: number;
}

function checkGamma(value: unknown, where: string): number {
  return value === undefined ? 2 : checkNumberIn(value, 0, Infinity, `${where}: gamma`, { hiOpen: true });
}

export class BinaryFocalCrossentropy extends Loss {
  readonly name = 'binary_focal_crossentropy';
  readonly className = 'BinaryFocalCrossentropy';
  readonly applyClassBalancing: boolean;
  readonly alpha: number;
  readonly gamma: number;
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;

  constructor(options: BinaryFocalCrossentropyOptions = {}) {
    const where = 'BinaryFocalCrossentropy';
    checkLossOptions(options, ['applyClassBalancing', 'alpha', 'gamma', 'fromLogits', 'labelSmoothing', 'axis'], where);
    super(options, where);
    checkAxis(options.axis, where);
    this.applyClassBalancing = options.applyClassBalancing === undefined ? false : checkBoolean(options.applyClassBalancing, `${where}: applyClassBalancing`);
    this.alpha = options.alpha === undefined ? 0.25 : checkNumberIn(options.alpha, 0, 1, `${where}: alpha`);
    this.gamma = checkGamma(options.gamma, where);
    this.fromLogits = options.fromLogits === undefined ? false : checkBoolean(options.fromLogits, `${where}: fromLogits`);
    this.labelSmoothing = checkLabelSmoothing(options.labelSmoothing, where);
  }

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    const s = this.labelSmoothing;
    const a = 1 - s; // y ← a·y + b
    const b = 0.5 * s;
    const gamma = this.gamma;
    const balance = this.applyClassBalancing;
    const alpha = this.alpha;
    const logits = this.fromLogits;
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    // Segments: one flat loop without weights, else one per row (see MeanSquaredError).
    const segs = weights === null ? 1 : rows;
    const len = weights === null ? rows * cols : cols;
    let sum = 0;
    for (let r = 0, o = 0; r < segs; r++, o += len) {
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, len);
        continue;
      }
      const g = scale * w;
      let seg = 0;
      const end = o + len;
      for (let i = o; i < end; i++) {
        const y = a * yTrue[i] + b;
        const z = yPred[i];
        // p = σ(z) (sign-split) with logits; dp/dz = p(1 − p)
        const p = logits ? (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))) : z;
        const clipped = p < LO || p > HI;
        const c = p < LO ? LO : p > HI ? HI : p;
        const bce = -(y * Math.log(c) + (1 - y) * Math.log(1 - c));
        const u = y * (1 - p) + (1 - y) * p; // 1 − p_t
        const f = Math.pow(u, gamma);
        const wc = balance ? y * alpha + (1 - y) * (1 - alpha) : 1;
        seg += wc * f * bce;
        if (dPred !== null) {
          // dℓ/dp = wc·(γ·u^(γ−1)·(1 − 2y)·bce + f·dbce/dp); dbce/dp = −y/c + (1−y)/(1−c) inside the clip
          const df = gamma === 0 ? 0 : gamma * Math.pow(u, gamma - 1) * (1 - 2 * y);
          const dbce = clipped ? 0 : -y / c + (1 - y) / (1 - c);
          const dp = wc * (df * bce + f * dbce);
          dPred[i] = (logits ? dp * p * (1 - p) : dp) * g;
        }
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }

  /** Targets are probabilities, as for binary cross-entropy. */
  override validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string, samples?: number): void {
    super.validateTargets(yTrue, rows, cols, where, samples);
    const bad = firstOutsideUnit(yTrue);
    if (bad >= 0) throw new RangeError(`${where}: target ${bad} is ${show(yTrue[bad])}; binary focal cross-entropy takes targets in [0, 1]${targetPosition(bad, rows, cols, samples)}`);
  }

  override getConfig(): LossConfig {
    return {
      ...super.getConfig(),
      applyClassBalancing: this.applyClassBalancing,
      alpha: this.alpha,
      gamma: this.gamma,
      fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing,
    };
  }
}

export class CategoricalFocalCrossentropy extends Loss {
  readonly name = 'categorical_focal_crossentropy';
  readonly className = 'CategoricalFocalCrossentropy';
  /** α as given: one number, or a frozen copy of the per-class list. */
  readonly alpha: number | readonly number[];
  readonly gamma: number;
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  /** Per-class α, or null when one number applies to every class. */
  private readonly alphas: Float64Array | null;
  private readonly alpha0: number;

  constructor(options: CategoricalFocalCrossentropyOptions = {}) {
    const where = 'CategoricalFocalCrossentropy';
    checkLossOptions(options, ['alpha', 'gamma', 'fromLogits', 'labelSmoothing', 'axis'], where);
    super(options, where);
    checkAxis(options.axis, where);
    const al = options.alpha;
    if (Array.isArray(al)) {
      if (al.length === 0) throw new RangeError(`${where}: alpha is an empty list; give one weight per class, or one number`);
      const list = (al as readonly unknown[]).map((v, j) => checkNumberIn(v, 0, Infinity, `${where}: alpha[${j}]`, { hiOpen: true }));
      this.alpha = Object.freeze(list);
      this.alphas = Float64Array.from(list);
      this.alpha0 = 0;
    } else {
      this.alpha = al === undefined ? 0.25 : checkNumberIn(al, 0, Infinity, `${where}: alpha`, { hiOpen: true });
      this.alphas = null;
      this.alpha0 = this.alpha;
    }
    this.gamma = checkGamma(options.gamma, where);
    this.fromLogits = options.fromLogits === undefined ? false : checkBoolean(options.fromLogits, `${where}: fromLogits`);
    this.labelSmoothing = checkLabelSmoothing(options.labelSmoothing, where);
  }

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    const alphas = this.alphas;
    if (alphas !== null && alphas.length !== cols) throw this.alphaMismatch(cols);
    const alpha0 = this.alpha0;
    const s = this.labelSmoothing;
    const a = 1 - s; // y ← a·y + b
    const b = s / cols;
    const gamma = this.gamma;
    const logits = this.fromLogits;
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / div; // per-sample value is a sum: no 1/cols
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, cols);
        continue;
      }
      // q_j = exp(z_j − lse) with logits (max-shifted), else p_j / Σp
      let shift = 0;
      let sp = 0;
      if (logits) {
        let m = -Infinity;
        for (let j = o; j < o + cols; j++) if (yPred[j] > m) m = yPred[j];
        let se = 0;
        for (let j = o; j < o + cols; j++) se += Math.exp(yPred[j] - m);
        shift = m + Math.log(se);
      } else {
        for (let j = o; j < o + cols; j++) sp += yPred[j];
      }
      let rowLoss = 0;
      let gq = 0; // Σ_j g_j·q_j, g_j = dℓ/dq_j
      for (let j = 0; j < cols; j++) {
        const q = logits ? Math.exp(yPred[o + j] - shift) : yPred[o + j] / sp;
        const c = q < LO ? LO : q > HI ? HI : q;
        const y = a * yTrue[o + j] + b;
        const al = alphas === null ? alpha0 : alphas[j];
        const f = Math.pow(1 - c, gamma);
        const lc = Math.log(c);
        // ℓ_j = α·(1 − c)^γ·(−y·log c)
        rowLoss -= al * f * y * lc;
        if (dPred !== null && q >= LO && q <= HI) {
          // g_j = α·y·(γ·(1 − c)^(γ−1)·log c − (1 − c)^γ / c)
          const df = gamma === 0 ? 0 : gamma * Math.pow(1 - c, gamma - 1) * lc;
          gq += al * y * (df - f / c) * q;
        }
      }
      sum += w * rowLoss;
      if (dPred !== null) {
        const g = scale * w;
        for (let j = 0; j < cols; j++) {
          const q = logits ? Math.exp(yPred[o + j] - shift) : yPred[o + j] / sp;
          let gj = 0;
          if (q >= LO && q <= HI) {
            const y = a * yTrue[o + j] + b;
            const al = alphas === null ? alpha0 : alphas[j];
            const df = gamma === 0 ? 0 : gamma * Math.pow(1 - q, gamma - 1) * Math.log(q);
            gj = al * y * (df - Math.pow(1 - q, gamma) / q);
          }
          // logits: dℓ/dz_k = q_k·(g_k − Σ g q); probabilities: dℓ/dp_k = (g_k − Σ g q) / Σp
          dPred[o + j] = (logits ? q * (gj - gq) : (gj - gq) / sp) * g;
        }
      }
    }
    out[0] = div === 0 ? 0 : sum / div; // inline: a returned double would be boxed
  }

  private alphaMismatch(cols: number): RangeError {
    return new RangeError(`${this.className}: alpha has ${this.alphas!.length} per-class weights but the output has ${cols} classes`);
  }

  /** Targets are one-hot rows or probabilities; a per-class alpha must match the class count. */
  override validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string, samples?: number): void {
    super.validateTargets(yTrue, rows, cols, where, samples);
    if (this.alphas !== null && this.alphas.length !== cols) throw new RangeError(`${where}: ${this.alphaMismatch(cols).message}`);
    const bad = firstOutsideUnit(yTrue);
    if (bad >= 0) {
      const hint = Number.isInteger(yTrue[bad]) && cols > 1 ? '; it takes one-hot targets (class indices must be one-hot encoded)' : '';
      throw new RangeError(`${where}: target ${bad} is ${show(yTrue[bad])}; categorical focal cross-entropy takes one-hot or probability targets in [0, 1]${targetPosition(bad, rows, cols, samples)}${hint}`);
    }
  }

  override getConfig(): LossConfig {
    return {
      ...super.getConfig(),
      alpha: typeof this.alpha === 'number' ? this.alpha : [...this.alpha],
      gamma: this.gamma,
      fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing,
    };
  }
}

/** Binary focal cross-entropy; see {@link BinaryFocalCrossentropyOptions}. */
export function binaryFocalCrossentropy(options?: BinaryFocalCrossentropyOptions): BinaryFocalCrossentropy {
  return new BinaryFocalCrossentropy(options);
}

/** Categorical focal cross-entropy over one-hot (or soft) targets; see {@link CategoricalFocalCrossentropyOptions}. */
export function categoricalFocalCrossentropy(options?: CategoricalFocalCrossentropyOptions): CategoricalFocalCrossentropy {
  return new CategoricalFocalCrossentropy(options);
}
