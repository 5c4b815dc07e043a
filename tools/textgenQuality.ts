/**
 * Full-size quality figures for issue 5 (the test suite checks a reduced budget):
 * the default `rnnkit textgen train` model on the built-in names, a random 10% held out
 * (fixed seed), held-out cross-entropy per character (nats) against an add-one bigram
 * model on the same split, and the share of 200 names sampled at temperature 0.8 that are
 * not in the training list.   npx tsx tools/textgenQuality.ts
 */
import { Tensor, TextGenerator, Vocabulary } from '../src/index.js';
import { bigramCrossEntropy, splitNames } from '../test/helpers/names.js';
import { DEFAULTS } from '../src/cli/textgen.js';

const { train, test } = splitNames(2024);
const vocab = Vocabulary.fromCorpus([...train, ...test]);
const bigram = bigramCrossEntropy(train, test, vocab);

const gen = new TextGenerator({ vocab, cell: DEFAULTS.cell, units: DEFAULTS.units, layers: DEFAULTS.layers, embeddingDim: DEFAULTS.embeddingDim, seed: DEFAULTS.seed });
const t0 = performance.now();
// As `rnnkit textgen train` does: validationSplit of the training names, the best epoch by val_loss kept.
let best = Infinity;
let bestWeights = gen.model.getWeights();
await gen.fit(train, {
  epochs: DEFAULTS.epochs,
  batchSize: DEFAULTS.batchSize,
  learningRate: DEFAULTS.lr,
  seed: DEFAULTS.seed,
  validationSplit: DEFAULTS.validationSplit,
  verbose: 2,
  callbacks: {
    onEpochEnd: (_epoch: number, logs: Record<string, number>) => {
      if (logs.val_loss! < best) {
        best = logs.val_loss!;
        bestWeights = gen.model.getWeights().map((w) => new Tensor(Float32Array.from(w.data), w.shape));
      }
    },
  },
});
gen.model.setWeights(bestWeights);
const seconds = (performance.now() - t0) / 1000;
const model = gen.evaluate(test).crossEntropy;
const samples = gen.sampleMany(200, { temperature: 0.8, seed: 1 });
const known = new Set(train);
const novel = samples.filter((s) => !known.has(s)).length / samples.length;
const lengths = samples.map((s) => [...s].length);
console.log(`train ${train.length} names, held out ${test.length}; ${DEFAULTS.cell.toUpperCase()}(${DEFAULTS.units}), ${DEFAULTS.epochs} epochs in ${seconds.toFixed(1)} s`);
console.log(`held-out nats/char: model ${model.toFixed(4)}, bigram (add-one) ${bigram.toFixed(4)}, difference ${(bigram - model).toFixed(4)}`);
console.log(`200 samples at temperature 0.8: ${(novel * 100).toFixed(1)}% not in the training list; lengths ${Math.min(...lengths)}–${Math.max(...lengths)}; e.g. ${samples.slice(0, 12).join(', ')}`);
