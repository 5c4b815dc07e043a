/**
 * The combination with a classical model per series after fitMany (combine 'auto'): each series'
 * candidates, weights and kept model recomputed here from its own parts; forecasts as
 * w·network + (1 − w)·classical with that series' weights and model; series without a
 * validation part left to the network alone, and the note naming them; save/load (per-series
 * combinations checked as untrusted input, naming the id; older models load with none); the
 * conformal offsets scored with each series' training-part classical model; yearly Fourier
 * regressors from each series' own times. Short non-seasonal series (ETS and ARIMA(1,1,1) fit in
 * well under a second).
 */
import { describe, it, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forecaster, ModelFormatError, Scaler, chronologicalSplit, conformalRank, defaultSarimaSpec, etsRolling, fitEts, fitSarima, sarimaRolling, selectEts, yearlyFourierExog, type ForecastCombination, type ForecasterMetadata } from '../src/index.js';
import { combinationWeights } from '../src/timeseries/forecaster.js';
import { scoredMae, validationPoints, walkWithPattern } from './helpers/classical.js';

const walk = walkWithPattern;
/** A seasonal series of period 12 (no season given: the classical models take it as noise). */
const seasonal = (n: number): number[] => Array.from({ length: n }, (_, i) => 10 + 4 * Math.sin((2 * Math.PI * i) / 12) + 0.3 * Math.sin(i * 1.7));
/** A steady trend with a little deterministic noise. */
const trend = (n: number): number[] => Array.from({ length: n }, (_, i) => 20 + 0.3 * i + 0.4 * Math.sin(i * 2.3));

const H = 3;
const L = 14;
const NO_BASELINES = { holtWinters: false, ets: false, sarima: false } as const;

/** The classical model's rolled forecasts [origins · steps] from rows `y` (no regressors). */
const rolled = (c: ForecastCombination, y: ArrayLike<number>, origins: number[], steps: number): Float64Array => (c.kind === 'ets' ? etsRolling(c.ets!, y, origins, steps) : sarimaRolling(c.sarima!, y, origins, steps));

/** The same network with edited metadata (shares f's weights): e.g. its combinations removed, for the network alone. */
function variant(f: Forecaster, edit: (meta: ForecasterMetadata) => void): Forecaster {
  const meta = JSON.parse(JSON.stringify(f.metadata())) as ForecasterMetadata;
  edit(meta);
  f.model.metadata = { rnnkitForecaster: meta };
  return Forecaster.fromModel(f.model);
}
const networkAlone = (f: Forecaster): Forecaster => variant(f, (m) => Object.values(m.series!).forEach((s) => (s.combination = null)));

describe('Forecaster.fitMany combine', () => {
  // A: a 12-row pattern, B: a trend, C: a validation part of 2 rows, shorter than the horizon.
  const series = { A: seasonal(120), B: trend(120), C: trend(24).map((v) => v + 7) };
  let f: Forecaster;
  before(async () => {
    f = new Forecaster({ lookback: L, horizon: H, units: 4, ensemble: 1, calendar: false, season: 'none', seed: 3 });
    await f.fitMany(series, { epochs: 2, seed: 1 });
  });
  after(() => f.dispose());

  it("each series' own choice: candidates on its training part, weights on its validation rows (C's 2, fewer than the horizon), the kept model re-fitted; forecasts w·network + (1 − w)·classical", () => {
    const byId = f.combinationsById!;
    assert.deepEqual(Object.keys(byId), ['A', 'B', 'C']);
    assert.equal(f.combination, null, 'no top-level combination: each series has its own');
    const alone = networkAlone(f);
    const chosen: ForecastCombination[] = [];
    for (const id of ['A', 'B', 'C'] as const) {
      const y = series[id];
      const c = byId[id]!.combination;
      assert.ok(c !== null, `${id}: ${byId[id]!.note}`);
      assert.equal(byId[id]!.note, null);
      chosen.push(c);
      // By hand, from this series' parts: both candidates fitted on its training part, scored on its validation windows.
      const split = chronologicalSplit(y.length, {});
      const { origins: valO, actual } = validationPoints(y, split, H);
      assert.equal(c.validation.windows, valO.length, id);
      const train = y.slice(0, split.trainEnd);
      const before_ = y.slice(0, split.validationEnd);
      const mae = (p: ArrayLike<number>): number => scoredMae(actual, p);
      const net = alone.predictMany({ [id]: y }, { [id]: valO })[id]!;
      const ets = selectEts(train);
      const sarima = fitSarima(train, defaultSarimaSpec());
      const etsV = etsRolling(ets, before_, valO, H);
      const sarimaV = sarimaRolling(sarima, before_, valO, H);
      assert.equal(c.validation.network, mae(net), id);
      assert.equal(c.validation.ets, mae(etsV), id);
      assert.equal(c.validation.sarima, mae(sarimaV), id);
      assert.equal(c.kind, mae(sarimaV) < mae(etsV) ? 'sarima' : 'ets', id);
      assert.deepEqual(c.weights, combinationWeights(net, c.kind === 'ets' ? etsV : sarimaV, actual, H), id);
      if (c.kind === 'ets') assert.deepEqual(c.ets, fitEts(before_, { error: ets.error, trend: ets.trend, damped: ets.damped, seasonal: ets.seasonal }), id);
      else assert.deepEqual(c.sarima, fitSarima(before_, defaultSarimaSpec()), id);
      // Forecasts past the end (5 steps: past the horizon the last weight), by hand from the network alone and this series' own model and weights.
      const fc = f.forecastMany({ [id]: y }, 5)[id]!;
      const netF = alone.forecastMany({ [id]: y }, 5)[id]!;
      const clsF = rolled(c, y, [y.length - 1], 5);
      const w = [...c.weights, c.weights[H - 1]!, c.weights[H - 1]!];
      fc.forEach((v, h) => assert.ok(Math.abs(v - (w[h]! * netF[h]! + (1 - w[h]!) * clsF[h]!)) <= 1e-12 * Math.abs(v), `${id} step ${h}: ${v}`));
      // evaluateMany scores the same blend.
      const ev = f.evaluateMany({ [id]: y }, NO_BASELINES).byId[id]!;
      const netT = alone.predictMany({ [id]: y }, { [id]: ev.origins })[id]!;
      const clsT = rolled(c, y, ev.origins, H);
      ev.predictions.forEach((v, i) => assert.ok(Math.abs(v - (c.weights[i % H]! * netT[i]! + (1 - c.weights[i % H]!) * clsT[i]!)) <= 1e-12 * Math.abs(v), `${id} test prediction ${i}`));
    }
    // Different series, different choices (measured: A ARIMA(1,1,1) weights 0 0 0, B ETS (AAN) 0 1 1).
    assert.notDeepEqual([chosen[0]!.kind, chosen[0]!.weights], [chosen[1]!.kind, chosen[1]!.weights]);
    assert.equal(f.combinationNote, null);
  });

  it('save/load keeps each series\' combination; a tampered one is refused naming the series; a model saved before them loads with none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-fcmanycomb-'));
    try {
      await f.save(dir);
      const g = await Forecaster.load(dir);
      const want = JSON.parse(JSON.stringify(f.combinationsById)) as Record<string, { combination: unknown }>;
      for (const [id, c] of Object.entries(g.combinationsById!)) assert.deepEqual(c.combination, want[id]!.combination, id);
      assert.deepEqual(g.forecastMany(series, 5), f.forecastMany(series, 5));
      assert.deepEqual(g.evaluateMany(series, NO_BASELINES).pooled, f.evaluateMany(series, NO_BASELINES).pooled);
      const file = join(dir, 'model.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      const meta = json.userDefinedMetadata.rnnkitForecaster;
      assert.equal(meta.combination, null);
      assert.notEqual(meta.series.C.combination, null);
      const patch = async (edit: (m: typeof meta) => void): Promise<Forecaster> => {
        const copy = structuredClone(json);
        edit(copy.userDefinedMetadata.rnnkitForecaster);
        await writeFile(file, JSON.stringify(copy));
        return Forecaster.load(dir);
      };
      for (const [edit, msg] of [
        [(m: typeof meta) => (m.series.B.combination.weights = [0.5, 2, 0]), /series 'B': combination\.weights must be 3 numbers in \[0, 1\]/],
        [(m: typeof meta) => (m.series.B.combination.weights = [0.5, -0.1, 0]), /series 'B': combination\.weights must be 3 numbers in \[0, 1\]/],
        [(m: typeof meta) => (m.series.A.combination.kind = 'arima'), /series 'A': combination\.kind must be 'ets', 'sarima' or 'seasonalNaive'/],
        [(m: typeof meta) => (m.series.B.combination.kind = m.series.B.combination.kind === 'ets' ? 'sarima' : 'ets'), /series 'B': combination: an? '(ets|sarima)' combination has no|series 'B': combination\.sarima/],
        [(m: typeof meta) => (m.series.A.combination.start = []), /series 'A': combination\.start must be 1…3 finite numbers/],
        [(m: typeof meta) => (m.series.A.combination = 'x'), /series 'A': combination must be an object/],
        [(m: typeof meta) => (m.combination = m.series.A.combination), /a model of many series keeps its combinations per series/],
      ] as const) {
        await assert.rejects(patch(edit), (e: Error) => e instanceof ModelFormatError && msg.test(e.message), String(edit));
      }
      // Saved before per-series combinations: no combination field in the series' entries.
      const old = await patch((m) => Object.values(m.series as Record<string, Record<string, unknown>>).forEach((s) => delete s.combination));
      assert.deepEqual(Object.values(old.combinationsById!).map((c) => c.combination), [null, null, null]);
      assert.deepEqual(old.forecastMany(series, 5), networkAlone(f).forecastMany(series, 5));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no validation part: every series the network alone, and the note names each', async () => {
    const g = new Forecaster({ lookback: L, horizon: H, units: 4, ensemble: 1, calendar: false, season: 'none', seed: 3 });
    await g.fitMany(series, { epochs: 1, seed: 1, validation: 0 });
    assert.deepEqual(Object.values(g.combinationsById!).map((c) => c.combination), [null, null, null]);
    const why = 'no validation part: nothing to choose the weights on';
    assert.equal(g.combinationNote, `the network alone for 3 of 3 series: 'A' (${why}); 'B' (${why}); 'C' (${why})`);
    g.dispose();
  });

  it('combine false: every series the network alone, no note', async () => {
    const g = new Forecaster({ lookback: L, horizon: H, units: 4, ensemble: 1, calendar: false, season: 'none', seed: 3, combine: false });
    await g.fitMany(series, { epochs: 2, seed: 1 });
    assert.deepEqual(Object.values(g.combinationsById!), [null, null, null].map(() => ({ combination: null, note: null })));
    assert.equal(g.combinationNote, null);
    // The same training as f's (combine is chosen after it): the network alone is f's without its combinations.
    assert.deepEqual(g.forecastMany(series, 5), networkAlone(f).forecastMany(series, 5));
    g.dispose();
  });
});

describe('Forecaster.fitMany combine: calibration and times', () => {
  it("conformal offsets pooled over the series, each scored with its own training-part classical model (recomputed by hand)", async () => {
    const series = { a: walk(150, 7), b: trend(150) };
    const f = new Forecaster({ lookback: L, horizon: H, units: 6, ensemble: 1, reference: 'line', calendar: false, season: 'none', quantiles: [0.1, 0.5, 0.9], seed: 3 });
    await f.fitMany(series, { epochs: 3, seed: 4 });
    const cal = f.conformal!;
    assert.ok(cal !== null, f.calibrationNote ?? 'no offsets');
    const { trainEnd, validationEnd } = chronologicalSplit(150, {});
    assert.deepEqual([trainEnd, validationEnd], [105, 120]);
    // Each series' combination with its classical model as fitted on the training part (the kept one is re-fitted on the validation rows too).
    const trainFits: Record<string, ForecastCombination> = {};
    for (const [id, y] of Object.entries(series)) {
      const c = f.combinationsById![id]!.combination;
      assert.ok(c !== null, `${id}: ${f.combinationsById![id]!.note}`);
      const train = y.slice(0, trainEnd);
      const kind = c.kind;
      assert.ok(kind !== 'seasonalNaive', `${id}: a fitted classical model (no season here)`);
      trainFits[id] = kind === 'ets' ? { ...c, ets: selectEts(train) } : { ...c, sarima: fitSarima(train, defaultSarimaSpec()) };
      assert.notDeepEqual(trainFits[id]![kind], c[kind], `${id}: the training-part fit differs from the kept one`);
    }
    const g = variant(f, (m) => {
      m.conformal = null;
      for (const id of Object.keys(series)) m.series![id]!.combination = JSON.parse(JSON.stringify(trainFits[id]));
    });
    const origins = Array.from({ length: validationEnd - 2 - (trainEnd - H) + 1 }, (_, i) => trainEnd - H + i);
    const cut = Object.fromEntries(Object.entries(series).map(([id, y]) => [id, y.slice(0, validationEnd)]));
    const raw = g.predictQuantilesMany(cut, { a: origins, b: origins });
    const scores: number[][] = [[], [], []];
    for (const [id, y] of Object.entries(series)) {
      const scale = Scaler.fromJSON(f.metadata().series![id]!.yScaler).scale[0]!;
      origins.forEach((e, n) => {
        for (let h = 0; h < H; h++) {
          const r = e + 1 + h;
          if (r >= trainEnd && r < validationEnd) scores[h]!.push(Math.max(raw[id]![(n * H + h) * 3]! - y[r]!, y[r]! - raw[id]![(n * H + h) * 3 + 2]!) / scale);
        }
      });
    }
    const want = [scores.map((s) => {
      assert.equal(s.length, 30);
      s.sort((x, y) => x - y);
      return Math.max(0, s[conformalRank(30, 0.8)! - 1]!);
    })];
    assert.deepEqual(cal.offsets, want);
    assert.equal(cal.points, 30);
    f.dispose();
  });

  it("yearly Fourier regressors from each series' own times: t0 its first time, forecasts by hand with its regressors", async () => {
    const DAY = 86_400_000;
    const n = 530;
    // A yearly cycle plus AR(1) noise: ARIMA(1,1,1) with the yearly pairs beats ETS on both
    // validation parts (measured: 0.274 vs 0.291 and 0.289 vs 0.324).
    const mk = (phase: number, level: number): number[] => {
      let s = 11 + phase;
      const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      let ar = 0;
      return Array.from({ length: n }, (_, i) => {
        ar = 0.5 * ar + (u() - 0.5);
        return level + 8 * Math.sin((2 * Math.PI * (i + phase)) / 365.25) + ar;
      });
    };
    const series = { north: mk(0, 20), south: mk(180, 30) };
    const times = { north: Array.from({ length: n }, (_, i) => Date.UTC(2019, 0, 1) + i * DAY), south: Array.from({ length: n }, (_, i) => Date.UTC(2019, 6, 1) + i * DAY) };
    const f = new Forecaster({ lookback: 7, horizon: H, units: 2, ensemble: 1, reference: 'line', season: 'none', seed: 2 });
    await f.fitMany(series, { epochs: 1, seed: 2, times });
    assert.ok(f.calendar?.terms.some((t) => t.period === 'year'), 'daily dates give a yearly calendar');
    const alone = networkAlone(f);
    for (const id of ['north', 'south'] as const) {
      const c = f.combinationsById![id]!.combination;
      assert.ok(c !== null && c.kind === 'sarima' && c.fourier !== undefined && 't0' in c.fourier, `${id}: ${c?.name ?? f.combinationsById![id]!.note}`);
      assert.equal(c.fourier.t0, times[id][0], id);
      const y = series[id];
      const fc = f.forecastMany({ [id]: y }, H, { times: { [id]: times[id] } })[id]!;
      const netF = alone.forecastMany({ [id]: y }, H, { times: { [id]: times[id] } })[id]!;
      const all = [...times[id], ...[1, 2, 3].map((k) => times[id][n - 1]! + k * DAY)];
      const clsF = sarimaRolling(c.sarima!, y, [n - 1], H, yearlyFourierExog(all, DAY, 2)!.exog);
      fc.forEach((v, h) => assert.ok(Math.abs(v - (c.weights[h]! * netF[h]! + (1 - c.weights[h]!) * clsF[h]!)) <= 1e-12 * Math.abs(v), `${id} step ${h}: ${v}`));
    }
    f.dispose();
  });
});
