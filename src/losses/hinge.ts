/**
 * Hinge losses (Keras 3 `Hinge`, `SquaredHinge`, `CategoricalHinge`).
 *
 *   Hinge         ℓ = mean_j max(1 − y_j·p_j, 0)
 *   SquaredHinge  ℓ = mean_j max(1 − y_j·p_j, 0)²
 *   CategoricalHinge  ℓ = max(neg − pos + 1, 0),  pos = Σ_j y_j·p_j,  neg = max_j (1 − y_j)·p_j
 *
 * Hinge and SquaredHinge take ±1 labels; as Keras 3 (`convert_binary_labels_to_hinge`),
 * when every label of the batch (the whole yTrue block of one call) is 0 or 1 they become
 * 2y − 1 — a decision per call, so a batch of only 1s is read as ±1 labels already. tfjs
 * never converts. At a kink (1 − y·p = 0, or tied maxima of neg) the gradient is the
 * one-sided 0 / the first maximum's. Layout: yPred, yTrue, dPred [rows, cols]; weights
 * [rows] or null (see Loss).
 */
import { Loss, checkLossOptions, zeroRow } from './loss.js';
import type { BaseLossOptions } from './loss.js';

export type HingeOptions = BaseLossOptions;
export type SquaredHingeOptions = BaseLossOptions;
export type CategoricalHingeOptions = BaseLossOptions;

/** Whether every value of yTrue[0, n) is 0 or 1 (Keras's is_binary over the batch). */
function allBinary(yTrue: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (y !== 0 && y !== 1) return false;
  }
  return true;
}

/** Shared by Hinge and SquaredHinge: the batch's label conversion, fixed during perSample. */
abstract class HingeBase extends Loss {
  /** −1: decide per call; 0/1: perSample's decision for the whole batch. */
  private forced = -1;

  protected override beginRows(yTrue: Float32Array, rows: number, cols: number): void {
    this.forced = allBinary(yTrue, rows * cols) ? 1 : 0;
  }

  protected override endRows(): void {
    this.forced = -1;
  }

  /** The label map y ← a·y + b: (2, −1) for a batch of 0/1 labels, else (1, 0). */
  protected converts(yTrue: Float32Array, n: number): boolean {
    return this.forced === -1 ? allBinary(yTrue, n) : this.forced === 1;
  }
}

export class Hinge extends HingeBase {
  readonly name = 'hinge';
  readonly className = 'Hinge';

  constructor(options: HingeOptions = {}) {
    const where = 'Hinge';
    checkLossOptions(options, [], where);
    super(options, where);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    const conv = this.converts(yTrue, rows * cols);
    const a = conv ? 2 : 1;
    const b = conv ? -1 : 0;
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
        const m = 1 - y * yPred[i];
        // ℓ = max(m, 0) → dℓ/dp = −y where m > 0
        seg += m > 0 ? m : 0 * m; // 0·m keeps a NaN visible
        if (dPred !== null) dPred[i] = m > 0 ? -y * g : 0;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }
}

export class SquaredHinge extends HingeBase {
  readonly name = 'squared_hinge';
  readonly className = 'SquaredHinge';

  constructor(options: SquaredHingeOptions = {}) {
    const where = 'SquaredHinge';
    checkLossOptions(options, [], where);
    super(options, where);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    const conv = this.converts(yTrue, rows * cols);
    const a = conv ? 2 : 1;
    const b = conv ? -1 : 0;
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
        const m = 1 - y * yPred[i];
        // ℓ = max(m, 0)² → dℓ/dp = −2·m·y where m > 0
        seg += m > 0 ? m * m : 0 * m; // 0·m keeps a NaN visible
        if (dPred !== null) dPred[i] = m > 0 ? -2 * m * y * g : 0;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }
}

export class CategoricalHinge extends Loss {
  readonly name = 'categorical_hinge';
  readonly className = 'CategoricalHinge';

  constructor(options: CategoricalHingeOptions = {}) {
    const where = 'CategoricalHinge';
    checkLossOptions(options, [], where);
    super(options, where);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / div; // per-sample value, no mean over the last axis
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, cols);
        continue;
      }
      let pos = 0;
      let neg = -Infinity;
      let k = 0;
      for (let j = 0; j < cols; j++) {
        const y = yTrue[o + j];
        const p = yPred[o + j];
        pos += y * p;
        const v = (1 - y) * p;
        if (v > neg) {
          neg = v;
          k = j;
        }
      }
      const m = neg - pos + 1;
      sum += w * (m > 0 ? m : 0 * m); // 0·m keeps a NaN visible
      if (dPred !== null) {
        // dℓ/dp_j = −y_j + [j = argmax]·(1 − y_k) where m > 0
        const g = scale * w;
        for (let j = 0; j < cols; j++) {
          dPred[o + j] = m > 0 ? (-yTrue[o + j] + (j === k ? 1 - yTrue[o + k] : 0)) * g : 0;
        }
      }
    }
    out[0] = div === 0 ? 0 : sum / div; // inline: a returned double would be boxed
  }
}

/** Hinge loss, mean of max(1 − y·p, 0) over the last axis; 0/1 labels become ±1 (Keras 3). */
export function hinge(options?: HingeOptions): Hinge {
  return new Hinge(options);
}

/** Squared hinge loss, mean of max(1 − y·p, 0)² over the last axis; 0/1 labels become ±1 (Keras 3). */
export function squaredHinge(options?: SquaredHingeOptions): SquaredHinge {
  return new SquaredHinge(options);
}

/** Categorical hinge loss max(max_j (1 − y_j)p_j − Σ y·p + 1, 0) per sample. */
export function categoricalHinge(options?: CategoricalHingeOptions): CategoricalHinge {
  return new CategoricalHinge(options);
}
