/**
 * CSV tables for `rnnkit timeseries`, parsed with csv-parse (quoted fields with commas and
 * newlines, a BOM, CRLF — the cases a hand-written split gets wrong) and turned into numeric
 * columns with every problem reported by its line number in the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { decodeText } from './textFile.js';
import { parse } from 'csv-parse/sync';
import { fillGaps, parseTimeCells, timeCellsKind, timeGaps, weekdaysOnly, type FillMethod, type Series, type TimeCellsKind } from '../index.js';
import { CliError } from './args.js';

export interface Table {
  file: string;
  header: string[];
  rows: string[][];
  /** File line (1-based) where each row starts. */
  lines: number[];
  /** The field separator, read from the header line (see detectDelimiter). */
  delimiter: Delimiter;
  /** For one series of a long-format file: the --id-column its rows share. */
  idColumn?: string;
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
  const read = (quote: boolean | 'relaxed'): typeof records =>
    parse(text, { bom: true, skip_empty_lines: true, trim: true, info: true, delimiter, ...(quote === false ? { quote: false } : quote === 'relaxed' ? { relax_quotes: true } : {}) }) as unknown as typeof records;
  try {
    records = read(true);
  } catch (e) {
    const code = String((e as { code?: unknown }).code);
    const first = (e as Error).message.split('\n')[0]!;
    if (delimiter !== '\t' && code === 'INVALID_OPENING_QUOTE') {
      // A quote inside a field that does not start with one (banking77's ` Where can I use my
      // card?",card_acceptance`) is a literal character to Python's csv and to pandas: read so.
      try {
        records = read('relaxed');
      } catch {
        throw new CliError(`${file}: not valid CSV: ${first}`);
      }
      const line = /at line (\d+)/.exec(first)?.[1];
      process.stderr.write(`note: ${file}: a quote inside a field that does not start with one read as a literal character (first on line ${line ?? '?'}), as Python's csv reads it\n`);
    } else {
      // Tab-separated files have no quoting rule (IANA's text/tab-separated-values): a field may
      // hold a literal quote, as the UCI SMS Spam Collection's messages do. Read as they are.
      // Only a quoting error is retried: any other stays the refusal it was.
      if (delimiter !== '\t' || !/QUOTE/.test(code)) throw new CliError(`${file}: not valid CSV: ${first}`);
      try {
        records = read(false);
      } catch {
        throw new CliError(`${file}: not valid tab-separated text: ${first}`);
      }
      process.stderr.write(`note: ${file}: read without quoting (a tab-separated file whose fields hold literal quotes)\n`);
    }
  }
  if (records.length === 0) throw new CliError(`${file} is empty`);
  const [head, ...all] = records;
  // Records of separators only (';;;;' — spreadsheets export the rows they once formatted, and
  // UCI's AirQuality file ends with 114 of ';;…;,,,,,') are no data: skipped, and said, so they
  // never become filled values or missing-value errors.
  const blankRecord = (r: (typeof records)[number]): boolean => r.record.every((f) => /^[,;\s]*$/.test(f));
  // The header again in the body (files joined with `cat`, scraped pages): no data, or a label
  // column would gain a class named after itself.
  const headerAgain = (r: (typeof records)[number]): boolean => r.record.length === head!.record.length && r.record.every((f, i) => f === head!.record[i]);
  const body = all.filter((r) => !blankRecord(r) && !headerAgain(r));
  for (const [test, what] of [[blankRecord, 'with every field empty'], [headerAgain, 'repeating the header']] as const) {
    const skipped = all.filter(test);
    if (skipped.length > 0) process.stderr.write(`note: ${file}: ${skipped.length} row${skipped.length > 1 ? 's' : ''} ${what} skipped (the first on line ${skipped[0]!.info.lines})\n`);
  }
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

/**
 * The table from the first row where every one of `names` has a value: a series that starts
 * after the file's first row (FRED's house-price index, 12 years younger than the file's other
 * series) has not begun there, and --fill would have back-filled its first value over those
 * years. Null when no row is left out; every row when none has every value.
 */
export function dropLeadingMissing(table: Table, names: readonly string[]): { table: Table; dropped: number } | null {
  const idx = names.map((n) => table.header.indexOf(n)).filter((i) => i >= 0);
  const found = table.rows.findIndex((row) => idx.every((i) => !MISSING.has((row[i] ?? '').trim().toLowerCase())));
  // No row with every value: all of them left out (the caller decides what an empty series means).
  const first = found < 0 ? table.rows.length : found;
  if (first === 0) return null;
  return { table: { ...table, rows: table.rows.slice(first), lines: table.lines.slice(first) }, dropped: first };
}

/** A number written with a decimal comma (3,14 or -0,5e3): what semicolon-separated files hold. */
const DECIMAL_COMMA = /^[-+]?\d+,\d+([eE][-+]?\d+)?$/;
/** 1,234 or 1,234,567.5: a number with thousands separators (0,125 is not one). */
const THOUSANDS = /^[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$/;

/**
 * Numeric columns (in the order of `names`) as a series. Non-numbers are refused by line and
 * column; missing values (MISSING: empty, NA, NaN, null, '.', '?', …) are gaps, refused unless `fill` is given. In a
 * semicolon-separated file a decimal comma is read as the decimal point (3,14 is 3.14), and a
 * column that also holds a point (1.234: a thousands separator there?) is refused; in a comma-
 * or tab-separated file "3,14" is refused, and commas grouping thousands ("2,146") are read
 * where every number with a comma in the column is written so.
 */
export function numericSeries(table: Table, names: readonly string[], option: string, fill?: FillMethod): Series {
  const idx = names.map((n) => columnIndex(table, n, option));
  const C = names.length;
  const data = new Float64Array(table.rows.length * C);
  // Per column in a semicolon file, the first line written with a decimal comma and with a point:
  // both in one column is refused, since there the point may be a thousands separator (1.234 for 1234).
  const marks = names.map(() => ({ comma: -1, point: -1 }));
  // In a comma- or tab-separated file a decimal comma is never read, so a column whose every number
  // with a comma groups thousands (2,146 and 1,234.5: Investing.com and Excel exports, quoted) is
  // read without them; one other comma in the column ("12,5") and it is refused, as before.
  const grouped = idx.map((ci) => {
    if (table.delimiter === ';') return false;
    const commas = table.rows.map((row) => (row[ci] ?? '').trim()).filter((v) => v.includes(','));
    return commas.length > 0 && commas.every((v) => THOUSANDS.test(v));
  });
  grouped.forEach((g, c) => {
    if (g) process.stderr.write(`note: ${table.file}: column '${names[c]}' groups thousands with commas (1,234); read without them\n`);
  });
  // A column of TRUE/FALSE only (a holiday flag, as R and pandas write logicals) is a 1/0 covariate.
  const flags = idx.map((ci) => {
    const cells = table.rows.map((row) => (row[ci] ?? '').trim().toLowerCase()).filter((v) => !MISSING.has(v));
    return cells.length > 0 && cells.every((v) => v === 'true' || v === 'false');
  });
  flags.forEach((f, c) => {
    if (f) process.stderr.write(`note: ${table.file}: column '${names[c]}' holds TRUE/FALSE; read as 1/0\n`);
  });
  table.rows.forEach((row, r) => {
    idx.forEach((ci, c) => {
      const raw = (row[ci] ?? '').trim();
      if (MISSING.has(raw.toLowerCase())) {
        if (fill === undefined) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${names[c]}': missing value (use --fill previous or --fill linear to fill gaps)`);
        data[r * C + c] = NaN;
        return;
      }
      if (flags[c]) {
        data[r * C + c] = raw.toLowerCase() === 'true' ? 1 : 0;
        return;
      }
      const comma = table.delimiter === ';' && DECIMAL_COMMA.test(raw);
      const v = Number(comma ? raw.replace(',', '.') : grouped[c] ? raw.replace(/,/g, '') : raw);
      if (!Number.isFinite(v)) {
        const hint = THOUSANDS.test(raw)
          ? ' (thousands separators are read only where every number with a comma in the column groups thousands, in a comma- or tab-separated file: write 1234.5)'
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
  if (fill === undefined) return s;
  // Said per column: filled values are scored as data in the test part, as the file's own would be.
  names.forEach((n, c) => {
    let count = 0;
    let last = -1;
    for (let r = 0; r < s.rows; r++) if (Number.isNaN(data[r * C + c]!)) (count++, (last = r));
    if (count > 0) process.stderr.write(`note: ${table.file}: column '${n}': ${count} missing value${count > 1 ? 's' : ''} filled (--fill ${fill}; the last on line ${table.lines[last]}); they are scored as data where they fall in the test part\n`);
  });
  return fillGaps(s, fill, names);
}

/**
 * The time column as numbers (dates as ms since 1970, or plain numbers). The rows must run
 * oldest first with no time twice (a newest-first file is refused, saying so); gaps in the
 * spacing are reported once per table on stderr, since the forecaster reads rows as evenly
 * spaced steps.
 */
export function timeColumn(table: Table, name: string, kind?: TimeCellsKind): number[] {
  const cells = timeCells(table, name);
  const { times } = parseTimeCells(cells, kind);
  times.forEach((t, r) => {
    if (Number.isFinite(t)) return;
    const raw = cells[r]!.trim();
    const why = raw === '' ? 'no time (an empty cell)' : /^\d{1,2}[-/.]\d{1,2}$/.test(raw) ? `${JSON.stringify(raw)} has no year (two numbers: a day and month, or a year and month written short); write the full date, e.g. 2001-01` : `${JSON.stringify(raw)} is not a date (read: ISO dates and times, 31/12/1981, 12/31/1981, 13.01.2009 10:00, Jan 1 2000, 1987 Jan, 19580329, 1956 Q1, 1991 W06, 1949M01, or plain numbers such as years)`;
    throw new CliError(`${table.file}: line ${table.lines[r]}, column '${name}': ${why}`);
  });
  checkTimeOrder(table, name, times);
  if (!gapsReported.has(table)) {
    gapsReported.add(table);
    const gap = timeGaps(times);
    if (gap !== null) {
      const where = `(the first before line ${table.lines[gap.first]}, ${gap.steps} steps after the previous row)`;
      // Working days without a row are most often holidays of an exchange: no rows to add there.
      const advice = weekdaysOnly(times)
        ? `${gap.count} working day${gap.count > 1 ? 's' : ''} without a row ${where}: exchange holidays if these are trading days, and then nothing is missing; the forecaster treats the rows as evenly spaced, as trading days are`
        : `${gap.count} gap${gap.count > 1 ? 's' : ''} in time ${where}; the forecaster treats the rows as evenly spaced — add the missing rows (with --fill) for an exact calendar`;
      process.stderr.write(`warning: ${table.file}: column '${name}' has ${advice}\n`);
    }
  }
  return times;
}

/** The columns a column option names: the one of that name, else the names between its commas (a composite --id-column such as `store,item`; --time-column's `Date,Time`). */
export function commaColumns(header: readonly string[], spec: string): string[] {
  return header.includes(spec) || !spec.includes(',') ? [spec] : spec.split(',').map((p) => p.trim());
}

/**
 * The series id of each row for --id-column: its column's value, or for a composite id (Kaggle's
 * store–item sales files: one series per store and item) the columns' values joined by ', '. An
 * empty cell is refused by line; two different tuples that would join to one id are refused.
 * `values` keeps each id's tuple (the forecast writes one column per id column).
 */
export function seriesIds(table: Table, spec: string): { columns: string[]; ids: string[]; values: Map<string, string[]> } {
  const columns = commaColumns(table.header, spec);
  if (columns.some((c) => c === '') || new Set(columns).size !== columns.length) throw new CliError(`--id-column ${JSON.stringify(spec)}: give one column, or several different ones joined by commas (store,item)`);
  const at = columns.map((c) => columnIndex(table, c, '--id-column'));
  const values = new Map<string, string[]>();
  const ids = table.rows.map((row, r) => {
    const tuple = at.map((i) => (row[i] ?? '').trim());
    const blank = tuple.indexOf('');
    if (blank >= 0) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${columns[blank]}' (--id-column) is empty; every row needs its series id`);
    const id = tuple.join(', ');
    const seen = values.get(id);
    if (seen === undefined) values.set(id, tuple);
    else if (seen.some((v, k) => v !== tuple[k])) throw new CliError(`${table.file}: line ${table.lines[r]}: the ids (${columns.join(', ')}) ${JSON.stringify(tuple)} and ${JSON.stringify(seen)} both read as '${id}'; values of a composite --id-column must not contain ', '`);
    return id;
  });
  return { columns, ids, values };
}

const gapsReported = new WeakSet<Table>();

/**
 * Without --time-column: the first column of dates the model does not read, or null (the
 * caller names it: it would give calendar covariates, order and gap checks, dated forecasts).
 * If its dates go back in time, the rows (each id's, with `idColumn`) would be read out of time
 * order, which is refused: newest first throughout (Investing.com's exports, Rossmann's
 * train.csv per store), or a jump back (PJM's hourly files, joined in the wrong order).
 */
export function dateColumnHint(table: Table, taken: readonly string[], idColumn?: string): string | null {
  for (const [i, name] of table.header.entries()) {
    if (taken.includes(name) || table.rows.length < 3) continue;
    const { kind, times } = parseTimeCells(table.rows.map((row) => row[i] ?? ''));
    if (kind === 'number' || kind === 'compact' || !times.every(Number.isFinite)) continue;
    const rowIds = idColumn === undefined ? null : seriesIds(table, idColumn).ids;
    const groups = new Map<string, number[]>();
    table.rows.forEach((_, r) => {
      const id = rowIds === null ? '' : rowIds[r]!;
      const g = groups.get(id);
      if (g === undefined) groups.set(id, [r]);
      else g.push(r);
    });
    const fix = `give --time-column ${JSON.stringify(name)} to have them checked`;
    for (const [id, rows] of groups) {
      const back = rows.findIndex((r, k) => k > 0 && times[r]! < times[rows[k - 1]!]!);
      if (back < 0) continue;
      const of = rowIds === null ? '' : ` (${idColumn} '${id}')`;
      if (rows.length >= 3 && rows.every((r, k) => k === 0 || times[r]! < times[rows[k - 1]!]!)) {
        throw new CliError(`${table.file}: column '${name}' holds dates running newest first${of}, so the rows would be read backwards; reverse the rows (keep the header, pipe the rest through tac), or ${fix}`);
      }
      throw new CliError(`${table.file}: column '${name}' holds dates out of time order${of}: line ${table.lines[rows[back]!]} is earlier than line ${table.lines[rows[back - 1]!]}, so the rows would not be read in time order; sort them by ${rowIds === null ? '' : `${idColumn} and `}${name}, oldest first, or ${fix}`);
    }
    return name;
  }
  return null;
}

/** Whether a time column holds dates (written as dates, or compact YYYYMMDD / YYYYMM integers), not plain numbers. */
export function isDateColumn(table: Table, name: string): boolean {
  return timeCellsKind(timeCells(table, name).map((c) => c.trim())) !== 'number';
}

/**
 * The cells of a time column: one column, or `Date,Time` — a column of dates and one of clock
 * times (UCI's household power and air quality files), each row's two joined by a space, a clock
 * time written with dots (18.00.00) read as 18:00:00.
 */
export function timeCells(table: Table, name: string): string[] {
  if (table.header.includes(name) || !name.includes(',')) {
    const i = columnIndex(table, name, '--time-column');
    return table.rows.map((row) => row[i] ?? '');
  }
  const parts = name.split(',').map((p) => p.trim());
  if (parts.length !== 2) throw new CliError(`--time-column ${JSON.stringify(name)}: give one column, or a date column and a clock-time column joined by a comma (Date,Time)`);
  const [d, t] = parts.map((p) => columnIndex(table, p, '--time-column')) as [number, number];
  // A day number (beaver1's day of the year, 346) would be read as the year 346.
  const dates = table.rows.map((row) => (row[d] ?? '').trim());
  if (timeCellsKind(dates) === 'number') throw new CliError(`--time-column ${JSON.stringify(name)}: column '${parts[0]}' holds plain numbers (${dates.slice(0, 2).join(', ')}), not dates; the first of DATE,TIME must hold dates (2024-03-01, 01.03.2024, 20240301)`);
  return table.rows.map((row) => {
    const date = (row[d] ?? '').trim();
    const clock = (row[t] ?? '').trim().replace(/^(\d{1,2})\.(\d\d)(?:\.(\d\d))?$/, (_, h: string, m: string, sec?: string) => `${h}:${m}:${sec ?? '00'}`);
    return date === '' || clock === '' ? '' : `${date} ${clock}`;
  });
}

/** Whether the table has the time column `name` (one column, or the two of `Date,Time`). */
export function hasTimeColumn(table: Table, name: string): boolean {
  return table.header.includes(name) || (name.includes(',') && name.split(',').every((p) => table.header.includes(p.trim())));
}

function checkTimeOrder(table: Table, name: string, times: readonly number[]): void {
  const where = `${table.file}: column '${name}'`;
  if (times.length > 1 && times.every((t, r) => r === 0 || t < times[r - 1]!)) {
    throw new CliError(`${where}: the rows run newest first; the forecaster needs them oldest first (reverse the rows, e.g. keep the header and pipe the rest through tac)`);
  }
  const i = table.header.indexOf(name);
  for (let r = 1; r < times.length; r++) {
    if (times[r]! > times[r - 1]!) continue;
    // 'Jan-49' then 'Jan-50': JavaScript's dates read a two-digit year 00–49 as 20xx and 50–99 as 19xx.
    const [a, b] = [table.rows[r - 1]![i] ?? '', table.rows[r]![i] ?? ''].map((c) => c.trim());
    const twoDigit = [a, b].every((c) => /(^|[^\d])\d{2}$/.test(c) && !/\d{3}/.test(c)) && new Date(times[r - 1]!).getUTCFullYear() >= 2000 && new Date(times[r]!).getUTCFullYear() < 2000;
    // One id's rows that go back in time or repeat a time are often two series under one id (a country's provinces).
    const ids = table.idColumn !== undefined ? ` — or, if rows of one '${table.idColumn}' hold several series (one per region, say), give an --id-column that tells them apart` : '';
    if (times[r] === times[r - 1] && !twoDigit) {
      // Sorted rows that repeat a time: two rows for one time, not an order to fix.
      const clock = /\d:\d\d/.test(b) && !/(Z|[+-]\d\d:?\d\d|UTC|GMT)$/i.test(b);
      const dst = clock ? '; where daylight saving time ends, local clocks repeat an hour: give times with their UTC offset' : '';
      const several = table.idColumn !== undefined ? ids : ` — or, if the rows hold several series (one per region or category), give an --id-column that tells them apart`;
      throw new CliError(`${where}: line ${table.lines[r]} repeats the time of line ${table.lines[r - 1]} (${JSON.stringify(b)}); each row needs its own time: sum, average or drop the repeated rows${dst}${several}`);
    }
    const hint = twoDigit ? ` (${JSON.stringify(a)} was read as ${new Date(times[r - 1]!).getUTCFullYear()} and ${JSON.stringify(b)} as ${new Date(times[r]!).getUTCFullYear()}: a two-digit year 00–49 is read as 20xx, 50–99 as 19xx; write four-digit years)` : `; sort the rows by time, oldest first${ids}`;
    throw new CliError(`${where}: line ${table.lines[r]} is earlier than line ${table.lines[r - 1]}${hint}`);
  }
}
