/**
 * The time column of `rnnkit timeseries` CSVs (src/cli/csv.ts): times without a zone are UTC
 * whatever the machine's zone, rows must run oldest first (a newest-first file is refused
 * saying so, unsorted or repeated times name their lines), gaps in the spacing are reported
 * once on stderr, and forecast times are printed in one format.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTimeColumn, numericSeries, readTable, timeColumn } from '../src/cli/csv.js';
import { compactDate, parseTime, parseTimeCells, timeGaps, timeStep } from '../src/index.js';
import { assertUserError, rnnkit, rnnkitWithEnv, withStderr } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-csvtime-'));
/** A monthly CSV of n rows from 2000-01, values a sine; `dates` may replace the dates. */
function csv(name: string, n: number, dates?: (i: number) => string): string {
  const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
  const rows = Array.from({ length: n }, (_, i) => `${(dates ?? month)(i)},${(10 + Math.sin(i / 2)).toFixed(3)}`);
  const path = join(dir, name);
  writeFileSync(path, ['date,value', ...rows].join('\n') + '\n');
  return path;
}
/** Train a small model on `path` by its time column (no combination, no baselines; no gap reported), then forecast `steps`: the forecast's times, and the model's directory. */
function forecastTimes(path: string, name: string, steps: number, time = 'date'): { times: string[]; out: string } {
  const out = join(dir, name);
  const t = rnnkit('timeseries', 'train', path, '--target', 'value', '--time-column', time, '--lookback', '4', '--horizon', '1', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none', '--out', out);
  assert.equal(t.code, 0, t.stderr);
  assert.doesNotMatch(t.stderr, /gap/);
  const f = rnnkit('timeseries', 'forecast', out, path, '--steps', String(steps));
  assert.equal(f.code, 0, f.stderr);
  return { times: f.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[1]!), out };
}
const train = (path: string): ReturnType<typeof rnnkit> => rnnkit('timeseries', 'train', path, '--target', 'value', '--time-column', 'date', '--lookback', '4', '--horizon', '1', '--epochs', '1', '--units', '2');

test('timeGaps: none for even spacing (months of unequal length included); counts steps over 1.5× the usual one', () => {
  const months = Array.from({ length: 30 }, (_, i) => Date.UTC(2000, i, 1));
  assert.equal(timeGaps(months), null, 'calendar months are evenly spaced');
  const days = Array.from({ length: 30 }, (_, i) => i * 86_400_000);
  assert.equal(timeGaps(days), null);
  const missing = months.filter((_, i) => i !== 10 && i !== 11 && i !== 20);
  assert.deepEqual(timeGaps(missing), { count: 2, first: 10, steps: 3 });
  assert.equal(timeGaps([1, 2]), null, 'too short to tell');
});

test('rnnkit timeseries: a newest-first file and unsorted or repeated times are refused by line; a gap is a warning', () => {
  assertUserError(train(csv('newest.csv', 40, (i) => `${2010 - Math.floor(i / 12)}-${String(12 - (i % 12)).padStart(2, '0')}-01`)), 1, /column 'date': the rows run newest first; the forecaster needs them oldest first/);
  assertUserError(train(csv('unsorted.csv', 40, (i) => (i === 7 ? '2000-03-01' : `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`))), 1, /column 'date': line 9 is earlier than line 8; sort the rows by time, oldest first/);
  assertUserError(train(csv('twice.csv', 40, (i) => `${2000 + Math.floor(Math.min(i, 38) / 12)}-${String((Math.min(i, 38) % 12) + 1).padStart(2, '0')}-01`)), 1, /line 41 repeats the time of line 40 \("2003-03-01"\); each row needs its own time: sum, average or drop the repeated rows — or, if the rows hold several series/);
  // The hour repeated where daylight saving time ends (PJM's hourly files, local time without an offset).
  const fallBack = (i: number): string => new Date(Date.UTC(2016, 10, 4, 20) + (i <= 30 ? i : i - 1) * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
  assertUserError(train(csv('dst.csv', 40, fallBack)), 1, /line 33 repeats the time of line 32 \("2016-11-06 02:00"\); .*where daylight saving time ends, local clocks repeat an hour: give times with their UTC offset/);
  const gap = train(csv('gap.csv', 40, (i) => { const m = i < 20 ? i : i + 2; return `${2000 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`; }));
  assert.equal(gap.code, 0, gap.stderr);
  const warnings = gap.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  assert.equal(warnings.length, 1, gap.stderr);
  assert.match(warnings[0]!, /column 'date' has 1 gap in time \(the first before line 22, 3 steps after the previous row\)/);
  // Trading days: a working day without a row is an exchange holiday, not a row to add with --fill.
  const tradingDays: string[] = [];
  for (let t = Date.UTC(2024, 0, 2); tradingDays.length < 41; t += 86_400_000) {
    const day = new Date(t);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6 && day.toISOString().slice(0, 10) !== '2024-01-15') tradingDays.push(day.toISOString().slice(0, 10));
  }
  const holiday = train(csv('trading.csv', 40, (i) => tradingDays[i]!));
  assert.equal(holiday.code, 0, holiday.stderr);
  assert.match(holiday.stderr, /warning: .*trading\.csv: column 'date' has 1 working day without a row \(the first before line 11, 2 steps after the previous row\): exchange holidays if these are trading days, and then nothing is missing/);
  assert.doesNotMatch(holiday.stderr, /--fill/);
  // Two-digit years across 1949/1950 ('Jan-49' is read as 2049): the refusal says why.
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  assertUserError(train(csv('yy.csv', 40, (i) => `${mon[i % 12]}-${String(49 + Math.floor(i / 12)).slice(-2)}`)), 1, /line 14 is earlier than line 13 \("Dec-49" was read as 2049 and "Jan-50" as 1950: a two-digit year 00–49 is read as 20xx, 50–99 as 19xx; write four-digit years\)/);
  const even = train(csv('even.csv', 40));
  assert.equal(even.code, 0, even.stderr);
  assert.doesNotMatch(even.stderr, /warning/);
  // Without --time-column (an Investing.com export): newest-first dates are refused, not trained backwards;
  // dates kept in order are named at the end; the missing options are said at once, with the columns.
  const bare = (path: string, ...more: string[]) => rnnkit('timeseries', 'train', path, '--target', 'value', '--lookback', '4', '--horizon', '1', '--epochs', '1', '--units', '2', ...more);
  assertUserError(bare(join(dir, 'newest.csv')), 1, /newest\.csv: column 'date' holds dates running newest first, so the rows would be read backwards; reverse the rows .* or give --time-column "date"/);
  // Dates that jump back (files joined in the wrong order) are refused as well, by line.
  assertUserError(bare(csv('jump.csv', 40, (i) => `${2000 + Math.floor((i < 30 ? i + 10 : i - 30) / 12)}-${String(((i < 30 ? i + 10 : i - 30) % 12) + 1).padStart(2, '0')}-01`)), 1, /jump\.csv: column 'date' holds dates out of time order: line 32 is earlier than line 31, so the rows would not be read in time order; sort them by date, oldest first, or give --time-column "date"/);
  // Long format: each id's rows are checked (the column as a whole runs neither way).
  const long = (name: string, order: (i: number) => number): string => {
    const path = join(dir, name);
    const rows = ['A', 'B'].flatMap((id) => Array.from({ length: 30 }, (_, k) => `${id},${2000 + Math.floor(order(k) / 12)}-${String((order(k) % 12) + 1).padStart(2, '0')}-01,${(10 + Math.sin(k)).toFixed(3)}`));
    writeFileSync(path, ['id,date,value', ...rows].join('\n') + '\n');
    return path;
  };
  assertUserError(bare(long('long-newest.csv', (k) => 29 - k), '--id-column', 'id'), 1, /long-newest\.csv: column 'date' holds dates running newest first \(id 'A'\), so the rows would be read backwards/);
  const longOk = bare(long('long-ok.csv', (k) => k), '--id-column', 'id');
  assert.equal(longOk.code, 0, longOk.stderr);
  const ok = bare(join(dir, 'even.csv'));
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /\nNote: column 'date' holds dates; give --time-column "date" for calendar covariates/);
  assertUserError(rnnkit('timeseries', 'train', join(dir, 'even.csv')), 2, /--target, --lookback, --horizon are required; the columns of .*even\.csv: date, value/);
});

test("parseTime: a time without a zone is UTC in any machine zone; a zone given is kept", () => {
  const saved = process.env.TZ;
  try {
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
      process.env.TZ = tz; // Node re-reads the zone when TZ is assigned
      const cases: [string, number][] = [
        ['2010-03-14T02:00:00', Date.UTC(2010, 2, 14, 2)], // no such local time in New York
        ['2010-03-14 02:30', Date.UTC(2010, 2, 14, 2, 30)],
        ['2010-03-14T02:00:00.250', Date.UTC(2010, 2, 14, 2, 0, 0, 250)],
        ['2010-03-14', Date.UTC(2010, 2, 14)],
        ['2010-03', Date.UTC(2010, 2, 1)],
        ['Jan 1 2000', Date.UTC(2000, 0, 1)],
        ['01/02/2000', Date.UTC(2000, 0, 2)],
        ['2000/01/02 10:30', Date.UTC(2000, 0, 2, 10, 30)],
        ['2010-03-14T02:00:00Z', Date.UTC(2010, 2, 14, 2)],
        ['2010-03-14T02:00:00+02:00', Date.UTC(2010, 2, 14, 0)],
        ['2000-01-02 10:30:00+01', Date.UTC(2000, 0, 2, 9, 30)],
        ['1999-12-31 23:59:59 -0500', Date.UTC(2000, 0, 1, 4, 59, 59)],
        ['Tue, 01 Feb 2000 00:00:00 GMT', Date.UTC(2000, 1, 1)],
      ];
      for (const [raw, want] of cases) assert.equal(parseTime(raw), want, `${tz}: ${raw} → ${new Date(parseTime(raw)).toISOString()}`);
      assert.ok(Number.isNaN(parseTime('hello')), `${tz}: not a date`);
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('hourly rows across a daylight-saving change train on a machine in New York; the forecast prints every time in full, with a zone only where the file gives one', () => {
  // 2010-03-14T02:00 does not exist in New York's local time: read as local, it became 03:00, the next row's time.
  const start = Date.UTC(2010, 2, 12);
  const path = join(dir, 'hourly.csv');
  const rows = Array.from({ length: 96 }, (_, i) => `${new Date(start + i * 3_600_000).toISOString().slice(0, 19)},${(10 + Math.sin(i / 4)).toFixed(3)}`);
  writeFileSync(path, ['date,value', ...rows].join('\n') + '\n');
  const out = join(dir, 'hourly-model');
  const env = { TZ: 'America/New_York' };
  const r = rnnkitWithEnv(env, '', 'timeseries', 'train', path, '--target', 'value', '--time-column', 'date', '--lookback', '6', '--horizon', '2', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /gap/, 'no gap: the rows are evenly spaced in UTC');
  const f = rnnkitWithEnv(env, '', 'timeseries', 'forecast', out, path, '--steps', '3');
  assert.equal(f.code, 0, f.stderr);
  const times = f.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[1]);
  // Written without a zone (read as UTC): printed without one, the midnight in full as the other hours.
  assert.deepEqual(times, ['2010-03-16T00:00:00', '2010-03-16T01:00:00', '2010-03-16T02:00:00'], 'the midnight in full, as the other hours');
  // Written with one: printed in UTC, saying so.
  const zoned = join(dir, 'hourly-zoned.csv');
  writeFileSync(zoned, ['date,value', ...rows.map((l) => l.replace(',', 'Z,'))].join('\n') + '\n');
  const z = rnnkitWithEnv(env, '', 'timeseries', 'forecast', out, zoned, '--steps', '1');
  assert.equal(z.code, 0, z.stderr);
  assert.equal(z.stdout.trim().split('\n')[1]!.split(',')[1], '2010-03-16T00:00:00.000Z');
});

test('compactDate: YYYYMMDD and YYYYMM integers with a real month and day; anything else NaN', () => {
  assert.equal(compactDate('19580329'), Date.UTC(1958, 2, 29));
  assert.equal(compactDate('195803'), Date.UTC(1958, 2, 1));
  assert.equal(compactDate('20000229'), Date.UTC(2000, 1, 29), 'a leap day');
  for (const bad of ['19990229', '19581301', '19580001', '19580332', '1958', '1958032', '195803290', '09580329', '1958-03-29', '']) assert.ok(Number.isNaN(compactDate(bad)), bad);
});

test('rnnkit timeseries: a time column of YYYYMMDD integers (statsmodels weekly CO2) is read as dates: no false gaps, calendar covariates, dated forecasts', () => {
  // Weekly from 1999-12-25: read as numbers, 19991225 → 20000101 is a step of 8,876 and 20000101 → 20000108 of 7.
  const start = Date.UTC(1999, 11, 25);
  const compact = (i: number): string => new Date(start + i * 7 * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const path = csv('compact.csv', 120, compact);
  const out = join(dir, 'compact-model');
  const r = rnnkit('timeseries', 'train', path, '--target', 'value', '--time-column', 'date', '--lookback', '8', '--horizon', '2', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /gap/, 'evenly spaced weeks');
  assert.match(r.stdout, /Calendar covariates from 'date': year/);
  const f = rnnkit('timeseries', 'forecast', out, path, '--steps', '2');
  assert.equal(f.code, 0, f.stderr);
  const last = start + 119 * 7 * 86_400_000;
  assert.deepEqual(f.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[1]), [1, 2].map((k) => new Date(last + k * 7 * 86_400_000).toISOString().slice(0, 10)));
  // The saved time spacing is read as any field of a model file: a tampered one is refused by name, not printed as wrong dates.
  const modelJson = join(out, 'model.json');
  const saved = readFileSync(modelJson, 'utf8');
  const time = JSON.parse(saved).userDefinedMetadata.rnnkitForecaster.info.time;
  assert.deepEqual(time, { column: 'date', last, ms: 7 * 86_400_000 });
  for (const [patch, msg] of [
    [{ ms: 0 }, /info\.time must be \{months: a positive integer \[, end: true\]\}, \{ms: a positive number\} or \{ms: 86400000, weekdays: true\}, got \{"ms":0\}/],
    [{ ms: undefined, months: 1.5 }, /info\.time must be .*got \{"months":1\.5\}/],
    [{ column: 7 }, /info\.time\.column must be the time column's name, got 7/],
    [{ last: 'soon' }, /info\.time\.last must be a time in ms, got "soon"/],
  ] as const) {
    const j = JSON.parse(saved);
    Object.assign(j.userDefinedMetadata.rnnkitForecaster.info.time, patch);
    writeFileSync(modelJson, JSON.stringify(j));
    assertUserError(rnnkit('timeseries', 'forecast', out, path, '--steps', '2'), 1, msg);
  }
  writeFileSync(modelJson, saved);
  // YYYYMM months: monthly steps, no gap across a year's end.
  const months = csv('compact-months.csv', 40, (i) => `${2000 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}`);
  const m = rnnkit('timeseries', 'train', months, '--target', 'value', '--time-column', 'date', '--lookback', '4', '--horizon', '1', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none');
  assert.equal(m.code, 0, m.stderr);
  assert.doesNotMatch(m.stderr, /gap/);
  // One cell that is no date (a 13th month) leaves the column plain numbers, as before.
  const mixed = csv('compact-mixed.csv', 40, (i) => (i === 39 ? '200313' : `${2000 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}`));
  const x = rnnkit('timeseries', 'train', mixed, '--target', 'value', '--time-column', 'date', '--lookback', '4', '--horizon', '1', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none');
  assert.equal(x.code, 0, x.stderr);
  assert.match(x.stderr, /gap/, 'as numbers, each new year is a jump of 89');
});

test('timeColumn: numeric dates day first (dots, or a day over 12) or month first; where neither field passes 12, the reading with fewer gaps', async () => {
  const times = async (name: string, cells: string[]): Promise<number[]> => {
    const path = join(dir, name);
    writeFileSync(path, ['when,value', ...cells.map((c, i) => `${c},${i}`)].join('\n') + '\n');
    return timeColumn(await readTable(path), 'when');
  };
  const HOUR = 3_600_000;
  // Jena climate's form: hourly from 1 January across the 13th (Date.parse read 02.01.2009 as 1 February and refused 13.01.2009).
  const jena = Array.from({ length: 400 }, (_, i) => {
    const d = new Date(Date.UTC(2009, 0, 1, 0, 10) + i * HOUR);
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${p(d.getUTCDate())}.${p(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:00`;
  });
  assert.deepEqual(await times('jena.csv', jena), jena.map((_, i) => Date.UTC(2009, 0, 1, 0, 10) + i * HOUR));
  // The same reading from the library, as the playground page uses it.
  assert.deepEqual(parseTimeCells(jena.map((c) => ` ${c} `)), { kind: 'dayFirst', times: jena.map((_, i) => Date.UTC(2009, 0, 1, 0, 10) + i * HOUR) });
  const DAY = 24 * HOUR;
  const days = Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(1981, 0, 1) + i * DAY));
  const dmy = days.map((d) => `${d.getUTCDate()}/${d.getUTCMonth() + 1}/${d.getUTCFullYear()}`);
  const mdy = days.map((d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`);
  assert.deepEqual(await times('dmy.csv', dmy), days.map((d) => d.getTime()));
  assert.deepEqual(await times('mdy.csv', mdy), days.map((d) => d.getTime()));
  // The 1st of every month: month first would be 1–12 January of each year (a gap at each new year); day first is monthly.
  const months = Array.from({ length: 30 }, (_, i) => `01-${String((i % 12) + 1).padStart(2, '0')}-${2000 + Math.floor(i / 12)}`);
  assert.deepEqual(await times('months.csv', months), months.map((_, i) => Date.UTC(2000 + Math.floor(i / 12), i % 12, 1)));
  // A day that does not exist is refused by line.
  await assert.rejects(times('bad.csv', ['28/02/2001', '29/02/2001', '01/03/2001']), /line 3, column 'when': "29\/02\/2001" is not a date/);
});

test('rows of separators only are skipped with a note; a date column is read on its written cells, an empty one refused as empty; two numbers without a year are no date', async () => {
  // UCI's AirQualityUCI.csv: day-first dates, and 114 rows of ';;…;,,,,,' at the end (which filled the
  // test part with copies of the last value under --fill previous, and made the day-first column
  // read month first: "13/03/2004 is not a date").
  const DAY = 24 * 3_600_000;
  const days = Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2004, 2, 10) + i * DAY));
  const dmy = days.map((d) => `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`);
  const path = join(dir, 'airquality.csv');
  writeFileSync(path, ['Date;CO(GT);;;,,', ...dmy.map((d, i) => `${d};${i},5;;;`), ';;;;,,', ';;;;,,', ''].join('\r\n'));
  const { value: table, stderr: notes } = await withStderr(() => readTable(path));
  assert.equal(table.rows.length, 40);
  assert.deepEqual(notes, [`note: ${path}: 2 rows with every field empty skipped (the first on line 42)\n`]);
  assert.deepEqual(timeColumn(table, 'Date'), days.map((d) => d.getTime()));
  assert.deepEqual(Array.from(numericSeries(table, ['CO(GT)'], '--target').data), dmy.map((_, i) => i + 0.5));
  // A date column and a clock-time column (UCI's AirQuality: '10/03/2004' and '18.00.00'): --time-column Date,Time.
  const hours = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2004, 2, 10, 18) + i * 3_600_000));
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const uci = join(dir, 'date-time.csv');
  writeFileSync(uci, ['Date;Time;CO(GT)', ...hours.map((d, i) => `${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()};${p2(d.getUTCHours())}.00.00;${i}`)].join('\n') + '\n');
  const both = await readTable(uci);
  assert.ok(hasTimeColumn(both, 'Date,Time') && hasTimeColumn(both, 'Date, Time') && !hasTimeColumn(both, 'Date,Hour'));
  assert.deepEqual(timeColumn(both, 'Date,Time'), hours.map((d) => d.getTime()));
  assert.throws(() => timeColumn(both, 'Date,Time,CO(GT)'), /--time-column "Date,Time,CO\(GT\)": give one column, or a date column and a clock-time column joined by a comma/);
  assert.throws(() => timeColumn(both, 'Date,Hour'), /--time-column "Hour": no such column/);
  // A day number in the date's place (R's beaver1: day 346 of the year) would be the year 346.
  const beaver = { file: 'beaver1.csv', header: ['day', 'time', 'temp'], rows: [['346', '08:40:00', '36.33'], ['346', '08:50:00', '36.34'], ['347', '00:00:00', '36.9']], lines: [2, 3, 4], delimiter: ',' as const };
  assert.throws(() => timeColumn(beaver, 'day,time'), /--time-column "day,time": column 'day' holds plain numbers \(346, 346\), not dates; the first of DATE,TIME must hold dates/);
  // One id's rows repeating a time (Kaggle's COVID-19 file: Australia's provinces under one country): the hint names the id column.
  const province = { file: 'covid.csv (Country_Region \'Australia\')', header: ['Date', 'Cases'], rows: [['2020-01-22', '0'], ['2020-01-23', '1'], ['2020-01-22', '0']], lines: [2, 3, 4], delimiter: ',' as const, idColumn: 'Country_Region' };
  assert.throws(() => timeColumn(province, 'Date'), /line 4 is earlier than line 3; sort the rows by time, oldest first — or, if rows of one 'Country_Region' hold several series \(one per region, say\), give an --id-column that tells them apart/);
  // A kind given (many series of one file: decided on the whole column) is the reading used.
  assert.deepEqual(parseTimeCells(['01/02/2020', '01/03/2020']).times, [Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 3)]);
  assert.deepEqual(parseTimeCells(['01/02/2020', '01/03/2020'], 'dayFirst').times, [Date.UTC(2020, 1, 1), Date.UTC(2020, 2, 1)]);
  assert.throws(() => parseTimeCells(['01/02/2020'], 'dayfirst' as never), /parseTimeCells: kind must be one of compact, number, dayFirst, monthFirst, date, got "dayfirst"/);
  // An empty time among day-first dates: refused as empty (the kind is decided on the written cells).
  assert.deepEqual(parseTimeCells(['13/03/2004', '', '15/03/2004']), { kind: 'dayFirst', times: [Date.UTC(2004, 2, 13), NaN, Date.UTC(2004, 2, 15)] });
  const gap = join(dir, 'empty-time.csv');
  writeFileSync(gap, ['when,value', '13/03/2004,1', ',2', '15/03/2004,3'].join('\n') + '\n');
  await assert.rejects(readTable(gap).then((t) => timeColumn(t, 'when')), /line 3, column 'when': no time \(an empty cell\)/);
  // shampoo-sales' "1-01" (year 1, month 01): Date.parse made it 1 January 2001, daily; no date now.
  for (const c of ['1-01', '3/14', '12.31']) assert.ok(Number.isNaN(parseTime(c)), c);
  const shampoo = join(dir, 'shampoo.csv');
  writeFileSync(shampoo, ['"Month","Sales"', '"1-01",266.0', '"1-02",145.9', '"1-03",183.1'].join('\n') + '\n');
  await assert.rejects(readTable(shampoo).then((t) => timeColumn(t, 'Month')), /line 2, column 'Month': "1-01" has no year/);
});

test("numericSeries: the spellings of a missing value in published files (FRED's '.', UCI's '?', #N/A, None, -) are gaps, refused by line unless filled", async () => {
  const path = join(dir, 'missing-spellings.csv');
  const cells = ['1', '.', '3', '?', '5', '#N/A', '7', 'None', '9', '-', '11', 'NA', '13'];
  writeFileSync(path, ['DATE,UNRATE', ...cells.map((c, i) => `${2000 + i}-01-01,${c}`)].join('\n') + '\n');
  const table = await readTable(path);
  assert.throws(() => numericSeries(table, ['UNRATE'], '--target'), /line 3, column 'UNRATE': missing value \(use --fill previous or --fill linear/);
  const { value: filled, stderr: notes } = await withStderr(() => numericSeries(table, ['UNRATE'], '--target', 'linear').data);
  assert.deepEqual(Array.from(filled), cells.map((_, i) => i + 1));
  // How many were filled is said: they are scored as data in the test part.
  assert.deepEqual(notes, [`note: ${path}: column 'UNRATE': 6 missing values filled (--fill linear; the last on line 13); they are scored as data where they fall in the test part\n`]);
});

test("a time column with an empty header (pandas' to_csv index) trains with --time-column '' and its saved model forecasts and evaluates", () => {
  const path = join(dir, 'pandas-index.csv');
  writeFileSync(path, [',value', ...Array.from({ length: 40 }, (_, i) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01,${(10 + Math.sin(i / 2)).toFixed(3)}`)].join('\n') + '\n');
  const { times, out } = forecastTimes(path, 'pandas-index-model', 2, '');
  assert.deepEqual(times, ['2003-05-01', '2003-06-01']);
  assert.equal(rnnkit('timeseries', 'evaluate', out, '--csv', path, '--baselines', 'none').code, 0);
});

test('a time column of plain numbers (years, R decimal years) is continued as numbers in the forecast, not printed as milliseconds after 1970', () => {
  const years = join(dir, 'years.csv');
  writeFileSync(years, ['Year,Value', ...Array.from({ length: 40 }, (_, i) => `${1985 + i},${(100 + i + Math.sin(i)).toFixed(2)}`)].join('\n') + '\n');
  const out = join(dir, 'years-model');
  assert.equal(rnnkit('timeseries', 'train', years, '--target', 'Value', '--time-column', 'Year', '--lookback', '4', '--horizon', '2', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none', '--out', out).code, 0);
  const f = rnnkit('timeseries', 'forecast', out, years, '--steps', '3');
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(f.stdout.trim().split('\n').map((l) => l.split(',').slice(0, 2).join(',')), ['step,Year', '1,2025', '2,2026', '3,2027']);
  // R's ts() time: months as decimal years, written with 11 decimals.
  const decimal = join(dir, 'decimal-years.csv');
  writeFileSync(decimal, ['time,value', ...Array.from({ length: 40 }, (_, i) => `${(1949 + i / 12).toFixed(11)},${100 + i}`)].join('\n') + '\n');
  const out2 = join(dir, 'decimal-model');
  assert.equal(rnnkit('timeseries', 'train', decimal, '--target', 'value', '--time-column', 'time', '--lookback', '4', '--horizon', '2', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none', '--out', out2).code, 0);
  const g = rnnkit('timeseries', 'forecast', out2, decimal, '--steps', '2', '--format', 'json');
  assert.equal(g.code, 0, g.stderr);
  assert.deepEqual((JSON.parse(g.stdout) as { forecast: { time: string }[] }).forecast.map((r) => r.time), ['1952.3333333333', '1952.4166666667']);
});

test('month-end dates (pandas resample, Fama-French, fiscal years) are monthly: no gaps, forecasts on the following month ends', () => {
  const path = join(dir, 'month-end.csv');
  const ends = Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2016, i + 1, 0)).toISOString().slice(0, 10));
  writeFileSync(path, ['date,value', ...ends.map((d, i) => `${d},${(10 + Math.sin(i / 2)).toFixed(3)}`)].join('\n') + '\n');
  assert.equal(ends.at(-1), '2019-04-30');
  assert.deepEqual(forecastTimes(path, 'month-end-model', 3).times, ['2019-05-31', '2019-06-30', '2019-07-31']);
});

test('a series that starts after the first rows (leading missing values) starts where it begins: those rows are left out with a note, not back-filled by --fill, in train, evaluate and forecast; per id in long format', () => {
  const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
  const path = join(dir, 'late.csv');
  writeFileSync(path, ['date,value', ...Array.from({ length: 50 }, (_, i) => `${month(i)},${i < 6 ? 'NA' : (10 + Math.sin(i / 2)).toFixed(3)}`)].join('\n') + '\n');
  const out = join(dir, 'late-model');
  const args = ['--target', 'value', '--time-column', 'date', '--lookback', '4', '--horizon', '1', '--epochs', '1', '--units', '2', '--combine', 'none', '--baselines', 'none'];
  const t = rnnkit('timeseries', 'train', path, ...args, '--fill', 'previous', '--out', out);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stderr, /note: .*late\.csv: the first 6 rows have no value in 'value': the series starts on line 8, and those rows are left out \(not filled\)/);
  assert.match(t.stdout, /: 44 rows, target 'value'/);
  assert.doesNotMatch(t.stderr, /missing values? filled/);
  const e = rnnkit('timeseries', 'evaluate', out, '--csv', path);
  assert.equal(e.code, 0, e.stderr);
  const f = rnnkit('timeseries', 'forecast', out, path, '--steps', '1');
  assert.equal(f.code, 0, f.stderr);
  assert.equal(f.stdout.trim().split('\n')[1]!.split(',')[1], month(50));
  // Long format: each id from its own start, said once.
  const long = join(dir, 'late-long.csv');
  // 'C' has no value at all (a country without the indicator): left out, said once.
  writeFileSync(long, ['id,date,value', ...['A', 'B', 'C'].flatMap((id) => Array.from({ length: 40 }, (_, i) => `${id},${month(i)},${(id === 'B' && i < 5) || id === 'C' ? '' : (10 + Math.sin(i / 2)).toFixed(3)}`))].join('\n') + '\n');
  const m = rnnkit('timeseries', 'train', long, ...args, '--id-column', 'id');
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stderr, /note: 1 series start after their first rows, which have no value and are left out \(not filled\): 'B' on line 47/);
  assert.match(m.stderr, /note: 1 series have no row with a value in every one of 'value' and are left out: 'C'/);
  assert.match(m.stdout, /2 series by 'id'/);
});

test("quarters and ISO weeks as R's tsibble writes them ('1956 Q1', 'Q1 1956', '1991 W06') and EViews months ('1949M01') are dates: a quarter's first day, a week's Monday, a month's first day; quarterly rows step by 3 months; forecast times are written in the file's form", () => {
  const cases: [string, number][] = [
    ['1956 Q1', Date.UTC(1956, 0, 1)],
    ['Q3 1956', Date.UTC(1956, 6, 1)],
    ['2020Q4', Date.UTC(2020, 9, 1)],
    ['2020-q2', Date.UTC(2020, 3, 1)],
    ['1991 W06', Date.UTC(1991, 1, 4)],
    ['1991-W01', Date.UTC(1990, 11, 31)],
    ['2020 W53', Date.UTC(2020, 11, 28)],
    // Months as EViews and statistics offices write them.
    ['1949M01', Date.UTC(1949, 0, 1)],
    ['2020m7', Date.UTC(2020, 6, 1)],
  ];
  for (const [raw, want] of cases) assert.equal(parseTime(raw), want, raw);
  for (const raw of ['2021 W53', '2020 Q5', '1991 W00', '1949M13', '1949M00']) assert.ok(Number.isNaN(parseTime(raw)), raw);
  const eviews = Array.from({ length: 40 }, (_, i) => `${1949 + Math.floor(i / 12)}M${String((i % 12) + 1).padStart(2, '0')}`);
  assert.deepEqual(forecastTimes(csv('eviews-months.csv', 40, (i) => eviews[i]!), 'eviews-model', 2).times, ['1952M05', '1952M06']);
  const quarters = Array.from({ length: 40 }, (_, i) => `${1956 + Math.floor(i / 4)} Q${(i % 4) + 1}`);
  // Forecast times are written as the file writes its periods, so they join back to it.
  assert.deepEqual(forecastTimes(csv('tsibble-quarters.csv', 40, (i) => quarters[i]!), 'quarters-model', 2).times, ['1966 Q1', '1966 Q2']);
  assert.deepEqual(forecastTimes(csv('q-first.csv', 40, (i) => `Q${(i % 4) + 1} ${1956 + Math.floor(i / 4)}`), 'q-first-model', 2).times, ['Q1 1966', 'Q2 1966']);
  assert.deepEqual(forecastTimes(csv('year-month.csv', 40, (i) => `${1949 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`), 'year-month-model', 2).times, ['1952-05', '1952-06']);
  assertUserError(train(csv('not-a-date.csv', 40, (i) => (i === 5 ? 'soon' : quarters[i]!))), 1, /"soon" is not a date \(read: ISO dates and times, .*1956 Q1, 1991 W06/);
});

test("months written as a local midnight in UTC (JavaScript's toISOString: 08:00Z, 07:00Z in summer; +01:00 offsets: the day before at 23:00Z) step by months on their local dates; hourly rows within one day are no months", () => {
  // Los Angeles: midnight is 08:00Z in winter and 07:00Z from March to October (vega's JSON dates).
  const la = (i: number): string => new Date(Date.UTC(2000 + Math.floor(i / 12), i % 12, 1, i % 12 >= 3 && i % 12 <= 9 ? 7 : 8)).toISOString();
  const pathLa = csv('months-la.csv', 36, la);
  assert.equal(la(35), '2002-12-01T08:00:00.000Z');
  // Months on their day, the last row's time of day kept (the old 31-day step gave 2003-03-04).
  assert.deepEqual(forecastTimes(pathLa, 'months-la-model', 3).times, ['2003-01-01T08:00:00.000Z', '2003-02-01T08:00:00.000Z', '2003-03-01T08:00:00.000Z']);
  // Central Europe: local midnight on the 1st is 23:00Z (22:00Z in summer) on the day before.
  const cet = (i: number): string => new Date(Date.UTC(2000 + Math.floor(i / 12), i % 12, 1, i % 12 >= 3 && i % 12 <= 9 ? -2 : -1)).toISOString();
  assert.equal(cet(35), '2002-11-30T23:00:00.000Z');
  assert.deepEqual(forecastTimes(csv('months-cet.csv', 36, cet), 'months-cet-model', 2).times, ['2002-12-31T23:00:00.000Z', '2003-01-31T23:00:00.000Z']);
  assert.deepEqual(timeStep([la(0), la(1), la(5), la(6)].map(Date.parse)), { months: 1 }, 'a step of one month (one of five rows missing: a gap, not a step)');
  assert.deepEqual(timeGaps([0, 1, 2, 3, 5, 6].map((i) => Date.parse(la(i)))), { count: 1, first: 4, steps: 2 });
  // Rows an hour apart within one day keep their step in ms (all on one nearest day would be 0 months).
  const hours = Array.from({ length: 10 }, (_, i) => Date.UTC(2020, 0, 5, 6 + i));
  assert.deepEqual(timeStep(hours), { ms: 3_600_000 });
});

test('hourly counts with the empty hours left out (a sixth of the steps an hour, the median 3 hours) step by the hour; steps with jitter, or too few shortest ones, keep the median', () => {
  // Steps of 1–6 hours, a sixth of them one hour, as a GitHub events file writes only hours with events.
  const stepsH = Array.from({ length: 120 }, (_, i) => [1, 2, 3, 1, 4, 2, 3, 5, 6, 2, 3, 4][i % 12]!);
  const times = stepsH.reduce((t, h) => [...t, t.at(-1)! + h * 3_600_000], [Date.UTC(2015, 0, 1, 1)]);
  assert.ok(stepsH.filter((h) => h === 1).length / stepsH.length < 0.2 && [...stepsH].sort((a, b) => a - b)[60] === 3);
  assert.deepEqual(timeStep(times), { ms: 3_600_000 });
  assert.equal(timeGaps(times)!.first, 2, 'the first step over 1.5 hours is the second');
  assert.equal(timeGaps(times)!.steps, 2);
  // Jitter: no step a multiple of the shortest → the median (about a minute).
  const jitter = Array.from({ length: 50 }, (_, i) => 60_000 * i + ((i * 7919) % 997));
  assert.deepEqual(timeStep(jitter), { ms: [...jitter.slice(1).map((t, i) => t - jitter[i]!)].sort((a, b) => a - b)[24]! });
  // Too few shortest steps (under a tenth): the median, as before.
  const rare = [0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23].map((h) => Date.UTC(2015, 0, 1, h));
  assert.deepEqual(timeStep(rare), { ms: 2 * 3_600_000 });
});

test('train says so when the validation part is shorter than the horizon: no early stopping (the combination is chosen on its rows)', () => {
  const path = csv('short-val.csv', 50);
  const run = (horizon: string): ReturnType<typeof rnnkit> => rnnkit('timeseries', 'train', path, '--target', 'value', '--time-column', 'date', '--lookback', '4', '--horizon', horizon, '--epochs', '2', '--units', '2', '--ensemble', '1', '--baselines', 'none');
  // 50 rows: a validation part of 5 rows.
  const t = run('6');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Note: the validation part \(--validation 0\.1\) is shorter than the horizon \(6 rows\), so it holds no whole window: every epoch ran without early stopping \(what else is chosen on it — the combination's weights, the intervals' calibration, --auto's lookback — scores its rows all the same\)/);
  assert.match(t.stdout, /^Combined with .*\(5 rows × 6 steps\)/m);
  const ok = run('3');
  assert.equal(ok.code, 0, ok.stderr);
  assert.doesNotMatch(ok.stdout, /holds no whole window/);
});
