/**
 * LSTM and GRU numerics against independent references.
 *
 * - TensorFlow.js (tfjs-layers 4.22, pure-JS CPU backend) on injected weights: LSTM and
 *   GRU with resetAfter = false (tfjs cannot run resetAfter = true). Forward outputs and
 *   the gradients of loss = Σ out ⊙ R (random R) w.r.t. kernel, recurrent kernel, bias and
 *   input; then a whole model, LSTM(6) → Dense(3, softmax), trained 10 SGD steps on both.
 *   tfjs layers are built with Keras's gate activations given explicitly (tfjs defaults to
 *   hardSigmoid) and zero initializers (every weight is injected; see helpers/tfjs.ts).
 * - PyTorch golden values (test/fixtures/gru-reset-after-torch.json, tools/gru_fixtures.py)
 *   for GRU with resetAfter = true, the Keras default: float64 references, our float32
 *   math, inputs rounded to float32 on the way in.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, optimizers, tensor, type Layer, type Tensor } from '../src/index.js';
import { randomArray } from './helpers/check.js';
import { TF_ZERO_INIT, TF_ZERO_INIT_DENSE, initTfjs, tf, tfl, tfLayerGrads, type FlatTensor, type TfLayer } from './helpers/tfjs.js';
import { Comparer, randomWeights } from './helpers/parity.js';

/** Outputs and gradients, float32 on both sides (or float32 vs float64): 1e-5 relative. */
const RTOL = 1e-5;
/** Absolute floor for entries near zero (sums of O(1) terms that cancel). */
const ATOL = 1e-6;
/** Per-step training losses of the whole-model run. */
const LOSS_RTOL = 1e-5;
/** Weights after 10 SGD steps: round-off compounds through the steps. */
const WEIGHT_RTOL = 1e-4;
const WEIGHT_ATOL = 1e-5;
/** Predictions of the trained models. */
const PREDICT_RTOL = 1e-4;
const PREDICT_ATOL = 1e-6;
/** Random weights are drawn in [-WEIGHT_RANGE, WEIGHT_RANGE]. */
const WEIGHT_RANGE = 0.5;

let tensorsAtStart = 0;

before(async () => {
  await initTfjs();
  tensorsAtStart = tf.memory().numTensors;
});

after(() => {
  assert.equal(tf.memory().numTensors, tensorsAtStart, 'tfjs tensors leaked by the recurrent parity tests');
});


const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------
// Layers on injected weights vs tfjs

interface ParityCase {
  returnSequences: boolean;
  goBackwards: boolean;
  useBias?: boolean;
  unitForgetBias?: boolean;
  /** LSTM/GRU activation; default tanh. */
  activation?: 'tanh' | 'relu';
}

const CASES: ParityCase[] = [
  { returnSequences: false, goBackwards: false },
  { returnSequences: true, goBackwards: false },
  { returnSequences: false, goBackwards: true },
  { returnSequences: true, goBackwards: true },
  // unitForgetBias only changes the initial bias; with injected weights it must change nothing.
  { returnSequences: true, goBackwards: false, unitForgetBias: false },
  { returnSequences: true, goBackwards: false, useBias: false },
  { returnSequences: true, goBackwards: false, activation: 'relu' },
];

function caseName(k: ParityCase): string {
  const extra = [
    k.useBias === false ? 'useBias=false' : '',
    k.unitForgetBias === false ? 'unitForgetBias=false' : '',
    k.activation !== undefined ? `activation=${k.activation}` : '',
  ].filter((s) => s !== '');
  return `returnSequences=${k.returnSequences} goBackwards=${k.goBackwards}${extra.length > 0 ? ' ' + extra.join(' ') : ''}`;
}

/** Forward output and every gradient of Σ out ⊙ R: rnnkit vs tfjs. */
function layerParity(t: TestContext, ours: Layer, theirs: TfLayer, B: number, T: number, I: number, seed: number): void {
  const rng = new Rng(seed);
  ours.build([T, I]);
  const weights = randomWeights(ours, rng, WEIGHT_RANGE);
  ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));
  const xShape = [B, T, I];
  const x = randomArray(size(xShape), rng);
  const outShape = [B, ...ours.outputShape.map((d) => d ?? T)];
  const outSize = size(outShape);
  const R = randomArray(outSize, rng);

  for (const w of ours.weights) w.grad.fill(0);
  const out = ours.forward(x, B, T, true, null).slice(0, outSize);
  const dx = ours.backward(R.slice(), B, T, true)!.slice(0, x.length);

  const ref = tfLayerGrads(theirs, weights, { data: x, shape: xShape }, R);
  const cmp = new Comparer(t, RTOL, ATOL);
  assert.equal(ref.out.length, outSize, 'tfjs output size');
  assert.equal(ref.dWeights.length, ours.weights.length, 'number of weights');
  cmp.close(out, ref.out, 'output');
  ours.weights.forEach((w, i) => cmp.close(w.grad, ref.dWeights[i]!, `d${w.name}`));
  cmp.close(dx, ref.dx, 'dInput');
  cmp.report();
}

describe('LSTM parity with tfjs (injected weights)', () => {
  const B = 4;
  const T = 6;
  const I = 3;
  const H = 5;
  CASES.forEach((k, n) => {
    it(caseName(k), (t) => {
      const common = { units: H, returnSequences: k.returnSequences, goBackwards: k.goBackwards, useBias: k.useBias ?? true, activation: k.activation ?? 'tanh' };
      const ours = layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: k.unitForgetBias ?? true });
      const theirs = tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: false, ...TF_ZERO_INIT });
      layerParity(t, ours, theirs, B, T, I, 1000 + n);
    });
  });
  it('one unit, two steps (tfjs cannot differentiate a one-step RNN: its Unpack gradient fails)', (t) => {
    const ours = layers.lstm({ units: 1, returnSequences: true });
    const theirs = tfl.layers.lstm({ units: 1, returnSequences: true, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT });
    layerParity(t, ours, theirs, 3, 2, 2, 1100);
  });
});

describe('GRU (resetAfter=false) parity with tfjs (injected weights)', () => {
  const B = 4;
  const T = 6;
  const I = 3;
  const H = 5;
  CASES.filter((k) => k.unitForgetBias === undefined).forEach((k, n) => {
    it(caseName(k), (t) => {
      const common = { units: H, returnSequences: k.returnSequences, goBackwards: k.goBackwards, useBias: k.useBias ?? true, activation: k.activation ?? 'tanh' };
      const ours = layers.gru({ ...common, recurrentActivation: 'sigmoid', resetAfter: false });
      // tfjs's GRU is always the reset_after=False variant (it throws for resetAfter: true).
      const theirs = tfl.layers.gru({ ...common, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT });
      layerParity(t, ours, theirs, B, T, I, 2000 + n);
    });
  });
  it('one unit, two steps (tfjs cannot differentiate a one-step RNN: its Unpack gradient fails)', (t) => {
    const ours = layers.gru({ units: 1, returnSequences: true, resetAfter: false });
    const theirs = tfl.layers.gru({ units: 1, returnSequences: true, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT });
    layerParity(t, ours, theirs, 3, 2, 2, 2100);
  });
});

// ---------------------------------------------------------------------------------
// Whole model vs tfjs: LSTM(6) → Dense(3, softmax), categorical cross-entropy, SGD

describe('training parity with tfjs: LSTM(6) -> Dense(3, softmax), SGD(0.1), 10 full-batch steps', () => {
  const N = 16;
  const T = 5;
  const I = 3;
  const STEPS = 10;
  const LR = 0.1;
  for (const goBackwards of [false, true]) {
    it(`categorical cross-entropy${goBackwards ? ', goBackwards' : ''}`, async (t) => {
      const rng = new Rng(3000 + (goBackwards ? 1 : 0));
      const rnn = { units: 6, goBackwards };
      const head = { units: 3, activation: 'softmax' as const };

      const ours = new Sequential();
      ours.add(layers.lstm({ ...rnn, inputShape: [T, I] }));
      ours.add(layers.dense(head));
      ours.compile({ optimizer: optimizers.sgd({ learningRate: LR }), loss: 'categoricalCrossentropy' });
      const weights: FlatTensor[] = ours.layers.flatMap((l) => randomWeights(l, rng, WEIGHT_RANGE));
      ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));

      const x: FlatTensor = { data: randomArray(N * T * I, rng), shape: [N, T, I] };
      const yData = new Float32Array(N * 3);
      for (let i = 0; i < N; i++) yData[i * 3 + Math.floor(rng.uniform() * 3)] = 1;
      const y: FlatTensor = { data: yData, shape: [N, 3] };
      const xs = tensor(x.data, x.shape);
      const ys = tensor(y.data, y.shape);

      const history = await ours.fit(xs, ys, { epochs: STEPS, batchSize: N, shuffle: false, verbose: 0 });
      const ourLosses = history.history.loss!;
      const ourWeights = ours.getWeights();
      const ourPred: Tensor = ours.predict(xs);

      const theirs = tfl.sequential();
      const sgd = tf.train.sgd(LR);
      const tx = tf.tensor(x.data, [...x.shape]);
      const ty = tf.tensor(y.data, [...y.shape]);
      const theirLosses: number[] = [];
      let theirWeights: Float32Array[];
      let theirPred: Float32Array;
      try {
        theirs.add(tfl.layers.lstm({ ...rnn, recurrentActivation: 'sigmoid', inputShape: [T, I], ...TF_ZERO_INIT }));
        theirs.add(tfl.layers.dense({ ...head, ...TF_ZERO_INIT_DENSE }));
        theirs.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
        tf.tidy(() => theirs.setWeights(weights.map((w) => tf.tensor(w.data, [...w.shape]))));
        for (let s = 0; s < STEPS; s++) theirLosses.push((await theirs.trainOnBatch(tx, ty)) as number);
        theirWeights = theirs.getWeights().map((w) => w.dataSync() as Float32Array);
        theirPred = tf.tidy(() => (theirs.predict(tx) as tf.Tensor).dataSync() as Float32Array);
      } finally {
        theirs.dispose();
        sgd.dispose();
        tf.dispose([tx, ty]);
      }

      const cmp = new Comparer(t, RTOL, ATOL);
      assert.equal(ourLosses.length, STEPS);
      cmp.close(ourLosses, theirLosses, 'losses', LOSS_RTOL, 0);
      assert.ok(ourLosses[STEPS - 1]! < ourLosses[0]!, `loss did not decrease: ${ourLosses[0]} -> ${ourLosses[STEPS - 1]}`);
      assert.equal(ourWeights.length, theirWeights.length);
      ourWeights.forEach((w, i) => cmp.close(w.data, theirWeights[i]!, `weight ${i} [${w.shape.join(', ')}]`, WEIGHT_RTOL, WEIGHT_ATOL));
      assert.deepEqual([...ourPred.shape], [N, 3]);
      cmp.close(ourPred.data, theirPred, 'predict', PREDICT_RTOL, PREDICT_ATOL);
      t.diagnostic(`losses ${ourLosses.map((l) => l.toFixed(6)).join(' ')}`);
      cmp.report();
    });
  }
});

// ---------------------------------------------------------------------------------
// GRU resetAfter=true vs PyTorch golden values

interface GruFixtureCase {
  name: string;
  B: number;
  T: number;
  I: number;
  H: number;
  returnSequences: boolean;
  goBackwards: boolean;
  kernel: number[];
  recurrentKernel: number[];
  bias: number[];
  x: number[];
  R: number[];
  output: number[];
  finalState: number[];
  dKernel: number[];
  dRecurrentKernel: number[];
  dBias: number[];
  dX: number[];
}

const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/gru-reset-after-torch.json', import.meta.url), 'utf8')) as { cases: GruFixtureCase[] };

describe('GRU (resetAfter=true) vs PyTorch float64 golden values', () => {
  it('the fixture file has the expected cases', () => {
    assert.ok(FIXTURE.cases.length >= 6, `only ${FIXTURE.cases.length} cases`);
    assert.ok(FIXTURE.cases.some((c) => c.goBackwards && c.returnSequences));
    assert.ok(FIXTURE.cases.some((c) => c.goBackwards && !c.returnSequences));
  });
  for (const c of FIXTURE.cases) {
    it(c.name, (t) => {
      const { B, T, I, H } = c;
      const layer = layers.gru({ units: H, returnSequences: c.returnSequences, goBackwards: c.goBackwards, returnState: true });
      layer.build([T, I]);
      assert.deepEqual(
        layer.weights.map((w) => [...w.shape]),
        [
          [I, 3 * H],
          [H, 3 * H],
          [2, 3 * H],
        ],
        'Keras weight layouts',
      );
      layer.setWeights([tensor(Float32Array.from(c.kernel), [I, 3 * H]), tensor(Float32Array.from(c.recurrentKernel), [H, 3 * H]), tensor(Float32Array.from(c.bias), [2, 3 * H])]);
      const x = Float32Array.from(c.x);
      const outSize = B * (c.returnSequences ? T : 1) * H;
      assert.equal(c.output.length, outSize);
      const cmp = new Comparer(t, RTOL, ATOL);

      // apply(): [output, finalState]
      const applied = layer.apply(tensor(x, [B, T, I])) as unknown as Tensor[];
      assert.ok(Array.isArray(applied) && applied.length === 2, 'apply with returnState gives [output, h]');
      assert.deepEqual([...applied[0]!.shape], c.returnSequences ? [B, T, H] : [B, H]);
      assert.deepEqual([...applied[1]!.shape], [B, H]);
      cmp.close(applied[0]!.data, c.output, 'apply output');
      cmp.close(applied[1]!.data, c.finalState, 'finalState');

      // forward/backward in training mode (no dropout: the same numbers)
      for (const w of layer.weights) w.grad.fill(0);
      const out = layer.forward(x, B, T, true, null).slice(0, outSize);
      cmp.close(out, c.output, 'output');
      const dx = layer.backward(Float32Array.from(c.R), B, T, true)!.slice(0, x.length);
      cmp.close(layer.weights[0]!.grad, c.dKernel, 'dKernel');
      cmp.close(layer.weights[1]!.grad, c.dRecurrentKernel, 'dRecurrentKernel');
      cmp.close(layer.weights[2]!.grad, c.dBias, 'dBias');
      cmp.close(dx, c.dX, 'dX');
      cmp.report();
    });
  }
});
