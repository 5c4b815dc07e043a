/**
 * The time column of `rnnkit timeseries` CSVs (src/cli/csv.ts): rows must run oldest first
 * (a newest-first file is refused saying so, unsorted or repeated times name their lines),
 * and gaps in the spacing are reported once on stderr.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeGaps } from '../src/cli/csv.js';
import { assertUserError, rnnkit } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-csvtime-'));
/** A monthly CSV of n rows from 2000-01, values a sine; `dates` may replace the dates. */
function csv(name: string, n: number, dates?: (i: number) => string): string {
  const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
  const rows = Array.from({ length: n }, (_, i) => `${(dates ?? month)(i)},${(10 + Math.sin(i / 2)).toFixed(3)}`);
  const path = join(dir, name);
  writeFileSync(path, ['date,value', ...rows].join('\n') + '\n');
  return path;
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
  assertUserError(train(csv('twice.csv', 40, (i) => `${2000 + Math.floor(Math.min(i, 38) / 12)}-${String((Math.min(i, 38) % 12) + 1).padStart(2, '0')}-01`)), 1, /line 41 has the same time as line 40/);
  const gap = train(csv('gap.csv', 40, (i) => { const m = i < 20 ? i : i + 2; return `${2000 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`; }));
  assert.equal(gap.code, 0, gap.stderr);
  const warnings = gap.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  assert.equal(warnings.length, 1, gap.stderr);
  assert.match(warnings[0]!, /column 'date' has 1 gap in time \(the first before line 22, 3 steps after the previous row\)/);
  const even = train(csv('even.csv', 40));
  assert.equal(even.code, 0, even.stderr);
  assert.doesNotMatch(even.stderr, /warning/);
});
