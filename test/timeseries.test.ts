/**
 * Time series: windowing exactness, chronological split, scalers fitted on the training part
 * only, hand-computed metrics and baselines, Forecaster fit/forecast/save/load.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FORECASTER_DEFAULTS,
  Forecaster,
  Scaler,
  chronologicalSplit,
  fillGaps,
  forecastMetrics,
  lastValueForecast,
  seasonalNaiveForecast,
  toSeries,
  windowOrigins,
  windows,
} from '../src/index.js';

const TOL = 1e-9;
const close = (a: number, b: number, what: string, tol = TOL): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: got ${a}, expected ${b} (diff ${Math.abs(a - b)})`);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('windows', () => {
  it('single step: every window and target, in order', () => {
    const ds = windows(range(6), { lookback: 3 });
    assert.deepEqual(ds.x.shape, [3, 3, 1]);
    assert.deepEqual(Array.from(ds.x.data), [0, 1, 2, 1, 2, 3, 2, 3, 4]);
    assert.deepEqual(Array.from(ds.y.data), [3, 4, 5]);
    assert.deepEqual(ds.origins, [2, 3, 4]);
  });

  it('stride, sampleRate and multi-step targets', () => {
    // rows needed: (3 − 1)·2 + 1 inputs + 2 targets = 7; starts 0, 2 (start 4 would need row 10)
    const ds = windows(range(10), { lookback: 3, horizon: 2, stride: 2, sampleRate: 2 });
    assert.deepEqual(ds.x.shape, [2, 3, 1]);
    assert.deepEqual(Array.from(ds.x.data), [0, 2, 4, 2, 4, 6]);
    assert.deepEqual(ds.y.shape, [2, 2]);
    assert.deepEqual(Array.from(ds.y.data), [5, 6, 7, 8]);
    assert.deepEqual(ds.origins, [4, 6]);
  });

  it('chosen feature and target columns', () => {
    const rows = range(5).map((i) => [i, 100 + i, 200 + i]);
    const ds = windows(rows, { lookback: 2, horizon: 2, features: [2, 0], targets: [1, 0] });
    assert.deepEqual(ds.x.shape, [2, 2, 2]);
    assert.deepEqual(Array.from(ds.x.data), [200, 0, 201, 1, 201, 1, 202, 2]);
    // step-major per window: (t+1: col 1, col 0), (t+2: col 1, col 0)
    assert.deepEqual(Array.from(ds.y.data), [102, 2, 103, 3, 103, 3, 104, 4]);
  });

  it('targets restricted to a part of the rows', () => {
    assert.deepEqual(windowOrigins(10, { lookback: 3, horizon: 2, targetStart: 6 }), [5, 6, 7]);
    assert.deepEqual(windowOrigins(10, { lookback: 3, horizon: 2, targetEnd: 6 }), [2, 3]);
  });

  it('bad values are RangeErrors that say what is needed', () => {
    assert.throws(() => windows(range(5), { lookback: 4, horizon: 2 }), /5 rows are too few for lookback 4 \+ horizon 2: at least 6 are needed/);
    assert.throws(() => windows(range(5), { lookback: 0 }), /lookback must be a positive integer, got 0/);
    assert.throws(() => windows(range(5), { lookback: 2, horizon: 1.5 }), /horizon must be a positive integer/);
    assert.throws(() => windows(range(5), { lookback: 2, targets: [3] }), /no column 3/);
  });
});

describe('chronological split and scalers', () => {
  it('splits by position, never shuffled', () => {
    assert.deepEqual(chronologicalSplit(100, { validation: 0.1, test: 0.2 }), { trainEnd: 70, validationEnd: 80, rows: 100 });
    assert.deepEqual(chronologicalSplit(10, { validation: 0, test: 0.3 }), { trainEnd: 7, validationEnd: 7, rows: 10 });
    assert.throws(() => chronologicalSplit(10, { validation: 0.5, test: 0.5 }), /validation \+ test must be < 1/);
  });

  it('standard and min-max scalers: hand-computed, invertible, JSON round trip', () => {
    const s = Scaler.fit('standard', [1, 10, 3, 20], 2); // columns [1, 3] and [10, 20]
    assert.deepEqual(s.offset, [2, 15]);
    assert.deepEqual(s.scale, [1, 5]);
    close(s.transform(4, 0), 2, 'standard');
    close(s.inverse(s.transform(7, 1), 1), 7, 'inverse');
    const m = Scaler.fit('minmax', [2, 4, 6], 1);
    assert.deepEqual([m.offset, m.scale], [[2], [4]]);
    close(m.transform(6, 0), 1, 'minmax');
    assert.deepEqual(Scaler.fromJSON(JSON.parse(JSON.stringify(s))).toJSON(), s.toJSON());
    assert.deepEqual(Scaler.fit('standard', [5, 5], 1).scale, [1]); // constant column
  });

  it('the Forecaster fits its scalers on the training part only', async () => {
    // The values after the training rows are huge: a scaler that saw them would have a huge std.
    const series = range(40).map((i) => (i < 28 ? i % 4 : 1e6));
    // (windowRelative false: the scaler then sees the values themselves.)
    const f = new Forecaster({ combine: false, lookback: 3, units: 2, seed: 1, windowRelative: false });
    await f.fit(series, { epochs: 1, validation: 0.1, test: 0.2, seed: 1 });
    // train rows 0…27: values 0,1,2,3 repeated: mean 1.5, std √1.25
    close(f.xScaler!.offset[0]!, 1.5, 'mean');
    close(f.xScaler!.scale[0]!, Math.sqrt(1.25), 'std');
    assert.deepEqual(f.yScaler!.toJSON(), f.xScaler!.toJSON());
  });

  it('the API and the CLI share one set of defaults: window-relative standard scaling included', async () => {
    const { DEFAULTS } = await import('../src/cli/timeseries.js');
    const f = new Forecaster({ combine: false, lookback: 3 });
    assert.equal(f.windowRelative, true);
    assert.equal(f.scaling, 'standard');
    assert.equal(DEFAULTS.scaling, 'relative', 'the CLI spells standard + windowRelative as relative');
    for (const k of ['strategy', 'reference', 'calendar', 'ensemble', 'cell', 'units', 'layers', 'epochs', 'batchSize', 'patience', 'validation', 'test'] as const) assert.equal(DEFAULTS[k], FORECASTER_DEFAULTS[k], k);
    assert.equal(DEFAULTS.lr, FORECASTER_DEFAULTS.learningRate);
  });

  it('fillGaps: refuses by default, previous and linear fills', () => {
    assert.throws(() => fillGaps([1, NaN, 3]), /gap \(missing value\) in column 0 at row 1/);
    assert.deepEqual(Array.from(fillGaps([1, NaN, NaN, 4], 'previous').data), [1, 1, 1, 4]);
    assert.deepEqual(Array.from(fillGaps([1, NaN, NaN, 4], 'linear').data), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(fillGaps([NaN, 2, NaN], 'linear').data), [2, 2, 2]);
    assert.deepEqual(Array.from(fillGaps([[1, NaN], [2, 5]], 'previous').data), [1, 5, 2, 5]);
  });
});

describe('metrics and baselines', () => {
  it('MAE, RMSE, MAPE, sMAPE against hand-computed values', () => {
    const m = forecastMetrics([1, 2, 4], [2, 2, 1]);
    close(m.mae, (1 + 0 + 3) / 3, 'mae');
    close(m.rmse, Math.sqrt((1 + 0 + 9) / 3), 'rmse');
    close(m.mape, (100 * (1 / 1 + 0 + 3 / 4)) / 3, 'mape');
    close(m.smape, (100 * ((2 * 1) / 3 + 0 + (2 * 3) / 5)) / 3, 'smape');
    const z = forecastMetrics([0, 2], [0, 1]); // MAPE skips a = 0; sMAPE counts 0/0 as 0
    close(z.mape, 50, 'mape with a zero');
    close(z.smape, (100 * (2 / 3)) / 2, 'smape with 0/0');
    assert.throws(() => forecastMetrics([1], [1, 2]), /1 actual values but 2 predictions/);
  });

  it('last-value and seasonal-naive baselines exactly', () => {
    const s = toSeries([10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual(Array.from(lastValueForecast(s, 0, [3, 5], 2)), [13, 13, 15, 15]);
    // period 3, origin 4 (value 14): h=1 → row 2, h=2 → row 3, h=3 → row 4, h=4 → row 2 (⌈4/3⌉ = 2 periods back)
    assert.deepEqual(Array.from(seasonalNaiveForecast(s, 0, [4], 4, 3)), [12, 13, 14, 12]);
    assert.throws(() => seasonalNaiveForecast(s, 0, [1], 1, 3), /fewer than 3 rows of history/);
  });
});

describe('Forecaster', () => {
  const wave = range(200).map((i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 12) + 0.05 * i);

  it('learns a seasonal trending series, beats the last-value baseline, evaluate scores the test part', async () => {
    const f = new Forecaster({ combine: false, lookback: 24, horizon: 3, units: 8, windowRelative: true, seed: 2 });
    const h = await f.fit(wave, { epochs: 25, seed: 3 });
    assert.ok(h.history.loss!.length > 0);
    const ev = f.evaluate(wave, { season: 12 });
    // test part: the last 40 rows; windows whose 3 targets lie in it: origins 159 … 196
    assert.equal(ev.windows, 38);
    assert.equal(ev.origins[0], 159);
    assert.equal(ev.actual.length, 38 * 3);
    close(ev.actual[0]!, wave[160]!, 'first actual');
    assert.ok(ev.model.mae < ev.lastValue.mae, `model MAE ${ev.model.mae} vs last value ${ev.lastValue.mae}`);
    // noiseless: seasonal naive is off by exactly one year of trend, 12 · 0.05
    close(ev.seasonalNaive!.mae, 0.6, 'seasonal-naive MAE', 1e-9);
  });

  it('forecast beyond the horizon feeds predictions back; save/load gives the same numbers', async () => {
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 2, units: 4, cell: 'gru', seed: 4 });
    f.info = { note: 'kept' };
    await f.fit(wave, { epochs: 2, seed: 1 });
    const a = f.forecast(wave, 5);
    assert.equal(a.length, 5);
    assert.ok(a.every(Number.isFinite));
    assert.deepEqual(f.forecast(wave, 2), a.slice(0, 2));
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fc-'));
    try {
      await f.save(dir);
      const g = await Forecaster.load(dir);
      assert.deepEqual(g.forecast(wave, 5), a);
      assert.deepEqual(g.info, { note: 'kept' });
      assert.equal(g.lookback, 12);
      assert.equal(g.cell, 'gru');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fit and fitMany pass workers to Model.fit (as TextClassifier and Seq2Seq do); a bad value is refused by fit by name', async () => {
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 2, units: 2, calendar: false, seed: 4 });
    const seen: unknown[] = [];
    const orig = f.model.fit.bind(f.model);
    f.model.fit = (x, y, a) => (seen.push(a?.workers), orig(x, y, a));
    await f.fit(wave, { epochs: 1, seed: 1, workers: 1 });
    await f.fitMany({ a: wave, b: wave.map((v) => v + 1) }, { epochs: 1, seed: 1, workers: 'auto' });
    await f.fit(wave, { epochs: 1, seed: 1 });
    assert.deepEqual(seen, [1, 'auto', undefined]);
    await assert.rejects(f.fit(wave, { epochs: 1, workers: 0 }), /workers must be a positive integer or 'auto', got 0/);
  });

  it('recursive strategy: a one-step network rolled over the horizon', async () => {
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 4, strategy: 'recursive', units: 4, seed: 4 });
    await f.fit(wave, { epochs: 2, seed: 1 });
    assert.deepEqual(f.model.predict([range(12).map((i) => [wave[i]!])]).shape, [1, f.ensemble]); // one step per ensemble member
    const ev = f.evaluate(wave);
    assert.equal(ev.predictions.length, ev.windows * 4);
    assert.throws(() => new Forecaster({ lookback: 3, strategy: 'recursive', features: [0, 1] }), /target must be the only feature/);
  });

  it('refuses bad input with a clear message', async () => {
    const f = new Forecaster({ combine: false, lookback: 24, horizon: 12, seed: 1 });
    await assert.rejects(f.fit(range(30)), /too few for lookback 24 \+ horizon 12: at least 36 are needed/);
    await assert.rejects(f.fit([1, 2, NaN, ...range(100)]), /missing or non-finite value at row 2/);
    assert.throws(() => f.forecast(range(100)), /not trained/);
    assert.throws(() => new Forecaster({ lookback: -1 }), /lookback must be a positive integer/);
    assert.throws(() => new Forecaster({ lookback: 2, horizon: 0 }), /horizon must be a positive integer/);
    const multi = new Forecaster({ combine: false, lookback: 2, features: [0, 1], seed: 1 });
    await assert.rejects(multi.fit(range(20)), /has 1 column\(s\), no column 1/);
  });
});
