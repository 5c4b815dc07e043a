/**
 * Calendar covariates: Fourier terms (sin/cos pairs) of where each row's time falls in the
 * year, the week and the day. A network that sees only past values must infer the season's
 * phase from them; given the phase it no longer has to (on Seattle's daily temperatures the
 * day of the year alone lowered the test MAE from 3.0 to 2.9). Browser-safe.
 *
 * Phases (UTC): year — the fraction of the calendar year elapsed (for monthly rows: month/12,
 * so every January has the same value whatever the month lengths); week — days since Monday
 * 00:00 / 7; day — the fraction of the day elapsed. Harmonic h of a period adds
 * sin(2πh·phase), cos(2πh·phase).
 */
import { checkOptions, show } from '../core/errors.js';

export type CalendarPeriod = 'year' | 'week' | 'day';

export interface CalendarTerm {
  period: CalendarPeriod;
  /** Sin/cos pairs (harmonics 1…n). */
  harmonics: number;
}

/** How the rows are spaced (used to extend the times past the last row) and the terms. */
export interface CalendarSpec {
  /**
   * Whole months between rows (calendar-monthly data, or quarterly, yearly: every row on the same
   * day of its month, or `end`: on the last day of its month — pandas' month-end and fiscal
   * year-end dates), or else a fixed step in milliseconds; `weekdays`: daily rows on Monday to
   * Friday only (a market's trading days), so the step after a Friday is the Monday.
   */
  step: { months: number; end?: true } | { ms: number; weekdays?: true };
  terms: CalendarTerm[];
}

const PERIODS: readonly CalendarPeriod[] = ['year', 'week', 'day'];
const DAY = 86_400_000;

/**
 * Default harmonics of the detected periods. Chosen on the validation parts of the two
 * built-in series (tools/forecastQuality.ts): one pair each was as good as two or three.
 */
export const CALENDAR_HARMONICS: Readonly<Record<CalendarPeriod, number>> = { year: 1, week: 1, day: 1 };

/** Times as ms since 1970 (numbers or Dates), one per row, finite and increasing. */
export function checkTimes(times: unknown, rows: number, where: string): Float64Array {
  if (!Array.isArray(times) && !(times instanceof Float64Array)) throw new TypeError(`${where}: times must be an array of dates or ms since 1970 (one per row), got ${show(times)}`);
  const arr = times as ArrayLike<unknown>;
  if (arr.length !== rows) throw new RangeError(`${where}: ${arr.length} times for ${rows} rows; give one time per row`);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = arr[i];
    const t = v instanceof Date ? v.getTime() : v;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new RangeError(`${where}: time ${i} is ${show(v)}, not a date or a finite number of ms`);
    if (i > 0 && !(t > out[i - 1]!)) throw new RangeError(`${where}: time ${i} is not after time ${i - 1}; the rows must run oldest first`);
    out[i] = t;
  }
  return out;
}

/** The last day of t's month (UTC). */
const lastDayOfMonth = (d: Date): number => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();

/**
 * t moved to the nearest midnight UTC: the date a row of monthly data stands for. Dates written as
 * a local midnight keep their local date: 2000-01-01T08:00:00.000Z (JavaScript's toISOString in
 * California, vega's JSON files; 07:00 in summer) and 1999-12-31T23:00:00Z (+01:00) are 1 January.
 */
export const nearestDay = (t: number): number => Math.round(t / DAY) * DAY;

/** The most daylight saving moves a local time of day (2 hours: Antarctica's Troll station; elsewhere 1 or ½). */
const DST_SHIFT_MAX = 2 * 3_600_000;

/**
 * How rows at whole months fall in their months, each read on its nearest day (nearestDay): 'day'
 * — one day of the month, at most the 28th (the 1st: FRED's monthly dates); 'end' — the last day
 * of its month (pandas' month-end dates, fiscal years ending 30 September); else null. Every row
 * must be at one time of day, give or take the hours daylight saving moves it, and four weeks or
 * more after the one before (rows hours apart within a day are no months).
 */
export function monthAnchor(times: ArrayLike<number>): 'day' | 'end' | null {
  if (times.length === 0) return null;
  const timeOfDay = (t: number): number => ((t % DAY) + DAY) % DAY;
  const clock0 = timeOfDay(times[0]!);
  const day0 = new Date(nearestDay(times[0]!)).getUTCDate();
  let sameDay = day0 <= 28;
  let ends = true;
  for (let i = 0; i < times.length && (sameDay || ends); i++) {
    const off = Math.abs(timeOfDay(times[i]!) - clock0);
    if (Math.min(off, DAY - off) > DST_SHIFT_MAX) return null;
    // Rows less than four weeks apart (or not in order) are no months, whatever their days.
    if (i > 0 && nearestDay(times[i]!) - nearestDay(times[i - 1]!) < 28 * DAY) return null;
    const d = new Date(nearestDay(times[i]!));
    if (d.getUTCDate() !== day0) sameDay = false;
    if (d.getUTCDate() !== lastDayOfMonth(d)) ends = false;
  }
  return sameDay ? 'day' : ends ? 'end' : null;
}

/** Whole months from a to b (UTC calendar months of their nearest days). */
export const monthsBetween = (a: number, b: number): number => {
  const x = new Date(nearestDay(a));
  const y = new Date(nearestDay(b));
  return (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + y.getUTCMonth() - x.getUTCMonth();
};

/**
 * The row spacing: whole months when the rows fall on one day of their months or on their last
 * days (monthAnchor; month-end rows keep to month ends), else working days (weekdaysOnly), else
 * the median step in ms.
 */
export function timeStep(times: ArrayLike<number>): CalendarSpec['step'] {
  const n = times.length;
  if (n < 2) throw new RangeError('calendar: at least two times are needed to tell the spacing of the rows');
  const anchor = monthAnchor(times);
  if (anchor !== null) {
    const steps: number[] = [];
    for (let i = 1; i < n; i++) steps.push(monthsBetween(times[i - 1]!, times[i]!));
    const m = usualStep(steps);
    // A guard: monthAnchor's four weeks between rows leave no step of 0 months.
    if (m > 0) return anchor === 'end' ? { months: m, end: true } : { months: m };
  }
  if (weekdaysOnly(times)) return { ms: DAY, weekdays: true };
  const steps: number[] = [];
  for (let i = 1; i < n; i++) steps.push(times[i]! - times[i - 1]!);
  return { ms: usualStep(steps) };
}

/**
 * The rows' usual spacing from the steps between them: the shortest step where at least a tenth
 * of the steps are that long and every step is a whole number of them (hourly counts with the
 * empty hours left out: a GitHub file's 27% of steps an hour, the median 3 hours), else the median step
 * (times with jitter, where steps are no multiples of one another). With few gaps both are the
 * median.
 */
export function usualStep(steps: readonly number[]): number {
  const sorted = [...steps].sort((p, q) => p - q);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const shortest = sorted.find((s) => s > 0);
  if (shortest === undefined) return median;
  let count = 0;
  for (const s of sorted) {
    if (s % shortest !== 0) return median;
    if (s === shortest) count++;
  }
  return count >= 0.1 * steps.length ? shortest : median;
}

/** A Saturday or Sunday (UTC). */
export const isWeekend = (t: number): boolean => {
  const wd = new Date(t).getUTCDay();
  return wd === 0 || wd === 6;
};

/**
 * Daily rows on working days only — Monday to Friday, as stock prices and exchange rates are
 * published: at most 1% of the rows on a Saturday or Sunday, most steps one day, and at least two
 * Friday-to-Monday steps (so a few weeks of rows). Their weekends are no gaps, and the rows after a Friday fall on
 * the Monday.
 */
export function weekdaysOnly(times: ArrayLike<number>): boolean {
  const n = times.length;
  let oneDay = 0;
  let weekends = 0;
  let weekendRows = 0;
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    // A rare weekend session (the NSE's Diwali trading on a Sunday) keeps a series one of working days.
    if (isWeekend(t) && ++weekendRows > n / 100) return false;
    if (i === 0) continue;
    const d = t - times[i - 1]!;
    if (d === DAY) oneDay++;
    else if (d === 3 * DAY && new Date(t).getUTCDay() === 1) weekends++;
  }
  return weekends >= 2 && oneDay >= (n - 1) / 2;
}

/**
 * The periods worth modelling at a spacing: hourly (or finer) rows — day and week; daily —
 * year and week; weekly to monthly — year; coarser — none (a year would be one or two rows).
 */
export function detectCalendar(times: ArrayLike<number>, harmonics: Partial<Record<CalendarPeriod, number>> = {}): CalendarSpec {
  const step = timeStep(times);
  const stepDays = 'months' in step ? step.months * 30.44 : step.ms / DAY;
  const periods: CalendarPeriod[] = stepDays < 1 ? ['day', 'week'] : stepDays < 1.5 ? ['year', 'week'] : stepDays <= 31 * 1.5 ? ['year'] : [];
  return { step, terms: periods.map((period) => ({ period, harmonics: harmonics[period] ?? CALENDAR_HARMONICS[period] })) };
}

/** A row spacing as timeStep gives it (saved with a model, so read as untrusted): {months [, end]}, {ms} or working days. */
export function checkTimeStep(st: unknown, where: string): CalendarSpec['step'] {
  const bad = (): RangeError => new RangeError(`${where} must be {months: a positive integer [, end: true]}, {ms: a positive number} or {ms: 86400000, weekdays: true}, got ${show(st)}`);
  if (st === null || typeof st !== 'object' || Array.isArray(st)) throw bad();
  const o = st as Record<string, unknown>;
  const keys = Object.keys(o);
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (keys.length === 1 && keys[0] === 'months' && ok(o.months) && Number.isInteger(o.months)) return { months: o.months };
  if (keys.length === 2 && keys.includes('months') && keys.includes('end') && ok(o.months) && Number.isInteger(o.months) && o.end === true) return { months: o.months, end: true };
  if (keys.length === 1 && keys[0] === 'ms' && ok(o.ms)) return { ms: o.ms };
  if (keys.length === 2 && keys.includes('ms') && keys.includes('weekdays') && o.ms === DAY && o.weekdays === true) return { ms: DAY, weekdays: true };
  throw bad();
}

/** Check a calendar spec (from the caller or a saved model); returns a copy. */
export function checkCalendarSpec(spec: unknown, where: string): CalendarSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new TypeError(`${where}: calendar must be 'auto', false or {step, terms}, got ${show(spec)}`);
  const c = spec as Partial<CalendarSpec>;
  checkOptions(c, ['step', 'terms'], where);
  const step = checkTimeStep(c.step, `${where}: calendar.step`);
  if (!Array.isArray(c.terms)) throw new TypeError(`${where}: calendar.terms must be an array of {period, harmonics}, got ${show(c.terms)}`);
  const seen = new Set<string>();
  const terms = c.terms.map((t: unknown, i: number) => {
    const w = `${where}: calendar.terms[${i}]`;
    if (t === null || typeof t !== 'object') throw new TypeError(`${w} must be {period, harmonics}, got ${show(t)}`);
    checkOptions(t as object, ['period', 'harmonics'], w);
    const { period, harmonics } = t as CalendarTerm;
    if (!PERIODS.includes(period)) throw new RangeError(`${w}.period must be one of ${PERIODS.join(', ')}, got ${show(period)}`);
    if (seen.has(period)) throw new RangeError(`${w}: period '${period}' appears twice`);
    seen.add(period);
    if (!Number.isInteger(harmonics) || harmonics < 1 || harmonics > 12) throw new RangeError(`${w}.harmonics must be an integer in 1…12, got ${show(harmonics)}`);
    return { period, harmonics };
  });
  return { step, terms };
}

/** Number of covariate columns a spec makes (2 per harmonic). */
export function calendarWidth(spec: CalendarSpec | null): number {
  return spec === null ? 0 : spec.terms.reduce((a, t) => a + 2 * t.harmonics, 0);
}

/** The times of `steps` rows after `last`, by the spec's step. */
export function extendTimes(step: CalendarSpec['step'], last: number, steps: number): number[] {
  if ('ms' in step && step.weekdays === true) {
    let t = last;
    return Array.from({ length: steps }, () => {
      do t += DAY;
      while (isWeekend(t));
      return t;
    });
  }
  // Months are counted on the last row's nearest day, its time of day kept (a local midnight
  // written in UTC stays one: 1999-12-31T23:00Z, then 2000-01-31T23:00Z).
  const day = nearestDay(last);
  return Array.from({ length: steps }, (_, i) => {
    if ('ms' in step) return last + step.ms * (i + 1);
    const d = new Date(day);
    // Month ends stay month ends (31 May + 1 month is 30 June, not 1 July).
    if (step.end === true) return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + step.months * (i + 1) + 1, 0) + (last - day);
    d.setUTCMonth(d.getUTCMonth() + step.months * (i + 1));
    return d.getTime() + (last - day);
  });
}

function phase(period: CalendarPeriod, t: number, monthly: boolean): number {
  if (period === 'year' && monthly) {
    const d = new Date(nearestDay(t));
    return (d.getUTCMonth() + (d.getUTCDate() - 1) / 31) / 12;
  }
  const d = new Date(t);
  if (period === 'year') {
    const y = d.getUTCFullYear();
    const start = Date.UTC(y, 0, 1);
    return (t - start) / (Date.UTC(y + 1, 0, 1) - start);
  }
  if (period === 'week') {
    // 1970-01-01 was a Thursday: +3 days puts Monday 00:00 at phase 0.
    const days = t / DAY + 3;
    return (((days % 7) + 7) % 7) / 7;
  }
  return (((t % DAY) + DAY) % DAY) / DAY;
}

/** Covariates [times.length · width], row-major, in the order of spec.terms (sin, cos per harmonic). */
export function calendarFeatures(spec: CalendarSpec, times: ArrayLike<number>): Float64Array {
  const W = calendarWidth(spec);
  const n = times.length;
  const out = new Float64Array(n * W);
  const monthly = 'months' in spec.step;
  for (let r = 0; r < n; r++) {
    let c = 0;
    for (const term of spec.terms) {
      const p = phase(term.period, times[r]!, monthly);
      for (let h = 1; h <= term.harmonics; h++) {
        out[r * W + c++] = Math.sin(2 * Math.PI * h * p);
        out[r * W + c++] = Math.cos(2 * Math.PI * h * p);
      }
    }
  }
  return out;
}
