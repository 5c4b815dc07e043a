/**
 * A Keras TextVectorization at the front of a saved model becomes the model's text input
 * (io/kerasText.ts, Model.setTextInput): the fixtures of tools/keras_text_fixture.py — a
 * functional Input(dtype="string") → TextVectorization(int, adapted) → Embedding → LSTM →
 * Dense, a Sequential TextVectorization(tf_idf, bigrams) → Dense and TensorFlow's tutorial
 * export model (TextVectorization → the trained Sequential → sigmoid), laid out as Keras 3's
 * saving_lib writes them (vocabulary.txt assets, idf weights in the weights file) — predict
 * from texts what the tool computed in numpy from its own tokenization; saved again (.keras,
 * TF.js directory) they give the same bits; what rnnkit cannot read is refused by name.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { ModelFormatError, Sequential, TextClassifier, TextVectorizer, input, type ModelArtifacts, layers, loadModel, model as graphModel, setSeed, tensor, textFunctionsFromModule, type Model, type Tensor } from '../src/index.js';
import { kerasFileBytes } from '../src/io/kerasFileWrite.js';
import { exportOnnxBytes } from '../src/io/onnx/export.js';
import { rnnkit, rnnkitWithInput } from './helpers/cli.js';
import { vocabularyLines } from '../src/io/kerasText.js';

const DIR = new URL('./fixtures/', import.meta.url);
const LSTM_FILE = 'keras3-text-lstm.keras';
const TFIDF_FILE = 'keras3-text-tfidf.keras';
const EXPORT_FILE = 'keras3-text-export.keras';
interface Expected {
  texts: string[];
  vocabulary: string[];
  output: number[][];
  ids?: number[][];
  vectors?: number[][];
}
const expected = JSON.parse(readFileSync(new URL('keras3-text-expected.json', DIR), 'utf8')) as Record<string, Expected>;
const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, DIR)));
const load = (f: string): Promise<Model> => loadModel(new URL(f, DIR).pathname);

function assertClose(got: ArrayLike<number>, want: readonly number[], what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}: ${i} is ${got[i]}, numpy says ${want[i]}`);
}

function rezip(file: string, edit: (members: Record<string, Uint8Array>) => void): Uint8Array {
  const members = unzipSync(bytesOf(file));
  edit(members);
  return zipSync(members as Zippable);
}

const editConfig = (edit: (c: { config: { layers: { class_name: string; config: Record<string, unknown>; inbound_nodes?: unknown }[] } }) => void) => (m: Record<string, Uint8Array>) => {
  const c = JSON.parse(new TextDecoder().decode(m['config.json']));
  edit(c);
  m['config.json'] = new TextEncoder().encode(JSON.stringify(c));
};
const tvOf = (c: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }) => c.config.layers.find((l) => l.class_name === 'TextVectorization')!;

/** The LSTM fixture with texts of open length (no output_sequence_length), its Embedding masking zeros or not. */
const openLength = (maskZero: boolean): Promise<Model> =>
  loadModel({
    kerasFile: rezip(
      LSTM_FILE,
      editConfig((c) => {
        tvOf(c).config.output_sequence_length = null;
        const emb = c.config.layers.find((l) => l.class_name === 'Embedding')!;
        emb.config.mask_zero = maskZero;
        delete (emb as { build_config?: unknown }).build_config;
      }),
    ),
  });

async function refuses(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel({ kerasFile: bytes }), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('Keras TextVectorization → text inputs', () => {
  it('a functional sentiment model predicts from texts as numpy computed (adapted vocabulary in assets, ASCII-only lowering)', async () => {
    const m = await load(LSTM_FILE);
    const e = expected['functional-lstm']!;
    assert.deepEqual(Object.keys(m.textInputs), ['review']);
    const v = m.textInputs.review!;
    assert.deepEqual(v.getVocabulary(), e.vocabulary);
    // 'CAFÉ' lowers to 'cafÉ' (tf.strings.lower), not to the vocabulary's 'café'.
    assert.deepEqual(Array.from(v.apply(e.texts).data), e.ids!.flat());
    assert.ok(e.ids![0]!.includes(1) && e.ids![0]!.includes(e.vocabulary.indexOf('café')));
    const y = m.predict(e.texts) as Tensor;
    assertClose(y.data, e.output.flat(), 'predict(texts)');
    // Keras's shape-(1,) string input takes [[text], …] too; ids still go in as numbers.
    assert.deepEqual(Array.from((m.predict(e.texts.map((t) => [t])) as Tensor).data), Array.from(y.data));
    assert.deepEqual(Array.from((m.predict(tensor(e.ids!.flat(), [e.ids!.length, 6])) as Tensor).data), Array.from(y.data));
    // pad_to_max_tokens does nothing in Keras's 'int' mode: read, not refused.
    const padded = await loadModel({ kerasFile: rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.pad_to_max_tokens = true))) });
    assert.deepEqual(Array.from((padded.predict(e.texts) as Tensor).data), Array.from(y.data));
    const lines: string[] = [];
    m.summary((l) => lines.push(l));
    assert.match(lines.join('\n'), /Text input 'review': text_vectorization \(TextVectorization: 16 vocabulary entries, 6 ids per text\)/);
  });

  it("a Sequential tf_idf bigram model predicts from texts (idf weights from the weights file)", async () => {
    const m = await load(TFIDF_FILE);
    const e = expected['sequential-tfidf']!;
    const v = Object.values(m.textInputs)[0]!;
    assert.equal(v.outputMode, 'tf_idf');
    assert.deepEqual(v.getVocabulary(), e.vocabulary);
    assertClose(v.apply(e.texts).data, e.vectors!.flat(), 'tf_idf vectors');
    assertClose((m.predict(e.texts) as Tensor).data, e.output.flat(), 'predict(texts)');
    // A vocabulary given in the config without '[UNK]' (TextVectorization(vocabulary=[…])), the idf weights in the weights file with '[UNK]''s first.
    const given = rezip(TFIDF_FILE, (members) => {
      for (const k of Object.keys(members)) if (k.startsWith('assets/')) delete members[k];
      editConfig((c) => (tvOf(c).config.vocabulary = e.vocabulary.slice(1)))(members);
    });
    assertClose(((await loadModel({ kerasFile: given })).predict(e.texts) as Tensor).data, e.output.flat(), 'vocabulary in the config');
  });

  it('a loaded Keras text model wrapped in a TextClassifier (its text input as the vectorizer) gives labels and probabilities', async () => {
    const m = await load(LSTM_FILE);
    const e = expected['functional-lstm']!;
    const clf = new TextClassifier({ classes: ['negative', 'positive'], vectorizer: m.textInputs.review! }, m);
    const p = clf.predict(e.texts[0]!);
    assert.ok(Math.abs(p.probabilities.positive! - e.output[0]![0]!) <= 1e-6);
    assert.equal(p.label, e.output[0]![0]! > 0.5 ? 'positive' : 'negative');
    // A TextVectorization without max_tokens wraps too (the model brings its own embedding).
    const unbounded = await loadModel({ kerasFile: rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.max_tokens = null))) });
    assert.equal(new TextClassifier({ classes: ['negative', 'positive'], vectorizer: unbounded.textInputs.review! }, unbounded).predict('great').label.length > 0, true);
  });

  it("TensorFlow's tutorial export model (Sequential[TextVectorization, the trained Sequential, Activation]) predicts from texts", async () => {
    const m = await load(EXPORT_FILE);
    const e = expected['export-model']!;
    assertClose((m.predict(e.texts) as Tensor).data, e.output.flat(), 'predict(texts)');
  });

  it('saved as .keras and as a TF.js directory, it loads back with the same text input and the same bits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-text-'));
    try {
      for (const [file, key] of [[LSTM_FILE, 'functional-lstm'], [TFIDF_FILE, 'sequential-tfidf'], [EXPORT_FILE, 'export-model']] as const) {
        const m = await load(file);
        const texts = expected[key]!.texts;
        const y = Array.from((m.predict(texts) as Tensor).data);
        await m.save(join(dir, `${key}.keras`));
        await m.save(join(dir, key), { metadata: { note: 'mine' } });
        for (const again of [await loadModel(join(dir, `${key}.keras`)), await loadModel(join(dir, key))]) {
          assert.deepEqual(Array.from((again.predict(texts) as Tensor).data), y, key);
          assert.deepEqual(Object.values(again.textInputs)[0]!.getConfig(), Object.values(m.textInputs)[0]!.getConfig());
        }
        // The text inputs ride in model.json's metadata, out of the user's sight.
        assert.deepEqual((await loadModel(join(dir, key))).metadata, { note: 'mine' });
        // The .keras file has Keras's layout: a string input, then the TextVectorization with its vocabulary in the config.
        const config = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(join(dir, `${key}.keras`))))['config.json']));
        const [first, second] = config.config.layers;
        assert.equal(first.class_name, 'InputLayer');
        assert.equal(first.config.dtype, 'string');
        assert.equal(second.class_name, 'TextVectorization');
        assert.deepEqual(second.config.vocabulary, expected[key]!.vocabulary);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fit and evaluate take texts: the same losses as from the ids', async () => {
    const e = expected['functional-lstm']!;
    const y = tensor([1, 0, 1, 0, 0, 1], [6, 1]);
    const histories: number[][] = [];
    for (const x of [e.texts, tensor(e.ids!.flat(), [6, 6])]) {
      setSeed(3);
      const m = await load(LSTM_FILE);
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
      histories.push([...(h.history.loss as number[]), m.evaluate(x, y, { verbose: 0 })[0]!]);
    }
    assert.deepEqual(histories[0], histories[1]);
  });

  it("a custom standardize function (Keras's custom_standardization) is taken from customObjects by its registered or own name", async () => {
    const e = expected['functional-lstm']!;
    const custom = { module: '__main__', class_name: 'function', config: 'custom_standardization', registered_name: 'Custom>custom_standardization' };
    const file = rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.standardize = custom)));
    // What the Keras example's function does: lower (ASCII), '<br />' to a space, punctuation out.
    const strip = (t: string): string => t.replace(/[A-Z]/g, (c) => c.toLowerCase()).replaceAll('<br />', ' ').replace(/[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g, '');
    const withBr = e.texts.map((t) => t.replace(/ /, '<br />'));
    const plain = Array.from(((await load(LSTM_FILE)).predict(e.texts) as Tensor).data);
    for (const key of ['Custom>custom_standardization', 'custom_standardization']) {
      const m = await loadModel({ kerasFile: file }, { customObjects: { [key]: strip } });
      assert.deepEqual(Array.from((m.predict(withBr) as Tensor).data), plain, key);
    }
    // Worker threads get the numeric model (texts are vectorized first): a function there is no obstacle.
    const m = await loadModel({ kerasFile: file }, { customObjects: { custom_standardization: strip } });
    const many = Array.from({ length: 64 }, (_, i) => withBr[i % withBr.length]!);
    const one = Array.from((m.predict(many, { workers: 1 }) as Tensor).data);
    const two = Array.from((m.predict(many, { workers: 2 }) as Tensor).data);
    two.forEach((v, i) => assert.ok(Math.abs(v - one[i]!) <= 1e-6, `workers 2, row ${i}: ${v} vs ${one[i]}`));
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await m.fit(many, tensor(many.map((_, i) => i % 2), [many.length, 1]), { epochs: 1, batchSize: 16, workers: 2, verbose: 0 });
    // Saved by the name it was given under (as Keras saves a Python function by name), and taken again from customObjects.
    const saved = m.textInputs.review!;
    assert.equal((saved.standardize as (t: string) => string).name, 'custom_standardization');
    let artifacts: ModelArtifacts | null = null;
    await m.save(async (a) => void (artifacts = a));
    const tfjsText = JSON.stringify(artifacts!.modelJson.userDefinedMetadata);
    assert.match(tfjsText, /"standardize":\{"function":"custom_standardization"\}/);
    const keras = kerasFileBytes(m);
    assert.deepEqual(tvOf(JSON.parse(new TextDecoder().decode(unzipSync(keras)['config.json']))).config.standardize, { module: 'builtins', class_name: 'function', config: 'custom_standardization', registered_name: 'function' });
    const want = Array.from((m.predict(withBr) as Tensor).data);
    for (const source of [artifacts!, { kerasFile: keras }]) {
      const back = await loadModel(source, { customObjects: { custom_standardization: strip } });
      assert.deepEqual(Array.from((back.predict(withBr) as Tensor).data), want);
      await assert.rejects(loadModel(source), /standardize is (the function|the Python function) 'custom_standardization'.*customObjects: \{'custom_standardization': \(text\) => …\}\}\)/);
      await assert.rejects(loadModel(source, { customObjects: { custom_standardization: strip, tokenize: (t: string) => t.split(' ') } }), /customObjects 'tokenize' is named by no TextVectorization/);
    }
    // A TextClassifier wrapping it saves and loads back with the same function, its vectorizer the model's text input again.
    const clf = new TextClassifier({ classes: ['negative', 'positive'], vectorizer: m.textInputs.review! }, m);
    let clfArtifacts: ModelArtifacts | null = null;
    await clf.save(async (a) => void (clfArtifacts = a));
    const clfBack = await TextClassifier.load(clfArtifacts!, { customObjects: { custom_standardization: strip } });
    assert.equal(clfBack.vectorizer, clfBack.model.textInputs.review);
    assert.deepEqual(withBr.map((t) => clfBack.predict(t).probabilities.positive), withBr.map((t) => clf.predict(t).probabilities.positive));
    // A classifier that vectorizes outside its model has no customObjects route for a function: refused when saving.
    const outside = new TextClassifier({ classes: ['negative', 'positive'], vectorizer: new TextVectorizer({ outputSequenceLength: 6, vocabulary: e.vocabulary, standardize: strip }) }, await load(LSTM_FILE).then((x) => (x.setTextInput(null), x)));
    await assert.rejects(outside.save(async () => undefined), /the vectorizer's standardize is a function, which cannot be saved with a classifier that vectorizes outside its model/);
    // A function without a name cannot be given again by one: refused when saving, saying how to name it.
    m.setTextInput(new TextVectorizer({ outputSequenceLength: 6, vocabulary: ['the'], name: 'tv', split: [(t: string) => t.split(' ')][0]! }));
    await assert.rejects(m.save(async () => undefined), /split is a function without a name of its own \(""\), which cannot be saved: .*function mySplit\(text\) \{…\}, then loadModel\(file, \{customObjects: \{mySplit\}\}\)/);
    // tf.keras 2 wrote the bare name.
    const bare = await loadModel({ kerasFile: rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.standardize = 'custom_standardization'))) }, { customObjects: { custom_standardization: strip } });
    assert.deepEqual(Array.from((bare.predict(withBr) as Tensor).data), plain);
    await refuses(file, /standardize is the Python function 'custom_standardization'; rnnkit cannot run Python code: give it in JavaScript, loadModel\(file, \{customObjects: \{'custom_standardization': \(text\) => …\}\}\)/);
    // Keras 3 writes an unregistered function with registered_name 'function': the hint names the function itself.
    await refuses(rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.standardize = { ...custom, module: 'builtins', registered_name: 'function' }))), /customObjects: \{'custom_standardization': /);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.split = { class_name: '__lambda__', config: { value: ['4wEAAAAA'] } }))), /split is a Python lambda; rnnkit reads 'whitespace', 'character', null, or a named function given in loadModel's customObjects/);
    await assert.rejects(loadModel({ kerasFile: bytesOf(LSTM_FILE) }, { customObjects: { tokenize: (t: string) => t.split(' ') } }), /customObjects 'tokenize' is named by no TextVectorization of the \.keras file/);
    await assert.rejects(loadModel({ kerasFile: file }, { customObjects: { custom_standardization: 'lower' as never } }), /customObjects\['custom_standardization'\] must be a function/);
  });

  it('textFunctionsFromModule: a module\'s named function exports as customObjects; anything else refused by name', () => {
    const custom_standardization = (t: string): string => t.toLowerCase();
    assert.deepEqual(textFunctionsFromModule({ custom_standardization }), { custom_standardization });
    assert.throws(() => textFunctionsFromModule({ custom_standardization, n: 3 }, 'fns.mjs'), /^TypeError: fns\.mjs exports 'n', which is not a function$/);
    assert.throws(() => textFunctionsFromModule({ default: custom_standardization, custom_standardization }, 'fns.mjs'), /fns\.mjs has a default export; functions are taken by the names they are exported under/);
    assert.throws(() => textFunctionsFromModule({}, 'fns.mjs'), /fns\.mjs exports no named function/);
  });

  it('texts of open length (no output_sequence_length) are padded batch by batch, as Keras pads each batch it vectorizes', async () => {
    const e = expected['functional-lstm']!;
    const m = await openLength(false);
    const texts = [...e.texts, 'great', 'the music was lovely'];
    const batchSize = 3;
    const got = Array.from((m.predict(texts, { batchSize }) as Tensor).data);
    // Each batch alone: a call of one batch is padded to its own longest text.
    const alone = [0, 3, 6].flatMap((s) => Array.from((m.predict(texts.slice(s, s + batchSize)) as Tensor).data));
    assert.deepEqual(got, alone);
    assert.deepEqual(Array.from((m.predict(texts, { batchSize, workers: 'auto' }) as Tensor).data), got);
    // Two threads split whole batches of batchSize rows, each padded alone as on one thread.
    assert.deepEqual(Array.from((m.predict(texts, { batchSize, workers: 2 }) as Tensor).data), got);
    assert.throws(() => m.predict(texts.slice(0, 4), { batchSize, workers: 3 }), /predict: workers: 3 splits whole batches and this predict has 2/);
    // The whole call padded to its longest text (ids given: the caller padded them) gives other numbers without a mask.
    const ids = m.textInputs.review!.apply(texts);
    const whole = Array.from((m.predict(ids, { batchSize }) as Tensor).data);
    assert.ok(whole.some((v, i) => Math.abs(v - got[i]!) > 1e-4), 'padding changes an unmasked model');
    assert.deepEqual(whole.slice(0, 3), got.slice(0, 3), 'the batch holding the longest text is padded alike');
    // A TextClassifier around it hands the model the texts, so its batches are padded the same way.
    const clf = new TextClassifier({ classes: ['negative', 'positive'], vectorizer: m.textInputs.review! }, m);
    assert.deepEqual(Array.from(clf.probabilities(texts, { batchSize }).data).filter((_, i) => i % 2 === 1), got);
    // With Embedding(mask_zero) padding changes nothing: the batches may be ordered by length as before.
    const masked = await openLength(true);
    const p = Array.from((masked.predict(texts, { batchSize }) as Tensor).data);
    const q = Array.from((masked.predict(masked.textInputs.review!.apply(texts), { batchSize }) as Tensor).data);
    p.forEach((v, i) => assert.ok(Math.abs(v - q[i]!) <= 1e-6, `masked row ${i}`));
  });

  it('evaluate and fit pad texts of open length batch by batch too, as Keras vectorizes each batch', async () => {
    const e = expected['functional-lstm']!;
    // The longest text in the last batch: the engine must grow its buffers after shorter batches.
    const texts = ['great', 'the music was lovely', ...e.texts, 'a film'];
    const labels = texts.map((_, i) => [i % 2]);
    const y = tensor(labels);
    const batchSize = 3;
    const starts = [0, 3, 6];
    const m = await openLength(false);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const ids = m.textInputs.review!.apply(texts);
    // evaluate: the mean over batches, each padded alone (a call of one batch pads to its own longest text).
    const got = m.evaluate(texts, y, { batchSize });
    const alone = starts.map((s) => m.evaluate(texts.slice(s, s + batchSize), tensor(labels.slice(s, s + batchSize))));
    const sizes = starts.map((s) => Math.min(batchSize, texts.length - s));
    got.forEach((v, j) => {
      const want = alone.reduce((a, r, i) => a + r[j]! * sizes[i]!, 0) / texts.length;
      assert.ok(Math.abs(v - want) <= 1e-6, `evaluate value ${j}: ${v} vs ${want}`);
    });
    const whole = m.evaluate(ids, y, { batchSize });
    assert.ok(Math.abs(whole[0]! - got[0]!) > 1e-4, 'the whole call padded to its longest text gives another loss');
    assert.deepEqual(m.evaluate(texts, y, { batchSize, workers: 'auto' }), got);
    m.evaluate(texts, y, { batchSize, workers: 2 }).forEach((v, j) => assert.ok(Math.abs(v - got[j]!) <= 1e-6, `two threads, value ${j}: ${v} vs ${got[j]}`));
    // Ids afterwards are taken as padded, on any thread (the per-batch cut does not outlive its call).
    m.evaluate(texts, y, { batchSize });
    const split = m.evaluate(ids, y, { batchSize, workers: 2 });
    split.forEach((v, j) => assert.ok(Math.abs(v - whole[j]!) <= 1e-6, `ids on two threads, value ${j}: ${v} vs ${whole[j]}`));
    // fit: one epoch in call order equals three fits of one batch each (Adam's state carries over).
    const w0 = m.getWeights();
    await m.fit(texts, y, { batchSize, shuffle: false, epochs: 1, verbose: 0 });
    const fitted = m.getWeights().map((w) => Array.from(w.data));
    m.setWeights(w0);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    for (const s of starts) await m.fit(texts.slice(s, s + batchSize), tensor(labels.slice(s, s + batchSize)), { batchSize, shuffle: false, verbose: 0 });
    assert.deepEqual(m.getWeights().map((w) => Array.from(w.data)), fitted);
    m.setWeights(w0);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await m.fit(ids, y, { batchSize, shuffle: false, epochs: 1, verbose: 0 });
    assert.notDeepEqual(m.getWeights().map((w) => Array.from(w.data)), fitted, 'padding the whole call trains another model');
    // Data-parallel: each batch cut as a whole, then split into shards (the sums in another order only).
    m.setWeights(w0);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await m.fit(texts, y, { batchSize, shuffle: false, epochs: 1, verbose: 0, workers: 2 });
    m.getWeights().forEach((w, i) => w.data.forEach((v, j) => assert.ok(Math.abs(v - fitted[i]![j]!) <= 1e-6, `two shards: weight ${i}[${j}] ${v} vs ${fitted[i]![j]}`)));
    // Validation data given as texts is padded per batch as well.
    m.setWeights(w0);
    const h = await m.fit(ids, y, { batchSize, shuffle: false, epochs: 1, verbose: 0, validationData: [texts, y] });
    const after = m.evaluate(texts, y, { batchSize });
    assert.ok(Math.abs(h.history.val_loss![0]! - after[0]!) <= 1e-6, `val_loss ${h.history.val_loss![0]} vs evaluate ${after[0]}`);
    // With Embedding(mask_zero) padding changes nothing: texts and ids evaluate alike.
    const masked = await openLength(true);
    masked.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const a = masked.evaluate(texts, y, { batchSize });
    const b = masked.evaluate(masked.textInputs.review!.apply(texts), y, { batchSize });
    assert.ok(Math.abs(a[0]! - b[0]!) <= 1e-6, `masked: ${a[0]} vs ${b[0]}`);
  });

  it('a stateful model pads texts of open length batch by batch too, its state carried from one batch to the next', () => {
    const m = new Sequential();
    m.add(layers.embedding({ inputDim: 20, outputDim: 4, batchInputShape: [3, null], seed: 1 }));
    m.add(layers.lstm({ units: 5, stateful: true, seed: 2 }));
    m.add(layers.dense({ units: 1, seed: 3 }));
    m.setTextInput(new TextVectorizer({ vocabulary: ['the', 'film', 'was', 'great', 'dull', 'plot', 'music', 'lovely', 'actors'] }));
    const texts = ['the film was great', 'dull', 'plot', 'the music was lovely and the actors were great', 'film', 'was', 'great film', 'dull plot', 'the'];
    const whole = Array.from((m.predict(texts, { batchSize: 3 }) as Tensor).data);
    m.resetStates();
    const perBatch = [0, 3, 6].flatMap((s) => Array.from((m.predict(texts.slice(s, s + 3), { batchSize: 3 }) as Tensor).data));
    assert.deepEqual(whole, perBatch);
    m.resetStates();
    const ids = Array.from((m.predict(m.textInputs[m.inputNames[0]!]!.apply(texts), { batchSize: 3 }) as Tensor).data);
    assert.ok(ids.some((v, i) => Math.abs(v - whole[i]!) > 1e-4), 'padding the whole call gives other numbers');
  });

  it('setTextInput: checks the vectorizer against the input, and texts for a numbers-only input are refused', () => {
    const ids = input({ shape: [4], name: 'ids' });
    const m = graphModel({ inputs: ids, outputs: layers.dense({ units: 1 }).apply(layers.flatten().apply(layers.embedding({ inputDim: 10, outputDim: 2 }).apply(ids))) as never });
    assert.throws(() => m.predict(['a text']), /x: texts given for input 'ids', which takes numbers; give a model a text input with model\.setTextInput\(vectorizer\)/);
    const v = new TextVectorizer({ outputSequenceLength: 5, vocabulary: ['a', 'b'] });
    assert.throws(() => m.setTextInput(v), /input 'ids' has shape \[\*, 4\], but the vectorizer gives 5 ids per text/);
    assert.throws(() => m.setTextInput(v, 'tokens'), /no input "tokens"; the model's inputs are 0 'ids'/);
    m.setTextInput(new TextVectorizer({ outputSequenceLength: 4, vocabulary: ['a', 'b'] }), 'ids');
    assert.equal((m.predict(['a b c', 'b']) as Tensor).shape[0], 2);
    assert.throws(() => m.predict('a b' as never), /one text must still be a list of texts/);
    assert.throws(() => m.predict(['a', 3] as never), /x\[1\] is 3, not a text/);
    m.setTextInput(null, 'ids');
    assert.deepEqual(m.textInputs, {});
  });

  it('what a .keras file cannot express is refused when saving, not written differently', async () => {
    const m = await load(LSTM_FILE);
    const unicode = new TextVectorizer({ outputSequenceLength: 6, vocabulary: ['the', 'café'], name: 'tv' });
    m.setTextInput(unicode);
    assert.throws(() => saveKerasFileSync(m), /lowers Unicode letters \(lowercase 'unicode'\) and its vocabulary holds non-ASCII tokens \("café"\).*lowercase: 'ascii'/);
    m.setTextInput(new TextVectorizer({ outputSequenceLength: 6, vocabulary: ['the'], truncate: 'pre', name: 'tv' }));
    assert.throws(() => saveKerasFileSync(m), /truncate 'pre' .* has no Keras TextVectorization form/);
    m.setTextInput(new TextVectorizer({ outputSequenceLength: 6, vocabulary: ['the'], name: 'dense' }));
    assert.throws(() => saveKerasFileSync(m), /its vectorizer is named 'dense', as a layer of the model is/);
  });

  it("refuses what it cannot read, naming the layer and the reason", async () => {
    const nothing = (m: Record<string, Uint8Array>): void => {
      for (const k of Object.keys(m)) if (k.startsWith('assets/')) delete m[k];
    };
    await refuses(rezip(LSTM_FILE, nothing), /TextVectorization 'text_vectorization'\): the file holds no vocabulary for it/);
    await refuses(rezip(LSTM_FILE, (m) => (m['assets/layers/text_vectorization/_lookup_layer/vocabulary.txt'] = new TextEncoder().encode('\n[UNK]\nthe'))), /_lookup_layer\/vocabulary\.txt differs from .*: two vocabularies for TextVectorization 'text_vectorization'/);
    // Saved on Windows: Python wrote the vocabulary in the code page (é as the one byte 0xE9), with CRLF line ends.
    const windows = (m: Record<string, Uint8Array>): void => {
      for (const k of Object.keys(m)) if (k.endsWith('vocabulary.txt')) m[k] = Uint8Array.from(new TextDecoder().decode(m[k]).replace(/\n/g, '\r\n').replace('é', '\u00e9'), (c) => c.charCodeAt(0) & 0xff);
    };
    await refuses(rezip(LSTM_FILE, windows), /vocabulary\.txt: not UTF-8 text; Keras writes the vocabulary in the saving machine's encoding .*PYTHONUTF8=1/);
    // CRLF alone (an ASCII vocabulary saved on Windows) reads as Python's splitlines reads it.
    const crlf = await loadModel({ kerasFile: rezip(LSTM_FILE, (m) => {
      for (const k of Object.keys(m)) if (k.endsWith('vocabulary.txt')) m[k] = new TextEncoder().encode(new TextDecoder().decode(m[k]).replace(/\n/g, '\r\n'));
    }) });
    assert.deepEqual(crlf.textInputs.review!.getVocabulary(), expected['functional-lstm']!.vocabulary);
    await refuses(rezip(LSTM_FILE, (m) => (m['assets/layers/embedding/notes.txt'] = new Uint8Array(2))), /member "assets\/layers\/embedding\/notes\.txt" is an asset rnnkit does not read/);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.output_mode = 'one_hot'))), /outputMode 'one_hot'.* is not supported/);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.split_on = 'x'))), /option 'split_on' = "x" is not supported/);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.vocabulary_size = 99))), /vocabulary_size is 99, but its vocabulary has 16 entries/);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.vocabulary = '/home/me/vocab.txt'))), /its vocabulary is a file path \("\/home\/me\/vocab\.txt"\)/);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (c.config.layers[0]!.config.dtype = 'float32'))), /reads 'review', which is not a string InputLayer/);
    await refuses(rezip(LSTM_FILE, editConfig((c) => (c.config.layers[0]!.config.batch_shape = [null, 3]))), /a string input of shape \[null,3\]; rnnkit takes one text per sample/);
    // A reader of the TextVectorization's second call: it has one.
    await refuses(rezip(LSTM_FILE, editConfig((c) => (c.config.layers[2]!.inbound_nodes = [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 6], dtype: 'int64', keras_history: ['text_vectorization', 1, 0] } }], kwargs: {} }]))), /layer 'embedding': refers to node 1, tensor 0 of 'text_vectorization', which has one call and one output/);
    // A string input read by another layer too.
    await refuses(rezip(LSTM_FILE, editConfig((c) => (c.config.layers[2]!.inbound_nodes = [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 1], dtype: 'string', keras_history: ['review', 0, 0] } }], kwargs: {} }]))), /its string input 'review' is also read by 'embedding'/);
    await refuses(rezip(TFIDF_FILE, (m) => delete m['assets/layers/text_vectorization/vocabulary.txt']), /_lookup_layer\/vocabulary\.txt is there, but not assets\/layers\/text_vectorization\/vocabulary\.txt, the vocabulary of TextVectorization 'text_vectorization'/);
  });

  it('the CLI: model summary names the text input, model predict takes a JSON list of texts; ONNX export refuses it by name', async () => {
    const file = new URL(LSTM_FILE, DIR).pathname;
    const e = expected['functional-lstm']!;
    const s = rnnkit('model', 'summary', file);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /Text input 'review': text_vectorization/);
    const p = rnnkitWithInput(JSON.stringify(e.texts), 'model', 'predict', file, '--input', '-');
    assert.equal(p.code, 0, p.stderr);
    assertClose((JSON.parse(p.stdout) as number[][]).flat(), e.output.flat(), 'CLI predict');
    // --custom-objects: a module's exported functions stand in for the Python ones, by name; a converted model takes them again.
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-custom-'));
    try {
      const custom = join(dir, 'fns.mjs');
      writeFileSync(custom, "export function custom_standardization(text) { return text.replace(/[A-Z]/g, (c) => c.toLowerCase()).replaceAll('<br />', ' ').replace(/[!\"#$%&()*+,\\-./:;<=>?@[\\\\\\]^_`{|}~']/g, ''); }\n");
      const withFn = join(dir, 'custom.keras');
      writeFileSync(withFn, rezip(LSTM_FILE, editConfig((c) => (tvOf(c).config.standardize = { module: 'builtins', class_name: 'function', config: 'custom_standardization', registered_name: 'function' }))));
      const texts = JSON.stringify(e.texts.map((t) => t.replace(/ /, '<br />')));
      const refused = rnnkitWithInput(texts, 'model', 'predict', withFn, '--input', '-');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /standardize is the Python function 'custom_standardization'; rnnkit cannot run Python code: give it in JavaScript: --custom-objects FILE\.mjs exporting function custom_standardization\(text\) \{ … \}/);
      const given = rnnkitWithInput(texts, 'model', 'predict', withFn, '--input', '-', '--custom-objects', custom);
      assert.equal(given.code, 0, given.stderr);
      assertClose((JSON.parse(given.stdout) as number[][]).flat(), e.output.flat(), 'CLI predict with --custom-objects');
      const out = join(dir, 'converted');
      assert.equal(rnnkit('model', 'convert', withFn, out, '--custom-objects', custom).code, 0);
      assert.match(rnnkitWithInput(texts, 'model', 'predict', out, '--input', '-').stderr, /standardize is the function 'custom_standardization', saved by its name; give it in JavaScript: --custom-objects FILE\.mjs/);
      assert.equal(rnnkitWithInput(texts, 'model', 'predict', out, '--input', '-', '--custom-objects', custom).stdout, given.stdout);
      // rnnkit classify predict|evaluate: a TextClassifier saved around such a model takes the functions the same way.
      const strip = (await import(custom)).custom_standardization as (t: string) => string;
      const clfDir = join(dir, 'classifier');
      const fromFile = await loadModel(withFn, { customObjects: { custom_standardization: strip } });
      const clf = new TextClassifier({ classes: ['negative', 'positive'], vectorizer: fromFile.textInputs.review! }, fromFile);
      await clf.save(clfDir);
      const reviews = JSON.parse(texts) as string[];
      const csv = rnnkit('classify', 'predict', clfDir, ...reviews, '--custom-objects', custom);
      assert.equal(csv.code, 0, csv.stderr);
      const positive = csv.stdout.trim().split('\n').slice(1).map((line) => Number(line.split(',')[2]));
      assertClose(positive, e.output.flat(), 'classify predict with --custom-objects', 1e-6);
      assert.match(rnnkit('classify', 'predict', clfDir, reviews[0]!).stderr, /give it in JavaScript: --custom-objects FILE\.mjs exporting function custom_standardization\(text\)/);
      writeFileSync(join(dir, 'labelled.csv'), `text,label\n${reviews.filter((t) => t.trim() !== '').map((t, i) => `"${t.replaceAll('"', '""')}",${i % 2 === 0 ? 'positive' : 'negative'}`).join('\n')}\n`);
      const report = rnnkit('classify', 'evaluate', clfDir, join(dir, 'labelled.csv'), '--custom-objects', custom);
      assert.equal(report.code, 0, report.stderr);
      assert.match(report.stdout, /accuracy/i);
      writeFileSync(join(dir, 'extra.mjs'), 'export function custom_standardization(t) { return t; }\nexport function tokenize(t) { return t.split(" "); }\n');
      assert.match(rnnkit('classify', 'predict', clfDir, reviews[0]!, '--custom-objects', join(dir, 'extra.mjs')).stderr, /--custom-objects exports 'tokenize', which no TextVectorization of .* names/);
      writeFileSync(join(dir, 'bad.mjs'), 'export const custom_standardization = 3;\n');
      assert.match(rnnkit('model', 'summary', withFn, '--custom-objects', join(dir, 'bad.mjs')).stderr, /exports 'custom_standardization', which is not a function/);
      assert.match(rnnkit('model', 'summary', withFn, '--custom-objects', join(dir, 'none.mjs')).stderr, /--custom-objects .*none\.mjs: no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const m = await load(LSTM_FILE);
    assert.throws(() => exportOnnxBytes(m), /input 'review' takes texts \(TextVectorizer 'text_vectorization'\), which ONNX cannot hold: export the numeric model, ids in, after model\.setTextInput\(null, 'review'\)/);
    m.setTextInput(null);
    assert.ok(exportOnnxBytes(m).length > 0);
  });

  it('a tf.keras 2 config (Keras 2 inbound nodes) with the vocabulary in the layer config, through a converted model.json', async () => {
    const node = (name: string) => [[[name, 0, 0, {}]]];
    const topology = {
      class_name: 'Functional',
      config: {
        name: 'model',
        layers: [
          { class_name: 'InputLayer', name: 'text', inbound_nodes: [], config: { batch_input_shape: [null], dtype: 'string', sparse: false, ragged: false, name: 'text' } },
          { class_name: 'TextVectorization', name: 'tv', inbound_nodes: node('text'), config: { name: 'tv', trainable: true, dtype: 'string', max_tokens: null, standardize: 'lower', split: 'whitespace', ngrams: null, output_mode: 'int', output_sequence_length: 3, pad_to_max_tokens: false, sparse: false, ragged: false, vocabulary: ['b', 'a', 'C'], idf_weights: null, encoding: 'utf-8', vocabulary_size: 5, has_input_vocabulary: true } },
          { class_name: 'Embedding', name: 'embedding', inbound_nodes: node('tv'), config: { name: 'embedding', trainable: true, dtype: 'float32', input_dim: 5, output_dim: 2, embeddings_initializer: { class_name: 'Zeros', config: {} }, mask_zero: false, input_length: null } },
          { class_name: 'Flatten', name: 'flatten', inbound_nodes: node('embedding'), config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' } },
        ],
        input_layers: [['text', 0, 0]],
        output_layers: [['flatten', 0, 0]],
      },
      keras_version: '2.15.0',
      backend: 'tensorflow',
    };
    const table = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const modelJson = { format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.17.0', modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'embedding/embeddings', shape: [5, 2], dtype: 'float32' }] }] };
    const m = await loadModel({ modelJson: modelJson as never, weightData: table.buffer });
    // 'lower' lowers ASCII only; the vocabulary's 'C' stays unreachable after lowering, as in Keras.
    assert.deepEqual(Array.from((m.predict(['A b c d', 'B']) as Tensor).data), [3, 3, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0]);
    const noVocab = structuredClone(topology);
    noVocab.config.layers[1]!.config.vocabulary = null as never;
    await assert.rejects(loadModel({ modelJson: { ...modelJson, modelTopology: noVocab } as never, weightData: table.buffer }), /TextVectorization 'tv'\): the file holds no vocabulary for it \(a legacy \.h5 file never saves an adapted TextVectorization's vocabulary/);
  });

  it('reads vocabulary.txt as Keras wrote it: lines end at \\n, \\r\\n or \\r only', () => {
    assert.deepEqual(vocabularyLines('\n[UNK]\nthe\r\na\rb\n\n'), ['', '[UNK]', 'the', 'a', 'b']);
    // Tokens holding other Unicode line breaks (IMDB's '\x85') stay whole, as Keras wrote them.
    assert.deepEqual(vocabularyLines('\n[UNK]\n\x85\nb\u2028c\nd\x1ce'), ['', '[UNK]', '\x85', 'b\u2028c', 'd\x1ce']);
  });
});

/** kerasFileBytes: every check of a .keras save, nothing written. */
function saveKerasFileSync(m: Model): void {
  kerasFileBytes(m);
}
