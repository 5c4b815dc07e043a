/**
 * What stream({precision: 'int8'}) costs in quality (issue 18): the default `rnnkit textgen`
 * model (LSTM, --units as given, default 64) trained on the built-in names with a random 10%
 * held out (the split of tools/textgenQuality.ts), then the held-out cross-entropy per
 * character (nats) computed step by step through a float32 stream and an int8 stream, and
 * their relative difference (the bound: 0.5%). The float32 stream's figure is checked
 * against TextGenerator.evaluate (the same predictions through predict).
 *
 *   npx tsx tools/int8Perplexity.ts [--units 64] [--epochs 8]
 */
import { Tensor, TextGenerator, Vocabulary, lineDataset, useBackend, type Stream } from '../src/index.js';
import { splitNames } from '../test/helpers/names.js';
import { DEFAULTS } from '../src/cli/textgen.js';
import { PAD } from '../src/text/vocabulary.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const units = arg('units', DEFAULTS.units);
const epochs = arg('epochs', DEFAULTS.epochs);

useBackend('wasm');
const { train, test } = splitNames(2024);
const vocab = Vocabulary.fromCorpus([...train, ...test]);
const gen = new TextGenerator({ vocab, cell: 'lstm', units, layers: 1, embeddingDim: DEFAULTS.embeddingDim, seed: DEFAULTS.seed });
const t0 = performance.now();
await gen.fit(train, { epochs, batchSize: DEFAULTS.batchSize, learningRate: DEFAULTS.lr, seed: DEFAULTS.seed, verbose: 0 });
const trained = (performance.now() - t0) / 1000;

/** Held-out nats per character, one name at a time through `s` (reset per name), and the largest |Δp| against `ref`'s probabilities when given. */
function crossEntropy(s: Stream): { ce: number; probs: Float32Array[] } {
  const V = vocab.size;
  const ds = lineDataset(test, vocab);
  const [N, T] = ds.x.shape as [number, number];
  const x = ds.x.data;
  const y = ds.y.data;
  let sum = 0;
  let n = 0;
  const probs: Float32Array[] = [];
  for (let r = 0; r < N; r++) {
    s.reset();
    for (let t = 0; t < T && y[r * T + t] !== PAD; t++) {
      const p = s.step(new Tensor(Float32Array.of(x[r * T + t]!), [1])).data;
      if (r < 100) probs.push(p);
      sum -= Math.log(Math.max(p[y[r * T + t]!]!, 1e-30));
      n++;
    }
  }
  void V;
  return { ce: sum / n, probs };
}

const f32 = crossEntropy(gen.model.stream());
const i8 = crossEntropy(gen.model.stream({ precision: 'int8' }));
let maxDiff = 0;
f32.probs.forEach((p, k) => p.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - i8.probs[k]![i]!)))));
const evaluated = gen.evaluate(test).crossEntropy;
console.log(`LSTM(${units}), ${epochs} epochs (${trained.toFixed(0)} s); held out ${test.length} names`);
console.log(`held-out nats/char: float32 stream ${f32.ce.toFixed(5)} (evaluate ${evaluated.toFixed(5)}), int8 stream ${i8.ce.toFixed(5)}; int8 − float32 ${(i8.ce - f32.ce).toExponential(2)} (${((100 * (i8.ce - f32.ce)) / f32.ce).toFixed(3)}%)`);
console.log(`largest |p_int8 − p_float32| over the first 100 names' steps: ${maxDiff.toExponential(2)}`);
