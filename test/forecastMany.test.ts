/**
 * Many series at once (Forecaster.fitMany / forecastMany / evaluateMany / predictMany): one id is
 * exactly fit on that series; windows never straddle two series; each series scaled on its own;
 * per-series and pooled metrics; save/load keeps the ids and per-series state; refusals.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forecaster, forecastMetrics, lastValueForecast, toSeries, windowOrigins, type Model } from '../src/index.js';

const DAY = 86_400_000;
/** A seasonal series with a trend and a little deterministic noise. */
const wave = (n: number, phase: number, level: number): number[] =>
  Array.from({ length: n }, (_, i) => level + 0.05 * i + 3 * Math.sin((2 * Math.PI * (i + phase)) / 12) + 0.3 * Math.sin(i * 1.7 + phase));
const days = (n: number, from = Date.UTC(2021, 0, 1)): number[] => Array.from({ length: n }, (_, i) => from + i * DAY);

/** Record the inputs every training call gets (the network's own fit, then the original). */
function spyFit(model: Model): { x: Float32Array[]; shapes: number[][] } {
  const seen = { x: [] as Float32Array[], shapes: [] as number[][] };
  const orig = model.fit.bind(model);
  model.fit = (x, y, args) => {
    const t = x as unknown as { data: Float32Array; shape: number[] };
    seen.x.push(Float32Array.from(t.data));
    seen.shapes.push([...t.shape]);
    return orig(x, y, args);
  };
  return seen;
}

describe('Forecaster.fitMany', () => {
  it('one id is exactly fit on that series: same seed → same weights, combination, conformal offsets, forecasts and evaluation (Holt-Winters reference, calendar from times)', async () => {
    const y = wave(120, 0, 10);
    const t = days(120);
    // combine 'auto' (the default) and calibrated quantiles: fitMany's per-series choice is fit's.
    const args = { lookback: 14, horizon: 3, units: 5, ensemble: 2, season: 12, quantiles: [0.1, 0.5, 0.9], seed: 7 } as const;
    const a = new Forecaster(args);
    await a.fit(y, { epochs: 3, seed: 3, times: t });
    const b = new Forecaster(args);
    await b.fitMany({ only: y }, { epochs: 3, seed: 3, times: { only: t } });
    assert.deepEqual(b.ids, ['only']);
    assert.deepEqual(a.calendar, b.calendar);
    assert.ok(a.calendar !== null && a.calendar !== undefined, 'daily times give calendar covariates');
    const wa = a.model.getWeights();
    const wb = b.model.getWeights();
    assert.equal(wa.length, wb.length);
    wa.forEach((w, i) => assert.deepEqual(Array.from(wb[i]!.data), Array.from(w.data), `weight ${i}`));
    const ca = a.combination;
    assert.ok(ca !== null, a.combinationNote ?? 'no combination');
    const cb = b.combinationsById!.only!;
    assert.ok(cb.combination !== null, cb.note ?? 'no combination');
    // Everything but the seconds it took: kind, model, weights, validation figures.
    const { seconds: _sa, ...ra } = ca;
    const { seconds: _sb, ...rb } = cb.combination;
    assert.deepEqual(rb, ra);
    assert.deepEqual([b.combination, b.combinationNote, cb.note], [null, null, null]);
    assert.ok(a.conformal !== null);
    assert.deepEqual(b.conformal, a.conformal);
    assert.deepEqual(b.forecastMany({ only: y }, 5, { times: { only: t } }).only, a.forecast(y, 5, { times: t }));
    assert.deepEqual(Array.from(b.predictQuantilesMany({ only: y }, { only: [100, 110] }, { times: { only: t } }).only!), Array.from(a.predictQuantiles(y, [100, 110], { times: t })));
    const ea = a.evaluate(y, { times: t, ets: false, sarima: false });
    const eb = b.evaluateMany({ only: y }, { times: { only: t }, ets: false, sarima: false });
    assert.deepEqual(Array.from(eb.byId.only!.predictions), Array.from(ea.predictions));
    assert.deepEqual(eb.byId.only!.model, ea.model);
    assert.deepEqual(eb.pooled.model, ea.model);
    assert.deepEqual(eb.pooled.holtWinters, ea.holtWinters);
  });

  it('windows never straddle two series: every training window holds one series only, and their count is the sum of each series\'', async () => {
    // Raw values (no scaling, no reference): series a lives in [0, 1), b in [100, 101), so a window across the boundary would mix them.
    const a = Array.from({ length: 40 }, (_, i) => (i * 0.37) % 1);
    const b = Array.from({ length: 55 }, (_, i) => 100 + ((i * 0.61) % 1));
    const f = new Forecaster({ combine: false, lookback: 5, horizon: 2, units: 3, ensemble: 1, scaling: 'none', windowRelative: false, calendar: false, seed: 1 });
    const seen = spyFit(f.model);
    await f.fitMany({ a, b }, { epochs: 1, seed: 1, validation: 0.2, test: 0.2, patience: 0 });
    assert.equal(seen.shapes.length, 1);
    const [n, L, W] = seen.shapes[0]!;
    assert.equal(L, 5);
    assert.equal(W, 1);
    // Training windows: targets inside each series' own training part (its first 60%).
    const per = (rows: number): number => windowOrigins(rows, { lookback: 5, horizon: 2, targetEnd: rows - Math.round(rows * 0.2) - Math.round(rows * 0.2) }).length;
    assert.equal(n, per(40) + per(55));
    const x = seen.x[0]!;
    let fromA = 0;
    for (let w = 0; w < n!; w++) {
      const win = Array.from(x.subarray(w * 5, w * 5 + 5));
      const low = win.filter((v) => v < 50).length;
      assert.ok(low === 0 || low === 5, `window ${w} mixes the series: ${win.join(', ')}`);
      if (low === 5) fromA++;
    }
    assert.equal(fromA, per(40));
  });

  it('times whose spacing has no calendar period (quarterly rows) are taken as fit takes them: no covariates, the same forecasts as without times', async () => {
    // Before, fitMany refused them ('times given, but the forecaster has no calendar covariates'),
    // so `timeseries train --time-column --id-column` failed on quarterly data.
    const series = { a: wave(80, 0, 10), b: wave(80, 3, 20) };
    const quarters = Array.from({ length: 80 }, (_, i) => Date.UTC(1960 + Math.floor(i / 4), 3 * (i % 4), 1));
    const args = { lookback: 8, horizon: 2, units: 3, ensemble: 1, combine: false, seed: 4 } as const;
    const f = new Forecaster(args);
    await f.fitMany(series, { epochs: 2, seed: 1, times: { a: quarters, b: quarters } });
    assert.equal(f.calendar, null);
    const g = new Forecaster(args);
    await g.fitMany(series, { epochs: 2, seed: 1 });
    assert.deepEqual(f.forecastMany(series, 3), g.forecastMany(series, 3));
  });

  it('each series is scaled on its own: b = 10·a + 500 gets the same network inputs, so its forecast is 10·a\'s + 500', async () => {
    const a = wave(90, 2, 0);
    const b = a.map((v) => 10 * v + 500);
    // 'line' and standard scaling are both equivariant under v → 10v + 500 (Holt-Winters' fitted parameters need not be).
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 2, units: 4, ensemble: 1, reference: 'line', calendar: false, seed: 2 });
    const seen = spyFit(f.model);
    await f.fitMany({ a, b }, { epochs: 2, seed: 2 });
    const x = seen.x[0]!;
    const half = x.length / 2;
    assert.deepEqual(Array.from(x.subarray(half)), Array.from(x.subarray(0, half)), 'b\'s windows equal a\'s after per-series scaling');
    const fc = f.forecastMany({ a, b }, 4);
    fc.a!.forEach((v, i) => assert.ok(Math.abs(fc.b![i]! - (10 * v + 500)) <= 1e-4 * 500, `step ${i}: ${fc.b![i]} vs ${10 * v + 500}`));
  });

  it('evaluateMany: each series\' own last test fraction and baselines, and the mean over the series', async () => {
    const series = { north: wave(100, 0, 20), south: wave(130, 5, 50) };
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 3, units: 4, ensemble: 1, season: 12, calendar: false, seed: 5 });
    await f.fitMany(series, { epochs: 2, seed: 5 });
    const ev = f.evaluateMany(series, { test: 0.25, ets: false, sarima: false });
    assert.deepEqual(Object.keys(ev.byId), ['north', 'south']);
    for (const [id, y] of Object.entries(series)) {
      const e = ev.byId[id]!;
      const start = y.length - Math.round(y.length * 0.25);
      const origins = windowOrigins(y.length, { lookback: 12, horizon: 3, targetStart: start });
      assert.deepEqual(e.origins, origins, id);
      const actual = origins.flatMap((o) => [y[o + 1]!, y[o + 2]!, y[o + 3]!]);
      assert.deepEqual(Array.from(e.actual), actual, id);
      assert.deepEqual(e.lastValue, forecastMetrics(actual, lastValueForecast(toSeries(y), 0, origins, 3)), id);
      assert.deepEqual(e.model, forecastMetrics(actual, e.predictions), id);
      assert.deepEqual(Array.from(e.predictions), Array.from(f.predictMany({ [id]: y }, { [id]: origins }, 3)[id]!), id);
      assert.ok(e.seasonalNaive !== undefined && e.holtWinters !== undefined, id);
    }
    for (const k of ['mae', 'rmse', 'mape', 'smape'] as const) {
      assert.equal(ev.pooled.model[k], (ev.byId.north!.model[k] + ev.byId.south!.model[k]) / 2, k);
      assert.equal(ev.pooled.lastValue[k], (ev.byId.north!.lastValue[k] + ev.byId.south!.lastValue[k]) / 2, k);
      assert.equal(ev.pooled.holtWinters![k], (ev.byId.north!.holtWinters![k] + ev.byId.south!.holtWinters![k]) / 2, k);
    }
    // The series differ, so their forecasts come from their own references (not one shared state).
    assert.notDeepEqual(ev.byId.north!.model, ev.byId.south!.model);
  });

  it('save/load keeps the ids and every series\' scalers and Holt-Winters reference', async () => {
    const series = { a: wave(80, 1, 5), b: wave(96, 7, 40) };
    const t = { a: days(80), b: days(96, Date.UTC(2020, 5, 1)) };
    const f = new Forecaster({ combine: false, lookback: 10, horizon: 2, units: 3, ensemble: 1, season: 12, seed: 9 });
    await f.fitMany(series, { epochs: 2, seed: 9, times: t });
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fcmany-'));
    try {
      await f.save(dir);
      const g = await Forecaster.load(dir);
      assert.deepEqual(g.ids, ['a', 'b']);
      assert.deepEqual(g.forecastMany(series, 4, { times: t }), f.forecastMany(series, 4, { times: t }));
      assert.deepEqual(g.evaluateMany(series, { times: t, ets: false, sarima: false }).pooled, f.evaluateMany(series, { times: t, ets: false, sarima: false }).pooled);
      assert.deepEqual(g.metadata().series, f.metadata().series);
      // The top-level scalers and reference (what a reader of one series' metadata finds) are the first id's.
      assert.deepEqual(f.metadata().xScaler, f.metadata().series!.a!.xScaler);
      assert.deepEqual(f.metadata().holtWinters, f.metadata().series!.a!.holtWinters);
      assert.notDeepEqual(f.metadata().series!.a!.holtWinters, f.metadata().series!.b!.holtWinters);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('quantiles per series: predictQuantilesMany and evaluateMany\'s coverage come from each series\' own state', async () => {
    const series = { a: wave(70, 0, 3), b: wave(70, 0, 3).map((v) => 4 * v - 20) };
    const f = new Forecaster({ combine: false, lookback: 10, horizon: 2, units: 3, ensemble: 1, reference: 'line', calendar: false, quantiles: [0.1, 0.5, 0.9], seed: 4 });
    await f.fitMany(series, { epochs: 2, seed: 4 });
    const q = f.predictQuantilesMany(series, { a: [40, 50], b: [40, 50] });
    // b = 4a − 20 and everything per series is equivariant: b's quantiles are 4 × a's − 20.
    q.a!.forEach((v, i) => assert.ok(Math.abs(q.b![i]! - (4 * v - 20)) <= 1e-4 * 20, `quantile ${i}: ${q.b![i]} vs ${4 * v - 20}`));
    const ev = f.evaluateMany(series, { ets: false, sarima: false });
    assert.deepEqual(ev.byId.a!.quantiles!.coverage, ev.byId.b!.quantiles!.coverage);
    assert.throws(() => f.predictQuantiles(series.a, [40]), /trained on many series/);
  });

  it('refusals: a short series, an unknown id, the single-series methods, times without an id, no series', async () => {
    const f = new Forecaster({ combine: false, lookback: 10, horizon: 3, units: 3, ensemble: 1, reference: 'line', calendar: false, seed: 1 });
    // Every short series is named at once.
    await assert.rejects(f.fitMany({ long: wave(80, 0, 0), tiny: wave(12, 0, 0), small: wave(15, 0, 0) }, { epochs: 1 }), /Forecaster\.fitMany: 2 of 3 series are too short for lookback 10 \+ horizon 3 \(each needs at least 19 rows, its training part 13\): 'tiny' \(12 rows\), 'small' \(15 rows\); leave them out of the data, or lower the lookback/);
    await assert.rejects(f.fitMany({}, { epochs: 1 }), /no series/);
    await assert.rejects(f.fitMany({ a: wave(80, 0, 0) }, { epochs: 1, horizn: 2 } as never), /horizn/);
    const g = new Forecaster({ combine: false, lookback: 10, horizon: 3, units: 3, ensemble: 1, season: 12, seed: 1 });
    await assert.rejects(g.fitMany({ a: wave(80, 0, 0), b: wave(80, 1, 0) }, { epochs: 1, times: { a: days(80) } }), /times has no entry for series 'b'/);
    await f.fitMany({ a: wave(80, 0, 0), b: wave(70, 3, 9) }, { epochs: 1 });
    assert.throws(() => f.forecastMany({ c: wave(40, 0, 0) }), /unknown series 'c'; the forecaster was trained on 'a', 'b'/);
    assert.throws(() => f.forecast(wave(40, 0, 0)), /trained on many series \(ids 'a', 'b'\); use forecastMany/);
    assert.throws(() => f.evaluate(wave(40, 0, 0)), /trained on many series/);
    assert.throws(() => f.predictFrom(wave(40, 0, 0), [20]), /trained on many series/);
    const single = new Forecaster({ combine: false, lookback: 10, units: 3, ensemble: 1, reference: 'line', calendar: false, seed: 1 });
    await single.fit(wave(60, 0, 0), { epochs: 1 });
    assert.equal(single.ids, null);
    assert.throws(() => single.forecastMany({ a: wave(40, 0, 0) }), /trained on one series/);
  });
});
