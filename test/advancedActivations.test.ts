/**
 * The activation functions added with Keras 3 and tfjs 4 (relu6, gelu, mish, leaky_relu,
 * log_softmax, hard_silu, …): values and derivatives against PyTorch float64 and Keras 3's
 * numpy formulas (test/fixtures/activations-torch.json, tools/activation_fixtures.py), tfjs
 * where it has them, finite differences, loading and refusals.
 *
 * ReLU, LeakyReLU, ELU, ThresholdedReLU, PReLU and Softmax layers: finite-difference
 * gradients; forward and gradients against tfjs-layers 4.22 where tfjs has the option,
 * against Keras's own formulas (written as Keras composes them) and its documented numbers
 * where it does not; save/load with tfjs and Keras 2/3 configs, .keras round trips; streams;
 * refusals; PReLU learning a known slope.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { ModelFormatError, Sequential, layers, loadModel, modelFromJson, optimizers, saveKerasFile, setSeed, tensor, type Layer, type ModelJSON } from '../src/index.js';
import { assertClose, checkLayerGradients, randomArray } from './helpers/check.js';
import { Comparer } from './helpers/parity.js';
import { TF_ZERO_INIT_DENSE, initTfjs, tf, tfl, tfLayerGrads, type FlatTensor, type TfLayer } from './helpers/tfjs.js';
import { artifactsOf, randomInput, removeTempDirs, tempDir, tfjsArtifacts, tfjsLoadDir, tfjsModelJson, tfjsPredict } from './helpers/saving.js';

const STEP = 1e-2; // the finite-difference step of checkLayerGradients

let tensorsAtStart = 0;
before(async () => {
  await initTfjs();
  tensorsAtStart = tf.memory().numTensors;
});
after(async () => {
  await removeTempDirs();
  assert.equal(tf.memory().numTensors, tensorsAtStart, 'tfjs tensors leaked');
});

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Inputs away from the kinks (|x − k| > 2·STEP for each kink k), so central differences
 * never straddle one.
 */
function smoothInput(n: number, rng: Rng, kinks: readonly number[]): Float32Array {
  const x = randomArray(n, rng, -2.5, 2.5);
  for (let i = 0; i < n; i++) for (const k of kinks) if (Math.abs(x[i]! - k) < 3 * STEP) x[i] = k + 0.1;
  return x;
}

/** The layer built for inShape, weights in [0.05, 0.6], inputs away from its kinks: checkLayerGradients. */
function gradCheck(layer: Layer, B: number, T: number, inShape: number[], seed: number, kinks: readonly number[], what: string): void {
  const rng = new Rng(seed);
  layer.build(inShape);
  for (const w of layer.weights) w.value.set(randomArray(w.value.length, rng, 0.05, 0.6));
  const x = smoothInput(B * sizeOf(inShape), rng, kinks);
  checkLayerGradients(layer, { x, B, T, R: randomArray(x.length, rng) }, what);
}

interface ActivationFixture {
  x: number[];
  functions: Record<string, { y: number[]; dydx: number[] }>;
  rows: { log_softmax: { rows: number; y: number[]; dx_for_cos_weights: number[] } };
}
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/activations-torch.json', import.meta.url), 'utf8')) as ActivationFixture;

/** An Activation layer's forward and its backward for dy, on [rows, cols]. */
function runActivation(name: string, x: Float32Array, rows: number, dy: Float32Array): { y: Float32Array; dx: Float32Array } {
  const layer = layers.activation({ activation: name as never });
  layer.build([x.length / rows]);
  const y = layer.forward(x, rows, 1, true, null).slice(0, x.length);
  const dx = layer.backward(dy, rows, 1, true)!.slice(0, x.length);
  return { y, dx };
}

describe('activation functions: values and derivatives against PyTorch float64 and Keras 3 formulas', () => {
  const x = Float32Array.from(FIXTURE.x);
  const names = Object.keys(FIXTURE.functions);
  for (const name of names) {
    it(name, () => {
      const ref = FIXTURE.functions[name]!;
      const { y, dx } = runActivation(name.replace(/_exact$/, ''), x, 1, new Float32Array(x.length).fill(1));
      // rnnkit computes in float64 and stores float32: within a few float32 ulps of the exact value,
      // also in the gelus' lower tail, where torch's own x·(1 + erf)/2 is off by 1e-16 absolute.
      const floor = name === 'gelu' || name === 'gelu_new' ? 1e-14 : 1e-30;
      assertClose(y, Float32Array.from(ref.y), 3e-7, floor, `${name}: value`);
      assertClose(dx, Float32Array.from(ref.dydx), 3e-7, floor, `${name}: derivative`);
    });
  }
  it('log_softmax over rows: values and the row-sum derivative', () => {
    const ref = FIXTURE.rows.log_softmax;
    const n = ref.y.length;
    const dy = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const { y, dx } = runActivation('log_softmax', x.slice(0, n), ref.rows, dy);
    assertClose(y, Float32Array.from(ref.y), 3e-7, 1e-6, 'log_softmax value');
    assertClose(dx, Float32Array.from(ref.dx_for_cos_weights), 1e-6, 1e-6, 'log_softmax derivative');
  });
  it('tfjs names and Keras names resolve to the same function; celu is elu (α = 1)', () => {
    const same = (a: string, b: string): void => assert.equal(layers.activation({ activation: a as never }).activation, layers.activation({ activation: b as never }).activation, `${a} = ${b}`);
    same('logSoftmax', 'log_softmax');
    same('geluNew', 'gelu_new');
    same('hard_swish', 'hard_silu');
    same('hardSwish', 'hardSilu');
    same('celu', 'elu');
    assert.throws(() => layers.activation({ activation: 'glu' as never }), /unknown activation "glu"/);
  });
});

describe('activation functions: tfjs 4.22 parity (forward and gradients)', () => {
  for (const name of ['relu6', 'gelu', 'gelu_new', 'mish', 'logSoftmax'] as const) {
    it(name, (t: TestContext) => {
      const rng = new Rng(77);
      const x = randomArray(4 * 6, rng, -4, 4);
      const R = randomArray(x.length, rng);
      const { y, dx } = runActivation(name, x, 4, R);
      const ref = tfLayerGrads(tfl.layers.activation({ activation: name as never }), [], { data: x, shape: [4, 6] }, R);
      // tfjs's erf is a float32 rational approximation (~1e-7 absolute).
      const cmp = new Comparer(t, 1e-5, 1e-6);
      cmp.close(y, ref.out, 'output');
      cmp.close(dx, ref.dx, 'dInput');
      cmp.report();
    });
  }
});

describe('activation functions: finite differences through Dense', () => {
  const kinks: Record<string, number[]> = { relu6: [0, 6], leaky_relu: [0], hard_silu: [-3, 3], hard_tanh: [-1, 1], soft_shrink: [-0.5, 0.5], hard_shrink: [-0.5, 0.5], sparse_plus: [-1, 1], sparse_sigmoid: [-1, 1] };
  const names = ['relu6', 'gelu', 'gelu_new', 'mish', 'exponential', 'leaky_relu', 'log_softmax', 'hard_silu', 'log_sigmoid', 'hard_tanh', 'tanh_shrink', 'soft_shrink', 'hard_shrink', 'sparse_plus', 'squareplus', 'sparse_sigmoid'];
  names.forEach((name, i) => it(name, () => gradCheck(layers.activation({ activation: name as never }), 3, 1, [5], 200 + i, kinks[name] ?? [], name)));
});

describe('gradients (finite differences)', () => {
  const cases: [string, () => Layer, number[], number, number[]][] = [
    ['ReLU [B, F]', () => layers.reLU(), [6], 1, [0]],
    ['ReLU maxValue 1, negativeSlope 0.2, threshold 0.5 [B, T, F]', () => layers.reLU({ maxValue: 1, negativeSlope: 0.2, threshold: 0.5 }), [3, 4], 3, [0.5, 1]],
    ['LeakyReLU [B, T, F]', () => layers.leakyReLU(), [3, 4], 3, [0]],
    ['LeakyReLU alpha 0.05 rank 4', () => layers.leakyReLU({ alpha: 0.05 }), [2, 3, 2], 2, [0]],
    ['ELU [B, F]', () => layers.elu(), [6], 1, [0]],
    ['ELU alpha 0.4 [B, T, F]', () => layers.elu({ alpha: 0.4 }), [3, 4], 3, [0]],
    ['ThresholdedReLU theta 0.7', () => layers.thresholdedReLU({ theta: 0.7 }), [3, 4], 3, [0.7]],
    ['PReLU [B, F]', () => layers.prelu(), [6], 1, [0]],
    ['PReLU [B, T, F] (α per step and feature)', () => layers.prelu(), [3, 4], 3, [0]],
    ['PReLU sharedAxes [1]', () => layers.prelu({ sharedAxes: [1] }), [3, 4], 3, [0]],
    ['PReLU rank 4, sharedAxes [1, 3]', () => layers.prelu({ sharedAxes: [1, 3] }), [2, 3, 2], 2, [0]],
    ['PReLU rank 4, sharedAxes 2', () => layers.prelu({ sharedAxes: 2 }), [2, 3, 2], 2, [0]],
    ['Softmax [B, F]', () => layers.softmax(), [5], 1, []],
    ['Softmax axis 1 (time)', () => layers.softmax({ axis: 1 }), [4, 3], 4, []],
    ['Softmax axes [1, 2] jointly', () => layers.softmax({ axis: [1, 2] }), [4, 3], 4, []],
    ['Softmax rank 4, axis 2', () => layers.softmax({ axis: 2 }), [2, 3, 2], 2, []],
  ];
  cases.forEach(([name, make, inShape, T, kinks], i) => it(name, () => gradCheck(make(), 3, T, inShape, 40 + i, kinks, name)));
});

describe('tfjs parity (tfjs-layers 4.22): forward and gradients', () => {
  const RTOL = 1e-5;
  const ATOL = 1e-6;
  const cases: [string, () => Layer, () => TfLayer, number[]][] = [
    ['ReLU', () => layers.reLU(), () => tfl.layers.reLU(), [4, 5]],
    ['ReLU maxValue 0.8', () => layers.reLU({ maxValue: 0.8 }), () => tfl.layers.reLU({ maxValue: 0.8 }), [4, 5]],
    ['LeakyReLU', () => layers.leakyReLU(), () => tfl.layers.leakyReLU(), [4, 5]],
    ['LeakyReLU alpha 0.01', () => layers.leakyReLU({ alpha: 0.01 }), () => tfl.layers.leakyReLU({ alpha: 0.01 }), [6]],
    ['ELU', () => layers.elu(), () => tfl.layers.elu(), [4, 5]],
    ['PReLU', () => layers.prelu(), () => tfl.layers.prelu(), [4, 5]],
    ['PReLU sharedAxes [1]', () => layers.prelu({ sharedAxes: [1] }), () => tfl.layers.prelu({ sharedAxes: [1] }), [4, 5]],
    ['PReLU rank 4, sharedAxes [1, 2]', () => layers.prelu({ sharedAxes: [1, 2] }), () => tfl.layers.prelu({ sharedAxes: [1, 2] }), [3, 2, 4]],
    ['Softmax axis -1', () => layers.softmax({ axis: -1 }), () => tfl.layers.softmax({ axis: -1 }), [4, 5]],
    ['Softmax axes [1, 2]', () => layers.softmax({ axis: [1, 2] }), () => tfl.layers.softmax({ axis: [1, 2] }), [4, 5]],
  ];
  cases.forEach(([name, make, theirs, inShape], i) =>
    it(name, (t: TestContext) => {
      const rng = new Rng(60 + i);
      const B = 3;
      const layer = make();
      layer.build(inShape);
      const weights: FlatTensor[] = layer.weights.map((w) => ({ data: randomArray(w.value.length, rng, 0.05, 0.6), shape: w.shape }));
      layer.setWeights(weights.map((w) => tensor(w.data, w.shape)));
      const x = randomArray(B * sizeOf(inShape), rng, -2, 2);
      const R = randomArray(x.length, rng);
      for (const w of layer.weights) w.grad.fill(0);
      const out = layer.forward(x, B, inShape.length >= 2 ? inShape[0]! : 1, true, null).slice(0, x.length);
      const dx = layer.backward(R.slice(), B, inShape.length >= 2 ? inShape[0]! : 1, true)!.slice(0, x.length);
      const ref = tfLayerGrads(theirs(), weights, { data: x, shape: [B, ...inShape] }, R);
      const cmp = new Comparer(t, RTOL, ATOL);
      cmp.close(out, ref.out, 'output');
      layer.weights.forEach((w, k) => cmp.close(w.grad, ref.dWeights[k]!, `d${w.name}`));
      cmp.close(dx, ref.dx, 'dInput');
      cmp.report();
    }),
  );
});

describe('tfjs parity where tfjs-layers cannot differentiate or run the layer', () => {
  it('ThresholdedReLU theta 0.3: forward (tfjs has no gradient for its Greater)', () => {
    const rng = new Rng(75);
    const x = randomArray(3 * 20, rng, -2, 2);
    const layer = layers.thresholdedReLU({ theta: 0.3 });
    const mine = layer.apply(tensor(x, [3, 4, 5])).data;
    const theirs = tf.tidy(() => (tfl.layers.thresholdedReLU({ theta: 0.3 }).apply(tf.tensor(x, [3, 4, 5])) as tf.Tensor).dataSync());
    assert.deepEqual([...mine], [...theirs]);
  });

  it("Softmax axis 1 (time): forward and dInput against tfjs ops exp(x − logSumExp(x, 1)) (tfjs's softmax takes the last axis only)", (t: TestContext) => {
    const rng = new Rng(76);
    const x = randomArray(3 * 20, rng, -2, 2);
    const R = randomArray(x.length, rng);
    const layer = layers.softmax({ axis: 1 });
    layer.build([4, 5]);
    const out = layer.forward(x, 3, 4, true, null).slice(0, x.length);
    const dx = layer.backward(R, 3, 4, true)!.slice(0, x.length);
    const f = (v: tf.Tensor): tf.Tensor => tf.exp(tf.sub(v, tf.logSumExp(v, 1, true)));
    const [refOut, refDx] = tf.tidy(() => {
      const xt = tf.tensor(x, [3, 4, 5]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), tf.tensor(R, [3, 4, 5]))))(xt);
      return [f(xt).dataSync() as Float32Array, g.dataSync() as Float32Array];
    });
    const cmp = new Comparer(t, 1e-5, 1e-6);
    cmp.close(out, refOut, 'output');
    cmp.close(dx, refDx, 'dInput');
    cmp.report();
  });
});

describe("Keras's formulas and documented numbers (options tfjs does not have)", () => {
  const apply = (layer: Layer, values: number[]): number[] => [...layer.apply(tensor(values, [1, values.length])).data];

  it('ReLU docstring examples (Keras 2 and 3)', () => {
    assert.deepEqual(apply(layers.reLU(), [-3, -1, 0, 2]), [0, 0, 0, 2]);
    assert.deepEqual(apply(layers.reLU({ maxValue: 1 }), [-3, -1, 0, 2]), [0, 0, 0, 1]);
    assert.deepEqual(apply(layers.reLU({ negativeSlope: 1 }), [-3, -1, 0, 2]), [-3, -1, 0, 2]);
    assert.deepEqual(apply(layers.reLU({ threshold: 1.5 }), [-3, -1, 1, 2]), [0, 0, 0, 2]);
  });

  it('LeakyReLU docstring example: [-3, -1, 0, 2] → [-0.9, -0.3, 0, 2]', () => {
    assertClose(new Float32Array(apply(layers.leakyReLU(), [-3, -1, 0, 2])), new Float32Array([-0.9, -0.3, 0, 2]), 1e-7, 1e-7, 'leaky');
  });

  it("ReLU with every option against Keras's composition: x·[x > θ] clipped to [0, max], minus slope·relu(θ − x)", () => {
    const rng = new Rng(70);
    const x = [...randomArray(200, rng, -3, 3)];
    for (const [max, slope, th] of [[2, 0.3, 0.5], [null, 0.1, 1], [0.4, 0, 0.2], [6, 0.2, 0]] as const) {
      const keras = x.map((v) => {
        let y = th !== 0 ? v * (v > th ? 1 : 0) : Math.max(v, 0);
        if (max !== null) y = Math.min(Math.max(y, 0), max);
        return y - slope * Math.max(th - v, 0);
      });
      assertClose(new Float32Array(apply(layers.reLU({ maxValue: max, negativeSlope: slope, threshold: th }), x)), new Float32Array(keras), 1e-6, 1e-7, `max ${max} slope ${slope} θ ${th}`);
    }
  });

  it("ELU alpha 0.5 against Keras's where(x > 0, x, α·(eˣ − 1)) (tfjs refuses alpha ≠ 1)", () => {
    const x = [-3, -1, -0.1, 0, 0.5, 2];
    assertClose(new Float32Array(apply(layers.elu({ alpha: 0.5 }), x)), new Float32Array(x.map((v) => (v > 0 ? v : 0.5 * Math.expm1(v)))), 1e-6, 1e-7, 'elu');
    assert.throws(() => tfl.layers.elu({ alpha: 0.5 }), /Non-default alpha/);
  });
});

/** A model holding every layer of this file (tfjs-compatible options). */
function allLayers(T = 5, F = 3): Sequential {
  return new Sequential({
    layers: [
      layers.lstm({ units: 4, returnSequences: true, inputShape: [T, F] }),
      layers.leakyReLU({ alpha: 0.1 }),
      layers.prelu({ sharedAxes: [1], alphaInitializer: 'randomUniform' }),
      layers.dense({ units: 4 }),
      layers.elu(),
      layers.reLU({ maxValue: 0.9 }),
      layers.thresholdedReLU({ theta: 0.05 }),
      layers.dense({ units: 3 }),
      layers.softmax(),
    ],
  });
}

describe('saving and loading', () => {
  it('round trip: configs, weights and predictions; Keras weight names (alpha)', async () => {
    setSeed(80);
    const m = allLayers();
    const back = await loadModel(await artifactsOf(m));
    assert.deepEqual(back.layers.map((l) => l.className), m.layers.map((l) => l.className));
    assert.deepEqual(back.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
    assert.deepEqual(m.layers[2]!.weights.map((w) => [w.name, w.shape]), [['alpha', [1, 4]]]);
    const x = randomInput([2, 5, 3], 81);
    assert.deepEqual([...back.predict(x).data], [...m.predict(x).data]);
  });

  it('rnnkit → tf.loadLayersModel predicts the same', async () => {
    setSeed(82);
    const m = allLayers();
    const dir = await tempDir('advanced-activations');
    await m.save(dir);
    const theirs = await tfjsLoadDir(dir);
    try {
      assert.deepEqual(theirs.layers.map((l) => l.getClassName()), m.layers.map((l) => l.className));
      const x = randomInput([3, 5, 3], 83);
      assertClose(tfjsPredict(theirs, x), m.predict(x).data, 1e-5, 1e-6, 'tfjs vs rnnkit');
    } finally {
      theirs.dispose();
    }
  });

  it('tfjs model.save → rnnkit loadModel predicts the same', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 4, inputShape: [6], ...TF_ZERO_INIT_DENSE }),
        tfl.layers.prelu(),
        tfl.layers.leakyReLU({ alpha: 0.2 }),
        tfl.layers.dense({ units: 4, ...TF_ZERO_INIT_DENSE }),
        tfl.layers.reLU({ maxValue: 1 }),
        tfl.layers.thresholdedReLU({ theta: 0.1 }),
        tfl.layers.elu(),
        tfl.layers.dense({ units: 3, ...TF_ZERO_INIT_DENSE }),
        tfl.layers.softmax({ axis: -1 }),
      ],
    });
    try {
      const rng = new Rng(84);
      tf.tidy(() => theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(randomArray(w.size, rng, -0.8, 0.8), w.shape))));
      const ours = await loadModel(tfjsModelJson(await tfjsArtifacts(theirs)));
      assert.deepEqual(ours.layers.map((l) => l.className), ['Dense', 'PReLU', 'LeakyReLU', 'Dense', 'ReLU', 'ThresholdedReLU', 'ELU', 'Dense', 'Softmax']);
      const x = randomInput([5, 6], 85);
      assertClose(ours.predict(x).data, tfjsPredict(theirs, x), 1e-5, 1e-6, 'rnnkit vs tfjs');
    } finally {
      theirs.dispose();
    }
  });

  /** A Sequential to_json as Keras writes it, around one layer config, for modelFromJson. */
  const kerasJson = (version: string, cls: string, config: Record<string, unknown>): string =>
    JSON.stringify({
      class_name: 'Sequential',
      keras_version: version,
      backend: 'tensorflow',
      config: { name: 'seq', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'in' } }, { class_name: cls, config: { name: 'act', trainable: true, dtype: 'float32', ...config } }] },
    });

  it("Keras 2 and Keras 3 configs (LeakyReLU's alpha and negative_slope, ReLU's three options, PReLU's initializer objects)", () => {
    const x = tensor([-2, -0.5, 0.3, 3], [1, 4]);
    const run = (json: string): number[] => [...modelFromJson(json).predict(x).data];
    assertClose(new Float32Array(run(kerasJson('2.13.1', 'LeakyReLU', { alpha: 0.2 }))), new Float32Array([-0.4, -0.1, 0.3, 3]), 1e-7, 1e-7, 'keras 2 leaky');
    assertClose(new Float32Array(run(kerasJson('3.6.0', 'LeakyReLU', { negative_slope: 0.2 }))), new Float32Array([-0.4, -0.1, 0.3, 3]), 1e-7, 1e-7, 'keras 3 leaky');
    assertClose(new Float32Array(run(kerasJson('2.13.1', 'ReLU', { max_value: 2.0, negative_slope: 0.5, threshold: 0.1 }))), new Float32Array([-1.05, -0.3, 0.3, 2]), 1e-6, 1e-7, 'relu');
    assert.deepEqual(run(kerasJson('2.13.1', 'Softmax', { axis: -1 })).length, 4);
    const prelu = modelFromJson(kerasJson('3.6.0', 'PReLU', { alpha_initializer: { module: 'keras.initializers', class_name: 'Constant', config: { value: 0.25 }, registered_name: null }, alpha_regularizer: null, alpha_constraint: null, shared_axes: null }));
    assertClose(prelu.predict(x).data, new Float32Array([-0.5, -0.125, 0.3, 3]), 1e-7, 1e-7, 'prelu');
  });

  it("Keras 3 activation names in a Dense config load (leaky_relu's slope is 0.2, hard_swish is hard_silu); a .keras file refuses tfjs's gelu_new", async () => {
    const dense = (activation: string): string =>
      JSON.stringify({
        class_name: 'Sequential',
        module: 'keras',
        config: { name: 'seq', layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 2], dtype: 'float32', name: 'in' } }, { module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 2, activation, use_bias: false, kernel_initializer: { module: 'keras.initializers', class_name: 'Identity', config: {} } } }] },
      });
    const x = tensor([-2, 0.5], [1, 2]);
    assertClose(modelFromJson(dense('leaky_relu')).predict(x).data, new Float32Array([-0.4, 0.5]), 1e-7, 1e-7, 'leaky_relu');
    assertClose(modelFromJson(dense('hard_swish')).predict(x).data, new Float32Array([-2 * (-2 / 6 + 0.5), 0.5 * (0.5 / 6 + 0.5)]), 1e-6, 1e-7, 'hard_swish');
    const back = await loadModel({ kerasFile: await saveKerasFile(modelFromJson(dense('log_softmax')), null) });
    assert.equal((back.layers[0] as unknown as { getConfig(): { activation: string } }).getConfig().activation, 'logSoftmax');
    const g = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [2], activation: 'geluNew' })] });
    await assert.rejects(saveKerasFile(g, null), /activation 'geluNew' \(tfjs's tanh approximation of gelu\) has no Keras 3 name/);
  });

  it('a .keras round trip (Keras 3 names: negative_slope, layers/p_re_lu/vars/0) predicts the same; ThresholdedReLU is refused with the ReLU that replaces it', async () => {
    setSeed(86);
    const m = new Sequential({
      layers: [layers.dense({ units: 4, inputShape: [3] }), layers.prelu({ alphaInitializer: 'randomUniform' }), layers.leakyReLU({ alpha: 0.05 }), layers.reLU({ threshold: 0.01, negativeSlope: 0.1 }), layers.elu({ alpha: 0.7 }), layers.softmax()],
    });
    const bytes = await saveKerasFile(m, null, { date: new Date(0) });
    const back = await loadModel({ kerasFile: bytes });
    const x = randomInput([4, 3], 87);
    assert.deepEqual([...back.predict(x).data], [...m.predict(x).data]);
    assert.deepEqual(back.layers[2]!.getConfig().alpha, 0.05);
    const t = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] }), layers.thresholdedReLU({ theta: 0.2 })] });
    await assert.rejects(saveKerasFile(t, null), /Keras 3 has no ThresholdedReLU.*layers\.reLU\(\{threshold: θ\}\)/);
  });

  it('a file with a bad option is a ModelFormatError naming the layer and option', async () => {
    const a = await artifactsOf(allLayers());
    const json = JSON.parse(JSON.stringify(a.modelJson)) as ModelJSON;
    const ls = (json.modelTopology as unknown as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    ls.find((l) => l.class_name === 'LeakyReLU')!.config.alpha = -1;
    await assert.rejects(loadModel({ modelJson: json, weightData: a.weightData }), (e: unknown) => e instanceof ModelFormatError && /LeakyReLU '.*': alpha must be a number in \[0, 3\.4028234663852886e\+38\], got -1/.test((e as Error).message));
  });
});

describe('options and behaviour', () => {
  it('refuses by name: unknown keys, negative slopes and thresholds, values beyond float32, alpha with a different negativeSlope, bad axes, the batch axis, non-adjacent axes', () => {
    assert.throws(() => layers.leakyReLU({ alpha: 0.1, slope: 1 } as never), /unknown option 'slope'/);
    assert.throws(() => layers.leakyReLU({ alpha: 0.1, negativeSlope: 0.2 }), /alpha 0.1 and negativeSlope 0.2 name the same slope/);
    assert.equal(layers.leakyReLU({ negativeSlope: 0.2 }).alpha, 0.2);
    assert.throws(() => layers.reLU({ maxValue: -1 }), /maxValue must be a number in \[0, 3\.4028234663852886e\+38\]/);
    // Beyond float32's range (an edited file's 1e300): ±Infinity in float32, NaN downstream.
    assert.throws(() => layers.leakyReLU({ alpha: 1e300 }), /alpha must be a number in \[0, 3\.4028234663852886e\+38\], got 1e\+300/);
    assert.throws(() => layers.elu({ alpha: -1e39 }), /alpha must be a number/);
    assert.throws(() => layers.reLU({ threshold: Number.NaN }), /threshold must be a number/);
    assert.throws(() => layers.thresholdedReLU({ theta: -0.5 }), /theta must be a number/);
    assert.throws(() => layers.elu({ alpha: Infinity }), /alpha must be a number/);
    assert.throws(() => layers.prelu({ sharedAxes: [0] }), /sharedAxes must be an axis or a list of axes counted from 1/);
    assert.throws(() => layers.softmax({ axis: 1.5 }), /axis must be an integer or a list of integers/);
    const build = (l: Layer, shape: (number | null)[]): void => l.build(shape as number[]);
    assert.throws(() => build(layers.softmax({ axis: 0 }), [3, 4]), /includes the batch axis/);
    assert.throws(() => build(layers.softmax({ axis: [1, 3] }), [3, 4, 2]), /are not adjacent/);
    assert.throws(() => build(layers.softmax({ axis: 3 }), [3, 4]), /axis 3 is out of bounds for input \[\*, 3, 4\]/);
    assert.throws(() => build(layers.prelu({ sharedAxes: [3] }), [3, 4]), /names axis 3, but the input \[\*, 3, 4\] has axes 1 to 2/);
    assert.throws(() => build(layers.prelu(), [null as never, 4]), /time axis of input \[\*, \*, 4\] is open.*sharedAxes: \[1\]/);
    build(layers.prelu({ sharedAxes: 1 }), [null as never, 4]);
    const seeded = (): number[] => {
      const l = layers.prelu({ alphaInitializer: 'randomUniform', seed: 7 });
      l.build([4]);
      return [...l.weights[0]!.value];
    };
    assert.deepEqual(seeded(), seeded(), 'seed (rnnkit: the initial weights, as on Dense) repeats α');
    assert.throws(() => build(layers.reLU(), [3, null as never]), /only the time axis/);
  });

  it('a masked sequence passes its mask through LeakyReLU/PReLU to the LSTM; into a Softmax it is refused', () => {
    setSeed(90);
    const m = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [4] }), layers.leakyReLU(), layers.prelu({ sharedAxes: [1] }), layers.lstm({ units: 2 })] });
    // Trailing padding (0) leaves the last state at the last real step: equal to the unpadded sequence's.
    const padded = m.predict(tensor([[1, 2, 0, 0]])).data;
    const short = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [2] }), layers.leakyReLU(), layers.prelu({ sharedAxes: [1] }), layers.lstm({ units: 2 })] });
    short.setWeights(m.getWeights());
    assertClose(padded, short.predict(tensor([[1, 2]])).data, 1e-6, 1e-7, 'masked steps skipped');
    const s = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [4] }), layers.softmax()] });
    assert.throws(() => s.predict(tensor([[1, 2, 0, 0]])), /Softmax '.*': its input carries a step mask/);
  });

  it('a stream gives what predict gives; PReLU with α per step and Softmax over time are refused by stream()', () => {
    setSeed(91);
    const m = new Sequential({ layers: [layers.lstm({ units: 4, returnSequences: true, inputShape: [6, 2] }), layers.prelu({ sharedAxes: [1], alphaInitializer: 'randomUniform' }), layers.leakyReLU(), layers.dense({ units: 3 }), layers.softmax()] });
    const x = randomInput([1, 6, 2], 92);
    const whole = m.predict(x).data;
    const stream = m.stream();
    for (let t = 0; t < 6; t++) assertClose(stream.step(tensor(x.data.slice(t * 2, t * 2 + 2), [1, 2])).data, whole.slice(t * 3, t * 3 + 3), 1e-6, 1e-7, `step ${t}`);
    const perStep = new Sequential({ layers: [layers.lstm({ units: 4, returnSequences: true, inputShape: [6, 2] }), layers.prelu()] });
    assert.throws(() => perStep.stream(), /PReLU '.*' cannot run step by step/);
    const overTime = new Sequential({ layers: [layers.lstm({ units: 4, returnSequences: true, inputShape: [6, 2] }), layers.softmax({ axis: 1 })] });
    assert.throws(() => overTime.stream(), /Softmax '.*' cannot run step by step/);
  });

  it('alphaRegularizer adds to the loss; alphaConstraint holds after fit', async () => {
    const x = randomInput([8, 3], 94);
    const y = randomInput([8, 1], 95);
    const make = (reg: boolean): Sequential => {
      const m = new Sequential({
        layers: [
          layers.dense({ units: 4, inputShape: [3], kernelInitializer: 'ones' }),
          layers.prelu({ alphaInitializer: 'ones', ...(reg ? { alphaRegularizer: 'l2', alphaConstraint: 'nonNeg' } : {}) }),
          layers.dense({ units: 1, kernelInitializer: 'ones' }),
        ],
      });
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      return m;
    };
    const m = make(true);
    const [withPenalty] = m.evaluate(x, y, { verbose: 0 });
    const [without] = make(false).evaluate(x, y, { verbose: 0 });
    assertClose([withPenalty! - without!], [0.01 * 4], 1e-5, 1e-7, 'l2(0.01)·Σα² (α = 1, 4 values)');
    await m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0 });
    assert.ok(m.layers[1]!.weights[0]!.value.every((a) => a >= 0), 'nonNeg holds');
  });
});

describe('learning (a known answer)', () => {
  it('PReLU learns the slope of y = x > 0 ? x : 0.25·x (α → 0.25)', async () => {
    setSeed(95);
    const rng = new Rng(96);
    const N = 256;
    const xs = randomArray(N * 2, rng, -2, 2);
    const ys = xs.map((v) => (v > 0 ? v : 0.25 * v));
    const m = new Sequential({ layers: [layers.prelu({ inputShape: [2], sharedAxes: [1] })] });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    await m.fit(tensor(xs, [N, 2]), tensor(ys, [N, 2]), { epochs: 60, batchSize: 32, verbose: 0 });
    const alpha = m.layers[0]!.weights[0]!.value;
    assert.deepEqual(m.layers[0]!.weights[0]!.shape, [1]);
    assert.ok(Math.abs(alpha[0]! - 0.25) < 0.01, `α = ${alpha[0]} (from 0, target 0.25)`);
  });
});
