/**
 * Conv1D, MaxPooling1D, AveragePooling1D and SpatialDropout1D: values by hand, finite-difference
 * gradients (inputs and weights; loss = Σ out ⊙ R with a random R) for every padding mode,
 * strides and dilation; grouped convolution against separate convolutions; parity with
 * TensorFlow.js (forward, every gradient, 10 SGD steps of a whole model; 'causal' against
 * tf.conv1d on a left-padded input, as tfjs's layer has no causal mode); channel dropout
 * statistics and seeding; masks; open time axes; configs, errors; save/load through the
 * TF.js layers-model format (rnnkit ↔ rnnkit, rnnkit → tfjs, tfjs → rnnkit, configs as
 * Python Keras 2 and 3 write them).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import {
  AveragePooling1D,
  Conv1D,
  MaxPooling1D,
  ModelFormatError,
  Sequential,
  SpatialDropout1D,
  constraints,
  input,
  layers,
  loadModel,
  model,
  optimizers,
  regularizers,
  tensor,
  type Layer,
  type ModelJSON,
  type Tensor,
} from '../src/index.js';
import { assertClose, randomArray } from './helpers/check.js';
import { Comparer, randomWeights } from './helpers/parity.js';
import { TF_ZERO_INIT_DENSE, initTfjs, tf, tfl, tfLayerGrads, type TfLayer } from './helpers/tfjs.js';
import { artifactsOf, randomInput, randomizeWeights, removeTempDirs, tempDir, tfjsArtifacts, tfjsLoadDir, tfjsModelJson, tfjsPredict } from './helpers/saving.js';

const STEP = 1e-2;
const FD_RTOL = 2e-3;
const FD_ATOL = 2e-3;
/** rnnkit vs tfjs, both float32. */
const RTOL = 1e-5;
const ATOL = 1e-6;
/** The same numbers summed in another order. */
const EXACT_ISH = 1e-6;

let tensorsAtStart = 0;
before(async () => {
  await initTfjs();
  tensorsAtStart = tf.memory().numTensors;
});
after(async () => {
  assert.equal(tf.memory().numTensors, tensorsAtStart, 'tfjs tensors leaked');
  await removeTempDirs();
});

/** Output floats of a built layer for B samples of T steps. */
function outCount(layer: Layer, B: number, T: number): number {
  const s = layer.outputShape;
  return B * layer.outputTime(T) * (s[s.length - 1] as number);
}

function numeric(values: Float32Array, loss: () => number): Float32Array {
  const g = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    values[i] = v + STEP;
    const up = loss();
    values[i] = v - STEP;
    const down = loss();
    values[i] = v;
    g[i] = (up - down) / (2 * STEP);
  }
  return g;
}

/** Finite-difference check of every weight gradient and the input gradient of a [B, T, C] layer. */
function gradCheck(layer: Layer, B: number, T: number, C: number, seed: number, x?: Float32Array): void {
  const rng = new Rng(seed);
  layer.build([T, C]);
  for (const w of layer.weights) w.value.set(randomArray(w.value.length, rng, -0.6, 0.6));
  const xs = x ?? randomArray(B * T * C, rng);
  const n = outCount(layer, B, T);
  const R = randomArray(n, rng);
  const loss = (): number => {
    const out = layer.forward(xs, B, T, true, null);
    let s = 0;
    for (let i = 0; i < n; i++) s += out[i]! * R[i]!;
    return s;
  };
  for (const w of layer.weights) w.grad.fill(0);
  loss();
  const dx = layer.backward(R, B, T, true)!.slice(0, xs.length);
  for (const w of layer.weights) assertClose(w.grad, numeric(w.value, loss), FD_RTOL, FD_ATOL, `${layer.name}: d${w.name}`);
  assertClose(dx, numeric(xs, loss), FD_RTOL, FD_ATOL, `${layer.name}: dInput`);
}

/** Distinct values 0.05 apart in random order: no two entries of a window within a finite-difference step. */
function distinct(n: number, seed: number): Float32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(seed).shuffle(order);
  return Float32Array.from(order, (v) => (v - n / 2) * 0.05);
}

const run = (layer: Layer, x: number[][][]): Tensor => layer.apply(tensor(x)) as Tensor;

// ---------------------------------------------------------------------------------------

describe('Conv1D: values by hand', () => {
  it("'valid', 'same' (TF padding: floor(total / 2) before) and 'causal' on one channel", () => {
    const x = [[[1], [2], [3], [4], [5]]];
    const make = (padding: 'valid' | 'same' | 'causal', o: object = {}): Conv1D => {
      const c = layers.conv1d({ filters: 1, kernelSize: 3, padding, useBias: false, ...o });
      c.build([5, 1]);
      c.setWeights([tensor([1, 10, 100], [3, 1, 1])]);
      return c;
    };
    // y[s] = x[s·stride + 0·dil − pad] + 10·x[… + dil] + 100·x[… + 2·dil]
    assert.deepEqual([...run(make('valid'), x).data], [321, 432, 543]);
    assert.deepEqual([...run(make('same'), x).data], [210, 321, 432, 543, 54]);
    assert.deepEqual([...run(make('causal'), x).data], [100, 210, 321, 432, 543]);
    // stride 2: same → ceil(5/2) = 3 outputs, total padding (3−1)·2 + 3 − 5 = 2, one before
    assert.deepEqual([...run(make('same', { strides: 2 }), x).data], [210, 432, 54]);
    // dilation 2, causal: 4 steps of padding before; y[t] = x[t−4] + 10·x[t−2] + 100·x[t]
    assert.deepEqual([...run(make('causal', { dilationRate: 2 }), x).data], [100, 200, 310, 420, 531]);
    // even kernel, 'same': total 1 — the padding goes after the input
    const even = layers.conv1d({ filters: 1, kernelSize: 2, padding: 'same', useBias: false });
    even.build([5, 1]);
    even.setWeights([tensor([1, 10], [2, 1, 1])]);
    assert.deepEqual([...run(even, x).data], [21, 32, 43, 54, 5]);
  });

  it('kernel [k, C, F] as Keras: y[s, f] = Σ_j Σ_c x[s + j, c] · kernel[j, c, f] + bias[f]', () => {
    const c = layers.conv1d({ filters: 2, kernelSize: 2 });
    c.build([3, 2]);
    assert.deepEqual(c.weights.map((w) => [w.name, w.shape]), [
      ['kernel', [2, 2, 2]],
      ['bias', [2]],
    ]);
    // kernel[j][c][f]
    c.setWeights([tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), tensor([0.5, -0.5])]);
    const y = run(c, [[[1, 2], [3, 4], [5, 6]]]);
    assert.deepEqual(y.shape, [1, 2, 2]);
    const expect = (s: number, f: number): number => {
      const xv = [[1, 2], [3, 4], [5, 6]];
      const k = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]];
      let v = f === 0 ? 0.5 : -0.5;
      for (let j = 0; j < 2; j++) for (let ch = 0; ch < 2; ch++) v += xv[s + j]![ch]! * k[j]![ch]![f]!;
      return v;
    };
    assert.deepEqual([...y.data], [expect(0, 0), expect(0, 1), expect(1, 0), expect(1, 1)]);
  });

  it('output length per Keras for every mode, with an open time axis', () => {
    const len = (o: object, T: number): number => {
      const c = layers.conv1d({ filters: 1, kernelSize: 3, ...o });
      c.build([null, 2]);
      assert.deepEqual(c.outputShape, [null, 1]);
      return c.computeOutputShape([T, 2])[0] as number;
    };
    for (const T of [5, 6, 7, 8, 11]) {
      assert.equal(len({}, T), Math.floor((T - 3) / 1) + 1);
      assert.equal(len({ strides: 2 }, T), Math.floor((T - 3) / 2) + 1);
      assert.equal(len({ dilationRate: 2 }, T), Math.floor(T - 2 * 2 - 1) + 1);
      assert.equal(len({ padding: 'same', strides: 3 }, T), Math.ceil(T / 3));
      assert.equal(len({ padding: 'causal', strides: 2 }, T), Math.ceil(T / 2));
      assert.equal(len({ padding: 'causal', dilationRate: 3 }, T), T);
    }
  });
});

describe('Conv1D gradients (finite differences)', () => {
  const cases: [string, object, number][] = [
    ['valid', { padding: 'valid' }, 7],
    ['valid strides 2', { padding: 'valid', strides: 2 }, 8],
    ['valid dilation 2', { padding: 'valid', dilationRate: 2 }, 8],
    ['same', { padding: 'same' }, 6],
    ['same strides 2, odd length', { padding: 'same', strides: 2, kernelSize: 4 }, 7],
    ['same strides 2, even length', { padding: 'same', strides: 2 }, 8],
    ['same dilation 2', { padding: 'same', dilationRate: 2 }, 7],
    ['causal', { padding: 'causal' }, 6],
    ['causal strides 2', { padding: 'causal', strides: 2 }, 7],
    ['causal dilation 2', { padding: 'causal', dilationRate: 2, kernelSize: 2 }, 7],
    ['tanh, no bias', { padding: 'same', activation: 'tanh', useBias: false }, 5],
    ['softmax over the filters', { padding: 'causal', activation: 'softmax' }, 5],
    ['kernelSize 1 (a product on the input, no im2col)', { kernelSize: 1, activation: 'sigmoid' }, 5],
    ['kernelSize 1, strides 2', { kernelSize: 1, strides: 2 }, 5],
  ];
  cases.forEach(([name, o, T], i) => {
    it(name, () => gradCheck(layers.conv1d({ filters: 3, kernelSize: 3, ...o }), 2, T, 4, 10 + i));
  });
  it('groups 2 (C 4, filters 6), same, strides 2', () => {
    gradCheck(layers.conv1d({ filters: 6, kernelSize: 3, groups: 2, padding: 'same', strides: 2 }), 2, 7, 4, 30);
  });
  it('groups 4 (depthwise-like, C 4, filters 4), causal, dilation 2', () => {
    gradCheck(layers.conv1d({ filters: 4, kernelSize: 2, groups: 4, padding: 'causal', dilationRate: 2 }), 2, 6, 4, 31);
  });
});

describe('Conv1D groups: each group is a convolution of its own channels', () => {
  it('forward and every gradient equal two separate convolutions on the channel halves', () => {
    const B = 2;
    const T = 7;
    const C = 4;
    const F = 6;
    const rng = new Rng(40);
    const opts = { kernelSize: 3, padding: 'same' as const, strides: 2, activation: 'tanh' as const };
    const grouped = layers.conv1d({ filters: F, groups: 2, ...opts });
    grouped.build([T, C]);
    const kernel = randomArray(3 * 2 * F, rng, -0.6, 0.6); // [3, 2, 6]
    const bias = randomArray(F, rng, -0.6, 0.6);
    grouped.setWeights([tensor(kernel, [3, 2, F]), tensor(bias, [F])]);
    const x = randomArray(B * T * C, rng);
    const Tout = grouped.outputTime(T);
    const R = randomArray(B * Tout * F, rng);
    const y = grouped.forward(x, B, T, true, null).slice(0, B * Tout * F);
    const dx = grouped.backward(R, B, T, true)!.slice(0, x.length);
    const dK = grouped.weights[0]!.grad;
    const dB = grouped.weights[1]!.grad;
    for (let g = 0; g < 2; g++) {
      const part = layers.conv1d({ filters: 3, ...opts });
      part.build([T, 2]);
      const kg = new Float32Array(3 * 2 * 3);
      for (let j = 0; j < 3; j++) for (let c = 0; c < 2; c++) for (let f = 0; f < 3; f++) kg[(j * 2 + c) * 3 + f] = kernel[(j * 2 + c) * F + g * 3 + f]!;
      part.setWeights([tensor(kg, [3, 2, 3]), tensor(bias.slice(g * 3, g * 3 + 3), [3])]);
      const xg = new Float32Array(B * T * 2);
      for (let r = 0; r < B * T; r++) for (let c = 0; c < 2; c++) xg[r * 2 + c] = x[r * C + g * 2 + c]!;
      const Rg = new Float32Array(B * Tout * 3);
      for (let r = 0; r < B * Tout; r++) for (let f = 0; f < 3; f++) Rg[r * 3 + f] = R[r * F + g * 3 + f]!;
      const yg = part.forward(xg, B, T, true, null);
      const dxg = part.backward(Rg, B, T, true)!;
      for (let r = 0; r < B * Tout; r++) for (let f = 0; f < 3; f++) assertClose([y[r * F + g * 3 + f]!], [yg[r * 3 + f]!], EXACT_ISH, EXACT_ISH, `group ${g} y[${r}, ${f}]`);
      for (let r = 0; r < B * T; r++) for (let c = 0; c < 2; c++) assertClose([dx[r * C + g * 2 + c]!], [dxg[r * 2 + c]!], EXACT_ISH, EXACT_ISH, `group ${g} dx[${r}, ${c}]`);
      const dKg = part.weights[0]!.grad;
      for (let j = 0; j < 3; j++) for (let c = 0; c < 2; c++) for (let f = 0; f < 3; f++) assertClose([dK[(j * 2 + c) * F + g * 3 + f]!], [dKg[(j * 2 + c) * 3 + f]!], EXACT_ISH, EXACT_ISH, `group ${g} dKernel`);
      assertClose(dB.slice(g * 3, g * 3 + 3), part.weights[1]!.grad, EXACT_ISH, EXACT_ISH, `group ${g} dBias`);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('MaxPooling1D / AveragePooling1D: values by hand', () => {
  const x = [[[1, -1], [2, -2], [3, -3], [4, -4], [5, -5]]];
  it("'valid' drops the tail; strides default to poolSize", () => {
    assert.deepEqual([...run(layers.maxPooling1d(), x).data], [2, -1, 4, -3]);
    assert.deepEqual([...run(layers.averagePooling1d(), x).data], [1.5, -1.5, 3.5, -3.5]);
    assert.deepEqual([...run(layers.maxPooling1d({ poolSize: 2, strides: 3 }), x).data], [2, -1, 5, -4]);
  });
  it("'same': ceil(T / strides) windows, the padding left out of both (the average divides by the real steps)", () => {
    // poolSize 3, strides 2, T 5: 3 windows, total padding 2, one before: {0,1}, {1,2,3}, {3,4}
    assert.deepEqual([...run(layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), x).data], [2, -1, 4, -2, 5, -4]);
    assert.deepEqual([...run(layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }), x).data], [1.5, -1.5, 3, -3, 4.5, -4.5]);
    // poolSize 2 (default strides 2): windows {0,1}, {2,3}, {4} + padding after
    assert.deepEqual([...run(layers.averagePooling1d({ padding: 'same' }), x).data], [1.5, -1.5, 3.5, -3.5, 5, -5]);
    assert.deepEqual([...run(layers.maxPooling1d({ padding: 'same' }), x).data], [2, -1, 4, -3, 5, -5]);
  });
  it('the maximum of negative windows is negative (padding is not a 0)', () => {
    const y = run(layers.maxPooling1d({ poolSize: 3, strides: 1, padding: 'same' }), [[[-5], [-4], [-6]]]);
    assert.deepEqual([...y.data], [-4, -4, -4]);
  });
});

describe('pooling gradients (finite differences)', () => {
  const cases: [string, object, number][] = [
    ['poolSize 2', {}, 8],
    ['poolSize 3, strides 2, valid', { poolSize: 3, strides: 2 }, 8],
    ['poolSize 2, strides 3 (gaps), valid', { poolSize: 2, strides: 3 }, 8],
    ['poolSize 3, strides 2, same, odd length', { poolSize: 3, strides: 2, padding: 'same' }, 7],
    ['poolSize 4, strides 1, same (padding on both sides)', { poolSize: 4, strides: 1, padding: 'same' }, 6],
    ['poolSize 2, same, odd length', { padding: 'same' }, 7],
  ];
  cases.forEach(([name, o, T], i) => {
    it(`max: ${name}`, () => gradCheck(layers.maxPooling1d(o), 2, T, 3, 50 + i, distinct(2 * T * 3, 50 + i)));
    it(`average: ${name}`, () => gradCheck(layers.averagePooling1d(o), 2, T, 3, 60 + i));
  });
});

// ---------------------------------------------------------------------------------------

describe('SpatialDropout1D', () => {
  const B = 8;
  const T = 5;
  const C = 250;

  it('in training zeroes whole channels per sample (about `rate` of them) and scales the rest by 1/(1 − rate)', () => {
    const rate = 0.4;
    const d = layers.spatialDropout1d({ rate, seed: 3 });
    d.build([T, C]);
    const x = randomArray(B * T * C, new Rng(3), 0.5, 1.5);
    const y = d.forward(x, B, T, true, null).slice(0, B * T * C);
    const scale = Math.fround(1 / (1 - rate));
    let dropped = 0;
    const perSample = new Set<number>();
    for (let b = 0; b < B; b++) {
      let droppedHere = 0;
      for (let c = 0; c < C; c++) {
        const kept = y[b * T * C + c] !== 0;
        if (!kept) droppedHere++;
        for (let t = 0; t < T; t++) {
          const i = (b * T + t) * C + c;
          assert.equal(y[i], kept ? Math.fround(x[i]! * scale) : 0, `b ${b} t ${t} c ${c}: the whole channel is ${kept ? 'kept' : 'dropped'}`);
        }
      }
      dropped += droppedHere;
      perSample.add(droppedHere);
    }
    // ±4σ of a binomial(2000, 0.4) fraction is ±0.044
    assert.ok(Math.abs(dropped / (B * C) - rate) < 0.044, `dropped ${dropped / (B * C)} of the channels, expected about ${rate}`);
    assert.ok(perSample.size > 1, 'every sample draws its own channels');
    // the gradient goes through the same noise
    const R = randomArray(B * T * C, new Rng(4));
    const dx = d.backward(R, B, T, true)!;
    for (let i = 0; i < B * T * C; i++) assert.equal(dx[i], Math.fround(R[i]! * (y[i] === 0 ? 0 : scale)));
  });

  it('is the identity in inference (and its gradient too); rate 0 is the identity in training', () => {
    const d = layers.spatialDropout1d({ rate: 0.5, seed: 5 });
    d.build([T, C]);
    const x = randomArray(B * T * C, new Rng(5));
    assert.deepEqual(d.forward(x, B, T, false, null).slice(0, x.length), x);
    assert.deepEqual(d.backward(x, B, T, true)!.slice(0, x.length), x);
    assert.deepEqual([...(d.apply(tensor(x, [B, T, C])) as Tensor).data], [...x], 'apply without training: inference');
    const z = layers.spatialDropout1d({ rate: 0 });
    z.build([T, C]);
    assert.deepEqual(z.forward(x, B, T, true, null).slice(0, x.length), x);
  });

  it('same seed, same channels; another seed or the next batch, others; equal to Dropout with noiseShape [null, 1, C]', () => {
    const x = new Float32Array(B * T * C).fill(1);
    const make = (seed: number): SpatialDropout1D => {
      const l = layers.spatialDropout1d({ rate: 0.5, seed });
      l.build([T, C]);
      return l;
    };
    const a = make(9);
    const b = make(9);
    const c = make(10);
    const ya = a.forward(x, B, T, true, null).slice(0, x.length);
    assert.deepEqual(b.forward(x, B, T, true, null).slice(0, x.length), ya);
    assert.notDeepEqual(c.forward(x, B, T, true, null).slice(0, x.length), ya);
    assert.notDeepEqual(a.forward(x, B, T, true, null).slice(0, x.length), ya, 'the next batch draws new channels');
    const drop = layers.dropout({ rate: 0.5, noiseShape: [null, 1, C], seed: 9 });
    drop.build([T, C]);
    assert.deepEqual(drop.forward(x, B, T, true, null).slice(0, x.length), ya, 'Keras: SpatialDropout1D is Dropout with noise shape (batch, 1, channels)');
    // per epoch reseeding, as Dropout
    a.beginEpoch(7, 2);
    drop.beginEpoch(7, 2);
    assert.deepEqual(a.forward(x, B, T, true, null).slice(0, x.length), drop.forward(x, B, T, true, null).slice(0, x.length));
  });

  it('seeded fits are reproducible and differ with the fit seed', async () => {
    const fit = async (seed: number): Promise<number[]> => {
      const m = new Sequential({
        layers: [layers.conv1d({ filters: 4, kernelSize: 2, inputShape: [6, 3], seed: 1 }), layers.spatialDropout1d({ rate: 0.5, seed: 2 }), layers.globalAveragePooling1d(), layers.dense({ units: 1, seed: 3 })],
      });
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      const h = await m.fit(randomInput([12, 6, 3], 1), randomInput([12, 1], 2), { epochs: 3, batchSize: 4, verbose: 0, seed });
      return h.history.loss!;
    };
    const first = await fit(11);
    assert.deepEqual(await fit(11), first);
    assert.notDeepEqual(await fit(12), first);
  });

  it('passes the step mask through; validates rate, rank and options; getConfig', () => {
    const d = layers.spatialDropout1d({ rate: 0.2, seed: 3, name: 'sd' });
    d.build([3, 2]);
    const m = Float32Array.from([1, 0, 1]);
    d.forward(new Float32Array(6), 1, 3, true, m);
    assert.equal(d.outputMask(m), m);
    assert.throws(() => layers.spatialDropout1d({ rate: 1 }), /SpatialDropout1D 'spatial_dropout1d(_\d+)?': rate must be a number in \[0, 1\)/);
    assert.throws(() => layers.spatialDropout1d({ rate: 0.5, noiseShape: [null, 1, 2] } as never), /SpatialDropout1D .*unknown option 'noiseShape'/);
    assert.throws(() => layers.spatialDropout1d({ rate: 0.5 }).build([4]), /SpatialDropout1D .*expected input of rank 3/);
    assert.deepEqual(d.getConfig(), { name: 'sd', trainable: true, dtype: 'float32', seed: 3, rate: 0.2 });
    assert.deepEqual(new SpatialDropout1D(d.getConfig() as never).getConfig(), d.getConfig());
  });
});

// ---------------------------------------------------------------------------------------

describe('masks: Conv1D and pooling drop them (Keras), SpatialDropout1D passes them on', () => {
  // Embedding(maskZero) makes a mask; GlobalAveragePooling1D leaves masked steps out when it gets one.
  const ids = tensor([[3, 1, 4, 0, 0], [2, 2, 0, 0, 0]]);
  const net = (maskZero: boolean, middle: () => Layer[]): Sequential => {
    const m = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [5], maskZero, seed: 1 }), ...middle(), layers.globalAveragePooling1d(), layers.dense({ units: 2, seed: 2 })] });
    randomizeWeights(m, 3);
    return m;
  };
  const same = (middle: () => Layer[]): boolean => {
    const a = net(true, middle).predict(ids).data;
    const b = net(false, middle).predict(ids).data;
    return a.every((v, i) => v === b[i]);
  };
  it('after Conv1D, MaxPooling1D or AveragePooling1D the mask is gone: the average covers every step', () => {
    assert.ok(same(() => [layers.conv1d({ filters: 3, kernelSize: 2, padding: 'same', seed: 4 })]), 'conv1d');
    assert.ok(same(() => [layers.maxPooling1d({ poolSize: 1 })]), 'maxPooling1d');
    assert.ok(same(() => [layers.averagePooling1d({ poolSize: 1 })]), 'averagePooling1d');
  });
  it('after SpatialDropout1D the mask still leaves the padding out (the check above can fail)', () => {
    assert.ok(!same(() => [layers.spatialDropout1d({ rate: 0.5 })]));
  });
});

describe('open time axis, shared layers', () => {
  it('a model declared [null, C] runs sequences of any length; each call equals the layers applied alone', () => {
    const conv = layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'causal', inputShape: [null, 3], seed: 1 });
    const pool = layers.averagePooling1d({ poolSize: 2, padding: 'same' });
    const m = new Sequential({ layers: [conv, pool] });
    randomizeWeights(m, 2);
    for (const T of [1, 4, 9]) {
      const x = randomInput([2, T, 3], T);
      const y = m.predict(x);
      const Tc = Math.ceil(T / 2);
      assert.deepEqual(y.shape, [2, Math.ceil(Tc / 2), 4]);
      const direct = pool.apply(conv.apply(x) as Tensor) as Tensor;
      assert.deepEqual([...y.data], [...direct.data], `T ${T}`);
    }
  });
  it('too short for a valid window: refused naming the layer', () => {
    const m = new Sequential({ layers: [layers.conv1d({ filters: 2, kernelSize: 4, name: 'c', inputShape: [null, 1] })] });
    assert.throws(() => m.predict(randomInput([1, 3, 1], 1)), /Conv1D 'c': an input of 3 steps is shorter than one window/);
    assert.throws(() => layers.maxPooling1d({ poolSize: 4, name: 'p' }).build([3, 2]), /MaxPooling1D 'p': an input of 3 steps is shorter than one window/);
  });
  it('one Conv1D on two inputs of different lengths: shared weights, gradients summed', async () => {
    const a = input({ shape: [6, 2] });
    const b = input({ shape: [4, 2] });
    const conv = layers.conv1d({ filters: 3, kernelSize: 2, seed: 1 });
    const gap = (t: ReturnType<typeof input>) => layers.globalMaxPooling1d().apply(conv.apply(t));
    const m = model({ inputs: [a, b], outputs: layers.add().apply([gap(a), gap(b)]) });
    const xa = randomInput([3, 6, 2], 1);
    const xb = randomInput([3, 4, 2], 2);
    const y = m.predict([xa, xb]) as Tensor;
    const alone = layers.conv1d({ filters: 3, kernelSize: 2 });
    alone.build([null, 2]);
    alone.setWeights(conv.getWeights());
    const ref = (x: Tensor): Float32Array => (layers.globalMaxPooling1d().apply(alone.apply(x) as Tensor) as Tensor).data;
    assertClose(y.data, ref(xa).map((v, i) => v + ref(xb)[i]!), EXACT_ISH, EXACT_ISH, 'shared conv');
    m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const before = conv.getWeights()[0]!.data.slice();
    await m.fit([xa, xb], randomInput([3, 3], 3), { epochs: 1, batchSize: 3, verbose: 0 });
    assert.notDeepEqual(conv.getWeights()[0]!.data, before);
  });
});

// ---------------------------------------------------------------------------------------

describe('options: errors name the layer and the argument; getConfig round trips', () => {
  it('Conv1D refuses what it does not take', () => {
    const c = (o: object): Conv1D => layers.conv1d({ filters: 2, kernelSize: 3, name: 'c', ...o });
    assert.throws(() => c({ kernel_size: 3 }), /Conv1D 'c': unknown option 'kernel_size'/);
    assert.throws(() => c({ padding: 'full' }), /Conv1D 'c': padding must be 'valid' or 'same' or 'causal', got "full"/);
    assert.throws(() => c({ strides: 2, dilationRate: 2 }), /Conv1D 'c': strides > 1 is not supported together with dilationRate > 1/);
    assert.throws(() => c({ dataFormat: 'channelsFirst' }), /Conv1D 'c': dataFormat "channelsFirst" is not supported/);
    assert.throws(() => c({ dataFormat: 'channels_first' }), /dataFormat "channels_first" is not supported/);
    assert.throws(() => c({ activityRegularizer: 'l2' }), /Conv1D 'c': option 'activityRegularizer' is not supported yet \(activity regularizers are not implemented\)/);
    assert.throws(() => c({ loraRank: 4 }), /option 'loraRank' is not supported yet/);
    assert.throws(() => c({ kernelSize: [3, 3] }), /Conv1D 'c': kernelSize must be a positive integer or a list of one/);
    assert.throws(() => c({ kernelSize: 0 }), /Conv1D 'c': kernelSize must be a positive integer/);
    assert.throws(() => c({ filters: 3, groups: 2 }), /Conv1D 'c': filters \(3\) must be divisible by groups \(2\)/);
    assert.throws(() => c({ groups: 2 }).build([5, 3]), /Conv1D 'c': the input channels \(3\) must be divisible by groups \(2\)/);
    assert.throws(() => c({}).build([5]), /Conv1D 'c': expected input of rank 3/);
    assert.throws(() => layers.conv1d({ kernelSize: 3 } as never), /Conv1D .*filters must be a positive integer/);
  });

  it('the pooling layers refuse what they do not take', () => {
    assert.throws(() => layers.maxPooling1d({ name: 'p', pool_size: 2 } as never), /MaxPooling1D 'p': unknown option 'pool_size'/);
    assert.throws(() => layers.averagePooling1d({ name: 'p', padding: 'causal' as never }), /AveragePooling1D 'p': padding must be 'valid' or 'same', got "causal"/);
    assert.throws(() => layers.maxPooling1d({ name: 'p', poolSize: 0 }), /MaxPooling1D 'p': poolSize must be a positive integer/);
    assert.throws(() => layers.maxPooling1d({ name: 'p', strides: [1, 1] as never }), /MaxPooling1D 'p': strides must be a positive integer or a list of one/);
    assert.throws(() => layers.averagePooling1d({ name: 'p', dataFormat: 'channelsFirst' }), /AveragePooling1D 'p': dataFormat "channelsFirst" is not supported/);
    assert.throws(() => layers.maxPooling1d({ name: 'p' }).build([4]), /MaxPooling1D 'p': expected input of rank 3/);
  });

  it('getConfig gives tfjs keys with Keras values (sizes as lists); a layer rebuilt from it gives the same config', () => {
    const conv = layers.conv1d({
      filters: 4,
      kernelSize: [3],
      strides: 1,
      padding: 'CAUSAL' as never,
      dilationRate: 2,
      groups: 2,
      activation: 'relu',
      kernelRegularizer: regularizers.l2({ l2: 0.01 }),
      kernelConstraint: constraints.maxNorm({ maxValue: 2 }),
      name: 'conv',
      seed: 4,
    });
    const cfg = conv.getConfig();
    assert.equal(cfg.padding, 'causal', 'Keras lowercases padding');
    assert.deepEqual([cfg.kernelSize, cfg.strides, cfg.dilationRate, cfg.groups, cfg.dataFormat], [[3], [1], [2], 2, 'channelsLast']);
    assert.deepEqual(new Conv1D(cfg as never).getConfig(), cfg);
    const pool = layers.maxPooling1d({ poolSize: 3, name: 'mp' });
    assert.deepEqual(pool.getConfig(), { name: 'mp', trainable: true, dtype: 'float32', poolSize: [3], strides: [3], padding: 'valid', dataFormat: 'channelsLast' });
    assert.deepEqual(new MaxPooling1D(pool.getConfig() as never).getConfig(), pool.getConfig());
    const avg = layers.averagePooling1d({ poolSize: [2], strides: [1], padding: 'same', dataFormat: 'channels_last' as never, name: 'ap' });
    assert.deepEqual(new AveragePooling1D(avg.getConfig() as never).getConfig(), avg.getConfig());
    assert.deepEqual(avg.getConfig().strides, [1]);
  });
});

// ---------------------------------------------------------------------------------------

/** Forward output and every gradient of Σ out ⊙ R: rnnkit vs a tfjs layer (weights injected). */
function layerParity(t: TestContext, ours: Layer, theirs: TfLayer, B: number, T: number, C: number, seed: number): void {
  const rng = new Rng(seed);
  ours.build([T, C]);
  const weights = randomWeights(ours, rng, 0.5);
  ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));
  const x = randomArray(B * T * C, rng);
  const n = outCount(ours, B, T);
  const R = randomArray(n, rng);
  for (const w of ours.weights) w.grad.fill(0);
  const out = ours.forward(x, B, T, true, null).slice(0, n);
  const dx = ours.backward(R.slice(), B, T, true)!.slice(0, x.length);
  const ref = tfLayerGrads(theirs, weights, { data: x, shape: [B, T, C] }, R);
  const cmp = new Comparer(t, RTOL, ATOL);
  assert.equal(ref.out.length, n, 'tfjs output size');
  cmp.close(out, ref.out, 'output');
  ours.weights.forEach((w, i) => cmp.close(w.grad, ref.dWeights[i]!, `d${w.name}`));
  cmp.close(dx, ref.dx, 'dInput');
  cmp.report();
}

describe('Conv1D parity with tfjs (injected weights)', () => {
  // tfjs's Conv1D layer: every option it has ('valid'/'same', strides); its conv gradient has no dilation
  const cases: [object, number][] = [
    [{ kernelSize: 3 }, 9],
    [{ kernelSize: 3, strides: 2, activation: 'tanh' }, 9],
    [{ kernelSize: 3, padding: 'same', activation: 'relu' }, 8],
    [{ kernelSize: 4, padding: 'same', strides: 2 }, 9],
    [{ kernelSize: 3, padding: 'same', strides: 2 }, 8],
    [{ kernelSize: 5, padding: 'same', strides: 3, activation: 'elu' }, 10],
    [{ kernelSize: 3, useBias: false }, 6],
    [{ kernelSize: 1, activation: 'softplus' }, 6],
  ];
  cases.forEach(([o, T], i) => {
    it(`tfjs layer ${JSON.stringify(o)}`, (t) => {
      const args = { filters: 5, ...o };
      layerParity(t, layers.conv1d(args as never), tfl.layers.conv1d({ ...args, ...TF_ZERO_INIT_DENSE } as never), 3, T, 4, 700 + i);
    });
  });

  const ACT: Record<string, (v: tf.Tensor) => tf.Tensor> = { linear: (v) => v, tanh: tf.tanh, sigmoid: tf.sigmoid, softmax: (v) => tf.softmax(v), relu: tf.relu };
  /**
   * Dilation and 'causal' (tfjs has a dilated forward but no dilated gradient, and no causal
   * mode): the reference is tf.conv1d with the kernel spread over dil·(k − 1) + 1 taps (zeros
   * between), on the input padded by that span − 1 before for 'causal'; the kernel gradient is
   * read at the real taps. The dilated forward of tf.conv1d is checked against it too.
   */
  const oracle: { kernelSize: number; dilationRate: number; strides: number; padding: 'valid' | 'same' | 'causal'; activation: string; useBias: boolean; T: number }[] = [
    { kernelSize: 2, dilationRate: 3, strides: 1, padding: 'valid', activation: 'sigmoid', useBias: true, T: 9 },
    { kernelSize: 3, dilationRate: 2, strides: 1, padding: 'valid', activation: 'linear', useBias: false, T: 8 },
    { kernelSize: 3, dilationRate: 2, strides: 1, padding: 'same', activation: 'softmax', useBias: true, T: 9 },
    { kernelSize: 2, dilationRate: 4, strides: 1, padding: 'same', activation: 'tanh', useBias: true, T: 8 },
    { kernelSize: 3, dilationRate: 1, strides: 1, padding: 'causal', activation: 'tanh', useBias: true, T: 7 },
    { kernelSize: 2, dilationRate: 3, strides: 1, padding: 'causal', activation: 'relu', useBias: true, T: 7 },
    { kernelSize: 3, dilationRate: 1, strides: 2, padding: 'causal', activation: 'linear', useBias: true, T: 8 },
  ];
  oracle.forEach((o, n) => {
    it(`${o.padding} kernelSize ${o.kernelSize} dilationRate ${o.dilationRate} strides ${o.strides} ${o.activation}${o.useBias ? '' : ' no bias'}: tf.conv1d with the spread kernel`, (t) => {
      const { kernelSize: k, dilationRate: dil, strides: stride, T } = o;
      const B = 2;
      const C = 3;
      const F = 4;
      const rng = new Rng(800 + n);
      const ours = layers.conv1d({ filters: F, kernelSize: k, dilationRate: dil, strides: stride, padding: o.padding, activation: o.activation as never, useBias: o.useBias });
      ours.build([T, C]);
      const weights = randomWeights(ours, rng, 0.5);
      ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));
      const kernel = weights[0]!.data;
      const x = randomArray(B * T * C, rng);
      const n2 = outCount(ours, B, T);
      const R = randomArray(n2, rng);
      for (const w of ours.weights) w.grad.fill(0);
      const out = ours.forward(x, B, T, true, null).slice(0, n2);
      const dx = ours.backward(R, B, T, true)!.slice(0, x.length);

      const span = dil * (k - 1) + 1;
      const spread = new Float32Array(span * C * F);
      for (let j = 0; j < k; j++) for (let i = 0; i < C * F; i++) spread[j * dil * C * F + i] = kernel[j * C * F + i]!;
      const initial = [tf.tensor(spread, [span, C, F]), tf.tensor(weights[1]?.data ?? new Float32Array(F), [F]), tf.tensor(x, [B, T, C])];
      const [tk, tb, tx] = initial.map((v) => tf.variable(v)) as [tf.Variable, tf.Variable, tf.Variable];
      tf.dispose(initial);
      const mode = o.padding === 'same' ? 'same' : 'valid';
      const input = (): tf.Tensor3D => (o.padding === 'causal' ? tf.pad(tx as tf.Tensor3D, [[0, 0], [span - 1, 0], [0, 0]]) : (tx as tf.Tensor3D));
      const f = (): tf.Tensor => {
        const y = tf.conv1d(input(), tk as tf.Tensor3D, stride, mode, 'NWC', 1);
        return ACT[o.activation]!(o.useBias ? tf.add(y, tb) : y);
      };
      const ref = tf.tidy(() => f().dataSync() as Float32Array);
      const rt = tf.tensor(R, [B, n2 / (B * F), F]);
      const vars = o.useBias ? [tk, tb, tx] : [tk, tx];
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), rt)), vars);
      const gSpread = grads[tk.name]!.dataSync();
      const dKernel = new Float32Array(k * C * F);
      for (let j = 0; j < k; j++) for (let i = 0; i < C * F; i++) dKernel[j * C * F + i] = gSpread[j * dil * C * F + i]!;
      const cmp = new Comparer(t, RTOL, ATOL);
      cmp.close(out, ref, 'output');
      if (o.padding !== 'causal' && stride === 1) {
        const direct = tf.tidy(() => {
          const y = tf.conv1d(tx as tf.Tensor3D, tf.tensor(kernel, [k, C, F]) as tf.Tensor3D, 1, mode, 'NWC', dil);
          return ACT[o.activation]!(o.useBias ? tf.add(y, tb) : y).dataSync() as Float32Array;
        });
        cmp.close(out, direct, 'output vs the dilated tf.conv1d');
      }
      cmp.close(ours.weights[0]!.grad, dKernel, 'dkernel');
      if (o.useBias) cmp.close(ours.weights[1]!.grad, grads[tb.name]!.dataSync(), 'dbias');
      cmp.close(dx, grads[tx.name]!.dataSync(), 'dInput');
      cmp.report();
      tf.dispose([value, rt, tk, tb, tx, ...Object.values(grads)]);
    });
  });
});

describe('pooling parity with tfjs', () => {
  const cases: [object, number][] = [
    [{}, 8],
    [{ poolSize: 3, strides: 2 }, 9],
    [{ poolSize: 3, strides: 2, padding: 'same' }, 8],
    [{ poolSize: 3, strides: 2, padding: 'same' }, 9],
    [{ poolSize: 2, strides: 3, padding: 'same' }, 8],
    [{ poolSize: 4, strides: 1, padding: 'same' }, 7],
  ];
  cases.forEach(([o, T], i) => {
    it(`max ${JSON.stringify(o)} T ${T}`, (t) => layerParity(t, layers.maxPooling1d(o), tfl.layers.maxPooling1d({ ...o } as never), 3, T, 4, 900 + i));
    if ((o as { padding?: string }).padding !== 'same') {
      it(`average ${JSON.stringify(o)} T ${T}`, (t) => layerParity(t, layers.averagePooling1d(o), tfl.layers.averagePooling1d({ ...o } as never), 3, T, 4, 950 + i));
      return;
    }
    /**
     * 'same' average: tfjs's forward divides by the real steps as TF does, but its CPU gradient
     * (AvgPoolGrad) divides by poolSize everywhere, so it disagrees with its own forward at the
     * edges. The gradient reference here is avgPool('valid') of the zero-padded input over
     * avgPool('valid') of the zero-padded ones — the same average, through tfjs's valid path.
     */
    it(`average ${JSON.stringify(o)} T ${T} (forward: tfjs layer; gradient: padded valid pooling over a count)`, (t) => {
      const { poolSize = 2, strides = poolSize } = o as { poolSize?: number; strides?: number };
      const B = 3;
      const C = 4;
      const rng = new Rng(950 + i);
      const ours = layers.averagePooling1d(o);
      ours.build([T, C]);
      const x = randomArray(B * T * C, rng);
      const n = outCount(ours, B, T);
      const R = randomArray(n, rng);
      const out = ours.forward(x, B, T, true, null).slice(0, n);
      const dx = ours.backward(R, B, T, true)!.slice(0, x.length);
      const layer = tfl.layers.averagePooling1d({ ...o } as never);
      const Tout = n / (B * C);
      const total = Math.max((Tout - 1) * strides + poolSize - T, 0);
      const pads: [number, number] = [Math.floor(total / 2), total - Math.floor(total / 2)];
      const x0 = tf.tensor(x, [B, T, C]);
      const tx = tf.variable(x0);
      x0.dispose();
      const rt = tf.tensor(R, [B, Tout, C]);
      try {
        const tfOut = tf.tidy(() => (layer.apply(tx) as tf.Tensor).dataSync() as Float32Array);
        const pool = (v: tf.Tensor3D): tf.Tensor => tf.squeeze(tf.avgPool(tf.expandDims(tf.pad(v, [[0, 0], pads, [0, 0]]), 2) as tf.Tensor4D, [poolSize, 1], [strides, 1], 'valid'), [2]);
        const f = (): tf.Tensor => tf.div(pool(tx as tf.Tensor3D), pool(tf.onesLike(tx) as tf.Tensor3D));
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), rt)), [tx]);
        const cmp = new Comparer(t, RTOL, ATOL);
        cmp.close(out, tfOut, 'output (tfjs layer)');
        cmp.close(out, tf.tidy(() => f().dataSync() as Float32Array), 'output (reference)');
        cmp.close(dx, grads[tx.name]!.dataSync(), 'dInput');
        cmp.report();
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        tf.dispose([tx, rt]);
        layer.dispose();
      }
    });
  });
});

// tfjs cannot train a dilated Conv1D, and its 'same' average-pooling gradient differs (see above): neither is in the model.
describe('training parity with tfjs: Conv1D → MaxPooling1D(same) → Conv1D → AveragePooling1D → Flatten → Dense, SGD(0.1), 10 steps', () => {
  it('losses, final weights, predictions', async (t) => {
    const N = 12;
    const T = 10;
    const C = 3;
    const rng = new Rng(1000);
    const spec = [
      { kind: 'conv1d', args: { filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', inputShape: [T, C] } },
      { kind: 'maxPooling1d', args: { poolSize: 3, strides: 2, padding: 'same' } },
      { kind: 'conv1d', args: { filters: 3, kernelSize: 2, activation: 'sigmoid' } },
      { kind: 'averagePooling1d', args: { poolSize: 2 } },
      { kind: 'flatten', args: {} },
      { kind: 'dense', args: { units: 3, activation: 'softmax' } },
    ] as const;
    const ours = new Sequential({ layers: spec.map((s) => (layers as unknown as Record<string, (a: object) => Layer>)[s.kind]!(s.args)) });
    ours.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    const weights = ours.layers.flatMap((l) => randomWeights(l, rng, 0.5));
    ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));
    const x = randomArray(N * T * C, rng);
    const y = new Float32Array(N * 3);
    for (let i = 0; i < N; i++) y[i * 3 + rng.int(3)] = 1;
    const xs = tensor(x, [N, T, C]);
    const ys = tensor(y, [N, 3]);
    const h = await ours.fit(xs, ys, { epochs: 10, batchSize: N, shuffle: false, verbose: 0 });

    const theirs = tfl.sequential();
    const sgd = tf.train.sgd(0.1);
    const tx = tf.tensor(x, [N, T, C]);
    const ty = tf.tensor(y, [N, 3]);
    const theirLosses: number[] = [];
    let theirWeights: Float32Array[];
    let theirPred: Float32Array;
    try {
      for (const s of spec) {
        const init = s.kind === 'conv1d' || s.kind === 'dense' ? TF_ZERO_INIT_DENSE : {};
        theirs.add((tfl.layers as unknown as Record<string, (a: object) => TfLayer>)[s.kind]!({ ...s.args, ...init }) as never);
      }
      theirs.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
      tf.tidy(() => theirs.setWeights(weights.map((w) => tf.tensor(w.data, [...w.shape]))));
      for (let s = 0; s < 10; s++) theirLosses.push((await theirs.trainOnBatch(tx, ty)) as number);
      theirWeights = theirs.getWeights().map((w) => w.dataSync() as Float32Array);
      theirPred = tf.tidy(() => (theirs.predict(tx) as tf.Tensor).dataSync() as Float32Array);
    } finally {
      theirs.dispose();
      sgd.dispose();
      tf.dispose([tx, ty]);
    }
    const cmp = new Comparer(t, 1e-5, 0);
    cmp.close(h.history.loss!, theirLosses, 'losses');
    assert.ok(theirLosses[9]! < theirLosses[0]!, 'the loss went down');
    ours.getWeights().forEach((w, i) => cmp.close(w.data, theirWeights[i]!, `weight ${i} [${w.shape.join(', ')}]`, 1e-4, 1e-5));
    cmp.close(ours.predict(xs).data, theirPred, 'predict', 1e-4, 1e-6);
    cmp.report();
  });
});

// ---------------------------------------------------------------------------------------

type TopologyLayer = { class_name: string; config: Record<string, unknown> };
const topologyLayers = (json: ModelJSON): TopologyLayer[] => (json.modelTopology as unknown as { config: { layers: TopologyLayer[] } }).config.layers;

describe('save / load (TF.js layers-model format)', () => {
  const everything = (): Sequential =>
    new Sequential({
      layers: [
        layers.conv1d({ filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'tanh', inputShape: [null, 3], name: 'causal' }),
        layers.spatialDropout1d({ rate: 0.3, seed: 5 }),
        layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        layers.conv1d({ filters: 6, kernelSize: 2, strides: 2, padding: 'same', groups: 2, kernelRegularizer: regularizers.l2({ l2: 0.01 }), kernelConstraint: constraints.maxNorm({ maxValue: 2 }), name: 'grouped' }),
        layers.averagePooling1d({ poolSize: 2, padding: 'same' }),
        layers.globalAveragePooling1d(),
        layers.dense({ units: 2, name: 'head' }),
      ],
    });

  it('rnnkit → rnnkit: Keras class names and keys, weights by name, the same predictions on any length', async () => {
    const m = everything();
    randomizeWeights(m, 1);
    const a = await artifactsOf(m);
    const saved = topologyLayers(a.modelJson);
    assert.deepEqual(saved.map((l) => l.class_name), ['Conv1D', 'SpatialDropout1D', 'MaxPooling1D', 'Conv1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'Dense']);
    const causal = saved[0]!.config;
    assert.deepEqual([causal.kernel_size, causal.strides, causal.dilation_rate, causal.padding, causal.groups], [[3], [1], [2], 'causal', 1]);
    assert.deepEqual([saved[2]!.config.pool_size, saved[2]!.config.strides, saved[2]!.config.padding], [[3], [2], 'same']);
    assert.equal(saved[1]!.config.rate, 0.3);
    assert.deepEqual(
      a.modelJson.weightsManifest.flatMap((g) => g.weights.map((w) => `${w.name} ${w.shape.join('×')}`)),
      ['causal/kernel 3×3×4', 'causal/bias 4', 'grouped/kernel 2×2×6', 'grouped/bias 6', 'head/kernel 6×2', 'head/bias 2'],
    );
    const back = await loadModel(a);
    assert.deepEqual(back.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
    for (const T of [5, 12]) {
      const x = randomInput([3, T, 3], T);
      assert.deepEqual([...back.predict(x).data], [...m.predict(x).data], `T ${T}`);
    }
  });

  it('rnnkit → tf.loadLayersModel: tfjs reads the layers and predicts the same', async () => {
    const m = new Sequential({
      layers: [
        layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 3] }),
        layers.spatialDropout1d({ rate: 0.2 }),
        layers.maxPooling1d({ poolSize: 2 }),
        layers.conv1d({ filters: 3, kernelSize: 3, dilationRate: 2 }),
        layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        layers.flatten(),
        layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    randomizeWeights(m, 2);
    const dir = await tempDir('conv-to-tfjs');
    await m.save(dir);
    const theirs = await tfjsLoadDir(dir);
    try {
      assert.deepEqual(
        theirs.layers.map((l) => l.getClassName()),
        m.layers.map((l) => l.className),
      );
      const x = randomInput([4, 12, 3], 3);
      assertClose(tfjsPredict(theirs, x), m.predict(x).data, 1e-5, 1e-6, 'tfjs vs rnnkit');
    } finally {
      theirs.dispose();
    }
  });

  it('tfjs model.save → rnnkit loadModel: the same predictions', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', strides: 2, activation: 'tanh', inputShape: [20, 3] }),
        tfl.layers.spatialDropout1d({ rate: 0.4 }),
        tfl.layers.maxPooling1d({ poolSize: 2, padding: 'same' }),
        tfl.layers.conv1d({ filters: 5, kernelSize: 2, dilationRate: 2 }),
        tfl.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    try {
      const rng = new Rng(4);
      tf.tidy(() => theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(randomArray(w.size, rng, -0.8, 0.8), w.shape))));
      const saved = await tfjsArtifacts(theirs);
      const json = tfjsModelJson(saved);
      const conv = topologyLayers(json.modelJson)[0]!.config;
      assert.deepEqual([conv.kernel_size, conv.strides, conv.dilation_rate], [[3], [2], [1]], 'tfjs writes the sizes as lists');
      const ours = await loadModel(json);
      assert.deepEqual(ours.layers.map((l) => l.className), ['Conv1D', 'SpatialDropout1D', 'MaxPooling1D', 'Conv1D', 'AveragePooling1D', 'Flatten', 'Dense']);
      const x = randomInput([3, 20, 3], 5);
      assertClose(ours.predict(x).data, tfjsPredict(theirs, x), 1e-5, 1e-6, 'rnnkit vs tfjs');
    } finally {
      theirs.dispose();
    }
  });

  /** The rnnkit file with its layer configs rewritten as Python Keras writes them. */
  const asPython = async (version: string, edit: (layer: TopologyLayer) => void = () => {}): Promise<{ json: ModelJSON; weightData: ArrayBuffer; expected: (x: Tensor) => Float32Array }> => {
    const m = everything();
    randomizeWeights(m, 6);
    const a = await artifactsOf(m);
    const json = JSON.parse(JSON.stringify(a.modelJson)) as ModelJSON;
    (json as { generatedBy: string }).generatedBy = `keras v${version}`;
    const topo = json.modelTopology as unknown as { keras_version: string; backend: string };
    topo.keras_version = version;
    topo.backend = 'tensorflow';
    const keras3 = version.startsWith('3');
    const init = (name: string) => (keras3 ? { module: 'keras.initializers', class_name: name, config: { seed: null }, registered_name: null } : { class_name: name, config: { seed: null } });
    for (const l of topologyLayers(json)) {
      const c = l.config;
      if (keras3) c.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
      if ('data_format' in c) c.data_format = 'channels_last';
      if (l.class_name === 'Conv1D') {
        Object.assign(c, { activity_regularizer: null, kernel_initializer: init('GlorotUniform'), bias_initializer: init('Zeros') });
      }
      if (l.class_name === 'SpatialDropout1D') {
        c.seed = null;
        if (!keras3) c.noise_shape = null;
      }
      edit(l);
    }
    return { json, weightData: a.weightData, expected: (x) => m.predict(x).data };
  };

  for (const version of ['3.6.0', '2.15.0']) {
    it(`Keras ${version[0]} configs (sizes as lists, 'channels_last', dtype policies, null options) load and predict the same`, async () => {
      const { json, weightData, expected } = await asPython(version);
      const ours = await loadModel({ modelJson: json, weightData });
      const x = randomInput([2, 9, 3], 7);
      assert.deepEqual([...ours.predict(x).data], [...expected(x)]);
    });
  }

  it('a Keras file with what rnnkit refuses: channels_first, strides with dilation — named; an activity regularizer loads, and fit/evaluate refuse it', async () => {
    const reg = await asPython('3.6.0', (l) => l.config.name === 'causal' && (l.config.activity_regularizer = { class_name: 'L2', config: { l2: 0.01 } }));
    const regularized = await loadModel({ modelJson: reg.json, weightData: reg.weightData });
    assert.throws(() => regularized.evaluate(randomInput([2, 9, 3], 7), randomInput([2, 9, 3], 7)), /Conv1D 'causal' has option 'activity_regularizer'/);
    const cases: [(l: TopologyLayer) => void, RegExp][] = [
      [(l) => l.class_name === 'MaxPooling1D' && (l.config.data_format = 'channels_first'), /MaxPooling1D 'max_pooling1d(_\d+)?'.*dataFormat "channels_first" is not supported/],
      [(l) => l.config.name === 'grouped' && (l.config.dilation_rate = [2]), /Conv1D 'grouped'.*strides > 1 is not supported together with dilationRate > 1/],
    ];
    for (const [edit, re] of cases) {
      const { json, weightData } = await asPython('3.6.0', edit);
      await assert.rejects(loadModel({ modelJson: json, weightData }), (e: Error) => {
        assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${e.name}: ${e.message}`);
        assert.match(e.message, re);
        return true;
      });
    }
  });
});
