/**
 * Graph models against TensorFlow.js's functional API (tf.input / tf.model), the
 * independent oracle, on injected weights: a two-input / two-output model with
 * concatenate, add, multiply and dot; an LSTM shared by two inputs of different
 * lengths; and the Keras lstm_seq2seq shape (encoder LSTM with returnState → decoder
 * LSTM initialState, teacher forcing). Outputs and every weight and input gradient of
 * Σ out ⊙ R agree within 1e-5; ten SGD steps give the same losses.
 */
import { before, describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { input, layers, model, optimizers, tensor, type Model, type SymbolicTensor } from '../src/index.js';
import { randomArray } from './helpers/check.js';
import { Comparer } from './helpers/parity.js';
import { runGraph, type Flat } from './helpers/graph.js';
import { TF_ZERO_INIT, TF_ZERO_INIT_DENSE, initTfjs, tf, tfl } from './helpers/tfjs.js';

const RTOL = 1e-5;
const ATOL = 1e-6;
const LOSS_RTOL = 1e-5;
const WEIGHT_RANGE = 0.5;

// No tfjs-tensor leak check here (the layer parity tests have one): tfjs keeps the weights of
// a recurrent layer in a functional model after model.dispose() (7–8 tensors per model).
before(async () => {
  await initTfjs();
});

/** One model built twice: rnnkit's and tfjs's, with the same layer names. */
interface Pair {
  ours: Model;
  theirs: tfl.LayersModel;
  /** Per-sample input shapes (concrete, for the data). */
  inputs: number[][];
}

/** Copy random weights into ours, then the same values into tfjs's layers of the same names. */
function injectWeights(p: Pair, rng: Rng): void {
  for (const l of p.ours.layers) {
    if (l.weights.length === 0) continue;
    l.setWeights(l.weights.map((w) => tensor(randomArray(w.value.length, rng, -WEIGHT_RANGE, WEIGHT_RANGE), w.shape)));
    const tl = p.theirs.getLayer(l.name);
    tf.tidy(() => tl.setWeights(l.getWeights().map((w) => tf.tensor(w.data, [...w.shape]))));
  }
}

/** Run a comparison in a tfjs scope: every tensor it makes (tfjs keeps a few inside fit and variableGrads) is freed after. */
function scoped<T>(body: () => T): T {
  tf.engine().startScope();
  try {
    return body();
  } finally {
    tf.engine().endScope();
  }
}

function compareGradients(t: TestContext, p: Pair, B: number, seed: number): void {
  scoped(() => compareGradientsIn(t, p, B, seed));
}

function compareGradientsIn(t: TestContext, p: Pair, B: number, seed: number): void {
  const rng = new Rng(seed);
  injectWeights(p, rng);
  const xs: Flat[] = p.inputs.map((s) => ({ data: randomArray(B * s.reduce((a, b) => a * b, 1), rng), shape: [B, ...s] }));
  const tx = xs.map((x) => tf.tensor(x.data, [...x.shape]));
  const tOut = p.theirs.predict(tx) as tf.Tensor | tf.Tensor[];
  const tOuts = Array.isArray(tOut) ? tOut : [tOut];
  const R = tOuts.map((o) => randomArray(o.size, rng));
  const ours = runGraph(p.ours, xs, R);
  const cmp = new Comparer(t, RTOL, ATOL);
  tOuts.forEach((o, i) => cmp.close(ours.outputs[i]!, o.dataSync(), `output ${i}`));
  // tfjs: d(Σ out ⊙ R) by weight and input
  const vars = tx.map((x, i) => tf.variable(x, true, `fp_x${seed}_${i}`));
  const trainable = p.theirs.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const out = p.theirs.apply(vars) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    return tf.addN(list.map((o, i) => tf.sum(tf.mul(o, tf.tensor(R[i]!, o.shape))))) as tf.Scalar;
  }, [...trainable, ...vars]);
  const gradOf = new Map(p.theirs.trainableWeights.map((w, i) => [w.originalName, grads[trainable[i]!.name]!]));
  const paths = p.ours.weightPaths();
  p.ours.weights.forEach((_, i) => {
    const g = gradOf.get(paths[i]!);
    assert.ok(g !== undefined, `tfjs has a weight ${paths[i]}`);
    cmp.close(ours.dWeights[i]!, g.dataSync(), `d${paths[i]}`);
  });
  vars.forEach((v, i) => cmp.close(ours.dInputs[i]!, grads[v.name]!.dataSync(), `d input ${i}`));
  cmp.report();
  value.dispose();
  tf.dispose([...Object.values(grads), ...vars, ...tx, ...tOuts]);
}

/** Ten SGD steps on both sides: the per-step losses agree. */
async function compareTraining(p: Pair, B: number, seed: number, loss: string, y: (rng: Rng, shape: number[]) => Float32Array): Promise<void> {
  tf.engine().startScope();
  try {
    await compareTrainingIn(p, B, seed, loss, y);
  } finally {
    tf.engine().endScope();
  }
}

async function compareTrainingIn(p: Pair, B: number, seed: number, loss: string, y: (rng: Rng, shape: number[]) => Float32Array): Promise<void> {
  const rng = new Rng(seed);
  injectWeights(p, rng);
  const N = 2 * B;
  const xs = p.inputs.map((s) => randomArray(N * s.reduce((a, b) => a * b, 1), rng));
  const outShapes = p.theirs.outputs.map((o) => o.shape.slice(1).map((d, k) => (d === null ? p.inputs[1 % p.inputs.length]![k]! : d)) as number[]);
  const ys = outShapes.map((s) => y(rng, [N, ...s]));
  const ours: number[] = [];
  p.ours.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss });
  const sgd = tf.train.sgd(0.1);
  p.theirs.compile({ optimizer: sgd, loss });
  const ox = xs.map((d, i) => tensor(d, [N, ...p.inputs[i]!]));
  const oy = ys.map((d, i) => tensor(d, [N, ...outShapes[i]!]));
  const h = await p.ours.fit(ox, oy, { epochs: 10, batchSize: N, shuffle: false, verbose: 0 });
  ours.push(...h.history.loss!);
  const tx = xs.map((d, i) => tf.tensor(d, [N, ...p.inputs[i]!]));
  const ty = ys.map((d, i) => tf.tensor(d, [N, ...outShapes[i]!]));
  const th = await p.theirs.fit(tx, ty, { epochs: 10, batchSize: N, shuffle: false, verbose: 0 });
  const theirs = th.history.loss as number[];
  tf.dispose([...tx, ...ty]);
  sgd.dispose();
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(ours[i]! - theirs[i]!) <= LOSS_RTOL * Math.abs(theirs[i]!) + 1e-7, `step ${i}: loss ${ours[i]} vs tfjs ${theirs[i]}`);
}

function twoByTwo(): Pair {
  const a = input({ shape: [6], name: 'a' });
  const b = input({ shape: [4], name: 'b' });
  const da = layers.dense({ units: 5, activation: 'tanh', name: 'da' }).apply(a);
  const db = layers.dense({ units: 5, activation: 'sigmoid', name: 'db' }).apply(b);
  const cat = layers.concatenate({ name: 'cat' }).apply([da, db]);
  const sum = layers.add({ name: 'sum' }).apply([da, db]);
  const prod = layers.multiply({ name: 'prod' }).apply([da, db]);
  const dot = layers.dot({ axes: 1, name: 'dot' }).apply([da, db]);
  const out1 = layers.dense({ units: 3, name: 'out1' }).apply(layers.concatenate({ name: 'cat2' }).apply([cat, sum, prod]));
  const out2 = layers.dense({ units: 2, name: 'out2' }).apply(layers.concatenate({ name: 'cat3' }).apply([dot, prod]));
  const ours = model({ inputs: [a, b], outputs: [out1, out2] });

  const ta = tfl.input({ shape: [6], name: 'a' });
  const tb = tfl.input({ shape: [4], name: 'b' });
  const tda = tfl.layers.dense({ units: 5, activation: 'tanh', name: 'da', ...TF_ZERO_INIT_DENSE }).apply(ta) as tfl.SymbolicTensor;
  const tdb = tfl.layers.dense({ units: 5, activation: 'sigmoid', name: 'db', ...TF_ZERO_INIT_DENSE }).apply(tb) as tfl.SymbolicTensor;
  const tcat = tfl.layers.concatenate({ name: 'cat' }).apply([tda, tdb]) as tfl.SymbolicTensor;
  const tsum = tfl.layers.add({ name: 'sum' }).apply([tda, tdb]) as tfl.SymbolicTensor;
  const tprod = tfl.layers.multiply({ name: 'prod' }).apply([tda, tdb]) as tfl.SymbolicTensor;
  const tdot = tfl.layers.dot({ axes: 1, name: 'dot' }).apply([tda, tdb]) as tfl.SymbolicTensor;
  const tout1 = tfl.layers.dense({ units: 3, name: 'out1', ...TF_ZERO_INIT_DENSE }).apply(tfl.layers.concatenate({ name: 'cat2' }).apply([tcat, tsum, tprod])) as tfl.SymbolicTensor;
  const tout2 = tfl.layers.dense({ units: 2, name: 'out2', ...TF_ZERO_INIT_DENSE }).apply(tfl.layers.concatenate({ name: 'cat3' }).apply([tdot, tprod])) as tfl.SymbolicTensor;
  const theirs = tfl.model({ inputs: [ta, tb], outputs: [tout1, tout2] });
  return { ours, theirs, inputs: [[6], [4]] };
}

function sharedLstm(T1: number, T2: number): Pair {
  const a = input({ shape: [null, 3], name: 'a' });
  const b = input({ shape: [null, 3], name: 'b' });
  const lstm = layers.lstm({ units: 6, name: 'shared', recurrentActivation: 'sigmoid' });
  const out = layers.dense({ units: 2, name: 'out' }).apply(layers.concatenate({ name: 'cat' }).apply([lstm.apply(a), lstm.apply(b)]));
  const ours = model({ inputs: [a, b], outputs: out });
  const ta = tfl.input({ shape: [null, 3], name: 'a' });
  const tb = tfl.input({ shape: [null, 3], name: 'b' });
  const tl = tfl.layers.lstm({ units: 6, name: 'shared', recurrentActivation: 'sigmoid', unitForgetBias: true, ...TF_ZERO_INIT });
  const tcat = tfl.layers.concatenate({ name: 'cat' }).apply([tl.apply(ta) as tfl.SymbolicTensor, tl.apply(tb) as tfl.SymbolicTensor]);
  const tout = tfl.layers.dense({ units: 2, name: 'out', ...TF_ZERO_INIT_DENSE }).apply(tcat) as tfl.SymbolicTensor;
  const theirs = tfl.model({ inputs: [ta, tb], outputs: tout });
  return { ours, theirs, inputs: [[T1, 3], [T2, 3]] };
}

/** The Keras lstm_seq2seq model (small): encoder states start the decoder; softmax over the target characters. */
function seq2seq(encTokens: number, decTokens: number, latent: number, Tin: number, Tout: number): Pair {
  const encIn = input({ shape: [null, encTokens], name: 'encoder_inputs' });
  const [, h, c] = layers.lstm({ units: latent, returnState: true, name: 'encoder' }).apply(encIn) as unknown as SymbolicTensor[];
  const decIn = input({ shape: [null, decTokens], name: 'decoder_inputs' });
  const [seq] = layers.lstm({ units: latent, returnSequences: true, returnState: true, name: 'decoder' }).apply(decIn, { initialState: [h!, c!] }) as unknown as SymbolicTensor[];
  const out = layers.dense({ units: decTokens, activation: 'softmax', name: 'decoder_dense' }).apply(seq!);
  const ours = model({ inputs: [encIn, decIn], outputs: out });
  const tEnc = tfl.input({ shape: [null, encTokens], name: 'encoder_inputs' });
  const [, th, tc] = tfl.layers.lstm({ units: latent, returnState: true, name: 'encoder', recurrentActivation: 'sigmoid', unitForgetBias: true, ...TF_ZERO_INIT }).apply(tEnc) as tfl.SymbolicTensor[];
  const tDec = tfl.input({ shape: [null, decTokens], name: 'decoder_inputs' });
  const [tseq] = tfl.layers
    .lstm({ units: latent, returnSequences: true, returnState: true, name: 'decoder', recurrentActivation: 'sigmoid', unitForgetBias: true, ...TF_ZERO_INIT })
    .apply(tDec, { initialState: [th!, tc!] }) as tfl.SymbolicTensor[];
  const tout = tfl.layers.dense({ units: decTokens, activation: 'softmax', name: 'decoder_dense', ...TF_ZERO_INIT_DENSE }).apply(tseq!) as tfl.SymbolicTensor;
  const theirs = tfl.model({ inputs: [tEnc, tDec], outputs: tout });
  return { ours, theirs, inputs: [[Tin, encTokens], [Tout, decTokens]] };
}

const oneHot = (rng: Rng, shape: number[]): Float32Array => {
  const cols = shape[shape.length - 1]!;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let r = 0; r < out.length / cols; r++) out[r * cols + rng.int(cols)] = 1;
  return out;
};

describe('graph models: parity with TensorFlow.js functional models', () => {
  it('two inputs, two outputs with concatenate, add, multiply, dot: outputs and every gradient', (t) => {
    const p = twoByTwo();
    compareGradients(t, p, 4, 1);
    p.theirs.dispose();
  });
  it('two inputs, two outputs: 10 SGD steps give the same losses (MSE on both outputs)', async () => {
    const p = twoByTwo();
    await compareTraining(p, 4, 2, 'meanSquaredError', (rng, s) => randomArray(s.reduce((a, b) => a * b, 1), rng));
    p.theirs.dispose();
  });
  it('an LSTM shared by inputs of 5 and 7 steps: outputs and every gradient', (t) => {
    const p = sharedLstm(5, 7);
    compareGradients(t, p, 3, 3);
    p.theirs.dispose();
  });
  it('lstm_seq2seq (encoder states into the decoder): outputs and every gradient', (t) => {
    const p = seq2seq(7, 9, 8, 5, 6);
    compareGradients(t, p, 3, 4);
    p.theirs.dispose();
  });
  it('lstm_seq2seq with teacher forcing: 10 SGD steps give the same losses (categorical cross-entropy)', async () => {
    const p = seq2seq(7, 9, 8, 5, 6);
    await compareTraining(p, 4, 5, 'categoricalCrossentropy', oneHot);
    p.theirs.dispose();
  });
});
