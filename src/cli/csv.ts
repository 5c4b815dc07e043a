/**
 * CSV tables for `rnnkit timeseries`, parsed with csv-parse (quoted fields with commas and
 * newlines, a BOM, CRLF — the cases a hand-written split gets wrong) and turned into numeric
 * columns with every problem reported by its line number in the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { fillGaps, type FillMethod, type Series } from '../index.js';
import { CliError } from './args.js';

export interface Table {
  file: string;
  header: string[];
  rows: string[][];
  /** File line (1-based) where each row starts. */
  lines: number[];
}

export async function readTable(file: string): Promise<Table> {
  let text: string;
  try {
    if ((await stat(file)).isDirectory()) throw new CliError(`${file} is a directory, not a CSV file`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(e as Error).message}`);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    throw new CliError(`${file}: not valid CSV: ${(e as Error).message.split('\n')[0]}`);
  }
  if (records.length === 0) throw new CliError(`${file} is empty`);
  const [head, ...body] = records;
  // info.lines: the file line where the record ends (its only line unless a quoted field spans lines).
  return { file, header: head!.record, rows: body.map((r) => r.record), lines: body.map((r) => r.info.lines) };
}

export function columnIndex(table: Table, name: string, option: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new CliError(`${option} ${JSON.stringify(name)}: no such column in ${table.file}; columns: ${table.header.join(', ')}`);
  return i;
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null']);

/**
 * Numeric columns (in the order of `names`) as a series. Non-numbers are refused by line and
 * column; missing values (empty, NA, NaN, null) are gaps, refused unless `fill` is given.
 */
export function numericSeries(table: Table, names: readonly string[], option: string, fill?: FillMethod): Series {
  const idx = names.map((n) => columnIndex(table, n, option));
  const C = names.length;
  const data = new Float64Array(table.rows.length * C);
  table.rows.forEach((row, r) => {
    idx.forEach((ci, c) => {
      const raw = (row[ci] ?? '').trim();
      if (MISSING.has(raw.toLowerCase())) {
        if (fill === undefined) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${names[c]}': missing value (use --fill previous or --fill linear to fill gaps)`);
        data[r * C + c] = NaN;
        return;
      }
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${names[c]}': ${JSON.stringify(raw)} is not a number`);
      data[r * C + c] = v;
    });
  });
  const s = { rows: table.rows.length, columns: C, data };
  return fill === undefined ? s : fillGaps(s, fill, names);
}

/** Times (ms since epoch) of a date column; a value Date.parse cannot read is refused by line. */
export function timeColumn(table: Table, name: string): number[] {
  const i = columnIndex(table, name, '--time-column');
  return table.rows.map((row, r) => {
    const raw = (row[i] ?? '').trim();
    const t = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(t)) throw new CliError(`${table.file}: line ${table.lines[r]}, column '${name}': ${JSON.stringify(raw)} is not a date`);
    return t;
  });
}
