/**
 * Loss base. A loss sees the model output as a flat [rows, cols] block, where rows
 * counts the per-sample values Keras reduces over (batch, or batch × time for
 * sequence outputs) and cols is the last axis. yTrue is [rows, cols] for dense
 * targets, or [rows] class indices (stored as floats) for sparse losses.
 *
 * Contract of `compute` (Keras 3 `losses/losses.py` + `losses/loss.py`):
 *   per-sample value  = reduction over the last axis (mean or sum, per loss),
 *   weighted value    = w[r] · per-sample value     (w ≡ 1 when weights is null),
 *   reduced loss      = Σ weighted values / rows    ('sum_over_batch_size', default)
 *                     = Σ weighted values           ('sum').
 * The divisor is the row count whatever the weights (Keras divides by the number of
 * per-sample values, not by Σw). Weights carry sample weights, class weights and
 * masks, one per row (batch × time rows for sequence outputs: the caller broadcasts
 * a per-sample weight over its timesteps); fold a mask in with `maskToWeights`.
 * A row whose weight is exactly 0 is skipped: it adds 0 to the loss and its gradient
 * row is 0 even if its predictions are not finite (Keras would give 0·NaN = NaN there).
 * When `dPred` is given it is OVERWRITTEN with d(reduced loss)/d(yPred), the exact
 * derivative of the formula as written (zero where a clip is active). Sums run in JS
 * doubles; nothing is allocated per call. Inputs are validated at the boundary
 * (`validateTargets`, model shape checks, weights of length ≥ rows), never inside
 * `compute`.
 */
import { checkNumberIn, checkOptions, show } from '../core/errors.js';

/** How the per-sample values are reduced to one number. */
export type Reduction = 'sum_over_batch_size' | 'sum';

/** Options every loss accepts. */
export interface BaseLossOptions {
  /**
   * 'sum_over_batch_size' (default): sum of per-sample values divided by their count
   * (batch, or batch × time for sequence outputs). 'sum': plain sum.
   */
  reduction?: Reduction;
}

/** Keras `backend.epsilon()` as the float32 value the clip actually uses. */
export const EPSILON = Math.fround(1e-7);
/** `1 − ε` rounded to float32, as Keras's float32 clip bound (0.99999988…). */
export const ONE_MINUS_EPSILON = Math.fround(1 - 1e-7);

const REDUCTIONS: readonly string[] = ['sum_over_batch_size', 'sum'];

/** Keras options that exist on every loss but that rnnkit does not build. */
export const LATER_BASE: Readonly<Record<string, string>> = {
  axis: 'losses reduce over the last axis only',
  dtype: 'losses compute in float32 inputs with float64 sums',
};

/** A JSON-safe loss configuration (camelCase keys). */
export type LossConfig = Record<string, string | number | boolean>;

export abstract class Loss {
  /** Keras function name, e.g. 'binary_crossentropy'. */
  abstract readonly name: string;
  /** Keras class name, e.g. 'BinaryCrossentropy'. */
  abstract readonly className: string;
  /** True when targets are [rows] class indices instead of [rows, cols]. */
  readonly sparse: boolean = false;
  readonly reduction: Reduction;

  protected constructor(options: BaseLossOptions | undefined, where: string) {
    const r = options?.reduction ?? 'sum_over_batch_size';
    if (typeof r !== 'string' || !REDUCTIONS.includes(r)) {
      throw new RangeError(
        `${where}: reduction ${show(r)} is not supported; supported reductions: ${REDUCTIONS.join(', ')}`,
      );
    }
    this.reduction = r as Reduction;
  }

  /**
   * Reduced loss over a [rows, cols] block; writes d(loss)/d(yPred) into dPred when
   * given. yPred: [rows, cols]; yTrue: [rows, cols] (dense) or [rows] (sparse);
   * dPred: [rows, cols] or null; weights: [≥ rows] per-row weights, or null for 1.
   */
  compute(
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null = null,
  ): number {
    this.computeInto(this.scratch, yPred, yTrue, dPred, rows, cols, weights);
    return this.scratch[0]!;
  }

  /**
   * `compute` for the training loop: the reduced loss goes to out[0]. A returned
   * double is boxed (allocated) whenever the call is not inlined; this form is not.
   * weights (length ≥ rows, or null) multiplies each row's per-sample value and its
   * gradient; the divisor stays `rows` for 'sum_over_batch_size'.
   */
  abstract computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void;

  private readonly scratch = new Float64Array(1);

  /**
   * Boundary check of targets: length, and the range of the loss where it has one (sparse
   * losses: integers in [0, cols); cross-entropies: [0, 1]). Throws RangeError naming the
   * first bad value, its index and the range; with `samples` (the sample count, when rows
   * are samples × time steps) also the sample and the step.
   */
  validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string, _samples?: number): void {
    const expected = this.sparse ? rows : rows * cols;
    if (yTrue.length !== expected) {
      const shape = this.sparse ? `[${rows}]` : `[${rows}, ${cols}]`;
      throw new RangeError(`${where}: ${this.name} expected ${expected} target values (${shape}), got ${yTrue.length}`);
    }
  }

  /** JSON-safe configuration, camelCase keys; `lossFromConfig(className, config)` rebuilds it. */
  getConfig(): LossConfig {
    return { name: this.name, reduction: this.reduction };
  }

  /** Divisor that turns the sum of per-sample values into the reduced loss. */
  protected divisor(rows: number): number {
    return this.reduction === 'sum' ? 1 : rows;
  }
}

/** Shared option checks: unknown keys, then the common `reduction`. */
export function checkLossOptions(
  options: object | undefined,
  supported: readonly string[],
  where: string,
  later: Readonly<Record<string, string>> = {},
): void {
  checkOptions(options, ['reduction', ...supported], where, { ...LATER_BASE, ...later });
}

/**
 * Where flat target index i lies, for messages: " (sample s, step t, column c)" with the
 * sample count, else " (row r, column c)" when there are several columns, else "".
 */
export function targetPosition(i: number, rows: number, cols: number, samples: number | undefined): string {
  const r = Math.floor(i / cols);
  const col = cols > 1 ? `, column ${i % cols}` : '';
  if (samples === undefined || samples <= 0 || rows % samples !== 0) return cols > 1 ? ` (row ${r}${col})` : '';
  const steps = rows / samples;
  return ` (sample ${Math.floor(r / steps)}${steps > 1 ? `, step ${r % steps}` : ''}${col})`;
}

/** The first target outside [0, 1] (NaN included), or −1. */
export function firstOutsideUnit(yTrue: Float32Array): number {
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i]!;
    if (!(v >= 0 && v <= 1)) return i;
  }
  return -1;
}

/** Validate `labelSmoothing` ∈ [0, 1]; default 0. */
export function checkLabelSmoothing(value: unknown, where: string): number {
  if (value === undefined) return 0;
  return checkNumberIn(value, 0, 1, `${where}: labelSmoothing`);
}

/** Zero row [o, o + cols) of a gradient: the gradient of a row with weight 0. */
export function zeroRow(d: Float32Array, o: number, cols: number): void {
  for (let j = 0; j < cols; j++) d[o + j] = 0;
}

/**
 * Fold a mask into per-row loss weights, as Keras 3 `apply_mask` (losses/loss.py):
 *   'sum_over_batch_size':  w = mask · total / (valid + ε),  total = rows, valid = Σ mask
 *   'sum':                  w = mask
 * then w ← sampleWeights · w when sampleWeights is given. The scaling makes the
 * 'sum_over_batch_size' loss (which divides by rows) the mean over valid rows only
 * (up to the ε); with no valid row every weight is 0 and the loss is 0. Arithmetic
 * is float32 as in Keras: the factor total/(valid + ε) is rounded once, each product
 * is rounded on store. Metrics take the mask as is (Keras passes reduction 'sum' for
 * them), so use reduction 'sum' to build metric weights.
 *
 * mask, sampleWeights: [≥ rows]; out: [≥ rows], written at [0, rows). out may alias
 * mask or sampleWeights. Allocates nothing.
 */
export function maskToWeights(
  mask: Float32Array,
  rows: number,
  out: Float32Array,
  sampleWeights: Float32Array | null,
  reduction: Reduction = 'sum_over_batch_size',
): void {
  let factor = 1;
  if (reduction === 'sum_over_batch_size') {
    let valid = 0;
    for (let i = 0; i < rows; i++) valid += mask[i]!;
    // total / (valid + ε) in float32; valid is exact for 0/1 masks below 2^24 rows
    factor = Math.fround(Math.fround(rows) / Math.fround(Math.fround(valid) + EPSILON));
  }
  if (sampleWeights === null) {
    for (let i = 0; i < rows; i++) out[i] = mask[i]! * factor;
  } else {
    for (let i = 0; i < rows; i++) out[i] = sampleWeights[i]! * Math.fround(mask[i]! * factor);
  }
}
