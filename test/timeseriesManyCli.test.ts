/**
 * `rnnkit timeseries … --id-column` end to end: a long-format CSV (two stores' monthly sales,
 * rows interleaved by date) trains one model; the test part is scored per store and as the mean;
 * evaluate reproduces train's metrics from the saved model; forecast gains the id column and dates
 * each store from its own last row; refusals name the column or the id.
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUserError, rnnkit } from './helpers/cli.js';

let dir = '';
const file = (name: string): string => join(dir, name);
const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
// Store A: months 0…71; store B: months 12…71 at another level (the file's rows sorted by date, stores interleaved).
const sales = (store: string, i: number): number => (store === 'A' ? 100 + 0.2 * i : 40 + 0.1 * i) + 5 * Math.sin((2 * Math.PI * i) / 12) + Math.sin(i * 1.3);
const row = (store: string, i: number): string => `${month(i)},${store},${sales(store, i).toFixed(3)}`;

type Metrics = { model: Record<string, number>; baselines: Record<string, Record<string, number>>; series: Record<string, { model: Record<string, number> }> };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-ts-many-'));
  const lines = ['date,store,sales'];
  for (let i = 0; i < 72; i++) for (const s of ['A', 'B']) if (s === 'A' || i >= 12) lines.push(row(s, i));
  await writeFile(file('long.csv'), lines.join('\n') + '\n');
  // B's whole history (the Holt-Winters reference runs its states from a series' first row), and its last 30 rows only.
  await writeFile(file('onlyB.csv'), ['date,store,sales', ...Array.from({ length: 60 }, (_, k) => row('B', 12 + k))].join('\n') + '\n');
  await writeFile(file('lateB.csv'), ['date,store,sales', ...Array.from({ length: 30 }, (_, k) => row('B', 42 + k))].join('\n') + '\n');
  await writeFile(file('withC.csv'), ['date,store,sales', ...Array.from({ length: 30 }, (_, k) => row('C', 42 + k))].join('\n') + '\n');
  await writeFile(file('tiny.csv'), [...lines, ...Array.from({ length: 8 }, (_, k) => row('tiny', 64 + k))].join('\n') + '\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('train --id-column → per-store and mean tables; evaluate reproduces them; forecast per store', async () => {
  const model = file('model');
  const args = ['--target', 'sales', '--id-column', 'store', '--time-column', 'date', '--lookback', '12', '--horizon', '3', '--season', '12', '--units', '4', '--ensemble', '1', '--epochs', '2'];
  const t = rnnkit('timeseries', 'train', file('long.csv'), ...args, '--out', model, '--metrics-json', file('train.json'), '--baselines', 'holtWinters');
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.stderr, '');
  assert.match(t.stdout, /2 series by 'store' \(132 rows\)/);
  // The calendar covariates the model takes, said as for one series.
  assert.match(t.stdout, /Calendar covariates from 'date': year \(\d sin\/cos pairs?\)/);
  assert.match(t.stdout, /Test part of store 'A': last 20% of its rows, 12 window\(s\) × 3 step\(s\)/);
  // A has 72 rows (14 in its test part), B 60 (12): each its own test part.
  assert.match(t.stdout, /Test part of store 'B': last 20% of its rows, 10 window\(s\) × 3 step\(s\)/);
  assert.match(t.stdout, /Mean over the 2 series/);
  const m = JSON.parse(await readFile(file('train.json'), 'utf8')) as Metrics;
  assert.deepEqual(Object.keys(m.series), ['A', 'B']);
  assert.ok(Math.abs(m.model.mae! - (m.series.A!.model.mae! + m.series.B!.model.mae!) / 2) < 1e-12);
  assert.ok(Object.keys(m.baselines).some((k) => k.startsWith('Holt-Winters')));
  const e = rnnkit('timeseries', 'evaluate', model, '--csv', file('long.csv'), '--metrics-json', file('eval.json'), '--baselines', 'holtWinters');
  assert.equal(e.code, 0, e.stderr);
  const m2 = JSON.parse(await readFile(file('eval.json'), 'utf8')) as Metrics;
  assert.deepEqual(m2.series, m.series);
  assert.deepEqual(m2.model, m.model);
  const f = rnnkit('timeseries', 'forecast', model, file('long.csv'), '--steps', '2');
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(f.stdout.trim().split('\n').map((l) => l.split(',').slice(0, 3).join(',')), ['store,step,date', 'A,1,2006-01-01', 'A,2,2006-02-01', 'B,1,2006-01-01', 'B,2,2006-02-01']);
  const fj = rnnkit('timeseries', 'forecast', model, file('onlyB.csv'), '--format', 'json');
  assert.equal(fj.code, 0, fj.stderr);
  const j = JSON.parse(fj.stdout) as { idColumn: string; forecast: { id: string; step: number; time: string; value: number }[] };
  assert.equal(j.idColumn, 'store');
  assert.deepEqual(j.forecast.map((r) => `${r.id} ${r.step} ${r.time}`), ['B 1 2006-01-01', 'B 2 2006-02-01', 'B 3 2006-03-01']);
  assert.ok(j.forecast.every((r) => Number.isFinite(r.value) && r.value > 30 && r.value < 70), JSON.stringify(j.forecast));
  assertUserError(rnnkit('timeseries', 'forecast', model, file('withC.csv')), 1, /unknown series 'C'; the forecaster was trained on 'A', 'B'/);
  assertUserError(rnnkit('timeseries', 'forecast', model, file('lateB.csv')), 1, /series 'B': Forecaster.predict: the Holt-Winters reference runs its states from the first row of the training series/);
  const fp = rnnkit('timeseries', 'forecast', model, file('long.csv'), '--steps', '2', '--plot', file('x.svg'));
  assert.equal(fp.code, 0, fp.stderr);
  assert.equal(fp.stdout, f.stdout, 'the plot changes nothing in the forecast');
  const xs = await readFile(file('x.svg'), 'utf8');
  assert.deepEqual([...xs.matchAll(/<svg class="panel" data-name="([^"]+)"/g)].map((m) => m[1]), ["store 'A'", "store 'B'"]);
  // Each panel's forecast line: the last observed point, then the 2 steps.
  assert.deepEqual([...xs.matchAll(/data-name="forecast" data-points="(\d+)"/g)].map((m) => Number(m[1])), [3, 3]);
});

test('train --id-column refusals: a missing id column, a series too short (named by id); --plot draws one panel per series', async () => {
  const base = ['--target', 'sales', '--time-column', 'date', '--lookback', '12', '--horizon', '3', '--epochs', '1', '--units', '2', '--ensemble', '1'];
  assertUserError(rnnkit('timeseries', 'train', file('long.csv'), ...base, '--id-column', 'shop'), 1, /--id-column "shop": no such column in .*long\.csv; columns: date, store, sales/);
  assertUserError(rnnkit('timeseries', 'train', file('tiny.csv'), ...base, '--id-column', 'store'), 1, /1 of \d+ series are too short for lookback 12 \+ horizon 3 \(each needs at least \d+ rows, its training part 15\): 'tiny' \(\d+ rows\)/);
  // B's 60 rows give a test part of 12, A's 72 one of 14: a horizon of 13 leaves B no window to score.
  assertUserError(rnnkit('timeseries', 'train', file('long.csv'), ...base, '--horizon', '13', '--id-column', 'store'), 2, /train: the test part \(--test 0\.2\) of 1 of 2 series by 'store' \('B': 12 of 60 rows\) is shorter than the horizon \(13\): train scores whole windows of the horizon there; give --test 0\.22 or more, or a shorter --horizon/);
  const p = rnnkit('timeseries', 'train', file('long.csv'), ...base, '--id-column', 'store', '--plot', file('p.svg'), '--baselines', 'none');
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /Plot written to .*p\.svg \(2 panels\)/);
  const svg = await readFile(file('p.svg'), 'utf8');
  assert.deepEqual([...svg.matchAll(/<svg class="panel" data-name="([^"]+)"/g)].map((m) => m[1]), ["store 'A'", "store 'B'"]);
});

test("--id-column store,item: one series per pair of values (a composite id, as Kaggle's store–item files); rows sorted by store, item and date; forecast writes both id columns", async () => {
  // 2 stores × 2 items, 48 months each, sorted by store, then item, then date: the dates go back
  // at each new pair, which without the pair as the id would be refused as out of order.
  const lines = ['store,item,date,sales'];
  for (const st of ['1', '2']) for (const it of ['7', '8']) for (let i = 0; i < 48; i++) lines.push(`${st},${it},${month(i)},${(sales(st === '1' ? 'A' : 'B', i) + Number(it)).toFixed(3)}`);
  await writeFile(file('pairs.csv'), lines.join('\n') + '\n');
  const model = file('pairs-model');
  const args = ['--target', 'sales', '--id-column', 'store,item', '--lookback', '12', '--horizon', '2', '--season', '12', '--units', '4', '--ensemble', '1', '--epochs', '1', '--combine', 'none'];
  const t = rnnkit('timeseries', 'train', file('pairs.csv'), ...args, '--out', model);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /4 series by 'store,item' \(192 rows\)/);
  assert.match(t.stdout, /Test part of store,item '2, 8'/);
  // Without the time column the dates are read as a hint, per pair: in order, so no refusal.
  assert.match(t.stdout, /column 'date' holds dates; give --time-column "date"/);
  const f = rnnkit('timeseries', 'forecast', model, file('pairs.csv'), '--steps', '1');
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(f.stdout.trim().split('\n').map((l) => l.split(',').slice(0, 3).join(',')), ['store,item,step', '1,7,1', '1,8,1', '2,7,1', '2,8,1']);
  const j = rnnkit('timeseries', 'forecast', model, file('pairs.csv'), '--steps', '1', '--format', 'json');
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { idColumn: string; forecast: { id: string; idValues: string[] }[] };
  assert.equal(out.idColumn, 'store,item');
  assert.deepEqual(out.forecast.map((r) => [r.id, r.idValues]), [['1, 7', ['1', '7']], ['1, 8', ['1', '8']], ['2, 7', ['2', '7']], ['2, 8', ['2', '8']]]);

  // A pair sorted newest first is still refused, naming the pair.
  const back = [lines[0]!, ...lines.slice(1, 97), ...lines.slice(97, 145).reverse(), ...lines.slice(145)];
  await writeFile(file('pairs-back.csv'), back.join('\n') + '\n');
  assertUserError(rnnkit('timeseries', 'train', file('pairs-back.csv'), ...args), 1, /column 'date' holds dates running newest first \(store,item '2, 7'\)/);
  // Two tuples that would join to one id; a missing part; an empty cell.
  await writeFile(file('pairs-clash.csv'), ['store,item,sales', 'a,"b, c",1', '"a, b",c,2'].join('\n') + '\n');
  assertUserError(rnnkit('timeseries', 'train', file('pairs-clash.csv'), ...args), 1, /line 3: the ids \(store, item\) \["a, b","c"\] and \["a","b, c"\] both read as 'a, b, c'/);
  assertUserError(rnnkit('timeseries', 'train', file('pairs.csv'), ...args.map((a) => (a === 'store,item' ? 'store,shelf' : a))), 1, /--id-column "shelf": no such column in .*pairs\.csv; columns: store, item, date, sales/);
  await writeFile(file('pairs-empty.csv'), [...lines.slice(0, 5), '1,,2000-05-01,3'].join('\n') + '\n');
  assertUserError(rnnkit('timeseries', 'train', file('pairs-empty.csv'), ...args), 1, /line 6, column 'item' \(--id-column\) is empty/);
});
