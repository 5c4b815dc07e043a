/**
 * `rnnkit textgen train | sample | demo`: character-level text generation from the command line.
 */
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validationSplitAt } from '../models/model.js';
import { ModelFormatError, TextGenerator, Vocabulary, plotHistory, type Callback, type CellType } from '../index.js';
import { CliError, choiceOption, intOption, numberOption, parse, usageError, workersOption, type OptionSpec } from './args.js';
import { builtInNames } from './names.js';
import { readTextFile } from './textFile.js';
import { fitKeepingBest } from './training.js';

/** Defaults sized so `npm start` (demo) trains in about a minute on 2 cores. */
export const DEFAULTS = { cell: 'lstm' as CellType, units: 64, layers: 1, embeddingDim: 16, epochs: 8, batchSize: 32, lr: 0.01, validationSplit: 0.1, seed: 42, seqLen: 100, samples: 5 };

const TRAIN_HELP = `Usage: rnnkit textgen train [corpus.txt] --out DIR [options]

Train a character-level text generator. With no corpus, trains on the built-in list of
about 8,400 English first names. A corpus whose lines are all at most 100 characters is
read as one example per line (names, words); longer lines, or --seq-len, make it running
text cut into windows. The best model by validation loss (training loss without
validation) is kept in DIR, which must be new, empty, or hold an rnnkit model.

Options:
  --out DIR                 where to keep the best model (required)
  --overwrite               replace the rnnkit model DIR already holds (else refused)
  --cell lstm|gru|simple    recurrent cell (default ${DEFAULTS.cell})
  --units N                 units per recurrent layer (default ${DEFAULTS.units})
  --layers N                stacked recurrent layers (default ${DEFAULTS.layers})
  --embedding-dim N         embedding width (default ${DEFAULTS.embeddingDim})
  --epochs N                (default ${DEFAULTS.epochs})
  --batch-size N            (default ${DEFAULTS.batchSize})
  --seq-len N               treat the corpus as running text, windows of N characters
  --lr X                    Adam learning rate (default ${DEFAULTS.lr})
  --validation-split X      held-out fraction in [0, 1) (default ${DEFAULTS.validationSplit})
  --seed N                  (default ${DEFAULTS.seed})
  --workers N|auto          data-parallel shards per batch (default auto)
  --samples N               lines sampled after each epoch (default ${DEFAULTS.samples}; 0 for none)
  --plot FILE.svg           write the training curves (loss, accuracy, val_*) as an SVG plot
  -h, --help`;

const SAMPLE_HELP = `Usage: rnnkit textgen sample DIR [options]

Generate text from a model trained with \`rnnkit textgen train\`, one sample per line.
A model of running text (trained with --seq-len) writes line breaks inside its samples:
they are then separated by an empty line; --format json writes each as one JSON string.

Options:
  --prefix TEXT        text to continue (fed through the network first)
  --count N            how many samples (default 10)
  --temperature X      > 0; lower is safer, higher more surprising (default 0.8)
  --top-k N            draw only among the N most likely characters
  --max-length N       longest sample in characters, prefix included
  --seed N             same seed, same samples (default: random)
  --format F           text (default) or json (JSON Lines: one string per sample)
  -h, --help`;

const DEMO_HELP = `Usage: rnnkit textgen demo [--out DIR] [train options]

What \`npm start\` runs: train a name generator on the built-in names (about a minute on
2 cores), then print generated names and completions of a few prefixes. The model is kept
in DIR (default: a new temporary directory). Takes the options of \`textgen train\`.`;

export const TEXTGEN_HELP = `Usage: rnnkit textgen <command> [options]

Commands:
  train [corpus.txt] --out DIR   train a character-level generator (default corpus: built-in names)
  sample DIR                     generate text from a trained model
  demo                           train on the built-in names and show samples (npm start)

Run \`rnnkit textgen <command> --help\` for the options of each.`;

const TRAIN_OPTIONS: OptionSpec = {
  out: { type: 'string' },
  overwrite: { type: 'boolean' },
  cell: { type: 'string' },
  units: { type: 'string' },
  layers: { type: 'string' },
  'embedding-dim': { type: 'string' },
  epochs: { type: 'string' },
  workers: { type: 'string' },
  'batch-size': { type: 'string' },
  'seq-len': { type: 'string' },
  lr: { type: 'string' },
  'validation-split': { type: 'string' },
  seed: { type: 'string' },
  samples: { type: 'string' },
  plot: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

type Print = (line: string) => void;

export async function textgen(argv: string[], out: Print): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return out(TEXTGEN_HELP);
  if (command === 'train') return train(rest, out, false);
  if (command === 'demo') return train(rest, out, true);
  if (command === 'sample') return sample(rest, out);
  throw usageError(`rnnkit textgen: unknown command ${JSON.stringify(command)}; commands: train, sample, demo (see rnnkit textgen --help)`);
}

/** Read a corpus file as UTF-8 text, refusing missing, empty and binary files. */
export async function readCorpus(file: string): Promise<string> {
  return readTextFile(file, 'corpus');
}

/** A model directory to read: it must exist and hold a model.json (`trainWith` says how to make one). */
export async function checkModelDir(dir: string, trainWith: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new CliError(`${dir} is not a directory (expected a model directory from ${trainWith})`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`model directory ${dir} does not exist`);
  }
  try {
    await stat(join(dir, 'model.json'));
  } catch {
    throw new CliError(`${dir} holds no model (no model.json); train one with ${trainWith} --out ${dir}`);
  }
}

/**
 * DIR may be new or empty, or — with `overwrite` (the --overwrite flag; demos writing to their
 * own default directory) — hold an rnnkit model (model.json by rnnkit + its weight files),
 * which this run's best epoch then replaces. Anything else is refused: never a silent
 * replacement of a trained model, never a foreign file touched.
 */
export async function checkOutDir(dir: string, overwrite: boolean, label = `--out ${dir}`, replacement = "this run's best epoch"): Promise<void> {
  let entries: string[];
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new CliError(`${label} exists and is not a directory; refusing to overwrite it`);
    entries = await readdir(dir);
  } catch (e) {
    if (e instanceof CliError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`cannot use ${label}: ${(e as Error).message}`);
  }
  if (entries.length === 0) return;
  const refuse = (why: string): CliError => new CliError(`${label} ${why}; refusing to overwrite it (choose a new or empty directory)`);
  if (!entries.includes('model.json')) throw refuse(`is not empty and holds no rnnkit model (found ${JSON.stringify(entries[0])})`);
  let generatedBy: unknown;
  try {
    generatedBy = (JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { generatedBy?: unknown }).generatedBy;
  } catch {
    throw refuse('holds a model.json that is not valid JSON');
  }
  if (typeof generatedBy !== 'string' || !generatedBy.startsWith('rnnkit')) throw refuse('holds a model.json not written by rnnkit');
  const foreign = entries.find((e) => e !== 'model.json' && !/^weights.*\.bin$/.test(e) && !/\.tmp-/.test(e));
  if (foreign !== undefined) throw refuse(`holds ${JSON.stringify(foreign)}, which is not part of an rnnkit model`);
  if (!overwrite) throw new CliError(`${label} already holds an rnnkit model; pass --overwrite to replace it with ${replacement}, or choose a new directory`);
}

async function train(argv: string[], print: Print, demo: boolean): Promise<void> {
  const command = demo ? 'rnnkit textgen demo' : 'rnnkit textgen train';
  const { values, positionals } = parse(argv, TRAIN_OPTIONS, command);
  if (values.help === true) return print(demo ? DEMO_HELP : TRAIN_HELP);
  if (positionals.length > (demo ? 0 : 1)) throw usageError(`${command}: expected ${demo ? 'no corpus' : 'at most one corpus file'}, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const outOpt = values.out as string | undefined;
  if (!demo && (outOpt === undefined || outOpt === '')) throw usageError(`${command}: --out DIR is required (where the trained model goes)`);
  const cell = choiceOption(values, 'cell', ['lstm', 'gru', 'simple'] as const, DEFAULTS.cell);
  const units = intOption(values, 'units', DEFAULTS.units);
  const numLayers = intOption(values, 'layers', DEFAULTS.layers);
  const embeddingDim = intOption(values, 'embedding-dim', DEFAULTS.embeddingDim);
  const epochs = intOption(values, 'epochs', DEFAULTS.epochs);
  const workers = workersOption(values);
  const batchSize = intOption(values, 'batch-size', DEFAULTS.batchSize);
  const seqLen = values['seq-len'] === undefined ? undefined : intOption(values, 'seq-len', DEFAULTS.seqLen);
  const lr = numberOption(values, 'lr', DEFAULTS.lr, (n) => n > 0, 'a number > 0');
  const validationSplit = numberOption(values, 'validation-split', DEFAULTS.validationSplit, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const seed = intOption(values, 'seed', DEFAULTS.seed, 0);
  const nSamples = intOption(values, 'samples', DEFAULTS.samples, 0);

  const corpusFile = positionals[0];
  let corpus: string | string[];
  let source: string;
  if (corpusFile === undefined) {
    corpus = builtInNames();
    source = `the built-in names (${corpus.length})`;
  } else {
    const text = await readCorpus(corpusFile);
    const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
    const asLines = seqLen === undefined && lines.every((l) => [...l].length <= 100);
    corpus = asLines ? lines : text;
    source = asLines ? `${corpusFile} (${lines.length} lines)` : `${corpusFile} (${[...text].length} characters of running text)`;
  }
  const dir = resolve(outOpt ?? (await mkdtemp(join(tmpdir(), 'rnnkit-names-'))));
  await checkOutDir(dir, values.overwrite === true || (demo && outOpt === undefined));
  const vocab = Vocabulary.fromCorpus(corpus);
  const gen = new TextGenerator({ vocab, cell, units, layers: numLayers, embeddingDim, seed });
  if (typeof corpus === 'string' && [...corpus].length < (seqLen ?? DEFAULTS.seqLen) + 1) {
    throw new CliError(`corpus ${corpusFile} has ${[...corpus].length} characters, too few for windows of ${seqLen ?? DEFAULTS.seqLen} (use a smaller --seq-len)`);
  }
  print(`Training a ${cell.toUpperCase()}(${units})${numLayers > 1 ? ` ×${numLayers}` : ''} character model on ${source}, vocabulary ${vocab.chars.length} characters; best model → ${dir}`);
  const samples: Callback = {
    onEpochEnd: (epoch: number) => {
      if (nSamples > 0) print(`  samples: ${gen.sampleMany(nSamples, { temperature: 0.8, seed: seed + epoch }).map(show).join(', ')}`);
    },
  };
  const splitRequested = validationSplit > 0;
  const n = typeof corpus === 'string' ? Math.floor(([...corpus].length - 1 - (seqLen ?? DEFAULTS.seqLen)) / (seqLen ?? DEFAULTS.seqLen)) + 1 : corpus.length;
  const useSplit = splitRequested && validationSplitAt(n, validationSplit) > 0 && validationSplitAt(n, validationSplit) < n;
  // The best epoch is saved before its samples print: callbacks run in order.
  const { history, best, bestEpoch, monitor } = await fitKeepingBest(
    () => gen.save(dir),
    (keepBest) => gen.fit(corpus, { epochs, batchSize, learningRate: lr, validationSplit: useSplit ? validationSplit : undefined, seed, seqLength: seqLen, verbose: 1, workers, callbacks: [keepBest, samples] }),
  );
  print(`Best model (${monitor} ${best.toFixed(4)}, epoch ${bestEpoch}) saved in ${dir}`);
  const plotFile = values.plot;
  if (typeof plotFile === 'string') {
    await plotHistory(history, plotFile, { title: `Character model on ${source}` });
    print(`Training curves written to ${plotFile}`);
  }
  if (demo) {
    const best = await TextGenerator.load(dir);
    print('\nGenerated names (temperature 0.8):');
    print('  ' + best.sampleMany(12, { temperature: 0.8, seed }).map(show).join(', '));
    print('\nCompletions:');
    for (const prefix of ['ma', 'jo', 'el', 'chr', 'kat']) {
      print(`  ${prefix.padEnd(4)} → ${best.sampleMany(4, { prefix, temperature: 0.8, seed }).map(show).join(', ')}`);
    }
    print(`\nMore: node dist/cli/main.js textgen sample ${dir} --prefix an --count 10`);
  }
}

const show = (s: string): string => (s === '' ? '(empty)' : s.replace(/\n/g, '⏎'));

async function sample(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit textgen sample';
  const { values, positionals } = parse(
    argv,
    { prefix: { type: 'string' }, count: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'max-length': { type: 'string' }, seed: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    command,
  );
  if (values.help === true) return print(SAMPLE_HELP);
  if (positionals.length !== 1) throw usageError(`${command}: expected one model directory, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const dir = positionals[0]!;
  const count = intOption(values, 'count', 10);
  const temperature = numberOption(values, 'temperature', 0.8, (n) => n > 0, 'a number > 0');
  const topK = values['top-k'] === undefined ? undefined : intOption(values, 'top-k', 1);
  const maxLength = values['max-length'] === undefined ? undefined : intOption(values, 'max-length', 1);
  const seed = values.seed === undefined ? undefined : intOption(values, 'seed', 0, 0);
  const prefix = (values.prefix as string | undefined) ?? '';
  const format = choiceOption(values, 'format', ['text', 'json'] as const, 'text');
  await checkModelDir(dir, 'rnnkit textgen train');
  let gen: TextGenerator;
  try {
    gen = await TextGenerator.load(dir);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new CliError(e.message.startsWith(dir) ? e.message : `${dir}: ${e.message}`);
    throw e;
  }
  const unknown = gen.vocab.unknownChars(prefix);
  if (unknown.length > 0) {
    throw new CliError(`--prefix ${JSON.stringify(prefix)}: ${unknown.map((c) => JSON.stringify(c)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the model's vocabulary (${JSON.stringify(gen.vocab.chars.join(''))})`);
  }
  const samples = gen.sampleMany(count, { prefix, temperature, topK, maxLength, seed });
  if (format === 'json') for (const s of samples) print(JSON.stringify(s));
  // Samples of running text hold line breaks: an empty line between them keeps them apart.
  else if (samples.some((s) => s.includes('\n'))) print(samples.join('\n\n'));
  else for (const s of samples) print(s);
}
