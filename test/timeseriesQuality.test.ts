/**
 * The quality bar on real data (vega-datasets, a devDependency; NOAA data):
 *   CO2 monthly, lookback 24, horizon 12, last 20% as test: model MAE ≥ 30% below seasonal naive (12).
 *   Seattle daily temp_max, lookback 30, horizon 1: model MAE below the last-value baseline.
 * Small models so the file runs in a few seconds on 2 cores.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Forecaster } from '../src/index.js';

// The package exports only its JS entry (build/index.js); the CSV files sit in data/ beside build/.
const DATA = join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data');
/** Required improvement over seasonal naive for CO2 (the bar). */
const CO2_MIN_IMPROVEMENT = 0.3;

function column(file: string, name: string): number[] {
  const rows = parse(readFileSync(join(DATA, file), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows.map((r) => Number(r[name]));
}

describe('forecasting quality on vega-datasets', () => {
  it('CO2: lookback 24, horizon 12: MAE at least 30% below seasonal naive (period 12)', async () => {
    const co2 = column('co2-concentration.csv', 'CO2');
    assert.ok(co2.length > 700 && co2.every(Number.isFinite));
    const f = new Forecaster({ combine: false, lookback: 24, horizon: 12, cell: 'lstm', units: 16, windowRelative: true, seed: 3 });
    await f.fit(co2, { epochs: 30, validation: 0.1, test: 0.2, seed: 5 });
    const ev = f.evaluate(co2, { season: 12 });
    const improvement = 1 - ev.model.mae / ev.seasonalNaive!.mae;
    assert.ok(improvement >= CO2_MIN_IMPROVEMENT, `model MAE ${ev.model.mae.toFixed(3)} vs seasonal naive ${ev.seasonalNaive!.mae.toFixed(3)}: ${(100 * improvement).toFixed(1)}% lower, need ≥ ${100 * CO2_MIN_IMPROVEMENT}%`);
    assert.ok(ev.model.mae < ev.lastValue.mae);
  });

  it('Seattle temp_max: lookback 30, horizon 1: MAE below the last-value baseline', async () => {
    const temp = column('seattle-weather.csv', 'temp_max');
    assert.ok(temp.length > 1400 && temp.every(Number.isFinite));
    const f = new Forecaster({ combine: false, lookback: 30, horizon: 1, cell: 'lstm', units: 16, windowRelative: true, seed: 3 });
    await f.fit(temp, { epochs: 60, patience: 10, seed: 5 });
    const ev = f.evaluate(temp);
    assert.ok(ev.model.mae < ev.lastValue.mae, `model MAE ${ev.model.mae.toFixed(3)} vs last value ${ev.lastValue.mae.toFixed(3)}`);
  });
});
