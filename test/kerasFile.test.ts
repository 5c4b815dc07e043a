/**
 * Keras 3 `.keras` files: the fixtures (Embedding, LSTM, GRU both ways, SimpleRNN, Bidirectional,
 * Dense, Conv1D, BatchNormalization, TimeDistributed, a nested Sequential) that tools/keras_fixture.py lays out as Keras 3.16's
 * saving_lib does (h5py, no Keras) load with the outputs it computed in float64 numpy
 * from the Keras 3 equations; malformed files (truncated, a zip bomb, a member that lies
 * about its size, members missing or unknown, variables missing or extra) are refused with
 * a ModelFormatError naming the file and the member.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { ModelFormatError, input, layers, loadModel, model as graphModel, saveKerasFile, sequential, setSeed, tensor, type SymbolicTensor, type Tensor } from '../src/index.js';
import { artifactsOf } from './helpers/saving.js';
import { toSnakeCase } from '../src/io/kerasFile.js';
import { h5Group, writeHdf5, type H5GroupSpec } from '../src/io/hdf5Write.js';

const DIR = new URL('./fixtures/', import.meta.url);
const SEQ = 'keras3-sequential-lstm.keras';
const FUN = 'keras3-functional-gru.keras';
const CONV = 'keras3-sequential-conv-gru.keras';
const expected = JSON.parse(readFileSync(new URL('keras3-expected.json', DIR), 'utf8')) as Record<string, { input: unknown[]; inputShape: number[]; output: unknown[] }>;
const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, DIR)));

async function assertPredicts(source: Parameters<typeof loadModel>[0], key: string): Promise<void> {
  const m = await loadModel(source);
  const e = expected[key]!;
  const y = m.predict(tensor((e.input as number[]).flat(3) as number[], e.inputShape)) as Tensor;
  const want = (e.output as number[]).flat(3) as number[];
  assert.equal(y.data.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y.data[i]! - want[i]!) <= 1e-5, `${key}: output ${i} is ${y.data[i]}, numpy says ${want[i]}`);
}

/** The fixture's members, changed by `edit`, zipped again (deflated: fflate's default). */
function rezip(file: string, edit: (members: Record<string, Uint8Array>) => void, level: 0 | 6 = 6): Uint8Array {
  const members = unzipSync(bytesOf(file));
  edit(members);
  return zipSync(members as Zippable, { level });
}

const editConfig = (edit: (c: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }) => void) => (m: Record<string, Uint8Array>) => {
  const c = JSON.parse(new TextDecoder().decode(m['config.json']));
  edit(c);
  m['config.json'] = new TextEncoder().encode(JSON.stringify(c));
};

async function refuses(bytes: Uint8Array, pattern: RegExp, options = {}): Promise<void> {
  await assert.rejects(loadModel({ kerasFile: bytes }, options), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${String(e)}`);
    assert.match(e.message, /^the \.keras file: /);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('Keras 3 .keras files', () => {
  it("names layers as Keras's to_snake_case does", () => {
    assert.deepEqual(['SimpleRNN', 'LSTM', 'GRU', 'Dense', 'Embedding', 'TimeDistributed', 'Bidirectional', 'Conv1D', 'BatchNormalization', 'Functional'].map(toSnakeCase), [
      'simple_rnn', 'lstm', 'gru', 'dense', 'embedding', 'time_distributed', 'bidirectional', 'conv1d', 'batch_normalization', 'functional',
    ]);
  });

  it('Sequential[Input, Embedding(mask_zero), LSTM, LSTM (layers/lstm_1), Dense(softmax)] predicts as numpy', async () => {
    await assertPredicts(new URL(SEQ, DIR).pathname, 'sequential-lstm');
  });

  it('Functional: Bidirectional(GRU reset_after) → SimpleRNN → Dense predicts as numpy (forward_layer / backward_layer paths)', async () => {
    await assertPredicts(new URL(FUN, DIR).pathname, 'functional-gru');
  });

  it('Sequential[Conv1D(relu), BatchNormalization (moving statistics), GRU(reset_after: false), TimeDistributed(Dense)] predicts as numpy', async () => {
    await assertPredicts(new URL(CONV, DIR).pathname, 'sequential-conv-gru');
  });

  it('Functional with a nested Sequential (layers/sequential/layers/…; an inner and an outer `dense`) predicts as numpy', async () => {
    await assertPredicts(new URL('keras3-functional-nested.keras', DIR).pathname, 'functional-nested');
  });

  it('reads bytes ({kerasFile}) and deflated members as well as stored ones', async () => {
    await assertPredicts({ kerasFile: bytesOf(FUN).buffer as ArrayBuffer }, 'functional-gru');
    await assertPredicts({ kerasFile: rezip(SEQ, () => undefined) }, 'sequential-lstm');
  });

  it('the forward and backward halves are not interchangeable (the mapping is checked, not just the shapes)', async () => {
    // The numpy comparison above would catch forward_layer and backward_layer read the wrong way round.
    const m = await loadModel({ kerasFile: bytesOf(FUN) });
    const w = m.getWeights();
    const e = expected['functional-gru']!;
    const x = tensor((e.input as number[]).flat(3) as number[], e.inputShape);
    const before = (m.predict(x) as Tensor).data.slice();
    m.setWeights([...w.slice(3, 6), ...w.slice(0, 3), ...w.slice(6)]);
    const after = (m.predict(x) as Tensor).data;
    assert.ok(before.some((v, i) => Math.abs(v - after[i]!) > 1e-3), 'swapping the halves changes the outputs');
  });

  it('refuses a non-finite weight, naming its path, unless checkFinite is false', async () => {
    // The Dense bias's float32 bytes in the (contiguous) dataset, the first one made NaN.
    const bias = (await loadModel({ kerasFile: bytesOf(SEQ) })).getWeights().at(-1)!.data;
    const needle = new Uint8Array(Float32Array.from(bias).buffer);
    const poisoned = rezip(SEQ, (m) => {
      const h5 = m['model.weights.h5']!;
      const at = h5.findIndex((_, i) => needle.every((b, j) => h5[i + j] === b));
      assert.ok(at > 0, 'the bias is stored contiguously');
      new DataView(h5.buffer, h5.byteOffset).setFloat32(at, NaN, true);
    });
    await refuses(poisoned, /model\.weights\.h5: layers\/dense\/vars\/1 \(bias\): holds NaN at index 0; non-finite weights are refused/);
    const m = await loadModel({ kerasFile: poisoned }, { checkFinite: false });
    assert.ok(Number.isNaN(m.getWeights().at(-1)!.data[0]));
  });

  it('loads a compiled model uncompiled (compile_config is not read)', async () => {
    const compiled = rezip(SEQ, editConfig((c) => Object.assign(c, { compile_config: { optimizer: 'adam', loss: 'mse', metrics: null, loss_weights: null, weighted_metrics: null, run_eagerly: false, steps_per_execution: 1, jit_compile: false } })));
    await assertPredicts({ kerasFile: compiled }, 'sequential-lstm');
  });

  it('refuses a truncated file', async () => {
    const b = bytesOf(SEQ);
    await refuses(b.subarray(0, b.length - 30), /truncated|end-of-central-directory/);
    await refuses(b.subarray(0, 1000), /end-of-central-directory/);
    // The directory intact, a member's bytes cut out of the middle.
    const cut = new Uint8Array([...b.subarray(0, 200), ...b.subarray(5200)]);
    await refuses(cut, /truncated|damaged|local header/);
  });

  it('refuses a zip bomb before inflating it, and a member that holds more than it declares', async () => {
    // 64 MiB of zeros deflate to ~64 KiB; under maxBytes 1 MiB the declared size is refused.
    const bomb = rezip(SEQ, (m) => {
      m['model.weights.h5'] = new Uint8Array(64 * 2 ** 20);
    });
    assert.ok(bomb.length < 2 ** 20);
    await refuses(bomb, /model\.weights\.h5: its members declare \d+ bytes or more, more than the 1048576 accepted/, { maxBytes: 2 ** 20 });
    // A central directory that claims 3 GB for one member: refused under the default 2^31.
    const claims = rezip(SEQ, () => undefined);
    const dv = new DataView(claims.buffer, claims.byteOffset, claims.byteLength);
    let p = claims.length - 22;
    while (dv.getUint32(p, true) !== 0x06054b50) p--;
    let cd = dv.getUint32(p + 16, true);
    for (;;) {
      const nameLen = dv.getUint16(cd + 28, true);
      const name = new TextDecoder().decode(claims.subarray(cd + 46, cd + 46 + nameLen));
      if (name === 'model.weights.h5') break;
      cd += 46 + nameLen + dv.getUint16(cd + 30, true) + dv.getUint16(cd + 32, true);
    }
    const lying = claims.slice();
    new DataView(lying.buffer).setUint32(cd + 24, 3e9, true);
    await refuses(lying, /model\.weights\.h5: its members declare \d+ bytes or more, more than the 2147483648 accepted/);
    // Claiming fewer bytes than it inflates to: inflated no further than declared, then the CRC fails.
    const under = claims.slice();
    new DataView(under.buffer).setUint32(cd + 24, 1000, true);
    await refuses(under, /model\.weights\.h5: .*(CRC-32|inflate)/);
  });

  it('refuses a file over maxBytes, and checks its options', async () => {
    await assert.rejects(loadModel(new URL(SEQ, DIR).pathname, { maxBytes: 1000 }), (e: unknown) => e instanceof ModelFormatError && /bytes, more than the 1000 accepted \(loadModel's maxBytes option\)/.test(e.message));
    await assert.rejects(loadModel({ kerasFile: 'x' } as never), /kerasFile must be an ArrayBuffer or a typed array/);
    await assert.rejects(loadModel({ kerasFile: bytesOf(SEQ), weightData: new ArrayBuffer(0) } as never), /\{kerasFile\} takes no other keys, got 'weightData'/);
  });

  it('names missing and unknown members', async () => {
    await refuses(rezip(SEQ, (m) => delete m['metadata.json']), /the zip has no metadata\.json/);
    await refuses(rezip(SEQ, (m) => delete m['model.weights.h5']), /the zip has no model\.weights\.h5/);
    await refuses(rezip(SEQ, (m) => (m['assets/vocabulary.txt'] = new TextEncoder().encode('a\nb'))), /member "assets\/vocabulary\.txt" is an asset rnnkit does not read \(it reads the vocabulary\.txt of TextVectorization layers, and the model has none\)/);
    await refuses(rezip(SEQ, (m) => (m['notes.txt'] = new Uint8Array(3))), /member "notes\.txt" is a member a Keras 3 model file does not have/);
  });

  it('an integer input (Input(dtype="int64"), as Keras examples declare token ids) loads as int32; float16 and bool inputs are refused', async () => {
    const e = expected['sequential-lstm']!;
    const asInt64 = rezip(SEQ, editConfig((c) => (c.config.layers[0]!.config.dtype = 'int64')));
    const m = await loadModel({ kerasFile: asInt64 });
    const y = m.predict(tensor((e.input as number[]).flat(3) as number[], e.inputShape)) as Tensor;
    assert.ok(Math.abs(y.data[0]! - ((e.output as number[][])[0]![0] as number)) <= 1e-5);
    await refuses(rezip(SEQ, editConfig((c) => (c.config.layers[0]!.config.dtype = 'float16'))), /InputLayer 'input_layer'\): dtype "float16" is not supported \(rnnkit's inputs are float32, or integers for token ids\)/);
    await refuses(rezip(SEQ, editConfig((c) => (c.config.layers[0]!.config.dtype = 'bool'))), /dtype "bool" is not supported/);
  });

  it('a model saved before it was built (no input shape, no weights) is refused saying so', async () => {
    const empty = h5Group();
    empty.members.set('vars', h5Group());
    const unbuilt = rezip(SEQ, (m) => {
      editConfig((c) => {
        c.config.layers.shift();
        delete (c.config as Record<string, unknown>).build_input_shape;
        for (const l of c.config.layers) delete (l as Record<string, unknown>).build_config;
      })(m);
      m['model.weights.h5'] = writeHdf5(empty, 'test');
    });
    await refuses(unbuilt, /declares no input shape \(batch_input_shape\); the file holds no layer weights either: the model was saved before it was built/);
  });

  it('refuses a config.json nested deeper than any model before walking it (a deep one overflowed the stack)', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    await refuses(rezip(SEQ, (m) => (m['config.json'] = new TextEncoder().encode(new TextDecoder().decode(m['config.json']).replace('"name": "sequential"', `"name": "sequential", "x": ${deep}`)))), /config\.json: nested more than 100 levels deep/);
  });

  it('refuses other Keras versions, broken JSON and a weights file that is not HDF5', async () => {
    await refuses(rezip(SEQ, (m) => (m['metadata.json'] = new TextEncoder().encode('{"keras_version": "2.12.0"}'))), /metadata\.json: keras_version "2\.12\.0"; rnnkit reads the \.keras files of Keras 3, of tf\.keras 2\.13 to 2\.15 and of tf_keras 2\.16 on/);
    await refuses(rezip(SEQ, (m) => (m['config.json'] = new TextEncoder().encode('{"class_name": '))), /config\.json: not valid JSON/);
    await refuses(rezip(SEQ, (m) => (m['model.weights.h5'] = new TextEncoder().encode('not an HDF5 file at all, just text'))), /model\.weights\.h5: not an HDF5 file/);
  });

  it('refuses compressed datasets (jsfive would inflate a chunk however far it expands)', async () => {
    await refuses(bytesOf('keras3-dense-gzip.keras'), /model\.weights\.h5: layers\/dense\/vars\/0: a compressed or filtered dataset/);
  });

  it('a damaged file either loads or is refused with a ModelFormatError (seeded byte flips)', async () => {
    let seed = 7;
    const rnd = (n: number): number => Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n);
    const counts = { loaded: 0, refused: 0 };
    for (const f of [SEQ, FUN, CONV]) {
      const file = bytesOf(f);
      const members = unzipSync(file);
      for (let k = 0; k < 120; k++) {
        // Even k: the weights file damaged inside a valid zip (so jsfive parses it); odd k: the zip's own bytes.
        const bytes = k % 2 === 0 ? members['model.weights.h5']!.slice() : file.slice();
        for (let j = 1 + rnd(4); j > 0; j--) bytes[rnd(bytes.length)] = rnd(256);
        const z = k % 2 === 0 ? zipSync({ ...members, 'model.weights.h5': bytes }, { level: 0 }) : bytes;
        try {
          await loadModel({ kerasFile: z });
          counts.loaded++;
        } catch (e) {
          assert.ok(e instanceof ModelFormatError, `${f} variant ${k}: ${e instanceof Error ? e.stack : String(e)}`);
          counts.refused++;
        }
      }
    }
    assert.ok(counts.refused > 50, `refused ${counts.refused} of 360`);
  });

  it('names a missing variable, an extra one and a wrong shape', async () => {
    // A second Dense in the config: its variables (layers/dense_1/vars/…) are not in the file.
    const twoDense = editConfig((c) => {
      const d = c.config.layers.at(-1)!;
      c.config.layers.push({ ...d, config: { ...d.config, name: 'dense_extra', units: 2 } });
    });
    await refuses(rezip(SEQ, twoDense), /model\.weights\.h5: variable layers\/dense_1\/vars\/0 \(kernel, shape \[3, 2\]\) is missing/);
    // Dense without a bias: the file's layers/dense/vars/1 belongs to nothing.
    await refuses(rezip(SEQ, editConfig((c) => (c.config.layers.at(-1)!.config.use_bias = false))), /model\.weights\.h5: variables the model's layers do not have: layers\/dense\/vars\/1/);
    await refuses(rezip(SEQ, editConfig((c) => (c.config.layers.at(-1)!.config.units = 4))), /model\.weights\.h5: layers\/dense\/vars\/0 \(kernel\): shape \[5, 3\], expected \[5, 4\]/);
  });

  it("reads Keras 3's NotEqual op that passes an Embedding(mask_zero)'s own mask on as mask=, and nothing else of it", async () => {
    // Keras 3 writes a model cut from a trained one (a seq2seq inference encoder: published
    // English-to-French and English-to-Urdu encoder_model.keras) with the Embedding's mask as an
    // op, not_equal(tokens, 0), given to the LSTM as mask=. It is the mask rnnkit passes on anyway.
    setSeed(11);
    const tokens = input({ shape: [6], name: 'input_layer' });
    const emb = layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, name: 'embedding' }).apply(tokens) as SymbolicTensor;
    const [, h, c] = layers.lstm({ units: 3, returnState: true, name: 'lstm' }).apply(emb) as unknown as SymbolicTensor[];
    const plain = await saveKerasFile(graphModel({ inputs: tokens, outputs: [h!, c!] }), null, { date: new Date(0) });
    const ref = (layer: string, shape: (number | null)[], dtype = 'float32') => ({ class_name: '__keras_tensor__', config: { shape, dtype, keras_history: [layer, 0, 0] } });
    type Entry = { class_name: string; name: string; module?: string; inbound_nodes: { args: unknown[]; kwargs: Record<string, unknown> }[] };
    const withOp = (edit: (notEqual: Entry, lstm: Entry, all: Entry[]) => void) => (m: Record<string, Uint8Array>) => {
      const c = JSON.parse(new TextDecoder().decode(m['config.json']));
      const list = c.config.layers as Entry[];
      const notEqual: Entry = { class_name: 'NotEqual', module: 'keras.src.ops.numpy', name: 'not_equal', inbound_nodes: [{ args: [ref('input_layer', [null, 6]), 0], kwargs: {} }] };
      const lstm = list.find((l) => l.class_name === 'LSTM')!;
      lstm.inbound_nodes[0]!.kwargs = { training: false, mask: ref('not_equal', [null, 6], 'bool') };
      list.splice(list.indexOf(lstm), 0, notEqual);
      edit(notEqual, lstm, list);
      m['config.json'] = new TextEncoder().encode(JSON.stringify(c));
    };
    const rezipBytes = (edit: (m: Record<string, Uint8Array>) => void) => {
      const members = unzipSync(plain);
      edit(members);
      return zipSync(members as Zippable);
    };
    const x = tensor([3, 5, 1, 0, 0, 0, 0, 0, 7, 2, 8, 4], [2, 6]);
    const want = (await loadModel({ kerasFile: plain })).predict(x) as unknown as Tensor[];
    const got = (await loadModel({ kerasFile: rezipBytes(withOp(() => undefined)) })).predict(x) as unknown as Tensor[];
    for (let k = 0; k < 2; k++) assert.deepEqual(Array.from(got[k]!.data), Array.from(want[k]!.data));
    // Not the mask of the Embedding before the layer: refused, naming the op.
    await refuses(rezipBytes(withOp((ne) => (ne.inbound_nodes[0]!.args[1] = 1))), /NotEqual op only as Keras 3 writes an Embedding's mask, not_equal\(x, 0\)/);
    await refuses(
      rezipBytes(withOp((_, __, all) => ((all.find((l) => l.class_name === 'Embedding') as unknown as { config: Record<string, unknown> }).config.mask_zero = false))),
      /explicit mask argument .* is not supported: the layer's input comes from 'embedding', not from an Embedding with mask_zero/,
    );
    await refuses(
      rezipBytes(withOp((_, lstm, all) => {
        all.splice(all.indexOf(lstm), 0, { class_name: 'Dense', name: 'other', inbound_nodes: [{ args: [ref('embedding', [null, 6, 4])], kwargs: {} }], config: { name: 'other', units: 4 } } as unknown as Entry);
        lstm.inbound_nodes[0]!.args = [ref('other', [null, 6, 4])];
      })),
      /explicit mask argument .* is not supported/,
    );
    await refuses(rezipBytes(withOp((_, lstm) => (lstm.inbound_nodes[0] = { args: [ref('not_equal', [null, 6], 'bool')], kwargs: {} }))), /uses the output of the NotEqual op 'not_equal' as an input/);
  });

  it("reads Keras 3's Add, Subtract and Multiply ops on two tensors (x + attn in a transformer block) as the merge layers, and refuses other ops, constants and masked operands", async () => {
    // Keras 3 writes `x = x + attn` on Keras tensors as an op entry (module keras.src.ops.numpy,
    // class Add) called on two positional tensors. Published Keras 3.8–3.14 transformer
    // regressors (e.g. Niveditha79/Transformers_Model transformer_model.keras,
    // piyushnitkkr/ai-stock-predictor transformer_model.keras) were refused: "2 positional
    // arguments; rnnkit layers take their inputs as the first only".
    setSeed(12);
    const x = input({ shape: [5, 4], name: 'input_layer' });
    const normed = layers.layerNormalization({ name: 'layer_normalization' }).apply(x) as SymbolicTensor;
    const attn = layers.multiHeadAttention({ numHeads: 2, keyDim: 3, name: 'multi_head_attention' }).apply([normed, normed]) as SymbolicTensor;
    const res = layers.add({ name: 'add' }).apply([attn, x]) as SymbolicTensor;
    const ff = layers.dense({ units: 4, activation: 'tanh', name: 'dense' }).apply(res) as SymbolicTensor;
    const diff = layers.subtract({ name: 'subtract' }).apply([ff, res]) as SymbolicTensor;
    const gated = layers.multiply({ name: 'multiply' }).apply([diff, ff]) as SymbolicTensor;
    const out = layers.dense({ units: 2, name: 'dense_1' }).apply(layers.globalAveragePooling1d({ name: 'global_average_pooling1d' }).apply(gated) as SymbolicTensor) as SymbolicTensor;
    const plain = await saveKerasFile(graphModel({ inputs: x, outputs: out }), null, { date: new Date(0) });
    type Entry = { class_name: string; name: string; module?: string; config: Record<string, unknown>; inbound_nodes: { args: unknown[]; kwargs: Record<string, unknown> }[] };
    // Each merge layer written as Keras 3 writes the operator: its list argument spread into two.
    const asOps = (edit: (all: Entry[]) => void = () => undefined) => {
      const members = unzipSync(plain);
      const c = JSON.parse(new TextDecoder().decode(members['config.json']));
      for (const l of c.config.layers as Entry[]) {
        if (!['Add', 'Subtract', 'Multiply'].includes(l.class_name)) continue;
        l.module = 'keras.src.ops.numpy';
        l.config = { name: l.name };
        l.inbound_nodes = l.inbound_nodes.map((n) => ({ args: n.args[0] as unknown[], kwargs: {} }));
      }
      edit(c.config.layers as Entry[]);
      members['config.json'] = new TextEncoder().encode(JSON.stringify(c));
      return zipSync(members as Zippable);
    };
    const xs = tensor(Array.from({ length: 2 * 5 * 4 }, (_, i) => Math.sin(i * 0.7) * 2), [2, 5, 4]);
    const want = Array.from(((await loadModel({ kerasFile: plain })).predict(xs) as Tensor).data);
    const got = Array.from(((await loadModel({ kerasFile: asOps() })).predict(xs) as Tensor).data);
    assert.deepEqual(got, want);
    const opOf = (all: Entry[], name: string) => all.find((l) => l.name === name)!;
    // A constant operand is read only as a float32 shift (next test); anything else is refused, not dropped.
    await refuses(asOps((all) => (opOf(all, 'add').inbound_nodes[0]!.args[1] = { class_name: '__tensor__', config: { value: [[[0.5]]], dtype: 'float64' } })), /the Keras 3 op 'Add' .* has a constant operand: its dtype is "float64"/);
    await refuses(asOps((all) => (opOf(all, 'multiply').inbound_nodes[0]!.args[1] = 2)), /the Keras 3 op 'Multiply' .* has a constant operand: Multiply is not a shift/);
    await refuses(asOps((all) => (opOf(all, 'add').inbound_nodes[0]!.args[1] = 'x')), /the Keras 3 op 'Add' .* has an operand that is not a Keras tensor/);
    // Any other op, even one named as an rnnkit layer: refused by name.
    await refuses(asOps((all) => (opOf(all, 'multiply').class_name = 'Maximum')), /the Keras 3 op 'Maximum' .* is not supported; rnnkit reads Add, Subtract and Multiply/);
    await refuses(asOps((all) => Object.assign(opOf(all, 'global_average_pooling1d'), { module: 'keras.src.ops.numpy', class_name: 'Cumsum' })), /the Keras 3 op 'Cumsum' .* is not supported/);
    // GetItem is read (test/kerasOps.test.ts), but only with a key: a call without one is refused.
    await refuses(asOps((all) => Object.assign(opOf(all, 'global_average_pooling1d'), { module: 'keras.src.ops.numpy', class_name: 'GetItem', config: { name: 'global_average_pooling1d' } })), /the Keras 3 op 'GetItem' .* takes a tensor and a key here, got 1 arguments/);
    // Tensors of different ranks: numpy aligns them at the right, Keras's merge layers at the left.
    await refuses(asOps((all) => (opOf(all, 'add').inbound_nodes[0]!.args[1] = { class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: ['dense_1', 0, 0] } })), /ranks 3 and 2 is not supported/);
  });

  it('refuses a Keras 3 op given a tensor that may carry a step mask: Keras drops the mask there, the merge layers keep it', async () => {
    setSeed(13);
    const tokens = input({ shape: [6], name: 'input_layer' });
    const emb = layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, name: 'embedding' }).apply(tokens) as SymbolicTensor;
    const proj = layers.dense({ units: 4, name: 'dense' }).apply(emb) as SymbolicTensor;
    const sum = layers.add({ name: 'add' }).apply([emb, proj]) as SymbolicTensor;
    const h = layers.lstm({ units: 3, name: 'lstm' }).apply(sum) as SymbolicTensor;
    const members = unzipSync(await saveKerasFile(graphModel({ inputs: tokens, outputs: h }), null, { date: new Date(0) }));
    const c = JSON.parse(new TextDecoder().decode(members['config.json']));
    const add = (c.config.layers as { class_name: string; module?: string; inbound_nodes: { args: unknown[] }[] }[]).find((l) => l.class_name === 'Add')!;
    add.module = 'keras.src.ops.numpy';
    add.inbound_nodes = add.inbound_nodes.map((n) => ({ args: n.args[0] as unknown[], kwargs: {} }));
    members['config.json'] = new TextEncoder().encode(JSON.stringify(c));
    // With the layer, the LSTM skips padded steps; with the op (Keras), it would run over them.
    await refuses(zipSync(members as Zippable), /the Keras 3 op 'add' is given a tensor that may carry a step mask/);
  });

  it("reads Keras 3's x + c, c + x and x - c with c a float32 constant or a number (x + positional_encoding) exactly, and refuses other constant forms", async () => {
    // Published Keras 3.9 transformer regressors add a fixed positional encoding to the input:
    // an Add op whose second operand is a __tensor__ (Asif3359/dengu_out_break_final_capstone
    // models/transformer_model.keras, danisharain12/Scotland-Birth-rate-Forecasting-
    // transformer_model.keras). rnnkit refused: "2 positional arguments".
    setSeed(15);
    const x = input({ shape: [3, 2], name: 'input_layer' });
    const out = layers.dense({ units: 2, name: 'dense' }).apply(x) as SymbolicTensor;
    const plain = await saveKerasFile(graphModel({ inputs: x, outputs: out }), null, { date: new Date(0) });
    const ref = { class_name: '__keras_tensor__', config: { shape: [null, 3, 2], dtype: 'float32', keras_history: ['input_layer', 0, 0] } };
    // module 'keras.layers': the merge layer (layers.Add()([x, c])), its one argument the list of operands.
    const withOp = (op: string, args: unknown[], nodes = 1, module = 'keras.src.ops.numpy') => {
      const members = unzipSync(plain);
      const c = JSON.parse(new TextDecoder().decode(members['config.json']));
      const list = c.config.layers as { class_name: string; name: string; inbound_nodes: { args: unknown[] }[] }[];
      const dense = list.find((l) => l.class_name === 'Dense')!;
      const layer = module === 'keras.layers';
      const entry = { module, class_name: op, config: { name: 'add', ...(layer ? { trainable: true, dtype: 'float32' } : {}) }, registered_name: layer ? null : op, name: 'add', inbound_nodes: Array.from({ length: nodes }, () => ({ args: layer ? [args] : args, kwargs: {} })) };
      list.splice(list.indexOf(dense), 0, entry as never);
      dense.inbound_nodes = [{ args: [{ ...ref, config: { ...ref.config, keras_history: ['add', 0, 0] } }] }];
      members['config.json'] = new TextEncoder().encode(JSON.stringify(c));
      return zipSync(members as Zippable);
    };
    const c3 = [[[0.25, -1.5], [0.1, 2.75], [-0.3, 0.7]]];
    const constant = (value: unknown, dtype = 'float32') => ({ class_name: '__tensor__', config: { value, dtype } });
    const xs = Array.from({ length: 2 * 3 * 2 }, (_, i) => Math.sin(i * 1.3) * 3);
    const plainModel = await loadModel({ kerasFile: plain });
    // What Keras computes: x ± c in float32, then the Dense.
    const expect = async (bytes: Uint8Array, shifted: (v: number, i: number) => number) => {
      const got = ((await loadModel({ kerasFile: bytes })).predict(tensor(xs, [2, 3, 2])) as Tensor).data;
      const want = (plainModel.predict(tensor(xs.map((v, i) => Math.fround(shifted(Math.fround(v), i))), [2, 3, 2])) as Tensor).data;
      assert.deepEqual(Array.from(got), Array.from(want));
    };
    const cAt = (i: number) => Math.fround(c3[0]![Math.floor(i / 2) % 3]![i % 2]!);
    await expect(withOp('Add', [ref, constant(c3)]), (v, i) => v + cAt(i));
    await expect(withOp('Add', [constant(c3), ref]), (v, i) => v + cAt(i));
    await expect(withOp('Subtract', [ref, constant(c3)]), (v, i) => v - cAt(i));
    await expect(withOp('Add', [ref, 0.1]), (v) => v + Math.fround(0.1));
    // A per-feature constant broadcasts over the steps, as numpy broadcasts it.
    await expect(withOp('Add', [ref, constant([[[2.5, -0.5]]])]), (v, i) => v + (i % 2 === 0 ? 2.5 : -0.5));
    await refuses(withOp('Subtract', [constant(c3), ref]), /constant operand: c - x is not a shift/);
    await refuses(withOp('Multiply', [ref, constant(c3)]), /constant operand: Multiply is not a shift/);
    await refuses(withOp('Add', [ref, constant(c3, 'float64')]), /constant operand: its dtype is "float64", not float32/);
    await refuses(withOp('Add', [ref, constant(c3)], 2), /constant operand: the op is called 2 times/);
    await refuses(withOp('Add', [ref, constant([[[1, 2, 3]]])]), /does not broadcast/);
    // The merge layers on a constant (layers.Add()([x, positional_encoding]): AntczakJ/quant_sentinel's
    // deeptrans.keras, Keras 3.14), refused before with 'expected a tensor reference, got "__tensor__"'.
    await expect(withOp('Add', [ref, constant(c3)], 1, 'keras.layers'), (v, i) => v + cAt(i));
    await expect(withOp('Add', [constant(c3), ref], 1, 'keras.layers'), (v, i) => v + cAt(i));
    await expect(withOp('Subtract', [ref, constant(c3)], 1, 'keras.layers'), (v, i) => v - cAt(i));
    await refuses(withOp('Subtract', [constant(c3), ref], 1, 'keras.layers'), /Keras's Subtract layer on a constant has a constant operand: c - x is not a shift/);
    // A constant of lower rank: Keras's merge layers insert its missing axis at 1, not as numpy broadcasts.
    await refuses(withOp('Add', [ref, constant(c3[0])], 1, 'keras.layers'), /Keras's Add layer on a constant of rank 2 added to a tensor of rank 3 is not supported \(Keras's merge layers insert the missing axes at axis 1/);
    const members = unzipSync(withOp('Add', [ref, constant(c3)], 1, 'keras.layers'));
    const cfg = JSON.parse(new TextDecoder().decode(members['config.json']));
    cfg.config.layers.find((l: { name: string }) => l.name === 'add').config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'mixed_float16' } };
    members['config.json'] = new TextEncoder().encode(JSON.stringify(cfg));
    await refuses(zipSync(members as Zippable), /Keras's Add layer on a constant with dtype policy "mixed_float16" is not supported/);
  });

  it("reads Keras 3's mask: [null, …] that Layer.__call__ saves for a list-taking layer on unmasked inputs (Attention)", async () => {
    // Published Keras 3.9 CNN-BiLSTM-attention models (pholispher/Modeling cnn_lstm_model.keras)
    // write Attention()([q, v, k]) with kwargs {mask: [null, null, null]}; rnnkit refused it:
    // "mask: expected a tensor reference [layer, node, tensor], got null".
    setSeed(14);
    const x = input({ shape: [5, 3], name: 'input_layer' });
    const q = layers.dense({ units: 4, name: 'dense' }).apply(x) as SymbolicTensor;
    const v = layers.dense({ units: 4, name: 'dense_1' }).apply(x) as SymbolicTensor;
    const att = layers.attention({ name: 'attention' }).apply([q, v, q]) as SymbolicTensor;
    const out = layers.dense({ units: 2, name: 'dense_2' }).apply(layers.globalAveragePooling1d({ name: 'global_average_pooling1d' }).apply(att) as SymbolicTensor) as SymbolicTensor;
    const plain = await saveKerasFile(graphModel({ inputs: x, outputs: out }), null, { date: new Date(0) });
    const withMask = (mask: unknown) => {
      const members = unzipSync(plain);
      const c = JSON.parse(new TextDecoder().decode(members['config.json']));
      const a = (c.config.layers as { class_name: string; inbound_nodes: { kwargs: Record<string, unknown> }[] }[]).find((l) => l.class_name === 'Attention')!;
      a.inbound_nodes[0]!.kwargs = { ...a.inbound_nodes[0]!.kwargs, training: false, mask };
      members['config.json'] = new TextEncoder().encode(JSON.stringify(c));
      return zipSync(members as Zippable);
    };
    const xs = tensor(Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.cos(i * 0.9)), [2, 5, 3]);
    const want = Array.from(((await loadModel({ kerasFile: plain })).predict(xs) as Tensor).data);
    assert.deepEqual(Array.from(((await loadModel({ kerasFile: withMask([null, null, null]) })).predict(xs) as Tensor).data), want);
    // A list naming a tensor is an explicit mask: still checked (and refused here).
    await refuses(withMask([{ class_name: '__keras_tensor__', config: { shape: [null, 5], dtype: 'bool', keras_history: ['input_layer', 0, 0] } }, null, null]), /mask/);
  });

  it('reads an HDF5 full-model file saved under a .keras name as the .h5 file it is, as tf.keras 2 does', async () => {
    // tf.keras 2.12's model.save('bilstm_model.keras', save_format='h5') (a published
    // HuynhAnhDuy/carcinogenicity_predictor model) was refused: 'no end-of-central-directory record'.
    const h5 = bytesOf('tfkeras2-sequential.h5');
    const asH5 = await loadModel({ h5File: h5 });
    const x = tensor(Array.from({ length: 2 * 5 * asH5.inputShape.at(-1)! }, (_, i) => Math.sin(i)), [2, 5, asH5.inputShape.at(-1)!]);
    const want = Array.from((asH5.predict(x) as Tensor).data);
    assert.deepEqual(Array.from(((await loadModel({ kerasFile: h5 })).predict(x) as Tensor).data), want);
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-h5-as-keras-'));
    try {
      writeFileSync(join(dir, 'model.keras'), h5);
      assert.deepEqual(Array.from(((await loadModel(join(dir, 'model.keras'))).predict(x) as Tensor).data), want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A damaged one is refused as HDF5, saying how it was read.
    await assert.rejects(loadModel({ kerasFile: h5.slice(0, 4096) }), (e: unknown) => e instanceof ModelFormatError && /^the \.keras file \(an HDF5 full-model file under a \.keras name, read as \.h5\): not a readable HDF5 file/.test(e.message));
  });

  it('reads the .keras files of tf.keras 2.13–2.15: Keras 2 config, layers at Keras 3 paths or under _layer_checkpoint_dependencies', async () => {
    // Published ones: abhay-053/Network-Intrusion-Detection cnn_lstm_model.keras (2.15, 'layers/conv1d/vars/0'),
    // Manichann/Lao_CS_Chatbot encoder_model.keras (2.14 on Windows, '_layer_checkpoint_dependencies\\lstm\\cell/vars/0').
    const h5 = bytesOf('tfkeras2-sequential.h5');
    const m = await loadModel({ h5File: h5 });
    const x = tensor(Array.from({ length: 2 * 5 * m.inputShape.at(-1)! }, (_, i) => Math.cos(i)), [2, 5, m.inputShape.at(-1)!]);
    const want = Array.from((m.predict(x) as Tensor).data);
    const jsfive = await import('jsfive');
    const modelConfig = new jsfive.File(h5.slice().buffer as ArrayBuffer, 'fixture.h5').attrs.model_config as string;
    // The weights Keras 3 paths give, as groups of datasets: 'layers/lstm/cell/vars/0' → ['layers', 'lstm', 'cell', 'vars'], '0'.
    type Var = [string[], string, Float32Array, number[]];
    const varsOf = (keras: Uint8Array): Var[] => {
      const out: Var[] = [];
      const walk = (g: { keys: string[]; get(k: string): unknown }, path: string[]): void => {
        for (const k of g.keys) {
          const c = g.get(k) as { keys?: unknown; value?: ArrayLike<number>; shape?: number[] };
          if (Array.isArray(c.keys)) walk(c as never, [...path, k]);
          else out.push([path, k, Float32Array.from(c.value as ArrayLike<number>), c.shape!]);
        }
      };
      walk(new jsfive.File(unzipSync(keras)['model.weights.h5']!.slice().buffer as ArrayBuffer, 'w.h5') as never, []);
      return out;
    };
    /** A weights file holding each variable at the groups `groups` gives for its path. */
    const weightsOf = (vars: Var[], groups: (path: string[]) => string[][]): Uint8Array => {
      const root = h5Group();
      for (const [path, name, data, shape] of vars) {
        for (const at of groups(path)) {
          let g: H5GroupSpec = root;
          for (const part of at) {
            if (!g.members.has(part)) g.members.set(part, h5Group());
            g = g.members.get(part) as H5GroupSpec;
          }
          g.members.set(name, { shape, data });
        }
      }
      return writeHdf5(root, 'test');
    };
    const vars = varsOf(await saveKerasFile(m, null, { date: new Date(0) }));
    assert.ok(vars.some(([p]) => p.join('/') === 'layers/lstm/cell/vars'));
    const weightsFile = (groups: (path: string[]) => string[][]): Uint8Array => weightsOf(vars, groups);
    const keras2File = (w: Uint8Array) => zipSync({ 'metadata.json': new TextEncoder().encode('{"keras_version": "2.14.0", "date_saved": "2024-01-01@00:00:00"}'), 'config.json': new TextEncoder().encode(modelConfig), 'model.weights.h5': w } as Zippable);
    const predicts = async (bytes: Uint8Array) => assert.deepEqual(Array.from(((await loadModel({ kerasFile: bytes })).predict(x) as Tensor).data), want);
    await predicts(keras2File(weightsFile((p) => [p])));
    // Windows: the path up to 'vars' joined with '\\' into one group name.
    const windows = (p: string[]) => (p[0] === 'layers' ? [['_layer_checkpoint_dependencies', ...p.slice(1, -1)].join('\\'), p.at(-1)!] : p);
    await predicts(keras2File(weightsFile((p) => [windows(p)])));
    await refuses(keras2File(weightsFile((p) => (p[1] === 'dense' ? [p, windows(p)] : [p]))), /model\.weights\.h5: .*both stand at layers\/dense\/vars\/0/);
    // tf.keras 2.13 counted a layer with weights twice under _layer_checkpoint_dependencies (a
    // published 2.13.1 file: Dense layers at 'dense' and 'dense_2'); 2.14 (a published 2.14.0 file:
    // 'dense', 'dense_1' under the same attribute), 2.15 and tf_keras as Keras 3.
    const two = sequential({ layers: [layers.embedding({ inputDim: 9, outputDim: 3, inputShape: [4] }), layers.lstm({ units: 5 }), layers.dense({ units: 4 }), layers.dropout({ rate: 0.5 }), layers.dense({ units: 2 })] });
    const ids = tensor([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const twoWant = Array.from((two.predict(ids) as Tensor).data);
    const twoVars = varsOf(await saveKerasFile(two, null));
    const twoFile = async (rename: (p: string[]) => string[], version: string): Promise<Uint8Array> => {
      const topology = (await artifactsOf(two)).modelJson.modelTopology;
      return zipSync({ 'metadata.json': new TextEncoder().encode(JSON.stringify({ keras_version: version, date_saved: '2025-03-20@17:14:01' })), 'config.json': new TextEncoder().encode(JSON.stringify(topology)), 'model.weights.h5': weightsOf(twoVars, (p) => [rename(p)]) } as Zippable);
    };
    const loadsAs = async (bytes: Uint8Array) => assert.deepEqual(Array.from(((await loadModel({ kerasFile: bytes })).predict(ids) as Tensor).data), twoWant);
    const in213 = (p: string[]) => (p[0] === 'layers' ? [['_layer_checkpoint_dependencies', p[1] === 'dense_1' ? 'dense_2' : p[1]!, ...p.slice(2, -1)].join('\\'), p.at(-1)!] : p);
    await loadsAs(await twoFile(in213, '2.13.1'));
    await loadsAs(await twoFile((p) => (p[0] === 'layers' ? [['_layer_checkpoint_dependencies', ...p.slice(1, -1)].join('\\'), p.at(-1)!] : p), '2.14.0'));
    await loadsAs(await twoFile((p) => p, '2.15.0'));
    await loadsAs(await twoFile((p) => p, '2.17.0'));
    // Read with Keras 3's count, the 2.13 file's second Dense would be missing: the count is what makes it load.
    await refuses(await twoFile((p) => (p[1] === 'dense_1' ? ['layers', 'dense_2', ...p.slice(2)] : p), '2.15.0'), /variable layers\/dense_1\/vars\/0 \(kernel, shape \[4, 2\]\) is missing/);
    // Other Keras 2 versions are still refused, naming the ones read.
    await refuses(rezip(SEQ, (mm) => (mm['metadata.json'] = new TextEncoder().encode('{"keras_version": "2.12.0"}'))), /keras_version "2\.12\.0"; rnnkit reads the \.keras files of Keras 3, of tf\.keras 2\.13 to 2\.15 and of tf_keras 2\.16 on/);
  });
});
