/**
 * Writing Keras 3 `.keras` files (io/kerasFileWrite.ts, io/hdf5Write.ts): rnnkit → .keras →
 * rnnkit is exact (every weight bit-equal, predictions equal) for Sequential and graph models;
 * h5py (the HDF5 C library) opens the written model.weights.h5 and finds exactly the tree
 * tools/keras_fixture.py builds for the same model (groups, `vars` names, dataset paths,
 * shapes, dtypes and values); Python's zipfile reads the archive; config.json and
 * metadata.json carry the keys Keras 3 reads; what Keras 3 cannot hold is refused by name.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { Model, Seq2Seq, Sequential, TextClassifier, callbacks, constraints, initializers, input, regularizers, layers, loadModel, model as graphModel, saveKerasFile, tensor, type SymbolicTensor, type Tensor } from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { h5Group, writeHdf5 } from '../src/io/hdf5Write.js';
import { layerEntries } from '../src/layers/registry.js';

const DIR = new URL('./fixtures/', import.meta.url);
const FIXTURES = ['keras3-sequential-lstm.keras', 'keras3-functional-gru.keras', 'keras3-sequential-conv-gru.keras', 'keras3-functional-nested.keras'];
const DATE = new Date(2026, 11, 4, 16, 0, 0);

/** Every weight set to seeded values in [-0.6, 0.6] (biases and moving statistics too), so a misplaced one shows. */
function randomize(m: Model, seed: number): void {
  const rng = new Rng(seed);
  m.setWeights(m.getWeights().map((w) => tensor(Array.from(w.data, () => rng.uniformIn(-0.6, 0.6) + (w.data.length < 64 ? 0.7 : 0)), [...w.shape])));
}

function assertSameWeights(a: Model, b: Model): void {
  const wa = a.getWeights();
  const wb = b.getWeights();
  assert.equal(wb.length, wa.length);
  wa.forEach((w, i) => {
    assert.deepEqual(wb[i]!.shape, w.shape, `weight ${i} shape`);
    assert.deepEqual(new Uint8Array(wb[i]!.data.buffer, wb[i]!.data.byteOffset, 4 * wb[i]!.data.length), new Uint8Array(w.data.buffer, w.data.byteOffset, 4 * w.data.length), `weight ${i} (${a.weights[i]!.name}) bits`);
  });
}

function outputs(y: unknown): Float32Array[] {
  return (Array.isArray(y) ? y : [y]).map((t) => (t as Tensor).data);
}

async function roundTrip(m: Model, x: unknown): Promise<Model> {
  const bytes = await saveKerasFile(m, null, { date: DATE });
  const again = await loadModel({ kerasFile: bytes });
  assertSameWeights(m, again);
  const want = outputs(m.predict(x as never));
  const got = outputs(again.predict(x as never));
  assert.equal(got.length, want.length);
  want.forEach((w, i) => assert.deepEqual(got[i], w, `output ${i}`));
  return again;
}

/** A description of an HDF5 file by h5py: every group (with attrs) and dataset (shape, dtype, values as hex). */
function h5Tree(bytes: Uint8Array): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-h5-'));
  try {
    const file = join(dir, 'w.h5');
    writeFileSync(file, bytes);
    const py = `
import h5py, json, sys
out = {}
def visit(name, o):
    attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in o.attrs.items()}
    # What Keras 3.16's loader checks (saving_lib.safe_get_h5_group / safe_get_h5_dataset): hard links only,
    # no external or virtual dataset, the declared bytes all stored.
    parent, _, last = name.rpartition('/')
    assert (f[parent] if parent else f).get(last, getclass=True, getlink=True) is h5py.HardLink
    if isinstance(o, h5py.Dataset):
        assert f[name].shape == o.shape  # found again by name: a lookup through the group B-trees' keys
        assert o.external is None and not o.is_virtual
        assert o.id.get_storage_size() == o.size * o.dtype.itemsize
        out[name] = {'shape': list(o.shape), 'dtype': o.dtype.str, 'layout': o.id.get_create_plist().get_layout(), 'hex': o[...].astype('<f4').tobytes().hex(), 'attrs': attrs}
    else:
        out[name] = {'group': True, 'attrs': attrs, 'attr_types': {k: str(o.attrs.get_id(k).dtype) + ('/vlen-utf8' if o.attrs.get_id(k).get_type().get_cset() == 1 and o.attrs.get_id(k).get_type().is_variable_str() else '') for k in o.attrs}}
with h5py.File(sys.argv[1], 'r') as f:
    f.visititems(visit)
    out['/'] = {'group': True, 'attrs': {}, 'attr_types': {}}
print(json.dumps(out, sort_keys=True))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `h5py could not read the file: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasH5py = spawnSync('/usr/bin/python3', ['-c', 'import h5py'], { encoding: 'utf8' }).status === 0;

/**
 * The arguments each Keras 3 layer class's constructor takes beyond Layer's own (activity_regularizer,
 * trainable, dtype, autocast, name, input_dim, input_shape; any other key is "Unrecognized keyword
 * arguments"), read from the __init__ signatures of keras-team/keras @3422977a5 (3.16; RNN's and the
 * pooling and wrapper base classes' included).
 */
const KERAS3_ARGS: Record<string, string> = {
  Dense: 'activation bias_constraint bias_initializer bias_regularizer kernel_constraint kernel_initializer kernel_regularizer lora_alpha lora_rank quantization_config units use_bias',
  Embedding: 'embeddings_constraint embeddings_initializer embeddings_regularizer lora_alpha lora_rank mask_zero output_dim quantization_config weights',
  Masking: 'mask_value',
  Dropout: 'noise_shape rate seed',
  Activation: 'activation',
  RepeatVector: 'n',
  Flatten: 'data_format',
  Bidirectional: 'backward_layer layer merge_mode weights',
  TimeDistributed: 'layer',
  Add: '',
  Subtract: '',
  Multiply: '',
  Average: '',
  Maximum: '',
  Minimum: '',
  Concatenate: 'axis',
  Dot: 'axes normalize',
  Attention: 'dropout score_mode seed use_scale',
  AdditiveAttention: 'dropout score_mode seed use_scale',
  MultiHeadAttention: 'attention_axes bias_constraint bias_initializer bias_regularizer dropout flash_attention kernel_constraint kernel_initializer kernel_regularizer key_dim num_heads output_shape seed sliding_window use_bias use_gate value_dim',
  GlobalAveragePooling1D: 'data_format keepdims pool_dimensions',
  GlobalMaxPooling1D: 'data_format keepdims pool_dimensions',
  Reshape: 'target_shape',
  Permute: 'dims',
  Conv1D: 'activation bias_constraint bias_initializer bias_regularizer data_format dilation_rate filters groups kernel_constraint kernel_initializer kernel_regularizer kernel_size padding strides use_bias',
  Conv1DTranspose: 'activation bias_constraint bias_initializer bias_regularizer data_format dilation_rate filters kernel_constraint kernel_initializer kernel_regularizer kernel_size output_padding padding strides use_bias',
  ZeroPadding1D: 'data_format padding',
  Cropping1D: 'cropping',
  UpSampling1D: 'size',
  MaxPooling1D: 'data_format padding pool_size strides',
  AveragePooling1D: 'data_format padding pool_size strides',
  SpatialDropout1D: 'rate seed',
  LayerNormalization: 'axis beta_constraint beta_initializer beta_regularizer center epsilon gamma_constraint gamma_initializer gamma_regularizer scale',
  BatchNormalization: 'axis beta_constraint beta_initializer beta_regularizer center epsilon gamma_constraint gamma_initializer gamma_regularizer momentum moving_mean_initializer moving_variance_initializer renorm renorm_clipping renorm_momentum scale synchronized',
  LSTM: 'activation bias_constraint bias_initializer bias_regularizer dropout go_backwards kernel_constraint kernel_initializer kernel_regularizer recurrent_activation recurrent_constraint recurrent_dropout recurrent_initializer recurrent_regularizer return_sequences return_state seed stateful unit_forget_bias units unroll use_bias use_cudnn zero_output_for_mask',
  GRU: 'activation bias_constraint bias_initializer bias_regularizer dropout go_backwards kernel_constraint kernel_initializer kernel_regularizer recurrent_activation recurrent_constraint recurrent_dropout recurrent_initializer recurrent_regularizer reset_after return_sequences return_state seed stateful units unroll use_bias use_cudnn zero_output_for_mask',
  ReLU: 'max_value negative_slope threshold',
  LeakyReLU: 'negative_slope',
  ELU: 'alpha',
  PReLU: 'alpha_constraint alpha_initializer alpha_regularizer shared_axes',
  Softmax: 'axis',
  GaussianNoise: 'seed stddev',
  GaussianDropout: 'rate seed',
  AlphaDropout: 'noise_shape rate seed',
  Normalization: 'axis invert mean variance',
  SimpleRNN: 'activation bias_constraint bias_initializer bias_regularizer dropout go_backwards kernel_constraint kernel_initializer kernel_regularizer recurrent_constraint recurrent_dropout recurrent_initializer recurrent_regularizer return_sequences return_state seed stateful units unroll use_bias zero_output_for_mask',
};
const LAYER_ARGS = ['activity_regularizer', 'trainable', 'dtype', 'autocast', 'name', 'input_dim', 'input_shape'];

const members = (bytes: Uint8Array): Record<string, Uint8Array> => unzipSync(bytes);
const json = (b: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

/** A Sequential of every layer kind the .keras format must carry, more than 8 (two symbol-table nodes in `layers`). */
function bigSequential(): Sequential {
  return new Sequential({
    layers: [
      layers.embedding({ inputDim: 12, outputDim: 4, maskZero: true, inputShape: [6] }),
      layers.lstm({ units: 5, returnSequences: true }),
      layers.gru({ units: 4, returnSequences: true, resetAfter: false }),
      layers.gru({ units: 4, returnSequences: true, resetAfter: true, recurrentActivation: 'hardSigmoid' }),
      layers.bidirectional({ layer: layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: 'concat' }),
      layers.timeDistributed({ layer: layers.dense({ units: 4, activation: 'tanh' }) }),
      layers.layerNormalization({}),
      layers.batchNormalization({}),
      layers.lstm({ units: 3, returnSequences: true, goBackwards: true }),
      layers.dropout({ rate: 0.2 }),
      layers.simpleRNN({ units: 3 }),
      layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
}

describe('writing Keras 3 .keras files', () => {
  it('round-trips a Sequential model exactly (LSTM, GRU both ways, SimpleRNN, Bidirectional, TimeDistributed, Embedding, Dense, normalisation)', async () => {
    const m = bigSequential();
    randomize(m, 3);
    const x = tensor([[1, 5, 9, 2, 0, 0], [3, 3, 11, 7, 4, 8], [6, 0, 0, 0, 0, 0]]);
    const again = await roundTrip(m, x);
    assert.equal(again.className, 'Sequential');
    assert.deepEqual(again.layers.map((l) => l.name), m.layers.map((l) => l.name));
  });

  it('round-trips a graph model exactly: two inputs, initial states, a shared layer, merges, Bidirectional GRU, a nested Sequential', async () => {
    const src = input({ shape: [null, 3], name: 'source' });
    const tgt = input({ shape: [null], name: 'target' });
    const [, h, c] = layers.lstm({ units: 4, returnState: true, name: 'encoder' }).apply(src) as unknown as SymbolicTensor[];
    const emb = layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true }).apply(tgt) as SymbolicTensor;
    const decoded = layers.lstm({ units: 4, returnSequences: true, name: 'decoder' }).apply(emb, { initialState: [h!, c!] }) as SymbolicTensor;
    const bi = layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }), mergeMode: 'sum' }).apply(decoded) as SymbolicTensor;
    const shared = layers.timeDistributed({ layer: layers.dense({ units: 4 }) });
    const a = shared.apply(bi) as SymbolicTensor;
    const b = shared.apply(layers.timeDistributed({ layer: layers.dense({ units: 3 }) }).apply(decoded) as SymbolicTensor) as SymbolicTensor;
    const joined = layers.concatenate({}).apply([a, b]) as SymbolicTensor;
    const inner = new Sequential({ layers: [layers.gru({ units: 3, resetAfter: false, inputShape: [null, 8] }), layers.dense({ units: 2, activation: 'tanh' })], name: 'head' });
    const out1 = inner.apply(joined) as SymbolicTensor;
    const out2 = layers.dense({ units: 1, name: 'aux' }).apply(layers.add({}).apply([h!, c!]) as SymbolicTensor) as SymbolicTensor;
    const m = graphModel({ inputs: [src, tgt], outputs: [out1, out2] });
    randomize(m, 5);
    const x = [tensor([[[0.1, 0.2, 0.3], [0.5, -0.4, 0.9]], [[-0.7, 0.3, 0.2], [0.05, 0.6, -0.1]]]), tensor([[1, 4, 2, 0], [8, 0, 0, 0]])];
    const again = await roundTrip(m, x);
    assert.equal(again.className, 'Model');
    const cfg = json(members(await saveKerasFile(m, null, { date: DATE }))['config.json']!);
    // As Keras 3 writes it (a Keras 3.9.2 file): Functional is no keras.* export, so Keras looks it up by module and registered name.
    assert.deepEqual([cfg.module, cfg.class_name, cfg.registered_name], ['keras.src.models.functional', 'Functional', 'Functional']);
    const ls = (cfg.config as { layers: { name: string; class_name: string; inbound_nodes: { args: unknown[]; kwargs: Record<string, unknown> }[] }[] }).layers;
    assert.equal(ls.find((l) => l.class_name === 'TimeDistributed' && l.inbound_nodes.length === 2)?.inbound_nodes.length, 2, 'the shared layer is called twice');
    const dec = ls.find((l) => l.name === 'decoder')!;
    assert.deepEqual((dec.inbound_nodes[0]!.kwargs.initial_state as { config: { keras_history: unknown } }[]).map((t) => t.config.keras_history), [['encoder', 0, 1], ['encoder', 0, 2]]);
    assert.deepEqual((cfg.config as { input_layers: unknown }).input_layers, [['source', 0, 0], ['target', 0, 0]]);
  });

  it('writes a Sequential whose first layer is a model without an InputLayer, as Keras 3 does (sequential.py add), and reads it back', async () => {
    const inner = new Sequential({ layers: [layers.lstm({ units: 3, inputShape: [4, 2] })], name: 'enc' });
    const m = new Sequential({ layers: [inner, layers.dense({ units: 1 })] });
    const x = tensor(Array.from({ length: 16 }, (_, i) => Math.cos(i)), [2, 4, 2]);
    m.predict(x); // builds it (a nested model first declares no inputShape of its own to the chain)
    randomize(m, 12);
    const bytes = await saveKerasFile(m, null, { date: DATE });
    const c = json(members(bytes)['config.json']!).config as { layers: { class_name: string; config: { layers?: { class_name: string }[] } }[]; build_input_shape: unknown };
    assert.deepEqual(c.layers.map((l) => l.class_name), ['Sequential', 'Dense']);
    assert.deepEqual(c.layers[0]!.config.layers!.map((l) => l.class_name), ['InputLayer', 'LSTM']);
    assert.deepEqual(c.build_input_shape, [null, 4, 2]);
    await roundTrip(m, x);
  });

  it('writes initializers, regularizers and constraints as Keras 3 serialized objects, and reads them back', async () => {
    const m = new Sequential({
      layers: [
        layers.dense({ units: 3, inputShape: [4], kernelInitializer: initializers.varianceScaling({ scale: 2, mode: 'fanAvg', distribution: 'uniform', seed: 7 }), kernelRegularizer: regularizers.l1l2({ l1: 0.01, l2: 0.02 }), kernelConstraint: constraints.maxNorm({ maxValue: 1.5 }), biasConstraint: constraints.nonNeg() }),
        layers.repeatVector({ n: 2 }),
        layers.lstm({ units: 2, recurrentRegularizer: regularizers.l2({ l2: 0.1 }), recurrentConstraint: constraints.unitNorm({ axis: 1 }) }),
      ],
    });
    const c = json(members(await saveKerasFile(m, null, { date: DATE }))['config.json']!).config as { layers: { config: Record<string, unknown> }[] };
    const d = c.layers[1]!.config;
    assert.deepEqual(d.kernel_initializer, { module: 'keras.initializers', class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_avg', distribution: 'uniform', seed: 7 }, registered_name: null });
    assert.deepEqual(d.kernel_regularizer, { module: 'keras.regularizers', class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 }, registered_name: null });
    assert.deepEqual(d.kernel_constraint, { module: 'keras.constraints', class_name: 'MaxNorm', config: { max_value: 1.5, axis: 0 }, registered_name: null });
    assert.deepEqual(d.bias_constraint, { module: 'keras.constraints', class_name: 'NonNeg', config: {}, registered_name: null });
    assert.deepEqual((c.layers[3]!.config.recurrent_regularizer as { config: unknown }).config, { l2: 0.1 });
    const again = await roundTrip(m, tensor([[1, 2, 3, 4]]));
    again.layers.forEach((l, i) => assert.deepEqual(l.getConfig(), m.layers[i]!.getConfig(), l.name));
  });

  it("lists a Functional's layers (and names their weight groups) in Keras 3's order: map_graph run in Python on the written config", { skip: hasH5py ? false : 'needs /usr/bin/python3' }, async () => {
    // Inputs at different depths, a shared layer called at two depths, two layers of one class tied in depth.
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const shared = layers.dense({ units: 3, name: 'shared' });
    const deep = layers.dense({ units: 3, name: 'deep' }).apply(layers.dense({ units: 3, name: 'deeper' }).apply(a) as SymbolicTensor) as SymbolicTensor;
    const s1 = shared.apply(deep) as SymbolicTensor;
    const s2 = shared.apply(b) as SymbolicTensor;
    const left = layers.dense({ units: 2, name: 'left' }).apply(s1) as SymbolicTensor;
    const right = layers.dense({ units: 2, name: 'right' }).apply(s2) as SymbolicTensor;
    const m = graphModel({ inputs: [a, b], outputs: [layers.add({}).apply([left, right]) as SymbolicTensor, layers.dense({ units: 1, name: 'side' }).apply(b) as SymbolicTensor] });
    randomize(m, 13);
    const bytes = await saveKerasFile(m, null, { date: DATE });
    // keras/src/ops/function.py _build_map / map_graph, transcribed onto the saved config (nodes from inbound_nodes).
    const py = `
import json, sys
cfg = json.load(open(sys.argv[1]))['config']
class Node:
    def __init__(self, op, refs, is_input): self.op, self.refs, self.is_input = op, refs, is_input
ops = {}
def flat(v):
    if isinstance(v, dict) and v.get('class_name') == '__keras_tensor__': return [tuple(v['config']['keras_history'])]
    if isinstance(v, dict): return [r for k in sorted(v) for r in flat(v[k])]
    if isinstance(v, list): return [r for x in v for r in flat(x)]
    return []
for l in cfg['layers']:
    if l['class_name'] == 'InputLayer': ops[l['name']] = [Node(l['name'], [], True)]
    else: ops[l['name']] = [Node(l['name'], flat([n['args'], n['kwargs']]), False) for n in l['inbound_nodes']]
def node_of(ref): return ops[ref[0]][ref[1]]
finished, in_progress, decreasing, indices = set(), set(), [], {}
def helper(ref):
    node = node_of(ref)
    if node in finished: return
    if node in in_progress: raise ValueError('cycle')
    if node.op not in indices: indices[node.op] = len(indices)
    in_progress.add(node)
    if not node.is_input:
        for r in node.refs: helper(r)
    finished.add(node); in_progress.remove(node); decreasing.append(node)
outs = cfg['output_layers']
outs = [outs] if isinstance(outs[0], str) else outs
for o in outs: helper(o)
nodes_depths, op_depths = {}, {}
for node in reversed(decreasing):
    depth = nodes_depths.setdefault(node, 0)
    depth = max(depth, op_depths.get(node.op, 0))
    op_depths[node.op] = depth
    nodes_depths[node] = depth
    for r in node.refs:
        dep = node_of(r)
        nodes_depths[dep] = max(depth + 1, nodes_depths.get(dep, 0))
by_depth = {}
for op, d in op_depths.items(): by_depth.setdefault(d, []).append(op)
order = []
for d in sorted(by_depth, reverse=True): order += sorted(by_depth[d], key=lambda o: indices[o])
print(json.dumps(order))
`;
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-order-'));
    try {
      writeFileSync(join(dir, 'config.json'), members(bytes)['config.json']!);
      const r = spawnSync('/usr/bin/python3', ['-c', py, join(dir, 'config.json')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const written = (json(members(bytes)['config.json']!).config as { layers: { name: string }[] }).layers.map((l) => l.name);
      assert.deepEqual(written, JSON.parse(r.stdout));
      // Unlike rnnkit's own order, an input is not always first: 'b' is shallower than 'a's chain.
      assert.notDeepEqual(written, m.layers.map((l) => l.name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await roundTrip(m, [tensor([[1, 2, 3]]), tensor([[0.5, -1, 2]])]);
  });

  it('writes the zip, metadata.json and config.json Keras 3 reads', async () => {
    const bytes = await saveKerasFile(bigSequential(), null, { date: DATE });
    // Members in saving_lib's order, stored (not deflated), as Python's zipfile writes them.
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(dv.getUint32(0, true), 0x04034b50);
    assert.equal(dv.getUint16(8, true), 0, 'stored');
    assert.deepEqual(Object.keys(members(bytes)), ['metadata.json', 'config.json', 'model.weights.h5']);
    const meta = json(members(bytes)['metadata.json']!);
    assert.deepEqual(meta, { keras_version: '3.16.0', date_saved: '2026-12-04@16:00:00' });
    const cfg = json(members(bytes)['config.json']!);
    assert.deepEqual(Object.keys(cfg).sort(), ['build_config', 'class_name', 'config', 'module', 'registered_name']);
    assert.equal(cfg.module, 'keras');
    const c = cfg.config as { layers: { module: string; class_name: string; config: Record<string, unknown>; registered_name: null }[]; build_input_shape: unknown };
    assert.deepEqual(c.build_input_shape, [null, 6]);
    assert.equal(c.layers[0]!.class_name, 'InputLayer');
    assert.deepEqual(c.layers[0]!.config.batch_shape, [null, 6]);
    for (const l of c.layers) {
      assert.equal(l.module, 'keras.layers');
      assert.equal(l.registered_name, null);
      for (const k of ['batch_input_shape', 'input_length', 'implementation']) assert.ok(!(k in l.config), `${l.class_name} has no ${k}`);
    }
    const lstm = c.layers.find((l) => l.class_name === 'LSTM')!.config;
    assert.deepEqual(lstm.dtype, { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null });
    assert.deepEqual(lstm.kernel_initializer, { module: 'keras.initializers', class_name: 'GlorotUniform', config: {}, registered_name: null });
    // Keras 3's hard_sigmoid is rnnkit's hardSigmoid (x/6 + 1/2): written under Keras 3's name.
    assert.equal(c.layers.filter((l) => l.class_name === 'GRU')[1]!.config.recurrent_activation, 'hard_sigmoid');
    const bi = c.layers.find((l) => l.class_name === 'Bidirectional')!.config as { layer: { config: { name: string; go_backwards: boolean } }; backward_layer: { config: { name: string; go_backwards: boolean } } };
    assert.match(bi.layer.config.name, /^forward_simple_rnn/);
    assert.match(bi.backward_layer.config.name, /^backward_simple_rnn/);
    assert.deepEqual([bi.layer.config.go_backwards, bi.backward_layer.config.go_backwards], [false, true]);
    if (hasH5py) {
      // h5py finds every weight at Keras 3's path with its bits, `layers` spanning two symbol-table nodes (12 members).
      const m = bigSequential();
      randomize(m, 4);
      const tree = h5Tree(members(await saveKerasFile(m, null, { date: DATE }))['model.weights.h5']!) as Record<string, { shape?: number[]; hex?: string; attrs: Record<string, string> }>;
      const hex = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
      const lstm1 = m.layers.filter((l) => l.className === 'LSTM')[1]!;
      assert.deepEqual(tree['layers/lstm_1/cell/vars/1']!.shape, [3, 12]);
      assert.equal(tree['layers/lstm_1/cell/vars/1']!.hex, hex(lstm1.weights[1]!.value));
      assert.equal(tree['layers/lstm_1/vars']!.attrs.name, lstm1.name);
      assert.equal(tree['layers/lstm_1/cell/vars']!.attrs.name, 'lstm_cell');
      const bn = m.layers.find((l) => l.className === 'BatchNormalization')!;
      assert.equal(tree['layers/batch_normalization/vars/3']!.hex, hex(bn.weights[3]!.value), 'moving variance last');
      assert.equal(tree['layers/gru_1/cell/vars/2']!.shape!.join(), '2,12', 'reset_after bias (2, 3 units)');
      assert.equal(tree['layers/simple_rnn/cell/vars/0']!.shape!.join(), '3,3');
      assert.equal(Object.keys(tree).filter((k) => /^layers\/[^/]+$/.test(k)).length, 12);
      const dir = mkdtempSync(join(tmpdir(), 'rnnkit-zip-'));
      try {
        writeFileSync(join(dir, 'm.keras'), bytes);
        const r = spawnSync('/usr/bin/python3', ['-c', 'import zipfile, sys, json\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps([[i.filename, i.compress_type, i.date_time] for i in z.infolist()]))', join(dir, 'm.keras')], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), [['metadata.json', 0, [2026, 12, 4, 16, 0, 0]], ['config.json', 0, [2026, 12, 4, 16, 0, 0]], ['model.weights.h5', 0, [2026, 12, 4, 16, 0, 0]]]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  for (const fixture of FIXTURES) {
    it(`writes the weights tree tools/keras_fixture.py builds for ${fixture} (h5py: same groups, names, paths, shapes, values)`, { skip: hasH5py ? false : 'needs /usr/bin/python3 with h5py' }, async () => {
      const original = new Uint8Array(readFileSync(new URL(fixture, DIR)));
      const m = await loadModel({ kerasFile: original });
      const written = await saveKerasFile(m, null, { date: DATE });
      const want = h5Tree(members(original)['model.weights.h5']!);
      const got = h5Tree(members(written)['model.weights.h5']!);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
      assert.deepEqual(got, want);
      // The topology matches the fixture's too: classes, names, calls, and each written key is one Keras 3 wrote.
      const cw = json(members(original)['config.json']!);
      const cg = json(members(written)['config.json']!);
      compareConfig(cg, cw, fixture);
      // And it loads again, predicting as the original.
      const again = await loadModel({ kerasFile: written });
      assertSameWeights(m, again);
    });
  }

  it('writes for every layer class only arguments its Keras 3 constructor takes, and round-trips exactly', async () => {
    const x = input({ shape: [6, 3], name: 'x' });
    const ap = (l: { apply: (t: never) => unknown }, t: SymbolicTensor | SymbolicTensor[]): SymbolicTensor => l.apply(t as never) as SymbolicTensor;
    const masked = ap(layers.masking({ maskValue: 0 }), x);
    const conv = ap(layers.conv1d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'relu' }), x);
    const pooled = ap(layers.maxPooling1d({ poolSize: 2 }), conv);
    const avg = ap(layers.averagePooling1d({ poolSize: 2 }), conv);
    const sd = ap(layers.spatialDropout1d({ rate: 0.1 }), pooled);
    const steps = [layers.zeroPadding1d({ padding: [1, 0] }), layers.upSampling1d({ size: 2 }), layers.cropping1d({ cropping: [1, 1] }), layers.conv1dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 0 })];
    const grown = steps.reduce((t, l) => ap(l, t), avg);
    const q = ap(layers.lstm({ units: 4, returnSequences: true }), masked);
    const att = ap(layers.attention({ useScale: true }), [q, q]);
    const add = ap(layers.additiveAttention({}), [q, q]);
    const g1 = ap(layers.globalAveragePooling1d({}), att);
    const g2 = ap(layers.globalMaxPooling1d({}), add);
    const merged = [layers.add({}), layers.subtract({}), layers.multiply({}), layers.average({}), layers.maximum({}), layers.minimum({})].map((l) => ap(l, [g1, g2]));
    // mha(query, value, key=…): a separate key, and the written call as Keras 3 makes it
    const mha = ap(layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 2, outputShape: 5, dropout: 0.1, seed: 4 }), [q, conv, conv]);
    const cat = ap(layers.concatenate({ axis: -1 }), [...merged, ap(layers.globalAveragePooling1d({}), sd), ap(layers.globalMaxPooling1d({}), grown), ap(layers.globalAveragePooling1d({}), mha)]);
    const acts = [layers.reLU({ maxValue: 2, negativeSlope: 0.1, threshold: 0.05 }), layers.gaussianNoise({ stddev: 0.1, seed: 3 }), layers.leakyReLU({ alpha: 0.2 }), layers.gaussianDropout({ rate: 0.1 }), layers.elu({ alpha: 0.5 }), layers.alphaDropout({ rate: 0.1 }), layers.normalization({ mean: 0.5, variance: 2 }), layers.prelu({ alphaInitializer: 'randomUniform' }), layers.normalization({ invert: true }), layers.softmax()];
    const act = ap(layers.activation({ activation: 'swish' }), acts.reduce((t, l) => ap(l, t), ap(layers.dense({ units: 6 }), cat)));
    const rs = ap(layers.reshape({ targetShape: [3, 4] }), ap(layers.flatten({}), ap(layers.repeatVector({ n: 2 }), act)));
    const pm = ap(layers.permute({ dims: [2, 1] }), rs);
    const dot = ap(layers.dot({ axes: [2, 2] }), [pm, pm]);
    const norm = ap(layers.batchNormalization({}), ap(layers.layerNormalization({}), dot));
    const td = ap(layers.timeDistributed({ layer: layers.dense({ units: 2 }) }), ap(layers.dropout({ rate: 0.3 }), norm));
    const bi = ap(layers.bidirectional({ layer: layers.gru({ units: 2 }), mergeMode: 'ave' }), td);
    const tokens = input({ shape: [4], name: 'tokens' });
    const rnn = ap(layers.simpleRNN({ units: 2 }), ap(layers.embedding({ inputDim: 5, outputDim: 2 }), tokens));
    const m = graphModel({ inputs: [x, tokens], outputs: [bi, rnn] });
    randomize(m, 11);
    const bytes = await saveKerasFile(m, null, { date: DATE });
    const cfg = json(members(bytes)['config.json']!) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const seen = new Set<string>();
    const check = (l: { class_name: string; config: Record<string, unknown> }): void => {
      if (l.class_name === 'InputLayer') return;
      seen.add(l.class_name);
      const ok = [...LAYER_ARGS, ...KERAS3_ARGS[l.class_name]!.split(' ')];
      for (const k of Object.keys(l.config)) assert.ok(ok.includes(k), `${l.class_name} '${String(l.config.name)}': Keras 3 would refuse argument '${k}'`);
      for (const k of ['layer', 'backward_layer']) if (l.config[k] !== undefined) check(l.config[k] as typeof l);
    };
    cfg.config.layers.forEach(check);
    // A layer class added to the registry fails here until its Keras 3 arguments are listed above and it is written here.
    // ThresholdedReLU: Keras 3 has no such class; saveKerasFile refuses it (test/advancedActivations.test.ts). TimeSlice likewise (test/kerasOps.test.ts).
    const registered = layerEntries().map((e) => e.className).filter((c) => c !== 'InputLayer' && c !== 'ThresholdedReLU' && c !== 'TimeSlice').sort();
    assert.deepEqual(Object.keys(KERAS3_ARGS).sort(), registered, 'KERAS3_ARGS lists every registered layer class');
    assert.deepEqual([...seen].sort(), registered, 'every layer class rnnkit registers is written once at least');
    const act3 = cfg.config.layers.find((l) => l.class_name === 'Activation')!;
    assert.equal(act3.config.activation, 'silu', "swish under Keras 3's name");
    const xs = tensor(Array.from({ length: 2 * 6 * 3 }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i))), [2, 6, 3]);
    await roundTrip(m, [xs, tensor([[1, 4, 0, 2], [3, 3, 1, 0]])]);
  });

  it("the task classes' models (Seq2Seq with dot or additive attention, bidirectional GRU, stacked LSTM; TextClassifier) round-trip exactly with only Keras 3 arguments", async () => {
    const pairs: [string, string][] = [['go', 'va'], ['hi', 'salut'], ['run', 'cours'], ['who', 'qui']];
    const models: [string, Model][] = [
      ...([{ attention: 'dot' }, { attention: 'additive', bidirectional: true, cell: 'gru' }, { layers: 2, cell: 'lstm' }] as const).map((o): [string, Model] => [`seq2seq ${JSON.stringify(o)}`, Seq2Seq.forPairs(pairs, { units: 4, embeddingDim: 3, seed: 1, ...o }).model]),
      ['classifier', (TextClassifier.forData(['good movie', 'bad film', 'great fun', 'awful plot'], ['pos', 'neg', 'pos', 'neg'], { units: 4, embeddingDim: 3, seed: 1, cell: 'gru', bidirectional: true, conv: { filters: 4, kernelSize: 2 } }) as unknown as { model: Model }).model],
    ];
    for (const [name, m] of models) {
      randomize(m, 21);
      const cfg = json(members(await saveKerasFile(m, null, { date: DATE }))['config.json']!) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      const check = (l: { class_name: string; config: Record<string, unknown> }): void => {
        if (l.class_name === 'InputLayer') return;
        const ok = [...LAYER_ARGS, ...KERAS3_ARGS[l.class_name]!.split(' ')];
        for (const k of Object.keys(l.config)) assert.ok(ok.includes(k), `${name}: ${l.class_name} '${String(l.config.name)}': Keras 3 would refuse argument '${k}'`);
        for (const k of ['layer', 'backward_layer']) if (l.config[k] !== undefined) check(l.config[k] as typeof l);
      };
      cfg.config.layers.forEach(check);
      const x = m.inputs.map((t) => tensor(Array.from({ length: 2 * ((t.shape[1] as number | null) ?? 3) }, (_, i) => 1 + (i % 3)), [2, (t.shape[1] as number | null) ?? 3]));
      await roundTrip(m, x.length === 1 ? x[0] : x);
    }
  });

  it('HDF5 writer: a group of 600 members (over one default B-tree node) reads back in h5py and jsfive, every name and value in place', { skip: hasH5py ? false : 'needs /usr/bin/python3 with h5py' }, async () => {
    const root = h5Group();
    const big = h5Group();
    root.members.set('big', big);
    big.attrs.set('name', 'grüße'); // UTF-8 in a variable-length string attribute
    for (let i = 0; i < 600; i++) big.members.set(`v${i}`, { shape: [2], data: Float32Array.of(i, -i / 7) });
    const bytes = writeHdf5(root, 'test');
    const tree = h5Tree(bytes) as Record<string, { shape?: number[]; hex?: string; attrs: Record<string, string> }>;
    assert.equal(Object.keys(tree).filter((k) => k.startsWith('big/')).length, 600);
    assert.equal(tree.big!.attrs.name, 'grüße');
    for (const i of [0, 7, 8, 255, 256, 599]) assert.equal(tree[`big/v${i}`]!.hex, Buffer.from(Float32Array.of(i, -i / 7).buffer).toString('hex'), `big/v${i}`);
    const hdf5 = await import('jsfive');
    const f = new hdf5.File(bytes.slice().buffer as ArrayBuffer, 'test.h5');
    const g = f.get('big') as { keys: string[] };
    assert.equal(g.keys.length, 600);
    assert.deepEqual(Array.from((f.get('big/v599') as unknown as { value: number[] }).value), Array.from(Float32Array.of(599, -599 / 7)));
  });

  it('model.save(path.keras) writes atomically and loadModel reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-keras-'));
    try {
      const m = bigSequential();
      randomize(m, 9);
      const file = join(dir, 'model.keras');
      writeFileSync(file, 'an older file');
      await m.save(file);
      assert.deepEqual(readdirSync(dir), ['model.keras'], 'no temporary file left');
      const again = await loadModel(file);
      assertSameWeights(m, again);
      // file:// URLs too, through saveKerasFile's target.
      await saveKerasFile(m, `file://${join(dir, 'b.keras')}`);
      assertSameWeights(m, await loadModel(join(dir, 'b.keras')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('callbacks.modelCheckpoint with a .keras filepath writes Keras 3 files during fit (without optimizer state)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-ckpt-'));
    try {
      const m = new Sequential({ layers: [layers.gru({ units: 3, inputShape: [4, 2] }), layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'adam', loss: 'mse' });
      const x = tensor(Array.from({ length: 8 * 4 * 2 }, (_, i) => Math.sin(i)), [8, 4, 2]);
      const y = tensor(Array.from({ length: 8 }, (_, i) => Math.cos(i)), [8, 1]);
      await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, seed: 1, callbacks: [callbacks.modelCheckpoint({ filepath: join(dir, 'ckpt-{epoch:02d}.keras') })] });
      assert.deepEqual(readdirSync(dir).sort(), ['ckpt-01.keras', 'ckpt-02.keras']);
      const last = await loadModel(join(dir, 'ckpt-02.keras'));
      assertSameWeights(m, last);
      assert.equal(last.optimizer, null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what a Keras 3 file cannot hold, by name', async () => {
    const legacy = new Sequential({ layers: [layers.lstm({ units: 2, recurrentActivation: 'hardSigmoidLegacy', inputShape: [3, 2] })] });
    await assert.rejects(saveKerasFile(legacy), /layer 'lstm(_\d+)?' \(LSTM\): recurrent_activation 'hardSigmoidLegacy'.*no Keras 3 equivalent/);
    const m = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] });
    m.compile({ optimizer: 'adam', loss: 'mse' });
    await assert.rejects(m.save('/nonexistent-dir/x.keras', { includeOptimizer: true }), /includeOptimizer is not supported for a \.keras file/);
    await assert.rejects(m.save('/nonexistent-dir/x.keras', { metadata: { a: 1 } }), /metadata is not supported for a \.keras file/);
    await assert.rejects(saveKerasFile(m, null, { date: DATE, level: 9 } as never), /level/);
    await assert.rejects(saveKerasFile(m, null, { date: new Date(NaN) }), /date must be a valid Date/);
    await assert.rejects(saveKerasFile(new Sequential({ layers: [layers.dense({ units: 1 })] })), /built model/);
    await assert.rejects(saveKerasFile({} as never), /expected a Sequential or graph model/);
  });
});

/** config.json written vs the fixture's: same classes, names, calls and shapes; every key written is a key Keras 3 wrote, with the same plain value. */
function compareConfig(got: unknown, want: unknown, at: string): void {
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${at}: a list`);
    assert.equal((got as unknown[]).length, want.length, `${at}: length`);
    want.forEach((w, i) => compareConfig((got as unknown[])[i], w, `${at}[${i}]`));
    return;
  }
  if (want !== null && typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', `${at}: an object`);
    const g = got as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    // InputLayer's `optional` is in Keras 3.16's get_config (input_layer.py); the fixture tool predates it.
    for (const k of Object.keys(g)) assert.ok(k in w || (k === 'optional' && w.batch_shape !== undefined), `${at}: key '${k}' is not one Keras 3 writes here (it has ${Object.keys(w).join(', ')})`);
    // Initializer configs may leave out seed: None (the default); everything else Keras writes is written.
    for (const k of Object.keys(w)) if (!(k in g)) assert.ok(k === 'seed' || k === 'activity_regularizer' || k === 'zero_output_for_mask' || (w[k] === null && k.endsWith('_regularizer')) || k === 'synchronized', `${at}: key '${k}' missing`);
    for (const k of Object.keys(g)) {
      // One input or output is written as a bare [layer, node, tensor] (Model(inputs=x) in Keras), several as a list; the fixture lists even one.
      if ((k === 'input_layers' || k === 'output_layers') && k in w) {
        assert.deepEqual([g[k]].flat(Infinity), [w[k]].flat(Infinity), `${at}.${k}`);
        continue;
      }
      // Keras 3 Bidirectional forces its halves' zero_output_for_mask to their return_sequences
      // (bidirectional.py force_zero_output_for_mask), so its get_config writes that; the fixture tool wrote false.
      if (k === 'zero_output_for_mask' && /\.(layer|backward_layer)\.config$/.test(at)) {
        assert.equal(g[k], g.return_sequences, `${at}.${k}`);
        continue;
      }
      // A Sequential's InputLayer is named by rnnkit (nothing refers to it); Keras would call it input_layer.
      if (k === 'name' && w.batch_shape !== undefined && /\.config\.layers\[0\]\.config$/.test(at) && !/functional/.test(at)) continue;
      if (k in w) compareConfig(g[k], w[k], `${at}.${k}`);
    }
    return;
  }
  assert.deepEqual(got, want, at);
}
