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

/** Everything fit/evaluate need about one (x, y) data set, checked against the model. */
export interface Dataset {
  x: Tensor;
  y: Tensor;
  n: number;
  /** Input time length (1 for 2-D input). */
  T: number;
  /** Floats per sample in x and in y. */
  xWidth: number;
  yWidth: number;
  /** Per-sample weights [n, swWidth] (swWidth 1, or T for per-step weights), or null. */
  sw: Float32Array | null;
  swWidth: number;
}


export function sliceDataset(ds: Dataset, from: number, to: number): Dataset {
  const x = new Tensor(ds.x.data.slice(from * ds.xWidth, to * ds.xWidth), [to - from, ...ds.x.shape.slice(1)]);
  const y = new Tensor(ds.y.data.slice(from * ds.yWidth, to * ds.yWidth), [to - from, ...ds.y.shape.slice(1)]);
  const sw = ds.sw === null ? null : ds.sw.slice(from * ds.swWidth, to * ds.swWidth);
  return { ...ds, x, y, sw, n: to - from };
}

export function copyRows(dst: Float32Array, src: Float32Array, start: number, count: number, width: number): void {
  const o = start * width;
  for (let i = 0; i < count * width; i++) dst[i] = src[o + i]!;
}

export { formatShape };
