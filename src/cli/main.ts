#!/usr/bin/env node
/// <reference types="node" />
/**
 * The rnnkit command line (the package's bin). Node only: the library itself has no Node
 * imports; everything here may use them. User mistakes print one line on stderr and exit
 * non-zero (2 for usage, 1 for bad input); set RNNKIT_DEBUG=1 to see stack traces.
 */
import { CliError, usageError } from './args.js';
import { textgen } from './textgen.js';
import { timeseries } from './timeseries.js';
import { seq2seq } from './seq2seq.js';
import { g2p } from './g2p.js';
import { classify } from './classify.js';
import { exportCommand } from './export.js';
import { modelCommand } from './model.js';

const HELP = `Usage: rnnkit <command> [options]

Commands:
  textgen train [corpus.txt] --out DIR   train a character-level text generator
  textgen sample DIR                     generate text from a trained model
  textgen demo                           train on the built-in names and show samples
  timeseries train data.csv --target COL --lookback N --horizon N
                                         train a forecaster, scored against baselines
  timeseries evaluate DIR --csv data.csv score a saved forecaster on a CSV's test part
  timeseries forecast DIR data.csv       forecast after the end of a CSV
  seq2seq train PAIRS.tsv --out DIR      train an encoder–decoder on source<TAB>target lines
  seq2seq translate DIR [TEXT ...]       translate texts (or stdin, line by line)
  seq2seq evaluate DIR PAIRS.tsv         exact match, error rates, BLEU on held-out pairs
  g2p demo                               grapheme-to-phoneme on the CMU Pronouncing Dictionary
  g2p say WORD ...                       pronounce words with the trained model
  classify train DATA --out DIR          train a text classifier (CSV, or a directory per class)
  classify predict DIR [TEXT ...]        label texts (arguments, stdin, or --input FILE.csv)
  classify evaluate DIR DATA             precision, recall, F1, AUC, confusion matrix
  classify demo                          spam filtering on SpamAssassin, beside classic baselines

  model summary MODEL                    any model file rnnkit reads (TF.js, .h5, .keras, .onnx):
                                         its format, inputs, outputs and layers
  model predict MODEL --input X.json     its predictions, as JSON
  model convert MODEL OUT                to .onnx, .keras or a TF.js directory
  export onnx MODEL_DIR OUT.onnx         a saved model as an ONNX file for ONNX Runtime

Run \`rnnkit <command> --help\` for details.`;

export async function main(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return out(HELP);
  if (command === 'textgen') return textgen(rest, out);
  if (command === 'timeseries') return timeseries(rest, out);
  if (command === 'seq2seq') return seq2seq(rest, out);
  if (command === 'g2p') return g2p(rest, out);
  if (command === 'classify') return classify(rest, out);
  if (command === 'export') return exportCommand(rest, out);
  if (command === 'model') return modelCommand(rest, out);
  throw usageError(`rnnkit: unknown command ${JSON.stringify(command)}; commands: textgen, timeseries, seq2seq, g2p, classify, model, export (see rnnkit --help)`);
}

// A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do, not with an unhandled EPIPE's stack.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error;
  if (process.env.RNNKIT_DEBUG === '1') console.error(err.stack);
  else {
    const kind = err instanceof CliError || err instanceof RangeError || err instanceof TypeError ? '' : `${err.name}: `;
    const line = `${kind}${String(err.message).split('\n')[0]}`;
    console.error(line.startsWith('rnnkit') ? line : `rnnkit: ${line}`);
  }
  process.exitCode = err instanceof CliError ? err.exitCode : 1;
});
