/**
 * SARIMA against statsmodels (test/fixtures/statsmodels-sarima-co2.json, written by
 * tools/sarima_fixture.py: SARIMAX(1,1,1)(0,1,1,12) on the CO2 rows before the test part, and
 * log-likelihoods of six other orders at fixed parameters), hand-made series with a known
 * answer, refusals.
 * Measured: log-likelihoods at statsmodels' parameters equal to 3e-10 relative (statsmodels
 * stops updating the covariance once it has converged; so do we, by the same test), rolling
 * forecasts at statsmodels' parameters to 4e-13; fitted from statsmodels' start, loglik 3e-9
 * relative and parameters 4e-4 from statsmodels' fit; the default fit reaches the higher maximum
 * statsmodels reaches from starts on the AR/MA ridge (loglik −361.819 vs −380.627), parameters
 * within 2e-5, rolling MAE 0.43838 vs 0.43838 (statsmodels' default fit: 0.52323). Seattle,
 * ARIMA(1,1,1) with two annual Fourier pairs as exog: loglik 3e-12 relative at statsmodels'
 * parameters, fitted parameters within 2e-5, rolling MAE (horizon 7) 2.79869 vs 2.79869.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { co2, maxDiff, readFixture, vegaCsv } from './helpers/classical.js';
import { SARIMA_FIT_BUDGET, rowFourierExog, sarimaFitStart, yearlyFourierExog } from '../src/timeseries/sarima.js';
import { Forecaster, checkSarimaModel, constrainStationary, defaultSarimaSpec, fitSarima, forecastMetrics, sarimaForecast, sarimaLoglik, sarimaMinRows, sarimaName, sarimaRolling, unconstrainStationary } from '../src/index.js';

interface Rolling {
  forecasts: number[][];
  mae: number;
}
const fixture = readFixture<{
  rows: number;
  train: number;
  fit: { order: [number, number, number]; seasonalOrder: [number, number, number, number]; names: string[]; params: number[]; startParams: number[]; loglik: number; aic: number; bic: number; loglikAtStart: number; rolling: Rolling & { lookback: number; horizon: number; origins: number[] } };
  best: { params: number[]; loglik: number; aic: number; bic: number; rolling: Rolling };
  loglik: { order: [number, number, number]; seasonalOrder: [number, number, number, number]; exog: string | null; offset: number; names: string[]; params: number[]; loglik: number }[];
  seattle: { rows: number; train: number; order: [number, number, number]; period: number; names: string[]; params: number[]; loglik: number; aic: number; rolling: { lookback: number; horizon: number; origins: number; mae: number } };
}>('statsmodels-sarima-co2.json');
const train = co2.slice(0, fixture.train);
const spec = { order: fixture.fit.order, seasonalOrder: fixture.fit.seasonalOrder };
const fourier12 = (n: number): number[][] => Array.from({ length: n }, (_, t) => [Math.sin((2 * Math.PI * t) / 12), Math.cos((2 * Math.PI * t) / 12)]);
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** Log-likelihood at statsmodels' parameters within this fraction of statsmodels' (measured 3e-10). */
const LOGLIK_REL = 1e-8;
/** Fitted parameters within this of statsmodels' fit from the same start (measured 4e-4; the optimisers differ). */
const PARAM_TOL = 2e-3;
/** Rolling MAE within this of statsmodels' (measured 3e-6). */
const MAE_TOL = 1e-4;

/** A reproducible standard normal stream (LCG + Box–Muller). */
function normals(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

describe('SARIMA log-likelihood against statsmodels', () => {
  it('equals statsmodels at its fitted parameters and at its start (CO2, (1,1,1)(0,1,1,12))', () => {
    assert.ok(rel(sarimaLoglik(train, spec, fixture.fit.params), fixture.fit.loglik) < LOGLIK_REL, `at statsmodels' fit: ${sarimaLoglik(train, spec, fixture.fit.params)} vs ${fixture.fit.loglik}`);
    assert.ok(rel(sarimaLoglik(train, spec, fixture.fit.startParams), fixture.fit.loglikAtStart) < LOGLIK_REL, `at statsmodels' start: ${sarimaLoglik(train, spec, fixture.fit.startParams)} vs ${fixture.fit.loglikAtStart}`);
    assert.ok(rel(sarimaLoglik(train, spec, fixture.best.params), fixture.best.loglik) < LOGLIK_REL, `at statsmodels' best: ${sarimaLoglik(train, spec, fixture.best.params)} vs ${fixture.best.loglik}`);
  });

  it('equals statsmodels for seasonal AR, d = 2, D only, no differencing and exogenous regressors', () => {
    for (const c of fixture.loglik) {
      const y = train.map((v) => v - c.offset);
      const ll = sarimaLoglik(y, { order: c.order, seasonalOrder: c.seasonalOrder, ...(c.exog !== null ? { exog: fourier12(y.length) } : {}) }, c.params);
      assert.ok(rel(ll, c.loglik) < LOGLIK_REL, `${c.order} ${c.seasonalOrder} ${c.exog}: ${ll} vs ${c.loglik}`);
    }
  });

  it('rolling forecasts at statsmodels parameters equal statsmodels (filter through y[:e+1], forecast 12)', () => {
    const { origins, horizon } = fixture.fit.rolling;
    for (const [params, ref] of [
      [fixture.fit.params, fixture.fit.rolling],
      [fixture.best.params, fixture.best.rolling],
    ] as const) {
      const model = { ...fitSarimaShell(), params: [...params] };
      const f = sarimaRolling(model, co2, origins, horizon);
      assert.ok(maxDiff(f, ref.forecasts.flat()) < 1e-8, `max diff ${maxDiff(f, ref.forecasts.flat())}`);
      const actual = origins.flatMap((e) => co2.slice(e + 1, e + 1 + horizon));
      assert.ok(Math.abs(forecastMetrics(Float64Array.from(actual), f).mae - ref.mae) < 1e-10, `Math.abs(forecastMetrics(Float64Array.from(actual), f).mae - ref.mae) < 1e-10`);
    }
  });
});

/** A model object with the CO2 orders (parameters replaced by the caller). */
function fitSarimaShell() {
  return checkSarimaModel({ order: fixture.fit.order, seasonalOrder: fixture.fit.seasonalOrder, exog: 0, params: fixture.fit.params, loglik: 0, aic: 0, aicc: 0, bic: 0, n: fixture.train }, 'test');
}

describe('SARIMA fit against statsmodels (CO2)', () => {
  it('from statsmodels start: the same maximum as statsmodels fit()', () => {
    const m = fitSarima(train, { ...spec, startParams: fixture.fit.startParams });
    assert.deepEqual(m.paramNames, fixture.fit.names);
    assert.ok(maxDiff(m.params, fixture.fit.params) < PARAM_TOL, `params ${m.params} vs ${fixture.fit.params}`);
    // Nelder–Mead stops at a likelihood no lower than L-BFGS's (to 1e-9 relative).
    assert.ok(m.loglik >= fixture.fit.loglik - 1e-9 * Math.abs(fixture.fit.loglik), `${m.loglik} vs ${fixture.fit.loglik}`);
    assert.ok(rel(m.loglik, fixture.fit.loglik) < 1e-6, `rel(m.loglik, fixture.fit.loglik) < 1e-6`);
    assert.ok(Math.abs(m.aic - fixture.fit.aic) < 1e-3 && Math.abs(m.bic - fixture.fit.bic) < 1e-3, `aic ${m.aic} bic ${m.bic}`);
  });

  it('default: the higher maximum, its parameters, AIC and rolling MAE as statsmodels', () => {
    const m = fitSarima(train, spec);
    assert.equal(sarimaName(m), 'SARIMA(1,1,1)(0,1,1)12');
    assert.ok(m.loglik >= fixture.best.loglik - 1e-9 * Math.abs(fixture.best.loglik), `${m.loglik} vs ${fixture.best.loglik}`);
    assert.ok(maxDiff(m.params, fixture.best.params) < PARAM_TOL, `params ${m.params} vs ${fixture.best.params}`);
    assert.ok(Math.abs(m.aic - fixture.best.aic) < 1e-3, `Math.abs(m.aic - fixture.best.aic) < 1e-3`);
    const { origins, horizon } = fixture.fit.rolling;
    const f = sarimaRolling(m, co2, origins, horizon);
    const actual = Float64Array.from(origins.flatMap((e) => co2.slice(e + 1, e + 1 + horizon)));
    const mae = forecastMetrics(actual, f).mae;
    assert.ok(Math.abs(mae - fixture.best.rolling.mae) < MAE_TOL, `MAE ${mae} vs statsmodels ${fixture.best.rolling.mae}`);
    // Better than statsmodels' own default fit, which stops at the lower maximum.
    assert.ok(mae < fixture.fit.rolling.mae, `mae < fixture.fit.rolling.mae`);
    // The last origin's forecast equals sarimaForecast from the rows up to it.
    const last = origins.at(-1)!;
    assert.ok(maxDiff(sarimaForecast(m, co2.slice(0, last + 1), horizon), f.subarray(f.length - horizon)) < 1e-12, `maxDiff(sarimaForecast(m, co2.slice(0, last + 1), horizon), f.subarray(f.length - horizon)) < 1e-12`);
  });
});

describe('SARIMA with exogenous regressors against statsmodels (Seattle, two annual Fourier pairs)', () => {
  it('the same log-likelihood, fit and rolling MAE as SARIMAX(temp_max, exog, order=(1,1,1))', () => {
    const sea = fixture.seattle;
    const y = vegaCsv('seattle-weather.csv').column('temp_max');
    assert.equal(y.length, sea.rows);
    const X = y.map((_, t) => [1, 2].flatMap((k) => [Math.sin((2 * Math.PI * k * t) / sea.period), Math.cos((2 * Math.PI * k * t) / sea.period)]));
    const tr = { order: sea.order, exog: X.slice(0, sea.train) };
    const atTheirs = sarimaLoglik(y.slice(0, sea.train), tr, sea.params);
    assert.ok(rel(atTheirs, sea.loglik) < LOGLIK_REL, `${atTheirs} vs ${sea.loglik}`);
    const m = fitSarima(y.slice(0, sea.train), tr);
    assert.deepEqual(m.paramNames, sea.names);
    assert.ok(m.loglik >= sea.loglik - 1e-9 * Math.abs(sea.loglik), `${m.loglik} vs ${sea.loglik}`);
    assert.ok(maxDiff(m.params, sea.params) < PARAM_TOL, `params ${m.params} vs ${sea.params}`);
    const origins = Array.from({ length: sea.rolling.origins }, (_, i) => sea.train - 1 + i);
    const actual = Float64Array.from(origins.flatMap((e) => y.slice(e + 1, e + 1 + sea.rolling.horizon)));
    const mae = forecastMetrics(actual, sarimaRolling(m, y, origins, sea.rolling.horizon, X)).mae;
    assert.ok(Math.abs(mae - sea.rolling.mae) < MAE_TOL, `MAE ${mae} vs statsmodels ${sea.rolling.mae}`);
    // The forecast rows' regressors are needed.
    assert.throws(() => sarimaRolling(m, y, origins, sea.rolling.horizon, X.slice(0, y.length - 1)), /exog has 1460 rows; 1461 are needed/);
    assert.throws(() => sarimaForecast(m, y, 3, { exog: X }), /futureExog is missing|model has 4 exogenous regressors/);
  });
});

describe('SARIMA: known answers', () => {
  it('AR(1): the exact Gaussian likelihood (stationary first value)', () => {
    const e = normals(300, 7);
    const y = [e[0]! / Math.sqrt(1 - 0.36)];
    for (let t = 1; t < e.length; t++) y.push(0.6 * y[t - 1]! + e[t]!);
    const exact = (phi: number, s2: number): number => {
      let ll = -0.5 * (Math.log((2 * Math.PI * s2) / (1 - phi * phi)) + (y[0]! * y[0]! * (1 - phi * phi)) / s2);
      for (let t = 1; t < y.length; t++) ll += -0.5 * (Math.log(2 * Math.PI * s2) + (y[t]! - phi * y[t - 1]!) ** 2 / s2);
      return ll;
    };
    for (const [phi, s2] of [
      [0.6, 1],
      [-0.3, 2.5],
      [0.95, 0.4],
    ] as const) {
      assert.ok(rel(sarimaLoglik(y, { order: [1, 0, 0] }, [phi, s2]), exact(phi, s2)) < 1e-12, `rel(sarimaLoglik(y, { order: [1, 0, 0] }, [phi, s2]), exact(phi, s2)) < 1e-12`);
    }
    // The fit is the maximum of the exact likelihood: its gradient vanishes there.
    const m = fitSarima(y, { order: [1, 0, 0] });
    const [phi, s2] = m.params as [number, number];
    const h = 1e-5;
    assert.ok(Math.abs((exact(phi + h, s2) - exact(phi - h, s2)) / (2 * h)) < 1e-2, `d/dphi at ${phi}`);
    assert.ok(Math.abs((exact(phi, s2 + h) - exact(phi, s2 - h)) / (2 * h)) < 1e-2, `d/ds2 at ${s2}`);
    assert.ok(Math.abs(m.loglik - exact(phi, s2)) < 1e-9, `Math.abs(m.loglik - exact(phi, s2)) < 1e-9`);
    assert.ok(Math.abs(phi - 0.6) < 0.1, `Math.abs(phi - 0.6) < 0.1`);
  });

  it('MA(1): the exact Gaussian likelihood from the dense covariance (Cholesky)', () => {
    const e = normals(61, 11);
    const y = e.slice(1).map((v, t) => v + 0.5 * e[t]!);
    const n = y.length;
    for (const [theta, s2] of [
      [0.5, 1],
      [-0.8, 0.7],
    ] as const) {
      // Σ: σ²(1 + θ²) on the diagonal, σ²θ beside it; log N(y; 0, Σ) through Σ = L L'.
      const L = Array.from({ length: n }, () => new Float64Array(n));
      const S = (i: number, j: number): number => (i === j ? s2 * (1 + theta * theta) : Math.abs(i - j) === 1 ? s2 * theta : 0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let s = S(i, j);
          for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
          L[i]![j] = i === j ? Math.sqrt(s) : s / L[j]![j]!;
        }
      }
      const z = new Float64Array(n);
      let logdet = 0;
      for (let i = 0; i < n; i++) {
        let s = y[i]!;
        for (let k = 0; k < i; k++) s -= L[i]![k]! * z[k]!;
        z[i] = s / L[i]![i]!;
        logdet += 2 * Math.log(L[i]![i]!);
      }
      const exact = -0.5 * (n * Math.log(2 * Math.PI) + logdet + z.reduce((a, v) => a + v * v, 0));
      // 1.3e-9 at θ = −0.8: the filter's covariance is frozen once its change is under 1e-19 (statsmodels' rule).
      const ll = sarimaLoglik(y, { order: [0, 0, 1] }, [theta, s2]);
      assert.ok(rel(ll, exact) < LOGLIK_REL, `θ ${theta}: ${ll} vs exact ${exact}`);
    }
  });

  it('random walk, ARIMA(0,1,0): σ² is the mean squared step and forecasts stay at the last value', () => {
    const e = normals(200, 3);
    const y: number[] = [10];
    for (let t = 1; t < e.length; t++) y.push(y[t - 1]! + 2 * e[t]!);
    let ss = 0;
    for (let t = 1; t < y.length; t++) ss += (y[t]! - y[t - 1]!) ** 2;
    const m = fitSarima(y, { order: [0, 1, 0] });
    assert.equal(m.burn, 1);
    assert.ok(rel(m.params[0]!, ss / (y.length - 1)) < 1e-6, `${m.params[0]} vs ${ss / (y.length - 1)}`);
    const f = sarimaForecast(m, y, 5);
    assert.ok(maxDiff(f, new Array(5).fill(y.at(-1))) < 1e-9, `maxDiff(f, new Array(5).fill(y.at(-1))) < 1e-9`);
  });

  it('constrainStationary and unconstrainStationary invert each other; the result is stationary', () => {
    const u = [0.3, -1.2, 2.5];
    const c = constrainStationary(u);
    assert.ok(maxDiff(unconstrainStationary(c), u) < 1e-12, `maxDiff(unconstrainStationary(c), u) < 1e-12`);
    // statsmodels: constrain_stationary_univariate([0.5]) = −0.5/sqrt(1.25).
    assert.equal(constrainStationary([0.5])[0], -0.5 / Math.sqrt(1.25));
  });
});

describe("SARIMA order 'auto': the stepwise search", () => {
  // AR(2): x_t = 0.5 x_{t−1} + 0.3 x_{t−2} + e_t, 400 rows.
  const e = normals(400, 21);
  const y = [0, 0];
  for (let t = 2; t < 400; t++) y.push(0.5 * y[t - 1]! + 0.3 * y[t - 2]! + e[t]!);
  const moves = [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]];
  it("auto_arima's four starts, then neighbours until none improves AICc; the winner is fitSarima at its order", () => {
    const m = fitSarima(y, { order: 'auto', auto: { d: 0 } });
    const fits = m.search!.fits;
    assert.equal(m.search!.criterion, 'aicc');
    assert.deepEqual(fits.slice(0, 4).map((f) => f.order), [[2, 0, 2], [0, 0, 0], [1, 0, 0], [0, 0, 1]]);
    assert.equal(m.aicc, Math.min(...fits.map((f) => f.value)));
    const { search: _s, ...plain } = m;
    assert.deepEqual(plain, fitSarima(y, { order: m.order }));
    // A local minimum: every neighbour within the bounds (p, q ≤ 2) was fitted and is no better.
    const [p, , q] = m.order;
    for (const [dp, dq] of moves) {
      const [np, nq] = [p + dp!, q + dq!];
      if (np < 0 || nq < 0 || np > 2 || nq > 2) continue;
      const f = fits.find((x) => x.order[0] === np && x.order[2] === nq);
      assert.ok(f !== undefined && f.value >= m.aicc, `neighbour (${np},0,${nq}) ${f?.value} vs chosen ${m.aicc}`);
    }
    // The AR terms found: far ahead of white noise, and within 2 of the generating AR(2)'s AICc.
    assert.ok(m.aicc < fits[1]!.value - 100, `${m.aicc} vs white noise ${fits[1]!.value}`);
    assert.ok(m.aicc <= fitSarima(y, { order: [2, 0, 0] }).aicc + 2);
    // The budget: one fit, the first start; BIC counts parameters harder (never more than AICc's winner).
    assert.deepEqual(fitSarima(y, { order: 'auto', auto: { d: 0, maxFits: 1 } }).search!.fits.map((f) => f.order), [[2, 0, 2]]);
    const bic = fitSarima(y, { order: 'auto', auto: { d: 0, criterion: 'bic' } });
    assert.ok(bic.params.length <= m.params.length);
  });
  it('refuses options by name', () => {
    assert.throws(() => fitSarima(y, { order: 'auto', seasonalOrder: [0, 1, 1, 12] } as never), /fitSarima \(order 'auto'\): unknown option 'seasonalOrder'; supported options: order, auto, exog/);
    assert.throws(() => fitSarima(y, { order: 'auto', auto: { maxp: 3 } as never }), /fitSarima: auto: unknown option 'maxp'; supported options: season, d, D, maxP/);
    assert.throws(() => fitSarima(y, { order: 'auto', auto: { D: 1 } }), /auto.D needs auto.season/);
    assert.throws(() => fitSarima(y, { order: 'auto', auto: { season: 1 } }), /auto.season must be an integer ≥ 2, got 1/);
    assert.throws(() => fitSarima(y, { order: 'auto', auto: { criterion: 'hqic' as never } }), /auto.criterion must be 'aicc', 'aic' or 'bic'/);
    assert.throws(() => fitSarima(y, { order: 'auto', auto: { maxFits: 0 } }), /auto.maxFits must be an integer ≥ 1, got 0/);
    assert.throws(() => sarimaMinRows({ order: 'auto' } as never), /order \(p, d, q\) must be 3 non-negative integers, got "auto"/);
  });
});

describe('SARIMA on a short series', () => {
  it('fits the airline model on 40 rows, too few for the starting regressions, as statsmodels does (zero starts)', () => {
    // Deterministic: a season of 12, a slope and a saw of ±0.3. statsmodels 0.14 (SARIMAX((1,1,1),
    // (0,1,1,12)).fit(), warning "Too few observations to estimate starting parameters for
    // seasonal ARMA"): log-likelihood −2.49111, forecasts below.
    const y = Array.from({ length: 40 }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 12) + 0.05 * i + (0.3 * (((i * 7919) % 13) - 6)) / 6);
    const m = fitSarima(y, defaultSarimaSpec(12));
    // The MA coefficient runs along a ridge to the invertibility bound: as high a maximum, or a little higher.
    assert.ok(m.loglik >= -2.49111 && m.loglik < -2.48, `log-likelihood ${m.loglik}`);
    const expected = [16.281539823389245, 14.58763900405679, 12.238891985082196, 9.871462145649021, 8.10116628380118, 7.038789126981604];
    Array.from(sarimaForecast(m, y, 6)).forEach((v, h) => assert.ok(Math.abs(v - expected[h]!) < 1e-3, `step ${h + 1}: ${v} vs statsmodels ${expected[h]}`));
  });
});

describe('SARIMA: refusals', () => {
  it('refuses NaN, short series, unsupported options, bad exog and parameters, naming them', () => {
    assert.throws(() => fitSarima([1, 2, NaN, 4], { order: [0, 0, 0] }), /value 2 is NaN; SARIMA needs finite values/);
    assert.throws(() => fitSarima(train.slice(0, 29), spec), /fitSarima: 29 values are too few for order \(1, 1, 1\)\(0, 1, 1, 12\); at least 30 are needed/);
    assert.throws(() => fitSarima(train, { ...spec, trend: 'c' as 'n' }), /trend "c" is not supported/);
    assert.throws(() => fitSarima(train, { ...spec, enforceStationarity: false as true }), /enforceStationarity false is not supported/);
    assert.throws(() => fitSarima(train, { ...spec, seasonal: 12 } as never), /unknown option 'seasonal'; supported options: order, seasonalOrder/);
    assert.throws(() => fitSarima(train, { order: [1, 1] as never }), /order \(p, d, q\) must be 3 non-negative integers/);
    assert.throws(() => fitSarima(train, { seasonalOrder: [0, 1, 1, 1] }), /needs a season length s ≥ 2/);
    assert.throws(() => fitSarima(train, { seasonalOrder: [0, 1, 1, 365] }), /\(0, 1, 1, 365\) needs 731 states; at most 160/);
    assert.throws(() => fitSarima(train, { order: [1, 0, 0], exog: fourier12(10) }), /exog has 10 rows; 593 are needed/);
    assert.throws(() => fitSarima(train, { ...spec, startParams: [1.5, 0, 0, 1] }), /startParams' AR coefficients \[1.5\] are not stationary/);
    assert.throws(() => sarimaLoglik(train, spec, [0.1, 0.1, 0.1]), /expected 4 parameters \(ar.L1, ma.L1, ma.S.L12, sigma2\)/);
    assert.throws(() => sarimaLoglik(train, spec, [0.1, 0.1, 0.1, -1]), /sigma2 must be positive/);
    const m = fitSarimaShell();
    assert.throws(() => sarimaRolling(m, co2, [co2.length], 12), /origin \d+ is outside rows/);
    assert.throws(() => sarimaForecast(m, co2, 0), /steps must be a positive integer/);
    assert.throws(() => checkSarimaModel({ ...m, params: [0.1, NaN, 0.1, 1] }, 'file.json'), /file.json: SARIMA field 'params' must be 4 finite numbers/);
  });
});

describe('Forecaster.evaluate: the SARIMA baseline', () => {
  const noise = normals(200, 5);
  const wave = Array.from({ length: 200 }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 12) + 0.05 * i + 0.3 * noise[i]!);
  it('fitted on the rows before the test part, rolled over the same origins; default with a season only; off or absent when asked or too short', async () => {
    // No season of its own: evaluate's default season is the forecaster's.
    const f = new Forecaster({ lookback: 24, horizon: 3, units: 4, windowRelative: true, season: 'none', seed: 2 });
    await f.fit(wave, { epochs: 1, seed: 3 });
    const ev = f.evaluate(wave, { season: 12, holtWinters: false, ets: false });
    const start = 200 - 40;
    const model = fitSarima(wave.slice(0, start), defaultSarimaSpec(12));
    assert.equal(sarimaName(model), 'SARIMA(1,1,1)(0,1,1)12');
    assert.deepEqual(ev.sarimaModel, model);
    const rolled = sarimaRolling(model, wave, ev.origins, 3);
    assert.deepEqual(ev.sarimaPredictions, rolled);
    assert.deepEqual(ev.sarima, forecastMetrics(ev.actual, rolled));
    // The airline model on a noisy trend + season: near the noise level (σ = 0.3), well under the last value's error.
    assert.ok(ev.sarima!.mae < 0.5 && ev.sarima!.mae < ev.lastValue.mae, `SARIMA MAE ${ev.sarima!.mae}, last value ${ev.lastValue.mae}`);
    // No season: off unless asked or the combination is an ARIMA (then its row is shown beside the model); asked, ARIMA(1,1,1).
    const comb = f.combination;
    f.combination = null;
    assert.equal(f.evaluate(wave, { holtWinters: false, ets: false }).sarima, undefined);
    f.combination = { ...comb!, kind: 'sarima', sarima: fitSarima(wave.slice(0, 100), defaultSarimaSpec()) };
    assert.equal(sarimaName(f.evaluate(wave, { holtWinters: false, ets: false }).sarimaModel!), 'ARIMA(1,1,1)', 'an ARIMA combination: its row by default');
    f.combination = comb;
    const arima = f.evaluate(wave, { sarima: true, holtWinters: false, ets: false });
    assert.equal(sarimaName(arima.sarimaModel!), 'ARIMA(1,1,1)');
    assert.equal(f.evaluate(wave, { season: 12, sarima: false, holtWinters: false, ets: false }).sarima, undefined);
    assert.throws(() => f.evaluate(wave, { sarima: 1 } as never), /Forecaster.evaluate: sarima must be a boolean, got 1/);
    // test 0.86: 28 rows before the test part, under the airline model's minimum (13 differenced away, a season, 4 parameters + 1).
    assert.equal(sarimaMinRows(defaultSarimaSpec(12)), 30);
    assert.equal(f.evaluate(wave, { season: 12, test: 0.86, holtWinters: false, ets: false }).sarima, undefined);
  });
});

describe('Forecaster.evaluate: ARIMA with Fourier pairs of the year for daily and weekly rows', () => {
  const DAY = 86_400_000;
  const n = 1096;
  const noise = normals(n, 11);
  // Three years of daily rows: an annual sine (no season of at most 24 rows) plus white noise.
  const times = Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * DAY);
  const y = Array.from({ length: n }, (_, i) => 15 + 8 * Math.sin((2 * Math.PI * i) / 365.25 + 1) + 2 * noise[i]!);
  it('fits ARIMA(1,1,1) + 2 annual pairs on the rows before the test part, beats plain ARIMA(1,1,1); off with sarima: false, absent for hourly rows', async () => {
    const f = new Forecaster({ lookback: 7, horizon: 7, units: 2, seed: 1 });
    await f.fit(y, { epochs: 1, seed: 1, times });
    const ev = f.evaluate(y, { times, holtWinters: false, ets: false });
    assert.equal(sarimaName(ev.sarimaModel!), 'ARIMA(1,1,1)+Fourier(365.25×2)');
    const start = n - Math.round(n * 0.2);
    const X = y.map((_, t) => [1, 2].flatMap((k) => [Math.sin((2 * Math.PI * k * t) / 365.25), Math.cos((2 * Math.PI * k * t) / 365.25)]));
    const model = fitSarima(y.slice(0, start), { order: [1, 1, 1], exog: X.slice(0, start) });
    assert.deepEqual(ev.sarimaModel!.params, model.params);
    const rolled = sarimaRolling(model, y, ev.origins, 7, X);
    assert.ok(maxDiff(ev.sarimaPredictions!, rolled) < 1e-12, 'the same forecasts as fitSarima + sarimaRolling with the exog by hand');
    const plain = forecastMetrics(ev.actual, sarimaRolling(fitSarima(y.slice(0, start), defaultSarimaSpec()), y, ev.origins, 7)).mae;
    // White noise σ = 2 has a mean absolute value of 2·√(2/π) ≈ 1.60: the Fourier model is near it (1.65), plain ARIMA(1,1,1) is not (1.87).
    assert.ok(ev.sarima!.mae < 0.92 * plain && ev.sarima!.mae < 1.1 * 2 * Math.sqrt(2 / Math.PI), `Fourier ARIMA MAE ${ev.sarima!.mae}, plain ARIMA(1,1,1) ${plain}`);
    assert.equal(f.evaluate(y, { times, sarima: false, holtWinters: false, ets: false }).sarima, undefined);
    // Under a year of rows before the test part (test 0.7: 329 rows): no Fourier model, and no
    // season, so none — unless the forecaster is combined with an ARIMA: then plain ARIMA(1,1,1).
    const comb = f.combination;
    f.combination = null;
    assert.equal(f.evaluate(y, { times, test: 0.7, holtWinters: false, ets: false }).sarima, undefined);
    f.combination = comb;
    if (comb?.kind === 'sarima') assert.equal(sarimaName(f.evaluate(y, { times, test: 0.7, holtWinters: false, ets: false }).sarimaModel!), 'ARIMA(1,1,1)');
    // Hourly rows: no yearly period in the calendar (the day, 24 rows, is the seasonal model's).
    const hourly = Array.from({ length: 200 }, (_, i) => Date.UTC(2020, 0, 1) + i * 3_600_000);
    const g = new Forecaster({ lookback: 7, horizon: 2, units: 2, seed: 1 });
    await g.fit(y.slice(0, 200), { epochs: 1, seed: 1, times: hourly });
    assert.equal(g.evaluate(y.slice(0, 200), { times: hourly, holtWinters: false, ets: false }).sarima, undefined);
  });
  it("Seattle through evaluate (dates from the file, the fixture's split): statsmodels' rolling MAE", async () => {
    const sea = fixture.seattle;
    const seattle = vegaCsv('seattle-weather.csv');
    const temp = seattle.column('temp_max');
    const dates = seattle.dates('date');
    const f = new Forecaster({ lookback: sea.rolling.lookback, horizon: sea.rolling.horizon, units: 2, seed: 1 });
    await f.fit(temp, { epochs: 1, seed: 1, times: dates });
    const ev = f.evaluate(temp, { times: dates, holtWinters: false, ets: false });
    assert.equal(ev.windows, sea.rolling.origins);
    assert.equal(ev.sarimaModel!.n, sea.train);
    assert.equal(sarimaName(ev.sarimaModel!), 'ARIMA(1,1,1)+Fourier(365.25×2)');
    assert.ok(Math.abs(ev.sarima!.mae - sea.rolling.mae) < 1e-3, `MAE ${ev.sarima!.mae} vs statsmodels ${sea.rolling.mae}`);
  });
  it('weekly rows: a period of 52.18; monthly and hourly spacings: none (the seasonal model covers a year of 12 rows)', () => {
    const weekly = yearlyFourierExog([0, 7 * DAY, 14 * DAY], 7 * DAY, 2)!;
    assert.equal(sarimaName({ order: [1, 1, 1], seasonalOrder: [0, 0, 0, 0], exog: 4, fourier: weekly }), 'ARIMA(1,1,1)+Fourier(52.18×2)');
    assert.ok(maxDiff(Float64Array.from(weekly.exog[1]!), Float64Array.from([Math.sin((2 * Math.PI * 7) / 365.25), Math.cos((2 * Math.PI * 7) / 365.25), Math.sin((4 * Math.PI * 7) / 365.25), Math.cos((4 * Math.PI * 7) / 365.25)])) < 1e-12, 'row 1');
    assert.equal(yearlyFourierExog([0, 30 * DAY], 30 * DAY, 2), null);
    assert.equal(yearlyFourierExog([0, 1], null, 2), null);
    assert.throws(() => yearlyFourierExog([0, NaN], DAY, 2), /yearlyFourierExog: times\[1\] must be a finite time in ms, got NaN/);
    assert.throws(() => yearlyFourierExog([0, DAY], DAY, 0), /yearlyFourierExog: pairs must be a positive integer, got 0/);
  });
});

describe('Forecaster.evaluate: ARIMA with Fourier pairs of a long season from the row index (no dates)', () => {
  // 300 rows with a season of 40 rows (over the seasonal model's 24) plus noise; no time column.
  const n = 300;
  const noise = normals(n, 17);
  const y = Array.from({ length: n }, (_, i) => 20 + 6 * Math.sin((2 * Math.PI * i) / 40) + 0.02 * i + noise[i]!);
  it('fits ARIMA(1,1,1) + 2 pairs of period 40 on the rows before the test part, beats plain ARIMA(1,1,1); off with sarima: false or under a season of rows', async () => {
    const f = new Forecaster({ combine: false, lookback: 10, horizon: 5, units: 2, seed: 1 });
    await f.fit(y, { epochs: 1, seed: 1 });
    const ev = f.evaluate(y, { season: 40, holtWinters: false, ets: false });
    assert.equal(sarimaName(ev.sarimaModel!), 'ARIMA(1,1,1)+Fourier(40×2)');
    const start = n - Math.round(n * 0.2);
    const X = y.map((_, r) => [1, 2].flatMap((k) => [Math.sin((2 * Math.PI * k * r) / 40), Math.cos((2 * Math.PI * k * r) / 40)]));
    const model = fitSarima(y.slice(0, start), { order: [1, 1, 1], exog: X.slice(0, start) });
    assert.deepEqual(ev.sarimaModel!.params, model.params);
    assert.ok(maxDiff(ev.sarimaPredictions!, sarimaRolling(model, y, ev.origins, 5, X)) < 1e-12);
    const plain = forecastMetrics(ev.actual, sarimaRolling(fitSarima(y.slice(0, start), defaultSarimaSpec()), y, ev.origins, 5)).mae;
    assert.ok(ev.sarima!.mae < 0.9 * plain, `Fourier ARIMA MAE ${ev.sarima!.mae}, plain ARIMA(1,1,1) ${plain}`);
    assert.equal(f.evaluate(y, { season: 40, sarima: false, holtWinters: false, ets: false }).sarima, undefined);
    // test 0.87: 39 rows before the test part, under one season of 40 (lookback 40: the seasonal-naive row needs a season of history).
    const g = new Forecaster({ combine: false, lookback: 40, horizon: 5, units: 2, seed: 1 });
    await g.fit(y, { epochs: 1, seed: 1 });
    assert.equal(g.evaluate(y, { season: 40, test: 0.87, holtWinters: false, ets: false }).sarima, undefined);
    assert.equal(sarimaName(g.evaluate(y, { season: 40, test: 0.86, holtWinters: false, ets: false }).sarimaModel!), 'ARIMA(1,1,1)+Fourier(40×2)');
    assert.throws(() => rowFourierExog(10, 1, 2), /rowFourierExog: period must be a finite number ≥ 2, got 1/);
    assert.throws(() => rowFourierExog(10, 40, 0), /pairs must be a positive integer, got 0/);
  });
});

describe("Forecaster's SARIMA on a long series: the parameters from the last rows (sarimaFitStart)", () => {
  it('every row while rows × states² is within SARIMA_FIT_BUDGET (CO2), else the last budget / states² rows; the rolled forecasts filter every row', async () => {
    // CO2's airline model: 27 states, so up to 1e6 / 27² = 1,371 rows are fitted whole, as statsmodels does.
    assert.equal(sarimaFitStart(593, defaultSarimaSpec(12)), 0);
    assert.equal(sarimaFitStart(1371, defaultSarimaSpec(12)), 0);
    assert.equal(sarimaFitStart(1400, defaultSarimaSpec(12)), 1400 - 1371);
    // A daily season on hourly rows: 51 states, the last ⌊1e6 / 51²⌋ = 384 rows (over 10 seasons).
    assert.equal(sarimaFitStart(384, defaultSarimaSpec(24)), 0);
    assert.equal(sarimaFitStart(6400, defaultSarimaSpec(24)), 6400 - 384);
    // At least 10 seasons: a season of 60 rows keeps 600 although its 123 states allow 66.
    assert.equal(sarimaFitStart(5000, { order: [1, 1, 1], seasonalOrder: [0, 1, 1, 60] }), 4400);
    assert.equal(SARIMA_FIT_BUDGET, 1e6);
    assert.throws(() => sarimaFitStart(10, { order: [1, 1] } as never), /sarimaFitStart: order \(p, d, q\) must be 3 non-negative integers/);
    assert.throws(() => sarimaFitStart(NaN, defaultSarimaSpec(12)), /sarimaFitStart: rows must be a count of rows, got NaN/);

    // Forecaster.evaluate: 600 rows with a season of 24, 480 before the test part: fitted on the last 384 of them.
    const n = 600;
    const noise = normals(n, 23);
    const y = Array.from({ length: n }, (_, i) => 10 + 4 * Math.sin((2 * Math.PI * i) / 24) + 0.01 * i + 0.3 * noise[i]!);
    const f = new Forecaster({ combine: false, lookback: 24, horizon: 3, units: 2, seed: 1 });
    await f.fit(y, { epochs: 1, seed: 1 });
    const ev = f.evaluate(y, { season: 24, holtWinters: false, ets: false });
    const start = n - Math.round(n * 0.2);
    assert.equal(sarimaName(ev.sarimaModel!), 'SARIMA(1,1,1)(0,1,1)24');
    assert.equal(ev.sarimaModel!.n, 384, 'the rows the parameters were estimated on');
    assert.equal(sarimaFitStart(start, defaultSarimaSpec(24)), start - 384);
    assert.deepEqual(ev.sarimaPredictions, sarimaRolling(ev.sarimaModel!, y, ev.origins, 3));
    assert.ok(ev.sarima!.mae < 0.5 && ev.sarima!.mae < ev.lastValue.mae, `SARIMA MAE ${ev.sarima!.mae}, last value ${ev.lastValue.mae}`);
  });
});
