/**
 * Time columns as files write them, read the same way in Node and in browsers (the CLI's CSVs,
 * the playground's dropped files): which way a column's cells are written (timeCellsKind), each
 * cell as ms since 1970 (parseTimeCells), and gaps in the spacing (timeGaps).
 */
import { isWeekend, monthAnchor, monthsBetween, usualStep, weekdaysOnly } from './calendar.js';

/** A time written with its zone: a Z or an offset after the clock time, or a zone's name. */
export const hasZone = (cell: string): boolean => ZONED.test(cell.trim());
const ZONED = /(\dZ|\d:\d\d(:\d\d(\.\d+)?)?\s*[+-]\d\d(:?\d\d)?|\b(UTC|GMT|UT)([+-]\d\d?(:?\d\d)?)?|\b[ECMP][SD]T)$/i;

/**
 * A date cell as ms since 1970 (NaN when it is not a date). A time without a zone is read as UTC,
 * not as the machine's local time (what Date.parse does with '2010-03-14T02:00:00' or
 * 'Jan 1 2000'): the same file must give the same series on every machine, and hourly rows
 * written in local time would otherwise lose or repeat an hour at each daylight-saving change.
 * ISO dates alone ('2010-03-14', '2010-03') are UTC already; a zone given is kept.
 */
export function parseTime(raw: string): number {
  // Two numbers and no year ('1-01', '3/14'): Date.parse invents one (2001), and a monthly file
  // written year-month as '1-01' (the shampoo-sales data) would be read as days of 2001.
  if (/^\d{1,2}[-/.]\d{1,2}$/.test(raw)) return NaN;
  // Quarters and ISO weeks as R's tsibble writes them ('1956 Q1', 'Q1 1956', '2020Q1'; '1991 W06',
  // '1991-W06'): the quarter's first day, the week's Monday (Date.parse knows neither).
  const yearQ = /^(\d{4})\s*-?\s*Q([1-4])$/i.exec(raw);
  if (yearQ !== null) return Date.UTC(Number(yearQ[1]), 3 * (Number(yearQ[2]) - 1), 1);
  const qYear = /^Q([1-4])\s*-?\s*(\d{4})$/i.exec(raw);
  if (qYear !== null) return Date.UTC(Number(qYear[2]), 3 * (Number(qYear[1]) - 1), 1);
  const week = /^(\d{4})\s*-?\s*W(\d\d)$/i.exec(raw);
  if (week !== null) return isoWeekMonday(Number(week[1]), Number(week[2]));
  // Months as EViews, Eurostat and national statistics offices write them ('1949M01', '2020M7').
  const yearM = /^(\d{4})M(\d{1,2})$/i.exec(raw);
  if (yearM !== null) return Number(yearM[2]) >= 1 && Number(yearM[2]) <= 12 ? Date.UTC(Number(yearM[1]), Number(yearM[2]) - 1, 1) : NaN;
  if (ZONED.test(raw) || /^\d{4}(-\d\d){0,2}$/.test(raw)) return Date.parse(raw);
  if (/^\d{4}-\d\d-\d\dT/.test(raw)) return Date.parse(`${raw}Z`);
  return Date.parse(`${raw} UTC`);
}

/** The Monday of ISO week `w` of `year` (week 1 holds 4 January); NaN for a week the year has not. */
function isoWeekMonday(year: number, w: number): number {
  const DAY = 86_400_000;
  const jan4 = Date.UTC(year, 0, 4);
  const week1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY;
  const t = week1 + (w - 1) * 7 * DAY;
  // A year has 53 weeks when its 4 January + 52 weeks is still in it (the week holding the next 4 January is the next year's week 1).
  const next = Date.UTC(year + 1, 0, 4);
  const nextWeek1 = next - ((new Date(next).getUTCDay() + 6) % 7) * DAY;
  return w >= 1 && t < nextWeek1 ? t : NaN;
}

/** A plain number in a time column (a year, a step count, seconds). */
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * How a column of time cells (trimmed) is read:
 * - 'compact' where every cell is a date written as one integer, YYYYMMDD or YYYYMM
 *   (statsmodels' weekly CO2 `19580329`, many finance and economics files): read as numbers,
 *   their steps (76 from 19580329 to 19580405, 8,924 across a new year) would be reported as
 *   gaps and hide the calendar;
 * - 'number' where every cell is otherwise a number (a year, a step count);
 * - 'dayFirst' / 'monthFirst' where every cell is a numeric date, day and month in some order
 *   before a four-digit year (`13.01.2009 00:10:00` in the Jena climate file of Keras's weather
 *   example, `31/12/1981`, `12/31/1981`), which Date.parse reads month first only — Jena's
 *   2 January became 1 February, and its 13 January no date. Dots are day first (the only use
 *   of them); otherwise a first field over 12 says day first, a second over 12 month first, and
 *   where neither does (the 1st of every month, `01/02/2000`) the reading whose times rise
 *   with fewer gaps, month first on a tie (Date.parse's reading, as before);
 * - else 'date' (parseTime).
 */
export function timeCellsKind(all: readonly string[]): TimeCellsKind {
  // Decided on the cells written: an empty one (a missing time, a blank row) is no date in any reading.
  const cells = all.filter((c) => c !== '');
  if (cells.length > 0 && cells.every((c) => c.length === cells[0]!.length && Number.isFinite(compactDate(c)))) return 'compact';
  if (cells.every((c) => NUMBER.test(c))) return 'number';
  const parts = cells.map((c) => NUMERIC_DATE.exec(c));
  if (parts.length === 0 || parts.some((m) => m === null)) return 'date';
  const ms = parts as RegExpExecArray[];
  if (ms.some((m) => m[2] === '.') || ms.some((m) => Number(m[1]) > 12)) return 'dayFirst';
  if (ms.some((m) => Number(m[3]) > 12)) return 'monthFirst';
  const score = (kind: 'dayFirst' | 'monthFirst'): number => {
    const t = cells.map((c) => numericDate(c, kind === 'dayFirst'));
    if (t.some((v, r) => !Number.isFinite(v) || (r > 0 && v <= t[r - 1]!))) return Infinity;
    return timeGaps(t)?.count ?? 0;
  };
  return score('dayFirst') < score('monthFirst') ? 'dayFirst' : 'monthFirst';
}

export type TimeCellsKind = 'compact' | 'number' | 'dayFirst' | 'monthFirst' | 'date';
const TIME_CELLS_KINDS: readonly TimeCellsKind[] = ['compact', 'number', 'dayFirst', 'monthFirst', 'date'];

/** Day and month (either order) with the same separator, a four-digit year, then optionally a clock time without a zone. */
const NUMERIC_DATE = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d\d)(?::(\d\d(?:\.\d+)?))?)?$/;

/** A NUMERIC_DATE cell as ms since 1970 UTC (times without a zone are UTC, as parseTime reads them); NaN where the day, month or time does not exist. */
function numericDate(raw: string, dayFirst: boolean): number {
  const m = NUMERIC_DATE.exec(raw);
  if (m === null) return NaN;
  const [a, b, year] = [Number(m[1]), Number(m[3]), Number(m[4])];
  const [day, month] = dayFirst ? [a, b] : [b, a];
  const [hh, mm, ss] = [m[5] === undefined ? 0 : Number(m[5]), m[6] === undefined ? 0 : Number(m[6]), m[7] === undefined ? 0 : Number(m[7])];
  if (month < 1 || month > 12 || hh > 23 || mm > 59 || ss >= 60) return NaN;
  const t = Date.UTC(year, month - 1, day, hh, mm, 0) + Math.round(ss * 1000);
  return new Date(t).getUTCDate() === day ? t : NaN;
}

/** YYYYMMDD or YYYYMM (years 1000–2999, a real month and day) as ms since 1970 UTC; NaN for anything else. */
export function compactDate(raw: string): number {
  const m = /^([12]\d{3})(\d\d)(\d\d)?$/.exec(raw);
  if (m === null) return NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
  const t = Date.UTC(year, month - 1, day);
  const d = new Date(t);
  return month >= 1 && month <= 12 && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? t : NaN;
}


/** A cell of a column of that kind as ms since 1970 (or the plain number), NaN where it is not one. */
export function parseTimeCell(raw: string, kind: TimeCellsKind): number {
  if (kind === 'compact') return compactDate(raw);
  if (kind === 'number') return NUMBER.test(raw) ? Number(raw) : NaN;
  if (kind === 'date') return parseTime(raw);
  return numericDate(raw, kind === 'dayFirst');
}

/**
 * A column's cells (trimmed here) as times: its kind (timeCellsKind, unless given: many series
 * of one file read their dates one way, decided on the whole column), and each cell's time (NaN
 * where a cell is not one).
 */
export function parseTimeCells(cells: readonly string[], given?: TimeCellsKind): { kind: TimeCellsKind; times: number[] } {
  if (given !== undefined && !TIME_CELLS_KINDS.includes(given)) throw new RangeError(`parseTimeCells: kind must be one of ${TIME_CELLS_KINDS.join(', ')}, got ${JSON.stringify(given)}`);
  const trimmed = cells.map((c) => c.trim());
  const kind = given ?? timeCellsKind(trimmed);
  return { kind, times: trimmed.map((c) => parseTimeCell(c, kind)) };
}

/** Working days (Monday to Friday) after `a` up to `b`, both on working days. */
function workingDays(a: number, b: number): number {
  const DAY = 86_400_000;
  let n = 0;
  for (let t = a + DAY; t <= b; t += DAY) if (!isWeekend(t)) n++;
  return n;
}

/**
 * Gaps in increasing times: steps longer than 1.5 × the usual one (usualStep, as timeStep reads
 * it; in whole months when the rows fall on one day of their months or on month ends). Null when
 * evenly spaced.
 */
export function timeGaps(times: readonly number[]): { count: number; first: number; steps: number } | null {
  if (times.length < 3) return null;
  // Rows on one day of their months, or on month ends (monthAnchor, as timeStep reads them): steps in months.
  const monthly = monthAnchor(times) !== null;
  // Rows on Monday to Friday only (trading days): steps counted in working days, so weekends are no gaps.
  const weekdays = !monthly && weekdaysOnly(times);
  const steps = times.slice(1).map((t, i) => (monthly ? monthsBetween(times[i]!, t) : weekdays ? workingDays(times[i]!, t) : t - times[i]!));
  const usual = usualStep(steps);
  let count = 0;
  let first = -1;
  let size = 0;
  steps.forEach((s, i) => {
    if (s <= 1.5 * usual) return;
    count++;
    if (first < 0) {
      first = i + 1;
      size = s / usual;
    }
  });
  return count === 0 ? null : { count, first, steps: Math.round(size * 10) / 10 };
}
