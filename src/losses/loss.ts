/**
 * Loss base. A loss sees the model output as a flat [rows, cols] block, where rows
 * counts the per-sample values Keras reduces over (batch, or batch × time for
 * sequence outputs) and cols is the last axis. yTrue is [rows, cols] for dense
 * targets, or [rows] class indices (stored as floats) for sparse losses.
 *
 * Contract of `compute` (Keras 3 `losses/losses.py` + `losses/loss.py`):
 *   per-sample value  = reduction over the last axis (mean or sum, per loss),
 *   reduced loss      = Σ per-sample values / rows   ('sum_over_batch_size', default)
 *                     = Σ per-sample values          ('sum').
 * When `dPred` is given it is OVERWRITTEN with d(reduced loss)/d(yPred), the exact
 * derivative of the formula as written (zero where a clip is active). Sums run in JS
 * doubles; nothing is allocated per call. Inputs are validated at the boundary
 * (`validateTargets`, model shape checks), never inside `compute`.
 */
import { checkNumberIn, checkOptions } from '../core/errors.js';

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
        `${where}: reduction ${JSON.stringify(r)} is not supported; supported reductions: ${REDUCTIONS.join(', ')}`,
      );
    }
    this.reduction = r as Reduction;
  }

  /**
   * Reduced loss over a [rows, cols] block; writes d(loss)/d(yPred) into dPred when
   * given. yPred: [rows, cols]; yTrue: [rows, cols] (dense) or [rows] (sparse);
   * dPred: [rows, cols] or null.
   */
  compute(yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null, rows: number, cols: number): number {
    this.computeInto(this.scratch, yPred, yTrue, dPred, rows, cols);
    return this.scratch[0]!;
  }

  /**
   * `compute` for the training loop: the reduced loss goes to out[0]. A returned
   * double is boxed (allocated) whenever the call is not inlined; this form is not.
   */
  abstract computeInto(out: Float64Array, yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null, rows: number, cols: number): void;

  private readonly scratch = new Float64Array(1);

  /**
   * Boundary check of targets: length, and for sparse losses every label an integer in
   * [0, cols). Throws RangeError naming the first bad label, its index and the range.
   */
  validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string): void {
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

/** Validate `labelSmoothing` ∈ [0, 1]; default 0. */
export function checkLabelSmoothing(value: unknown, where: string): number {
  if (value === undefined) return 0;
  return checkNumberIn(value, 0, 1, `${where}: labelSmoothing`);
}

/** Keras reduces an empty batch with divide_no_nan: 0, not NaN. */
export function reduceSum(sum: number, divisor: number): number {
  return divisor === 0 ? 0 : sum / divisor;
}
