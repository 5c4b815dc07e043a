/**
 * Character-level text generation: vocabulary, datasets (ordering, padding, masking),
 * sampling (seeded determinism, temperature → 0 = argmax, topK), errors, save/load,
 * and the quality bar on a reduced budget (held-out nats/char vs an add-one bigram model;
 * novelty and shape of sampled names).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Sequential, TextGenerator, Vocabulary, layers, lineDataset, sampleIndex, windowDataset } from '../src/index.js';
import { bigramCrossEntropy, splitNames } from './helpers/names.js';

// Quality bar (issue 5): the model must beat an add-one bigram by this many nats/char.
const MARGIN_NATS = 0.25;
const MIN_NOVEL = 0.7;

const small = ['anna', 'bob', 'carla', 'dora', 'emil', 'frida', 'greta', 'hans', 'ida', 'jonas', 'karl', 'lena', 'maria', 'nils', 'olga', 'paul'];

test('Vocabulary: sorted characters after padding, EOS and unknown; encode/decode; JSON round trip', () => {
  const v = Vocabulary.fromCorpus(['banana', 'cab']);
  assert.deepEqual(v.chars, ['a', 'b', 'c', 'n']);
  assert.equal(v.size, 7);
  assert.deepEqual(v.encode('cab'), [5, 3, 4]);
  assert.equal(v.decode([1, 5, 3, 4, 1, 0, 0]), 'cab');
  assert.deepEqual(v.encode('abz?', { unknown: 'map' }), [3, 4, 2, 2]);
  assert.throws(() => v.encode('abz?'), (e: Error) => e instanceof RangeError && /"z", "\?"/.test(e.message) && /not in the vocabulary/.test(e.message));
  assert.deepEqual(Vocabulary.fromJSON(JSON.parse(JSON.stringify(v))).chars, v.chars);
  // Code points, not UTF-16 units, and code-point order.
  const u = Vocabulary.fromCorpus('zé😀a\n');
  assert.deepEqual(u.chars, ['\n', 'a', 'z', 'é', '😀']);
  assert.deepEqual(u.encode('😀a'), [7, 4]);
  assert.throws(() => Vocabulary.fromCorpus(''), RangeError);
});

test('lineDataset: [EOS, chars…] → [chars…, EOS], right-padded with 0; truncation keeps the next character', () => {
  const v = Vocabulary.fromCorpus(['ab', 'c']);
  const a = 3, b = 4, c = 5;
  const ds = lineDataset(['ab', 'c'], v);
  assert.deepEqual(ds.x.shape, [2, 3]);
  assert.deepEqual(Array.from(ds.x.data), [1, a, b, 1, c, 0]);
  assert.deepEqual(Array.from(ds.y.data), [a, b, 1, c, 1, 0]);
  assert.equal(ds.predictions, 5);
  const t = lineDataset(['abc'], Vocabulary.fromCorpus('abc'), { maxLength: 2 });
  assert.deepEqual(Array.from(t.x.data), [1, a, b]);
  assert.deepEqual(Array.from(t.y.data), [a, b, c]);
  assert.throws(() => lineDataset(['ab', 'x'], v), /line 2: character "x" is not in the vocabulary/);
});

test('windowDataset: input text[i…i+T), target shifted by one, every stride characters', () => {
  const v = Vocabulary.fromCorpus('abcdefg');
  const ds = windowDataset('abcdefg', v, { seqLength: 3, stride: 2 });
  const id = (s: string): number[] => v.encode(s);
  assert.deepEqual(ds.x.shape, [2, 3]);
  assert.deepEqual(Array.from(ds.x.data), [...id('abc'), ...id('cde')]);
  assert.deepEqual(Array.from(ds.y.data), [...id('bcd'), ...id('def')]);
  assert.throws(() => windowDataset('abc', v, { seqLength: 3 }), /needs at least 4/);
});

test('masking: padding steps change neither the loss nor the scored cross-entropy', () => {
  const vocab = Vocabulary.fromCorpus(small);
  const gen = new TextGenerator({ vocab, cell: 'gru', units: 8, seed: 3 });
  gen.model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const tight = lineDataset(small, vocab);
  const padded = lineDataset(small, vocab, { maxLength: 12 });
  const l1 = gen.model.evaluate(tight.x, tight.y, { batchSize: 64, verbose: 0 })[0]!;
  const l2 = gen.model.evaluate(padded.x, padded.y, { batchSize: 64, verbose: 0 })[0]!;
  assert.ok(Math.abs(l1 - l2) < 1e-5, `loss with padding ${l2} vs without ${l1}`);
  // evaluate() counts every character plus each line's end.
  const ev = gen.evaluate(small);
  assert.equal(ev.predictions, small.join('').length + small.length);
  assert.ok(Math.abs(ev.crossEntropy - l1) < 1e-4, `evaluate ${ev.crossEntropy} vs model loss ${l1}`);
  assert.ok(Math.abs(ev.perplexity - Math.exp(ev.crossEntropy)) < 1e-9);
});

test('sampleIndex: temperature → 0 is the argmax; topK restricts the choices; banned never drawn', () => {
  const p = [0.05, 0.3, 0.4, 0.25];
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++) assert.equal(sampleIndex(p, 0, 4, rng, { temperature: 1e-3 }), 2);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(sampleIndex(p, 0, 4, rng, { topK: 2 }));
  assert.deepEqual([...seen].sort(), [1, 2]);
  for (let i = 0; i < 200; i++) assert.equal(sampleIndex(p, 0, 4, rng, { topK: 1 }), 2);
  for (let i = 0; i < 500; i++) assert.notEqual(sampleIndex(p, 0, 4, rng, { banned: [2] }), 2);
  // High temperature flattens: the rare index shows up far more often than 5%.
  let rare = 0;
  for (let i = 0; i < 4000; i++) if (sampleIndex(p, 0, 4, rng, { temperature: 50 }) === 0) rare++;
  assert.ok(rare / 4000 > 0.18, `rare index at temperature 50: ${rare / 4000}`);
});

test('sampleIndex at temperature 1 draws each index with its probability (banned ones renormalised away), like a temperature near 1', () => {
  const p = [0.05, 0.3, 0.4, 0.25, 0];
  const n = 40000;
  const freq = (opts: { temperature?: number; banned?: number[] }, seed: number): number[] => {
    const rng = new Rng(seed);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[sampleIndex(p, 0, 5, rng, opts)]!++;
    return counts.map((c) => c / n);
  };
  // Binomial standard deviation at n = 40000 is at most 0.0025: 0.012 is about five of them.
  const close = (got: number[], want: number[], what: string): void => {
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 0.012, `${what}: index ${i} drawn ${got[i]}, expected ${want[i]}`);
  };
  close(freq({}, 3), p, 'temperature 1');
  close(freq({ temperature: 1 + 1e-9 }, 4), p, 'temperature 1 + 1e-9 (the logarithmic path)');
  close(freq({ banned: [2] }, 5), [0.05 / 0.6, 0.3 / 0.6, 0, 0.25 / 0.6, 0], 'banned 2');
});

async function smallGenerator(): Promise<TextGenerator> {
  const gen = new TextGenerator({ vocab: Vocabulary.fromCorpus(small), cell: 'lstm', units: 16, seed: 5 });
  await gen.fit(small, { epochs: 15, batchSize: 8, verbose: 0, seed: 1 });
  return gen;
}

/** Greedy decoding by re-running predict on the whole growing sequence (no stream). */
function greedy(gen: TextGenerator, prefix: string): string {
  const ids = [1, ...gen.vocab.encode(prefix)];
  const V = gen.vocab.size;
  while (ids.length - 1 < gen.maxLength) {
    const probs = gen.model.predict([ids]).data;
    const row = probs.subarray((ids.length - 1) * V, ids.length * V);
    let best = -1;
    for (let i = 0; i < V; i++) if (i !== 0 && i !== 2 && (best < 0 || row[i]! > row[best]!)) best = i;
    if (best === 1) break;
    ids.push(best);
  }
  return gen.vocab.decode(ids);
}

test('sample: seeded determinism, temperature → 0 = greedy decoding, topK 1 = argmax, prefix kept', async () => {
  const gen = await smallGenerator();
  const a = gen.sampleMany(20, { seed: 7 });
  assert.deepEqual(gen.sampleMany(20, { seed: 7 }), a);
  assert.notDeepEqual(gen.sampleMany(20, { seed: 8 }), a);
  assert.equal(gen.sample({ seed: 3, prefix: 'ka' }), gen.sample({ seed: 3, prefix: 'ka' }));
  for (const prefix of ['', 'ma', 'jo']) {
    const g = greedy(gen, prefix);
    assert.equal(gen.sample({ prefix, temperature: 1e-4, seed: 1 }), g, `prefix '${prefix}'`);
    assert.equal(gen.sample({ prefix, topK: 1, seed: 2 }), g);
  }
  for (const s of gen.sampleMany(50, { prefix: 'ol', seed: 4 })) {
    assert.ok(s.startsWith('ol'));
    assert.ok(s.length <= gen.maxLength);
  }
  assert.ok(gen.sample({ maxLength: 3, seed: 1, temperature: 5 }).length <= 3);
});

test('sample/generator errors: temperature, topK, unknown prefix characters, options', async () => {
  const gen = new TextGenerator({ vocab: Vocabulary.fromCorpus(small), units: 4, seed: 1 });
  assert.throws(() => gen.sample({ temperature: 0 }), (e: Error) => e instanceof RangeError && /temperature/.test(e.message));
  assert.throws(() => gen.sample({ temperature: -1 }), (e: Error) => e instanceof RangeError && /temperature/.test(e.message));
  assert.throws(() => gen.sample({ topK: 0 }), (e: Error) => e instanceof RangeError && /topK/.test(e.message));
  assert.throws(() => gen.sample({ prefix: 'an!Q' }), (e: Error) => e instanceof RangeError && /"!", "Q"/.test(e.message));
  assert.throws(() => gen.sample({ temprature: 1 } as never), /unknown option 'temprature'/);
  assert.throws(() => new TextGenerator({ vocab: gen.vocab, cell: 'rnn' as never }), /cell must be one of lstm, gru, simple/);
});

test('save/load: the vocabulary travels in model.json; same seed, same samples; other models refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rnnkit-text-'));
  try {
    const gen = await smallGenerator();
    await gen.save(join(dir, 'gen'));
    const json = JSON.parse(await readFile(join(dir, 'gen', 'model.json'), 'utf8')) as { userDefinedMetadata: Record<string, { vocabulary: { chars: string[] } }> };
    assert.deepEqual(json.userDefinedMetadata.rnnkitTextGenerator!.vocabulary.chars, [...gen.vocab.chars]);
    const back = await TextGenerator.load(join(dir, 'gen'));
    assert.equal(back.maxLength, gen.maxLength);
    assert.deepEqual(back.sampleMany(10, { seed: 9, prefix: 'a' }), gen.sampleMany(10, { seed: 9, prefix: 'a' }));
    assert.ok(Math.abs(back.evaluate(small).crossEntropy - gen.evaluate(small).crossEntropy) < 1e-6);
    const plain = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    await plain.save(join(dir, 'plain'));
    await assert.rejects(TextGenerator.load(join(dir, 'plain')), /is not an rnnkit text generator/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('src/text is browser-safe: no node: imports, no process', async () => {
  const dir = new URL('../src/text/', import.meta.url);
  for (const f of await readdir(dir)) {
    const src = await readFile(new URL(f, dir), 'utf8');
    assert.ok(!/from ['"]node:|import\(['"]node:|\bprocess\./.test(src), `src/text/${f} uses Node`);
  }
});

test('quality bar (reduced budget): beats an add-one bigram on held-out names; sampled names novel and well-formed', async () => {
  const { train, test: heldOut } = splitNames(2024);
  const vocab = Vocabulary.fromCorpus([...train, ...heldOut]);
  const bigram = bigramCrossEntropy(train, heldOut, vocab);
  const gen = new TextGenerator({ vocab, cell: 'lstm', units: 64, seed: 11 });
  await gen.fit(train, { epochs: 3, batchSize: 32, verbose: 0, seed: 12 });
  const model = gen.evaluate(heldOut).crossEntropy;
  assert.ok(model <= bigram - MARGIN_NATS, `held-out nats/char: model ${model.toFixed(4)}, bigram ${bigram.toFixed(4)} (need ≥ ${MARGIN_NATS} better)`);
  const samples = gen.sampleMany(200, { temperature: 0.8, seed: 13 });
  const known = new Set(train);
  const novel = samples.filter((s) => !known.has(s)).length / samples.length;
  assert.ok(novel >= MIN_NOVEL, `novel: ${novel}`);
  for (const s of samples) {
    const len = [...s].length;
    assert.ok(len >= 2 && len <= 20, `sample ${JSON.stringify(s)} has ${len} characters`);
    assert.deepEqual(vocab.unknownChars(s), [], `sample ${JSON.stringify(s)}`);
  }
  console.log(`  held-out nats/char: model ${model.toFixed(4)}, bigram ${bigram.toFixed(4)}; novel ${(novel * 100).toFixed(1)}%`);
});

test('regression: predict after a stream starts from the zero state again', () => {
  const m = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [null], seed: 1 }), layers.lstm({ units: 4, returnSequences: true, seed: 2 })] });
  const before = Array.from(m.predict([[1, 2]]).data);
  const s = m.stream({ batchSize: 1 });
  s.step([3]);
  s.step([4]);
  assert.deepEqual(Array.from(m.predict([[1, 2]]).data), before);
});

test('regression: a fit seed whose derived shuffle seed has the top bit set trains (the derived seed was negative and refused)', async () => {
  const names = ['anna', 'bob', 'carla', 'dora'];
  const gen = new TextGenerator({ vocab: Vocabulary.fromCorpus(names), units: 4, seed: 1 });
  // 0x80000000 ^ 0x5f3759df has bit 31 set: as a signed int it was negative
  const h = await gen.fit(names, { epochs: 1, verbose: 0, seed: 0x80000000 });
  assert.equal(h.history.loss!.length, 1);
});

test('TextGenerator.fit passes workers to Model.fit (as TextClassifier and Seq2Seq do); a bad value is refused by fit by name', async () => {
  const vocab = Vocabulary.fromCorpus(['ab', 'ba']);
  const g = new TextGenerator({ vocab, units: 2, seed: 1 });
  const seen: unknown[] = [];
  const orig = g.model.fit.bind(g.model);
  g.model.fit = (x, y, a) => (seen.push(a?.workers), orig(x, y, a));
  await g.fit(['ab', 'ba', 'aab'], { epochs: 1, verbose: 0, seed: 1, workers: 1 });
  await g.fit(['ab', 'ba', 'aab'], { epochs: 1, verbose: 0, seed: 1 });
  assert.deepEqual(seen, [1, undefined], 'workers 1, then fit\'s default');
  await assert.rejects(g.fit(['ab', 'ba'], { epochs: 1, verbose: 0, workers: 'two' as never }), /workers must be a positive integer or 'auto', got "two"/);
});
