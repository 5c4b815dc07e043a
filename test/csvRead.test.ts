/**
 * How `rnnkit timeseries` and `rnnkit classify` read a CSV file (src/cli/csv.ts): the field
 * separator from the header line (comma, semicolon, tab), a decimal comma in semicolon files,
 * and numbers with thousands separators refused with a hint.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { columnIndex, detectDelimiter, numericSeries, readTable } from '../src/cli/csv.js';
import { assertUserError, rnnkit, withStderr } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-csvread-'));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const values = Array.from({ length: 60 }, (_, i) => 10 + 3 * Math.sin(i / 2) + 0.05 * i);
const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;

test('detectDelimiter: from the header line, quoted characters and later lines not counted', () => {
  assert.equal(detectDelimiter('date,value\n1;2;3;4\n'), ',');
  assert.equal(detectDelimiter('\uFEFFdate;value;"a,b,c"\r\n1,5;2\n'), ';');
  assert.equal(detectDelimiter('id\trate\n1001\t.097\n'), '\t');
  assert.equal(detectDelimiter('"a;b",c\n'), ',', 'the semicolon is inside quotes');
  assert.equal(detectDelimiter('value\n1\n'), ',', 'one column: the comma');
});

test('a semicolon file with decimal commas and a tab file read as the comma file: the same numbers', async () => {
  const comma = write('comma.csv', ['date,value', ...values.map((v, i) => `${month(i)},${v.toFixed(4)}`)].join('\n') + '\n');
  const semi = write('semi.csv', ['date;value', ...values.map((v, i) => `${month(i)};${v.toFixed(4).replace('.', ',')}`)].join('\r\n') + '\r\n');
  const tab = write('tab.tsv', ['date\tvalue', ...values.map((v, i) => `${month(i)}\t${v.toFixed(4)}`)].join('\n') + '\n');
  const want = numericSeries(await readTable(comma), ['value'], '--target');
  for (const file of [semi, tab]) {
    const t = await readTable(file);
    assert.deepEqual(t.header, ['date', 'value'], `${file}: header`);
    assert.deepEqual(numericSeries(t, ['value'], '--target').data, want.data, `${file}: values`);
  }
  // A decimal comma is read only in a semicolon file.
  const tabComma = await readTable(write('tabcomma.tsv', 'date\tvalue\n2000-01-01\t10,5\n'));
  assert.throws(() => numericSeries(tabComma, ['value'], '--target'), /line 2, column 'value': "10,5" is not a number \(a decimal comma is read only in a semicolon-separated file\)/);
  // A semicolon column with decimal commas and a point: 1.234 may be 1234 there, so it is refused.
  const mixed = await readTable(write('mixed.csv', 'date;value;other\n2000-01-01;10,5;1.5\n2000-02-01;1.234;2.5\n'));
  assert.throws(() => numericSeries(mixed, ['value'], '--target'), /mixed\.csv: column 'value' has a decimal comma \(line 2: "10,5"\) and a point \(line 3: "1\.234"\); in a semicolon-separated file the point may group thousands/);
  // Points alone (a semicolon file written with decimal points) are read as points.
  assert.deepEqual(Array.from(numericSeries(mixed, ['other'], '--features').data), [1.5, 2.5]);
});

test('rnnkit timeseries train on a semicolon file with decimal commas: the forecasts of the comma file', () => {
  const comma = write('c.csv', ['date,value', ...values.map((v, i) => `${month(i)},${v.toFixed(4)}`)].join('\n') + '\n');
  const semi = write('s.csv', ['date;value', ...values.map((v, i) => `${month(i)};${v.toFixed(4).replace('.', ',')}`)].join('\n') + '\n');
  const run = (file: string): string => {
    const r = rnnkit('timeseries', 'train', file, '--target', 'value', '--time-column', 'date', '--lookback', '6', '--horizon', '2', '--epochs', '2', '--units', '2', '--combine', 'none', '--baselines', 'none', '--workers', '1');
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.replaceAll(file, 'FILE');
  };
  const a = run(comma);
  assert.match(a, /model\s+\d/, 'the test-part table');
  assert.equal(run(semi), a);
});

test('commas grouping thousands (Investing.com, Excel exports: "2,146") are read in a comma or tab file where every number with a comma in the column is written so; else refused by line and column', async () => {
  const rows = (cell: (v: number, i: number) => string) => ['date,value', ...values.map((v, i) => `${month(i)},"${cell(v, i)}"`)].join('\n') + '\n';
  const grouped = write('thousands.csv', rows((v, i) => (i === 3 ? '1,234.5' : i === 7 ? '12,345,678' : v.toFixed(2))));
  const { value: data, stderr: notes } = await withStderr(async () => numericSeries(await readTable(grouped), ['value'], '--target').data);
  assert.deepEqual(Array.from(data), values.map((v, i) => (i === 3 ? 1234.5 : i === 7 ? 12345678 : Number(v.toFixed(2)))));
  assert.deepEqual(notes, [`note: ${grouped}: column 'value' groups thousands with commas (1,234); read without them\n`]);
  // One decimal comma in the column, or a leading 0 (0,125): not thousands; refused with the hint.
  const mixed = write('mixed.csv', rows((v, i) => (i === 3 ? '1,234.5' : i === 9 ? '12,5' : v.toFixed(2))));
  assertUserError(rnnkit('timeseries', 'train', mixed, '--target', 'value', '--lookback', '4', '--horizon', '1', '--epochs', '1'), 1, /mixed\.csv: line 5, column 'value': "1,234\.5" is not a number \(thousands separators are read only where every number with a comma in the column groups thousands/);
  assert.throws(() => numericSeries({ file: 'f', header: ['v'], rows: [['0,125'], ['1']], lines: [2, 3], delimiter: ',' }, ['v'], '--target'), /line 2, column 'v': "0,125" is not a number \(a decimal comma is read only in a semicolon-separated file\)/);
});

test('a file without a header line: the missing-column error says the first line looks like data (a header field recurs below it)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-csv-'));
  const sms = join(dir, 'sms.tsv');
  writeFileSync(sms, 'ham\tGo until jurong point\nspam\tWIN a prize now\nham\tsee you at lunch\n');
  const t = await readTable(sms);
  assert.throws(() => columnIndex(t, 'text', '--text-column'), /--text-column "text": no such column in .*sms\.tsv; columns: ham, Go until jurong point \(the first line is read as the header, but "ham" is also a value of its column below: if the file has no header line, add one naming the columns\)/);
  const named = join(dir, 'named.csv');
  writeFileSync(named, 'label,text\nham,hello\nspam,win\n');
  const t2 = await readTable(named);
  assert.throws(() => columnIndex(t2, 'body', '--text-column'), (e: Error) => /columns: label, text$/.test(e.message));
});

test("a tab-separated file whose fields hold literal quotes (the UCI SMS Spam Collection) is read as written, with a note; a CSV with a broken quote is still refused", async () => {
  // 'Invalid Opening Quote' refused the whole file before: TSV has no quoting rule.
  const tsv = write('sms.tsv', ['Label\tSMS', 'ham\tGo until jurong point', 'ham\tWow. I was so "embarassed" by it', 'ham\t"HEY HEY" he said', 'spam\tWIN "now"'].join('\n') + '\n');
  const { value: t, stderr: notes } = await withStderr(() => readTable(tsv));
  assert.deepEqual(t.rows, [['ham', 'Go until jurong point'], ['ham', 'Wow. I was so "embarassed" by it'], ['ham', '"HEY HEY" he said'], ['spam', 'WIN "now"']]);
  assert.deepEqual(notes, [`note: ${tsv}: read without quoting (a tab-separated file whose fields hold literal quotes)\n`]);
  // A TSV that quotes properly keeps its quoting (a tab inside a quoted field).
  assert.deepEqual((await readTable(write('quoted.tsv', 'a\tb\n"x\ty"\t2\n'))).rows, [['x\ty', '2']]);
  await assert.rejects(readTable(write('bad.csv', 'a,b\nx,"y\n')), /bad\.csv: not valid CSV/);
  // A tab file that fails for another reason (a row of three fields under two) is not reread without quoting.
  await assert.rejects(readTable(write('ragged.tsv', 'a\tb\n"x\ty"\t2\t3\n')), /ragged\.tsv: not valid CSV: Invalid Record Length/);
});

test('a CSV with a quote inside a field that does not start with one (banking77) reads it as a literal character, as Python does, with a note; a broken quoted field is still refused', async () => {
  const csv = write('stray.csv', ['text,category', 'Is my card denied anywhere?,card_acceptance', ' Where can I use my card?",card_acceptance', '"quoted, with a comma",other'].join('\r\n') + '\r\n');
  const { value: t, stderr: notes } = await withStderr(() => readTable(csv));
  assert.deepEqual(t.rows, [['Is my card denied anywhere?', 'card_acceptance'], ['Where can I use my card?"', 'card_acceptance'], ['quoted, with a comma', 'other']]);
  assert.deepEqual(t.lines, [2, 3, 4]);
  assert.deepEqual(notes, [`note: ${csv}: a quote inside a field that does not start with one read as a literal character (first on line 3), as Python's csv reads it\n`]);
  await assert.rejects(readTable(write('closing.csv', 'a,b\n"x"y,1\n')), /closing\.csv: not valid CSV: Invalid Closing Quote/);
});

test('rows repeating the header (files joined with cat) are skipped with a note, not read as data (a class named after the label column)', async () => {
  const csv = write('joined.csv', ['text,label', 'good film,pos', 'text,label', 'bad film,neg', 'text,label', '"text, again",label', ''].join('\n'));
  const { value: t, stderr: notes } = await withStderr(() => readTable(csv));
  assert.deepEqual(t.rows, [['good film', 'pos'], ['bad film', 'neg'], ['text, again', 'label']]);
  assert.deepEqual(t.lines, [2, 4, 6]);
  assert.deepEqual(notes, [`note: ${csv}: 2 rows repeating the header skipped (the first on line 3)\n`]);
});

test('a column of TRUE/FALSE only (a holiday flag, as R and pandas write logicals) is read as 1/0 with a note; one other value in it is refused as before', async () => {
  const path = write('holiday.csv', ['date,demand,Holiday', '2012-01-01,100.5,TRUE', '2012-01-02,98,FALSE', '2012-01-03,97,false', '2012-01-04,99,True'].join('\n') + '\n');
  const t = await readTable(path);
  const { value: s, stderr: notes } = await withStderr(() => numericSeries(t, ['demand', 'Holiday'], '--target/--covariates'));
  assert.deepEqual(Array.from(s.data), [100.5, 1, 98, 0, 97, 0, 99, 1]);
  assert.deepEqual(notes, [`note: ${path}: column 'Holiday' holds TRUE/FALSE; read as 1/0\n`]);
  const mixed = await readTable(write('holiday-mixed.csv', 'date,Holiday\n2012-01-01,TRUE\n2012-01-02,maybe\n'));
  assert.throws(() => numericSeries(mixed, ['Holiday'], '--target'), /line 2, column 'Holiday': "TRUE" is not a number/);
});
