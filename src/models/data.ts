/**
 * Boundary checks for fit/evaluate/predict data: shapes against the model, NaN and
 * Infinity, and the batch gather (copying sampled rows into preallocated buffers).
 */
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';

/** Accept x/y as Tensor or nested arrays and reject NaN/Infinity, naming the first bad entry. */
export function checkedTensor(v: Tensor | NestedArray, what: string): Tensor {
  if (v === undefined || v === null) throw new TypeError(`${what} is required`);
  const t = toTensor(v, what);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const value = d[i]!;
    if (!Number.isFinite(value)) {
      throw new RangeError(`${what} contains ${value} at ${formatIndex(i, t.shape)}; every value must be a finite number`);
    }
  }
  return t;
}

/** Flat index → [i, j, k] position. */
export function formatIndex(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx.unshift(rest % n);
    rest = Math.floor(rest / n);
  }
  return `[${idx.join(', ')}]`;
}

/** dst[i] = src[rows[start + i]] for count rows of `width` floats; no allocation. */
export function gatherRows(dst: Float32Array, src: Float32Array, rows: Int32Array, start: number, count: number, width: number): void {
  for (let i = 0; i < count; i++) {
    const s = rows[start + i]! * width;
    const d = i * width;
    for (let k = 0; k < width; k++) dst[d + k] = src[s + k]!;
  }
}

export function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === null || b[i] === null || d === b[i]);
}

/**
 * Everything fit/evaluate need about one data set, checked against the model: per
 * model input its data, floats per sample and time length (the size of an open time
 * axis), per output its targets (null for an output without a loss) and sample
 * weights ([n, swWidth]: swWidth 1, or the steps of a sequence output).
 */
export interface Dataset {
  n: number;
  x: Tensor[];
  xWidth: number[];
  xLen: number[];
  y: (Tensor | null)[];
  yWidth: number[];
  sw: (Float32Array | null)[];
  swWidth: number[];
  /** The inputs padded batch by batch, to each batch's longest row (texts of open length: Model.raggedInputs). */
  ragged: readonly number[];
}

export function sliceDataset(ds: Dataset, from: number, to: number): Dataset {
  const rows = (t: Tensor, w: number): Tensor => new Tensor(t.data.slice(from * w, to * w), [to - from, ...t.shape.slice(1)]);
  return {
    ...ds,
    n: to - from,
    x: ds.x.map((t, i) => rows(t, ds.xWidth[i]!)),
    y: ds.y.map((t, o) => (t === null ? null : rows(t, ds.yWidth[o]!))),
    sw: ds.sw.map((w, o) => (w === null ? null : w.slice(from * ds.swWidth[o]!, to * ds.swWidth[o]!))),
  };
}

export function copyRows(dst: Float32Array, src: Float32Array, start: number, count: number, width: number): void {
  const o = start * width;
  for (let i = 0; i < count * width; i++) dst[i] = src[o + i]!;
}

export { formatShape };
