/**
 * The quality baseline for text generation on the built-in names (test/text.test.ts and
 * tools/textgenQuality.ts): a seeded 90/10 split and an add-one bigram model.
 */
import { Rng, type Vocabulary } from '../../src/index.js';
import { builtInNames } from '../../src/cli/names.js';

/** Held-out cross-entropy per character (nats) of a bigram model with add-one smoothing, scored as TextGenerator.evaluate scores. */
export function bigramCrossEntropy(train: readonly string[], test: readonly string[], vocab: Vocabulary): number {
  const V = vocab.size;
  const counts = new Float64Array(V * V);
  const rows = new Float64Array(V);
  const seq = (s: string): number[] => [1, ...vocab.encode(s), 1];
  for (const n of train) {
    const ids = seq(n);
    for (let i = 0; i + 1 < ids.length; i++) {
      counts[ids[i]! * V + ids[i + 1]!]!++;
      rows[ids[i]!]!++;
    }
  }
  const outcomes = vocab.chars.length + 1; // every character and EOS
  let sum = 0;
  let n = 0;
  for (const s of test) {
    const ids = seq(s);
    for (let i = 0; i + 1 < ids.length; i++) {
      sum -= Math.log((counts[ids[i]! * V + ids[i + 1]!]! + 1) / (rows[ids[i]!]! + outcomes));
      n++;
    }
  }
  return sum / n;
}

/** The built-in names split 90/10 at random (fixed seed). */
export function splitNames(seed: number): { train: string[]; test: string[] } {
  const names = builtInNames();
  const order = names.map((_, i) => i);
  new Rng(seed).shuffle(order);
  const nTest = Math.floor(names.length * 0.1);
  return { test: order.slice(0, nTest).map((i) => names[i]!), train: order.slice(nTest).map((i) => names[i]!) };
}
