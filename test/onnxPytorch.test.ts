/**
 * ONNX import of the plumbing published PyTorch 2.x exports (torch.onnx.export, the TorchScript
 * exporter) put around recurrent layers: fixtures in test/fixtures/onnx-pytorch written by
 * tools/onnx_pytorch2_fixtures.py (torch 1.13 writes the same patterns), checked against
 * onnxruntime-node on the same bytes at two batch sizes (and two lengths where the time axis is
 * open); the refusals where no rnnkit layer computes the same; and the hint for a file that went
 * through a text conversion.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { agreesWithOnnxruntime, refusedOnnx } from './helpers/onnx.js';
import { encodeModel, DType, type NodeDef, type TensorDef } from '../src/io/onnx/proto.js';
import { loadModel, loadOnnx, type Model } from '../src/index.js';

const DIR = new URL('./fixtures/onnx-pytorch/', import.meta.url).pathname;
const rng = new Rng(2402);
const fixture = (name: string): Uint8Array => readFileSync(`${DIR}${name}.onnx`);
const classes = (m: Model): string[] => m.layers.map((l) => l.className);
const agrees = (m: Model, bytes: Uint8Array, shapes: number[][]): Promise<number> => agreesWithOnnxruntime(m, bytes, shapes, rng);
const refused = refusedOnnx;



describe('loadOnnx: PyTorch 2.x export patterns give onnxruntime’s outputs', () => {
  it('x[:, 0] and x[:, 2] of a fixed-length sequence: a Cropping1D to that step, its time axis dropped by a Reshape', async () => {
    for (const name of ['slice_first', 'slice_step2']) {
      const bytes = fixture(name);
      const m = await loadOnnx(bytes);
      assert.deepEqual(classes(m), ['LSTM', 'Cropping1D', 'Reshape', 'Dense']);
      assert.deepEqual(m.layers[1]!.getConfig().cropping, name === 'slice_first' ? [0, 5] : [2, 3]);
      await agrees(m, bytes, [[1, 6, 3], [3, 6, 3]]);
    }
  });

  it('out[:, -1] of a bidirectional GRU of fixed length (the backward half after one step): a Cropping1D of the concatenated sequence', async () => {
    const bytes = fixture('bi_last');
    const m = await loadOnnx(bytes);
    assert.deepEqual(classes(m), ['Bidirectional', 'Cropping1D', 'Reshape', 'Dense']);
    await agrees(m, bytes, [[1, 6, 3], [3, 6, 3]]);
  });

  it('x.reshape(B, x.size(1), 2, -1) with the time axis open: a Reshape keeping the open axis', async () => {
    const bytes = fixture('view_b_t_2_neg1_open');
    const m = await loadOnnx(bytes);
    assert.deepEqual(classes(m), ['LSTM', 'Reshape']);
    assert.deepEqual(m.layers[1]!.getConfig().targetShape, [-1, 2, 2]);
    await agrees(m, bytes, [[1, 6, 3], [3, 9, 3]]);
  });

  it('a seq2seq LSTM (2 layers): encoder states into a decoder run step by step on a start token and then its own output', async () => {
    const bytes = fixture('s2s_lstm');
    const m = await loadOnnx(bytes);
    // Encoder: 2 LSTMs; decoder: 3 steps of 2 LSTMs and the Linear; the start token a frozen zero-kernel Dense.
    assert.equal(classes(m).filter((c) => c === 'LSTM').length, 8);
    const start = m.layers.filter((l) => l.name.startsWith('start_constant') && l.className === 'Dense');
    assert.equal(start.length, 1);
    assert.equal(start[0]!.trainable, false);
    assert.ok((start[0]!.getWeights()[0]!.data as Float32Array).every((v) => v === 0));
    assert.ok(classes(m).includes('Concatenate'));
    await agrees(m, bytes, [[1, 5, 3], [3, 5, 3]]);
  });

  it('a seq2seq with a bidirectional GRU encoder: h_n.view(1, 2, B, H) and torch.cat([h[:, 0], h[:, 1]], 2) as the decoder’s initial state', async () => {
    const bytes = fixture('s2s_bigru');
    const m = await loadOnnx(bytes);
    assert.deepEqual(classes(m).filter((c) => c === 'Bidirectional' || c === 'GRU'), ['Bidirectional', 'GRU', 'GRU', 'GRU']);
    await agrees(m, bytes, [[1, 5, 3], [3, 5, 3]]);
  });
});

describe('loadOnnx: Conv1d padding_mode replicate / reflect on a fixed length', () => {
  it('Pad mode edge / reflect along time: one-step Cropping1D layers and the sequence joined by a Concatenate along time', async () => {
    for (const name of ['pad_replicate', 'pad_reflect']) {
      const bytes = fixture(name);
      const m = await loadOnnx(bytes);
      assert.deepEqual(
        classes(m).filter((c) => c !== 'InputLayer' && c !== 'Cropping1D'),
        ['Concatenate', 'Conv1D', 'MaxPooling1D', 'LSTM', 'Dense'],
      );
      // Padding 2 on each side: edge copies steps 0 and 7 (2 crops), reflect steps 2, 1 and 6, 5 (4 crops).
      const crops = m.layers.filter((l) => l.className === 'Cropping1D').map((l) => l.getConfig().cropping);
      assert.deepEqual(crops, name === 'pad_replicate' ? [[0, 7], [7, 0]] : [[2, 5], [1, 6], [6, 1], [5, 2]]);
      await agrees(m, bytes, [[1, 8, 3], [3, 8, 3]]);
    }
  });

  it('refuses them on an open length', async () => {
    await refused(fixture('pad_replicate_open'), /Pad '\/conv\/Pad': mode 'edge' along time of a sequence of open length/);
  });
});

describe('loadOnnx: refusals of PyTorch 2.x patterns no rnnkit layer computes', () => {
  it('x[:, 0] of a sequence of open length', async () => {
    await refused(fixture('slice_first_open'), /Gather '\/Gather': step 0 of a sequence of open length \(x\[:, 0\]\).*no rnnkit layer picks one step/);
  });

  it('a start token carried by the state of a relu RNN (not bounded: 0 · h could be NaN where ONNX has the token)', async () => {
    await refused(fixture('s2s_relu_rnn'), /RNN '\/decoder\/RNN': input X is a constant expanded over the batch, and its initial state h is not a recurrent layer's final state with bounded activations/);
  });

  it('a reshape by a length read from another tensor that loadOnnx cannot follow (through a Conv1d)', async () => {
    await refused(fixture('conv_view_t_open'), /Reshape '\/Reshape': a Reshape to \[B, T, 2, -1\] with a run-time length T that loadOnnx cannot prove/);
  });
});

describe('a model file that went through a text conversion', () => {
  // What a text filter does to a binary file: bytes that are not UTF-8 become U+FFFD (EF BF BD).
  const converted = (bytes: Uint8Array): Uint8Array => new TextEncoder().encode(new TextDecoder().decode(bytes));

  it('ONNX: says so instead of a protobuf length error', async () => {
    await assert.rejects(loadOnnx(converted(fixture('slice_first'))), (e: Error) => {
      assert.match(e.message, /looks like it went through a text conversion .*EF BF BD.*download the file in binary mode/);
      return true;
    });
  });

  it('Keras .h5: the HDF5 signature’s 0x89 became EF BF BD', async () => {
    const h5 = new Uint8Array(readFileSync(new URL('./fixtures/keras2-sequential.h5', import.meta.url)));
    await assert.rejects(loadModel({ h5File: converted(h5) }), (e: Error) => {
      assert.match(e.message, /not an HDF5 file.*looks like it went through a text conversion/);
      return true;
    });
  });

  it('Keras .keras: the zip’s offsets are garbled', async () => {
    const zip = new Uint8Array(readFileSync(new URL('./fixtures/keras3-sequential-lstm.keras', import.meta.url)));
    await assert.rejects(loadModel({ kerasFile: converted(zip) }), (e: Error) => {
      assert.match(e.message, /not a readable \.keras zip.*looks like it went through a text conversion/);
      return true;
    });
  });
});

describe('loadOnnx: tf2onnx’s form of Keras’s fused LayerNormalization (a graph written after tf2onnx’s sources)', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(-0.9, 0.9)).buffer);
  const init = (name: string, dims: number[]): TensorDef => ({ name, dtype: DType.float, dims, raw: f32(dims.reduce((a, d) => a * d, 1)) });
  const ints = (name: string, dims: number[], ...v: number[]): TensorDef => ({ name, dtype: DType.int64, dims, raw: new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer) });
  const i32 = (name: string, ...v: number[]): TensorDef => ({ name, dtype: DType.int32, dims: [], raw: new Uint8Array(Int32Array.from(v).buffer) });
  const scalar = (name: string, v: number): TensorDef => ({ name, dtype: DType.float, dims: [], raw: new Uint8Array(Float32Array.of(v).buffer) });
  const node = (op: string, inputs: string[], outputs: string[], attrs: NodeDef['attrs'] = []): NodeDef => ({ op, inputs, outputs, name: `ln/${op}_${outputs[0]}`, attrs });

  /**
   * x [B, T, 3] · W [3, 5] = h, then Keras's fused path on h as tf2onnx converts it at opset 13:
   * tf.shape (Shape, Cast int32), pre_dim / in_dim (Slice, ReduceProd), the squeezed shape
   * (Pack: Unsqueeze, Concat; Cast int64), Reshape; tf.ones / tf.zeros([pre_dim]) (Fill →
   * Expand); the BatchNorm handler's statistics (ReduceMean [0, 2, 3], Squeeze, Sub,
   * ReduceSumSquare, Shape → Gather → ReduceProd → Cast, Div); BatchNormalization; Reshape to
   * tf.shape; γ and β (Mul, Add). `count` replaces the count F (a tampered graph).
   */
  function fused(T: number | string, count: string | null = null): Uint8Array {
    const nodes: NodeDef[] = [
      node('MatMul', ['x', 'W'], ['h']),
      node('Shape', ['h'], ['s64']),
      node('Cast', ['s64'], ['s'], [{ name: 'to', value: 6 }]),
      node('Slice', ['s', 'zero', 'two', 'zero'], ['s01']),
      node('ReduceProd', ['s01'], ['pre'], [{ name: 'axes', value: [0] }, { name: 'keepdims', value: 0 }]),
      node('Slice', ['s', 'two', 'three', 'zero'], ['s2']),
      node('ReduceProd', ['s2'], ['indim'], [{ name: 'axes', value: [0] }, { name: 'keepdims', value: 0 }]),
      node('Unsqueeze', ['one32', 'zero'], ['one1']),
      node('Unsqueeze', ['pre', 'zero'], ['pre1']),
      node('Unsqueeze', ['indim', 'zero'], ['in1']),
      node('Concat', ['one1', 'pre1', 'in1', 'one1'], ['sq'], [{ name: 'axis', value: 0 }]),
      node('Cast', ['sq'], ['sq64'], [{ name: 'to', value: 7 }]),
      node('Reshape', ['h', 'sq64'], ['h4']),
      node('Cast', ['pre1'], ['fill64'], [{ name: 'to', value: 7 }]),
      node('Expand', ['onef', 'fill64'], ['ones']),
      node('Expand', ['zerof', 'fill64'], ['zeros']),
      node('ReduceMean', ['h4'], ['avg'], [{ name: 'axes', value: [0, 2, 3] }, { name: 'keepdims', value: 1 }]),
      node('Squeeze', ['avg', 'axes023'], ['avgsq']),
      node('Sub', ['h4', 'avg'], ['sub']),
      node('ReduceSumSquare', ['sub'], ['varsum'], [{ name: 'axes', value: [0, 2, 3] }, { name: 'keepdims', value: 0 }]),
      node('Shape', ['h4'], ['sh4']),
      node('Gather', ['sh4', 'axes023'], ['rd']),
      node('ReduceProd', ['rd'], ['cnt'], [{ name: 'axes', value: [0] }, { name: 'keepdims', value: 0 }]),
      node('Cast', ['cnt'], ['cntf'], [{ name: 'to', value: 1 }]),
      node('Div', ['varsum', count ?? 'cntf'], ['popvar']),
      node('BatchNormalization', ['h4', 'ones', 'zeros', 'avgsq', 'popvar'], ['bn'], [{ name: 'epsilon', value: { float: 0.001 } }]),
      node('Cast', ['s'], ['back'], [{ name: 'to', value: 7 }]),
      node('Reshape', ['bn', 'back'], ['n']),
      node('Mul', ['n', 'gamma'], ['g']),
      node('Add', ['g', 'beta'], ['y']),
    ];
    const initializers = [
      init('W', [3, 5]), init('gamma', [5]), init('beta', [5]),
      ints('zero', [1], 0), ints('two', [1], 2), ints('three', [1], 3), ints('axes023', [3], 0, 2, 3), i32('one32', 1),
      scalar('onef', 1), scalar('zerof', 0), ...(count === 'six' ? [scalar('six', 6)] : []),
    ];
    return encodeModel({ irVersion: 8, opset: 13, producerName: 'tf2onnx', producerVersion: '1.16', graphName: 'g', docString: '', nodes, initializers, inputs: [{ name: 'x', dtype: DType.float, dims: ['B', T, 3] }], outputs: [{ name: 'y', dtype: DType.float, dims: ['B', T, 5] }] });
  }

  it('reads as Dense → LayerNormalization(ε) with γ and β, on an open and on a fixed length', async () => {
    for (const [T, shapes] of [['T', [[1, 4, 3], [3, 7, 3]]], [4, [[1, 4, 3], [3, 4, 3]]]] as const) {
      const bytes = fused(T);
      const m = await loadOnnx(bytes);
      assert.deepEqual(classes(m), ['Dense', 'LayerNormalization']);
      const cfg = m.layers[1]!.getConfig();
      assert.equal(cfg.epsilon, Math.fround(0.001));
      assert.equal(m.layers[1]!.getWeights().length, 2);
      await agrees(m, bytes, shapes.map((s) => [...s]));
    }
  });

  it('Keras 3’s LayerNormalization op by op (x · inv·γ + ((−mean) · inv·γ + β)) is a LayerNormalization too', async () => {
    // As tf2onnx writes keras.layers.LayerNormalization of Keras 3 (Abdullah12389/Crypto_Assistant's lstm_model.onnx).
    const axes = [{ name: 'axes', value: [-1] }, { name: 'keepdims', value: 1 }];
    const nodes: NodeDef[] = [
      node('MatMul', ['x', 'W'], ['h']),
      node('ReduceMean', ['h'], ['mean'], axes),
      node('Neg', ['mean'], ['nm']),
      node('Sub', ['h', 'mean'], ['d']),
      node('Mul', ['d', 'd'], ['sq']),
      node('ReduceMean', ['sq'], ['var'], axes),
      node('Add', ['var', 'eps'], ['ve']),
      node('Sqrt', ['ve'], ['sd']),
      node('Reciprocal', ['sd'], ['inv']),
      node('Mul', ['inv', 'gamma'], ['ig']),
      node('Mul', ['h', 'ig'], ['xs']),
      node('Mul', ['nm', 'ig'], ['sh']),
      node('Add', ['sh', 'beta'], ['shb']),
      node('Add', ['xs', 'shb'], ['y']),
    ];
    const bytes = encodeModel({ irVersion: 8, opset: 13, producerName: 'tf2onnx', producerVersion: '1.16', graphName: 'g', docString: '', nodes, initializers: [init('W', [3, 5]), init('gamma', [1, 5]), init('beta', [1, 5]), scalar('eps', 0.001)], inputs: [{ name: 'x', dtype: DType.float, dims: ['B', 'T', 3] }], outputs: [{ name: 'y', dtype: DType.float, dims: ['B', 'T', 5] }] });
    const m = await loadOnnx(bytes);
    assert.deepEqual(classes(m), ['Dense', 'LayerNormalization']);
    assert.equal(m.layers[1]!.getWeights().length, 2);
    await agrees(m, bytes, [[1, 4, 3], [3, 7, 3]]);
  });

  it('statistics divided by another count than F are refused', async () => {
    await refused(fused('T', 'six'), /Div 'ln\/Div_popvar': reads step 'sumsq' of tf2onnx's form of Keras's fused LayerNormalization/);
  });
});
