/**
 * Conv1DTranspose, ZeroPadding1D, Cropping1D and UpSampling1D: values against float64 numpy
 * that follows Keras 3's JAX path (and PyTorch where Keras's torch arguments are exact:
 * tools/conv_transpose_fixture.py → test/fixtures/conv-transpose.json), values by hand,
 * finite-difference gradients, the refusals TensorFlow makes, a tf.keras 2.15 .h5 of Keras's
 * timeseries anomaly-detection autoencoder and a Keras 3 .h5 with the step layers, save/load
 * through the TF.js layers-model format and .keras, and a learning test with a known answer.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, loadModel, optimizers, saveKerasFile, setSeed, tensor, type Layer, type Tensor } from '../src/index.js';
import { assertClose, checkLayerGradients, randomArray } from './helpers/check.js';
import { artifactsOf, randomInput } from './helpers/saving.js';

const DIR = new URL('./fixtures/', import.meta.url);
interface Case {
  args: Record<string, unknown>;
  x: number[][][];
  kernel: number[][][];
  bias: number[] | null;
  y: number[][][];
}
const fixture = JSON.parse(readFileSync(new URL('conv-transpose.json', DIR), 'utf8')) as { transpose: Case[] } & Record<string, { x: number[][][]; y: number[][][] }>;

const run = (layer: Layer, x: number[][][]): Tensor => layer.apply(tensor(x)) as Tensor;
const flat = (a: number[][][]): Float32Array => Float32Array.from(a.flat(2));

describe('Conv1DTranspose: values', () => {
  it('matches Keras 3 (its JAX path in float64 numpy; PyTorch agrees where Keras maps onto it) for every padding, stride, dilation and outputPadding case', () => {
    for (const c of fixture.transpose) {
      const l = layers.conv1dTranspose(c.args as never);
      const [B, T, C] = [c.x.length, c.x[0]!.length, c.x[0]![0]!.length];
      l.build([T, C]);
      const K = c.kernel.length;
      const F = c.kernel[0]!.length;
      l.setWeights([tensor(flat(c.kernel), [K, F, C]), ...(c.bias === null ? [] : [tensor(c.bias)])]);
      const y = run(l, c.x);
      assert.deepEqual(y.shape, [B, c.y[0]!.length, F], JSON.stringify(c.args));
      assertClose(y.data, flat(c.y), 1e-5, 1e-6, JSON.stringify(c.args));
    }
  });

  it('by hand: x = [1, 2], kernel [1, 10, 100], stride 2 — valid spreads all taps, same crops to T·strides', () => {
    const make = (o: object): Layer => {
      const l = layers.conv1dTranspose({ filters: 1, kernelSize: 3, strides: 2, useBias: false, ...o });
      l.build([2, 1]);
      l.setWeights([tensor([1, 10, 100], [3, 1, 1])]);
      return l;
    };
    // input step t adds tap j into output step 2t + j − padLeft
    assert.deepEqual([...run(make({}), [[[1], [2]]]).data], [1, 10, 102, 20, 200]);
    assert.deepEqual([...run(make({ padding: 'same' }), [[[1], [2]]]).data], [1, 10, 102, 20]);
    assert.deepEqual([...run(make({ outputPadding: 1 }), [[[1], [2]]]).data], [1, 10, 102, 20, 200, 0]);
    assert.deepEqual(make({ padding: 'same' }).outputShape, [4, 1]);
  });

  it('open time axis: the output length follows each batch', () => {
    const m = new Sequential({ layers: [layers.conv1dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [null, 3] })] });
    assert.deepEqual(m.outputShape, [null, 2]);
    assert.deepEqual(m.predict(randomInput([2, 5, 3], 1)).shape, [2, 10, 2]);
    assert.deepEqual(m.predict(randomInput([1, 2, 3], 2)).shape, [1, 4, 2]);
  });
});

describe('Conv1DTranspose: gradients', () => {
  const geometries: Record<string, unknown>[] = [
    { kernelSize: 3, strides: 1 },
    { kernelSize: 3, strides: 2, activation: 'tanh' },
    { kernelSize: 2, strides: 3 },
    { kernelSize: 3, strides: 3, outputPadding: 2 },
    { kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid' },
    { kernelSize: 3, dilationRate: 2, padding: 'same' },
    { kernelSize: 1, strides: 1, useBias: false },
  ];
  for (const [i, g] of geometries.entries()) {
    it(`finite differences: ${JSON.stringify(g)}`, () => {
      const rng = new Rng(10 + i);
      const [B, T, C] = [2, 4, 3];
      const l = layers.conv1dTranspose({ filters: 2, ...g } as never);
      l.build([T, C]);
      for (const w of l.weights) w.value.set(randomArray(w.value.length, rng, -0.6, 0.6));
      const n = B * l.outputTime(T) * 2;
      checkLayerGradients(l, { x: randomArray(B * T * C, rng), B, T, R: randomArray(n, rng) }, `conv1dTranspose ${JSON.stringify(g)}`);
    });
  }
});

describe('Conv1DTranspose: options and refusals', () => {
  it('refuses what TensorFlow refuses, and unknown or unimplemented options, by name', () => {
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, strides: 2, outputPadding: 2 }), /outputPadding \(2\) must be below strides \(2\)/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', outputPadding: 0 }), /does not map back.*use outputPadding 1 to 2/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, strides: 2, dilationRate: 2 }), /strides > 1 is not supported together with dilationRate > 1/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, padding: 'causal' as never }), /padding must be 'valid' or 'same'/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, dataFormat: 'channelsFirst' }), /channelsFirst.*not supported/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, groups: 2 } as never), /groups/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, activityRegularizer: 'l2' } as never), /activity regularizers are not implemented/);
    assert.throws(() => layers.conv1dTranspose({ filters: 1, kernelSize: 3, outputPadding: -1 }), /outputPadding must be a non-negative integer/);
  });

  it("Keras's weight layout [kernelSize, filters, inputChannels]; no mask leaves the layer", () => {
    const m = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputLength: 4 }), layers.conv1dTranspose({ filters: 2, kernelSize: 3 }), layers.globalAveragePooling1d()] });
    const l = m.layers[1]!;
    assert.deepEqual(l.weights.map((w) => [w.name, w.shape]), [['kernel', [3, 2, 3]], ['bias', [2]]]);
    // With padding tokens the average still covers all 6 output steps (no mask reached the pooling).
    const y0 = m.predict(tensor([[1, 2, 0, 0]])).data;
    const e = m.layers[0]!.weights[0]!.value;
    const h = (l.apply(tensor([[Array.from(e.subarray(3, 6)), Array.from(e.subarray(6, 9)), Array.from(e.subarray(0, 3)), Array.from(e.subarray(0, 3))]])) as Tensor).data;
    const mean = [0, 1].map((f) => (h[f]! + h[2 + f]! + h[4 + f]! + h[6 + f]! + h[8 + f]! + h[10 + f]!) / 6);
    assertClose(y0, Float32Array.from(mean), 1e-6, 1e-7, 'pooled over every step');
  });
});

describe('ZeroPadding1D, Cropping1D, UpSampling1D', () => {
  const x = [[[1, -1], [2, -2], [3, -3]]];
  it('values by hand; n or [before, after]', () => {
    assert.deepEqual([...run(layers.zeroPadding1d(), x).data], [0, 0, 1, -1, 2, -2, 3, -3, 0, 0]);
    assert.deepEqual([...run(layers.zeroPadding1d({ padding: [0, 2] }), x).data], [1, -1, 2, -2, 3, -3, 0, 0, 0, 0]);
    assert.deepEqual([...run(layers.cropping1d(), x).data], [2, -2]);
    assert.deepEqual([...run(layers.cropping1d({ cropping: [2, 0] }), x).data], [3, -3]);
    assert.deepEqual([...run(layers.upSampling1d(), x).data], [1, -1, 1, -1, 2, -2, 2, -2, 3, -3, 3, -3]);
    assert.deepEqual([...run(layers.upSampling1d({ size: 1 }), x).data], [1, -1, 2, -2, 3, -3]);
  });

  it('finite differences (the backward adds each output step back to its source)', () => {
    for (const [i, l] of [layers.zeroPadding1d({ padding: [2, 1] }), layers.cropping1d({ cropping: [1, 2] }), layers.upSampling1d({ size: 3 })].entries()) {
      const rng = new Rng(30 + i);
      const [B, T, C] = [2, 5, 3];
      l.build([T, C]);
      checkLayerGradients(l, { x: randomArray(B * T * C, rng), B, T, R: randomArray(B * l.outputTime(T) * C, rng) }, l.className);
    }
  });

  it('refusals: cropping everything, negative or malformed sizes, channelsFirst, unknown keys', () => {
    assert.throws(() => new Sequential({ layers: [layers.cropping1d({ cropping: [2, 1], inputShape: [3, 2] })] }), /an input of 3 steps leaves 0 steps/);
    assert.throws(() => layers.zeroPadding1d({ padding: -1 as never }), /padding must be a non-negative integer or a list \[before, after\]/);
    assert.throws(() => layers.cropping1d({ cropping: [1, 2, 3] as never }), /cropping must be/);
    assert.throws(() => layers.upSampling1d({ size: 0 }), /size/);
    assert.throws(() => layers.zeroPadding1d({ dataFormat: 'channelsFirst' }), /channelsFirst.*not supported/);
    assert.throws(() => layers.upSampling1d({ length: 2 } as never), /length/);
  });
});

describe('model files and round trips', () => {
  it("tf.keras 2.15 .h5 of Keras's timeseries anomaly-detection autoencoder (Conv1D same/stride 2, Dropout, Conv1DTranspose ×3) predicts as numpy", async () => {
    const m = await loadModel({ h5File: new Uint8Array(readFileSync(new URL('tfkeras2-conv-autoencoder.h5', DIR))) });
    const e = fixture['tfkeras2-conv-autoencoder.h5']!;
    assert.deepEqual(m.layers.map((l) => l.className), ['Conv1D', 'Dropout', 'Conv1D', 'Conv1DTranspose', 'Dropout', 'Conv1DTranspose', 'Conv1DTranspose']);
    assertClose(m.predict(tensor(e.x)).data, flat(e.y), 1e-5, 1e-6, 'autoencoder');
  });

  it('Keras 3 .h5 with ZeroPadding1D, Cropping1D, UpSampling1D predicts as numpy', async () => {
    const m = await loadModel({ h5File: new Uint8Array(readFileSync(new URL('keras3-resize1d.h5', DIR))) });
    const e = fixture['keras3-resize1d.h5']!;
    assertClose(m.predict(tensor(e.x)).data, Float32Array.from((e.y as unknown as number[][]).flat()), 1e-5, 1e-6, 'resize');
  });

  it('TF.js layers-model format and .keras round trips keep configs, weights and predictions', async () => {
    setSeed(40);
    const m = new Sequential({
      layers: [
        layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [8, 2] }),
        layers.zeroPadding1d({ padding: [1, 0] }),
        layers.cropping1d({ cropping: [0, 1] }),
        layers.upSampling1d({ size: 2 }),
        layers.conv1dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', outputPadding: 1, biasInitializer: 'randomNormal' }),
      ],
    });
    const x = randomInput([2, 8, 2], 41);
    for (const back of [await loadModel(await artifactsOf(m)), await loadModel({ kerasFile: await saveKerasFile(m, null, { date: new Date(0) }) })]) {
      assert.deepEqual(back.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
      assert.deepEqual([...back.predict(x).data], [...m.predict(x).data]);
    }
  });
});

describe('learning', () => {
  it('Conv1DTranspose(kernel 2, stride 2) learns to upsample by repetition: kernel → [1, 1]', async () => {
    setSeed(50);
    const m = new Sequential({ layers: [layers.conv1dTranspose({ filters: 1, kernelSize: 2, strides: 2, useBias: false, inputShape: [6, 1] })] });
    m.compile({ optimizer: optimizers.adam(0.05), loss: 'meanSquaredError' });
    const rng = new Rng(51);
    const xs = Array.from({ length: 64 }, () => Array.from({ length: 6 }, () => [rng.uniformIn(-1, 1)]));
    const ys = xs.map((s) => s.flatMap((v) => [v, v]));
    await m.fit(tensor(xs), tensor(ys), { epochs: 150, batchSize: 16, verbose: 0 });
    assertClose(m.layers[0]!.weights[0]!.value, Float32Array.of(1, 1), 0, 1e-3, 'kernel');
  });
});
