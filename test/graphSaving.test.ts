/**
 * Graph models saved and loaded in the TF.js layers-model format: round trips through
 * rnnkit, into tf.loadLayersModel, out of tfjs's own model.save (initial states as
 * extra inbound tensors), Keras 2 kwargs and Keras 3 dict-form nodes; exact resume of
 * a graph model's training; malformed graphs refused with the layer named.
 */
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { ModelFormatError, input, layers, loadModel, model, optimizers, saveKerasFile, tensor, type Model, type SymbolicTensor, type Tensor } from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { TF_ZERO_INIT, TF_ZERO_INIT_DENSE, initTfjs, tf, tfl } from './helpers/tfjs.js';
import { artifactsOf, assertSameWeights, randomInput, randomizeWeights, removeTempDirs, tempDir, tfjsArtifacts, tfjsLoadDir, tfjsModelJson } from './helpers/saving.js';
import { assertClose, randomArray } from './helpers/check.js';

before(async () => {
  await initTfjs();
});
after(removeTempDirs);

/** The Keras lstm_seq2seq training model (small). */
function seq2seq(): Model {
  const encIn = input({ shape: [null, 5], name: 'encoder_inputs' });
  const [, h, c] = layers.lstm({ units: 6, returnState: true, name: 'encoder' }).apply(encIn) as unknown as SymbolicTensor[];
  const decIn = input({ shape: [null, 4], name: 'decoder_inputs' });
  const [seq] = layers.lstm({ units: 6, returnSequences: true, returnState: true, name: 'decoder' }).apply(decIn, { initialState: [h!, c!] }) as unknown as SymbolicTensor[];
  const out = layers.dense({ units: 4, activation: 'softmax', name: 'decoder_dense' }).apply(seq!);
  return model({ inputs: [encIn, decIn], outputs: out, name: 's2s' });
}

/** Two inputs, two outputs, every merge (tfjs lacks subtract), a shared GRU. */
function merges(withSubtract = true): Model {
  const a = input({ shape: [3, 4], name: 'a' });
  const b = input({ shape: [3, 4], name: 'b' });
  const gru = layers.gru({ units: 5, returnSequences: true, resetAfter: false, name: 'shared_gru' });
  const ga = gru.apply(a);
  const gb = gru.apply(b);
  const merging: import('../src/index.js').Layer[] = [layers.add({ name: 'm_add' }), layers.multiply({ name: 'm_mul' }), layers.average({ name: 'm_avg' }), layers.maximum({ name: 'm_max' }), layers.minimum({ name: 'm_min' })];
  if (withSubtract) merging.push(layers.subtract({ name: 'm_sub' }));
  const merged = merging.map((l) => l.apply([ga, gb]));
  const cat = layers.concatenate({ name: 'cat' }).apply(merged);
  const pooled = layers.globalAveragePooling1d({ name: 'pool' }).apply(cat);
  const scores = layers.dot({ axes: [2, 2], name: 'scores' }).apply([ga, gb]);
  const flat = layers.reshape({ targetShape: [9], name: 'flat' }).apply(scores);
  return model({ inputs: [a, b], outputs: [layers.dense({ units: 2, name: 'y1' }).apply(pooled), layers.dense({ units: 1, name: 'y2' }).apply(layers.permute({ dims: [1] , name: 'same' }).apply(flat))], name: 'merges' });
}

const predict = (m: Model | tfl.LayersModel, xs: Tensor[]): Float32Array[] => {
  if ('engine' in m) {
    const out = m.predict(xs) as unknown as Tensor | Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => t.data);
  }
  return tf.tidy(() => {
    const out = m.predict(xs.map((x) => tf.tensor(x.data, [...x.shape]))) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => (t.dataSync() as Float32Array).slice());
  });
};

describe('graph models: save and load', () => {
  const s2sData = [randomInput([3, 7, 5], 1), randomInput([3, 4, 4], 2)];
  const mergeData = [randomInput([2, 3, 4], 3), randomInput([2, 3, 4], 4)];

  for (const [name, make, data] of [['lstm_seq2seq', seq2seq, s2sData], ['merges + shared GRU', () => merges(false), mergeData]] as const) {
    it(`${name}: rnnkit → rnnkit predicts the same, with the same topology`, async () => {
      const m = make();
      randomizeWeights(m, 5);
      const a = await artifactsOf(m);
      assert.equal((a.modelJson.modelTopology as { class_name: string }).class_name, 'Model');
      const back = await loadModel(a);
      predict(back, [...data]).forEach((p, i) => assert.deepEqual(p, predict(m, [...data])[i], `output ${i}`));
      assert.deepEqual(back.layers.map((l) => l.name), m.layers.map((l) => l.name));
      assert.deepEqual(JSON.parse(JSON.stringify((await artifactsOf(back)).modelJson.modelTopology)), JSON.parse(JSON.stringify(a.modelJson.modelTopology)));
    });
    it(`${name}: rnnkit → tf.loadLayersModel predicts the same`, async () => {
      const m = make();
      randomizeWeights(m, 6);
      const dir = await tempDir('graph');
      await m.save(dir);
      const theirs = await tfjsLoadDir(dir);
      const ours = predict(m, [...data]);
      predict(theirs, [...data]).forEach((p, i) => assertClose(p, ours[i]!, 1e-5, 1e-6, `tfjs output ${i}`));
      theirs.dispose();
    });
  }

  it('subtract (which tfjs lacks) round-trips through rnnkit', async () => {
    const m = merges(true);
    randomizeWeights(m, 17);
    const back = await loadModel(await artifactsOf(m));
    predict(back, [...mergeData]).forEach((p, i) => assert.deepEqual(p, predict(m, [...mergeData])[i], `output ${i}`));
  });

  it('a functional lstm_seq2seq saved by tfjs (initial states as extra inbound tensors) loads and predicts the same', async () => {
    const encIn = tfl.input({ shape: [null, 5], name: 'encoder_inputs' });
    const [, h, c] = tfl.layers.lstm({ units: 6, returnState: true, name: 'encoder', ...TF_ZERO_INIT }).apply(encIn) as tfl.SymbolicTensor[];
    const decIn = tfl.input({ shape: [null, 4], name: 'decoder_inputs' });
    const [seq] = tfl.layers.lstm({ units: 6, returnSequences: true, returnState: true, name: 'decoder', ...TF_ZERO_INIT }).apply(decIn, { initialState: [h!, c!] }) as tfl.SymbolicTensor[];
    const out = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'decoder_dense', ...TF_ZERO_INIT_DENSE }).apply(seq!) as tfl.SymbolicTensor;
    const theirs = tfl.model({ inputs: [encIn, decIn], outputs: out });
    const rng = new Rng(7);
    tf.tidy(() => theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(randomArray(w.size, rng, -0.5, 0.5), w.shape))));
    const art = await tfjsArtifacts(theirs);
    const decNodes = ((art.modelTopology as { config: { layers: { name: string; inbound_nodes: unknown }[] } }).config.layers.find((l) => l.name === 'decoder')!).inbound_nodes;
    assert.deepEqual(JSON.parse(JSON.stringify(decNodes)), [[['decoder_inputs', 0, 0, {}], ['encoder', 0, 1, {}], ['encoder', 0, 2, {}]]], 'tfjs writes the states as extra inputs');
    const ours = await loadModel(tfjsModelJson(art));
    const expected = predict(theirs, [...s2sData]);
    predict(ours, [...s2sData]).forEach((p, i) => assertClose(p, expected[i]!, 1e-5, 1e-6, `output ${i}`));
    theirs.dispose();
  });

  it("Concatenate of differently masked inputs: a TF.js (or tf.keras 2) file joins the masks with all, as tfjs does, and keeps it through rnnkit's save; Keras 3's any otherwise; .keras refuses it", async () => {
    const branch = (name: string): [tfl.SymbolicTensor, tfl.SymbolicTensor] => {
      const x = tfl.input({ shape: [null, 3], name });
      const h = tfl.layers.lstm({ units: 4, returnSequences: true, name: `${name}_lstm`, ...TF_ZERO_INIT }).apply(tfl.layers.masking({ maskValue: 0, name: `${name}_mask` }).apply(x)) as tfl.SymbolicTensor;
      return [x, h];
    };
    const [a, ha] = branch('a');
    const [b, hb] = branch('b');
    const joined = tfl.layers.concatenate({ name: 'cat' }).apply([ha, hb]) as tfl.SymbolicTensor;
    const theirs = tfl.model({ inputs: [a, b], outputs: tfl.layers.lstm({ units: 3, name: 'top', ...TF_ZERO_INIT }).apply(joined) as tfl.SymbolicTensor });
    const rng = new Rng(12);
    tf.tidy(() => theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(randomArray(w.size, rng, -0.5, 0.5), w.shape))));
    // Right-padded rows whose two inputs end at different steps: the masks differ.
    const padded = (lengths: number[], seed: number): Tensor => {
      const r = new Rng(seed);
      return tensor(Float32Array.from({ length: lengths.length * 5 * 3 }, (_, i) => (Math.floor(i / 3) % 5 < lengths[Math.floor(i / 15)]! ? r.uniform() - 0.5 : 0)), [lengths.length, 5, 3]);
    };
    const xs = [padded([5, 3, 2, 4], 1), padded([4, 5, 1, 2], 2)];
    const art = await tfjsArtifacts(theirs);
    const ours = await loadModel(tfjsModelJson(art));
    const expected = predict(theirs, xs)[0]!;
    assertClose(predict(ours, xs)[0]!, expected, 1e-5, 1e-6, 'tfjs file');
    // The same topology as Keras 3 wrote it: Keras 3's any, other numbers (so the check above can fail).
    const topo = JSON.parse(JSON.stringify(art.modelTopology)) as { keras_version: string };
    const k3 = await loadModel({ ...tfjsModelJson(art), modelJson: { ...tfjsModelJson(art).modelJson, generatedBy: 'keras', modelTopology: { ...topo, keras_version: '3.6.0' } as never } });
    const any = predict(k3, xs)[0]!;
    assert.ok(any.some((v, i) => Math.abs(v - expected[i]!) > 1e-3), 'any and all differ on these rows');
    const k2 = await loadModel({ ...tfjsModelJson(art), modelJson: { ...tfjsModelJson(art).modelJson, generatedBy: 'keras', modelTopology: { ...topo, keras_version: '2.15.0' } as never } });
    assert.deepEqual(predict(k2, xs)[0], predict(ours, xs)[0], 'tf.keras 2: all, as tfjs');
    // rnnkit's own file says so (mask_reduction), and reads back the same.
    const saved = await artifactsOf(ours);
    const cat = (saved.modelJson.modelTopology as { config: { layers: { name: string; config: Record<string, unknown> }[] } }).config.layers.find((l) => l.name === 'cat')!;
    assert.equal(cat.config.mask_reduction, 'all');
    assert.deepEqual(predict(await loadModel(saved), xs)[0], predict(ours, xs)[0]);
    assert.equal(((await artifactsOf(k3)).modelJson.modelTopology as { config: { layers: { name: string; config: Record<string, unknown> }[] } }).config.layers.find((l) => l.name === 'cat')!.config.mask_reduction, undefined);
    await assert.rejects(saveKerasFile(ours, null), /'cat' joins masks as tf\.keras 2 and TF\.js do .* with masks from 'a_mask', 'b_mask' the two give other numbers, so a \.keras file cannot hold this model/);
    theirs.dispose();
  });

  it('Keras 2 kwargs (initial_state as tensor references) and Keras 3 dict nodes load as the same graph', async () => {
    const m = seq2seq();
    randomizeWeights(m, 8);
    const a = await artifactsOf(m);
    const expected = predict(m, [...s2sData]);
    const topo = JSON.parse(JSON.stringify(a.modelJson.modelTopology)) as { config: { layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] }[] }; keras_version: string };
    // Keras 2 (tf.keras ≥ 2.4): one inbound entry with the states in kwargs
    const k2 = JSON.parse(JSON.stringify(topo));
    k2.keras_version = '2.15.0';
    k2.config.layers.find((l: { name: string }) => l.name === 'decoder').inbound_nodes = [[['decoder_inputs', 0, 0, { initial_state: [['encoder', 0, 1], ['encoder', 0, 2]] }]]];
    const fromK2 = await loadModel({ modelJson: { ...a.modelJson, generatedBy: 'keras', modelTopology: k2 }, weightData: a.weightData });
    predict(fromK2, [...s2sData]).forEach((p, i) => assert.deepEqual(p, expected[i], `Keras 2 output ${i}`));
    // Keras 3: {args, kwargs} with __keras_tensor__ objects, dtype policies, batch_shape
    const kt = (name: string, node: number, tensor: number): unknown => ({ class_name: '__keras_tensor__', config: { shape: [null, null, 6], dtype: 'float32', keras_history: [name, node, tensor] } });
    const k3 = JSON.parse(JSON.stringify(topo));
    k3.keras_version = '3.6.0';
    for (const l of k3.config.layers) {
      l.config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
      if (l.class_name === 'InputLayer') {
        l.config.batch_shape = l.config.batch_input_shape;
        delete l.config.batch_input_shape;
      }
      if (l.name === 'encoder') l.inbound_nodes = [{ args: [kt('encoder_inputs', 0, 0)], kwargs: { training: false } }];
      if (l.name === 'decoder') l.inbound_nodes = [{ args: [kt('decoder_inputs', 0, 0)], kwargs: { initial_state: [kt('encoder', 0, 1), kt('encoder', 0, 2)], training: false } }];
      if (l.name === 'decoder_dense') l.inbound_nodes = [{ args: [kt('decoder', 0, 0)], kwargs: {} }];
    }
    k3.class_name = 'Functional';
    const fromK3 = await loadModel({ modelJson: { ...a.modelJson, generatedBy: 'keras', modelTopology: k3 }, weightData: a.weightData });
    predict(fromK3, [...s2sData]).forEach((p, i) => assert.deepEqual(p, expected[i], `Keras 3 output ${i}`));
  });

  it('attention layers and a nested model round-trip through rnnkit (tfjs has no Attention layer)', async () => {
    const inner = (() => {
      const x = input({ shape: [null, 4], name: 'inner_in' });
      return model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'tanh', name: 'inner_dense' }).apply(x), name: 'inner' });
    })();
    const q = input({ shape: [null, 4], name: 'q' });
    const v = input({ shape: [null, 4], name: 'v' });
    const qi = inner.apply(q);
    const vi = inner.apply(v);
    const att = layers.attention({ useScale: true, scoreMode: 'concat', name: 'att' }).apply([qi, vi], { useCausalMask: true });
    const add = layers.additiveAttention({ name: 'add_att' }).apply([qi, vi]);
    const m = model({ inputs: [q, v], outputs: layers.globalMaxPooling1d({ name: 'gmp' }).apply(layers.concatenate({ name: 'cat' }).apply([att, add])) });
    randomizeWeights(m, 9);
    const data = [randomInput([2, 5, 4], 10), randomInput([2, 6, 4], 11)];
    const a = await artifactsOf(m);
    const back = await loadModel(a);
    predict(back, data).forEach((p, i) => assert.deepEqual(p, predict(m, data)[i], `output ${i}`));
    const topo = a.modelJson.modelTopology as { config: { layers: { name: string; class_name: string; inbound_nodes: unknown[] }[] } };
    assert.equal(topo.config.layers.find((l) => l.name === 'inner')!.class_name, 'Model');
    assert.equal(topo.config.layers.find((l) => l.name === 'inner')!.inbound_nodes.length, 2, 'the nested model called twice');
    assert.deepEqual((topo.config.layers.find((l) => l.name === 'att')!.inbound_nodes[0] as unknown[][])[0]![3], { useCausalMask: true });
  });

  it('exact resume: a graph model saved with its optimizer continues as an unbroken run', async () => {
    const x = [randomInput([8, 7, 5], 12), randomInput([8, 4, 4], 13)];
    const yData = new Float32Array(8 * 4 * 4);
    const rng = new Rng(14);
    for (let r = 0; r < 8 * 4; r++) yData[r * 4 + rng.int(4)] = 1;
    const y = tensor(yData, [8, 4, 4]);
    const make = (): Model => {
      const m = seq2seq();
      randomizeWeights(m, 15);
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const FIT = { batchSize: 3, verbose: 0 as const, seed: 16 };
    const straight = make();
    const h = await straight.fit(x, y, { ...FIT, epochs: 4 });
    const first = make();
    const h1 = await first.fit(x, y, { ...FIT, epochs: 2 });
    const resumed = await loadModel(await artifactsOf(first, true));
    const h2 = await resumed.fit(x, y, { ...FIT, initialEpoch: 2, epochs: 4 });
    assert.deepEqual([...h1.history.loss!, ...h2.history.loss!], h.history.loss);
    assertSameWeights(resumed, straight, 'weights after 4 epochs');
  });
});

describe('graph models: malformed topologies are refused, naming the layer', () => {
  let good: Awaited<ReturnType<typeof artifactsOf>>;
  before(async () => {
    good = await artifactsOf(seq2seq());
  });
  const variant = (edit: (layers: { name: string; class_name: string; inbound_nodes: unknown[] }[], topo: { config: Record<string, unknown> }) => void) => {
    const topo = JSON.parse(JSON.stringify(good.modelJson.modelTopology));
    edit(topo.config.layers, topo);
    return loadModel({ modelJson: { ...good.modelJson, modelTopology: topo }, weightData: good.weightData });
  };
  const refuses = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
    await assert.rejects(p, (e: Error) => {
      assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  };
  it('a cycle', () =>
    refuses(
      variant((ls) => {
        ls.find((l) => l.name === 'encoder')!.inbound_nodes = [[['decoder_dense', 0, 0, {}]]];
      }),
      /layer \d+ 'encoder'.*inbound node 0 needs output 0 of layer 'decoder_dense'.*never computed \(a cycle/,
    ));
  it('a reference to a layer that does not exist', () =>
    refuses(
      variant((ls) => {
        ls.find((l) => l.name === 'decoder_dense')!.inbound_nodes = [[['ghost', 0, 0, {}]]];
      }),
      /'decoder_dense'.*refers to layer 'ghost', which the model does not have/,
    ));
  it('an unknown layer class', () =>
    refuses(
      variant((ls) => {
        ls.find((l) => l.name === 'decoder_dense')!.class_name = 'GroupedQueryAttention';
      }),
      /layer \d+ 'decoder_dense'.*unknown layer class 'GroupedQueryAttention'/,
    ));
  it('an output that cannot be reached from the inputs', () =>
    refuses(
      variant((_, topo) => {
        topo.config.input_layers = [['encoder_inputs', 0, 0]];
      }),
      /graph disconnected: LSTM 'decoder' needs decoder_inputs\[0\]\[0\] \(input 'decoder_inputs'\), which is not one of the model's inputs/,
    ));
  it('a dangling input (it reaches no output)', () =>
    refuses(
      variant((_, topo) => {
        topo.config.output_layers = [['encoder', 0, 1]];
      }),
      /input decoder_inputs\[0\]\[0\] \(input 'decoder_inputs'\) does not reach any output/,
    ));
  it('an input option that would change the input (ragged)', () =>
    refuses(
      variant((ls) => {
        (ls.find((l) => l.name === 'encoder_inputs') as unknown as { config: Record<string, unknown> }).config.ragged = true;
      }),
      /InputLayer 'encoder_inputs'\): option 'ragged' = true is not supported/,
    ));
  it('an output index a layer does not have', () =>
    refuses(
      variant((_, topo) => {
        topo.config.output_layers = [['decoder_dense', 0, 3]];
      }),
      /output_layers: refers to output 3 of layer 'decoder_dense' \(node 0\), which has 1 output/,
    ));
});
