/**
 * Calibrated prediction intervals (conformalized quantile regression, src/timeseries/conformal.ts):
 * the rank rule and the offsets against hand-computed answers, coverage on fresh exchangeable
 * data at its nominal level, the median kept and quantiles never crossing; the Forecaster's
 * calibration: a network whose band under-covers brought near nominal on fresh rows, offsets
 * from the validation part only (recomputed here by hand; a poisoned test part changes nothing),
 * many series pooled, save/load (older models load uncalibrated), and its refusals.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forecaster, ModelFormatError, chronologicalSplit, defaultSarimaSpec, fitSarima, selectEts } from '../src/index.js';
import { assertUserError, rnnkit } from './helpers/cli.js';
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
    // Coverage 1 (or more) has no finite rank: refused, not an endless search for enough points.
    for (const bad of [1, 0, -0.2, 1.5, NaN]) {
      assert.throws(() => conformalMinPoints(bad), /conformalMinPoints: coverage must be a number in \(0, 1\)/, `coverage ${bad}`);
      assert.throws(() => conformalRank(10, bad), /conformalRank: coverage must be a number in \(0, 1\)/, `coverage ${bad}`);
    }
    assert.throws(() => conformalRank(2.5, 0.8), /conformalRank: n must be a count of scores, got 2\.5/);
    assert.throws(() => fitConformal([], [0.1, 0.5, 0.9], 0), /fitConformal: H \(the horizon steps\) must be a positive integer, got 0/);
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

/** Season + Gaussian noise (sd 1), seeded: exchangeable rows, so validation and later rows agree. */
function noisySeason(n: number, seed: number): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, (_, i) => 10 + 4 * Math.sin((2 * Math.PI * i) / 12) + g());
}

/** A small, fast quantile forecaster ('line' reference: no Holt-Winters fit; no calendar). */
const small = (extra: Record<string, unknown> = {}): Forecaster =>
  new Forecaster({ lookback: 24, horizon: 3, units: 8, ensemble: 1, reference: 'line', season: 'none', calendar: false, quantiles: [0.05, 0.1, 0.5, 0.9, 0.95], seed: 3, ...extra });
const NO_BASELINES = { holtWinters: false, ets: false, sarima: false } as const;

describe('Forecaster calibration', () => {
  it('a network stopped early under-covers; calibrated on the validation part it covers fresh rows near nominal, the median unchanged', async () => {
    // Two epochs leave the quantile outputs close together: a band far too narrow. 600 rows are
    // fitted (validation 30%: 180 rows to calibrate on); rows 600–1800 are scored, never seen.
    const z = noisySeason(1800, 5);
    const f = small();
    await f.fit(z.slice(0, 600), { epochs: 2, patience: 0, validation: 0.3, seed: 4 });
    assert.equal(f.calibration, 'conformal');
    assert.equal(f.conformal!.points, 180);
    const ev = f.evaluate(z, { ...NO_BASELINES, test: 1200 / 1800 });
    const q = ev.quantiles!;
    assert.equal(q.calibration, 'conformal');
    const [i90, i80] = q.intervals;
    assert.deepEqual([i90!.levels, i80!.levels], [[0.05, 0.95], [0.1, 0.9]]);
    assert.ok(i80!.uncalibrated.coverage < 0.65 && i90!.uncalibrated.coverage < 0.75, `as trained: 80% → ${i80!.uncalibrated.coverage}, 90% → ${i90!.uncalibrated.coverage}`);
    assert.ok(Math.abs(i80!.coverage - 0.8) < 0.06, `calibrated 80%: ${i80!.coverage}`);
    assert.ok(Math.abs(i90!.coverage - 0.9) < 0.05, `calibrated 90%: ${i90!.coverage}`);
    assert.equal(q.coverage, i90!.coverage);
    assert.ok(i80!.width > i80!.uncalibrated.width && i90!.width > i80!.width, 'widened, nested');
    // The same point forecast, quantiles in order.
    const Q = 5;
    for (let i = 0; i < ev.windows * 3; i++) {
      // (to rounding: the combination with a classical model shifts the quantiles by a difference)
      assert.ok(Math.abs(q.values[i * Q + 2]! - ev.predictions[i]!) <= 1e-12 * Math.abs(ev.predictions[i]!), `median ${i}`);
      assert.equal(q.values[i * Q + 2], q.uncalibrated!.values[i * Q + 2]);
      for (let k = 1; k < Q; k++) assert.ok(q.values[i * Q + k - 1]! <= q.values[i * Q + k]!, `quantiles cross at ${i}`);
    }
    // predictQuantiles gives the calibrated values.
    assert.deepEqual(f.predictQuantiles(z, ev.origins.slice(0, 4)), q.values.slice(0, 4 * 3 * Q));
  });

  it('offsets from the validation part only: per step, every origin whose target at that step lies in it; a poisoned test part changes nothing', async () => {
    const z = noisySeason(300, 8);
    const f = small();
    await f.fit(z, { epochs: 3, seed: 4 });
    const { trainEnd, validationEnd } = chronologicalSplit(300, {});
    assert.deepEqual([trainEnd, validationEnd], [210, 240]);
    // By hand: the quantiles as forecast from origins 207…238, the series cut at the validation
    // end; the combination (combine 'auto') with its classical model as fitted on the training
    // part (the kept one is re-fitted on the validation rows too, which would score in-sample).
    const cal = f.conformal!;
    const comb = f.combination;
    assert.ok(comb !== null, f.combinationNote ?? 'no combination');
    const train = Float64Array.from(z.slice(0, trainEnd));
    const trainFit = comb.kind === 'ets' ? { ...comb, ets: selectEts(train) } : { ...comb, sarima: fitSarima(train, defaultSarimaSpec()) };
    assert.notDeepEqual(comb.kind === 'ets' ? trainFit.ets : trainFit.sarima, comb.kind === 'ets' ? comb.ets : comb.sarima);
    f.conformal = null;
    f.combination = trainFit;
    const origins = Array.from({ length: 238 - 207 + 1 }, (_, i) => 207 + i);
    const raw = f.predictQuantiles(z.slice(0, validationEnd), origins);
    f.conformal = cal;
    f.combination = comb;
    const scale = f.yScaler!.scale[0]!;
    const levels = [0.05, 0.1, 0.5, 0.9, 0.95];
    const want = [[0, 4], [1, 3]].map(([lo, hi]) => [0, 1, 2].map((h) => {
      const s: number[] = [];
      origins.forEach((e, n) => {
        const r = e + 1 + h;
        if (r >= trainEnd && r < validationEnd) s.push(Math.max(raw[(n * 3 + h) * 5 + lo!]! - z[r]!, z[r]! - raw[(n * 3 + h) * 5 + hi!]!) / scale);
      });
      assert.equal(s.length, 30);
      s.sort((a, b) => a - b);
      // Applied only to widen: a negative offset is taken as 0.
      return Math.max(0, s[conformalRank(30, levels[hi!]! - levels[lo!]!)! - 1]!);
    }));
    assert.deepEqual(cal.offsets, want);
    assert.equal(cal.points, 30);
    // The same fit on a series whose test part is garbage: the same offsets, bit for bit.
    const poisoned = z.map((v, i) => (i >= validationEnd ? v * 50 - 1000 : v));
    const g = small();
    await g.fit(poisoned, { epochs: 3, seed: 4 });
    assert.deepEqual(g.conformal, cal);
  });

  it('many series: one set of offsets pooled over every validation part, in each series\' scaled units', async () => {
    const a = noisySeason(200, 11);
    const series = { a, b: a.map((v) => 4 * v - 20), c: noisySeason(200, 12) };
    const f = small();
    await f.fitMany(series, { epochs: 2, seed: 4 });
    assert.equal(f.conformal!.points, 60);
    // b = 4a − 20, scaled on its own: its calibrated quantiles are 4 × a's − 20.
    const q = f.predictQuantilesMany(series, { a: [150, 170], b: [150, 170], c: [150] });
    q.a!.forEach((v, i) => assert.ok(Math.abs(q.b![i]! - (4 * v - 20)) <= 1e-4 * 20, `quantile ${i}: ${q.b![i]} vs ${4 * v - 20}`));
    const ev = f.evaluateMany(series, NO_BASELINES);
    assert.equal(ev.byId.a!.quantiles!.calibration, 'conformal');
    assert.deepEqual(ev.byId.a!.quantiles!.coverage, ev.byId.b!.quantiles!.coverage);
  });

  it('saved and loaded with its offsets; a model saved before calibration loads as trained; tampered offsets refused', async () => {
    const z = noisySeason(300, 9);
    const f = small();
    await f.fit(z, { epochs: 2, seed: 4 });
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fint-'));
    try {
      await f.save(dir);
      const g = await Forecaster.load(dir);
      assert.equal(g.calibration, 'conformal');
      assert.deepEqual(g.conformal, f.conformal);
      assert.deepEqual(g.predictQuantiles(z, [250, 270]), f.predictQuantiles(z, [250, 270]));
      const file = join(dir, 'model.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      // As saved before calibration existed: no calibration fields.
      const old = structuredClone(json);
      for (const k of ['calibration', 'conformal', 'calibrationNote']) delete old.userDefinedMetadata.rnnkitForecaster[k];
      await writeFile(file, JSON.stringify(old));
      const h = await Forecaster.load(dir);
      assert.deepEqual([h.calibration, h.conformal], ['none', null]);
      f.conformal = null;
      assert.deepEqual(h.predictQuantiles(z, [250]), f.predictQuantiles(z, [250]));
      f.conformal = g.conformal;
      for (const [key, value, msg] of [
        ['conformal', { ...json.userDefinedMetadata.rnnkitForecaster.conformal, offsets: [[1, 2, 3], [1, 'x', 3]] }, /conformal: offsets\[1\] must be 3 finite numbers or nulls/],
        ['conformal', { ...json.userDefinedMetadata.rnnkitForecaster.conformal, pairs: [[0.1, 0.9]] }, /pairs must be the model's symmetric levels/],
        ['conformal', { ...json.userDefinedMetadata.rnnkitForecaster.conformal, offsets: json.userDefinedMetadata.rnnkitForecaster.conformal.offsets.map((row: (number | null)[]) => row.map((o) => (o === null ? null : -1))) }, /conformal offsets must be ≥ 0 \(the calibration only widens\)/],
        ['calibration', 'none', /conformal offsets saved with calibration "none"/],
        ['calibration', 'isotonic', /calibration must be 'conformal' or 'none', got "isotonic"/],
        ['calibrationNote', 7, /calibrationNote must be a string/],
      ] as const) {
        const copy = structuredClone(json);
        copy.userDefinedMetadata.rnnkitForecaster[key] = value;
        await writeFile(file, JSON.stringify(copy));
        await assert.rejects(Forecaster.load(dir), (e: Error) => e instanceof ModelFormatError && msg.test(e.message), `${key}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refusals and defaults: bad values, conformal without symmetric direct quantiles, a validation part too short', async () => {
    assert.throws(() => small({ calibration: 'isotonic' }), /Forecaster: calibration must be 'conformal' or 'none', got "isotonic"/);
    assert.throws(() => small({ calibration: true }), /calibration must be 'conformal' or 'none', got true/);
    assert.throws(() => small({ quantiles: undefined, calibration: 'conformal' }), /calibration 'conformal' calibrates the intervals of quantile forecasts; give quantiles too/);
    assert.throws(() => small({ quantiles: [0.1, 0.5, 0.8], calibration: 'conformal' }), /level\(s\) 0\.1, 0\.8 of quantiles \[0\.1,0\.5,0\.8\] have no mirror/);
    assert.throws(() => small({ strategy: 'recursive', calibration: 'conformal' }), /calibration 'conformal' needs the direct strategy/);
    // Defaults: conformal for symmetric levels, else none with a note saying why.
    assert.equal(small().calibration, 'conformal');
    assert.equal(small({ quantiles: undefined }).calibration, 'none');
    const asym = small({ quantiles: [0.1, 0.5, 0.8] });
    assert.equal(asym.calibration, 'none');
    assert.match(asym.calibrationNote!, /not calibrated.*0\.1, 0\.8 have no mirror/);
    assert.equal(small({ calibration: 'none' }).calibrationNote, null);
    // 80 rows: validation 8 rows, enough for 80% (4) but not 90% (9). Asked for: refused before training.
    const z = noisySeason(80, 2);
    const f = small({ lookback: 12, calibration: 'conformal' });
    await assert.rejects(f.fit(z, { epochs: 1 }), /Forecaster\.fit: calibration 'conformal' fits its offsets on the validation part, and its 8 row\(s\) are too few for the 0\.05–0\.95 interval \(at least 9\); raise validation, or give calibration 'none'/);
    assert.equal(f.xScaler, null, 'refused before training');
    await assert.rejects(small({ lookback: 12, calibration: 'conformal' }).fitMany({ a: z }, { epochs: 1 }), /Forecaster\.fitMany: calibration 'conformal'.*8 row\(s\) are too few/);
    // By default: that pair left as trained, the other calibrated, and evaluate says so.
    const d = small({ lookback: 12 });
    await d.fit(z, { epochs: 1 });
    assert.equal(d.conformal!.offsets[0]!.every((o) => o === null), true);
    assert.equal(d.conformal!.offsets[1]!.every((o) => typeof o === 'number'), true);
    assert.match(d.calibrationNote!, /the 0\.05–0\.95 interval\(s\) as trained \(not calibrated\): the validation part's 8 row\(s\) are too few \(at least 9\)/);
    const ev = d.evaluate(z, NO_BASELINES);
    assert.equal(ev.quantiles!.note, d.calibrationNote);
    // The outer pair keeps its own quantiles, or the widened inner ones where those pass them (no crossing).
    const qv = ev.quantiles!.values;
    const raw = ev.quantiles!.uncalibrated!.values;
    for (let i = 0; i < ev.windows * 3; i++) {
      assert.equal(qv[i * 5], Math.min(raw[i * 5]!, qv[i * 5 + 1]!));
      assert.equal(qv[i * 5 + 4], Math.max(raw[i * 5 + 4]!, qv[i * 5 + 3]!));
    }
    // No validation part: nothing to calibrate on, said.
    const none = small({ lookback: 12 });
    await none.fit(z, { epochs: 1, validation: 0 });
    assert.equal(none.conformal, null);
    assert.match(none.calibrationNote!, /no validation rows/);
    assert.equal(none.evaluate(z, NO_BASELINES).quantiles!.calibration, 'none');
  });
});

describe('rnnkit timeseries train --quantiles: the calibration in the report and --metrics-json', () => {
  it('prints every interval calibrated and as trained; the JSON has the same figures; --calibration refused by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fint-cli-'));
    try {
      const csv = join(dir, 'noisy.csv');
      await writeFile(csv, ['y', ...noisySeason(240, 21).map((v) => v.toFixed(4))].join('\n') + '\n');
      const base = ['timeseries', 'train', csv, '--target', 'y', '--lookback', '12', '--horizon', '2', '--units', '4', '--ensemble', '1', '--epochs', '2', '--baselines', 'none'];
      const t = rnnkit(...base, '--quantiles', '0.05,0.1,0.5,0.9,0.95', '--metrics-json', join(dir, 'm.json'));
      assert.equal(t.code, 0, t.stderr);
      const m = /^Calibrated on the validation part \(conformal\): 90% interval ([\d.]+)% inside, mean width ([\d.]+) \(as trained ([\d.]+)%, ([\d.]+)\); 80% interval ([\d.]+)% inside, mean width ([\d.]+) \(as trained ([\d.]+)%, ([\d.]+)\)$/m.exec(t.stdout);
      assert.ok(m !== null, t.stdout);
      const json = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8'));
      const q = json.quantiles;
      assert.equal(q.calibration, 'conformal');
      assert.equal(q.values, undefined, 'no per-point quantiles in the JSON');
      assert.deepEqual(q.intervals.map((v: { levels: number[] }) => v.levels), [[0.05, 0.95], [0.1, 0.9]]);
      const [i90, i80] = q.intervals;
      const p1 = (v: number): number => +(100 * v).toFixed(1);
      const w3 = (v: number): number => +v.toPrecision(3);
      assert.deepEqual(m.slice(1).map(Number), [p1(i90.coverage), w3(i90.width), p1(i90.uncalibrated.coverage), w3(i90.uncalibrated.width), p1(i80.coverage), w3(i80.width), p1(i80.uncalibrated.coverage), w3(i80.uncalibrated.width)]);
      assert.deepEqual(Object.keys(q.uncalibrated), ['coverage', 'below', 'width']);
      assert.equal(q.coverage, i90.coverage);
      // --calibration none: the intervals as trained, no calibration line.
      const n = rnnkit(...base, '--quantiles', '0.1,0.5,0.9', '--calibration', 'none');
      assert.equal(n.code, 0, n.stderr);
      assert.match(n.stdout, /^Interval 10%–90%: [\d.]+% of the test values inside \(nominal 80%\)/m);
      assert.doesNotMatch(n.stdout, /Calibrat/);
      assertUserError(rnnkit(...base, '--quantiles', '0.1,0.5,0.9', '--calibration', 'isotonic'), 2, /--calibration must be one of conformal, none, got "isotonic"/);
      assertUserError(rnnkit(...base, '--calibration', 'conformal'), 2, /--calibration calibrates the intervals of --quantiles; give --quantiles too/);
      assertUserError(rnnkit(...base, '--quantiles', '0.1,0.5,0.8', '--calibration', 'conformal'), 2, /--calibration conformal widens symmetric intervals; every --quantiles level needs its mirror \(1 − level\), got "0\.1,0\.5,0\.8"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
