/**
 * ONNX import of the patterns published files use beyond the recurrent core: external data
 * files, LayerNormalization (the op and its decomposed forms), attention pooling over time
 * (PyTorch's "LSTM + attention" classifiers), and tf2onnx's RepeatVector / TimeDistributed
 * Dense. Fixtures: test/fixtures/onnx-patterns (tools/onnx_pattern_fixtures.py, torch 1.13)
 * and graphs written here with encodeModel; expected outputs come from onnxruntime-node on
 * the same bytes at two batch sizes. Variants that compute something else are refused.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../src/core/rng.js';
import { agreesWithOnnxruntime, maxDiff, refusedOnnx } from './helpers/onnx.js';
import { encodeModel, DType, type ModelDef, type NodeDef, type TensorDef } from '../src/io/onnx/proto.js';
import { exportOnnx, layers, loadOnnx, ModelFormatError, sequential, Tensor, tensor, type Model } from '../src/index.js';

const DIR = new URL('./fixtures/onnx-patterns/', import.meta.url).pathname;
const rng = new Rng(17);

const f32 = (n: number, lo = -0.8, hi = 0.8): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi)).buffer);
const i64 = (...v: number[]): Uint8Array => new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer);
const init = (name: string, dims: number[], raw = f32(dims.reduce((a, d) => a * d, 1))): TensorDef => ({ name, dtype: DType.float, dims, raw });
const ints = (name: string, ...v: number[]): TensorDef => ({ name, dtype: DType.int64, dims: [v.length], raw: i64(...v) });
const node = (op: string, inputs: string[], outputs: string[], attrs: NodeDef['attrs'] = []): NodeDef => ({ op, inputs, outputs, name: `/${op}_${outputs[0]}`, attrs });

function graph(nodes: NodeDef[], initializers: TensorDef[], inputDims: (number | string)[], opset = 13, output = 'y'): Uint8Array {
  const m: ModelDef = { irVersion: 8, opset, producerName: 'test', producerVersion: '1', graphName: 'g', docString: '', nodes, initializers, inputs: [{ name: 'x', dtype: DType.float, dims: inputDims }], outputs: [{ name: output, dtype: DType.float, dims: [] }] };
  return encodeModel(m);
}

const agrees = (m: Model, bytes: Uint8Array, shapes: number[][], sessionOptions: ort.InferenceSession.SessionOptions = {}, tm = false): Promise<number> =>
  agreesWithOnnxruntime(m, bytes, shapes, rng, { layout: tm ? 'tbf' : 'btf', sessionOptions });
const refused = refusedOnnx;

describe('loadOnnx: external data', () => {
  // x [B, 3] · W [3, 2] + b: W and b in 'weights.bin' (b after 16 bytes of something else).
  const W = f32(6);
  const b = f32(2);
  const file = new Uint8Array(16 + 24 + 8);
  file.set(W, 16);
  file.set(b, 40);
  const model = (wLoc: string, extra: [string, string][] = [], bLoc = 'weights.bin'): Uint8Array =>
    graph(
      [node('MatMul', ['x', 'W'], ['mm']), node('Add', ['mm', 'b'], ['y'])],
      [
        { ...init('W', [3, 2], new Uint8Array(0)), external: [['location', wLoc], ['offset', '16'], ['length', '24'], ...extra] },
        { ...init('b', [2], new Uint8Array(0)), external: [['location', bLoc], ['offset', '40']] },
      ],
      ['B', 3],
    );
  const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-onnx-ext-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('reads the tensors from the file next to the model, given its path', async () =>
    withDir(async (dir) => {
      const bytes = model('weights.bin');
      writeFileSync(join(dir, 'm.onnx'), bytes);
      writeFileSync(join(dir, 'weights.bin'), file);
      const m = await loadOnnx(join(dir, 'm.onnx'));
      await agrees(m, bytes, [[2, 3], [5, 3]], { externalData: [{ path: 'weights.bin', data: file }] } as ort.InferenceSession.SessionOptions);
    }));

  it('reads them from options.externalData given bytes, and refuses bytes alone naming the tensor and file', async () => {
    const bytes = model('weights.bin');
    const m = await loadOnnx(bytes, { externalData: { 'weights.bin': file } });
    const x = tensor([1, 2, 3], [1, 3]);
    const wv = new Float32Array(W.buffer);
    const bv = new Float32Array(b.buffer);
    const want = [0, 1].map((u) => Math.fround(Math.fround(wv[u]! * 1 + wv[2 + u]! * 2 + wv[4 + u]! * 3) + bv[u]!));
    assert.ok(maxDiff((m.predict(x) as Tensor).data, want) < 1e-6);
    await assert.rejects(loadOnnx(bytes), (e: Error) => e instanceof ModelFormatError && /tensor 'W'.*external file "weights\.bin".*file path.*options\.externalData\["weights\.bin"\]/s.test(e.message));
    await assert.rejects(loadOnnx(bytes, { externalData: { 'other.bin': file } }), /external file "weights\.bin", which options\.externalData does not hold/);
    await assert.rejects(loadOnnx(bytes, { externalData: { 'weights.bin': file.subarray(0, 30) } }), /tensor 'W'.*holds 30 bytes; offset 16 and length 24 reach past its end/);
  });

  it('refuses locations outside the model directory: ../, absolute, a symbolic link out', async () =>
    withDir(async (dir) => {
      mkdirSync(join(dir, 'model'));
      writeFileSync(join(dir, 'weights.bin'), file);
      writeFileSync(join(dir, 'model', 'weights.bin'), file);
      symlinkSync(join(dir, 'weights.bin'), join(dir, 'model', 'link.bin'));
      const cases: [string, RegExp][] = [
        ['../weights.bin', /tensor 'W'.*"\.\.\/weights\.bin" leads outside the model's directory/],
        ['sub/../../weights.bin', /leads outside the model's directory/],
        [join(dir, 'weights.bin'), /is absolute or a URL/],
        ['link.bin', /"link\.bin" leads outside the model's directory \(through a symbolic link\)/],
        ['missing.bin', /"missing\.bin" does not exist/],
      ];
      for (const [loc, pattern] of cases) {
        writeFileSync(join(dir, 'model', 'm.onnx'), model(loc));
        await assert.rejects(loadOnnx(join(dir, 'model', 'm.onnx')), (e: Error) => e instanceof ModelFormatError && pattern.test(e.message), loc);
      }
    }));

  it('checks offset and length against the file size and maxBytes before reading, and the element count', async () =>
    withDir(async (dir) => {
      writeFileSync(join(dir, 'weights.bin'), file);
      const at = join(dir, 'm.onnx');
      writeFileSync(at, graph([node('MatMul', ['x', 'W'], ['y'])], [{ ...init('W', [3, 2], new Uint8Array(0)), external: [['location', 'weights.bin'], ['offset', '40'], ['length', '24']] }], ['B', 3]));
      await assert.rejects(loadOnnx(at), /tensor 'W'.*"weights\.bin" holds 48 bytes; offset 40 and length 24 reach past its end/);
      writeFileSync(at, graph([node('MatMul', ['x', 'W'], ['y'])], [{ ...init('W', [3, 2], new Uint8Array(0)), external: [['location', 'weights.bin'], ['offset', '1e3']] }], ['B', 3]));
      await assert.rejects(loadOnnx(at), /tensor 'W'.*external_data offset "1e3" is not a non-negative integer/);
      writeFileSync(at, graph([node('MatMul', ['x', 'W'], ['y'])], [{ ...init('W', [3, 2], new Uint8Array(0)), external: [['location', 'weights.bin'], ['length', '8']] }], ['B', 3]));
      await assert.rejects(loadOnnx(at), /tensor 'W'.*its external data holds 8 bytes, shape \[3, 2\] of float needs 24/);
      const bytes = model('weights.bin');
      writeFileSync(at, bytes);
      await assert.rejects(loadOnnx(at, { maxBytes: bytes.length + 30 }), /tensor 'b'.*past what maxBytes leaves after the model file \(30 bytes\)/);
      await loadOnnx(at, { maxBytes: bytes.length + 32 });
    }));
});

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, `${name}.onnx`)));
const layerNames = (m: Model): string[] => m.layers.map((l) => l.className);

describe('loadOnnx: PyTorch exports with LayerNorm and attention pooling give onnxruntime’s outputs', () => {
  const cases: [string, string[]][] = [
    ['layernorm_op17', ['LayerNormalization']],
    ['layernorm_op13', ['LayerNormalization']],
    ['layernorm_last_op17', ['LayerNormalization']],
    ['layernorm_last_op11', ['LayerNormalization']],
    ['attention_sum', ['Softmax', 'Dot']],
    ['attention_tanh_op11', ['Softmax', 'Dot']],
    ['attention_keepdim', ['Softmax', 'Dot']],
    ['attention_bmm', ['Softmax', 'Dot']],
    ['attention_vec_op11', ['Softmax', 'Dot']],
    ['attention_bi', ['Softmax', 'Dot']],
    ['attention_time_major', ['Softmax', 'Dot']],
    // onnx.helper graphs of tf2onnx's forms of a Keras LayerNormalization (see the tool's comment)
    ['tf2onnx_layernorm_moments', ['LayerNormalization']],
    ['tf2onnx_layernorm_instancenorm', ['LayerNormalization']],
  ];
  for (const [name, want] of cases) {
    it(name, async () => {
      const bytes = fixture(name);
      const m = await loadOnnx(bytes);
      for (const cls of want) assert.ok(layerNames(m).includes(cls), `${cls} in ${layerNames(m).join(', ')}`);
      await agrees(m, bytes, [[1, 6, 3], [4, 9, 3]], {}, name.endsWith('time_major'));
    });
  }
});

/** x [B, T, 3] · W [3, 4] (a Dense) then `rest`, reading 'h'; W and any extra initializers given. */
function onSeq(rest: NodeDef[], extra: TensorDef[] = [], opset = 13, inputDims: (number | string)[] = ['B', 'T', 3]): Uint8Array {
  return graph([node('MatMul', ['x', 'W'], ['h']), ...rest], [init('W', [inputDims[inputDims.length - 1] as number, 4]), ...extra], inputDims, opset);
}
const scalar = (name: string, v: number): TensorDef => ({ name, dtype: DType.float, dims: [], raw: new Uint8Array(Float32Array.of(v).buffer) });

describe('loadOnnx: layer normalization forms', () => {
  // tf.nn.moments-style: the square as Mul by itself, 1/√ as Reciprocal then Mul; γ and β after.
  const decomposed = (axes: number[], sq: 'Mul' | 'Pow' = 'Mul'): NodeDef[] => [
    node('ReduceMean', ['h'], ['mean'], [{ name: 'axes', value: axes }]),
    node('Sub', ['h', 'mean'], ['d']),
    sq === 'Mul' ? node('Mul', ['d', 'd'], ['sq']) : node('Pow', ['d', 'two'], ['sq']),
    node('ReduceMean', ['sq'], ['var'], [{ name: 'axes', value: axes }]),
    node('Add', ['eps', 'var'], ['ve']),
    node('Sqrt', ['ve'], ['sd']),
    node('Reciprocal', ['sd'], ['r']),
    node('Mul', ['d', 'r'], ['n']),
    node('Mul', ['n', 'gamma'], ['g']),
    node('Add', ['g', 'beta'], ['y']),
  ];
  const consts = [scalar('eps', 1e-3), scalar('two', 2), init('gamma', [4]), init('beta', [4])];

  it('Mul-by-itself and Reciprocal variant, γ and β folded: one LayerNormalization layer', async () => {
    const bytes = onSeq(decomposed([-1]), consts);
    const m = await loadOnnx(bytes);
    assert.deepEqual(layerNames(m), ['Dense', 'LayerNormalization']);
    await agrees(m, bytes, [[2, 5, 3], [3, 1, 3]]);
  });

  it('TF batch_normalization without γ (x · inv) or β (Neg of mean · inv) folds into one layer', async () => {
    const bn = (withGamma: boolean): NodeDef[] => [
      ...decomposed([2]).slice(0, 7), // mean, d, sq, var, ve, sd, r = 1/sd
      ...(withGamma ? [node('Mul', ['gamma', 'r'], ['invg'])] : [node('Identity', ['r'], ['invg'])]),
      node('Mul', ['invg', 'h'], ['xs']),
      node('Mul', ['mean', 'invg'], ['ms']),
      node('Neg', ['ms'], ['shift']),
      node('Add', ['shift', 'xs'], ['y']),
    ];
    for (const withGamma of [true, false]) {
      const bytes = onSeq(bn(withGamma), consts);
      const m = await loadOnnx(bytes);
      assert.deepEqual(layerNames(m), ['Dense', 'LayerNormalization']);
      assert.equal(m.layers[1]!.getWeights().length, withGamma ? 1 : 0);
      await agrees(m, bytes, [[2, 5, 3], [3, 1, 3]]);
    }
    // x · inv·γ with the shift of another γ is not a layer normalization rnnkit reads.
    const other = onSeq([...bn(true).slice(0, 8), node('Mul', ['invg', 'h'], ['xs']), node('Mul', ['r', 'mean'], ['ms']), node('Neg', ['ms'], ['shift']), node('Add', ['shift', 'xs'], ['y'])], consts);
    await refused(other, /Add '\/Add_y': reads step 'shift' of a decomposed layer normalization/);
  });

  it('an InstanceNormalization with per-channel scale is refused', async () => {
    const inorm = onSeq([node('InstanceNormalization', ['h', 'gamma', 'beta'], ['y'])], [init('gamma', [5]), init('beta', [5])], 13, ['B', 5, 3]);
    await refused(inorm, /scale \/ B other than ones \/ zeros/);
  });

  it('refuses the statistics over time, and the LayerNormalization op over two axes or with its Mean output used', async () => {
    // The mean over time with keepdims is read (GlobalAveragePooling1D, onnxConv.test.ts); x minus it, broadcast over time, is not.
    await refused(onSeq(decomposed([1]), consts), /Sub .*operands of different shapes or layouts/);
    const op = (axis: number, outs = ['y']): Uint8Array => onSeq([node('LayerNormalization', ['h', 'gamma', 'beta'], outs, [{ name: 'axis', value: axis }])], consts.slice(2), 17, ['B', 5, 3]);
    const ok = op(-1);
    await agrees(await loadOnnx(ok), ok, [[2, 5, 3]]);
    // Without B: a LayerNormalization layer with center false (γ only).
    const noBias = onSeq([node('LayerNormalization', ['h', 'gamma'], ['y'], [{ name: 'epsilon', value: { float: 0.01 } }])], consts.slice(2, 3), 17, ['B', 5, 3]);
    const mNoBias = await loadOnnx(noBias);
    assert.equal(mNoBias.layers[1]!.getWeights().length, 1);
    await agrees(mNoBias, noBias, [[2, 5, 3]]);
    await refused(op(1), /LayerNormalization.*axis 1 normalises over the last 2 axes/);
    const withMean = graph([node('MatMul', ['x', 'W'], ['h']), node('LayerNormalization', ['h', 'gamma', 'beta'], ['n', 'mu']), node('Add', ['n', 'mu'], ['y'])], [init('W', [3, 4]), ...consts.slice(2)], ['B', 5, 3], 17);
    await refused(withMean, /its Mean \/ InvStdDev outputs are used/);
  });
});

describe('loadOnnx: attention pooling forms', () => {
  const pool = (softmaxAxis: number, sumAxis: number): NodeDef[] => [
    node('MatMul', ['h', 'v'], ['s']), // [B, T, 1]
    node('Softmax', ['s'], ['w'], [{ name: 'axis', value: softmaxAxis }]),
    node('Mul', ['w', 'h'], ['p']),
    node('ReduceSum', ['p', 'axes'], ['y'], [{ name: 'keepdims', value: 0 }]),
  ];
  const extra = (sumAxis: number): TensorDef[] => [init('v', [4, 1]), ints('axes', sumAxis)];

  it('a softmax over the features of [B, T, 1] scores (all ones) is a plain sum over time, as onnxruntime computes', async () => {
    const bytes = onSeq(pool(-1, 1), extra(1));
    await agrees(await loadOnnx(bytes), bytes, [[2, 5, 3], [3, 2, 3]]);
    const overTime = onSeq(pool(1, 1), extra(1));
    await agrees(await loadOnnx(overTime), overTime, [[2, 5, 3], [3, 2, 3]]);
  });

  it('refuses a ReduceSum over the features, and over time of a sequence without weights', async () => {
    await refused(onSeq(pool(1, 2), extra(2)), /ReduceSum '\/ReduceSum_y'.*other than the lengths/);
    await refused(onSeq([node('ReduceSum', ['h', 'axes'], ['y'], [{ name: 'keepdims', value: 0 }])], [ints('axes', 1)]), /ReduceSum over time of something other than per-step weights/);
    await refused(onSeq([node('Mul', ['h', 'h'], ['p']), node('ReduceSum', ['p', 'axes'], ['y'], [{ name: 'keepdims', value: 0 }])], [ints('axes', 1)]), /ReduceSum over time of something other than per-step weights/);
  });

  it('a softmax over the batch axis is refused; the mean over time is GlobalAveragePooling1D', async () => {
    await refused(onSeq([node('Softmax', ['h'], ['y'], [{ name: 'axis', value: 0 }])]), /softmax over the batch axis/);
    const mean = onSeq([node('ReduceMean', ['h'], ['y'], [{ name: 'axes', value: [1] }, { name: 'keepdims', value: 0 }])]);
    const m = await loadOnnx(mean);
    assert.deepEqual(layerNames(m), ['Dense', 'GlobalAveragePooling1D']);
    await agrees(m, mean, [[2, 5, 3], [3, 7, 3]]);
  });
});

describe('loadOnnx: tf2onnx RepeatVector and TimeDistributed Dense', () => {
  // Keras: Dense(4) on [B, 3] → RepeatVector(6) (expand_dims + tile) → TimeDistributed(Dense(2)) (reshape → matmul → add → reshape).
  const autoenc = (repeat: NodeDef, back: number[]): Uint8Array =>
    graph(
      [
        node('MatMul', ['x', 'W'], ['h']),
        node('Unsqueeze', ['h', 'one'], ['h1']),
        repeat,
        node('Reshape', ['r', 'flat'], ['rows']),
        node('MatMul', ['rows', 'K'], ['mm']),
        node('Add', ['mm', 'b'], ['z']),
        node('Relu', ['z'], ['a']),
        node('Reshape', ['a', 'back'], ['y']),
      ],
      [init('W', [3, 4]), ints('one', 1), ints('reps', 1, 6, 1), ints('to', 1, 6, 4), ints('flat', -1, 4), init('K', [4, 2]), init('b', [2]), ints('back', ...back)],
      ['B', 3],
    );

  it('Tile and Expand of the unsqueezed vector become RepeatVector, the reshaped MatMul a Dense on the sequence', async () => {
    for (const rep of [node('Tile', ['h1', 'reps'], ['r']), node('Expand', ['h1', 'to'], ['r'])]) {
      const bytes = autoenc(rep, [-1, 6, 2]);
      const m = await loadOnnx(bytes);
      assert.deepEqual(layerNames(m), ['Dense', 'RepeatVector', 'Dense']);
      await agrees(m, bytes, [[2, 3], [5, 3]]);
    }
  });

  it('refuses rows reshaped to another length, and a Tile along the features', async () => {
    await refused(autoenc(node('Tile', ['h1', 'reps'], ['r']), [-1, 3, 4]), /reshaped to \[-1, 3, 4\] \(only back to \[-1, 6, 2\]\)/);
    const tileF = graph([node('MatMul', ['x', 'W'], ['h']), node('Unsqueeze', ['h', 'one'], ['h1']), node('Tile', ['h1', 'reps'], ['y'])], [init('W', [3, 4]), ints('one', 1), ints('reps', 1, 1, 2)], ['B', 3]);
    await refused(tileF, /Tile of a \[B, 1, F\] step other than along its time axis/);
    const huge = graph([node('MatMul', ['x', 'W'], ['h']), node('Unsqueeze', ['h', 'one'], ['h1']), node('Tile', ['h1', 'reps'], ['y'])], [init('W', [3, 4]), ints('one', 1), ints('reps', 1, 2 ** 40, 1)], ['B', 3]);
    await assert.rejects(loadOnnx(huge), (e: Error) => e instanceof ModelFormatError && /repeats 4 features 1099511627776 times.*more than maxBytes/.test(e.message));
  });
});

describe('loadOnnx: rnnkit’s own exports of these layers come back', () => {
  it('LayerNormalization, GlobalAveragePooling1D and RepeatVector round-trip through exportOnnx with the same predictions', async () => {
    const models = [
      sequential({ layers: [layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.layerNormalization({}), layers.dense({ units: 2 })] }),
      sequential({ layers: [layers.gru({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.globalAveragePooling1d({}), layers.dense({ units: 2 })] }),
      sequential({ layers: [layers.dense({ units: 4, inputShape: [3] }), layers.repeatVector({ n: 5 }), layers.lstm({ units: 3, returnSequences: true }), layers.dense({ units: 2 })] }),
    ];
    for (const m of models) {
      const back = await loadOnnx(await exportOnnx(m));
      assert.deepEqual(layerNames(back), layerNames(m));
      const x = m.inputs[0]!.shape.length === 2 ? tensor(Array.from({ length: 6 }, (_, i) => Math.sin(i)), [2, 3]) : tensor(Array.from({ length: 42 }, (_, i) => Math.sin(i)), [2, 7, 3]);
      assert.ok(maxDiff((back.predict(x) as Tensor).data, (m.predict(x) as Tensor).data) < 1e-6);
    }
  });
});
