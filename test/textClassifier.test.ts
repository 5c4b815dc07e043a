import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogisticRegression, NaiveBayes, Rng, TextClassifier, TextVectorizer, classifierReport, emailText, htmlToText, loadModel } from '../src/index.js';

const NOISE = Array.from({ length: 150 }, (_, i) => `w${i}`);
const PLANTED: Record<string, string[]> = {
  pos: ['good', 'great', 'love', 'excellent', 'fine'],
  neg: ['bad', 'awful', 'hate', 'poor', 'terrible'],
  meh: ['okay', 'average', 'so-so', 'mediocre', 'fair'],
};

/** Texts of noise words with one planted word per label of the text. */
function planted(n: number, seed: number, classes: readonly string[], multi = false): { texts: string[]; labels: string[]; sets: string[][] } {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
  const texts: string[] = [];
  const labels: string[] = [];
  const sets: string[][] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 6 + Math.floor(rng.uniform() * 12) }, () => pick(NOISE));
    const set = multi ? classes.filter(() => rng.uniform() < 0.4) : [pick(classes)];
    for (const c of set) words.splice(Math.floor(rng.uniform() * (words.length + 1)), 0, pick(PLANTED[c]!));
    texts.push(words.join(' '));
    labels.push(set[0] ?? '');
    sets.push(set);
  }
  return { texts, labels, sets };
}

const small = { vectorizer: { maxTokens: 300, outputSequenceLength: 24 }, units: 8, embeddingDim: 16, seed: 1 };

test('binary sentiment from planted words among noise: ≥ 95% held-out accuracy; save → load → identical probabilities', async () => {
  const train = planted(600, 1, ['pos', 'neg']);
  const held = planted(200, 2, ['pos', 'neg']);
  const c = TextClassifier.forData(train.texts, train.labels, small);
  assert.deepEqual(c.classes, ['neg', 'pos']);
  assert.equal(c.outputWidth, 1);
  await c.fit(train.texts, train.labels, { epochs: 6, learningRate: 0.01, verbose: 0, seed: 2 });
  const r = c.evaluate(held.texts, held.labels);
  assert.ok(r.accuracy >= 0.95, `accuracy ${r.accuracy}`);
  assert.ok(r.classes[1]!.rocAuc >= 0.98, `AUC ${r.classes[1]!.rocAuc}`);
  const p = c.predict('w1 w2 love w3');
  assert.equal(p.label, 'pos');
  assert.ok(Math.abs(p.probabilities.pos! + p.probabilities.neg! - 1) < 1e-6);

  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-cls-'));
  await c.save(dir);
  const back = await TextClassifier.load(dir);
  assert.deepEqual(back.classes, c.classes);
  assert.deepEqual(back.vectorizer.getVocabulary(), c.vectorizer.getVocabulary());
  assert.deepEqual(Array.from(back.probabilities(held.texts).data), Array.from(c.probabilities(held.texts).data));
  // a plain model too
  const plain = await loadModel(dir);
  assert.deepEqual(plain.outputs[0]!.shape, [null, 1]);
});

test('multi-class (softmax) and multi-label (a sigmoid per label) learn their planted words', async () => {
  const classes = ['pos', 'neg', 'meh'];
  const train = planted(900, 3, classes);
  const held = planted(300, 4, classes);
  const c = TextClassifier.forData(train.texts, train.labels, small);
  assert.equal(c.outputWidth, 3);
  await c.fit(train.texts, train.labels, { epochs: 8, learningRate: 0.01, verbose: 0, seed: 5 });
  const r = c.evaluate(held.texts, held.labels);
  assert.ok(r.accuracy >= 0.95, `multi-class accuracy ${r.accuracy}`);
  assert.equal((r.confusion as number[][]).flat().reduce((a, b) => a + b, 0), 300);

  const mtrain = planted(900, 6, classes, true);
  const mheld = planted(300, 7, classes, true);
  const m = TextClassifier.forData(mtrain.texts, mtrain.sets, { ...small, multiLabel: true, classes });
  await m.fit(mtrain.texts, mtrain.sets, { epochs: 10, learningRate: 0.01, verbose: 0, seed: 8 });
  const mr = m.evaluate(mheld.texts, mheld.sets);
  assert.ok(mr.micro.f1 >= 0.95, `multi-label micro F1 ${mr.micro.f1}`);
  assert.ok(mr.accuracy >= 0.85, `multi-label exact-set accuracy ${mr.accuracy}`);
  const both = m.predict('w1 love w2 okay w3');
  assert.deepEqual([...both.labels].sort(), ['meh', 'pos']);
  assert.equal(m.predict('w1 w2 w3').labels.length, 0);
});

test('a Conv1D front end (which drops the padding mask, as Keras) still learns the planted words', async () => {
  const train = planted(600, 12, ['pos', 'neg']);
  const held = planted(200, 13, ['pos', 'neg']);
  const c = TextClassifier.forData(train.texts, train.labels, { ...small, conv: { filters: 8, kernelSize: 3 } });
  assert.deepEqual(c.model.layers.map((l) => l.className), ['InputLayer', 'Embedding', 'Conv1D', 'Bidirectional', 'GlobalMaxPooling1D', 'Dense']);
  await c.fit(train.texts, train.labels, { epochs: 6, learningRate: 0.01, verbose: 0, seed: 2 });
  assert.ok(c.evaluate(held.texts, held.labels).accuracy >= 0.9);
});

test('a saved classifier whose vocabulary outgrew its embedding is refused at load, naming the layer', async () => {
  const train = planted(50, 14, ['pos', 'neg']);
  const c = TextClassifier.forData(train.texts, train.labels, small);
  const meta = c.metadata();
  const vocabulary = [...meta.vectorizer.vocabulary!, ...Array.from({ length: 400 }, (_, i) => `extra${i}`)];
  const tampered = { ...meta, vectorizer: { ...meta.vectorizer, maxTokens: 1000, vocabulary } };
  c.model.metadata = { textClassifier: tampered };
  const rows = c.vectorizer.vocabularySize();
  assert.throws(() => TextClassifier.fromModel(c.model), new RegExp(`is not an rnnkit TextClassifier: its embedding 'embedding' has ${rows} rows, fewer than the vectorizer's ${rows + 400} ids`));
});

test("the embedding has one row per vocabulary entry once adapted (Keras's Embedding(len(get_vocabulary()))), maxTokens rows before", () => {
  const train = planted(50, 14, ['pos', 'neg']);
  const c = TextClassifier.forData(train.texts, train.labels, small);
  const rows = (m: TextClassifier): number => m.model.getLayer('embedding').weights[0]!.shape[0]!;
  assert.ok(c.vectorizer.vocabularySize() < 300, `a corpus smaller than maxTokens (${c.vectorizer.vocabularySize()} entries)`);
  assert.equal(rows(c), c.vectorizer.vocabularySize());
  const before = new TextClassifier({ classes: ['a', 'b'], vectorizer: { maxTokens: 300, outputSequenceLength: 14 }, units: 4 });
  assert.equal(rows(before), 300);
});

test("class weights: 'balanced' follows n / (classes × count); a class weighted 0 is never learned", async () => {
  const train = planted(400, 9, ['pos', 'neg']);
  const c = TextClassifier.forData(train.texts, train.labels, small);
  await c.fit(train.texts, train.labels, { epochs: 4, learningRate: 0.01, verbose: 0, seed: 1, classWeight: { neg: 0, pos: 1 } });
  const r = c.evaluate(train.texts, train.labels);
  // with no loss from 'neg' texts, everything looks 'pos'
  assert.equal(r.classes[1]!.recall, 1);
  assert.ok(r.classes[0]!.recall < 0.2, `neg recall ${r.classes[0]!.recall}`);
  assert.deepEqual(TextClassifier.balancedWeights(['a', 'a', 'a', 'b'], ['a', 'b']), { a: 4 / 6, b: 2 });
  const balanced = TextClassifier.forData(train.texts, train.labels, small);
  await balanced.fit(train.texts, train.labels, { epochs: 1, verbose: 0, seed: 1, classWeight: 'balanced' });
});

test('classifierReport against hand-computed counts, single- and multi-label', () => {
  // 4 texts, 2 classes; predicted argmax: b, a, b, b; truth: b, b, a, b
  const probs = Float32Array.from([0.2, 0.8, 0.6, 0.4, 0.3, 0.7, 0.1, 0.9]);
  const truth = Float32Array.from([0, 1, 0, 1, 1, 0, 0, 1]);
  const r = classifierReport(probs, truth, ['a', 'b'], { multiLabel: false, threshold: 0.5 });
  assert.deepEqual(r.confusion, [
    [0, 1],
    [1, 2],
  ]);
  assert.equal(r.accuracy, 0.5);
  assert.equal(r.classes[1]!.precision, 2 / 3);
  assert.equal(r.classes[1]!.recall, 2 / 3);
  // b's scores 0.8, 0.4, 0.7, 0.9 for labels 1, 1, 0, 1: pairs (pos > neg) = 2 of 3
  assert.ok(Math.abs(r.classes[1]!.rocAuc - 2 / 3) < 1e-12);
  const ml = classifierReport(Float32Array.from([0.9, 0.6, 0.2, 0.4]), Float32Array.from([1, 0, 0, 1]), ['x', 'y'], { multiLabel: true, threshold: 0.5 });
  assert.deepEqual(ml.confusion, [
    [
      [1, 0],
      [0, 1],
    ],
    [
      [0, 1],
      [1, 0],
    ],
  ]);
  assert.equal(ml.accuracy, 0);
  assert.equal(ml.micro.precision, 0.5);
  assert.throws(() => classifierReport(Float32Array.from([NaN, 1]), Float32Array.from([0, 1]), ['a', 'b'], { multiLabel: false, threshold: 0.5 }), /NaN/);
});

test('baselines: naive Bayes by hand; logistic regression reaches its optimum (unpenalised bias gradient 0)', () => {
  // vocabulary 3; class 0 docs use token 0, class 1 docs token 1 and 2
  const docs = [Int32Array.from([0, 0]), Int32Array.from([0, 2]), Int32Array.from([1, 2]), Int32Array.from([1])];
  const y = Int32Array.from([0, 0, 1, 1]);
  const nb = NaiveBayes.fit(docs, y, 2, 3);
  // P(t|0) = ([3, 0, 1] + 1) / (4 + 3); P(t|1) = ([0, 2, 1] + 1) / (3 + 3); priors ½
  const p0 = [4 / 7, 1 / 7, 2 / 7];
  const p1 = [1 / 6, 3 / 6, 2 / 6];
  const doc = Int32Array.from([2, 0]);
  const a = p0[2]! * p0[0]!;
  const b = p1[2]! * p1[0]!;
  const got = nb.predictProba([doc]);
  assert.ok(Math.abs(got[0]! - a / (a + b)) < 1e-6);

  const rng = new Rng(4);
  const many = Array.from({ length: 200 }, () => Int32Array.from({ length: 5 }, () => Math.floor(rng.uniform() * 10)));
  const labels = Int32Array.from(many, (d) => (d.filter((t) => t < 3).length >= 2 ? 1 : 0));
  const lr = LogisticRegression.fit(many, labels, 2, 10);
  const P = lr.predictProba(many);
  let sum = 0;
  for (let i = 0; i < many.length; i++) sum += P[2 * i + 1]! - labels[i]!;
  assert.ok(Math.abs(sum) < 0.05, `Σ(p − y) = ${sum}`);
  const acc = many.filter((_, i) => (P[2 * i + 1]! >= 0.5 ? 1 : 0) === labels[i]).length / many.length;
  assert.ok(acc >= 0.9, `training accuracy ${acc}`);
  assert.throws(() => NaiveBayes.fit([Int32Array.from([5])], [0], 2, 3), /token id 5/);
});

test('emailText: subject and body text; headers dropped; multipart, quoted-printable, base64 and HTML decoded', () => {
  const raw = [
    'From someone@example.com  Thu Aug 22 12:36:23 2002',
    'Received: from x by y',
    'Subject: =?utf-8?B?Q2Fmw6k=?= offer',
    'Content-Type: multipart/mixed; boundary="XX"',
    '',
    'preamble',
    '--XX',
    'Content-Type: multipart/alternative; boundary=YY',
    '',
    '--YY',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Caf=C3=A9 au lait, soft=',
    'break',
    '--YY',
    'Content-Type: text/html',
    '',
    '<p>HTML version</p>',
    '--YY--',
    '--XX',
    'Content-Type: text/html',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<html><style>p{}</style><b>Buy&nbsp;now</b> &amp; save &#36;5</html>').toString('base64'),
    '--XX',
    'Content-Type: application/pdf',
    '',
    'JVBERi0x',
    '--XX--',
  ].join('\n');
  const text = emailText(raw);
  assert.ok(text.startsWith('Café offer\n\n'), text);
  assert.ok(text.includes('Café au lait, softbreak'), text);
  assert.ok(!text.includes('HTML version'), 'the plain alternative wins');
  assert.ok(/Buy now\s+& save \$5/.test(text), text);
  assert.ok(!text.includes('Received') && !text.includes('JVBERi0x') && !text.includes('p{}'), text);
  assert.equal(htmlToText('a<br>b&lt;c&#x41;'), 'a\nb<cA');
});

test('errors name what is wrong', async () => {
  const v = new TextVectorizer({ maxTokens: 10, outputMode: 'count' });
  assert.throws(() => new TextClassifier({ classes: ['a', 'b'], vectorizer: v }), /outputMode 'int'/);
  assert.throws(() => new TextClassifier({ classes: ['a'] }), /at least 2 classes/);
  assert.throws(() => new TextClassifier({ classes: ['a', 'a'] }), /listed twice/);
  assert.throws(() => new TextClassifier({ classes: ['a', 'b'], units: 0 }), /units must be a positive integer/);
  assert.throws(() => new TextClassifier({ classes: ['a', 'b'], color: 1 } as never), /unknown option 'color'/);
  const c = TextClassifier.forData(['x y', 'y z'], ['a', 'b'], small);
  await assert.rejects(c.fit(['x'], ['c'], { verbose: 0 }), /label "c" of text 1 is not a class/);
  await assert.rejects(c.fit(['x', 'y'], ['a'], { verbose: 0 }), /2 texts but 1 labels/);
  await assert.rejects(c.fit(['x'], [['a']] as never, { verbose: 0 }), /needs multiLabel: true/);
  await assert.rejects(c.fit(['x'], ['a'], { verbose: 0, classWeight: { q: 1 } }), /classWeight names "q"/);
  await assert.rejects(c.fit(['x'], ['a'], { epoch: 1 } as never), /unknown option 'epoch'/);
  const m = new TextClassifier({ classes: ['a', 'b'], multiLabel: true, vectorizer: new TextVectorizer({ maxTokens: 10, outputSequenceLength: 4, vocabulary: ['x'] }) });
  await assert.rejects(m.fit(['x'], [['a']], { verbose: 0, classWeight: 'balanced' }), /classWeight is for single-label/);
  assert.throws(() => c.predict('x', { threshold: 2 }), /threshold must be a number in \[0, 1\]/);
});
