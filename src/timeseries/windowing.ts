/**
 * Windowing for forecasting (Keras's `timeseries_dataset_from_array`, in rnnkit's spellings):
 * a series of rows (time) × columns (variables) becomes (input window → target) pairs.
 *
 * Window k starts at row s = k·stride. Its inputs are rows s, s + sampleRate, …,
 * s + (lookback − 1)·sampleRate; with e = its last input row, its targets are rows
 * e + 1, …, e + horizon (consecutive rows, whatever the sampleRate). Browser-safe.
 */
import { show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

/** A series: one value per row (`number[]`) or rows of columns (`number[][]`, row-major). */
export type SeriesInput = readonly number[] | readonly (readonly number[])[];

/** A checked series: `rows × columns` values, row-major. */
export interface Series {
  rows: number;
  columns: number;
  /** [rows · columns], row-major. */
  data: Float64Array;
}

export interface WindowOptions {
  /** Input steps per window (positive integer). Required. */
  lookback: number;
  /** Target steps after each window (positive integer). Default 1. */
  horizon?: number;
  /** Rows between the starts of consecutive windows. Default 1. */
  stride?: number;
  /** Rows between consecutive input steps of a window. Default 1. */
  sampleRate?: number;
  /** Input columns. Default: every column. */
  features?: readonly number[];
  /** Target columns. Default: [0]. */
  targets?: readonly number[];
  /** Only windows whose targets all lie in rows [targetStart, targetEnd). Default [0, rows). */
  targetStart?: number;
  targetEnd?: number;
}

export interface WindowDataset {
  /** [N, lookback, features.length] */
  x: Tensor;
  /** [N, horizon · targets.length]: step-major (all targets of step 1, then step 2, …). */
  y: Tensor;
  /** Row of the last input of each window (the forecast origin). */
  origins: number[];
}

/** Convert and check a series (finite or NaN numbers, every row the same width). */
export function toSeries(input: SeriesInput | Series, where = 'series'): Series {
  if (!Array.isArray(input)) {
    const s = input as Series;
    if (s.data instanceof Float64Array && s.data.length === s.rows * s.columns) return s;
    throw new TypeError(`${where}: expected number[] or number[][] (rows of columns)`);
  }
  const rows = input.length;
  if (rows === 0) throw new RangeError(`${where}: the series is empty`);
  const flat = typeof input[0] === 'number';
  const columns = flat ? 1 : (input[0] as readonly number[]).length;
  if (!flat && columns === 0) throw new RangeError(`${where}: row 0 has no columns`);
  const data = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const row = input[r];
    if (flat) {
      if (typeof row !== 'number') throw new TypeError(`${where}: row ${r} is not a number`);
      data[r] = row;
      continue;
    }
    if (!Array.isArray(row) || row.length !== columns) throw new RangeError(`${where}: row ${r} has ${Array.isArray(row) ? row.length : 'no'} columns, expected ${columns}`);
    for (let c = 0; c < columns; c++) {
      const v = row[c];
      if (typeof v !== 'number') throw new TypeError(`${where}: row ${r}, column ${c} is not a number`);
      data[r * columns + c] = v;
    }
  }
  return { rows, columns, data };
}

export function checkPositiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${show(v)}`);
  return v;
}

function checkColumns(cols: readonly number[], columns: number, what: string): number[] {
  if (!Array.isArray(cols) || cols.length === 0) throw new RangeError(`${what} must be a non-empty array of column indices`);
  for (const c of cols) if (!Number.isInteger(c) || c < 0 || c >= columns) throw new RangeError(`${what}: no column ${JSON.stringify(c)} (the series has ${columns})`);
  return [...cols];
}

/** Rows needed for one window: (lookback − 1)·sampleRate + 1 inputs plus horizon targets. */
export function rowsNeeded(lookback: number, horizon = 1, sampleRate = 1): number {
  return (lookback - 1) * sampleRate + 1 + horizon;
}

/** The forecast origins (last input rows) of every window, in order. */
export function windowOrigins(rows: number, options: WindowOptions): number[] {
  const where = 'windows';
  const L = checkPositiveInt(options.lookback, `${where}: lookback`);
  const H = checkPositiveInt(options.horizon ?? 1, `${where}: horizon`);
  const stride = checkPositiveInt(options.stride ?? 1, `${where}: stride`);
  const rate = checkPositiveInt(options.sampleRate ?? 1, `${where}: sampleRate`);
  const lo = options.targetStart ?? 0;
  const hi = options.targetEnd ?? rows;
  const need = rowsNeeded(L, H, rate);
  if (rows < need) throw new RangeError(`${where}: ${rows} rows are too few for lookback ${L}${rate > 1 ? ` at sampleRate ${rate}` : ''} + horizon ${H}: at least ${need} are needed`);
  const out: number[] = [];
  for (let s = 0; ; s += stride) {
    const e = s + (L - 1) * rate;
    if (e + H >= rows) break;
    if (e + 1 >= lo && e + H < hi) out.push(e);
  }
  return out;
}

/** Build (input window → target) pairs; see the file header for the exact rows. */
export function windows(series: SeriesInput | Series, options: WindowOptions): WindowDataset {
  const s = toSeries(series, 'windows');
  const L = options.lookback;
  const H = options.horizon ?? 1;
  const rate = options.sampleRate ?? 1;
  const features = checkColumns(options.features ?? Array.from({ length: s.columns }, (_, i) => i), s.columns, 'windows: features');
  const targets = checkColumns(options.targets ?? [0], s.columns, 'windows: targets');
  const origins = windowOrigins(s.rows, options);
  const N = origins.length;
  const F = features.length;
  const K = targets.length;
  const x = new Float32Array(N * L * F);
  const y = new Float32Array(N * H * K);
  const C = s.columns;
  origins.forEach((e, n) => {
    const start = e - (L - 1) * rate;
    for (let t = 0; t < L; t++) {
      const r = start + t * rate;
      for (let f = 0; f < F; f++) x[(n * L + t) * F + f] = s.data[r * C + features[f]!]!;
    }
    for (let h = 0; h < H; h++) for (let k = 0; k < K; k++) y[(n * H + h) * K + k] = s.data[(e + 1 + h) * C + targets[k]!]!;
  });
  return { x: new Tensor(x, [N, L, F]), y: new Tensor(y, [N, H * K]), origins };
}

/** Row ranges of a chronological split: train [0, trainEnd), validation [trainEnd, validationEnd), test [validationEnd, rows). */
export interface SplitRanges {
  trainEnd: number;
  validationEnd: number;
  rows: number;
}

export interface SplitOptions {
  /** Fraction of the rows (after the training part) for validation. Default 0.1. */
  validation?: number;
  /** Fraction of the rows at the end for testing. Default 0.2. */
  test?: number;
}

/**
 * Split rows chronologically (never shuffled): the last `test` fraction is the test part,
 * the `validation` fraction before it validation, the rest training. Windows belong to the
 * part that holds their targets; their inputs may reach back into earlier parts (those are
 * past observations, known at forecast time).
 */
export function chronologicalSplit(rows: number, options: SplitOptions = {}): SplitRanges {
  const v = options.validation ?? 0.1;
  const t = options.test ?? 0.2;
  for (const [name, f] of [['validation', v], ['test', t]] as const) {
    if (typeof f !== 'number' || !(f >= 0 && f < 1)) throw new RangeError(`chronologicalSplit: ${name} must be a fraction in [0, 1), got ${show(f)}`);
  }
  if (v + t >= 1) throw new RangeError(`chronologicalSplit: validation + test must be < 1, got ${v + t}`);
  const testRows = Math.round(rows * t);
  const valRows = Math.round(rows * v);
  const validationEnd = rows - testRows;
  const trainEnd = validationEnd - valRows;
  return { trainEnd, validationEnd, rows };
}

export type FillMethod = 'previous' | 'linear';

/**
 * Fill NaN gaps in every column: 'previous' carries the last value forward (a leading gap
 * takes the first value), 'linear' interpolates between the neighbours (ends: nearest value).
 * Without a method a gap is a RangeError naming its row and column.
 */
export function fillGaps(series: SeriesInput | Series, method?: FillMethod, names?: readonly string[]): Series {
  const s = toSeries(series, 'fillGaps');
  const C = s.columns;
  const data = Float64Array.from(s.data);
  for (let c = 0; c < C; c++) {
    const col = names?.[c] !== undefined ? `'${names[c]}'` : String(c);
    let firstGood = -1;
    for (let r = 0; r < s.rows; r++) if (!Number.isNaN(data[r * C + c]!)) { firstGood = r; break; }
    for (let r = 0; r < s.rows; r++) {
      if (!Number.isNaN(data[r * C + c]!)) continue;
      if (method === undefined) throw new RangeError(`the series has a gap (missing value) in column ${col} at row ${r}; fill it ('previous' or 'linear') or remove it`);
      if (firstGood < 0) throw new RangeError(`column ${col} has no values at all`);
      if (method !== 'previous' && method !== 'linear') throw new RangeError(`fill must be 'previous' or 'linear', got ${show(method)}`);
      let next = r;
      while (next < s.rows && Number.isNaN(data[next * C + c]!)) next++;
      const prev = r - 1;
      for (let g = r; g < next; g++) {
        let v: number;
        if (prev < 0) v = data[next * C + c]!;
        else if (method === 'previous' || next >= s.rows) v = data[prev * C + c]!;
        else {
          const a = data[prev * C + c]!;
          const b = data[next * C + c]!;
          v = a + ((b - a) * (g - prev)) / (next - prev);
        }
        data[g * C + c] = v;
      }
      r = next - 1;
    }
  }
  return { rows: s.rows, columns: C, data };
}
