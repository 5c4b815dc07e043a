/**
 * `rnnkit g2p demo | say`: grapheme-to-phoneme conversion trained on the CMU Pronouncing
 * Dictionary (cmudict.ts), scored on held-out words beside two baselines computed in the
 * same run: the same encoder–decoder without attention (the Keras lstm_seq2seq recipe),
 * and every letter read as its most frequent phonemes.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LearningRateScheduler, Seq2Seq, type Seq2SeqAttention, type Seq2SeqCell } from '../index.js';
import { CliError, choiceOption, intOption, numberOption, parse, usageError, workersOption, type OptionSpec } from './args.js';
import { letterBaseline, loadCmudict, sampleWords, splitByWord } from './cmudict.js';
import { describe, metricsTable } from './seq2seq.js';
import { fitKeepingBest } from './training.js';
import { checkModelDir, checkOutDir } from './textgen.js';
import { scoreSequences } from '../seq2seq/metrics.js';

type Print = (line: string) => void;

/** Sized to reach the issue's bar (WER ≤ 35%, PER ≤ 9%) in well under 30 minutes of training on 2 cores. */
export const G2P_DEFAULTS = {
  attention: 'dot' as Seq2SeqAttention,
  cell: 'lstm' as Seq2SeqCell,
  units: 192,
  layers: 1,
  embeddingDim: 64,
  epochs: 6,
  batchSize: 64,
  lr: 0.003,
  beam: 5,
  seed: 1,
  /** Fractions of the words held out for validation (best epoch) and for the final test. */
  validation: 0.05,
  test: 0.05,
};
const D = G2P_DEFAULTS;
/** Where `g2p demo` keeps its model unless told otherwise, and where `g2p say` looks. */
export const DEFAULT_G2P_DIR = join(tmpdir(), 'rnnkit-g2p');

const DEMO_HELP = `Usage: rnnkit g2p demo [options]

Train a grapheme-to-phoneme model on the CMU Pronouncing Dictionary (about 124,000 words;
lowercased; stress removed), on a seeded split by word (${D.validation * 100}% validation, ${D.test * 100}% test; no word in
two parts). Then score the held-out test words — word error rate (WER: words whose output
is none of their listed pronunciations) and phoneme error rate (PER: edit distance /
reference length) — beside two baselines trained in the same run: the same model without
attention, and each letter read as its most frequent phonemes. Takes about half an hour on
2 cores at the defaults, with a progress bar; --words N for a quick look.

Options:
  --out DIR                    keep the model (default ${DEFAULT_G2P_DIR}, where g2p say looks;
                               replaced by each run; another DIR holding a model needs --overwrite)
  --overwrite                  replace the rnnkit model DIR already holds (else refused)
  --attention none|dot|additive  (default ${D.attention})
  --cell lstm|gru              (default ${D.cell})
  --units N                    state size; the encoder is bidirectional (default ${D.units})
  --layers N                   (default ${D.layers})
  --embedding-dim N            (default ${D.embeddingDim})
  --epochs N                   (default ${D.epochs}; the no-attention baseline trains as long)
  --batch-size N               (default ${D.batchSize})
  --lr X                       Adam learning rate, halved every epoch of the second half (default ${D.lr})
  --beam N                     beam width of the final decoding, saved with the model (default ${D.beam})
  --workers N|auto             data-parallel threads (default auto)
  --seed N                     split and initial weights (default ${D.seed})
  --words N                    use only N words of the dictionary (a quick look)
  --no-baseline                skip training the no-attention baseline
  -h, --help`;

const SAY_HELP = `Usage: rnnkit g2p say WORD ... [--model DIR] [--beam N]

Pronounce each WORD (ARPAbet phonemes, no stress) with a model from rnnkit g2p demo,
beside the dictionary's pronunciations when the word is listed.

Options:
  --model DIR     the model (default ${DEFAULT_G2P_DIR})
  --beam N        beam width (default: the model's)
  -h, --help`;

export const G2P_HELP = `Usage: rnnkit g2p <command> [options]

Commands:
  demo          train on the CMU Pronouncing Dictionary, score held-out words against baselines
  say WORD ...  pronounce words with the trained model

Run \`rnnkit g2p <command> --help\` for the options of each.`;

const DEMO_OPTIONS: OptionSpec = {
  out: { type: 'string' },
  overwrite: { type: 'boolean' },
  attention: { type: 'string' },
  cell: { type: 'string' },
  units: { type: 'string' },
  layers: { type: 'string' },
  'embedding-dim': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  beam: { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
  words: { type: 'string' },
  'no-baseline': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export async function g2p(argv: string[], out: Print): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return out(G2P_HELP);
  if (command === 'demo') return demo(rest, out);
  if (command === 'say') return say(rest, out);
  throw usageError(`rnnkit g2p: unknown command ${JSON.stringify(command)}; commands: demo, say (see rnnkit g2p --help)`);
}

async function demo(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit g2p demo';
  const { values, positionals } = parse(argv, DEMO_OPTIONS, command);
  if (values.help === true) return print(DEMO_HELP);
  if (positionals.length > 0) throw usageError(`${command}: expected no positional arguments, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const units = intOption(values, 'units', D.units);
  if (units % 2 !== 0) throw usageError(`${command}: --units must be even (the bidirectional encoder gives each direction units/2), got ${units}`);
  const args = {
    attention: choiceOption(values, 'attention', ['none', 'dot', 'additive'] as const, D.attention),
    cell: choiceOption(values, 'cell', ['lstm', 'gru'] as const, D.cell),
    units,
    layers: intOption(values, 'layers', D.layers),
    bidirectional: true,
    embeddingDim: intOption(values, 'embedding-dim', D.embeddingDim),
  };
  const seed = intOption(values, 'seed', D.seed, 0);
  const fit = {
    epochs: intOption(values, 'epochs', D.epochs),
    batchSize: intOption(values, 'batch-size', D.batchSize),
    learningRate: numberOption(values, 'lr', D.lr, (n) => n > 0, 'a number > 0'),
    workers: workersOption(values),
    seed,
  };
  const beam = intOption(values, 'beam', D.beam);
  const limit = values.words === undefined ? undefined : intOption(values, 'words', 20);
  const dir = resolve((values.out as string | undefined) ?? DEFAULT_G2P_DIR);
  await checkOutDir(dir, values.overwrite === true || values.out === undefined);

  let words = loadCmudict();
  const total = words.size;
  if (limit !== undefined && limit < total) words = sampleWords(words, limit, seed);
  const split = splitByWord(words, seed, D.validation, D.test);
  const distinct = (pairs: readonly [string, string][]): number => new Set(pairs.map(([w]) => w)).size;
  print(`CMU Pronouncing Dictionary: ${words.size} words${words.size < total ? ` (of ${total})` : ''} → ${distinct(split.train)} train, ${distinct(split.validation)} validation, ${distinct(split.test)} test words (seed ${seed})`);

  const model = Seq2Seq.forPairs(split.train, { ...args, tokens: { source: 'char', target: 'word' }, seed });
  model.setDecoding({ beamWidth: beam });
  print(`\n1/3 ${describe(model)}: ${model.model.countParams().toLocaleString('en-US')} weights; best epoch by validation loss → ${dir}`);
  let t0 = performance.now();
  await fitKeepingBest(
    () => model.save(dir),
    (keepBest) => model.fit(split.train, { ...fit, validationData: split.validation, verbose: 1, callbacks: [halvingSchedule(fit.epochs, fit.learningRate), keepBest] }),
  );
  const trainSeconds = (performance.now() - t0) / 1000;
  const best = await Seq2Seq.load(dir);

  let plain: Seq2Seq | null = null;
  let plainSeconds = 0;
  if (values['no-baseline'] !== true) {
    plain = Seq2Seq.forPairs(split.train, { ...args, attention: 'none', tokens: { source: 'char', target: 'word' }, seed });
    print(`\n2/3 baseline: ${describe(plain)}, the same size and epochs (${plain.model.countParams().toLocaleString('en-US')} weights)`);
    t0 = performance.now();
    await plain.fit(split.train, { ...fit, verbose: 1, callbacks: halvingSchedule(fit.epochs, fit.learningRate) });
    plainSeconds = (performance.now() - t0) / 1000;
  }
  print('\n3/3 baseline: each letter read as its most frequent phonemes (hard-EM alignment)');
  const letters = letterBaseline(split.train);

  // Score every system on the test words (each word against all of its pronunciations).
  const refs = new Map<string, string[]>();
  for (const [w, p] of split.test) refs.set(w, [...(refs.get(w) ?? []), p]);
  const testWords = [...refs.keys()];
  const splitPh = (s: string): string[] => s.split(' ').filter((t) => t !== '');
  const score = (outputs: readonly string[]) => scoreSequences(outputs.map(splitPh), testWords.map((w) => refs.get(w)!.map(splitPh)), false);
  const timed = (f: () => string[]): { outputs: string[]; seconds: number } => {
    const t = performance.now();
    const outputs = f();
    return { outputs, seconds: (performance.now() - t) / 1000 };
  };
  const greedy = timed(() => best.translate(testWords, { beamWidth: 1, unknown: 'map' }));
  const beamed = timed(() => best.translate(testWords, { beamWidth: beam, unknown: 'map' }));
  const rows: [string, ReturnType<typeof score>][] = [
    [`${best.attention} attention, greedy`, score(greedy.outputs)],
    [`${best.attention} attention, beam ${beam}`, score(beamed.outputs)],
  ];
  if (plain !== null) rows.push(['no attention, greedy', score(plain.translate(testWords, { beamWidth: 1, unknown: 'map' }))]);
  rows.push(['letter → phonemes', score(testWords.map(letters))]);
  print(`\nHeld-out test: ${testWords.length} words (${split.test.length} pronunciations)`);
  for (const line of metricsTable(rows, false, 'PER %')) print(line);
  print(`Training: ${minutes(trainSeconds)} (attention model)${plain !== null ? `, ${minutes(plainSeconds)} (baseline)` : ''}; decoding ${testWords.length} words: ${Math.round(testWords.length / greedy.seconds)} words/s greedy, ${Math.round(testWords.length / beamed.seconds)} words/s beam ${beam}`);

  print('\nSome test words:');
  for (let i = 0; i < Math.min(8, testWords.length); i++) {
    const w = testWords[i]!;
    const ok = refs.get(w)!.includes(beamed.outputs[i]!);
    print(`  ${w.padEnd(16)} ${beamed.outputs[i]!.padEnd(28)} ${ok ? '✓' : `✗ (${refs.get(w)!.join(' | ')})`}`);
  }
  print(`\nPronounce any word: rnnkit g2p say${dir === resolve(DEFAULT_G2P_DIR) ? '' : ` --model ${dir}`} rnnkit typescript`);
}

/** The learning rate, halved every epoch of the second half (a fixed budget ends on small steps). */
function halvingSchedule(epochs: number, lr: number): LearningRateScheduler {
  const half = Math.floor(epochs / 2);
  return new LearningRateScheduler((epoch) => (epoch < half ? lr : lr * 0.5 ** (epoch - half + 1)));
}

function minutes(seconds: number): string {
  return seconds < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

async function say(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit g2p say';
  const { values, positionals } = parse(argv, { model: { type: 'string' }, beam: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, command);
  if (values.help === true) return print(SAY_HELP);
  if (positionals.length === 0) throw usageError(`${command}: expected one or more words (see ${command} --help)`);
  const dir = (values.model as string | undefined) ?? DEFAULT_G2P_DIR;
  if (values.model === undefined) {
    try {
      await checkModelDir(dir, 'rnnkit g2p demo');
    } catch {
      throw new CliError(`no model at ${dir}; train one with rnnkit g2p demo, or give --model DIR`);
    }
  } else await checkModelDir(dir, 'rnnkit g2p demo');
  let m: Seq2Seq;
  try {
    m = await Seq2Seq.load(dir);
  } catch (e) {
    throw new CliError(`${dir}: ${(e as Error).message}`);
  }
  const beamWidth = intOption(values, 'beam', m.decoding.beamWidth);
  const words = positionals.map((w) => w.toLowerCase());
  words.forEach((w, i) => {
    const unknown = m.source.unknownChars(w);
    if (unknown.length > 0) throw new CliError(`word ${i + 1} ${JSON.stringify(positionals[i])}: ${unknown.map((c) => JSON.stringify(c)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a letter the model knows (it knows ${JSON.stringify(m.source.chars.join(''))})`);
  });
  const said = m.translate(words, { beamWidth });
  let dict: Map<string, string[]> | null = null;
  try {
    dict = loadCmudict();
  } catch {
    dict = null; // the dictionary is only for comparison
  }
  const w = Math.max(...words.map((x) => x.length)) + 2;
  words.forEach((word, i) => {
    const listed = dict?.get(word);
    print(`${word.padEnd(w)}${said[i]}${listed === undefined ? '' : `   (dictionary: ${listed.join(' | ')})`}`);
  });
}
