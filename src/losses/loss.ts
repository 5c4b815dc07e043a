/**
 * Loss base. A loss sees the model output as a flat [rows, cols] block, where rows
 * counts the per-sample values Keras reduces over (batch, or batch × time for
 * sequence outputs) and cols is the last axis. yTrue is [rows, cols] for dense
 * targets, or [rows] class indices (stored as floats) for sparse losses.
 *
 * Contract of `compute` (Keras 3 `losses/losses.py` + `losses/loss.py`):
 *   per-sample value  = reduction over the last axis (mean or sum, per loss),
 *   weighted value    = w[r] · per-sample value     (w ≡ 1 when weights is null),
 *   reduced loss      = Σ weighted values / rows    ('sum_over_batch_size', default; 'mean')
 *                     = Σ weighted values           ('sum')
 *                     = Σ weighted values / Σ w     ('mean_with_sample_weight'; 0 when Σw = 0)
 *                     = one value per row           ('none': `perSample`, not `compute`).
 * For 'sum_over_batch_size' the divisor is the row count whatever the weights (Keras
 * divides by the number of per-sample values, not by Σw). Weights carry sample weights, class weights and
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

/**
 * How the per-sample values are reduced to one number (Keras 3 `reduce_values`).
 * 'mean' is Keras's synonym of 'sum_over_batch_size' (kept as written in the config);
 * 'none' keeps one value per row and is read with `perSample` (compile refuses it: a
 * model trains on one number).
 */
export type Reduction = 'sum_over_batch_size' | 'mean' | 'sum' | 'mean_with_sample_weight' | 'none';

/** Options every loss accepts. */
export interface BaseLossOptions {
  /**
   * 'sum_over_batch_size' (default) or 'mean': sum of the weighted per-sample values
   * divided by their count (batch, or batch × time for sequence outputs). 'sum': plain
   * sum. 'mean_with_sample_weight': divided by the sum of the weights instead (by the
   * count without weights). 'none': no reduction, one value per row from `perSample`
   * (Keras also accepts `None`; `lossFromConfig` reads a null reduction as 'none').
   */
  reduction?: Reduction;
}

/** Keras `backend.epsilon()` as the float32 value the clip actually uses. */
export const EPSILON = Math.fround(1e-7);
/** `1 − ε` rounded to float32, as Keras's float32 clip bound (0.99999988…). */
export const ONE_MINUS_EPSILON = Math.fround(1 - 1e-7);

const REDUCTIONS: readonly string[] = ['sum_over_batch_size', 'mean', 'sum', 'mean_with_sample_weight', 'none'];

/** ε² in float32: Keras 3 `normalize` clamps the squared L2 norm at ε·ε. */
export const EPSILON_SQUARED = Math.fround(1e-7 * 1e-7);

/** Keras options that exist on every loss but that rnnkit does not build. */
export const LATER_BASE: Readonly<Record<string, string>> = {
  axis: 'losses reduce over the last axis only',
  dtype: 'losses compute in float32 inputs with float64 sums',
  name: "a loss is named by its class, with Keras's function name (loss.name); lossFromConfig drops a saved name",
};

/** A JSON-safe loss configuration (camelCase keys); arrays hold per-class values (focal `alpha`). */
export type LossConfig = Record<string, string | number | boolean | number[]>;

export abstract class Loss {
  /** Keras function name, e.g. 'binary_crossentropy'. */
  abstract readonly name: string;
  /** Keras class name, e.g. 'BinaryCrossentropy'. */
  abstract readonly className: string;
  /** True when targets are [rows] class indices instead of [rows, cols]. */
  readonly sparse: boolean = false;
  readonly reduction: Reduction;

  protected constructor(options: BaseLossOptions | undefined, where: string) {
    const r: unknown = options?.reduction === undefined ? 'sum_over_batch_size' : options.reduction;
    if (r === null) {
      // Keras's None means no reduction; spelt out here so that null is not read as "default"
      throw new RangeError(`${where}: reduction null is ambiguous; write 'none' for Keras's None (one value per row), or leave it out for 'sum_over_batch_size'`);
    }
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
   * True while `perSample` evaluates one row at a time: the divisor is then 1 and a loss
   * that masks rows itself (sparse `ignoreClass`) gives such a row 0.
   */
  protected rowMode = false;

  /**
   * Per-row loss values, Keras 3's `loss(y_true, y_pred, sample_weight)` with reduction
   * 'none' (whatever this loss's reduction; without weights, Keras's `loss.call(y_true,
   * y_pred)` — note the argument order here is compute's, predictions first, and the name
   * is not `call` so that a Keras habit cannot swap them silently): out[r] = w[r] · value of row r, rounded to
   * float32 as Keras returns them; a row whose weight is 0 gives 0 (its predictions are not
   * read), as does a row the loss leaves out itself (sparse `ignoreClass`). Rows are
   * batch × time for sequence outputs (Keras's [batch, time] values, flattened).
   * yPred [rows, cols]; yTrue [rows, cols] or [rows] (sparse); weights [≥ rows] or null;
   * out [≥ rows] (a new Float32Array(rows) by default). Allocates (views per row): for
   * inspection and custom loops, not the training step.
   */
  perSample(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    weights: Float32Array | null = null,
    out: Float32Array = new Float32Array(rows),
  ): Float32Array {
    const tw = this.sparse ? 1 : cols;
    this.beginRows(yTrue, rows, cols);
    this.rowMode = true;
    try {
      for (let r = 0; r < rows; r++) {
        const w = weights === null ? 1 : weights[r]!;
        if (w === 0) {
          out[r] = 0;
          continue;
        }
        this.computeInto(this.scratch, yPred.subarray(r * cols, (r + 1) * cols), yTrue.subarray(r * tw, (r + 1) * tw), null, 1, cols, null);
        out[r] = w * this.scratch[0]!;
      }
    } finally {
      this.rowMode = false;
      this.endRows();
    }
    return out;
  }

  /**
   * Hooks around `perSample`'s row-at-a-time evaluation, for a loss whose per-row value
   * depends on the whole batch (Keras's hinge converts {0, 1} labels to ±1 only when every
   * label of the batch is 0 or 1): decide from the whole batch before, forget after.
   */
  protected beginRows(_yTrue: Float32Array, _rows: number, _cols: number): void {}
  protected endRows(): void {}

  /**
   * The per-row weights `compute` should get for a masked output (fit/evaluate call this
   * with the output's time-step mask): Keras 3 `apply_mask` by default (`maskToWeights`
   * with this loss's reduction); a loss that masks rows itself combines both masks the way
   * Keras does (mask = output mask AND its own). mask, yTrue, sampleWeights as in
   * `maskToWeights` / `compute`; out [≥ rows] may alias mask or sampleWeights.
   */
  maskWeights(mask: Float32Array, _yTrue: Float32Array, rows: number, out: Float32Array, sampleWeights: Float32Array | null): void {
    maskToWeights(mask, rows, out, sampleWeights, this.reduction);
  }

  /**
   * Why one fit cannot split this loss over worker threads (each thread's part would need
   * another thread's data), or null. 'mean_with_sample_weight' divides by the batch's Σw,
   * sparse `ignoreClass` by its count of kept rows: neither is a fixed share per shard.
   */
  get unshardable(): string | null {
    return this.reduction === 'mean_with_sample_weight'
      ? `loss ${this.name} uses reduction 'mean_with_sample_weight', whose divisor is the whole batch's Σ weights`
      : null;
  }

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

  /**
   * The loss of this class from a `getConfig()` output or a Keras config (snake_case keys;
   * see `optionsFromConfig`), e.g. `BinaryFocalCrossentropy.fromConfig({gamma: 3})`.
   */
  static fromConfig<T extends Loss>(this: new (options?: never) => T, config: Readonly<Record<string, unknown>> = {}): T {
    return new this(optionsFromConfig(config, this.name) as never);
  }

  /** JSON-safe configuration, camelCase keys; `lossFromConfig(className, config)` rebuilds it. */
  getConfig(): LossConfig {
    return { name: this.name, reduction: this.reduction };
  }

  /**
   * Sets div[0] to the divisor that turns the sum of weighted per-sample values into the reduced loss: rows,
   * 1 ('sum'), or Σ weights[0, rows) ('mean_with_sample_weight'; rows without weights).
   * A divisor of 0 means a loss of 0 and a zero gradient (Keras `divide_no_nan`).
   * Reduction 'none' has no scalar: compute throws, pointing at perSample.
   */
  protected divisorInto(rows: number, weights: Float32Array | null): void {
    const r = this.reduction;
    if (this.rowMode || r === 'sum') {
      this.div[0] = 1;
    } else if (r === 'mean_with_sample_weight' && weights !== null) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += weights[i]!;
      this.div[0] = s;
    } else if (r === 'none') {
      throw noneError(this.className);
    } else {
      this.div[0] = rows;
    }
  }

  /** divisorInto's result: a field, since a returned double is boxed (allocated) when not inlined. */
  protected readonly div = new Float64Array(1);
}

function noneError(className: string): RangeError {
  return new RangeError(
    `${className}: reduction 'none' gives one value per row, not a scalar; read them with perSample(yPred, yTrue, rows, cols, weights), or use reduction 'sum_over_batch_size'`,
  );
}

/**
 * compile's check of a loss: a model trains on one number, so reduction 'none' is refused
 * (Keras 3 fails on a non-scalar loss too), naming the loss and where.
 */
export function checkTrainable(loss: Loss, where: string): void {
  if (loss.reduction === 'none') {
    throw new RangeError(
      `${where}: loss ${loss.name} (${loss.className}) has reduction 'none', which gives one value per sample; training needs a scalar loss: use reduction 'sum_over_batch_size' (the default), 'sum' or 'mean_with_sample_weight'`,
    );
  }
}

/**
 * Keras's `axis` option on the losses that have one: rnnkit reduces over the last axis,
 * so only −1 (the default) is accepted; anything else is refused by name.
 */
export function checkAxis(value: unknown, where: string): void {
  if (value === undefined || value === -1) return;
  throw new RangeError(`${where}: axis ${show(value)} is not supported; losses reduce over the last axis (axis -1) only`);
}

/**
 * Constructor options from a loss config, ours or Keras's: snake_case keys become
 * camelCase; `name`, `dtype` and `axis: -1` are dropped (the name is fixed per class;
 * dtype and last-axis reduction are implied); a null (Python None) `reduction` is
 * Keras's 'none'. Every other key goes to the constructor, which refuses what it does
 * not know by name.
 */
export function optionsFromConfig(config: unknown, className: string): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`${className}: config must be an object, got ${show(config)}`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (camel === 'name' || camel === 'dtype') continue;
    if (camel === 'axis' && value === -1) continue;
    options[camel] = camel === 'reduction' && value === null ? 'none' : value;
  }
  return options;
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
 * Fold a mask into per-row loss weights, as Keras 3 `apply_mask` (losses/loss.py; since
 * Keras 3.13 `divide_no_nan(total, valid)`, earlier total / (valid + ε), which differs
 * only when one row is valid):
 *   'sum_over_batch_size', 'mean':  w = mask · total / valid,  total = rows, valid = Σ mask
 *   'sum', 'mean_with_sample_weight', 'none':  w = mask
 * then w ← sampleWeights · w when sampleWeights is given. The scaling makes the
 * 'sum_over_batch_size' loss (which divides by rows) the mean over valid rows only;
 * with no valid row every weight is 0 and the loss is 0. Arithmetic
 * is float32 as in Keras: the factor total/valid is rounded once, each product
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
  if (reduction === 'sum_over_batch_size' || reduction === 'mean') {
    let valid = 0;
    for (let i = 0; i < rows; i++) valid += mask[i]!;
    // divide_no_nan(total, valid) in float32; valid is exact for 0/1 masks below 2^24 rows
    factor = valid === 0 ? 0 : Math.fround(Math.fround(rows) / Math.fround(valid));
  }
  if (sampleWeights === null) {
    for (let i = 0; i < rows; i++) out[i] = mask[i]! * factor;
  } else {
    for (let i = 0; i < rows; i++) out[i] = sampleWeights[i]! * Math.fround(mask[i]! * factor);
  }
}
