/**
 * ONNX import of 1-D convolution and pooling graphs: PyTorch exports (torch 1.13, fixtures in
 * test/fixtures/onnx-conv written by tools/onnx_conv_fixtures.py) against onnxruntime-node on
 * the same bytes at two batch sizes and two lengths, rnnkit's own exports of its
 * convolutional layers read back (same layer classes, same predictions), graphs written here
 * for the pad / auto_pad forms, and the refusals: what rnnkit's layers cannot compute exactly.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { agreesWithOnnxruntime, refusedOnnx } from './helpers/onnx.js';
import { encodeModel, DType, type NodeDef, type TensorDef } from '../src/io/onnx/proto.js';
import { exportOnnx, layers, loadOnnx, sequential, Tensor, tensor, type Layer, type Model } from '../src/index.js';

const TOL = 1e-5;
const DIR = new URL('./fixtures/onnx-conv/', import.meta.url).pathname;
const rng = new Rng(23);

const agrees = (m: Model, bytes: Uint8Array, shapes: number[][], ncw = false): Promise<number> => agreesWithOnnxruntime(m, bytes, shapes, rng, { layout: ncw ? 'bft' : 'btf' });
const refused = refusedOnnx;
const fixture = (name: string): Uint8Array => readFileSync(`${DIR}${name}.onnx`);
const classes = (m: Model): string[] => m.layers.map((l) => l.className);




describe('loadOnnx: PyTorch Conv1d / pooling exports give onnxruntime’s outputs', () => {
  // name → the layers loadOnnx makes (every one at batch 1 and 3, lengths 12 and 17).
  const cases: [string, string[]][] = [
    ['cnn_lstm', ['Conv1D', 'MaxPooling1D', 'LSTM', 'Dense']],
    ['cnn_lstm_op11', ['Conv1D', 'MaxPooling1D', 'LSTM', 'Dense']],
    ['conv_even_pad', ['ZeroPadding1D', 'Conv1D']],
    ['conv_same', ['Conv1D']],
    ['conv_dilation_groups', ['Conv1D']],
    ['conv_stride', ['ZeroPadding1D', 'Conv1D']],
    ['conv_causal', ['ZeroPadding1D', 'Conv1D']],
    ['maxpool_pad', ['Conv1D', 'MaxPooling1D']],
    ['maxpool_stride', ['MaxPooling1D']],
    ['avgpool_pad', ['ZeroPadding1D', 'AveragePooling1D']],
    ['avgpool_exclude_same', ['AveragePooling1D']],
    ['convtranspose', ['Conv1DTranspose']],
    ['convtranspose_outpad', ['Conv1DTranspose', 'Cropping1D']],
    ['global_mean', ['Conv1D', 'GlobalAveragePooling1D', 'Dense']],
    ['global_max', ['Conv1D', 'GlobalMaxPooling1D', 'Dense']],
    ['adaptive_avg', ['Conv1D', 'GlobalAveragePooling1D', 'Reshape', 'Dense']],
    ['adaptive_max_flatten', ['Conv1D', 'GlobalMaxPooling1D', 'Flatten', 'Dense']],
    ['cnn_lstm_op9', ['Conv1D', 'MaxPooling1D', 'LSTM', 'Dense']],
    ['avgpool_pad_op9', ['ZeroPadding1D', 'AveragePooling1D']],
    ['conv_causal_op9', ['ZeroPadding1D', 'Conv1D']],
    ['global_max_op17', ['Conv1D', 'GlobalMaxPooling1D', 'Dense']],
  ];
  for (const [name, want] of cases) {
    it(name, async () => {
      const bytes = fixture(name);
      const m = await loadOnnx(bytes);
      assert.deepEqual(classes(m), want);
      const F = m.inputs[0]!.shape[2] as number;
      await agrees(m, bytes, [[1, 12, F], [3, 17, F]]);
    });
  }

  it('a CNN classifier on a fixed length flattened by nn.Flatten or x.view(x.size(0), -1): a Permute to ONNX’s element order, then Flatten', async () => {
    for (const name of ['cnn_flatten', 'cnn_view']) {
      const bytes = fixture(name);
      const m = await loadOnnx(bytes);
      assert.deepEqual(classes(m), ['Conv1D', 'MaxPooling1D', 'Permute', 'Flatten', 'Dense']);
      await agrees(m, bytes, [[1, 16, 3], [3, 16, 3]]);
    }
  });

  it('the padding modes and activations are the ones PyTorch’s pads and ops mean', async () => {
    const conf = async (name: string, i: number): Promise<Record<string, unknown>> => (await loadOnnx(fixture(name))).layers[i]!.getConfig();
    assert.equal((await conf('conv_same', 0)).padding, 'same'); // symmetric padding 2 of 5 taps
    assert.equal((await conf('conv_dilation_groups', 0)).padding, 'same'); // span 5, pads [2, 2]
    assert.equal((await conf('conv_dilation_groups', 0)).groups, 2);
    assert.deepEqual((await conf('conv_even_pad', 0)).padding, [2, 2]); // pads [2, 2] of 4 taps: no Keras mode
    assert.equal((await conf('conv_stride', 1)).activation, 'tanh'); // the Tanh after the Conv folds in
    assert.equal((await conf('cnn_lstm', 0)).activation, 'relu');
    assert.equal((await conf('maxpool_pad', 1)).padding, 'same');
  });

  it('a [B, C, T] graph input straight into the Conv is read channels-last: rnnkit’s input is [B, T, C]', async () => {
    const bytes = fixture('ncw_input');
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.inputs[0]!.shape, [null, null, 4]);
    assert.deepEqual(classes(m), ['Conv1D', 'GlobalAveragePooling1D', 'Dense']);
    await agrees(m, bytes, [[1, 12, 4], [3, 17, 4]], true);
  });

  it('a [B, C, T] output keeps ONNX’s layout where the length is fixed (a Permute last), and comes channels-last where it is open', async () => {
    const withoutBack = (T: number | string): Uint8Array =>
      encodeModel({
        irVersion: 8, opset: 13, producerName: 'test', producerVersion: '1', graphName: 'g', docString: '',
        nodes: [
          { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'in', attrs: [{ name: 'perm', value: [0, 2, 1] }] },
          { op: 'Conv', inputs: ['xt', 'W'], outputs: ['y'], name: 'conv', attrs: [{ name: 'pads', value: [1, 1] }] },
        ],
        initializers: [init('W', [4, 3, 3])],
        inputs: [{ name: 'x', dtype: DType.float, dims: ['B', T, 3] }],
        outputs: [{ name: 'y', dtype: DType.float, dims: [] }],
      });
    const fixed = withoutBack(9);
    const m = await loadOnnx(fixed);
    assert.deepEqual(classes(m), ['Conv1D', 'Permute']);
    await agrees(m, fixed, [[1, 9, 3], [3, 9, 3]]);
    const open = await loadOnnx(withoutBack('T'));
    assert.deepEqual(classes(open), ['Conv1D']);
    assert.deepEqual(open.outputs[0]!.shape, [null, null, 4]);
  });

  it('PyTorch’s Conv1d → LayerNorm → LSTM (test/fixtures/onnx, refused before) loads and agrees', async () => {
    const bytes = readFileSync(new URL('./fixtures/onnx/unsupported_conv_layernorm.onnx', import.meta.url).pathname);
    const m = await loadOnnx(bytes);
    assert.deepEqual(classes(m), ['Conv1D', 'LayerNormalization', 'LSTM']);
    await agrees(m, bytes, [[1, 12, 3], [3, 17, 3]]);
  });
});

describe('loadOnnx: rnnkit’s exports of its convolutional layers read back', () => {
  const roundTrip = async (layerList: Layer[], shapes: number[][]): Promise<void> => {
    const m = sequential({ layers: layerList });
    const bytes = await exportOnnx(m);
    const back = await loadOnnx(bytes);
    assert.deepEqual(classes(back), classes(m));
    let worst = 0;
    for (const dims of shapes) {
      const x = tensor(Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.uniformIn(-1, 1)), dims);
      const [a, b] = [m.predict(x) as Tensor, back.predict(x) as Tensor];
      assert.deepEqual(b.shape, a.shape);
      for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
    }
    assert.ok(worst <= TOL, `max |export → import − original| = ${worst}`);
    await agrees(back, bytes, shapes);
  };

  it('Conv1D (same, causal, strides, dilation, groups, activations), Max/AveragePooling1D, GlobalAveragePooling1D', () =>
    roundTrip(
      [
        layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [null, 3] }),
        layers.conv1d({ filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2 }),
        layers.conv1d({ filters: 6, kernelSize: 4, padding: 'same', strides: 2, activation: 'tanh' }),
        layers.conv1d({ filters: 4, kernelSize: 2, groups: 2, useBias: false }),
        layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        layers.averagePooling1d({ poolSize: 2, padding: 'same' }),
        layers.averagePooling1d({ poolSize: 2, strides: 1 }),
        layers.globalAveragePooling1d(),
        layers.dense({ units: 2 }),
      ],
      [[2, 17, 3], [3, 24, 3]],
    ));

  it('Conv1DTranspose (valid, same, strides, outputPadding, dilation)', () =>
    roundTrip(
      [
        layers.conv1dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [null, 2] }),
        layers.conv1dTranspose({ filters: 2, kernelSize: 4, strides: 2 }),
        layers.conv1dTranspose({ filters: 2, kernelSize: 3, strides: 3, outputPadding: 1 }),
        layers.conv1dTranspose({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same' }),
        layers.conv1dTranspose({ filters: 2, kernelSize: 4, strides: 2, padding: 'same', outputPadding: 1 }),
      ],
      [[2, 5, 2], [1, 8, 2]],
    ));

  it('ZeroPadding1D, Cropping1D, UpSampling1D, GlobalMaxPooling1D with keepdims', () =>
    roundTrip(
      [
        layers.zeroPadding1d({ padding: [2, 1], inputShape: [null, 3] }),
        layers.cropping1d({ cropping: [1, 2] }),
        layers.upSampling1d({ size: 3 }),
        layers.cropping1d({ cropping: [0, 1] }),
        layers.globalMaxPooling1d({ keepdims: true }),
      ],
      [[2, 6, 3], [1, 9, 3]],
    ));

  it('Flatten, Reshape, Permute (inside and as the output)', async () => {
    await roundTrip([layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [8, 3] }), layers.flatten(), layers.dense({ units: 2 })], [[2, 8, 3], [3, 8, 3]]);
    await roundTrip([layers.reshape({ targetShape: [4, 6], inputShape: [8, 3] }), layers.permute({ dims: [2, 1] }), layers.dense({ units: 2 })], [[2, 8, 3], [3, 8, 3]]);
    await roundTrip([layers.dense({ units: 4, inputShape: [8, 3] }), layers.permute({ dims: [2, 1] })], [[2, 8, 3]]);
  });

  it('BatchNormalization (Sub, Mul, Add in the export); nn.BatchNorm1d on [B, C, T] as PyTorch writes it (read before too)', async () => {
    const torchBytes = fixture('batchnorm_ncw');
    const torchModel = await loadOnnx(torchBytes);
    assert.deepEqual(classes(torchModel), ['BatchNormalization', 'Activation']);
    await agrees(torchModel, torchBytes, [[1, 12, 3], [3, 17, 3]]);
    const bn = layers.batchNormalization();
    const m = [layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [null, 3] }), bn, layers.globalMaxPooling1d()];
    sequential({ layers: m });
    // Statistics other than the initial zeros and ones, so the Sub and Mul carry something.
    bn.setWeights([tensor([1.2, 0.7, 1, 0.9], [4]), tensor([0.1, -0.2, 0, 0.3], [4]), tensor([0.5, -0.3, 0.2, 0], [4]), tensor([0.6, 1.4, 1, 2], [4])]);
    await roundTrip(m, [[2, 8, 3], [1, 11, 3]]);
  });

  it('GlobalAveragePooling1D over a masked sequence (a mask-weighted mean in the export) is refused by name', async () => {
    const bytes = await exportOnnx(sequential({ layers: [layers.masking({ maskValue: 0, inputShape: [null, 3] }), layers.globalAveragePooling1d()] }));
    await refused(bytes, /rnnkit's export of GlobalAveragePooling1D \/ GlobalMaxPooling1D on a masked sequence .* is not read back/);    // A masked sequence pooled by the plain op (every step, as ONNX computes it) is not rnnkit's masked pooling: refused too.
    const plain = await exportOnnx(sequential({ layers: [layers.masking({ maskValue: 0, inputShape: [null, 3] }), layers.dense({ units: 2 })] }));
    const m = await loadOnnx(plain);
    assert.deepEqual(classes(m), ['Masking', 'Dense']);
    const pooled = encodeModel({
      irVersion: 8, opset: 13, producerName: 'test', producerVersion: '1', graphName: 'g', docString: '',
      nodes: [
        { op: 'Equal', inputs: ['x', 'zero'], outputs: ['eq'], name: 'eq', attrs: [] },
        { op: 'Not', inputs: ['eq'], outputs: ['ne'], name: 'ne', attrs: [] },
        { op: 'Cast', inputs: ['ne'], outputs: ['nef'], name: 'nef', attrs: [{ name: 'to', value: 1 }] },
        { op: 'ReduceSum', inputs: ['nef', 'two'], outputs: ['count'], name: 'count', attrs: [{ name: 'keepdims', value: 1 }] },
        { op: 'Greater', inputs: ['count', 'zerof'], outputs: ['keep'], name: 'keep', attrs: [] },
        { op: 'Cast', inputs: ['keep'], outputs: ['keepf'], name: 'keepf', attrs: [{ name: 'to', value: 1 }] },
        { op: 'Mul', inputs: ['x', 'keepf'], outputs: ['masked'], name: 'masked', attrs: [] },
        { op: 'ReduceMean', inputs: ['masked'], outputs: ['y'], name: 'mean', attrs: [{ name: 'axes', value: [1] }, { name: 'keepdims', value: 0 }] },
      ],
      initializers: [
        { name: 'zero', dtype: DType.float, dims: [], raw: new Uint8Array(4) },
        { name: 'zerof', dtype: DType.float, dims: [], raw: new Uint8Array(4) },
        { name: 'two', dtype: DType.int64, dims: [1], raw: new Uint8Array(BigInt64Array.of(2n).buffer) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['B', 'T', 3] }],
      outputs: [{ name: 'y', dtype: DType.float, dims: [] }],
    });
    await refused(pooled, /mean: reads the masked output of Masking 'masked' \(the ONNX graph uses every step/);
  });
});

// ---- Graphs written here -----------------------------------------------------------------

const f32 = (n: number): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(-0.8, 0.8)).buffer);
const init = (name: string, dims: number[]): TensorDef => ({ name, dtype: DType.float, dims, raw: f32(dims.reduce((a, d) => a * d, 1)) });
type Attrs = NodeDef['attrs'];

/** x [B, T, 3] → Transpose → op (W [4, 3, K] for Conv / ConvTranspose) → Transpose → y. */
function around(op: string, attrs: Attrs, K = 3, opset = 13, W: number[] | null = null): Uint8Array {
  const inputs = ['xt'];
  const inits: TensorDef[] = [];
  if (op === 'Conv' || op === 'ConvTranspose') {
    inits.push(init('W', W ?? (op === 'Conv' ? [4, 3, K] : [3, 4, K])), init('b', [4]));
    inputs.push('W', 'b');
  }
  const nodes: NodeDef[] = [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'in', attrs: [{ name: 'perm', value: [0, 2, 1] }] },
    { op, inputs, outputs: ['h'], name: op.toLowerCase(), attrs },
    { op: 'Transpose', inputs: ['h'], outputs: ['y'], name: 'out', attrs: [{ name: 'perm', value: [0, 2, 1] }] },
  ];
  return encodeModel({ irVersion: 8, opset, producerName: 'test', producerVersion: '1', graphName: 'g', docString: '', nodes, initializers: inits, inputs: [{ name: 'x', dtype: DType.float, dims: ['B', 'T', 3] }], outputs: [{ name: 'y', dtype: DType.float, dims: [] }] });
}

describe('loadOnnx: pads and auto_pad of Conv and pooling ops', () => {
  const shapes = [[1, 12, 3], [2, 17, 3]];
  const loads = async (bytes: Uint8Array, want: string[], padding?: unknown): Promise<void> => {
    const m = await loadOnnx(bytes);
    assert.deepEqual(classes(m), want);
    if (padding !== undefined) assert.deepEqual(m.layers[want.length - 1]!.getConfig().padding, padding);
    await agrees(m, bytes, shapes);
  };

  it('SAME_UPPER (any stride: floor(total / 2) before, as TensorFlow) and VALID; pads [span − 1, 0] are causal, [1, 2] of 4 taps same', async () => {
    await loads(around('Conv', [{ name: 'auto_pad', value: 'SAME_UPPER' }, { name: 'strides', value: [2] }], 4), ['Conv1D'], 'same');
    await loads(around('Conv', [{ name: 'auto_pad', value: 'VALID' }]), ['Conv1D'], 'valid');
    await loads(around('Conv', [{ name: 'pads', value: [4, 0] }, { name: 'dilations', value: [2] }]), ['Conv1D'], 'causal');
    await loads(around('Conv', [{ name: 'pads', value: [1, 2] }], 4), ['Conv1D'], 'same');
    await loads(around('Conv', [{ name: 'pads', value: [2, 1] }], 4), ['ZeroPadding1D', 'Conv1D'], 'valid');
    await loads(around('MaxPool', [{ name: 'kernel_shape', value: [3] }, { name: 'strides', value: [2] }, { name: 'auto_pad', value: 'SAME_UPPER' }]), ['MaxPooling1D'], 'same');
    await loads(around('AveragePool', [{ name: 'kernel_shape', value: [4] }, { name: 'auto_pad', value: 'SAME_UPPER' }, { name: 'strides', value: [3] }]), ['AveragePooling1D'], 'same');
  });

  it('a 2-D Conv (4-D input, a keyword spotter over a spectrogram) is refused as one', async () => {
    const bytes = encodeModel({
      irVersion: 8, opset: 13, producerName: 'test', producerVersion: '1', graphName: 'g', docString: '',
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv2d', attrs: [{ name: 'kernel_shape', value: [3, 3] }] }],
      initializers: [init('W', [4, 1, 3, 3])],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['B', 1, 8, 10] }],
      outputs: [{ name: 'y', dtype: DType.float, dims: [] }],
    });
    await refused(bytes, /Conv 'conv2d': a 2-D Conv \(a 4-D input \[batch, channels, height, width\]\); rnnkit reads 1-D ones over \[batch, channels, steps\]/);
  });

  it('SAME_LOWER is read where it equals same (stride 1, even total), else refused', async () => {
    await loads(around('Conv', [{ name: 'auto_pad', value: 'SAME_LOWER' }]), ['Conv1D'], 'same');
    await refused(around('Conv', [{ name: 'auto_pad', value: 'SAME_LOWER' }], 4), /auto_pad SAME_LOWER puts ceil\(total \/ 2\) steps before/);
    await refused(around('Conv', [{ name: 'auto_pad', value: 'SAME_LOWER' }, { name: 'strides', value: [2] }]), /SAME_LOWER .* at stride 2/);
  });

  it('AveragePool count_include_pad 1 with pads is zero padding then whole windows (exact); ceil_mode 1 at stride 1 changes nothing', async () => {
    await loads(around('AveragePool', [{ name: 'kernel_shape', value: [4] }, { name: 'strides', value: [2] }, { name: 'pads', value: [1, 2] }, { name: 'count_include_pad', value: 1 }]), ['ZeroPadding1D', 'AveragePooling1D'], 'valid');
    await loads(around('MaxPool', [{ name: 'kernel_shape', value: [3] }, { name: 'ceil_mode', value: 1 }]), ['MaxPooling1D'], 'valid');
  });

  it('ConvTranspose pads and output_padding: a Keras geometry where one matches, else valid + Cropping1D', async () => {
    await loads(around('ConvTranspose', [{ name: 'strides', value: [2] }, { name: 'pads', value: [1, 1] }], 4), ['Conv1DTranspose'], 'same');
    await loads(around('ConvTranspose', [{ name: 'strides', value: [3] }, { name: 'pads', value: [2, 0] }, { name: 'output_padding', value: [2] }]), ['Conv1DTranspose', 'Cropping1D']);
  });

  it('refuses ceil_mode at stride > 1, MaxPool / count_include_pad 0 pads no mode matches, group > 1 ConvTranspose, unknown attributes', async () => {
    await refused(fixture('maxpool_ceil'), /MaxPool '\/body\/body\.0\/MaxPool': ceil_mode 1 at stride 2 on a sequence of open length/);
    await refused(fixture('avgpool_exclude_pad'), /AveragePool '\/body\/body\.0\/AveragePool': pads \[1, 1\] with kernel 4 and stride 2.*count_include_pad 0 averages the real steps only/);
    await refused(around('MaxPool', [{ name: 'kernel_shape', value: [3] }, { name: 'pads', value: [2, 0] }]), /MaxPool 'maxpool': pads \[2, 0\].*a maximum over padding is not a maximum over zeros/);
    await refused(around('AveragePool', [{ name: 'kernel_shape', value: [3] }, { name: 'auto_pad', value: 'SAME_UPPER' }, { name: 'count_include_pad', value: 1 }]), /count_include_pad 1 with auto_pad SAME_UPPER/);
    await refused(fixture('convtranspose_groups'), /ConvTranspose '\/body\/body\.0\/ConvTranspose': group 2 \(rnnkit's Conv1DTranspose has no groups\)/);
    await refused(around('Conv', [{ name: 'pads', value: [1, 1] }, { name: 'mystery', value: 1 }]), /Conv 'conv': attribute 'mystery' \(Conv is read with auto_pad, dilations, group, kernel_shape, pads, strides\)/);
    await refused(around('Conv', [{ name: 'strides', value: [2] }, { name: 'dilations', value: [2] }]), /Conv 'conv': strides 2 with dilations 2/);
    await refused(around('ConvTranspose', [{ name: 'output_shape', value: [20] }]), /ConvTranspose 'convtranspose': output_shape/);
    await refused(around('Conv', [{ name: 'kernel_shape', value: [3, 3] }], 3, 13, [4, 3, 3, 3]), /Conv 'conv': W is not a constant float \[filters, channels \/ group, kernel\] tensor \(1-D convolutions only\)/);
  });
});
