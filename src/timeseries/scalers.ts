/**
 * Per-column scalers, fitted on the training part only and stored as JSON with the model
 * so forecasts come back in the original units. Browser-safe.
 *   standard: (v − mean) / std        minmax: (v − min) / (max − min)        none: v
 */
import { show } from '../core/errors.js';
export type ScalerKind = 'standard' | 'minmax' | 'none';

export interface ScalerJSON {
  kind: ScalerKind;
  /** Per column: subtracted. */
  offset: number[];
  /** Per column: divided by (never 0). */
  scale: number[];
}

export class Scaler {
  constructor(
    readonly kind: ScalerKind,
    readonly offset: number[],
    readonly scale: number[],
  ) {}

  /**
   * Fit on `values` laid out as [n, columns] (row-major), e.g. the training rows of a
   * series. NaN values are ignored. A constant column gets scale 1.
   */
  static fit(kind: ScalerKind, values: ArrayLike<number>, columns: number): Scaler {
    if (kind !== 'standard' && kind !== 'minmax' && kind !== 'none') throw new RangeError(`Scaler: kind must be 'standard', 'minmax' or 'none', got ${show(kind)}`);
    const n = Math.floor(values.length / columns);
    if (n === 0) throw new RangeError('Scaler.fit: no values to fit on');
    const offset: number[] = [];
    const scale: number[] = [];
    for (let c = 0; c < columns; c++) {
      if (kind === 'none') {
        offset.push(0);
        scale.push(1);
        continue;
      }
      let sum = 0;
      let count = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = values[i * columns + c]!;
        if (Number.isNaN(v)) continue;
        sum += v;
        count++;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (count === 0) throw new RangeError(`Scaler.fit: column ${c} has no values`);
      if (kind === 'minmax') {
        offset.push(min);
        scale.push(max > min ? max - min : 1);
      } else {
        const mean = sum / count;
        let ss = 0;
        for (let i = 0; i < n; i++) {
          const v = values[i * columns + c]!;
          if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
        }
        const std = Math.sqrt(ss / count);
        offset.push(mean);
        scale.push(std > 0 ? std : 1);
      }
    }
    return new Scaler(kind, offset, scale);
  }

  get columns(): number {
    return this.offset.length;
  }

  transform(v: number, column: number): number {
    return (v - this.offset[column]!) / this.scale[column]!;
  }

  inverse(v: number, column: number): number {
    return v * this.scale[column]! + this.offset[column]!;
  }

  /** Scale [n, columns] values (row-major) into a new array. */
  transformAll(values: ArrayLike<number>): Float64Array {
    const C = this.columns;
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.transform(values[i]!, i % C);
    return out;
  }

  /** Undo transformAll. */
  inverseAll(values: ArrayLike<number>): Float64Array {
    const C = this.columns;
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.inverse(values[i]!, i % C);
    return out;
  }

  toJSON(): ScalerJSON {
    return { kind: this.kind, offset: [...this.offset], scale: [...this.scale] };
  }

  static fromJSON(json: unknown): Scaler {
    const j = json as Partial<ScalerJSON> | null;
    const ok = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (j === null || typeof j !== 'object' || !['standard', 'minmax', 'none'].includes(j.kind as string) || !ok(j.offset) || !ok(j.scale) || j.offset.length !== j.scale.length || j.scale.some((s) => s === 0)) {
      throw new RangeError(`Scaler.fromJSON: not a scaler: ${JSON.stringify(json)?.slice(0, 80)}`);
    }
    return new Scaler(j.kind!, j.offset, j.scale);
  }
}

/** Fit a standard scaler (mean 0, std 1 per column) on [n, columns] values. */
export const standardScaler = (values: ArrayLike<number>, columns = 1): Scaler => Scaler.fit('standard', values, columns);
/** Fit a min-max scaler (to [0, 1] per column) on [n, columns] values. */
export const minMaxScaler = (values: ArrayLike<number>, columns = 1): Scaler => Scaler.fit('minmax', values, columns);
