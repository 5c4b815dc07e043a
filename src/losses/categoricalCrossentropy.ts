/**
 * Categorical and sparse categorical cross-entropy (Keras 3), summed over the last
 * axis to give the per-sample value.
 *
 *   label smoothing (dense only):  y ← y·(1−s) + s/cols
 *   probabilities:  q ← p / Σp (along the row);  q ← clip(q, ε, 1−ε);  ℓ = −Σ y·log q
 *   logits:         ℓ = −Σ y·log_softmax(z) = (Σy)·logsumexp(z) − Σ y·z   (max-shifted)
 *
 * Sparse: y is one-hot of the integer label, so ℓ = −log q[label] (or −log_softmax).
 * Sparse `ignoreClass` (Keras 3): a row whose label equals it is left out — value 0,
 * gradient 0, its predictions not read — and the reduction treats it as masked (Keras
 * sets a mask on the values): 'sum_over_batch_size'/'mean' divide by the count of the
 * other rows, 'mean_with_sample_weight' by their Σw, 'sum' by 1.
 * Layout: yPred, dPred [rows, cols]; yTrue [rows, cols] (dense) or [rows] (sparse);
 * weights [rows] or null (see Loss).
 *
 * Gradient of the probability form goes through the normalisation:
 *   g_j = dℓ/dq_j = −y_j/q_j (0 where clipped),  dℓ/dp_k = (g_k − Σ_j g_j·q_j) / Σp.
 */
import { checkBoolean, show } from '../core/errors.js';
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

// Module-local copies: V8 boxes a double read through an import binding on every
// access in a hot loop, which would allocate on each call.
const LO: number = EPSILON;
const HI: number = ONE_MINUS_EPSILON;

export interface CategoricalCrossentropyOptions extends BaseLossOptions {
  /** Treat yPred as logits (softmax applied inside the loss). Default false. */
  fromLogits?: boolean;
  /** Smooth labels towards uniform: y ← y·(1−s) + s/cols. In [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Keras's class axis: −1 (the default) only. */
  axis?: number;
}

export interface SparseCategoricalCrossentropyOptions extends BaseLossOptions {
  /** Treat yPred as logits (softmax applied inside the loss). Default false. */
  fromLogits?: boolean;
  /**
   * A label value whose rows are left out of the loss (Keras 3, e.g. −1 or 255 for a
   * "void" class, or a padding label); null (default) keeps every row. Any integer, in
   * or out of [0, cols).
   */
  ignoreClass?: number | null;
  /** Keras's class axis: −1 (the default) only. */
  axis?: number;
}

/** Clip of the normalised probability, as Keras: clip(p/Σp, ε, 1−ε). */
function clipProb(q: number): number {
  return q < LO ? LO : q > HI ? HI : q;
}

export class CategoricalCrossentropy extends Loss {
  readonly name = 'categorical_crossentropy';
  readonly className = 'CategoricalCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;

  constructor(options: CategoricalCrossentropyOptions = {}) {
    const where = 'CategoricalCrossentropy';
    checkLossOptions(options, ['fromLogits', 'labelSmoothing', 'axis'], where);
    super(options, where);
    checkAxis(options.axis, where);
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
    const b = s / cols;
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / div; // per-sample value is a sum: no 1/cols
    const logits = this.fromLogits;
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, cols);
        continue;
      }
      const g = scale * w;
      if (logits) {
        // logsumexp, max-shifted
        let m = -Infinity;
        for (let j = 0; j < cols; j++) if (yPred[o + j] > m) m = yPred[o + j];
        let se = 0;
        let sy = 0;
        let syz = 0;
        for (let j = 0; j < cols; j++) {
          const y = a * yTrue[o + j] + b;
          se += Math.exp(yPred[o + j] - m);
          sy += y;
          syz += y * yPred[o + j];
        }
        const lse = m + Math.log(se);
        // ℓ = (Σy)·lse − Σ y·z
        sum += w * (sy * lse - syz);
        if (dPred !== null) {
          // dℓ/dz_k = (Σy)·softmax_k − y_k
          for (let j = 0; j < cols; j++) {
            const y = a * yTrue[o + j] + b;
            dPred[o + j] = (sy * Math.exp(yPred[o + j] - lse) - y) * g;
          }
        }
      } else {
        let sp = 0;
        for (let j = 0; j < cols; j++) sp += yPred[o + j];
        let rowLoss = 0;
        for (let j = 0; j < cols; j++) {
          const y = a * yTrue[o + j] + b;
          // ℓ = −Σ y·log clip(p/Σp)
          rowLoss -= y * Math.log(clipProb(yPred[o + j] / sp));
        }
        sum += w * rowLoss;
        if (dPred !== null) {
          // Σ_j g_j·q_j with g_j = −y_j/q_j where the clip is inactive: Σ −y_j over those j
          let gq = 0;
          for (let j = 0; j < cols; j++) {
            const q = yPred[o + j] / sp;
            if (q >= LO && q <= HI) gq -= a * yTrue[o + j] + b;
          }
          for (let j = 0; j < cols; j++) {
            const q = yPred[o + j] / sp;
            const gj = q >= LO && q <= HI ? -(a * yTrue[o + j] + b) / q : 0;
            // dℓ/dp_k = (g_k − Σ g_j q_j) / Σp
            dPred[o + j] = ((gj - gq) / sp) * g;
          }
        }
      }
    }
    out[0] = div === 0 ? 0 : (sum) / div; // inline: a returned double would be boxed
  }

  /** Targets are one-hot rows or probabilities: a value such as 2 is a data mistake (Keras would train on it silently). */
  override validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string, samples?: number): void {
    super.validateTargets(yTrue, rows, cols, where, samples);
    const bad = firstOutsideUnit(yTrue);
    if (bad >= 0) {
      const hint = Number.isInteger(yTrue[bad]) && cols > 1 ? "; for class indices use loss 'sparseCategoricalCrossentropy'" : '';
      throw new RangeError(`${where}: target ${bad} is ${show(yTrue[bad])}; categorical cross-entropy takes one-hot or probability targets in [0, 1]${targetPosition(bad, rows, cols, samples)}${hint}`);
    }
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

export class SparseCategoricalCrossentropy extends Loss {
  readonly name = 'sparse_categorical_crossentropy';
  readonly className = 'SparseCategoricalCrossentropy';
  override readonly sparse = true;
  readonly fromLogits: boolean;
  /** Label whose rows are left out, or null. */
  readonly ignoreClass: number | null;
  /** Module-local copy as a double, NaN when unset (no row matches NaN). */
  private readonly ign: number;

  constructor(options: SparseCategoricalCrossentropyOptions = {}) {
    const where = 'SparseCategoricalCrossentropy';
    checkLossOptions(options, ['fromLogits', 'ignoreClass', 'axis'], where);
    super(options, where);
    checkAxis(options.axis, where);
    this.fromLogits = options.fromLogits === undefined ? false : checkBoolean(options.fromLogits, `${where}: fromLogits`);
    const ic = options.ignoreClass;
    if (ic !== undefined && ic !== null && !Number.isInteger(ic)) {
      throw new TypeError(`${where}: ignoreClass must be an integer or null, got ${show(ic)}`);
    }
    this.ignoreClass = ic ?? null;
    this.ign = ic ?? Number.NaN;
  }

  /** div[0] ← the divisor with rows labelled ignoreClass left out (see the header); 1 per row in perSample. */
  private keptDivisorInto(yTrue: Float32Array, rows: number, weights: Float32Array | null): void {
    if (this.rowMode || this.reduction === 'sum' || this.reduction === 'none') {
      this.divisorInto(rows, weights); // 1, or the 'none' error
      return;
    }
    const ign = this.ign;
    const byWeight = this.reduction === 'mean_with_sample_weight' && weights !== null;
    let s = 0;
    for (let r = 0; r < rows; r++) if (yTrue[r] !== ign) s += byWeight ? weights[r]! : 1;
    this.div[0] = s;
  }

  /**
   * With ignoreClass, the output mask and the loss's own mask combine as Keras's
   * `mask = in_mask & out_mask`: for 'sum_over_batch_size'/'mean' the kept rows weigh
   * sw·mask·(kept / valid), valid counting the rows both masks keep, so that compute's
   * own division by the kept count gives Σ_valid sw·ℓ / valid as Keras does. Other
   * reductions take the mask as is (and compute multiplies in its own).
   */
  override maskWeights(mask: Float32Array, yTrue: Float32Array, rows: number, out: Float32Array, sampleWeights: Float32Array | null): void {
    if (this.ignoreClass === null || (this.reduction !== 'sum_over_batch_size' && this.reduction !== 'mean')) {
      super.maskWeights(mask, yTrue, rows, out, sampleWeights);
      return;
    }
    const ign = this.ign;
    let kept = 0;
    let valid = 0;
    for (let r = 0; r < rows; r++) {
      if (yTrue[r] === ign) continue;
      kept++;
      if (mask[r] !== 0) valid++;
    }
    const factor = valid === 0 ? 0 : Math.fround(kept / valid);
    for (let r = 0; r < rows; r++) {
      const m = Math.fround(mask[r]! * factor);
      out[r] = sampleWeights === null ? m : sampleWeights[r]! * m;
    }
  }

  override get unshardable(): string | null {
    return this.ignoreClass !== null
      ? `loss ${this.name} uses ignoreClass, whose divisor is the whole batch's count of kept rows`
      : super.unshardable;
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
    const ign = this.ign;
    if (ign === ign) this.keptDivisorInto(yTrue, rows, weights);
    else this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / div;
    const logits = this.fromLogits;
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const w = weights === null ? 1 : weights[r];
      if (w === 0 || yTrue[r] === ign) {
        if (dPred !== null) zeroRow(dPred, o, cols);
        continue;
      }
      const g = scale * w;
      const label = yTrue[r] | 0;
      if (logits) {
        let m = -Infinity;
        for (let j = 0; j < cols; j++) if (yPred[o + j] > m) m = yPred[o + j];
        let se = 0;
        for (let j = 0; j < cols; j++) se += Math.exp(yPred[o + j] - m);
        const lse = m + Math.log(se);
        // ℓ = lse − z[label]
        sum += w * (lse - yPred[o + label]);
        if (dPred !== null) {
          // dℓ/dz_k = softmax_k − [k = label]
          for (let j = 0; j < cols; j++) {
            dPred[o + j] = (Math.exp(yPred[o + j] - lse) - (j === label ? 1 : 0)) * g;
          }
        }
      } else {
        let sp = 0;
        for (let j = 0; j < cols; j++) sp += yPred[o + j];
        const q = yPred[o + label] / sp;
        // ℓ = −log clip(p[label]/Σp)
        sum -= w * Math.log(clipProb(q));
        if (dPred !== null) {
          const active = q >= LO && q <= HI;
          // g_label = −1/q, Σ g_j q_j = −1 (both 0 when clipped); dℓ/dp_k = (g_k − Σ g q)/Σp
          const gq = active ? -1 : 0;
          for (let j = 0; j < cols; j++) {
            const gj = active && j === label ? -1 / q : 0;
            dPred[o + j] = ((gj - gq) / sp) * g;
          }
        }
      }
    }
    out[0] = div === 0 ? 0 : (sum) / div; // inline: a returned double would be boxed
  }

  override validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string, samples?: number): void {
    super.validateTargets(yTrue, rows, cols, where, samples);
    const ign = this.ign;
    for (let i = 0; i < rows; i++) {
      const v = yTrue[i];
      if (v === ign) continue;
      if (!Number.isInteger(v) || v < 0 || v >= cols) {
        const also = this.ignoreClass === null ? '' : ` (or ignoreClass ${this.ignoreClass})`;
        throw new RangeError(
          `${where}: ${this.name} label at index ${i} is ${show(v)}; labels must be integers in [0, ${cols})${also}${targetPosition(i, rows, 1, samples)}`,
        );
      }
    }
  }

  override getConfig(): LossConfig {
    const c: LossConfig = { ...super.getConfig(), fromLogits: this.fromLogits };
    if (this.ignoreClass !== null) c.ignoreClass = this.ignoreClass;
    return c;
  }
}

/** Categorical cross-entropy over one-hot (or soft) targets; see {@link CategoricalCrossentropyOptions}. */
export function categoricalCrossentropy(options?: CategoricalCrossentropyOptions): CategoricalCrossentropy {
  return new CategoricalCrossentropy(options);
}

/** Categorical cross-entropy over integer class labels; see {@link SparseCategoricalCrossentropyOptions}. */
export function sparseCategoricalCrossentropy(options?: SparseCategoricalCrossentropyOptions): SparseCategoricalCrossentropy {
  return new SparseCategoricalCrossentropy(options);
}
