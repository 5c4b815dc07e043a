/**
 * Forecast error metrics and the two naive baselines. Browser-safe.
 *   MAE = mean |a − f|          RMSE = √ mean (a − f)²
 *   MAPE = 100 · mean |a − f| / |a|   over the points with a ≠ 0 (NaN when there are none)
 *   sMAPE = 100 · mean 2|a − f| / (|a| + |f|)   (a point with a = f = 0 counts 0)
 */
import { show } from '../core/errors.js';
import type { Series } from './windowing.js';

export interface ForecastMetrics {
  mae: number;
  rmse: number;
  /** Percent. */
  mape: number;
  /** Percent, in [0, 200]. */
  smape: number;
}

export function forecastMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): ForecastMetrics {
  if (actual.length !== predicted.length) throw new RangeError(`forecastMetrics: ${actual.length} actual values but ${predicted.length} predictions`);
  if (actual.length === 0) throw new RangeError('forecastMetrics: no values');
  let abs = 0;
  let sq = 0;
  let pct = 0;
  let pctN = 0;
  let sym = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const f = predicted[i]!;
    const e = Math.abs(a - f);
    abs += e;
    sq += e * e;
    if (a !== 0) {
      pct += e / Math.abs(a);
      pctN++;
    }
    const d = Math.abs(a) + Math.abs(f);
    if (d > 0) sym += (2 * e) / d;
  }
  const n = actual.length;
  return { mae: abs / n, rmse: Math.sqrt(sq / n), mape: pctN > 0 ? (100 * pct) / pctN : NaN, smape: (100 * sym) / n };
}

/**
 * Last-value baseline: every step h = 1…horizon after origin e is forecast as the value at e.
 * Returns [origins.length · horizon] values, origin-major (as windows()' targets).
 */
export function lastValueForecast(series: Series, column: number, origins: readonly number[], horizon: number): Float64Array {
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((e, n) => out.fill(series.data[e * series.columns + column]!, n * horizon, (n + 1) * horizon));
  return out;
}

/**
 * Seasonal-naive baseline with period m: step h after origin e is forecast as the value
 * at e + h − m·⌈h/m⌉ (the same season one period earlier, never a value after e).
 * An origin with fewer than m rows before it (e + 1 < m) is a RangeError.
 */
export function seasonalNaiveForecast(series: Series, column: number, origins: readonly number[], horizon: number, period: number): Float64Array {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`seasonal-naive: period must be a positive integer, got ${show(period)}`);
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((e, n) => {
    if (e + 1 < period) throw new RangeError(`seasonal-naive: origin row ${e} has fewer than ${period} rows of history`);
    for (let h = 1; h <= horizon; h++) out[n * horizon + h - 1] = series.data[(e + h - period * Math.ceil(h / period)) * series.columns + column]!;
  });
  return out;
}
