/**
 * Automatic choices: season 'auto' (detected by fit from the training part only; saved and
 * reloaded as detected; 'none' / null switch it off) and fitAuto (the lookback chosen on the
 * validation part: a series whose next value depends on the value 10 rows back gets a lookback
 * of at least 10, which beats the short ones; the choice cannot see the test part — poisoning
 * it changes nothing; the budget skips candidates; refusals). The candidates are scored as the
 * network alone, and the combination and calibration are fitted once, on the winner, to the
 * same bits as a plain fit with the chosen lookback.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORECASTER_DEFAULTS, Forecaster, chronologicalSplit, fitAuto } from '../src/index.js';
import { scoredMae, validationPoints } from './helpers/classical.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}
const gaussian = (r: () => number): number => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
/** Monthly-like: trend + period-12 season + noise. */
const seasonal = (n: number, seed: number): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, (_, t) => 50 + 0.1 * t + 3 * Math.sin((2 * Math.PI * t) / 12) + 0.5 * gaussian(r));
};
/** y[t] = 0.9·y[t−10] + noise: the last 9 rows say nothing about the next one, row t−9 (a lookback of 10) nearly all. */
const lag10 = (n: number, seed: number): number[] => {
  const r = rng(seed);
  const y: number[] = [];
  for (let t = 0; t < n; t++) y.push((t >= 10 ? 0.9 * y[t - 10]! : 0) + gaussian(r));
  return y;
};
/** The same series with the test part (the last 20%) replaced by extreme values. */
const poison = (y: number[]): number[] => {
  const { validationEnd } = chronologicalSplit(y.length, {});
  return y.map((v, i) => (i < validationEnd ? v : 1e4 + 1000 * Math.sin(i)));
};

describe("Forecaster season 'auto'", () => {
  it('detects 12 on the training part, fits the Holt-Winters reference with it, and keeps it through save/load', async () => {
    const y = seasonal(240, 1);
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 3, season: 'auto', ensemble: 1, units: 4, calendar: false, seed: 1 });
    assert.equal(f.seasonSource, 'pending');
    assert.equal(f.season, undefined);
    await f.fit(y, { epochs: 1, seed: 2 });
    assert.equal(f.season, 12);
    assert.equal(f.seasonSource, 'detected');
    assert.equal(f.holtWintersModel!.seasonal !== null ? f.holtWintersModel!.period : 12, 12);
    assert.ok(f.evaluate(y).seasonalNaive !== undefined, 'the seasonal baseline uses the detected season');
    // A test part with another cycle (and no trend) changes nothing: only the training part is looked at.
    const g = new Forecaster({ combine: false, lookback: 12, horizon: 3, season: 'auto', ensemble: 1, units: 4, calendar: false, seed: 1 });
    await g.fit(y.map((v, i) => (i < 200 ? v : 100 * Math.sin((2 * Math.PI * i) / 7))), { epochs: 1, seed: 2 });
    assert.equal(g.season, 12);
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-auto-'));
    try {
      await f.save(dir);
      const h = await Forecaster.load(dir);
      assert.equal(h.season, 12);
      assert.equal(h.seasonSource, 'detected');
      assert.equal(h.metadata().seasonDetected, true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is the default, as the CLI's --season: no season option detects 12; a model saved without a season loads without one", async () => {
    assert.equal(FORECASTER_DEFAULTS.season, 'auto');
    const y = seasonal(240, 1);
    const f = new Forecaster({ combine: false, lookback: 12, horizon: 3, ensemble: 1, units: 4, calendar: false, seed: 1 });
    assert.equal(f.seasonSource, 'pending');
    await f.fit(y, { epochs: 1, seed: 2 });
    assert.deepEqual([f.season, f.seasonSource], [12, 'detected']);
    const g = new Forecaster({ combine: false, lookback: 12, horizon: 3, season: 'none', ensemble: 1, units: 4, calendar: false, seed: 1 });
    await g.fit(y, { epochs: 1, seed: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-auto-'));
    try {
      await g.save(dir);
      const h = await Forecaster.load(dir);
      assert.deepEqual([h.season, h.seasonSource], [undefined, 'none'], 'loaded without a season, not waiting to detect one');
      assert.deepEqual(h.forecast(y), g.forecast(y));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds none in noise; 'none' and null switch the season off; a bad value is refused", async () => {
    const r = rng(5);
    const noise = Array.from({ length: 200 }, () => gaussian(r));
    const f = new Forecaster({ combine: false, lookback: 6, season: 'auto', ensemble: 1, units: 4, calendar: false, seed: 1 });
    await f.fit(noise, { epochs: 1 });
    assert.equal(f.season, undefined);
    assert.equal(f.seasonSource, 'none');
    assert.equal(f.holtWintersModel!.seasonal, null);
    for (const season of ['none', null] as const) {
      const g = new Forecaster({ combine: false, lookback: 6, season, ensemble: 1, units: 4, calendar: false });
      assert.equal(g.season, undefined);
      assert.equal(g.seasonSource, 'none');
    }
    assert.throws(() => new Forecaster({ lookback: 6, season: 'weekly' as never }), /season must be a positive integer \(rows per season\), 'auto' or null\/'none', got "weekly"/);
  });

  it('fitMany keeps the season most series show, unless more show none', async () => {
    const r = rng(3);
    const f = new Forecaster({ combine: false, lookback: 12, season: 'auto', ensemble: 1, units: 4, calendar: false, seed: 1 });
    await f.fitMany({ a: seasonal(200, 1), b: seasonal(200, 2), c: Array.from({ length: 200 }, () => gaussian(r)) }, { epochs: 1 });
    assert.equal(f.season, 12);
    // More series without a season than with the most common one: none (one seasonal series of three gave all a season).
    const g = new Forecaster({ combine: false, lookback: 12, season: 'auto', ensemble: 1, units: 4, calendar: false, seed: 1 });
    await g.fitMany({ a: seasonal(200, 1), b: Array.from({ length: 200 }, () => gaussian(r)), c: Array.from({ length: 200 }, () => gaussian(r)) }, { epochs: 1 });
    assert.equal(g.season, undefined);
    assert.equal(g.seasonSource, 'none');
  });
});

describe('fitMany calendar', () => {
  it("takes the calendar from every series' times and refuses series whose spacings differ, naming each", async () => {
    const DAY = 86_400_000;
    const y = seasonal(60, 1);
    const daily = y.map((_, i) => Date.UTC(2020, 0, 1) + i * DAY);
    const monthly = y.map((_, i) => Date.UTC(2015, i, 1));
    const mk = (): Forecaster => new Forecaster({ combine: false, lookback: 6, ensemble: 1, units: 2, reference: 'last', seed: 1 });
    await assert.rejects(
      mk().fitMany({ a: y, b: y }, { epochs: 1, times: { a: daily, b: monthly } }),
      /Forecaster\.fitMany: calendar 'auto' finds different row spacings across the series \('a': 1 day\(s\) apart → year, week; 'b': 1 month\(s\) apart → year\); one network takes one set of calendar covariates/,
    );
    const f = mk();
    await f.fitMany({ a: y, b: y }, { epochs: 1, times: { a: daily, b: daily.map((t) => t + 400 * DAY) } });
    assert.deepEqual(f.calendar!.terms.map((t) => t.period), ['year', 'week']);
    // With calendar false the spacings do not matter.
    const g = new Forecaster({ combine: false, lookback: 6, ensemble: 1, units: 2, reference: 'last', calendar: false, seed: 1 });
    await assert.rejects(g.fitMany({ a: y, b: y }, { epochs: 1, times: { a: daily, b: monthly } }), /times given, but the forecaster has no calendar covariates/);
  });
});

describe('fitAuto', () => {
  // Raw standardised values (no reference): the network has to find row t−9 of its window.
  const args = { horizon: 1, windowRelative: false, season: 'none', ensemble: 1, units: 12, calendar: false, seed: 3 } as const;
  const fitOpts = { epochs: 200, patience: 40, batchSize: 16, seed: 4, learningRate: 0.01 } as const;

  it('picks a lookback of at least 10 for a lag-10 series, beating the short ones on the validation part, and never reads the test part', async () => {
    const y = lag10(600, 7);
    const res = await fitAuto(y, args, fitOpts);
    // Horizon 1, no season: 2, 4, 8, 16 horizons (at least 4 rows) → 4, 8, 16.
    assert.deepEqual(res.choice.trials.map((t) => t.lookback), [4, 8, 16]);
    assert.ok(res.choice.lookback >= 10, JSON.stringify(res.choice.trials));
    const short = res.choice.trials.find((t) => t.lookback === 4)!;
    assert.ok(res.choice.validationMae < 0.85 * short.validationMae, `chosen ${res.choice.validationMae} vs lookback 4 ${short.validationMae}`);
    assert.equal(res.forecaster.lookback, res.choice.lookback);
    assert.deepEqual(res.forecaster.split, { validation: 0.1, test: 0.2 });
    assert.deepEqual((res.forecaster.info.auto as { lookback: number }).lookback, res.choice.lookback);
    // Poisoning the test part with extreme (finite) values changes no trial.
    const p = await fitAuto(poison(y), args, fitOpts);
    assert.deepEqual(p.choice.trials.map((t) => [t.lookback, t.validationMae, t.bestEpoch]), res.choice.trials.map((t) => [t.lookback, t.validationMae, t.bestEpoch]));
    assert.equal(p.choice.lookback, res.choice.lookback);
  });

  it('the candidates follow the season (1, 2, 3 seasons); the budget skips what would not fit; refusals', async () => {
    const y = seasonal(300, 2);
    const res = await fitAuto(y, { ...args, windowRelative: true, season: 'auto', reference: 'holtWinters', units: 4 }, { epochs: 2 }, { budgetSeconds: 1e-6 });
    assert.equal(res.choice.season, 12);
    assert.equal(res.choice.seasonDetected, true);
    assert.equal(res.forecaster.seasonSource, 'detected');
    assert.deepEqual(res.choice.trials.map((t) => t.lookback), [12]);
    assert.deepEqual(res.choice.skipped.map((t) => t.lookback), [24, 36]);
    await assert.rejects(fitAuto(y, args, {}, { budget: 3 } as never), /fitAuto: unknown option 'budget'|budget/);
    await assert.rejects(fitAuto(y, args, {}, { budgetSeconds: -1 }), /budgetSeconds must be a finite number > 0/);
    await assert.rejects(fitAuto(y, args, { validation: 0 }), /validation part is empty/);
    await assert.rejects(fitAuto(y, args, {}, { lookbacks: [4, 0] }), /lookbacks\[1\]/);
  });

  it('scores each candidate at every validation row once per step: a validation part shorter than the horizon chooses too (recomputed by hand)', async () => {
    // 90 rows: 9 validation rows for a horizon of 12 (no whole window), 18 test rows.
    const y = seasonal(90, 5);
    const a = { ...args, horizon: 12, units: 4, combine: false } as const;
    const res = await fitAuto(y, a, { epochs: 2, seed: 1 }, { lookbacks: [6, 12] });
    assert.deepEqual(res.choice.trials.map((t) => t.lookback), [6, 12]);
    const split = chronologicalSplit(90, {});
    assert.equal(split.validationEnd - split.trainEnd, 9);
    const { origins, actual } = validationPoints(y, split, 12);
    assert.equal(origins.length, 9 + 12 - 1);
    // The winner, as returned (the network alone: combine false), scored by hand on the rows before the test part.
    const pred = res.forecaster.predictFrom(y.slice(0, split.validationEnd), origins, 12);
    const trial = res.choice.trials.find((t) => t.lookback === res.choice.lookback)!;
    assert.ok(Math.abs(scoredMae(actual, pred) - trial.validationMae) <= 1e-12 * trial.validationMae, `${scoredMae(actual, pred)} vs ${trial.validationMae}`);
    res.forecaster.dispose();
  });
});

describe('fitAuto: the combination and the calibration, fitted once on the winner', () => {
  // Defaults for combine ('auto') and calibration (conformal, from the symmetric quantiles); a season to detect.
  const args = { horizon: 3, season: 'auto', quantiles: [0.1, 0.5, 0.9], ensemble: 1, units: 4, calendar: false, seed: 5 } as const;
  const fitOpts = { epochs: 3, seed: 6 } as const;
  const auto = { lookbacks: [6, 12] } as const;
  const y = seasonal(200, 3);

  it('equals a plain fit with the chosen lookback, to the bit: forecasts, quantiles, weights, offsets, saved files (but info.auto)', async () => {
    // Count the classical fits: one, for the winner, however many candidates.
    const proto = Forecaster.prototype as unknown as { fitCombination: (...a: unknown[]) => unknown };
    const orig = proto.fitCombination;
    let combinations = 0;
    proto.fitCombination = function (this: unknown, ...a: unknown[]) {
      combinations++;
      return orig.apply(this, a);
    };
    let res;
    try {
      res = await fitAuto(y, args, fitOpts, auto);
    } finally {
      proto.fitCombination = orig;
    }
    assert.deepEqual(res.choice.trials.map((t) => t.lookback), [6, 12]);
    assert.equal(combinations, 1);
    const f = res.forecaster;
    assert.equal(f.combine, 'auto');
    assert.equal(f.calibration, 'conformal');
    assert.ok(f.combination !== null, `combination made (${f.combinationNote})`);
    assert.ok(f.conformal !== null, `offsets fitted (${f.calibrationNote})`);
    // The network was trained on the rows before the test part with the split fit draws on all of them, so fit on the whole series
    // trains the same network (same seeds, same windows, same batches), and the classical fits and offsets read only rows before the test part.
    const g = new Forecaster({ ...args, lookback: res.choice.lookback });
    await g.fit(y, fitOpts);
    const noTime = (c: Forecaster['combination']): unknown => (c === null ? null : { ...JSON.parse(JSON.stringify(c)), seconds: 0 });
    assert.deepEqual(noTime(f.combination), noTime(g.combination));
    assert.deepEqual(f.conformal, g.conformal);
    assert.equal(f.calibrationNote, g.calibrationNote);
    assert.equal(f.combinationNote, g.combinationNote);
    assert.equal(f.season, 12);
    assert.equal(f.seasonSource, g.seasonSource);
    assert.deepEqual(f.split, g.split);
    const { validationEnd } = chronologicalSplit(y.length, {});
    const origins = Array.from({ length: y.length - 3 - validationEnd + 1 }, (_, i) => validationEnd - 1 + i);
    assert.deepEqual(f.predictQuantiles(y, origins), g.predictQuantiles(y, origins));
    assert.deepEqual(f.forecast(y, 5), g.forecast(y, 5));
    const [ef, eg] = [f, g].map((m) => m.evaluate(y, { holtWinters: false, ets: false, sarima: false }));
    assert.deepEqual(ef!.model, eg!.model);
    assert.deepEqual(ef!.predictions, eg!.predictions);
    assert.deepEqual(ef!.quantiles, eg!.quantiles);
    const dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'rnnkit-auto-eq-'))));
    try {
      await f.save(dirs[0]!);
      await g.save(dirs[1]!);
      // model.json and one weights file, whose name carries the time of the save.
      const files = await Promise.all(dirs.map(async (d) => (await readdir(d)).sort()));
      for (const names of files) assert.deepEqual(names.map((n) => n.replace(/^weights-[0-9a-z]+\.bin$/, 'weights.bin')), ['model.json', 'weights.bin']);
      const [wa, wb] = await Promise.all(dirs.map((d, i) => readFile(join(d, files[i]![1]!))));
      assert.ok(wa!.equals(wb!), 'the weights files differ');
      // info.auto is fitAuto's record, the combination's seconds a timing: everything else is the same.
      const [ja, jb] = await Promise.all(dirs.map(async (d) => JSON.parse(await readFile(join(d, 'model.json'), 'utf8'))));
      const [ma, mb] = [ja, jb].map((j) => j.userDefinedMetadata.rnnkitForecaster);
      assert.equal(ma.info.auto.lookback, res.choice.lookback);
      delete ma.info.auto;
      ma.combination.seconds = mb.combination.seconds = 0;
      // Layer names carry the process's layer count (lstm_2: fitAuto built other networks first), weight paths the save's time.
      const plain = (j: { modelTopology: unknown; weightsManifest: { paths: string[] }[] }): unknown => {
        j.weightsManifest.forEach((m) => (m.paths = m.paths.map(() => 'weights.bin')));
        return JSON.parse(JSON.stringify(j).replace(/"(\w+?)_\d+(?=["/])/g, '"$1'));
      };
      assert.deepEqual(plain(ja), plain(jb));
    } finally {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
    f.dispose();
    g.dispose();
  });

  it("scores each candidate as the network alone: the same trials with combine false and calibration 'none'", async () => {
    const [a, b] = [await fitAuto(y, args, fitOpts, auto), await fitAuto(y, { ...args, combine: false, calibration: 'none' }, fitOpts, auto)];
    const key = (r: typeof a): unknown => r.choice.trials.map((t) => [t.lookback, t.validationMae, t.bestEpoch, t.epochs]);
    assert.deepEqual(key(a), key(b));
    assert.equal(b.forecaster.combination, null);
    assert.equal(b.forecaster.conformal, null);
    assert.ok(a.forecaster.combination !== null && a.forecaster.conformal !== null);
    a.forecaster.dispose();
    b.forecaster.dispose();
  });
});
