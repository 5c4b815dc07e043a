/**
 * CSV tables for `rnnkit timeseries`, parsed with csv-parse (quoted fields with commas and
 * newlines, a BOM, CRLF — the cases a hand-written split gets wrong) and turned into numeric
 * columns with every problem reported by its line number in the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { decodeText } from './textFile.js';
import { parse } from 'csv-parse/sync';
import { fillGaps, type FillMethod, type Series } from '../index.js';
import { CliError } from './args.js';

export interface Table {
  file: string;
  header: string[];
  rows: string[][];
  /** File line (1-based) where each row starts. */
  lines: number[];
  /** The field separator, read from the header line (see detectDelimiter). */
  delimiter: Delimiter;
}

export type Delimiter = ',' | ';' | '\t';

/**
 * The field separator of a file from its header line: a tab where the header holds tabs (a TSV
 * export), else a semicolon where it holds more semicolons than commas (a spreadsheet saved in a
 * locale whose decimal mark is the comma), else a comma. Characters inside double quotes do not count.
 */
export function detectDelimiter(text: string): Delimiter {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text.replace(/^\uFEFF/, '')) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch as Delimiter]++;
  }
  if (counts['\t'] > 0 && counts['\t'] >= counts[','] && counts['\t'] >= counts[';']) return '\t';
  return counts[';'] > counts[','] ? ';' : ',';
}

export async function readTable(file: string): Promise<Table> {
  let bytes: Uint8Array;
  try {
    if ((await stat(file)).isDirectory()) throw new CliError(`${file} is a directory, not a CSV file`);
    bytes = await readFile(file);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(e as Error).message}`);
  }
  const text = decodeText(bytes, file);
  let records: { record: string[]; info: { lines: number } }[];
  const delimiter = detectDelimiter(text);
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, info: true, delimiter }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    throw new CliError(`${file}: not valid CSV: ${(e as Error).message.split('\n')[0]}`);
  }
  if (records.length === 0) throw new CliError(`${file} is empty`);
  const [head, ...body] = records;
  // info.lines: the file line where the record ends (its only line unless a quoted field spans lines).
  return { file, header: head!.record, rows: body.map((r) => r.record), lines: body.map((r) => r.info.lines), delimiter };
}

export function columnIndex(table: Table, name: string, option: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) {
    // A header field that is also a value of its column below (a label like 'ham'): the file has no header line.
    const asData = table.header.findIndex((h, c) => h !== '' && table.rows.some((r) => r[c] === h));
    const hint = asData < 0 ? '' : ` (the first line is read as the header, but ${JSON.stringify(table.header[asData])} is also a value of its column below: if the file has no header line, add one naming the columns)`;
    throw new CliError(`${option} ${JSON.stringify(name)}: no such column in ${table.file}; columns: ${table.header.join(', ')}${hint}`);
  }
  return i;
}

/**
 * Cells that mean "no value" (compared in lower case): R's NA, Excel's #N/A, Python's None and
 * nan, FRED's '.', the UCI repository's '?' and a lone dash.
 */
const MISSING = new Set(['', 'na', 'n/a', '#n/a', 'nan', 'null', 'none', '.', '?', '-']);

/** A number written with a decimal comma (3,14 or -0,5e3): what semicolon-separated files hold. */
const DECIMAL_COMMA = /^[-+]?\d+,\d+([eE][-+]?\d+)?$/;
/** 1,234 or 1,234,567.5: a number with thousands separators, which is refused with a hint. */
const THOUSANDS = /^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$/;

/**
 * Numeric columns (in the order of `names`) as a series. Non-numbers are refused by line and
 * column; missing values (MISSING: empty, NA, NaN, null, '.', '?', …) are gaps, refused unless `fill` is given. In a
 * semicolon-separated file a decimal comma is read as the decimal point (3,14 is 3.14), and a
 * column that also holds a point (1.234: a thousands separator there?) is refused; in a comma-
 * or tab-separated file "3,14" is refused.
 */
export function numericSeries(table: Table, names: readonly string[], option: string, fill?: FillMethod): Series {
  const idx = names.map((n) => columnIndex(table, n, option));
  const C = names.length;
  const data = new Float64Array(table.rows.length * C);
  // Per column in a semicolon file, the first line written with a decimal comma and with a point:
  // both in one column is refused, since there the point may be a thousands separator (1.234 for 1234).
  const marks = names.map(() => ({ comma: -1, point: -1 }));
  table.rows.forEach((row, r) => {
    idx.forEach((ci, c) => {
      const raw = (row[ci] ?? '').trim();
      if (MISSING.has(raw.toLowerCase())) {
        if (fill === undefined) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${names[c]}': missing value (use --fill previous or --fill linear to fill gaps)`);
        data[r * C + c] = NaN;
        return;
      }
      const comma = table.delimiter === ';' && DECIMAL_COMMA.test(raw);
      const v = Number(comma ? raw.replace(',', '.') : raw);
      if (!Number.isFinite(v)) {
        const hint = THOUSANDS.test(raw)
          ? ' (thousands separators are not read: write 1234.5, not 1,234.5)'
          : DECIMAL_COMMA.test(raw)
            ? ' (a decimal comma is read only in a semicolon-separated file)'
            : '';
        throw new CliError(`${table.file}: line ${table.lines[r]}, column '${names[c]}': ${JSON.stringify(raw)} is not a number${hint}`);
      }
      if (table.delimiter === ';') {
        const m = marks[c]!;
        if (comma && m.comma < 0) m.comma = r;
        if (!comma && raw.includes('.') && m.point < 0) m.point = r;
        if (m.comma >= 0 && m.point >= 0) {
          throw new CliError(`${table.file}: column '${names[c]}' has a decimal comma (line ${table.lines[m.comma]}: ${JSON.stringify(table.rows[m.comma]![ci])}) and a point (line ${table.lines[m.point]}: ${JSON.stringify(table.rows[m.point]![ci])}); in a semicolon-separated file the point may group thousands — write every number one way`);
        }
      }
      data[r * C + c] = v;
    });
  });
  const s = { rows: table.rows.length, columns: C, data };
  return fill === undefined ? s : fillGaps(s, fill, names);
}

/** A time written with its zone: a Z or an offset after the clock time, or a zone's name. */
const ZONED = /(\dZ|\d:\d\d(:\d\d(\.\d+)?)?\s*[+-]\d\d(:?\d\d)?|\b(UTC|GMT|UT)([+-]\d\d?(:?\d\d)?)?|\b[ECMP][SD]T)$/i;

/**
 * A date cell as ms since 1970 (NaN when it is not a date). A time without a zone is read as UTC,
 * not as the machine's local time (what Date.parse does with '2010-03-14T02:00:00' or
 * 'Jan 1 2000'): the same file must give the same series on every machine, and hourly rows
 * written in local time would otherwise lose or repeat an hour at each daylight-saving change.
 * ISO dates alone ('2010-03-14', '2010-03') are UTC already; a zone given is kept.
 */
export function parseTime(raw: string): number {
  if (ZONED.test(raw) || /^\d{4}(-\d\d){0,2}$/.test(raw)) return Date.parse(raw);
  if (/^\d{4}-\d\d-\d\dT/.test(raw)) return Date.parse(`${raw}Z`);
  return Date.parse(`${raw} UTC`);
}

/**
 * The time column as numbers (dates as ms since 1970, or plain numbers). The rows must run
 * oldest first with no time twice (a newest-first file is refused, saying so); gaps in the
 * spacing are reported once per table on stderr, since the forecaster reads rows as evenly
 * spaced steps.
 */
export function timeColumn(table: Table, name: string): number[] {
  const i = columnIndex(table, name, '--time-column');
  const kind = timeKind(table, i);
  const times = table.rows.map((row, r) => {
    const raw = (row[i] ?? '').trim();
    const t = kind === 'compact' ? compactDate(raw) : kind === 'number' ? Number(raw) : kind === 'date' ? parseTime(raw) : numericDate(raw, kind === 'dayFirst');
    if (!Number.isFinite(t)) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${name}': ${JSON.stringify(raw)} is not a date`);
    return t;
  });
  checkTimeOrder(table, name, times);
  if (!gapsReported.has(table)) {
    gapsReported.add(table);
    const gap = timeGaps(times);
    if (gap !== null) {
      process.stderr.write(
        `warning: ${table.file}: column '${name}' has ${gap.count} gap${gap.count > 1 ? 's' : ''} in time (the first before line ${table.lines[gap.first]}, ${gap.steps} steps after the previous row); the forecaster treats the rows as evenly spaced — add the missing rows (with --fill) for an exact calendar\n`,
      );
    }
  }
  return times;
}

const gapsReported = new WeakSet<Table>();

/** A plain number in a time column (a year, a step count, seconds). */
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * How a time column is read:
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
function timeKind(table: Table, i: number): TimeKind {
  const cells = table.rows.map((row) => (row[i] ?? '').trim());
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

type TimeKind = 'compact' | 'number' | 'dayFirst' | 'monthFirst' | 'date';

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

/** Whether a time column holds dates (written as dates, or compact YYYYMMDD / YYYYMM integers), not plain numbers. */
export function isDateColumn(table: Table, name: string): boolean {
  return timeKind(table, columnIndex(table, name, '--time-column')) !== 'number';
}

function checkTimeOrder(table: Table, name: string, times: readonly number[]): void {
  const where = `${table.file}: column '${name}'`;
  if (times.length > 1 && times.every((t, r) => r === 0 || t < times[r - 1]!)) {
    throw new CliError(`${where}: the rows run newest first; the forecaster needs them oldest first (reverse the rows, e.g. keep the header and pipe the rest through tac)`);
  }
  for (let r = 1; r < times.length; r++) {
    if (times[r]! > times[r - 1]!) continue;
    const what = times[r] === times[r - 1] ? 'has the same time as' : 'is earlier than';
    throw new CliError(`${where}: line ${table.lines[r]} ${what} line ${table.lines[r - 1]}; sort the rows by time, oldest first`);
  }
}

/**
 * Gaps in increasing times: steps longer than 1.5 × the usual one (the median; in whole
 * months when every time is the first of a month at midnight UTC). Null when evenly spaced.
 */
export function timeGaps(times: readonly number[]): { count: number; first: number; steps: number } | null {
  if (times.length < 3) return null;
  const d = times.map((t) => new Date(t));
  const monthly = d.every((x) => x.getUTCDate() === 1 && x.getUTCHours() === 0 && x.getUTCMinutes() === 0 && x.getUTCSeconds() === 0);
  const steps = times.slice(1).map((t, i) => (monthly ? (d[i + 1]!.getUTCFullYear() - d[i]!.getUTCFullYear()) * 12 + d[i + 1]!.getUTCMonth() - d[i]!.getUTCMonth() : t - times[i]!));
  const usual = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]!;
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
