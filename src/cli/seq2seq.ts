/**
 * `rnnkit seq2seq train | translate | evaluate`: sequence-to-sequence models on
 * tab-separated pairs (one `source<TAB>target` per line).
 */
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { validationSplitAt } from '../models/model.js';
import { ModelFormatError, Seq2Seq, plotHistory, type Seq2SeqAttention, type Seq2SeqCell, type Seq2SeqEvaluation, type VocabularyMode } from '../index.js';
import { CliError, choiceOption, intOption, numberOption, parse, usageError, workersOption, type OptionSpec } from './args.js';
import { checkModelDir, checkOutDir } from './textgen.js';
import { readTextFile } from './textFile.js';
import { fitKeepingBest } from './training.js';

type Print = (line: string) => void;
type Pair = [string, string];

export const SEQ2SEQ_DEFAULTS = {
  attention: 'dot' as Seq2SeqAttention,
  cell: 'lstm' as Seq2SeqCell,
  units: 128,
  layers: 1,
  embeddingDim: 64,
  epochs: 10,
  batchSize: 64,
  lr: 0.002,
  validationSplit: 0.1,
  seed: 42,
};
const D = SEQ2SEQ_DEFAULTS;

const TRAIN_HELP = `Usage: rnnkit seq2seq train PAIRS.tsv --out DIR [options]

Train an encoder–decoder on PAIRS.tsv, one "source<TAB>target" pair per line (blank lines
are skipped; a source listed twice with different targets is fine; further columns on every
line, such as Tatoeba's attribution in Keras's fra.txt, are left unread). The best model by
validation loss (training loss without validation) is kept in DIR, which must be new,
empty, or hold an rnnkit model.

Options:
  --out DIR                    where to keep the best model (required)
  --overwrite                  replace the rnnkit model DIR already holds (else refused)
  --tokens char|word           symbols of both sides: characters (default) or
                               whitespace-separated tokens
  --source-tokens char|word    the source side only
  --target-tokens char|word    the target side only
  --attention none|dot|additive  attention over the encoder outputs (default ${D.attention})
  --cell lstm|gru              recurrent cell (default ${D.cell})
  --units N                    state size (default ${D.units})
  --layers N                   stacked layers in the encoder and the decoder (default ${D.layers})
  --bidirectional              a bidirectional encoder (units/2 per direction)
  --embedding-dim N            symbol embedding width (default ${D.embeddingDim})
  --epochs N                   (default ${D.epochs})
  --batch-size N               (default ${D.batchSize})
  --lr X                       Adam learning rate (default ${D.lr})
  --validation-split X         held-out fraction of the pairs in [0, 1) (default ${D.validationSplit})
  --workers N|auto             data-parallel threads (default auto)
  --seed N                     (default ${D.seed})
  --beam N                     default beam width saved with the model (default 1: greedy)
  --plot FILE.svg              write the training curves as an SVG plot
  -h, --help`;

const TRANSLATE_HELP = `Usage: rnnkit seq2seq translate DIR [TEXT ...] [options]

Translate each TEXT with the model in DIR, one output per line. With no TEXT, reads one
input per line from standard input and writes one output per line, in order. A symbol
the model has never seen is read as the unknown symbol, with a warning on stderr.

Options:
  --beam N              beam width (default: the model's, 1 = greedy)
  --max-length N        longest output in symbols
  --length-penalty X    α ≥ 0 of the beam's length normalisation ((5 + length) / 6)^α
  -h, --help`;

const EVALUATE_HELP = `Usage: rnnkit seq2seq evaluate DIR PAIRS.tsv [options]

Translate the sources of PAIRS.tsv and score the outputs against the targets (a source
listed with several targets has several correct answers): exact match, word error rate
(outputs equal to no target), token error rate (edit distance / target length), and BLEU
for word-level targets.

Options:
  --beam N              beam width (default: the model's)
  --max-length N        longest output in symbols
  --length-penalty X    α ≥ 0 of the beam's length normalisation
  --show N              print the first N wrong outputs (default 5)
  -h, --help`;

export const SEQ2SEQ_HELP = `Usage: rnnkit seq2seq <command> [options]

Commands:
  train PAIRS.tsv --out DIR     train an encoder–decoder on source<TAB>target lines
  translate DIR [TEXT ...]      translate the TEXTs (or stdin, line by line)
  evaluate DIR PAIRS.tsv        exact match, error rates and BLEU on held-out pairs

Run \`rnnkit seq2seq <command> --help\` for the options of each.`;

const TRAIN_OPTIONS: OptionSpec = {
  out: { type: 'string' },
  overwrite: { type: 'boolean' },
  tokens: { type: 'string' },
  'source-tokens': { type: 'string' },
  'target-tokens': { type: 'string' },
  attention: { type: 'string' },
  cell: { type: 'string' },
  units: { type: 'string' },
  layers: { type: 'string' },
  bidirectional: { type: 'boolean' },
  'embedding-dim': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'validation-split': { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
  beam: { type: 'string' },
  plot: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const DECODE_OPTIONS: OptionSpec = {
  beam: { type: 'string' },
  'max-length': { type: 'string' },
  'length-penalty': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export async function seq2seq(argv: string[], out: Print): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return out(SEQ2SEQ_HELP);
  if (command === 'train') return train(rest, out);
  if (command === 'translate') return translate(rest, out);
  if (command === 'evaluate') return evaluate(rest, out);
  throw usageError(`rnnkit seq2seq: unknown command ${JSON.stringify(command)}; commands: train, translate, evaluate (see rnnkit seq2seq --help)`);
}

/**
 * The pairs of a TSV file: one `source<TAB>target` per line, blank lines skipped; a malformed
 * line is named. Files whose every line has the same further columns (Tatoeba's fra.txt of
 * Keras's lstm_seq2seq example: source, target, attribution) give their first two, and
 * `note` is told how many columns were left.
 */
export async function readPairs(file: string, note: Print): Promise<Pair[]> {
  const text = await readTextFile(file, 'pairs file');
  const pairs: Pair[] = [];
  let width = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    const cols = line.split('\t');
    if (cols.length === 1) throw new CliError(`${where}: no tab; each line must be source<TAB>target`);
    if (width === 0) width = cols.length;
    if (cols.length !== width) {
      throw new CliError(`${where}: ${cols.length - 1} tab${cols.length === 2 ? '' : 's'}, the first line ${width - 1}; each line must be source<TAB>target (further columns, such as an attribution, only when every line has them)`);
    }
    const [source, target] = cols as [string, string];
    if (source.trim() === '') throw new CliError(`${where}: the source (before the tab) is empty`);
    if (target.trim() === '') throw new CliError(`${where}: the target (after the tab) is empty`);
    pairs.push([source, target]);
  });
  if (width > 2) note(`${file}: ${width} tab-separated columns on every line; the first is the source, the second the target, ${width === 3 ? 'the third is' : `columns 3–${width} are`} not read`);
  return pairs;
}

function tokensOption(values: Record<string, unknown>, name: string, fallback: VocabularyMode): VocabularyMode {
  return choiceOption(values, name, ['char', 'word'] as const, fallback);
}


async function train(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit seq2seq train';
  const { values, positionals } = parse(argv, TRAIN_OPTIONS, command);
  if (values.help === true) return print(TRAIN_HELP);
  if (positionals.length !== 1) throw usageError(`${command}: expected one pairs file, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const outOpt = values.out as string | undefined;
  if (outOpt === undefined || outOpt === '') throw usageError(`${command}: --out DIR is required (where the trained model goes)`);
  const both = tokensOption(values, 'tokens', 'char');
  const tokens = { source: tokensOption(values, 'source-tokens', both), target: tokensOption(values, 'target-tokens', both) };
  const args = {
    attention: choiceOption(values, 'attention', ['none', 'dot', 'additive'] as const, D.attention),
    cell: choiceOption(values, 'cell', ['lstm', 'gru'] as const, D.cell),
    units: intOption(values, 'units', D.units),
    layers: intOption(values, 'layers', D.layers),
    bidirectional: values.bidirectional === true,
    embeddingDim: intOption(values, 'embedding-dim', D.embeddingDim),
    seed: intOption(values, 'seed', D.seed, 0),
  };
  if (args.bidirectional && args.units % 2 !== 0) throw usageError(`${command}: --bidirectional needs an even --units (each direction gets units/2), got ${args.units}`);
  const fit = {
    epochs: intOption(values, 'epochs', D.epochs),
    batchSize: intOption(values, 'batch-size', D.batchSize),
    learningRate: numberOption(values, 'lr', D.lr, (n) => n > 0, 'a number > 0'),
    validationSplit: numberOption(values, 'validation-split', D.validationSplit, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    workers: workersOption(values),
  };
  const beam = intOption(values, 'beam', 1);
  const file = positionals[0]!;
  const dir = resolve(outOpt);
  await checkOutDir(dir, values.overwrite === true);
  const pairs = await readPairs(file, print);
  const m = Seq2Seq.forPairs(pairs, { ...args, tokens });
  m.setDecoding({ beamWidth: beam });
  const nVal = pairs.length - validationSplitAt(pairs.length, fit.validationSplit);
  const useSplit = fit.validationSplit > 0 && nVal > 0 && nVal < pairs.length;
  print(`Training ${describe(m)} on ${file} (${pairs.length} pairs${useSplit ? `, ${nVal} held out for validation` : ''}); vocabularies: ${m.source.chars.length} source, ${m.target.chars.length} target ${m.target.mode === 'word' ? 'tokens' : 'characters'}; best model → ${dir}`);
  const { history, best, bestEpoch, monitor } = await fitKeepingBest(
    () => m.save(dir),
    (keepBest) => m.fit(pairs, { ...fit, validationSplit: useSplit ? fit.validationSplit : undefined, seed: args.seed, verbose: 1, callbacks: [keepBest] }),
  );
  print(`Best model (${monitor} ${best.toFixed(4)}, epoch ${bestEpoch}) saved in ${dir}`);
  if (typeof values.plot === 'string') {
    await plotHistory(history, values.plot, { title: `${describe(m)} on ${file}` });
    print(`Training curves written to ${values.plot}`);
  }
}

/** "LSTM(128) encoder–decoder with dot attention" and the like. */
export function describe(m: Seq2Seq): string {
  const cell = `${m.cell.toUpperCase()}(${m.units})${m.numLayers > 1 ? ` ×${m.numLayers}` : ''}`;
  return `${m.bidirectional ? 'bidirectional ' : ''}${cell} encoder–decoder ${m.attention === 'none' ? 'without attention' : `with ${m.attention} attention`}`;
}

async function loadSeq2Seq(dir: string): Promise<Seq2Seq> {
  await checkModelDir(dir, 'rnnkit seq2seq train');
  try {
    return await Seq2Seq.load(dir);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new CliError(e.message.startsWith(dir) ? e.message : `${dir}: ${e.message}`);
    throw e;
  }
}

function decodeOptions(values: Record<string, unknown>, m: Seq2Seq): { beamWidth: number; maxLength?: number; lengthPenalty: number } {
  return {
    beamWidth: intOption(values, 'beam', m.decoding.beamWidth),
    maxLength: values['max-length'] === undefined ? undefined : intOption(values, 'max-length', 1),
    lengthPenalty: numberOption(values, 'length-penalty', m.decoding.lengthPenalty, (n) => n >= 0, 'a number ≥ 0'),
  };
}

/** Warn (stderr) about symbols outside the source vocabulary: they are read as the unknown symbol. */
function warnUnknown(m: Seq2Seq, text: string, where: string): void {
  const unknown = m.source.unknownChars(text);
  if (unknown.length === 0) return;
  const what = unknown.map((c) => JSON.stringify(c)).join(', ');
  process.stderr.write(`rnnkit: warning: ${where}: ${what} ${unknown.length === 1 ? 'is' : 'are'} not in the model's source vocabulary; read as the unknown symbol (the model never saw ${unknown.length === 1 ? 'it' : 'them'} in training)\n`);
}

async function translate(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit seq2seq translate';
  const { values, positionals } = parse(argv, DECODE_OPTIONS, command);
  if (values.help === true) return print(TRANSLATE_HELP);
  if (positionals.length === 0) throw usageError(`${command}: expected a model directory (see ${command} --help)`);
  const [dir, ...texts] = positionals as [string, ...string[]];
  const m = await loadSeq2Seq(dir);
  const opts = decodeOptions(values, m);
  if (texts.length > 0) {
    texts.forEach((t, i) => warnUnknown(m, t, `argument ${i + 1}`));
    for (const line of m.translate(texts, { ...opts, unknown: 'map' })) print(line);
    return;
  }
  // stdin, in chunks: outputs stream out in input order without holding the whole input.
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let chunk: string[] = [];
  let lineNo = 0;
  const flush = (): void => {
    for (const line of m.translate(chunk, { ...opts, unknown: 'map' })) print(line);
    chunk = [];
  };
  for await (const line of rl) {
    lineNo++;
    warnUnknown(m, line, `line ${lineNo}`);
    chunk.push(line);
    if (chunk.length === 256) flush();
  }
  flush();
}

async function evaluate(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit seq2seq evaluate';
  const { values, positionals } = parse(argv, { ...DECODE_OPTIONS, show: { type: 'string' } }, command);
  if (values.help === true) return print(EVALUATE_HELP);
  if (positionals.length !== 2) throw usageError(`${command}: expected a model directory and a pairs file, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const [dir, file] = positionals as [string, string];
  const show = intOption(values, 'show', 5, 0);
  const m = await loadSeq2Seq(dir);
  const opts = decodeOptions(values, m);
  const pairs = await readPairs(file, print);
  pairs.forEach(([s], i) => warnUnknown(m, s, `${file}: pair ${i + 1}`));
  const t0 = performance.now();
  const e = m.evaluate(pairs, { ...opts, unknown: 'map' });
  const seconds = (performance.now() - t0) / 1000;
  print(`${describe(m)}, ${opts.beamWidth === 1 ? 'greedy decoding' : `beam width ${opts.beamWidth}`}: ${e.count} distinct sources of ${pairs.length} pairs in ${seconds.toFixed(1)} s`);
  for (const line of metricsTable([['model', e]], m.target.mode === 'word')) print(line);
  const wrong = e.outputs.filter((o) => !o.references.includes(o.output)).slice(0, show);
  if (wrong.length > 0) {
    print('\nWrong outputs:');
    for (const w of wrong) print(`  ${w.source} → ${w.output === '' ? '(empty)' : w.output}   (expected ${w.references.join(' | ')})`);
  }
}

/** Rows of scores as a table: exact match, WER, token error rate in %, and BLEU where given. */
export function metricsTable(rows: readonly [string, Pick<Seq2SeqEvaluation, 'exactMatch' | 'wordErrorRate' | 'tokenErrorRate' | 'bleu'>][], withBleu: boolean, tokenLabel = 'token error %'): string[] {
  const w = Math.max(5, ...rows.map(([n]) => n.length)) + 2;
  const pct = (v: number): string => (v * 100).toFixed(2).padStart(14);
  const head = `${''.padEnd(w)}${'exact match %'.padStart(14)}${'WER %'.padStart(14)}${tokenLabel.padStart(Math.max(14, tokenLabel.length + 2))}${withBleu ? 'BLEU'.padStart(8) : ''}`;
  const tw = Math.max(14, tokenLabel.length + 2);
  return [head, ...rows.map(([n, e]) => `${n.padEnd(w)}${pct(e.exactMatch)}${pct(e.wordErrorRate)}${(e.tokenErrorRate * 100).toFixed(2).padStart(tw)}${withBleu ? (e.bleu === null ? 'n/a' : (e.bleu * 100).toFixed(2)).padStart(8) : ''}`)];
}
