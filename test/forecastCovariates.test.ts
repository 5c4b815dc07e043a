/**
 * The Forecaster's calendar covariates, trend-adaptive references and ensembles: covariates
 * against hand-computed phases, the references against Holt-Winters and least-squares lines
 * computed here, a synthetic trend change where the adaptive model must beat a fixed-drift one,
 * the ensemble's median, and save/load keeping all of it.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forecaster, ModelFormatError, Tensor, calendarFeatures, detectCalendar, extendTimes, timeGaps, timeStep, weekdaysOnly, holtWintersRolling, holtWintersStates, ONE_STEP_BAND, selectHoltWinters, setSeed } from '../src/index.js';
import { checkCalendarSpec } from '../src/timeseries/calendar.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const close = (a: number, b: number, what: string, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: got ${a}, expected ${b}`);
const DAY = 86_400_000;
const monthly = (n: number, from = Date.UTC(2000, 0, 1)): number[] => range(n).map((i) => {
  const d = new Date(from);
  d.setUTCMonth(d.getUTCMonth() + i);
  return d.getTime();
});

describe('calendar covariates', () => {
  it('detects the periods from the row spacing', () => {
    assert.deepEqual(detectCalendar(monthly(30)), { step: { months: 1 }, terms: [{ period: 'year', harmonics: 1 }] });
    const daily = range(30).map((i) => Date.UTC(2020, 0, 1) + i * DAY);
    assert.deepEqual(detectCalendar(daily), { step: { ms: DAY }, terms: [{ period: 'year', harmonics: 1 }, { period: 'week', harmonics: 1 }] });
    const hourly = range(30).map((i) => Date.UTC(2020, 0, 1) + i * 3_600_000);
    assert.deepEqual(detectCalendar(hourly, { day: 2 }).terms, [{ period: 'day', harmonics: 2 }, { period: 'week', harmonics: 1 }]);
    // yearly rows: a year is one row, nothing to model
    assert.deepEqual(detectCalendar(range(5).map((i) => Date.UTC(2000 + i, 0, 1))).terms, []);
    // a missing month does not change the step (the median)
    const gap = monthly(30).filter((_, i) => i !== 7);
    assert.deepEqual(detectCalendar(gap).step, { months: 1 });
  });

  it('phases: month of year, day of week, hour of day, as sin/cos pairs', () => {
    // April 1st: 3/12 of the year → sin = 1, cos = 0; harmonic 2: sin(π) = 0, cos = −1
    const y = calendarFeatures({ step: { months: 1 }, terms: [{ period: 'year', harmonics: 2 }] }, [Date.UTC(2021, 3, 1)]);
    [1, 0, 0, -1].forEach((v, i) => close(y[i]!, v, `year term ${i}`));
    // 2024-01-01 was a Monday (phase 0); 12:00 is half a day; day of year: 182.5/366 of 2024
    const t = Date.UTC(2024, 0, 1, 12);
    const f = calendarFeatures({ step: { ms: 3_600_000 }, terms: [{ period: 'week', harmonics: 1 }, { period: 'day', harmonics: 1 }, { period: 'year', harmonics: 1 }] }, [t, t + 2 * DAY]);
    close(f[0]!, Math.sin((2 * Math.PI * 0.5) / 7), 'week sin, Monday noon');
    close(f[1]!, Math.cos((2 * Math.PI * 0.5) / 7), 'week cos');
    close(f[2]!, 0, 'day sin at noon');
    close(f[3]!, -1, 'day cos at noon');
    close(f[4]!, Math.sin((2 * Math.PI * 0.5) / 366), 'year sin, leap year');
    close(f[6]!, Math.sin((2 * Math.PI * 2.5) / 7), 'Wednesday noon');
  });

  it('times past the end: by whole months across a year end, or by the step', () => {
    assert.deepEqual(extendTimes({ months: 1 }, Date.UTC(2020, 10, 1), 3), [Date.UTC(2020, 11, 1), Date.UTC(2021, 0, 1), Date.UTC(2021, 1, 1)]);
    assert.deepEqual(extendTimes({ ms: DAY }, 0, 2), [DAY, 2 * DAY]);
  });

  it('month ends (pandas month-end dates, fiscal years ending 30 September) and one day of the month: a step of whole months, month ends kept', () => {
    const ends = Array.from({ length: 30 }, (_, i) => Date.UTC(2017, i + 1, 0));
    assert.deepEqual(timeStep(ends), { months: 1, end: true });
    const may31 = Date.UTC(2019, 4, 31);
    assert.deepEqual(extendTimes({ months: 1, end: true }, may31, 3), [Date.UTC(2019, 5, 30), Date.UTC(2019, 6, 31), Date.UTC(2019, 7, 31)]);
    // Before: the median step of 31 days, so 2019-07-01 followed 2019-05-31.
    const fiscal = Array.from({ length: 12 }, (_, i) => Date.UTC(2008 + i, 8, 30));
    assert.deepEqual(timeStep(fiscal), { months: 12, end: true });
    assert.deepEqual(extendTimes(timeStep(fiscal), fiscal.at(-1)!, 2), [Date.UTC(2020, 8, 30), Date.UTC(2021, 8, 30)]);
    const fifteenth = Array.from({ length: 20 }, (_, i) => Date.UTC(2020, 3 * i, 15));
    assert.deepEqual(timeStep(fifteenth), { months: 3 });
    assert.deepEqual(extendTimes(timeStep(fifteenth), fifteenth.at(-1)!, 1), [Date.UTC(2020, 60, 15)]);
    // A missing month-end is one gap of 2 months; month ends are otherwise evenly spaced (28–31 days).
    assert.equal(timeGaps(ends), null);
    assert.deepEqual(timeGaps(ends.filter((_, i) => i !== 10)), { count: 1, first: 10, steps: 2 });
    assert.deepEqual(checkCalendarSpec({ step: { months: 1, end: true }, terms: [] }, 'w').step, { months: 1, end: true });
    assert.throws(() => checkCalendarSpec({ step: { months: 1, end: false }, terms: [] }, 'w'), /calendar\.step must be \{months: a positive integer \[, end: true\]\}/);
    // Daily rows are no months, though each lies on one day of its month.
    assert.deepEqual(timeStep(Array.from({ length: 10 }, (_, i) => Date.UTC(2020, 0, 1) + i * DAY)), { ms: DAY });
  });

  it('working days (Monday to Friday: stock prices, exchange rates): detected, weekends are no gaps, times past a Friday fall on the Monday', () => {
    // 2024-01-01 was a Monday. Eight weeks of working days, one holiday (Wednesday 2024-01-17) left out.
    const days = Array.from({ length: 56 }, (_, i) => Date.UTC(2024, 0, 1) + i * DAY).filter((t) => ![0, 6].includes(new Date(t).getUTCDay()) && t !== Date.UTC(2024, 0, 17));
    assert.ok(weekdaysOnly(days));
    assert.deepEqual(timeStep(days), { ms: DAY, weekdays: true });
    assert.equal(detectCalendar(days).terms.map((t) => t.period).join(), 'year,week');
    // The holiday is one gap; the seven weekends are none (they were 7 gaps, and the forecast's days Saturdays).
    assert.deepEqual(timeGaps(days), { count: 1, first: days.indexOf(Date.UTC(2024, 0, 18)), steps: 2 });
    const friday = Date.UTC(2024, 1, 23);
    assert.deepEqual(extendTimes({ ms: DAY, weekdays: true }, friday, 3), [Date.UTC(2024, 1, 26), Date.UTC(2024, 1, 27), Date.UTC(2024, 1, 28)]);
    // A rare weekend session (1% of the rows at most) keeps it working days; every day, or too few weeks, does not.
    const year = Array.from({ length: 364 }, (_, i) => Date.UTC(2024, 0, 1) + i * DAY).filter((t) => ![0, 6].includes(new Date(t).getUTCDay()));
    assert.ok(weekdaysOnly([...year.slice(0, 5), Date.UTC(2024, 0, 7), ...year.slice(5)]));
    assert.ok(!weekdaysOnly([...days.slice(0, 5), Date.UTC(2024, 0, 7), ...days.slice(5)]), 'one weekend row of 40');
    assert.ok(!weekdaysOnly(Array.from({ length: 56 }, (_, i) => Date.UTC(2024, 0, 1) + i * DAY)));
    assert.ok(!weekdaysOnly(days.slice(0, 6)));
    assert.deepEqual(checkCalendarSpec({ step: { ms: DAY, weekdays: true }, terms: [{ period: 'week', harmonics: 1 }] }, 'w').step, { ms: DAY, weekdays: true });
    assert.throws(() => checkCalendarSpec({ step: { ms: 2 * DAY, weekdays: true }, terms: [] }, 'w'), /calendar.step must be .*\{ms: 86400000, weekdays: true\}/);
  });

  it('specs are checked: unknown keys, periods, harmonics, steps', () => {
    const ok = { step: { months: 1 }, terms: [{ period: 'year', harmonics: 1 }] };
    assert.deepEqual(checkCalendarSpec(ok, 'w'), ok);
    assert.throws(() => checkCalendarSpec({ ...ok, extra: 1 }, 'w'), /extra/);
    assert.throws(() => checkCalendarSpec({ ...ok, terms: [{ period: 'month', harmonics: 1 }] }, 'w'), /period must be one of year, week, day, got "month"/);
    assert.throws(() => checkCalendarSpec({ ...ok, terms: [{ period: 'year', harmonics: 0 }] }, 'w'), /harmonics must be an integer in 1…12/);
    assert.throws(() => checkCalendarSpec({ ...ok, terms: [{ period: 'year', harmonics: 1, phase: 2 }] }, 'w'), /phase/);
    assert.throws(() => checkCalendarSpec({ ...ok, step: { days: 1 } }, 'w'), /calendar.step must be/);
    assert.throws(() => new Forecaster({ lookback: 3, calendar: 'yes' as never }), /calendar must be 'auto', false or \{step, terms\}/);
  });
});

describe('Forecaster with calendar covariates', () => {
  // Monthly values whose season is easiest told from the calendar.
  const n = 120;
  const times = monthly(n);
  const y = range(n).map((i) => 10 + 3 * Math.sin((2 * Math.PI * i) / 12) + 0.02 * i);

  it("'auto' takes the calendar from fit's times; the network sees them as extra inputs", async () => {
    const f = new Forecaster({ combine: false, lookback: 6, horizon: 2, units: 3, seed: 1 });
    assert.throws(() => f.model, /the network is built by fit/);
    await f.fit(y, { epochs: 1, seed: 1, times });
    assert.deepEqual(f.calendar, { step: { months: 1 }, terms: [{ period: 'year', harmonics: 1 }] });
    assert.deepEqual(f.model.inputs[0]!.shape, [null, 6, 3]);
    assert.throws(() => f.evaluate(y), /takes calendar covariates \(year ×1\); pass times, one per row/);
    assert.throws(() => f.forecast(y, 2, { times: times.slice(1) }), /119 times for 120 rows/);
    assert.throws(() => f.forecast(y, 2, { times: [...times].reverse() }), /not after time 0; the rows must run oldest first/);
    assert.throws(() => f.forecast(y, 2, { times, when: 1 } as never), /when/);
    assert.equal(f.forecast(y, 5, { times }).length, 5);
    // 'auto' without times: no calendar; times later are refused (they would go unused)
    const g = new Forecaster({ combine: false, lookback: 6, units: 2, seed: 1 });
    await g.fit(y, { epochs: 1, seed: 1 });
    assert.equal(g.calendar, null);
    assert.throws(() => g.forecast(y, 1, { times }), /times given, but the forecaster has no calendar covariates/);
    // Yearly rows: 'auto' finds no period; fit accepts the times, the network has no covariates.
    const yearly = new Forecaster({ combine: false, lookback: 6, units: 2, seed: 1, ensemble: 1 });
    await yearly.fit(y, { epochs: 1, seed: 1, times: range(n).map((i) => Date.UTC(1800 + i, 0, 1)) });
    assert.equal(yearly.calendar, null);
    assert.deepEqual(yearly.model.inputs[0]!.shape, [null, 6, 1]);
    const h = new Forecaster({ combine: false, lookback: 6, units: 2, seed: 1, calendar: false });
    await assert.rejects(h.fit(y, { epochs: 1, times }), /times given, but the forecaster has no calendar covariates \(calendar false\)/);
    const spec = new Forecaster({ combine: false, lookback: 6, units: 2, calendar: { step: { months: 1 }, terms: [{ period: 'year', harmonics: 2 }] } });
    assert.deepEqual(spec.model.inputs[0]!.shape, [null, 6, 5]);
    await assert.rejects(spec.fit(y, { epochs: 1 }), /pass times, one per row/);
  });

  it('the inputs are the covariates of the window rows, unscaled', async () => {
    const f = new Forecaster({ combine: false, lookback: 4, horizon: 1, units: 2, seed: 2, calendar: { step: { months: 1 }, terms: [{ period: 'year', harmonics: 1 }] } });
    await f.fit(y, { epochs: 1, seed: 1, times });
    // Replace the network by one that reports its input: a probe through predict on the series.
    const seen: number[][] = [];
    const orig = f.model.predict.bind(f.model);
    (f.model as unknown as { predict: (x: Tensor) => Tensor }).predict = (x: Tensor): Tensor => {
      seen.push(Array.from(x.data));
      return orig(x) as Tensor;
    };
    f.forecast(y, 1, { times });
    const cal = calendarFeatures(f.calendar!, times.slice(n - 4));
    for (let t = 0; t < 4; t++) {
      close(seen[0]![t * 3 + 1]!, cal[t * 2]!, `sin of row ${n - 4 + t}`, 1e-6);
      close(seen[0]![t * 3 + 2]!, cal[t * 2 + 1]!, `cos of row ${n - 4 + t}`, 1e-6);
    }
  });
});

/** Zero the last Dense's kernel and bias: every member outputs 0, so a forecast is the scaler's offset + the reference. */
function zeroHead(f: Forecaster): void {
  const layers = f.model.layers;
  for (const l of layers.filter((x) => x.className === 'Dense')) l.setWeights(l.getWeights().map((w) => new Tensor(new Float32Array(w.size), w.shape)));
}

describe('trend-adaptive references', () => {
  const n = 160;
  const y = range(n).map((i) => 50 + 4 * Math.sin((2 * Math.PI * i) / 12) + 0.1 * i + 0.3 * Math.cos(i * 1.7));

  it("'holtWinters': level, slope and season of exponential smoothing at every origin (network output 0 → Holt-Winters' forecast exactly)", async () => {
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 6, units: 2, seed: 1, reference: 'holtWinters', season: 12 });
    await f.fit(y, { epochs: 1, seed: 1 });
    const hw = f.holtWintersModel!;
    assert.equal(hw.period, 12);
    assert.equal(hw.n, Math.round(n * 0.7), 'fitted on the training part only');
    zeroHead(f);
    const ev = f.evaluate(y, { holtWinters: false, ets: false, sarima: false });
    const ref = holtWintersRolling(hw, y, ev.origins, 6);
    const off = f.yScaler!.offset[0]!;
    ev.predictions.forEach((p, i) => close(p - off, ref[i]!, `prediction ${i}`, 1e-6));
  });

  it("'holtWinters' through a level shift its smoothing does not follow: beyond ONE_STEP_BAND one-step errors, the origin's own value is the level", async () => {
    // Calm noise around 10 (the fitted alpha stays small), then 30 from row 150, in the test part.
    let r = 5;
    const noise = (): number => ((r = (Math.imul(r, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.6;
    const z = range(200).map((i) => (i < 150 ? 10 : 30) + noise());
    const f = new Forecaster({ combine: false, lookback: 8, horizon: 3, units: 2, seed: 1, reference: 'holtWinters', season: 'none' });
    await f.fit(z, { epochs: 1, seed: 1 });
    const hw = f.holtWintersModel!;
    assert.ok(hw.alpha < 0.2 && hw.seasonal === null, `a slow level, no season: alpha ${hw.alpha}`);
    zeroHead(f);
    const ev = f.evaluate(z, { holtWinters: false, ets: false, sarima: false });
    const ref = holtWintersRolling(hw, z, ev.origins, 3);
    const level = holtWintersStates(hw, z).level;
    const band = ONE_STEP_BAND * (1 - hw.alpha) * Math.sqrt(hw.sse / hw.n);
    const off = f.yScaler!.offset[0]!;
    let moved = 0;
    ev.origins.forEach((e, n) => {
      // No season: the level's offset moves every step of the reference by the same amount.
      const d = z[e]! - level[e + 1]!;
      const shifted = Math.abs(d) > band;
      if (shifted) moved++;
      assert.equal(shifted, e >= 150, `origin ${e}: ${shifted ? 'moved' : 'kept'} (offset ${d}, band ${band})`);
      for (let h = 0; h < 3; h++) close(ev.predictions[n * 3 + h]! - off, ref[n * 3 + h]! + (shifted ? d : 0), `origin ${e} step ${h + 1}`, 1e-6);
      if (e >= 150) assert.ok(Math.abs(ev.predictions[n * 3]! - off - 30) < 1, `origin ${e}: from the new level (${ev.predictions[n * 3]! - off}), not the old one`);
    });
    assert.ok(moved > 30, `${moved} origins after the shift`);
  });

  it("'holtWinters' on a training part shorter than two seasons: chosen among the variants without a season", async () => {
    // 34 rows, season 12, test 7 rows: validation 3 rows leave 24 for training (two seasons), 5 leave 22.
    const z = y.slice(0, 34);
    for (const [validation, seasonal] of [[0.1, true], [0.15, false]] as const) {
      const f = new Forecaster({ combine: false, lookback: 6, horizon: 2, units: 2, seed: 1, season: 12 });
      await f.fit(z, { epochs: 1, seed: 1, validation });
      const hw = f.holtWintersModel!;
      const train = z.slice(0, hw.n);
      assert.equal(hw.n, seasonal ? 24 : 22, `validation ${validation}: training rows`);
      assert.deepEqual(hw, selectHoltWinters(train, seasonal ? { period: 12 } : {}), `validation ${validation}: the reference is selectHoltWinters on the training part${seasonal ? ' with the season' : ' without one'}`);
      if (!seasonal) assert.equal(hw.seasonal, null, 'no season on 22 rows');
      f.dispose();
    }
  });

  it("'line': the least-squares line through each window, extrapolated", async () => {
    const f = new Forecaster({ combine: false, lookback: 5, horizon: 3, units: 2, seed: 1, reference: 'line' });
    await f.fit(y, { epochs: 1, seed: 1 });
    zeroHead(f);
    const e = 100;
    const p = f.predictFrom(y, [e], 3);
    // Line through (k, y[e+k]), k = −4…0, by the normal equations.
    const ks = [-4, -3, -2, -1, 0];
    const km = -2;
    const ym = ks.reduce((a, k) => a + y[e + k]!, 0) / 5;
    const b = ks.reduce((a, k) => a + (k - km) * (y[e + k]! - ym), 0) / ks.reduce((a, k) => a + (k - km) ** 2, 0);
    const off = f.yScaler!.offset[0]!;
    for (let h = 1; h <= 3; h++) close(p[h - 1]! - off, ym + b * (h - km), `step ${h}`, 1e-6);
  });

  it('a trend change in the test part: the adaptive references beat the fixed-drift one', async () => {
    // Slope 0.05 per step for 240 steps, then 0.4 per step: the training part only knows the
    // first. A random walk and noise (seeded) make it a series exponential smoothing adapts to;
    // on a noise-free one its fitted α is ~1e-8 and the 'holtWinters' reference is a fixed drift
    // too ('seasonalLine' is not: its level and slope come from each window).
    let state = 12345;
    const u = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return (state + 0.5) / 2147483648;
    };
    const gauss = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    let walk = 0;
    const z = range(300).map((i) => {
      walk += 0.3 * gauss();
      return 20 + 3 * Math.sin((2 * Math.PI * i) / 12) + 0.05 * i + (i > 240 ? 0.35 * (i - 240) : 0) + walk + 0.3 * gauss();
    });
    const run = async (reference: 'last' | 'holtWinters' | 'seasonalLine'): Promise<number> => {
      setSeed(7);
      const f = new Forecaster({ combine: false, lookback: 24, horizon: 6, units: 8, seed: 3, reference, season: 12 });
      await f.fit(z, { epochs: 30, seed: 4 });
      return f.evaluate(z, { holtWinters: false, ets: false, sarima: false }).model.mae;
    };
    const fixed = await run('last');
    // Measured: last 2.21, holtWinters 1.24, seasonalLine 0.73.
    for (const reference of ['holtWinters', 'seasonalLine'] as const) {
      const adaptive = await run(reference);
      assert.ok(adaptive < 0.7 * fixed, `${reference}: MAE ${adaptive.toFixed(3)} vs fixed drift ${fixed.toFixed(3)}`);
    }
  });

  it('refuses a reference without windowRelative, and unknown references', () => {
    assert.throws(() => new Forecaster({ lookback: 3, windowRelative: false, reference: 'line' }), /reference "line" needs windowRelative: true/);
    assert.throws(() => new Forecaster({ lookback: 3, reference: 'ets' as never }), /reference must be one of 'last', 'line', 'holtWinters', 'seasonalLine', got "ets"/);
    assert.throws(() => new Forecaster({ lookback: 3, season: 0 }), /season must be a positive integer/);
  });
});

describe('ensembles and saving', () => {
  const n = 140;
  const times = monthly(n);
  const y = range(n).map((i) => 30 + 2 * Math.sin((2 * Math.PI * i) / 12) + 0.05 * i + 0.2 * Math.cos(i * 2.1));

  it("the forecast is the median of the members' outputs", async () => {
    const f = new Forecaster({ combine: false, lookback: 8, horizon: 2, units: 3, seed: 5, ensemble: 4, calendar: false, reference: 'last' });
    await f.fit(y, { epochs: 2, seed: 1 });
    assert.deepEqual(f.model.outputs[0]!.shape, [null, 8]);
    const e = n - 1;
    const x = new Float32Array(8);
    for (let t = 0; t < 8; t++) x[t] = f.xScaler!.transform(y[e - 7 + t]! - y[e]!, 0);
    const out = (f.model.predict(new Tensor(x, [1, 8, 1])) as Tensor).data;
    const p = f.forecast(y, 2);
    for (let h = 0; h < 2; h++) {
      const v = [0, 1, 2, 3].map((j) => out[j * 2 + h]!).sort((a, b) => a - b);
      const members = new Set(v);
      assert.ok(members.size > 1, 'the members differ');
      close(p[h]!, f.yScaler!.inverse((v[1]! + v[2]!) / 2, 0) + y[e]!, `step ${h + 1}`, 1e-6);
    }
  });

  it('save/load keeps the calendar, the Holt-Winters reference and the ensemble: the same forecasts', async () => {
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 3, units: 3, seed: 2, ensemble: 3, reference: 'holtWinters', season: 12 });
    await f.fit(y, { epochs: 2, seed: 1, times });
    const a = f.forecast(y, 7, { times });
    const ev = f.evaluate(y, { times, holtWinters: false, ets: false, sarima: false });
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fcov-'));
    try {
      await f.save(dir);
      const g = await Forecaster.load(dir);
      assert.deepEqual([g.reference, g.season, g.ensemble], ['holtWinters', 12, 3]);
      assert.deepEqual(g.calendar, f.calendar);
      assert.deepEqual(g.holtWintersModel, f.holtWintersModel);
      assert.deepEqual(g.forecast(y, 7, { times }), a);
      assert.deepEqual(g.evaluate(y, { times, holtWinters: false, ets: false, sarima: false }).predictions, ev.predictions);
      // The Holt-Winters states run from the first row: a series starting elsewhere is refused.
      assert.throws(() => g.forecast(y.slice(5), 3, { times: times.slice(5) }), /starts differently \(row 0/);
      // Tampered settings are refused when loading.
      const file = join(dir, 'model.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      const meta = json.userDefinedMetadata?.rnnkitForecaster;
      assert.ok(meta !== undefined, 'metadata found');
      for (const [key, value, msg] of [
        ['calendar', { step: { months: 1 }, terms: [{ period: 'year', harmonics: 2 }] }, /the network takes \[null,12,3\], not \[null, 12, 5\]/],
        ['ensemble', 2, /outputs \[null,9\], not \[null, 6\] \(ensemble 2/],
        ['holtWinters', { ...meta.holtWinters, alpha: 'x' }, /Holt-Winters field 'alpha' must be a finite number/],
        ['holtWintersStart', [], /holtWintersStart must be 1…3 finite numbers/],
      ] as const) {
        const copy = structuredClone(json);
        const m = copy.userDefinedMetadata.rnnkitForecaster;
        m[key] = value;
        await writeFile(file, JSON.stringify(copy));
        await assert.rejects(Forecaster.load(dir), (e: Error) => e instanceof ModelFormatError && msg.test(e.message), `${key}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('quantile forecasts', () => {
  it('pinball-trained quantiles cover the test part near their levels; saved and loaded', async () => {
    // Season + trend + Gaussian noise (sd 1, seeded): the 10% and 90% quantiles are ±1.28 around the mean.
    let state = 99;
    const u = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return (state + 0.5) / 2147483648;
    };
    const gauss = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const z = range(600).map((i) => 10 + 4 * Math.sin((2 * Math.PI * i) / 12) + 0.02 * i + gauss());
    const f = new Forecaster({ combine: false, lookback: 24, horizon: 3, units: 8, seed: 1, ensemble: 1, quantiles: [0.1, 0.5, 0.9], season: 12, calibration: 'none' }); // the network's own quantiles (calibrated: forecastIntervals.test.ts)
    await f.fit(z, { epochs: 25, seed: 2 });
    const ev = f.evaluate(z, { holtWinters: false, ets: false, sarima: false });
    const q = ev.quantiles!;
    assert.deepEqual(q.levels, [0.1, 0.5, 0.9]);
    assert.equal(q.values.length, ev.windows * 3 * 3);
    for (let i = 0; i < ev.windows * 3; i++) assert.ok(q.values[i * 3]! <= q.values[i * 3 + 1]! && q.values[i * 3 + 1]! <= q.values[i * 3 + 2]!, 'quantiles in order');
    // The point forecast is the 0.5 quantile.
    for (let i = 0; i < ev.windows * 3; i++) close(ev.predictions[i]!, q.values[i * 3 + 1]!, `median ${i}`, 1e-12);
    assert.ok(Math.abs(q.coverage - 0.8) < 0.1, `10–90% coverage ${q.coverage}`);
    assert.ok(Math.abs(q.below[0]! - 0.1) < 0.08 && Math.abs(q.below[2]! - 0.9) < 0.08, `below: ${q.below}`);
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fq-'));
    try {
      await f.save(dir);
      const g = await Forecaster.load(dir);
      assert.deepEqual(g.quantiles, [0.1, 0.5, 0.9]);
      assert.deepEqual(g.predictQuantiles(z, [500, 550]), f.predictQuantiles(z, [500, 550]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.throws(() => new Forecaster({ lookback: 3, quantiles: [0.1, 0.9] }), /including 0\.5/);
    assert.throws(() => new Forecaster({ lookback: 3, quantiles: [0.5, 0.1] }), /increasing numbers in \(0, 1\)/);
    const plain = new Forecaster({ combine: false, lookback: 4, units: 2, ensemble: 1, calendar: false });
    assert.throws(() => plain.predictQuantiles(z, [10]), /built without quantiles/);
  });
});

describe('covariate columns', () => {
  it('taken as they are (scaled, not measured from a reference); a leading covariate helps; saved', async () => {
    // y[t] = 3·x[t−1] + a little noise: x at the origin tells the next value.
    let state = 7;
    const u = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return (state + 0.5) / 2147483648;
    };
    const x = range(400).map(() => u() * 4 - 2);
    const rows = range(400).map((t) => [t === 0 ? 0 : 3 * x[t - 1]! + 0.05 * (u() - 0.5), x[t]!]);
    const base = { combine: false as const, lookback: 4, horizon: 1, units: 8, seed: 1, ensemble: 1, reference: 'last' as const };
    const plain = new Forecaster(base);
    await plain.fit(rows, { epochs: 20, seed: 1 });
    const withX = new Forecaster({ ...base, covariates: [1], columns: ['y', 'x'] });
    await withX.fit(rows, { epochs: 20, seed: 1 });
    const a = plain.evaluate(rows, { holtWinters: false }).model.mae;
    const b = withX.evaluate(rows, { holtWinters: false }).model.mae;
    assert.ok(b < 0.5 * a, `with the covariate MAE ${b.toFixed(3)}, without ${a.toFixed(3)}`);
    // The covariate channel is the scaled value itself.
    const seen: number[][] = [];
    const orig = withX.model.predict.bind(withX.model);
    (withX.model as unknown as { predict: (t: Tensor) => Tensor }).predict = (t: Tensor): Tensor => {
      seen.push(Array.from(t.data));
      return orig(t) as Tensor;
    };
    withX.forecast(rows, 1);
    const xs = withX.xScaler!;
    for (let t = 0; t < 4; t++) close(seen[0]![t * 2 + 1]!, xs.transform(x[396 + t]!, 1), `covariate at row ${396 + t}`, 1e-6);
    assert.throws(() => withX.forecast(rows, 2), /no covariates \(their future values are unknown\)/);
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fcv-'));
    try {
      await withX.save(dir);
      const g = await Forecaster.load(dir);
      assert.deepEqual(g.covariates, [1]);
      assert.deepEqual(g.forecast(rows, 1), withX.forecast(rows, 1));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.throws(() => new Forecaster({ lookback: 3, covariates: [0] }), /column 0 is the target; covariates are further columns/);
    assert.throws(() => new Forecaster({ lookback: 3, covariates: 1 as never }), /covariates must be an array of column indices, got 1/);
  });
});
