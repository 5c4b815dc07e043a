/**
 * Shared by the classical-method suites (ets, sarima, holtWinters, season): the vega-datasets
 * series the statsmodels fixtures were written from (tools/statsmodels_data.py reads the same
 * files), the fixtures themselves, the largest absolute difference of two arrays, and the
 * combination suites' seeded random walk with a 7-row pattern.
 */
import { readFileSync } from 'node:fs';

/** A vega-datasets CSV (no quoted fields in the ones used here): its columns by name. */
export function vegaCsv(file: string): { rows: number; column: (name: string) => number[]; dates: (name: string) => number[] } {
  const lines = readFileSync(new URL(`../../node_modules/vega-datasets/data/${file}`, import.meta.url), 'utf8').trim().split('\n');
  const head = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  const at = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column '${name}'; columns: ${head.join(', ')}`);
    return i;
  };
  return {
    rows: rows.length,
    column: (name) => rows.map((r) => Number(r[at(name)])),
    // Date-only ISO strings parse as UTC midnight.
    dates: (name) => rows.map((r) => Date.parse(r[at(name)]!)),
  };
}

/** Monthly CO2 at Mauna Loa (ppm), 741 rows from 1958-03. */
export const co2: number[] = vegaCsv('co2-concentration.csv').column('CO2');

/** A fixture of test/fixtures by file name, parsed (its type as the caller declares it). */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** The largest |a[i] − b[i]|. */
export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

/** A seeded random walk plus a 7-row pattern: neither the network nor a classical model (no season given) forecasts it alone perfectly. */
export function walkWithPattern(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  let level = 50;
  return Array.from({ length: n }, (_, t) => {
    level += u() - 0.5;
    return level + 2 * Math.sin((2 * Math.PI * t) / 7) + 0.5 * (u() - 0.5);
  });
}

/**
 * The combination's validation points, recomputed by hand: every origin with a step in the
 * validation rows [trainEnd, validationEnd), and per origin and step the actual value there, NaN
 * where the step's row lies outside them (not scored).
 */
export function validationPoints(y: ArrayLike<number>, split: { trainEnd: number; validationEnd: number }, horizon: number): { origins: number[]; actual: Float64Array } {
  const origins: number[] = [];
  for (let e = split.trainEnd - horizon; e < split.validationEnd - 1; e++) origins.push(e);
  const actual = Float64Array.from(origins.flatMap((e) => Array.from({ length: horizon }, (_, h) => (e + 1 + h >= split.trainEnd && e + 1 + h < split.validationEnd ? y[e + 1 + h]! : NaN))));
  return { origins, actual };
}

/** The mean absolute error over the scored points (actual not NaN): the library's own, a plain mean. */
export { scoredMae } from '../../src/timeseries/forecaster.js';
