/**
 * Parity with TensorFlow.js (tfjs-layers 4.22, pure-JS CPU backend), the independent
 * oracle. Both sides get the same injected weights and inputs; we compare forward
 * outputs, gradients of loss = Σ out ⊙ R (random R: all-ones would hide transposition
 * bugs), whole training runs (losses and final weights) and predictions.
 *
 * Not compared against tfjs, on purpose (survey B17 and notes):
 * - hardSigmoid: tfjs uses 0.2·x + 0.5, Keras 3 uses x/6 + 0.5;
 * - optimizers other than plain SGD (tfjs places Adam/RMSprop ε differently from Keras).
 * Binary cross-entropy: tfjs converts the clipped probability to a logit and uses the
 * stable sigmoid-CE; rnnkit uses Keras's clipped-probability form. They agree to float32
 * round-off away from the clip bounds, which is where these tests stay.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, optimizers, tensor, type Layer } from '../src/index.js';
import { randomArray } from './helpers/check.js';
import { TF_ZERO_INIT, TF_ZERO_INIT_DENSE, initTfjs, tf, tfl, tfLayerGrads, type FlatTensor, type TfLayer } from './helpers/tfjs.js';
import { Comparer, randomWeights } from './helpers/parity.js';

/** Forward values and gradients: both sides compute in float32; 1e-5 relative is ~100 ulps. */
const RTOL = 1e-5;
/** Absolute floor for entries near zero (sums of O(1) terms that cancel). */
const ATOL = 1e-6;
/** Per-step training losses. */
const LOSS_RTOL = 1e-5;
/** Weights after 10 SGD steps: round-off compounds through the steps. */
const WEIGHT_RTOL = 1e-4;
const WEIGHT_ATOL = 1e-5;
/** Predictions and evaluation of the trained models. */
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
  // Every tfjs tensor made by this file was disposed.
  assert.equal(tf.memory().numTensors, tensorsAtStart, 'tfjs tensors leaked by the parity tests');
});


interface LayerCase {
  /** rnnkit layer, unbuilt. */
  ours: Layer;
  /** The same layer in tfjs, unbuilt, with zero initializers. */
  theirs: TfLayer;
  B: number;
  /** Time steps of a 3-D input; 1 for 2-D input. */
  T: number;
  /** Per-sample input shape. */
  inShape: number[];
}

/** Forward output and every gradient of Σ out ⊙ R: rnnkit vs tfjs. */
function layerParity(t: TestContext, c: LayerCase, seed: number): void {
  const rng = new Rng(seed);
  const { ours, B, T } = c;
  ours.build(c.inShape);
  const weights = randomWeights(ours, rng, WEIGHT_RANGE);
  ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));
  const xShape = [B, ...c.inShape];
  const x = randomArray(xShape.reduce((a, b) => a * b, 1), rng);
  const outShape = [B, ...ours.outputShape.map((d) => d ?? T)];
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const R = randomArray(outSize, rng);

  for (const w of ours.weights) w.grad.fill(0);
  const out = ours.forward(x, B, T, true, null).slice(0, outSize);
  const dx = ours.backward(R.slice(), B, T, true)!.slice(0, x.length);

  const ref = tfLayerGrads(c.theirs, weights, { data: x, shape: xShape }, R);
  const cmp = new Comparer(t, RTOL, ATOL);
  assert.equal(ref.out.length, outSize, 'tfjs output size');
  cmp.close(out, ref.out, 'output');
  ours.weights.forEach((w, i) => cmp.close(w.grad, ref.dWeights[i]!, `d${w.name}`));
  cmp.close(dx, ref.dx, 'dInput');
  cmp.report();
}

describe('SimpleRNN parity with tfjs (injected weights)', () => {
  const B = 4;
  const T = 6;
  const I = 3;
  const H = 5;
  const cases: { activation: 'tanh' | 'relu' | 'sigmoid'; returnSequences: boolean; goBackwards: boolean; useBias: boolean }[] = [
    { activation: 'tanh', returnSequences: false, goBackwards: false, useBias: true },
    { activation: 'tanh', returnSequences: true, goBackwards: false, useBias: true },
    { activation: 'tanh', returnSequences: false, goBackwards: true, useBias: true },
    { activation: 'tanh', returnSequences: true, goBackwards: true, useBias: true },
    { activation: 'relu', returnSequences: false, goBackwards: false, useBias: true },
    { activation: 'relu', returnSequences: true, goBackwards: true, useBias: true },
    { activation: 'sigmoid', returnSequences: false, goBackwards: false, useBias: true },
    { activation: 'sigmoid', returnSequences: true, goBackwards: false, useBias: true },
    { activation: 'tanh', returnSequences: true, goBackwards: false, useBias: false },
  ];
  cases.forEach((k, n) => {
    const name = `${k.activation} returnSequences=${k.returnSequences} goBackwards=${k.goBackwards}${k.useBias ? '' : ' useBias=false'}`;
    it(name, (t) => {
      const args = { units: H, activation: k.activation, returnSequences: k.returnSequences, goBackwards: k.goBackwards, useBias: k.useBias };
      layerParity(t, { ours: layers.simpleRNN(args), theirs: tfl.layers.simpleRNN({ ...args, ...TF_ZERO_INIT }), B, T, inShape: [T, I] }, 100 + n);
    });
  });
});

describe('Dense parity with tfjs (injected weights)', () => {
  const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'softmax', 'relu', 'elu', 'selu', 'softplus', 'softsign'] as const;
  ACTIVATIONS.forEach((activation, n) => {
    it(`${activation}, 2-D input [4, 6] -> 5`, (t) => {
      const args = { units: 5, activation };
      layerParity(t, { ours: layers.dense(args), theirs: tfl.layers.dense({ ...args, ...TF_ZERO_INIT_DENSE }), B: 4, T: 1, inShape: [6] }, 200 + n);
    });
    it(`${activation}, 3-D input [3, 4, 5] -> 4`, (t) => {
      const args = { units: 4, activation };
      layerParity(t, { ours: layers.dense(args), theirs: tfl.layers.dense({ ...args, ...TF_ZERO_INIT_DENSE }), B: 3, T: 4, inShape: [4, 5] }, 300 + n);
    });
  });
  it('linear without bias, 3-D input', (t) => {
    const args = { units: 3, useBias: false };
    layerParity(t, { ours: layers.dense(args), theirs: tfl.layers.dense({ ...args, kernelInitializer: 'zeros' }), B: 2, T: 3, inShape: [3, 4] }, 400);
  });
});

// ---------------------------------------------------------------------------------
// Whole models: 10 full-batch SGD steps, then predict and evaluate.

const N = 16;
const STEPS = 10;
const LR = 0.1;

interface ModelCase {
  name: string;
  T: number;
  I: number;
  units: number;
  returnSequences: boolean;
  goBackwards: boolean;
  outUnits: number;
  outActivation: 'sigmoid' | 'softmax' | 'linear';
  loss: 'binaryCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError';
  /** Targets for N samples, flat, with their shape. */
  targets: (rng: Rng, T: number) => FlatTensor;
}

const MODEL_CASES: ModelCase[] = [
  {
    name: 'SimpleRNN(8) -> Dense(1, sigmoid), binary cross-entropy',
    T: 5,
    I: 3,
    units: 8,
    returnSequences: false,
    goBackwards: false,
    outUnits: 1,
    outActivation: 'sigmoid',
    loss: 'binaryCrossentropy',
    targets: (rng) => ({ data: Float32Array.from({ length: N }, () => (rng.uniform() < 0.5 ? 0 : 1)), shape: [N, 1] }),
  },
  {
    name: 'SimpleRNN(8) -> Dense(3, softmax), categorical cross-entropy',
    T: 5,
    I: 3,
    units: 8,
    returnSequences: false,
    goBackwards: false,
    outUnits: 3,
    outActivation: 'softmax',
    loss: 'categoricalCrossentropy',
    targets: (rng) => {
      const y = new Float32Array(N * 3);
      for (let i = 0; i < N; i++) y[i * 3 + Math.floor(rng.uniform() * 3)] = 1;
      return { data: y, shape: [N, 3] };
    },
  },
  {
    name: 'SimpleRNN(8, returnSequences) -> Dense(2) per step, MSE',
    T: 4,
    I: 3,
    units: 8,
    returnSequences: true,
    goBackwards: false,
    outUnits: 2,
    outActivation: 'linear',
    loss: 'meanSquaredError',
    targets: (rng, T) => ({ data: randomArray(N * T * 2, rng), shape: [N, T, 2] }),
  },
  {
    name: 'SimpleRNN(8, returnSequences, goBackwards) -> Dense(2) per step, MSE',
    T: 4,
    I: 3,
    units: 8,
    returnSequences: true,
    goBackwards: true,
    outUnits: 2,
    outActivation: 'linear',
    loss: 'meanSquaredError',
    targets: (rng, T) => ({ data: randomArray(N * T * 2, rng), shape: [N, T, 2] }),
  },
];

describe('training parity with tfjs: SGD(0.1), 10 full-batch steps', () => {
  MODEL_CASES.forEach((c, n) => {
    it(c.name, async (t) => {
      const rng = new Rng(500 + n);
      const rnn = { units: c.units, returnSequences: c.returnSequences, goBackwards: c.goBackwards };
      const head = { units: c.outUnits, activation: c.outActivation };

      const ours = new Sequential();
      ours.add(layers.simpleRNN({ ...rnn, inputShape: [c.T, c.I] }));
      ours.add(layers.dense(head));
      ours.compile({ optimizer: optimizers.sgd({ learningRate: LR }), loss: c.loss });
      const weights: FlatTensor[] = ours.layers.flatMap((l) => randomWeights(l, rng, WEIGHT_RANGE));
      ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));

      const x: FlatTensor = { data: randomArray(N * c.T * c.I, rng), shape: [N, c.T, c.I] };
      const y = c.targets(rng, c.T);
      const xs = tensor(x.data, x.shape);
      const ys = tensor(y.data, y.shape);

      const history = await ours.fit(xs, ys, { epochs: STEPS, batchSize: N, shuffle: false, verbose: 0 });
      const ourLosses = history.history.loss!;
      const ourWeights = ours.getWeights();
      const ourPred = ours.predict(xs);
      const ourEval = ours.evaluate(xs, ys, { verbose: 0 });

      const theirs = tfl.sequential();
      const sgd = tf.train.sgd(LR);
      const tx = tf.tensor(x.data, [...x.shape]);
      const ty = tf.tensor(y.data, [...y.shape]);
      const theirLosses: number[] = [];
      let theirWeights: Float32Array[];
      let theirPred: Float32Array;
      let theirEval: number;
      try {
        theirs.add(tfl.layers.simpleRNN({ ...rnn, inputShape: [c.T, c.I], ...TF_ZERO_INIT }));
        theirs.add(tfl.layers.dense({ ...head, ...TF_ZERO_INIT_DENSE }));
        theirs.compile({ optimizer: sgd, loss: c.loss });
        tf.tidy(() => theirs.setWeights(weights.map((w) => tf.tensor(w.data, [...w.shape]))));
        for (let s = 0; s < STEPS; s++) theirLosses.push((await theirs.trainOnBatch(tx, ty)) as number);
        theirWeights = theirs.getWeights().map((w) => w.dataSync() as Float32Array);
        theirPred = tf.tidy(() => (theirs.predict(tx) as tf.Tensor).dataSync() as Float32Array);
        theirEval = tf.tidy(() => (theirs.evaluate(tx, ty) as tf.Scalar).dataSync()[0]!);
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
      assert.deepEqual([...ourPred.shape], [N, ...(c.returnSequences ? [c.T] : []), c.outUnits]);
      cmp.close(ourPred.data, theirPred, 'predict', PREDICT_RTOL, PREDICT_ATOL);
      cmp.close([ourEval[0]!], [theirEval], 'evaluate loss', PREDICT_RTOL, 0);
      cmp.report();
    });
  });
});
