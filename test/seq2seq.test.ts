/**
 * Sequence to sequence: the metrics against hand-computed values; greedy and beam
 * decoding on hand-built models with known probabilities (beam 1 = greedy exactly, a
 * beam that finds what greedy misses, a wide beam = exhaustive search); Seq2Seq learning
 * copy / reverse / sort tasks (known answers) to ≥ 99% exact match; the inference
 * graphs agreeing with the training model (greedy = re-running the prefix; a wide beam
 * = the best sequence scored by the training model); save → load; errors.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Seq2Seq, type Seq2SeqArgs, Sequential, Tensor, Vocabulary, corpusBleu, editDistance, layers, loadModel, scoreSequences } from '../src/index.js';
import { beamSearch, greedyDecode, type DecodeOptions, type DecoderStep } from '../src/seq2seq/decode.js';
import { EOS, PAD, UNK } from '../src/text/vocabulary.js';

const chars = (s: string): string[] => [...s];
const words = (s: string): string[] => s.split(' ').filter((w) => w !== '');

test('editDistance and the error rates against hand-computed values', () => {
  assert.equal(editDistance(chars('kitten'), chars('sitting')), 3);
  assert.equal(editDistance(chars(''), chars('abc')), 3);
  assert.equal(editDistance(chars('flaw'), chars('lawn')), 2);
  assert.equal(editDistance(words('K AE T'), words('K AE T S')), 1);
  // Input 1 matches its second reference; input 2 is one substitution from "HH AH L OW" (4) and
  // two from "HH EH L OW W" (5): the closest counts. Token error rate = (0 + 1) / (3 + 4).
  const s = scoreSequences(
    [words('T AH M'), words('HH AA L OW')],
    [[words('T AA M'), words('T AH M')], [words('HH AH L OW'), words('HH EH L OW W')]],
    false,
  );
  assert.equal(s.count, 2);
  assert.equal(s.exactMatch, 0.5);
  assert.equal(s.wordErrorRate, 0.5);
  assert.equal(s.tokenErrorRate, 1 / 7);
  assert.equal(s.bleu, null);
});

test('corpus BLEU-4: 1 for identical output, hand-computed n-gram precisions and brevity penalty otherwise', () => {
  const ref = words('the cat sat on the mat today');
  assert.equal(corpusBleu([ref], [[ref]]), 1);
  // Output: "the cat sat on the mat" (6 words) against the 7-word reference: every n-gram
  // matches (6, 5, 4, 3 of 6, 5, 4, 3), brevity penalty exp(1 − 7/6).
  assert.ok(Math.abs(corpusBleu([words('the cat sat on the mat')], [[ref]]) - Math.exp(1 - 7 / 6)) < 1e-12);
  // "the the the the" against "the cat": unigram matches clipped at 1 of 4, no bigram → 0 (no smoothing).
  assert.equal(corpusBleu([words('the the the the')], [[words('the cat')]]), 0);
  // One substitution in 8 words: precisions 7/8, 5/7, 3/6, 1/5; the closest reference length is 8.
  const out = words('a b c d X f g h');
  const expected = Math.exp((Math.log(7 / 8) + Math.log(5 / 7) + Math.log(3 / 6) + Math.log(1 / 5)) / 4);
  assert.ok(Math.abs(corpusBleu([out], [[words('a b c d e f g h'), words('q')]]) - expected) < 1e-12);
});

/**
 * A decoder whose next-symbol probabilities are a fixed function of the symbols so far
 * (its state is the history, reordered as beam search asks): known probabilities.
 */
class TableModel implements DecoderStep {
  private history: number[][] = [];
  private inputOf: number[] = [];
  calls = 0;
  /** Rows computed, summed over the steps. */
  rowSteps = 0;
  constructor(
    private readonly V: number,
    private readonly probs: (history: readonly number[], input: number) => number[],
    private readonly rowsPerInput: number,
  ) {}
  step(tokens: Int32Array, parents: Int32Array | null, rows: number): Float32Array {
    this.calls++;
    this.rowSteps += rows;
    if (this.history.length === 0) {
      this.history = Array.from({ length: rows }, () => []);
      this.inputOf = Array.from({ length: rows }, (_, r) => Math.floor(r / this.rowsPerInput));
    } else if (parents !== null) {
      this.history = Array.from({ length: rows }, (_, r) => [...this.history[parents[r]!]!]);
      this.inputOf = Array.from({ length: rows }, (_, r) => this.inputOf[parents[r]!]!);
    }
    const out = new Float32Array(rows * this.V);
    for (let r = 0; r < rows; r++) {
      // the start symbol is not part of the history
      if (this.calls > 1) this.history[r]!.push(tokens[r]!);
      out.set(this.probs(this.history[r]!, this.inputOf[r]!), r * this.V);
    }
    return out;
  }
}

const A = 3;
const B = 4;
/** First symbol: a 0.6, b 0.4. After a: end 0.4, a 0.3, b 0.3. After b: end 0.9. Greedy says "a" (0.24), the best is "b" (0.36). */
function greedyTrap(h: readonly number[]): number[] {
  const p = [0, 0, 0, 0, 0];
  if (h.length === 0) [p[A], p[B]] = [0.6, 0.4];
  else if (h[0] === A) [p[EOS], p[A], p[B]] = [0.4, 0.3, 0.3];
  else [p[EOS], p[A], p[B]] = [0.9, 0.05, 0.05];
  return p;
}
const trapOptions: DecodeOptions = { start: EOS, end: EOS, vocabSize: 5, maxLength: 6, beamWidth: 2, banned: [PAD, UNK] };

test('beam search finds the known best sequence that greedy decoding misses', () => {
  assert.deepEqual(greedyDecode(new TableModel(5, greedyTrap, 1), 1, trapOptions), [[A]]);
  assert.deepEqual(beamSearch(new TableModel(5, greedyTrap, 2), 1, trapOptions), [[B]]);
  assert.deepEqual(beamSearch(new TableModel(5, greedyTrap, 1), 1, { ...trapOptions, beamWidth: 1 }), [[A]]);
});

/** Pseudo-random next-symbol probabilities, a fixed function of (input, history); some rows tie exactly. */
function randomTable(V: number): (h: readonly number[], input: number) => number[] {
  return (h, input) => {
    const rng = new Rng((h.reduce((a, t) => (a * 31 + t + 1) >>> 0, 17 + input * 7919) >>> 0) + h.length);
    const p = Array.from({ length: V }, (_, v) => (v === PAD ? 0 : 0.05 + rng.uniform()));
    if (rng.uniform() < 0.2) p[4] = p[3]!; // exact ties go to the lower symbol
    p[EOS] = p[EOS]! * (0.3 + h.length * 0.4);
    const sum = p.reduce((a, b) => a + b, 0);
    return p.map((q) => q / sum);
  };
}

test('beam search of width 1 gives exactly the greedy outputs (batched, with ties)', () => {
  const V = 7;
  const table = randomTable(V);
  const o: DecodeOptions = { start: EOS, end: EOS, vocabSize: V, maxLength: 8, beamWidth: 1, banned: [PAD, UNK] };
  const model = new TableModel(V, table, 1);
  const greedy = greedyDecode(model, 40, o);
  const beam1 = beamSearch(new TableModel(V, table, 1), 40, o);
  assert.deepEqual(beam1, greedy);
  assert.ok(new Set(greedy.map((g) => g.join())).size > 10, 'the inputs decode differently');
  // finished inputs leave the batch: the rows computed are the symbols emitted plus one end per finished input
  const finishedCount = greedy.filter((g) => g.length < o.maxLength).length;
  assert.equal(model.rowSteps, greedy.reduce((n, g) => n + g.length, 0) + finishedCount);
  assert.ok(model.rowSteps < 40 * o.maxLength);
  assert.throws(() => greedyDecode(new TableModel(V, () => new Array(V).fill(NaN), 1), 2, o), /NaN probabilities/);
  assert.throws(() => beamSearch(new TableModel(V, () => new Array(V).fill(NaN), 2), 2, { ...o, beamWidth: 2 }), /NaN probabilities/);
});

/** Every output of at most maxLength symbols: the finished ones (end symbol scored) and those cut at maxLength. */
function exhaustiveBest(V: number, probs: (h: readonly number[]) => number[], o: DecodeOptions): { tokens: number[]; score: number } {
  const alpha = o.lengthPenalty ?? 0;
  const lp = (len: number): number => ((5 + len) / 6) ** alpha;
  let best = { tokens: [] as number[], score: -Infinity };
  const visit = (h: number[], logp: number): void => {
    const p = probs(h);
    if (h.length === o.maxLength) {
      const s = logp / lp(h.length);
      if (s > best.score) best = { tokens: h, score: s };
      return;
    }
    const end = (logp + Math.log(p[o.end]!)) / lp(h.length + 1);
    if (end > best.score) best = { tokens: h, score: end };
    for (let v = 0; v < V; v++) if (v !== o.end && !(o.banned ?? []).includes(v)) visit([...h, v], logp + Math.log(p[v]!));
  };
  visit([], 0);
  return best;
}

test('a beam as wide as the search space returns the exhaustive best, with and without a length penalty', () => {
  const V = 6; // pad, end, unknown (banned) and 3 symbols: 3 + 9 + 27 outputs of ≤ 3 symbols
  const table = randomTable(V);
  for (const lengthPenalty of [0, 0.6]) {
    const o: DecodeOptions = { start: EOS, end: EOS, vocabSize: V, maxLength: 3, beamWidth: 27, lengthPenalty, banned: [PAD, UNK] };
    const got = beamSearch(new TableModel(V, table, 27), 5, o);
    for (let n = 0; n < 5; n++) assert.deepEqual(got[n], exhaustiveBest(V, (h) => table(h, n), o).tokens, `input ${n}, α ${lengthPenalty}`);
  }
});

// ---------------------------------------------------------------------------
// Seq2Seq

function letterTask(f: (s: string) => string, count: number, seed: number): [string, string][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    let s = '';
    for (let k = 1 + rng.int(6); k > 0; k--) s += 'abcdefgh'[rng.int(8)];
    return [s, f(s)];
  });
}

// Training is chaotic: a last-bit difference in rounding (another machine, another engine) gives
// another model. Epochs are set so that every task cleared its bar under five other init seeds
// (sort at 15 epochs once reached only 94%; reverse without attention at 15 epochs, 93%).
const TASKS = [
  { name: 'copy', f: (s: string) => s, args: { attention: 'dot', bidirectional: true }, epochs: 12 },
  { name: 'reverse', f: (s: string) => [...s].reverse().join(''), args: { attention: 'dot' }, epochs: 12 },
  { name: 'sort', f: (s: string) => [...s].sort().join(''), args: { attention: 'additive', cell: 'gru', bidirectional: true }, epochs: 20 },
  // Without attention the whole input must pass through the final states: it learns, less exactly (98–100%).
  { name: 'reverse', f: (s: string) => [...s].reverse().join(''), args: { attention: 'none', units: 64 }, epochs: 20, atLeast: 0.95 },
] as const;

for (const task of TASKS) {
  const atLeast = 'atLeast' in task ? task.atLeast : 0.99;
  test(`Seq2Seq learns to ${task.name} letters (${JSON.stringify(task.args)}): ≥ ${atLeast * 100}% exact match on unseen inputs`, async () => {
    const pairs = letterTask(task.f, 2000, 1);
    const heldOut = letterTask(task.f, 300, 2).filter(([s]) => !pairs.some(([p]) => p === s));
    const m = Seq2Seq.forPairs(pairs, { units: 48, embeddingDim: 16, seed: 3, ...task.args });
    await m.fit(pairs, { epochs: task.epochs, batchSize: 32, learningRate: 0.01, verbose: 0, seed: 4 });
    const e = m.evaluate(heldOut);
    assert.ok(e.exactMatch >= atLeast, `exact match ${e.exactMatch}`);
    assert.ok(e.tokenErrorRate <= 1 - atLeast, `character error rate ${e.tokenErrorRate}`);
  });
}

/** A small trained copy model over 'abc' (for the agreement tests). */
async function copyModel(args: Partial<Seq2SeqArgs> = {}): Promise<Seq2Seq> {
  const rng = new Rng(5);
  const pairs = Array.from({ length: 400 }, (): [string, string] => {
    let s = '';
    for (let k = 1 + rng.int(4); k > 0; k--) s += 'abc'[rng.int(3)];
    return [s, s];
  });
  const m = Seq2Seq.forPairs(pairs, { units: 16, embeddingDim: 8, seed: 6, ...args });
  await m.fit(pairs, { epochs: 2, batchSize: 16, learningRate: 0.01, verbose: 0, seed: 7 });
  return m;
}

/** The target-probability rows the training model gives for `target` after `source` (teacher forcing). */
function teacherForced(m: Seq2Seq, source: string, target: number[]): Float32Array[] {
  const src = m.source.encode(source);
  const tgtIn = [EOS, ...target];
  const y = m.model.predict([new Tensor(new Float32Array(src), [1, src.length]), new Tensor(new Float32Array(tgtIn), [1, tgtIn.length])]);
  const V = m.target.size;
  return tgtIn.map((_, t) => y.data.subarray(t * V, (t + 1) * V));
}

const ARCHITECTURES: Partial<Seq2SeqArgs>[] = [{}, { attention: 'none', layers: 2 }, { attention: 'additive', cell: 'gru', bidirectional: true, layers: 2 }];

for (const args of ARCHITECTURES) test(`greedy translate (a batch of mixed lengths, padded) = re-running the training model on the growing prefix: ${JSON.stringify(args)}`, async () => {
  const m = await copyModel(args);
  const sources = ['abcab', 'a', 'cc', 'bacb', 'b', 'abca'];
  const got = m.translate(sources, { maxLength: 7 });
  for (const [i, s] of sources.entries()) {
    const out: number[] = [];
    for (let t = 0; t < 7; t++) {
      const p = teacherForced(m, s, out).at(-1)!;
      let best = -1;
      for (let v = 0; v < p.length; v++) if (v !== PAD && v !== UNK && (best < 0 || p[v]! > p[best]!)) best = v;
      if (best === EOS) break;
      out.push(best);
    }
    assert.equal(got[i], m.target.decode(out), `source ${s}`);
  }
});

test('a beam as wide as the search space = the best output scored by the training model', async () => {
  const m = await copyModel();
  const maxLength = 3;
  const scoreOf = (source: string, tokens: number[], cut: boolean): number => {
    const rows = teacherForced(m, source, tokens);
    let logp = tokens.reduce((s, v, t) => s + Math.log(rows[t]![v]!), 0);
    if (!cut) logp += Math.log(rows[tokens.length]![EOS]!);
    return logp;
  };
  for (const source of ['ab', 'cab', 'b']) {
    const outputs: { tokens: number[]; score: number }[] = [];
    const grow = (h: number[]): void => {
      if (h.length === maxLength) return void outputs.push({ tokens: h, score: scoreOf(source, h, true) });
      outputs.push({ tokens: h, score: scoreOf(source, h, false) });
      for (const v of [3, 4, 5]) grow([...h, v]);
    };
    grow([]);
    const best = Math.max(...outputs.map((o) => o.score));
    const got = m.translate(source, { beamWidth: 27, maxLength });
    const gotScore = outputs.find((o) => m.target.decode(o.tokens) === got)!.score;
    assert.ok(best - gotScore < 1e-5, `${source}: beam output "${got}" scores ${gotScore}, the best ${best}`);
  }
});

test('word tokens: reverse a sequence of number words into digits; BLEU reported for word targets', async () => {
  const names = ['one', 'two', 'three', 'four', 'five'];
  const rng = new Rng(8);
  const pair = (): [string, string] => {
    const ids = Array.from({ length: 1 + rng.int(4) }, () => rng.int(5));
    return [ids.map((i) => names[i]).join(' '), ids.reverse().map((i) => String(i + 1)).join(' ')];
  };
  const pairs = Array.from({ length: 800 }, pair);
  const m = Seq2Seq.forPairs(pairs, { tokens: 'word', units: 32, embeddingDim: 8, seed: 9 });
  assert.deepEqual(m.source.chars, ['five', 'four', 'one', 'three', 'two']);
  assert.equal(m.target.mode, 'word');
  await m.fit(pairs, { epochs: 15, batchSize: 32, learningRate: 0.01, verbose: 0, seed: 10 });
  assert.equal(m.translate('one two  three'), '3 2 1');
  const e = m.evaluate(Array.from({ length: 100 }, pair));
  assert.ok(e.exactMatch >= 0.99, `exact match ${e.exactMatch}`);
  assert.ok(e.bleu !== null && e.bleu >= 0.95, `BLEU ${e.bleu}`);
  // a per-side choice: characters in, words out
  const g2p = Seq2Seq.forPairs([['cat', 'K AE T']], { tokens: { target: 'word' } });
  assert.deepEqual([g2p.source.mode, g2p.target.chars], ['char', ['AE', 'K', 'T']]);
});

test('save → load → translate gives identical outputs; loadModel reads it as a plain graph model; other models are refused', async () => {
  const m = await copyModel();
  const dir = await mkdtemp(join(tmpdir(), 'rnnkit-s2s-'));
  try {
    m.setDecoding({ beamWidth: 3, lengthPenalty: 0.5 });
    await m.save(join(dir, 's2s'));
    const back = await Seq2Seq.load(join(dir, 's2s'));
    assert.deepEqual(back.decoding, { beamWidth: 3, lengthPenalty: 0.5, maxLength: null });
    assert.deepEqual(back.translate(['', 'ab', '']), ['', m.translate('ab'), '']);
    const sources = ['abc', 'cab', 'a', 'bbca'];
    assert.deepEqual(back.translate(sources), m.translate(sources));
    assert.deepEqual(back.translate(sources, { beamWidth: 4 }), m.translate(sources, { beamWidth: 4 }));
    assert.deepEqual([back.cell, back.attention, back.units, back.maxTargetLength], [m.cell, m.attention, m.units, m.maxTargetLength]);
    const plain = await loadModel(join(dir, 's2s'));
    assert.deepEqual(plain.inputNames, ['source', 'target_in']);
    const x = [new Tensor(new Float32Array([3, 4, 5]), [1, 3]), new Tensor(new Float32Array([1, 3, 4]), [1, 3])];
    assert.deepEqual(Array.from(plain.predict(x).data), Array.from(m.model.predict(x).data));
    // a bidirectional encoder (its inner layers are named encoder_i_cell) and the state joins travel too
    const bi = await copyModel(ARCHITECTURES[2]);
    await bi.save(join(dir, 'bi'));
    assert.deepEqual((await Seq2Seq.load(join(dir, 'bi'))).translate(sources, { beamWidth: 3 }), bi.translate(sources, { beamWidth: 3 }));
    // training resumes (the optimizer state travelled)
    await back.fit([['ab', 'ab']], { epochs: 1, verbose: 0 });
    // settings that disagree with the layers are refused at load, naming the layer
    const file = join(dir, 's2s', 'model.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.userDefinedMetadata.seq2seq.units = 99;
    await writeFile(file, JSON.stringify(json));
    await assert.rejects(Seq2Seq.load(join(dir, 's2s')), /is not an rnnkit Seq2Seq: layer 'encoder_0' has units 16, the settings say 99/);
    json.userDefinedMetadata.seq2seq.units = 16;
    json.userDefinedMetadata.seq2seq.cell = 'gru';
    await writeFile(file, JSON.stringify(json));
    await assert.rejects(Seq2Seq.load(join(dir, 's2s')), /layer 'encoder_0' is a LSTM, expected a GRU/);
    const other = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] });
    await other.save(join(dir, 'other'));
    await assert.rejects(Seq2Seq.load(join(dir, 'other')), /is not an rnnkit Seq2Seq: its model.json has no Seq2Seq metadata/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Seq2Seq errors name the argument, the pair or the symbol', async () => {
  const v = Vocabulary.fromCorpus('ab');
  assert.throws(() => new Seq2Seq({ source: v, target: v, hidden: 3 } as never), /hidden/);
  assert.throws(() => new Seq2Seq({ source: v, target: v, attention: 'luong' as never }), /attention must be one of none, dot, additive/);
  assert.throws(() => new Seq2Seq({ source: v, target: v, units: 5, bidirectional: true }), /even units/);
  assert.throws(() => Seq2Seq.forPairs([['a', 'b', 'c']] as never), /pair 1 must be \[source, target\] strings/);
  assert.throws(() => Seq2Seq.forPairs([['a', 'b']], { tokens: 'bpe' as never }), /tokens must be 'char' or 'word'/);
  const m = new Seq2Seq({ source: v, target: v, units: 4, embeddingDim: 2, seed: 1 });
  await assert.rejects(m.fit([['ab', 'ba'], ['ab', '']], { verbose: 0 }), /pair 2, target is empty/);
  await assert.rejects(m.fit([['ab', 'ba'], ['az', 'b']], { verbose: 0 }), /pair 2, source: character "z" is not in the vocabulary/);
  await assert.rejects(m.fit([['ab', 'ba']], { epochs: 1, verbose: 0, lr: 0.1 } as never), /lr/);
  assert.throws(() => m.translate(['ab', 'xb']), /texts\[1\] "xb": character "x" is not in the vocabulary/);
  assert.equal(typeof m.translate('xb', { unknown: 'map', maxLength: 3 }), 'string');
  assert.throws(() => m.translate('ab', { beamWidth: 0 }), /beamWidth must be a positive integer/);
  assert.throws(() => m.translate('ab', { beam: 3 } as never), /beam/);
  assert.throws(() => m.translate('ab', { lengthPenalty: -1 }), /lengthPenalty must be a number ≥ 0/);
  assert.throws(() => m.setDecoding({ beamWidth: 2.5 }), /setDecoding: beamWidth must be a positive integer/);
  assert.throws(() => m.setDecoding({ beam: 2 } as never), /beam/);
  await assert.rejects(m.fit([['ab', 'ba']], { verbose: 0, validationData: [['ab']] as never }), /validationData: pair 1 must be \[source, target\] strings/);
});
