/**
 * Keras `.h5` full-model files: the fixtures that tools/keras2_h5_fixture.py lays out as
 * the writers of Keras 1.2, Keras 2.2 / 2.0, tf.keras 2.9 and Keras 3's legacy h5 format do
 * (h5py, no Keras) — Embedding, LSTM, GRU with reset_after false, true and absent, Keras 1's
 * per-gate weights, CuDNNLSTM / CuDNNGRU weights, SimpleRNN, Bidirectional (concat, sum), TimeDistributed(Dense), Conv1D,
 * BatchNormalization, a nested Sequential, a Functional model with two inputs —
 * predict as its float64 numpy forward pass does. Malformed files (attributes missing,
 * shapes that disagree, names that disagree, truncated, NaN weights, Keras 1) are refused
 * with a ModelFormatError naming the file, the layer and the weight.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ModelFormatError, layers, loadModel, sequential, tensor, type Tensor } from '../src/index.js';
import { loadWeightsH5, modelFromJson } from '../src/io/kerasH5.js';
import { openH5 } from '../src/io/hdf5Read.js';
import { h5Group, writeHdf5 } from '../src/io/hdf5Write.js';
import { strFromU8, unzipSync } from 'fflate';
import { layerFromConfig } from '../src/layers/registry.js';

const DIR = new URL('./fixtures/', import.meta.url);
const SEQ = 'keras2-sequential.h5';
const expected = JSON.parse(readFileSync(new URL('keras2-h5-expected.json', DIR), 'utf8')) as Record<string, { x: unknown; y: unknown }>;
const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, DIR)));

type Nested = number | Nested[];
const shapeOf = (a: Nested): number[] => (Array.isArray(a) ? [a.length, ...shapeOf(a[0]!)] : []);
const flat = (a: Nested): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);
const asTensor = (a: Nested): Tensor => tensor(flat(a), shapeOf(a));

async function assertPredicts(source: Parameters<typeof loadModel>[0], key: string): Promise<void> {
  const m = await loadModel(source);
  const e = expected[key]!;
  // The functional fixture has two inputs: x is then a list of two arrays.
  const x = key === 'tfkeras2-functional.h5' ? (e.x as Nested[]).map(asTensor) : asTensor(e.x as Nested);
  const y = m.predict(x) as Tensor;
  const want = flat(e.y as Nested);
  assert.deepEqual(y.shape, shapeOf(e.y as Nested));
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y.data[i]! - want[i]!) <= 1e-5, `${key}: output ${i} is ${y.data[i]}, numpy says ${want[i]}`);
}

/** The fixture with every `from` (text, in model_config, attribute or link names) replaced by `to` of the same length. */
function patch(file: string, from: string, to: string, count = Infinity): Uint8Array {
  assert.equal(from.length, to.length, 'a same-length patch keeps every offset in the file');
  const bytes = bytesOf(file);
  const a = new TextEncoder().encode(from);
  const b = new TextEncoder().encode(to);
  let n = 0;
  for (let i = 0; i + a.length <= bytes.length && n < count; i++) {
    if (a.every((c, j) => bytes[i + j] === c)) {
      bytes.set(b, i);
      n++;
    }
  }
  assert.ok(n > 0, `${JSON.stringify(from)} is in ${file}`);
  return bytes;
}

async function refuses(bytes: Uint8Array, pattern: RegExp, options = {}): Promise<void> {
  await assert.rejects(loadModel({ h5File: bytes }, options), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${String(e)}`);
    assert.match(e.message, /^the \.h5 file: /);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('Keras 2 .h5 files', () => {
  for (const key of Object.keys(expected)) {
    it(`${key} predicts as numpy (within 1e-5)`, async () => {
      await assertPredicts(new URL(key, DIR).pathname, key);
      await assertPredicts({ h5File: bytesOf(key) }, key);
      await assertPredicts({ h5File: bytesOf(key).buffer as ArrayBuffer }, key);
    });
  }

  it('reads the topology: bare-list Sequential, InputLayer, Functional; the model comes back uncompiled', async () => {
    const bare = await loadModel({ h5File: bytesOf('keras2.0-bare-list.h5') });
    assert.deepEqual(bare.layers.map((l) => l.className), ['GRU', 'Dense']);
    // Keras 2.0's GRU config predates reset_after: it computes reset before the product.
    assert.equal((bare.layers[0]!.getConfig() as { resetAfter?: boolean }).resetAfter, false);
    const fun = await loadModel({ h5File: bytesOf('tfkeras2-functional.h5') });
    assert.deepEqual(fun.inputs.map((t) => t.shape), [[null, 4, 3], [null, 2]]);
    // keras2-sequential.h5 holds a training_config (Adam, binary_crossentropy): not read.
    const seq = await loadModel({ h5File: bytesOf(SEQ) });
    assert.equal(seq.optimizer, null);
  });

  it('gives an ordinary model: it saves, loads back predicting the same, and trains', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const dir = await mkdtemp(`${(await import('node:os')).tmpdir()}/rnnkit-h5-`);
    try {
      for (const key of ['keras2-sequential.h5', 'keras1-sequential.h5', 'keras2-cudnn.h5']) {
        const m = await loadModel({ h5File: bytesOf(key) });
        const x = asTensor(expected[key]!.x as Nested);
        const y = (m.predict(x) as Tensor).data.slice();
        await m.save(`${dir}/${key.replace(/\.h5$/, '')}`);
        const back = await loadModel(`${dir}/${key.replace(/\.h5$/, '')}`);
        assert.deepEqual((back.predict(x) as Tensor).data, y, `${key}: the same predictions after save and load`);
        back.compile({ optimizer: 'sgd', loss: 'mse' });
        const before = back.getWeights().map((w) => w.data.slice());
        await back.fit(x, tensor(Array.from(y, () => 0.5), [...(back.predict(x) as Tensor).shape]), { epochs: 1, verbose: 0 });
        assert.ok(back.getWeights().some((w, i) => w.data.some((v, j) => v !== before[i]![j])), `${key}: a training step changes the weights`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file without model_config, model_weights, layer_names or weight_names', async () => {
    await refuses(patch(SEQ, 'model_config', 'model_confiX'), /no 'model_config' attribute: it is not a Keras model file; rnnkit reads full-model files/);
    await refuses(patch(SEQ, 'model_weights', 'model_weightX'), /no 'model_weights' group/);
    await refuses(bytesOf('tfkeras2-sequential.weights.h5'), /no 'model_config' attribute: it holds weights only \(model\.save_weights\); rnnkit reads full-model files/);
    await refuses(patch(SEQ, 'layer_names', 'layer_nameX'), /model_weights: no 'layer_names' attribute/);
    await refuses(patch(SEQ, 'weight_names', 'weight_nameX'), /model_weights\/\w+: no 'weight_names' attribute/);
  });

  it('refuses weights whose shape disagrees with the layer, naming the layer and the weight', async () => {
    // LSTM units 5 → 6 in model_config: its kernel would be [4, 24].
    await refuses(patch(SEQ, '"units": 5', '"units": 6'), /model_weights\/lstm_1: weight 0 'lstm_1\/kernel:0': shape \[4, 20\], expected \[4, 24\] for LSTM 'lstm_1'/);
    // GRU reset_after true in the config, reset_after false weights: the bias is [9], not [2, 9].
    await refuses(patch(SEQ, '"reset_after": false', '"reset_after": true '), /model_weights\/bidirectional_1: weight 2 'bidirectional_1\/forward_gru_1\/bias:0': shape \[9\], expected \[2, 9\]/);
  });

  it('refuses weights missing, out of place or for other layers, naming them', async () => {
    // The LSTM without a bias: the file's third weight has no place.
    await refuses(patch(SEQ, '"use_bias": true', '"use_bias":false', 1), /model_weights\/lstm_1: 3 weights \(lstm_1\/kernel:0, lstm_1\/recurrent_kernel:0, lstm_1\/bias:0\), but LSTM 'lstm_1' has 2 \(kernel, recurrent_kernel\)/);
    // A weight listed under another name than the one the layer has there.
    await refuses(patch(SEQ, 'dense_2/kernel:0', 'dense_2/kernex:0'), /model_weights\/dense_2: weight 0 'dense_2\/kernex:0': expected Dense 'dense_2''s 'kernel' in this place/);
    // A weight listed whose dataset is not there.
    await refuses(patch(SEQ, 'dense_2/kernel:0', 'dense_2/kernel:1'), /model_weights\/dense_2: weight 0 'dense_2\/kernel:1': no dataset dense_2\/dense_2\/kernel:1/);
    // model_config names the last layer otherwise than the weights do.
    await refuses(patch(SEQ, '"name": "dense_2"', '"name": "dense_9"'), /model_weights: layer 5 with weights is 'dense_2' in the file, 'dense_9' in model_config/);
    // …while renamed everywhere it loads.
    const renamed = await loadModel({ h5File: patch(SEQ, 'dense_2', 'dense_9') });
    assert.equal(renamed.layers.at(-1)!.name, 'dense_9');
  });

  it('refuses a non-finite weight, naming it, unless checkFinite is false', async () => {
    const bias = (await loadModel({ h5File: bytesOf(SEQ) })).getWeights().at(-1)!.data;
    const needle = new Uint8Array(Float32Array.from(bias).buffer);
    const bytes = bytesOf(SEQ);
    const at = bytes.findIndex((_, i) => needle.every((b, j) => bytes[i + j] === b));
    assert.ok(at > 0, 'the bias is stored contiguously');
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(at, NaN, true);
    await refuses(bytes, /model_weights\/dense_2: weight 1 'dense_2\/bias:0': holds NaN at index 0; loadModel refuses non-finite weights/);
    const m = await loadModel({ h5File: bytes }, { checkFinite: false });
    assert.ok(Number.isNaN(m.getWeights().at(-1)!.data[0]));
  });

  it('reads Keras 1 files as Keras 2 does, refusing what it does not translate by name', async () => {
    // Keras 2 configs in a file that says Keras 1 (or says nothing) are not Keras 1 configs.
    await refuses(patch(SEQ, '2.2.4', '1.2.2'), /model_config: a Keras 1 Sequential config is a list of layers/);
    await refuses(patch(SEQ, 'keras_version', 'keras_versioX', 1), /model_config: a Keras 1 Sequential config is a list of layers/);
    await refuses(patch(SEQ, '2.2.4', '4.0.0'), /keras_version "4\.0\.0"; rnnkit reads the models of Keras 1\.x, 2\.x, tf\.keras 2\.x and Keras 3/);
    const K1 = 'keras1-sequential.h5';
    await refuses(patch(K1, '"Dropout"', '"Dropoux"'), /layer 3 \(Dropoux 'dropout_1'\): Keras 1 layer class 'Dropoux' is not read; rnnkit translates Keras 1's InputLayer, Dense, Embedding/);
    await refuses(patch(K1, '"p": 0.25', '"q": 0.25'), /\(Dropout 'dropout_1'\): Keras 1 option 'q' is not known here; rnnkit translates name, trainable/);
    await refuses(patch(K1, '"init": "uniform"', '"init": "unifory"'), /\(Embedding 'embedding_1'\): init: Keras 1 initializer "unifory" is not known/);
    await refuses(patch(K1, '"dropout": 0.0', '"dropout": 0.5'), /Keras 1 Embedding dropout 0\.5 has no Keras 2 form/);
    // The per-gate weights are checked by name: W_c where W_c belongs.
    await refuses(patch(K1, 'lstm_1_W_c:0', 'lstm_1_W_x:0'), /model_weights\/lstm_1: weight 3 'lstm_1_W_x:0': expected Keras 1's W_c \(a name ending in _W_c\) in this place/);
    // The gates concatenated must have the layer's shape.
    await refuses(patch(K1, '"output_dim": 4', '"output_dim": 5'), /model_weights\/lstm_1: lstm_1_W_i:0, lstm_1_U_i:0, .*, lstm_1_b_o:0 \(W\): shape \[3, 16\], expected \[3, 20\] for LSTM 'lstm_1'/);
    // loadWeightsH5 converts Keras 1 weights too.
    const m = await loadModel({ h5File: bytesOf('keras1-model.h5') });
    const want = m.getWeights().map((w) => w.data.slice());
    m.setWeights(m.getWeights().map((w) => tensor(new Array(w.data.length).fill(0), w.shape)));
    await loadWeightsH5(m, bytesOf('keras1-model.h5'));
    m.getWeights().forEach((w, i) => assert.deepEqual(w.data, want[i]));
  });

  it('says that an .h5 or .keras file that is a Git LFS pointer is one', async () => {
    // Published repositories often hold the pointer, not the model (cloned without git lfs pull).
    const lfs = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 2052860\n');
    await refuses(lfs, /not an HDF5 file \(no HDF5 signature at its start\) \(it is a Git LFS pointer, not the model file: fetch it with git lfs pull\)/);
    await assert.rejects(loadModel({ kerasFile: lfs }), /not a readable \.keras zip: .* \(it is a Git LFS pointer, not the model file/);
    await assert.rejects(loadWeightsH5(sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] }), lfs), /\(it is a Git LFS pointer/);
    // Other bytes keep the plain message.
    await refuses(new TextEncoder().encode('not a model at all, just some text that is long enough'), /no HDF5 signature at its start\)$/);
    // A 0-byte file (published: Carlosvd7/reconocimiento-senas backend/models/lstm_model.h5) says it is empty.
    await refuses(new Uint8Array(0), /no HDF5 signature at its start\) \(the file is empty: 0 bytes\)$/);
    await assert.rejects(loadModel({ kerasFile: new Uint8Array(0) }), /not a readable \.keras zip: .* \(the file is empty: 0 bytes\)$/);
  });

  it("reads Keras 1's Convolution1D as Keras 2 does (both kernel layouts, valid and same), refusing other border modes and kernel shapes", async () => {
    // Published Keras 1.1 Convolution1D → Bidirectional(LSTM) classifiers were refused with
    // "Keras 1 layer class 'Convolution1D' is not read".
    const K = 'keras1-conv-lstm.h5';
    await assertPredicts({ h5File: bytesOf(K) }, K);
    const m = await loadModel({ h5File: bytesOf(K) });
    assert.deepEqual(m.layers.map((l) => l.className), ['Conv1D', 'Conv1D', 'Dropout', 'Bidirectional', 'Dense']);
    assert.deepEqual(m.layers.slice(0, 2).map((l) => { const c = l.getConfig() as { filters: number; kernelSize: unknown; padding: string }; return [c.filters, c.kernelSize, c.padding]; }), [[3, [2], 'valid'], [4, [3], 'same']]);
    await refuses(patch(K, '"border_mode": "same"', '"border_mode": "full"'), /\(Convolution1D 'convolution1d_2'\): border_mode "full"; Keras 1's Convolution1D had 'valid' and 'same'/);
    // filter_length 3 → 2 in the config: the [4, 3, 3, 1] kernel fits neither layout.
    await refuses(patch(K, '"filter_length": 3', '"filter_length": 2'), /convolution1d_2_W:0.*shape \[4, 3, 3, 1\] is neither Keras 1's \[2, 1, input_dim, 4\] nor \[4, input_dim, 2, 1\]/);
  });

  it("reads TF 1.13-1.15 tf.keras's initializer configs, which carry their dtype", async () => {
    // {"class_name": "GlorotUniform", "config": {"seed": null, "dtype": "float32"}}: refused as an unknown option before.
    await assertPredicts({ h5File: bytesOf('tfkeras1.14-sequential.h5') }, 'tfkeras1.14-sequential.h5');
    // Another dtype would draw other weights than rnnkit's float32 ones: refused, naming it.
    await refuses(patch('tfkeras1.14-sequential.h5', '"dtype": "float32"}', '"dtype": "float16"}', 1), /\(LSTM 'lstm'\): .*GlorotUniform initializer dtype "float16"; rnnkit draws float32 weights/);
  });

  it("reads Keras 2.0's implementation 0 (its default until 2.0.8) in LSTM and GRU as the same numbers", async () => {
    // keras2-sequential.h5 with its LSTM's and GRU's implementation 1 written as Keras 2.0 wrote it.
    await assertPredicts({ h5File: patch(SEQ, '"implementation": 1', '"implementation": 0', 2) }, SEQ);
  });

  it('reads CuDNNLSTM / CuDNNGRU as the LSTM / GRU they compute, refusing options whose meaning the conversion changes', async () => {
    const m = await loadModel({ h5File: bytesOf('keras2-cudnn.h5') });
    const inner = m.layers.map((l) => (l.getConfig() as { layer?: { className: string; config: Record<string, unknown> } }).layer ?? { className: l.className, config: l.getConfig() });
    assert.deepEqual(inner.map((l) => l.className), ['LSTM', 'GRU', 'Dense']);
    assert.equal(inner[1]!.config.resetAfter, true);
    const C = 'keras2-cudnn.h5';
    await refuses(patch(C, '"bias_constraint": null', '"bias_constraint": 1234', 1), /\(CuDNNLSTM 'cu_dnnlstm_1'\): bias_constraint 1234 is not supported: it would act on other weights once cuDNN's are read as LSTM's/);
    await refuses(patch(C, '"unit_forget_bias"', '"unit_forget_biax"'), /option 'unit_forget_biax' is not a CuDNNLSTM option rnnkit knows/);
  });

  it("refuses a Sequential's InputLayer options that would change the input, as a graph's input refuses them", async () => {
    // A Sequential passes only the InputLayer's shape on; its other options were dropped unread.
    const T = 'tfkeras2-sequential.h5';
    await refuses(patch(T, '"ragged": false', '"ragged": true '), /layer 0 \(InputLayer 'lstm_input'\): option 'ragged' = true is not supported/);
    await refuses(patch(T, '"sparse": false', '"sparse": true '), /layer 0 \(InputLayer 'lstm_input'\): InputLayer 'lstm_input': sparse inputs are not supported/);
    await refuses(patch(T, '"dtype": "float32", "sparse"', '"dtype": "float16", "sparse"'), /layer 0 \(InputLayer 'lstm_input'\): .*dtype "float16" is not supported/);
    // The defaults Keras writes still load.
    await assertPredicts({ h5File: bytesOf(T) }, T);
  });

  it("a Keras 3 weights file (layers/<class>/vars, no layer_names): loadModel says what it is, loadWeightsH5 reads it as Keras 3's load_weights does", async () => {
    const zip = unzipSync(bytesOf('keras3-sequential-lstm.keras'));
    const w = zip['model.weights.h5']!;
    await refuses(w, /no 'model_config' attribute: it is a Keras 3 weights file \(save_weights: layers\/<name>\/vars\/<i>\), which loadWeightsH5 reads into a built model/);
    const ref = await loadModel(new URL('keras3-sequential-lstm.keras', DIR).pathname);
    // Token ids (the model starts with an Embedding of 10).
    const x = tensor(Array.from({ length: 2 * ref.inputShape.reduce((a: number, b) => a * (b ?? 5), 1) }, (_, i) => (i * 7) % 10), [2, ...ref.inputShape.map((d) => d ?? 5)]);
    const want = (ref.predict(x) as Tensor).data;
    // Its architecture (to_json is config.json), and the same layers built in rnnkit under other
    // names: Keras 3's paths come from the layer classes and their order, not the names.
    const own = sequential({ layers: ref.layers.filter((l) => l.className !== 'InputLayer').map((l, i) => layerFromConfig({ className: l.className, config: { ...l.getConfig(), name: `mine_${i}` } }, 'test')) });
    for (const m of [modelFromJson(strFromU8(zip['config.json']!)), own]) {
      await loadWeightsH5(m, w);
      const y = (m.predict(x) as Tensor).data;
      assert.deepEqual(Array.from(y), Array.from(want), 'the .keras file\'s predictions, bit for bit');
    }
    // Another model's layers: refused naming the variable, nothing written.
    const m = await loadModel({ h5File: bytesOf('tfkeras2-sequential.h5') });
    const before = m.getWeights().map((t) => t.data.slice());
    await assert.rejects(loadWeightsH5(m, w), (e: unknown) => e instanceof ModelFormatError && /^the \.h5 weights file: layers\/lstm\/cell\/vars\/0 \(kernel\): shape \[4, 24\], expected \[2, 16\]$/.test(e.message));
    m.getWeights().forEach((t, i) => assert.deepEqual(t.data, before[i]));
  });

  it('refuses convolutions from a Theano-backend file (Keras stored their kernels flipped)', async () => {
    await refuses(patch('tfkeras2-nested.h5', 'tensorflow', 'theano\0\0\0\0'), /a Theano-backend model with Conv1D: Keras stored Theano's convolution kernels flipped/);
    // Without convolutions a Theano file loads (keras2.0-bare-list.h5 is one).
    await assertPredicts({ h5File: bytesOf('keras2.0-bare-list.h5') }, 'keras2.0-bare-list.h5');
  });

  it('a model saved to .h5 before it was built (no input shape, empty weight groups: Aadii0916/Next-word-predict lstm_model.h5, Keras 3.13) is refused saying so, as a .keras file is', async () => {
    const config = { class_name: 'Sequential', config: { name: 'sequential', layers: [
      { module: 'keras.layers', class_name: 'Embedding', config: { name: 'embedding', input_dim: 50, output_dim: 8 }, registered_name: null },
      { module: 'keras.layers', class_name: 'LSTM', config: { name: 'lstm', units: 4 }, registered_name: null },
    ] } };
    const root = h5Group();
    root.attrs.set('keras_version', '3.13.2');
    root.attrs.set('backend', 'tensorflow');
    root.attrs.set('model_config', JSON.stringify(config));
    const weights = h5Group();
    for (const name of ['embedding', 'lstm']) weights.members.set(name, h5Group());
    root.members.set('model_weights', weights);
    await refuses(writeHdf5(root, 'test'), /declares no input shape \(batch_input_shape\); the file holds no layer weights either: the model was saved before it was built/);
  });

  it('refuses truncated and non-HDF5 bytes, and files over maxBytes, with a ModelFormatError', async () => {
    const whole = bytesOf(SEQ);
    for (const n of [0, 7, 100, 512, 2048, whole.length >> 2, whole.length >> 1, whole.length - 1000, whole.length - 1]) {
      await refuses(whole.slice(0, n), /./);
    }
    await refuses(new TextEncoder().encode('{"modelTopology": {}}'), /not an HDF5 file/);
    await refuses(whole, /bytes, more than the 1000 accepted \(the maxBytes option\)/, { maxBytes: 1000 });
    await assert.rejects(loadModel(new URL(SEQ, DIR).pathname, { maxBytes: 1000 }), (e: unknown) => e instanceof ModelFormatError && /more than the 1000/.test(e.message));
  });

  it('refuses an attribute whose dataspace claims more values than the file holds, before allocating them', async () => {
    // keras1-sequential.h5's 12 LSTM weight names: dataspace v1, rank 1, max dims, 12 (8 bytes). A
    // byte flip there (found by a 3,000-variant fuzz run) made 1.5 billion names and exhausted the heap.
    const bytes = bytesOf('keras1-sequential.h5');
    const space = [1, 1, 1, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0];
    const at = bytes.findIndex((_, i) => space.every((b, j) => bytes[i + j] === b));
    assert.ok(at > 0, 'the dataspace of a 12-name attribute');
    bytes[at + 11] = 88;
    await refuses(bytes, /an attribute claims 1476395020 values, more than the \d+ bytes they are read from hold/);
  });

  it('loads or refuses 300 seeded byte-flip variants of the fixtures, each with a ModelFormatError', async () => {
    let seed = 15;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const files = Object.keys(expected);
    let loaded = 0;
    for (let k = 0; k < 300; k++) {
      const bytes = bytesOf(files[k % files.length]!);
      for (let f = 0; f < 1 + rand(4); f++) bytes[rand(bytes.length)] = rand(256);
      try {
        const m = await loadModel({ h5File: bytes });
        loaded++;
        for (const w of m.getWeights()) assert.ok(w.data.every(Number.isFinite), `variant ${k}: a loaded weight is finite`);
      } catch (e) {
        assert.ok(e instanceof ModelFormatError, `variant ${k}: a ModelFormatError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    // Most flips land in weight values or unused bytes; the point is that none escapes as another error.
    assert.ok(loaded > 0 && loaded < 300);
  });

  it('loadWeightsH5 loads a save_weights file, or a full-model file, into a built model', async () => {
    const key = 'tfkeras2-sequential.h5';
    const e = expected[key]!;
    const x = asTensor(e.x as Nested);
    const want = flat(e.y as Nested);
    const m = await loadModel({ h5File: bytesOf(key) });
    // The chunked file splits layer_names and weight_names into name0, name1, … as Keras does past 64 KB.
    for (const source of [new URL('tfkeras2-sequential.weights.h5', DIR).pathname, bytesOf('tfkeras2-sequential.weights.h5'), bytesOf('tfkeras2-sequential.chunked.weights.h5'), bytesOf(key)]) {
      m.setWeights(m.getWeights().map((w) => tensor(new Array(w.data.length).fill(0), w.shape)));
      await loadWeightsH5(m, source);
      const y = (m.predict(x) as Tensor).data;
      want.forEach((v, i) => assert.ok(Math.abs(y[i]! - v) <= 1e-5, `output ${i} is ${y[i]}, numpy says ${v}`));
    }
    // The caller's model, its layers named otherwise ('enc', not the file's 'lstm'): Keras's
    // load_weights matches layers by position, so the names need not agree.
    const own = sequential({ layers: [layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 2], name: 'enc' }), layers.gru({ units: 3, name: 'mid' }), layers.dense({ units: 2, name: 'head' })] });
    await loadWeightsH5(own, bytesOf('tfkeras2-sequential.weights.h5'));
    const yOwn = (own.predict(x) as Tensor).data;
    want.forEach((v, i) => assert.ok(Math.abs(yOwn[i]! - v) <= 1e-5, `own model: output ${i} is ${yOwn[i]}, numpy says ${v}`));
    // Another model's weights: refused, naming the layers, and nothing is written.
    const other = await loadModel({ h5File: bytesOf('keras2.0-bare-list.h5') });
    const before = other.getWeights().map((w) => w.data.slice());
    await assert.rejects(loadWeightsH5(other, bytesOf('tfkeras2-sequential.weights.h5')), (err: unknown) =>
      err instanceof ModelFormatError && /^the \.h5 weights file: weights for 3 layers \('lstm', 'gru', 'dense'\), but the model's layers with weights are 2 \('gru_1', 'dense_1'\)/.test(err.message));
    other.getWeights().forEach((w, i) => assert.deepEqual(w.data, before[i]));
    await assert.rejects(loadWeightsH5(m, bytesOf(key), { maxBytes: 10 }), /more than the 10 accepted/);
    await assert.rejects(loadWeightsH5(m, bytesOf(key), { strict: true } as never), /strict/);
    await assert.rejects(loadWeightsH5({} as never, bytesOf(key)), /expected a model/);
  });

  it("modelFromJson: Keras 2.0.0–2.0.7's Embedding dtype 'int32' (its input's, forced by its constructor) reads as indices into float32 embeddings", () => {
    // As 7arsandre/IntentClassifierChatbot's model/model.json (Keras 2.0.5) writes it.
    const embedding = (dtype: string) => ({ class_name: 'Embedding', config: { name: 'embedding_1', trainable: true, batch_input_shape: [null, null], dtype, input_dim: 7, output_dim: 3, embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } }, embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null, mask_zero: false, input_length: null } });
    const lstm = { class_name: 'LSTM', config: { name: 'lstm_1', trainable: true, return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, implementation: 0, units: 4, activation: 'tanh', recurrent_activation: 'hard_sigmoid', use_bias: true, kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null } }, recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1.0, seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} }, unit_forget_bias: true, kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, dropout: 0.0, recurrent_dropout: 0.0 } };
    const file = (dtype: string, layers: object[]) => JSON.stringify({ class_name: 'Sequential', config: [embedding(dtype), ...layers], keras_version: '2.0.5', backend: 'tensorflow' });
    const m = modelFromJson(file('int32', []));
    const table = m.getWeights()[0]!;
    assert.deepEqual(table.shape, [7, 3]);
    const ids = [[0, 6, 2]];
    const y = (m.predict(asTensor(ids)) as Tensor).data;
    ids[0]!.forEach((id, t) => assert.deepEqual(Array.from(y.subarray(t * 3, t * 3 + 3)), Array.from(table.data.subarray(id * 3, id * 3 + 3)), `step ${t} is row ${id}`));
    assert.deepEqual((modelFromJson(file('int64', [lstm])).predict(asTensor(ids)) as Tensor).shape, [1, 4]);
    // Another dtype is still refused, by name.
    assert.throws(() => modelFromJson(file('float64', [])), /embedding_1.*dtype "float64" is not supported/);
    assert.throws(() => modelFromJson(JSON.stringify({ ...JSON.parse(file('float32', [])), config: [{ ...lstm, config: { ...lstm.config, dtype: 'int32', batch_input_shape: [null, 3, 2] } }] })), /lstm_1.*dtype "int32" is not supported/);
  });

  it("modelFromJson (Keras's model_from_json) then loadWeightsH5: a to_json architecture published beside its save_weights file", async () => {
    // What model.to_json() writes is the full-model file's model_config with keras_version and backend beside it.
    const key = 'tfkeras2-sequential.h5';
    const file = await openH5(bytesOf(key), key, 2 ** 31);
    const attr = (n: string): string => {
      const v = file.attrs[n] as string | string[];
      return Array.isArray(v) ? v[0]! : v;
    };
    const toJson = JSON.stringify({ ...JSON.parse(attr('model_config')), keras_version: attr('keras_version'), backend: attr('backend') });
    const e = expected[key]!;
    const want = flat(e.y as Nested);
    // A file written by json.dump(model.to_json(), f) holds the architecture as a JSON string
    // (published beside save_weights files: Aayushmanandhar17/Stock_Analysis_Flask trained_models/BAC.json).
    for (const source of [toJson, JSON.parse(toJson) as object, JSON.stringify(toJson)]) {
      const m = modelFromJson(source);
      // Built as Keras builds it, initializers run (an LSTM's forget-gate bias is 1), not zeros for a loader.
      assert.ok(m.getWeights().some((w) => w.data.some((v) => v !== 0)), 'initialized weights');
      await loadWeightsH5(m, bytesOf('tfkeras2-sequential.weights.h5'));
      const y = (m.predict(asTensor(e.x as Nested)) as Tensor).data;
      want.forEach((v, i) => assert.ok(Math.abs(y[i]! - v) <= 1e-5, `output ${i} is ${y[i]}, numpy says ${v}`));
    }
    // Keras 3's to_json (no keras_version; module 'keras'): the .keras file's config.json.
    const cfg = strFromU8(unzipSync(bytesOf('keras3-sequential-lstm.keras'))['config.json']!);
    const ref = await loadModel(new URL('keras3-sequential-lstm.keras', DIR).pathname);
    // Early Keras 3 named the class's own module instead of 'keras'.
    for (const text of [cfg, JSON.stringify({ ...JSON.parse(cfg), module: 'keras.src.models.sequential' })]) {
      const k3 = modelFromJson(text);
      assert.deepEqual(k3.getWeights().map((w) => w.shape), ref.getWeights().map((w) => w.shape));
    }
    // Refusals, by what is wrong.
    const big = JSON.parse(toJson);
    big.config.layers.find((l: { class_name: string }) => l.class_name === 'LSTM').config.units = 1e6;
    assert.throws(() => modelFromJson(big), (err: unknown) => err instanceof Error && /weight/.test(err.message) && /more than|budget|bytes/.test(err.message), 'an LSTM of 10^6 units is refused before it allocates');
    assert.throws(() => modelFromJson({ ...JSON.parse(toJson), keras_version: '4.0.0' }), /modelFromJson: keras_version "4\.0\.0"; rnnkit reads the models of Keras 1\.x, 2\.x/);
    // A Sequential's {name, layers} under a graph's class name (tyler-pruitt/IMDB-Sentiment-Analysis's model.json): said so, before its TextVectorization is read.
    const layers = [{ class_name: 'InputLayer', config: { name: 'text', batch_input_shape: [null, 1], dtype: 'string' } }, { class_name: 'TextVectorization', config: { name: 'tv', max_tokens: 10, output_mode: 'int', output_sequence_length: 5 } }, { class_name: 'Dense', config: { name: 'd', units: 2 } }];
    for (const cls of ['Model', 'Functional']) assert.throws(() => modelFromJson({ class_name: cls, config: { name: 'm', layers }, keras_version: '2.4.0' }), new RegExp(`^ModelFormatError: modelFromJson: a ${cls} config without input_layers \\(its keys: name, layers\\)`));
    assert.throws(() => modelFromJson('{"class_name": "Sequential"'), /modelFromJson: not valid JSON/);
    assert.throws(() => modelFromJson(JSON.stringify('{"class_name": "Sequential"')), /modelFromJson: not valid JSON/);
    assert.throws(() => modelFromJson(JSON.stringify(JSON.stringify(toJson))), /modelFromJson: expected a Keras model\.to_json\(\) object/);
    assert.throws(() => modelFromJson({ modelTopology: {}, weightsManifest: [] }), /modelFromJson: expected a Keras model\.to_json\(\) object/);
    assert.throws(() => modelFromJson({ class_name: 'Sequential', config: {}, modelTopology: {} }), /a TF\.js layers-model model\.json; read it with loadModel/);
    assert.throws(() => modelFromJson(toJson, { maxBytes: -1 }), /maxBytes must be a number of bytes > 0/);
    assert.throws(() => modelFromJson(toJson, { strict: true } as never), /unknown option 'strict'/);
  });

  it('checks the {h5File} source', async () => {
    await assert.rejects(loadModel({ h5File: bytesOf(SEQ), extra: 1 } as never), /\{h5File\} takes no other keys, got 'extra'/);
    await assert.rejects(loadModel({ h5File: 'model.h5' } as never), /h5File must be an ArrayBuffer or a typed array/);
    await assert.rejects(loadModel('https://example.com/model.h5'), /fetch https:\/\/example\.com\/model\.h5 and pass \{h5File: bytes\}/);
  });
});
