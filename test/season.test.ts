/**
 * Season detection (src/timeseries/season.ts) on hand-made series with a known answer: a
 * sinusoid of period 7 or 12 with noise and a trend is found (from the peaks alone, and from
 * the calendar spacing of its times), white noise and a random walk give none; the scores
 * against their closed form; refusals.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { co2, vegaCsv } from './helpers/classical.js';
import { calendarSeasons, detectSeason, seasonScore } from '../src/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}
const DAY = 86_400_000;

describe('detectSeason', () => {
  it('finds period 7 and 12 in a noisy sinusoid on a trend (no times: from the score peaks)', () => {
    for (const P of [7, 12]) {
      for (let seed = 1; seed <= 5; seed++) {
        const r = rng(seed * 31 + P);
        const y = Array.from({ length: 240 }, (_, t) => 10 + 0.08 * t + 0.0004 * t * t + Math.sin((2 * Math.PI * t) / P) + 0.5 * gaussian(r));
        const d = detectSeason(y);
        assert.equal(d.season, P, `period ${P}, seed ${seed}: ${JSON.stringify(d.candidates.filter((c) => c.passed))}`);
        // Amplitude 1, noise 0.5: A²/2 / (A²/2 + σ²) = 2/3.
        assert.ok(Math.abs(d.score - 2 / 3) < 0.15, `score ${d.score}`);
      }
    }
  });

  it('takes the length the times suggest: daily rows with a weekly cycle → 7, monthly with a yearly one → 12', () => {
    const r = rng(9);
    const t0 = Date.UTC(2020, 0, 1);
    const daily = Array.from({ length: 200 }, (_, t) => 0.05 * t + Math.sin((2 * Math.PI * t) / 7) + 0.5 * gaussian(r));
    const d = detectSeason(daily, { times: daily.map((_, i) => t0 + i * DAY) });
    assert.equal(d.season, 7);
    assert.ok(d.candidates.some((c) => c.calendar && c.period === 7 && c.passed));
    const monthly = Array.from({ length: 120 }, (_, t) => 300 + 0.1 * t + 3 * Math.sin((2 * Math.PI * t) / 12) + gaussian(r));
    const m = detectSeason(monthly, { times: monthly.map((_, i) => new Date(Date.UTC(2000, i, 1))) });
    assert.equal(m.season, 12);
  });

  it('short monthly rows (33: the training part of four years) show their season of 12 at two standard errors; noise of that length does not', () => {
    const times = Array.from({ length: 33 }, (_, i) => new Date(Date.UTC(2021, i, 1)));
    let [found, falseSeasons] = [0, 0];
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed * 7 + 3);
      // Amplitude 4, noise 1 on a slope: scores 0.59–0.9 (median 0.74) on so few rows. Its 9 pairs at
      // lag 12 put three standard errors at 1.0, which no score reaches (none found); two at 0.67.
      const y = Array.from({ length: 33 }, (_, t) => 100 + 0.5 * t + 4 * Math.sin((2 * Math.PI * t) / 12) + gaussian(r));
      if (detectSeason(y, { times }).season === 12) found++;
      if (detectSeason(y.map(() => gaussian(r)), { times }).season !== null) falseSeasons++;
    }
    assert.ok(found >= 30, `the season of 12 found ${found} times in 40`);
    // Two standard errors, one lag tested: about 1 in 40 by chance (none here).
    assert.ok(falseSeasons <= 2, `white noise of 33 monthly rows: a season found ${falseSeasons} times in 40`);
  });

  it('finds no season in white noise or a random walk', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const r = rng(seed);
      const noise = Array.from({ length: 100 + 100 * seed }, () => gaussian(r));
      assert.equal(detectSeason(noise).season, null, `white noise, seed ${seed}`);
      let w = 0;
      const walk = noise.map((v) => (w += v));
      assert.equal(detectSeason(walk).season, null, `random walk, seed ${seed}`);
      // Daily times offer 7 (and 365 when two years fit): noise still has no season.
      assert.equal(detectSeason(noise, { times: noise.map((_, i) => i * DAY) }).season, null);
    }
  });

  it('scores a pure sinusoid near 1 and its half period near −1', () => {
    const y = Array.from({ length: 240 }, (_, t) => Math.sin((2 * Math.PI * t) / 12));
    assert.ok(seasonScore(y, 12) > 0.99);
    assert.ok(seasonScore(y, 6) < -0.9);
  });

  it('the calendar spacing gives the usual lengths', () => {
    const at = (step: number, n = 10): number[] => Array.from({ length: n }, (_, i) => i * step);
    assert.deepEqual(calendarSeasons(at(3_600_000)), [24, 168]);
    assert.deepEqual(calendarSeasons(at(DAY)), [7, 365]);
    assert.deepEqual(calendarSeasons(at(7 * DAY)), [52]);
    assert.deepEqual(calendarSeasons(Array.from({ length: 10 }, (_, i) => Date.UTC(2000, i, 1))), [12]);
    assert.deepEqual(calendarSeasons(Array.from({ length: 10 }, (_, i) => Date.UTC(2000, 3 * i, 1))), [4]);
    assert.deepEqual(calendarSeasons(Array.from({ length: 10 }, (_, i) => Date.UTC(2000 + i, 0, 1))), []);
  });

  it('finds 12 in the CO2 training part (with and without times)', () => {
    const y = co2;
    const t = vegaCsv('co2-concentration.csv').dates('Date');
    const n = Math.round(y.length * 0.7);
    assert.equal(detectSeason(y.slice(0, n)).season, 12);
    assert.equal(detectSeason(y.slice(0, n), { times: t.slice(0, n) }).season, 12);
  });

  it('refuses non-finite values, bad options and unknown keys, naming them', () => {
    assert.throws(() => detectSeason([1, 2, NaN, 4]), /detectSeason: value 2 is NaN/);
    assert.throws(() => detectSeason([1, 2, 3], { threshold: 1.5 }), /threshold must be a number in \(0, 1\)/);
    assert.throws(() => detectSeason([1, 2, 3], { maxPeriod: 1 }), /maxPeriod must be an integer ≥ 2/);
    assert.throws(() => detectSeason([1, 2, 3], { times: [1, 2] }), /2 times for 3 values/);
    assert.throws(() => detectSeason([1, 2, 3], { period: 3 } as never), /period/);
    assert.throws(() => seasonScore([1, 2, 3], 1), /integer ≥ 2/);
  });
});
