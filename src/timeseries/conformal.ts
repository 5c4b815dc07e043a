/**
 * Conformalized quantile regression (Romano, Patterson & Candès 2019, "Conformalized Quantile
 * Regression"): a pinball-trained network's interval [q_lo, q_hi] is widened (or narrowed) by a
 * constant fitted on held-out data, so that its coverage on new data of the same kind is at
 * least its nominal hi − lo, whatever the network learned. Browser-safe.
 *
 *   conformity score   E = max(q_lo − y, y − q_hi)        (> 0 outside, ≤ 0 inside)
 *   offset             the k-th smallest of the n scores, k = ⌈(1 − α)(n + 1)⌉, α = 1 − (hi − lo)
 *   calibrated         [q_lo − offset, q_hi + offset]
 *
 * The Forecaster fits one offset per symmetric pair of levels (0.1/0.9, 0.05/0.95, …) and per
 * horizon step (errors grow with the step), on the validation part only, in the target scaler's
 * units (so one set of offsets serves many series scaled each on its own, and save/load keeps
 * them as plain numbers). The 0.5 quantile is never moved, and quantiles are kept from crossing
 * it or each other (a negative offset narrows a band, at most down to its inner neighbour).
 * With k > n (too few held-out points for the level: n < (1 − α)/α) the offset would be
 * infinite; that pair is left as trained (null).
 */
import { show } from '../core/errors.js';

/** How a Forecaster's quantile intervals are calibrated: 'conformal' (above) or 'none' (as trained). */
export type ForecastCalibration = 'conformal' | 'none';
export const CALIBRATIONS: readonly ForecastCalibration[] = ['conformal', 'none'];

/** The fitted calibration: saved with the model. */
export interface ConformalCalibration {
  /** The calibrated intervals' levels [lo, hi], outermost first (lo + hi = 1). */
  pairs: [number, number][];
  /**
   * Per pair, per horizon step: the widening in the target scaler's units (negative: narrower
   * than trained); null — too few calibration points for that level, left as trained.
   */
  offsets: (number | null)[][];
  /** Calibration points (scores) per step: the validation rows, over all series. */
  points: number;
}

/** Levels differing by less than this are taken as equal (0.1 + 0.9 is not exactly 1 in every spelling). */
const LEVEL_EPS = 1e-9;

/**
 * The symmetric pairs of `levels` (increasing, 0.5 among them) as indices [lo, hi], outermost
 * first, and the levels without a mirror (lo + hi = 1) among them.
 */
export function symmetricPairs(levels: readonly number[]): { pairs: [number, number][]; unpaired: number[] } {
  const pairs: [number, number][] = [];
  const unpaired: number[] = [];
  const mid = levels.findIndex((l) => Math.abs(l - 0.5) < LEVEL_EPS);
  for (let i = 0; i < levels.length; i++) {
    if (i === mid) continue;
    const j = levels.findIndex((m) => Math.abs(levels[i]! + m - 1) < LEVEL_EPS);
    if (j < 0) unpaired.push(levels[i]!);
    else if (i < j) pairs.push([i, j]);
  }
  return { pairs, unpaired };
}

/**
 * The rank k = ⌈(1 − α)(n + 1)⌉ of the offset among n sorted scores for an interval of nominal
 * coverage 1 − α, or null when k > n (too few points: the finite-sample guarantee needs an
 * infinite offset).
 */
export function conformalRank(n: number, coverage: number): number | null {
  checkCoverage(coverage, 'conformalRank');
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`conformalRank: n must be a count of scores, got ${show(n)}`);
  // The small slack keeps ⌈0.8 · 50⌉ at 40 where 0.8 · 50 rounds to 40.000000000000004.
  const k = Math.ceil(coverage * (n + 1) - 1e-9);
  return k <= n ? Math.max(k, 1) : null;
}

/** Coverage must lie strictly between 0 and 1 (at 1 no finite number of points would do). */
function checkCoverage(coverage: number, where: string): void {
  if (typeof coverage !== 'number' || !(coverage > 0 && coverage < 1)) throw new RangeError(`${where}: coverage must be a number in (0, 1), got ${show(coverage)}`);
}

/** The fewest calibration points for which an interval of nominal `coverage` gets a finite offset. */
export function conformalMinPoints(coverage: number): number {
  checkCoverage(coverage, 'conformalMinPoints');
  let n = 1;
  while (conformalRank(n, coverage) === null) n++;
  return n;
}

/**
 * One series' held-out forecasts for fitConformal: quantiles [N · H · Q] (origin, step, level),
 * the actual values [N · H] (NaN where the point is not held out), and the target scaler's
 * scale (scores are divided by it).
 */
export interface ConformalPart {
  values: ArrayLike<number>;
  actual: ArrayLike<number>;
  scale: number;
}

/**
 * Fit the offsets for every symmetric pair of `levels` and every step 0…H−1 from the held-out
 * points of `parts` (pooled: each part's scores in its own scaled units).
 */
export function fitConformal(parts: readonly ConformalPart[], levels: readonly number[], H: number, where = 'fitConformal'): ConformalCalibration {
  if (!Number.isInteger(H) || H < 1) throw new RangeError(`${where}: H (the horizon steps) must be a positive integer, got ${show(H)}`);
  const Q = levels.length;
  const { pairs, unpaired } = symmetricPairs(levels);
  if (unpaired.length > 0) throw new RangeError(`${where}: conformal calibration widens symmetric intervals; level(s) ${unpaired.join(', ')} have no mirror (1 − level) among ${show(levels)}`);
  const scores: number[][][] = pairs.map(() => Array.from({ length: H }, () => []));
  const counts = new Array<number>(H).fill(0);
  for (const { values, actual, scale } of parts) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`${where}: scale must be a finite number > 0, got ${show(scale)}`);
    if (actual.length % H !== 0 || values.length !== actual.length * Q) throw new RangeError(`${where}: ${values.length} quantile values for ${actual.length} actual values, ${H} steps and ${Q} levels`);
    for (let i = 0; i < actual.length; i++) {
      const y = actual[i]!;
      if (Number.isNaN(y)) continue;
      const h = i % H;
      counts[h]!++;
      pairs.forEach(([lo, hi], p) => {
        const e = Math.max(values[i * Q + lo]! - y, y - values[i * Q + hi]!) / scale;
        if (!Number.isFinite(e)) throw new RangeError(`${where}: a non-finite conformity score at point ${i} (quantiles ${values[i * Q + lo]}, ${values[i * Q + hi]}, actual ${y})`);
        scores[p]![h]!.push(e);
      });
    }
  }
  const points = counts[0]!;
  if (counts.some((c) => c !== points)) throw new RangeError(`${where}: the steps have different numbers of held-out points (${counts.join(', ')})`);
  const offsets = pairs.map(([lo, hi], p) =>
    scores[p]!.map((s) => {
      const k = conformalRank(s.length, levels[hi]! - levels[lo]!);
      if (k === null) return null;
      s.sort((a, b) => a - b);
      return s[k - 1]!;
    }),
  );
  return { pairs: pairs.map(([lo, hi]) => [levels[lo]!, levels[hi]!]), offsets, points };
}

/**
 * Calibrate quantiles [N · H · Q] in place: each pair's lower quantile lowered and its upper
 * raised by its step's offset × `scale` (the target scaler's), then, from the median outwards,
 * every quantile kept at or beyond its inner neighbour (the median itself never moves).
 * Steps past the calibrated ones take the last step's offsets.
 */
export function applyConformal(values: Float64Array, levels: readonly number[], H: number, cal: ConformalCalibration, scale: number): Float64Array {
  const Q = levels.length;
  const mid = levels.findIndex((l) => Math.abs(l - 0.5) < LEVEL_EPS);
  const idx = cal.pairs.map(([lo, hi]) => [levels.findIndex((l) => Math.abs(l - lo) < LEVEL_EPS), levels.findIndex((l) => Math.abs(l - hi) < LEVEL_EPS)] as const);
  const N = values.length / (H * Q);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      const o = (n * H + h) * Q;
      idx.forEach(([lo, hi], p) => {
        const row = cal.offsets[p]!;
        const off = row[Math.min(h, row.length - 1)];
        if (off === null || off === undefined) return;
        values[o + lo] -= off * scale;
        values[o + hi] += off * scale;
      });
      for (let q = mid - 1; q >= 0; q--) values[o + q] = Math.min(values[o + q]!, values[o + q + 1]!);
      for (let q = mid + 1; q < Q; q++) values[o + q] = Math.max(values[o + q]!, values[o + q - 1]!);
    }
  }
  return values;
}

/** A saved calibration, checked against the model's levels and steps (untrusted file). */
export function checkConformalCalibration(json: unknown, levels: readonly number[], H: number, where: string): ConformalCalibration {
  const bad = (why: string): never => {
    throw new RangeError(`${where}: ${why}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) bad(`must be an object {pairs, offsets, points}, got ${show(json)}`);
  const j = json as Record<string, unknown>;
  for (const k of Object.keys(j)) if (!['pairs', 'offsets', 'points'].includes(k)) bad(`unknown key '${k}'; expected pairs, offsets, points`);
  const { pairs } = symmetricPairs(levels);
  const want = pairs.map(([lo, hi]) => [levels[lo]!, levels[hi]!]);
  if (!Array.isArray(j.pairs) || j.pairs.length !== want.length || !j.pairs.every((p, i) => Array.isArray(p) && p.length === 2 && p[0] === want[i]![0] && p[1] === want[i]![1])) {
    bad(`pairs must be the model's symmetric levels ${show(want)}, got ${show(j.pairs)}`);
  }
  if (!Array.isArray(j.offsets) || j.offsets.length !== want.length) bad(`offsets must hold one row per pair (${want.length}), got ${show(j.offsets)?.slice(0, 80)}`);
  (j.offsets as unknown[]).forEach((row, p) => {
    if (!Array.isArray(row) || row.length !== H || !row.every((v) => v === null || (typeof v === 'number' && Number.isFinite(v)))) bad(`offsets[${p}] must be ${H} finite numbers or nulls (one per horizon step), got ${show(row)?.slice(0, 80)}`);
  });
  if (!Number.isInteger(j.points) || (j.points as number) < 0) bad(`points must be a count, got ${show(j.points)}`);
  return { pairs: want as [number, number][], offsets: (j.offsets as (number | null)[][]).map((r) => [...r]), points: j.points as number };
}
