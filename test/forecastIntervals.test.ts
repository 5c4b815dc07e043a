/**
 * Calibrated prediction intervals (conformalized quantile regression, src/timeseries/conformal.ts):
 * the rank rule and the offsets against hand-computed answers, coverage on fresh exchangeable
 * data at its nominal level, the median kept and quantiles never crossing.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { applyConformal, checkConformalCalibration, conformalMinPoints, conformalRank, fitConformal, symmetricPairs } from '../src/timeseries/conformal.js';

/** A seeded uniform generator and a Gaussian from it (Box–Muller). */
function gaussian(seed: number): () => number {
  let state = seed;
  const u = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state + 0.5) / 2147483648;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

describe('conformal calibration: the math', () => {
  it('the rank ⌈(1 − α)(n + 1)⌉, null when it passes n; the fewest points per level', () => {
    assert.equal(conformalRank(49, 0.8), 40);
    assert.equal(conformalRank(9, 0.9), 9);
    assert.equal(conformalRank(8, 0.9), null);
    assert.equal(conformalRank(3, 0.8), null);
    assert.equal(conformalRank(4, 0.8), 4);
    assert.deepEqual([0.5, 0.8, 0.9, 0.95].map(conformalMinPoints), [1, 4, 9, 19]);
  });

  it('symmetric pairs, outermost first; levels without a mirror named', () => {
    assert.deepEqual(symmetricPairs([0.05, 0.1, 0.5, 0.9, 0.95]), { pairs: [[0, 4], [1, 3]], unpaired: [] });
    assert.deepEqual(symmetricPairs([0.1, 0.5, 0.8]), { pairs: [], unpaired: [0.1, 0.8] });
    assert.deepEqual(symmetricPairs([0.5]), { pairs: [], unpaired: [] });
  });

  it('offsets: the k-th smallest score max(q_lo − y, y − q_hi) per pair and step, in scaled units', () => {
    // Two steps, levels 0.25/0.5/0.75 (coverage 0.5): with n = 5 points per step k = ⌈0.5 · 6⌉ = 3.
    const levels = [0.25, 0.5, 0.75];
    const H = 2;
    const values: number[] = [];
    const actual: number[] = [];
    // Step 0: band [−1, 1] around 0, actual values giving scores 2, −1, 0.5, −0.25, 3 → sorted −1, −0.25, 0.5, 2, 3 → 0.5.
    // Step 1: band [0, 2], actual values giving scores −1, −0.5, 1, 4, 0 → sorted −1, −0.5, 0, 1, 4 → 0.
    const a0 = [3, 0, -1.5, 0.75, -4];
    const a1 = [1, 1.5, 3, -4, 2];
    for (let n = 0; n < 5; n++) {
      values.push(-1, 0, 1, 0, 1, 2);
      actual.push(a0[n]!, a1[n]!);
    }
    // A scale of 2 (the target scaler's std): scores halved.
    const cal = fitConformal([{ values, actual, scale: 2 }], levels, H);
    assert.deepEqual(cal, { pairs: [[0.25, 0.75]], offsets: [[0.25, 0]], points: 5 });
    // NaN actual values are not held out: the last point of each step dropped → k = ⌈0.5 · 5⌉ = 3 of
    // 4 (step 0: −1, −0.25, 0.5, 2; step 1: −1, −0.5, 1, 4).
    const cal2 = fitConformal([{ values, actual: actual.map((v, i) => (i >= 8 ? NaN : v)), scale: 1 }], levels, H);
    assert.deepEqual(cal2.offsets, [[0.5, 1]]);
    assert.equal(cal2.points, 4);
    // Pooled over parts: the same points split in two give the same offsets.
    const half = (lo: number, hi: number) => ({ values: values.slice(lo * 6, hi * 6), actual: actual.slice(lo * 2, hi * 2), scale: 2 });
    assert.deepEqual(fitConformal([half(0, 2), half(2, 5)], levels, H), cal);
    // Too few points for a 0.9 interval (needs 9): null, left as trained.
    assert.deepEqual(fitConformal([{ values: [-1, 0, 1], actual: [5], scale: 1 }], [0.05, 0.5, 0.95], 1).offsets, [[null]]);
    assert.throws(() => fitConformal([{ values, actual, scale: 1 }], [0.25, 0.5, 0.8], H), /level\(s\) 0\.25, 0\.8 have no mirror/);
    assert.throws(() => fitConformal([{ values, actual, scale: 0 }], levels, H), /scale must be a finite number > 0/);
    assert.throws(() => fitConformal([{ values: values.slice(1), actual, scale: 1 }], levels, H), /29 quantile values for 10 actual values/);
  });

  it('calibrated coverage on fresh data lands at the nominal level where the trained band under-covers', () => {
    // y = μ + N(0, 1); the "network" gives μ ± 0.6 (a 45% band) for the 10–90% levels and
    // μ ± 1 for 5–95%. Calibrated on 500 points, scored on 20 000 fresh ones.
    const g = gaussian(12345);
    const levels = [0.05, 0.1, 0.5, 0.9, 0.95];
    const make = (n: number): { values: Float64Array; actual: Float64Array } => {
      const values = new Float64Array(n * 5);
      const actual = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const mu = 10 * Math.sin(i / 7);
        values.set([mu - 1, mu - 0.6, mu, mu + 0.6, mu + 1], i * 5);
        actual[i] = mu + g();
      }
      return { values, actual };
    };
    const calib = make(500);
    const cal = fitConformal([{ ...calib, scale: 1 }], levels, 1);
    const fresh = make(20000);
    const inside = (v: Float64Array, lo: number, hi: number): number => {
      let k = 0;
      for (let i = 0; i < fresh.actual.length; i++) if (fresh.actual[i]! >= v[i * 5 + lo]! && fresh.actual[i]! <= v[i * 5 + hi]!) k++;
      return k / fresh.actual.length;
    };
    assert.ok(Math.abs(inside(fresh.values, 1, 3) - 0.451) < 0.02, `raw 10–90%: ${inside(fresh.values, 1, 3)}`);
    const out = applyConformal(Float64Array.from(fresh.values), levels, 1, cal, 1);
    // Gaussian: the 80% and 90% bands are ±1.2816 and ±1.6449; the offsets ≈ 0.68 and 0.64.
    assert.ok(Math.abs(cal.offsets[1]![0]! - 0.68) < 0.12 && Math.abs(cal.offsets[0]![0]! - 0.645) < 0.15, `offsets ${JSON.stringify(cal.offsets)}`);
    const c80 = inside(out, 1, 3);
    const c90 = inside(out, 0, 4);
    assert.ok(Math.abs(c80 - 0.8) < 0.03, `calibrated 10–90%: ${c80}`);
    assert.ok(Math.abs(c90 - 0.9) < 0.03, `calibrated 5–95%: ${c90}`);
    for (let i = 0; i < fresh.actual.length; i++) assert.equal(out[i * 5 + 2], fresh.values[i * 5 + 2], 'the median never moves');
  });

  it('negative offsets narrow a band down to its inner neighbour at most; the median stays; later steps take the last offsets', () => {
    const levels = [0.05, 0.25, 0.5, 0.75, 0.95];
    // Outer pair narrowed by 3 (past the inner quantiles), inner pair by 0.5 (scale 2 → 1).
    const cal = { pairs: [[0.05, 0.95], [0.25, 0.75]] as [number, number][], offsets: [[-1.5], [-0.5]], points: 10 };
    const v = applyConformal(Float64Array.from([-3, -1.5, 0, 1.5, 3, -3, -1.5, 0, 1.5, 3]), levels, 1, cal, 2);
    assert.deepEqual([...v], [-0.5, -0.5, 0, 0.5, 0.5, -0.5, -0.5, 0, 0.5, 0.5]);
    // Inner band narrowed past the median: stops at the median.
    const w = applyConformal(Float64Array.from([-2, -1, 0, 1, 2]), levels, 1, { ...cal, offsets: [[0], [-2]] }, 1);
    assert.deepEqual([...w], [-2, 0, 0, 0, 2]);
    // A null offset leaves its pair as it is.
    const z = applyConformal(Float64Array.from([-2, -1, 0, 1, 2]), levels, 1, { ...cal, offsets: [[null], [1]] }, 1);
    assert.deepEqual([...z], [-2, -2, 0, 2, 2]);
  });

  it('a saved calibration is checked against the model', () => {
    const levels = [0.1, 0.5, 0.9];
    const ok = { pairs: [[0.1, 0.9]], offsets: [[0.5, null]], points: 12 };
    assert.deepEqual(checkConformalCalibration(ok, levels, 2, 'conformal'), ok);
    assert.throws(() => checkConformalCalibration({ ...ok, extra: 1 }, levels, 2, 'conformal'), /unknown key 'extra'/);
    assert.throws(() => checkConformalCalibration({ ...ok, pairs: [[0.2, 0.8]] }, levels, 2, 'conformal'), /pairs must be the model's symmetric levels \[\[0\.1,0\.9\]\]/);
    assert.throws(() => checkConformalCalibration(ok, levels, 3, 'conformal'), /offsets\[0\] must be 3 finite numbers or nulls/);
    assert.throws(() => checkConformalCalibration({ ...ok, offsets: [['x', 1]] }, levels, 2, 'conformal'), /offsets\[0\] must be/);
    assert.throws(() => checkConformalCalibration({ ...ok, points: -1 }, levels, 2, 'conformal'), /points must be a count/);
    assert.throws(() => checkConformalCalibration(null, levels, 2, 'conformal'), /must be an object/);
  });
});
