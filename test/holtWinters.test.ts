/**
 * Holt-Winters against statsmodels (test/fixtures/statsmodels-holtwinters-co2.json, written by
 * tools/statsmodels_fixture.py: ExponentialSmoothing(initialization_method='estimated') on the
 * CO2 rows before the test part), hand-made series with a known answer, refusals, and the
 * baseline in Forecaster.evaluate.
 * Measured (rnnkit's Nelder–Mead vs statsmodels' L-BFGS-B): SSE equal to 3.2e-8 relative (ours
 * never higher), heuristic starting states to 2e-13, 24 forecasts to 3e-4 ppm, the rolling MAE
 * to 2e-6; with statsmodels' parameters the rolling forecasts agree to 1e-13.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { co2, maxDiff, readFixture } from './helpers/classical.js';
import {
  Forecaster,
  fitHoltWinters,
  forecastMetrics,
  holtWintersForecast,
  holtWintersInitialStates,
  holtWintersName,
  holtWintersRolling,
  selectHoltWinters,
  windowOrigins,
  type HoltWintersSpec,
} from '../src/index.js';
import { checkHoltWintersModel, holtWintersSseGradient } from '../src/timeseries/holtWinters.js';

interface Fit {
  trend: 'add' | null;
  damped: boolean;
  seasonal: 'add' | 'mul' | null;
  alpha: number;
  beta: number | null;
  gamma: number | null;
  phi: number | null;
  initialLevel: number;
  initialTrend: number | null;
  initialSeason: number[] | null;
  heuristic: { level: number; trend: number | null; season: number[] | null };
  sse: number;
  aicc: number;
  forecast: number[];
}
const fixture = readFixture<{
  rows: number;
  train: number;
  period: number;
  fits: Fit[];
  best: { trend: string | null; damped: boolean; seasonal: string | null };
  short: { rows: number; period: number; start: { level: number; trend: number; season: number[] }; sse: number };
  rolling: { lookback: number; horizon: number; origins: number; firstOrigin: number; firstForecast: number[]; mae: number };
}>('statsmodels-holtwinters-co2.json');
const train = co2.slice(0, fixture.train);
const specOf = (f: Fit): HoltWintersSpec => ({ trend: f.trend, damped: f.damped, seasonal: f.seasonal, ...(f.seasonal !== null ? { period: fixture.period } : {}) });

/** SSE within this fraction of statsmodels' (measured 3.2e-8). */
const SSE_REL = 0.005;
/** Forecasts within this many ppm of statsmodels' (measured 3e-4: the optimisers stop at slightly different states on a flat minimum). */
const FORECAST_ABS = 0.01;

describe('Holt-Winters vs statsmodels on CO2', () => {
  it('the fixture is the series this test reads', () => {
    assert.equal(co2.length, fixture.rows);
    assert.equal(fixture.train, co2.length - Math.round(0.2 * co2.length));
  });

  for (const f of fixture.fits) {
    it(`${holtWintersName({ ...specOf(f), period: f.seasonal !== null ? fixture.period : 0 } as never)}: heuristic start, SSE, AICc and forecasts`, () => {
      const h = holtWintersInitialStates(train, specOf(f));
      assert.ok(Math.abs(h.level - f.heuristic.level) < 1e-9, `heuristic level ${h.level} vs ${f.heuristic.level}`);
      if (f.heuristic.trend !== null) assert.ok(Math.abs(h.trend - f.heuristic.trend) < 1e-9, `heuristic trend ${h.trend} vs ${f.heuristic.trend}`);
      if (f.heuristic.season !== null) assert.ok(maxDiff(h.season, f.heuristic.season) < 1e-9, 'heuristic season');
      const m = fitHoltWinters(train, specOf(f));
      assert.ok(m.sse <= f.sse * (1 + SSE_REL), `SSE ${m.sse} vs statsmodels ${f.sse}`);
      assert.ok(m.sse >= f.sse * (1 - SSE_REL), `SSE ${m.sse} far below statsmodels ${f.sse}: the objective differs`);
      assert.ok(Math.abs(m.aicc - f.aicc) < 0.05, `AICc ${m.aicc} vs ${f.aicc}`);
      const d = maxDiff(holtWintersForecast(m, 24), f.forecast);
      assert.ok(d < FORECAST_ABS, `forecasts differ by up to ${d}`);
    });
  }

  it("a short series (12 rows, season 4: under 10 + 2·⌊4/2⌋) starts from statsmodels' 'simple' states", () => {
    const { rows, period, start, sse } = fixture.short;
    const y = co2.slice(0, rows);
    const spec = { trend: 'add', seasonal: 'add', period } as const;
    const h = holtWintersInitialStates(y, spec);
    assert.ok(Math.abs(h.level - start.level) < 1e-9 && Math.abs(h.trend - start.trend) < 1e-9 && maxDiff(h.season, start.season) < 1e-9, JSON.stringify(h));
    const m = fitHoltWinters(y, spec);
    assert.ok(m.sse <= sse * (1 + SSE_REL), `SSE ${m.sse} vs statsmodels ${sse}`);
  });

  it('AICc picks the variant statsmodels ranks first; rolling origins as Forecaster.evaluate', () => {
    const best = selectHoltWinters(train, { period: fixture.period });
    assert.deepEqual({ trend: best.trend, damped: best.damped, seasonal: best.seasonal }, fixture.best);
    const { lookback, horizon } = fixture.rolling;
    const origins = windowOrigins(co2.length, { lookback, horizon, targetStart: fixture.train });
    assert.equal(origins.length, fixture.rolling.origins);
    assert.equal(origins[0], fixture.rolling.firstOrigin);
    const actual = origins.flatMap((e) => co2.slice(e + 1, e + 1 + horizon));
    // statsmodels' own parameters and states: the same recursion, to rounding.
    const f = fixture.fits.find((x) => x.trend === best.trend && x.damped === best.damped && x.seasonal === best.seasonal)!;
    const theirs = { ...best, alpha: f.alpha, beta: f.beta ?? 0, gamma: f.gamma ?? 0, phi: f.phi ?? 1, initialLevel: f.initialLevel, initialTrend: f.initialTrend ?? 0, initialSeason: f.initialSeason ?? [] };
    const p = holtWintersRolling(theirs, co2, origins, horizon);
    assert.ok(maxDiff(p.subarray(0, horizon), fixture.rolling.firstForecast) < 1e-9);
    assert.ok(Math.abs(forecastMetrics(actual, p).mae - fixture.rolling.mae) < 1e-9);
    const own = forecastMetrics(actual, holtWintersRolling(best, co2, origins, horizon)).mae;
    assert.ok(Math.abs(own - fixture.rolling.mae) < 1e-3, `rolling MAE ${own} vs statsmodels ${fixture.rolling.mae}`);
  });
});

describe('Holt-Winters: the analytic gradient the fit descends', () => {
  it("equals central differences of the SSE in every variant (CO2, near statsmodels' parameters)", () => {
    for (const f of fixture.fits) {
      const spec = specOf(f);
      const m = f.seasonal !== null ? fixture.period : 0;
      // Inside the restricted space (β ≤ α, γ ≤ 1 − α), away from its edges.
      const alpha = Math.min(0.99, Math.max(0.01, f.alpha));
      const u = [alpha, f.trend !== null ? Math.min(0.99, Math.max(0.01, (f.beta ?? 0) / f.alpha)) * alpha : 0, f.seasonal !== null ? Math.min(0.99, Math.max(0.01, (f.gamma ?? 0) / (1 - f.alpha))) * (1 - alpha) : 0, f.damped ? Math.min(0.99, f.phi ?? 0.98) : 1, f.initialLevel, f.initialTrend ?? 0, ...(f.initialSeason ?? [])];
      const params = (v: number[]) => ({ alpha: v[0]!, beta: v[1]!, gamma: v[2]!, phi: v[3]!, initialLevel: v[4]!, initialTrend: v[5]!, initialSeason: v.slice(6, 6 + m) });
      const { grad } = holtWintersSseGradient(train, spec, params(u));
      const sse = (i: number, h: number): number => {
        const v = [...u];
        v[i] = v[i]! + h;
        return holtWintersSseGradient(train, spec, params(v)).sse;
      };
      const used = [0, ...(f.trend !== null ? [1] : []), ...(f.seasonal !== null ? [2] : []), ...(f.damped ? [3] : []), 4, ...(f.trend !== null ? [5] : []), ...Array.from({ length: m }, (_, j) => 6 + j)];
      for (const i of used) {
        const h = 1e-6 * Math.max(1, Math.abs(u[i]!));
        const fd = (sse(i, h) - sse(i, -h)) / (2 * h);
        assert.ok(Math.abs(grad[i]! - fd) <= 1e-4 * Math.max(1, Math.abs(fd)), `${f.trend},${f.damped},${f.seasonal}: ∂/∂ parameter ${i}: analytic ${grad[i]} vs differences ${fd}`);
      }
    }
  });
});

describe('Holt-Winters on series with a known answer', () => {
  it('a pure line: additive trend, zero error, the line continued', () => {
    const y = Array.from({ length: 30 }, (_, t) => 3 + 2 * t);
    const m = fitHoltWinters(y, { trend: 'add' });
    assert.ok(m.sse < 1e-12, `SSE ${m.sse}`);
    const f = holtWintersForecast(m, 5);
    assert.ok(maxDiff(f, [63, 65, 67, 69, 71]) < 1e-6, `forecast ${Array.from(f)}`);
    // Rolling from row 9: the next 3 values of the line.
    assert.ok(maxDiff(holtWintersRolling(m, y, [9], 3), [23, 25, 27]) < 1e-6);
  });

  it('a pure additive season: the pattern repeated', () => {
    const pattern = [5, 1, 3, 7];
    const y = Array.from({ length: 24 }, (_, t) => pattern[t % 4]!);
    const m = fitHoltWinters(y, { trend: null, seasonal: 'add', period: 4 });
    assert.ok(m.sse < 1e-12, `SSE ${m.sse}`);
    assert.ok(maxDiff(holtWintersForecast(m, 9), [5, 1, 3, 7, 5, 1, 3, 7, 5]) < 1e-6);
    assert.ok(maxDiff(holtWintersRolling(m, y, [13], 4), [3, 7, 5, 1]) < 1e-6);
  });

  it('a pure multiplicative season on a line: trend × season continued', () => {
    const factor = [1.2, 0.8, 1.1, 0.9];
    const y = Array.from({ length: 40 }, (_, t) => 100 * factor[t % 4]!);
    const m = fitHoltWinters(y, { trend: null, seasonal: 'mul', period: 4 });
    assert.ok(m.sse < 1e-10, `SSE ${m.sse}`);
    assert.ok(maxDiff(holtWintersForecast(m, 4), [120, 80, 110, 90]) < 1e-5);
  });

  it('damped: h steps ahead is l + b·φ(1−φ^h)/(1−φ)', () => {
    const y = Array.from({ length: 40 }, (_, t) => 10 + t + 0.3 * Math.sin(t));
    const m = fitHoltWinters(y, { trend: 'add', damped: true });
    assert.ok(m.phi >= 0.8 && m.phi <= 0.995);
    const f = holtWintersForecast(m, 400);
    for (const h of [1, 7, 400]) {
      const want = m.level + (m.slope * m.phi * (1 - m.phi ** h)) / (1 - m.phi);
      assert.ok(Math.abs(f[h - 1]! - want) < 1e-9 * Math.abs(want), `h = ${h}: ${f[h - 1]} vs ${want}`);
    }
  });
});

describe('Holt-Winters refusals', () => {
  const y = Array.from({ length: 30 }, (_, t) => 10 + t);
  it('non-finite values, by position', () => {
    assert.throws(() => fitHoltWinters([...y.slice(0, 3), NaN, ...y.slice(4)]), /fitHoltWinters: value 3 is NaN; Holt-Winters needs finite values/);
    assert.throws(() => selectHoltWinters([...y.slice(0, 5), Infinity]), /selectHoltWinters: value 5 is Infinity/);
    assert.throws(() => holtWintersRolling(fitHoltWinters(y), [1, NaN], [0], 1), /holtWintersRolling: value 1 is NaN/);
  });
  it('too short for two seasons, or for the heuristic', () => {
    assert.throws(() => fitHoltWinters(y.slice(0, 7), { seasonal: 'add', period: 4 }), /7 values are too short for two full seasons of 4 \(8 needed\)/);
    assert.throws(() => fitHoltWinters(y.slice(0, 9), { trend: 'add' }), /9 values are too short; at least 10 are needed/);
  });
  it('options by name', () => {
    assert.throws(() => fitHoltWinters(y, { seasnal: 'add' } as never), /fitHoltWinters: unknown option 'seasnal'; supported options: trend, damped, seasonal, period/);
    assert.throws(() => fitHoltWinters(y, { trend: 'mul' } as never), /trend must be 'add' or null, got "mul" \(a multiplicative trend is not supported\)|trend must be 'add' or null, got 'mul'/);
    assert.throws(() => fitHoltWinters(y, { trend: null, damped: true }), /damped needs a trend/);
    assert.throws(() => fitHoltWinters(y, { seasonal: 'add' }), /seasonal 'add' needs period/);
    assert.throws(() => fitHoltWinters(y, { period: 4 }), /period 4 given without a season/);
    assert.throws(() => fitHoltWinters(y, { seasonal: 'add', period: 1 }), /period must be an integer ≥ 2, got 1/);
    assert.throws(() => fitHoltWinters([0, ...y.slice(1)], { seasonal: 'mul', period: 4 }), /a multiplicative season needs positive values; value 0 is 0/);
    assert.throws(() => selectHoltWinters(y, { period: 4, seasons: 2 } as never), /selectHoltWinters: unknown option 'seasons'; supported options: period, candidates/);
    assert.throws(() => selectHoltWinters(y, { period: 4, candidates: [{ seasonal: 'add', period: 4 }] }), /selectHoltWinters: period and candidates together/);
    assert.throws(() => selectHoltWinters(y, { candidates: [] }), /candidates must be a non-empty array/);
    assert.equal(selectHoltWinters(y, { candidates: [{ trend: null }] }).trend, null);
    assert.throws(() => holtWintersForecast(fitHoltWinters(y), 0), /steps must be a positive integer, got 0/);
    assert.throws(() => holtWintersRolling(fitHoltWinters(y), y, [30], 1), /origin 30 is outside rows 0…29/);
  });
});

describe('Forecaster.evaluate: the Holt-Winters baseline', () => {
  const wave = Array.from({ length: 200 }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 12) + 0.05 * i);
  it('fitted on the rows before the test part, rolled over the same origins; off or absent when asked or too short', async () => {
    // No season of its own: evaluate's default season is the forecaster's.
    const f = new Forecaster({ lookback: 24, horizon: 3, units: 4, windowRelative: true, season: 'none', seed: 2 });
    await f.fit(wave, { epochs: 1, seed: 3 });
    const ev = f.evaluate(wave, { season: 12 });
    const start = 200 - 40;
    const model = selectHoltWinters(wave.slice(0, start), { period: 12 });
    assert.deepEqual(ev.holtWintersModel, model);
    const rolled = holtWintersRolling(model, wave, ev.origins, 3);
    assert.deepEqual(ev.holtWintersPredictions, rolled);
    assert.deepEqual(ev.holtWinters, forecastMetrics(ev.actual, rolled));
    // Noiseless trend + season: exponential smoothing is all but exact.
    assert.ok(ev.holtWinters!.mae < 0.01, `Holt-Winters MAE ${ev.holtWinters!.mae}`);
    assert.ok(model.seasonal !== null);
    const noSeason = f.evaluate(wave);
    assert.equal(noSeason.holtWintersModel!.seasonal, null);
    assert.equal(f.evaluate(wave, { holtWinters: false }).holtWinters, undefined);
    assert.throws(() => f.evaluate(wave, { holtWinters: 1 } as never), /Forecaster.evaluate: holtWinters must be a boolean, got 1/);
    assert.throws(() => f.evaluate(wave, { holtwinters: false } as never), /unknown option 'holtwinters'; supported options: test, season, holtWinters/);
    // 200 rows, test 0.95: 10 rows before the test part, fewer than two seasons of 12.
    const short = f.evaluate(wave, { season: 12, test: 0.95 });
    assert.equal(short.holtWinters, undefined);
  });
});

describe('Holt-Winters models read from files', () => {
  it("an exact fit (a straight line: sse 0, criteria −∞, which JSON writes as null) reads back; a null criterion of an inexact fit is refused", () => {
    const line = Array.from({ length: 40 }, (_, i) => 100 + 2 * i);
    const fit = fitHoltWinters(line, { trend: 'add', damped: false, seasonal: null });
    assert.equal(fit.sse, 0);
    assert.equal(fit.aic, -Infinity);
    const back = checkHoltWintersModel(JSON.parse(JSON.stringify(fit)), 'file');
    assert.deepEqual([back.aic, back.aicc, back.bic], [-Infinity, -Infinity, -Infinity]);
    assert.deepEqual(holtWintersForecast(back, 2), holtWintersForecast(fit, 2));
    const noisy = JSON.parse(JSON.stringify(fitHoltWinters(line.map((v, i) => v + Math.sin(i)), { trend: 'add', damped: false, seasonal: null })));
    noisy.aic = null;
    assert.throws(() => checkHoltWintersModel(noisy, 'file'), /file: Holt-Winters field 'aic' must be a finite number, got null/);
  });
});
