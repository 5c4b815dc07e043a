/**
 * Wrappers and masking against TensorFlow.js (tfjs-layers 4.22, pure-JS CPU backend) on
 * injected weights: forward outputs and the gradients of loss = Σ out ⊙ R (random R)
 * with respect to every weight and, where it is differentiable, the input.
 *
 * - Bidirectional(LSTM) for every merge mode (concat, sum, mul, ave), with and without
 *   returnSequences; Bidirectional(GRU, resetAfter = false). Weight order on both sides:
 *   the forward copy's kernel, recurrent_kernel, bias, then the backward copy's (checked).
 * - Embedding(maskZero) → LSTM (and → Bidirectional(LSTM)) on padded index sequences
 *   (index 0 at the end of some rows, one row all but its first step padding): our
 *   layers' low-level forward/backward with the embedding's mask, vs a tfjs Sequential
 *   differentiated with tf.variableGrads.
 * - TimeDistributed(Dense(units, activation)): output, kernel, bias and input gradients.
 *
 * tfjs layers get Keras's gate activation explicitly (tfjs defaults to hardSigmoid) and
 * zero initializers (every weight is injected; see helpers/tfjs.ts). T ≥ 2 throughout:
 * tfjs cannot differentiate a one-step RNN (its Unpack gradient fails).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { layers, tensor, type Layer, type MergeMode } from '../src/index.js';
import { randomArray } from './helpers/check.js';
import { TF_ZERO_INIT, TF_ZERO_INIT_DENSE, initTfjs, tf, tfl, tfLayerGrads, type FlatTensor, type TfLayer } from './helpers/tfjs.js';
import { Comparer, randomWeights } from './helpers/parity.js';

/** Outputs and gradients, float32 on both sides: 1e-5 relative. */
const RTOL = 1e-5;
/** Absolute floor for entries near zero (sums of O(1) terms that cancel). */
const ATOL = 1e-6;
/** Random weights are drawn in [-WEIGHT_RANGE, WEIGHT_RANGE]. */
const WEIGHT_RANGE = 0.5;

let tensorsAtStart = 0;

before(async () => {
  await initTfjs();
  tensorsAtStart = tf.memory().numTensors;
});

after(() => {
  assert.equal(tf.memory().numTensors, tensorsAtStart, 'tfjs tensors leaked by the wrapper parity tests');
});

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Forward output and every gradient of Σ out ⊙ R for one layer on [B, ...inShape] input: rnnkit vs tfjs. */
function layerParity(t: TestContext, ours: Layer, theirs: TfLayer, B: number, T: number, inShape: number[], seed: number): void {
  const rng = new Rng(seed);
  ours.build(inShape);
  const weights = randomWeights(ours, rng, WEIGHT_RANGE);
  ours.setWeights(weights.map((w) => tensor(w.data, w.shape)));
  const xShape = [B, ...inShape];
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
  ours.weights.forEach((w, i) => cmp.close(w.grad, ref.dWeights[i]!, `d${w.name}[${i}]`));
  cmp.close(dx, ref.dx, 'dInput');
  cmp.report();
}

// ---------------------------------------------------------------------------------
// Bidirectional

const MERGE_MODES: MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

describe('Bidirectional parity with tfjs (injected weights)', () => {
  const B = 3;
  const T = 5;
  const I = 4;
  const H = 3;

  it('weight order: forward kernel, recurrent_kernel, bias, then backward (both sides)', () => {
    const ours = layers.bidirectional({ layer: layers.lstm({ units: H }) });
    ours.build([T, I]);
    assert.deepEqual(
      ours.weights.map((w) => [w.name, [...w.shape]]),
      [
        ['kernel', [I, 4 * H]],
        ['recurrent_kernel', [H, 4 * H]],
        ['bias', [4 * H]],
        ['kernel', [I, 4 * H]],
        ['recurrent_kernel', [H, 4 * H]],
        ['bias', [4 * H]],
      ],
    );
    ours.forwardLayer.weights.forEach((w, i) => assert.equal(ours.weights[i], w, `weight ${i}: the forward copy's`));
    ours.backwardLayer.weights.forEach((w, i) => assert.equal(ours.weights[3 + i], w, `weight ${3 + i}: the backward copy's`));
    assert.equal(ours.forwardLayer.goBackwards, false);
    assert.equal(ours.backwardLayer.goBackwards, true);

    const theirs = tfl.layers.bidirectional({
      layer: tfl.layers.lstm({ units: H, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT }) as never,
    });
    try {
      tf.tidy(() => {
        theirs.apply(tf.zeros([1, T, I])); // builds the layer (and lets it be disposed)
      });
      const names = theirs.trainableWeights.map((w) => w.originalName);
      assert.equal(names.length, 6);
      const expected = ['forward', 'forward', 'forward', 'backward', 'backward', 'backward'];
      const kinds = ['kernel', 'recurrent_kernel', 'bias', 'kernel', 'recurrent_kernel', 'bias'];
      names.forEach((n, i) => {
        assert.match(n, new RegExp(`${expected[i]}_[^/]*/${kinds[i]}$`), `tfjs weight ${i} is ${n}`);
      });
      assert.deepEqual(
        theirs.trainableWeights.map((w) => w.shape),
        ours.weights.map((w) => [...w.shape]),
      );
      // setWeights takes the same order: the forward copy gets the first three.
      const rng = new Rng(5000);
      const w = randomWeights(ours, rng, WEIGHT_RANGE);
      tf.tidy(() => theirs.setWeights(w.map((v) => tf.tensor(v.data, [...v.shape]))));
      const inner = theirs as unknown as { forwardLayer: TfLayer; backwardLayer: TfLayer };
      const fw = inner.forwardLayer.getWeights().map((v) => v.dataSync());
      const bw = inner.backwardLayer.getWeights().map((v) => v.dataSync());
      [...fw, ...bw].forEach((v, i) => assert.deepEqual(v, w[i]!.data, `tfjs weight ${i} after setWeights`));
      const back = theirs.getWeights().map((v) => v.dataSync());
      back.forEach((v, i) => assert.deepEqual(v, w[i]!.data, `tfjs getWeights ${i}`));
    } finally {
      theirs.dispose();
    }
  });

  let seed = 5100;
  for (const returnSequences of [false, true]) {
    for (const mergeMode of MERGE_MODES) {
      const s = seed++;
      it(`LSTM(${H}) mergeMode=${mergeMode} returnSequences=${returnSequences}`, (t) => {
        const ours = layers.bidirectional({ layer: layers.lstm({ units: H, returnSequences }), mergeMode });
        const theirs = tfl.layers.bidirectional({
          layer: tfl.layers.lstm({ units: H, returnSequences, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT }) as never,
          mergeMode,
        });
        layerParity(t, ours, theirs, B, T, [T, I], s);
      });
    }
  }

  for (const returnSequences of [false, true]) {
    for (const mergeMode of ['concat', 'mul'] as const) {
      const s = seed++;
      it(`GRU(${H}, resetAfter=false) mergeMode=${mergeMode} returnSequences=${returnSequences}`, (t) => {
        const ours = layers.bidirectional({ layer: layers.gru({ units: H, returnSequences, resetAfter: false }), mergeMode });
        const theirs = tfl.layers.bidirectional({
          layer: tfl.layers.gru({ units: H, returnSequences, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT }) as never,
          mergeMode,
        });
        layerParity(t, ours, theirs, B, T, [T, I], s);
      });
    }
  }
});

// ---------------------------------------------------------------------------------
// Embedding(maskZero) → recurrent layer, on padded sequences

/**
 * Index rows with trailing padding (0): row 0 full, row 1 two pads, row 2 all but its
 * first step padded, row 3 one pad. Non-pad indices are drawn in [1, V).
 */
function paddedIds(B: number, T: number, V: number, rng: Rng): Float32Array {
  const lengths = [T, T - 2, 1, T - 1];
  const ids = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = lengths[b % lengths.length]!;
    for (let s = 0; s < len; s++) ids[b * T + s] = 1 + Math.min(V - 2, Math.floor(rng.uniform() * (V - 1)));
  }
  return ids;
}

interface MaskedCase {
  name: string;
  returnSequences: boolean;
  /** Wrap the LSTM in Bidirectional (concat). */
  bidirectional?: boolean;
}

const MASKED_CASES: MaskedCase[] = [
  { name: 'Embedding(maskZero) -> LSTM, returnSequences=false', returnSequences: false },
  { name: 'Embedding(maskZero) -> LSTM, returnSequences=true', returnSequences: true },
  { name: 'Embedding(maskZero) -> Bidirectional(LSTM), returnSequences=false', returnSequences: false, bidirectional: true },
  { name: 'Embedding(maskZero) -> Bidirectional(LSTM), returnSequences=true', returnSequences: true, bidirectional: true },
];

describe('Embedding(maskZero) feeding a recurrent layer: parity with a tfjs Sequential', () => {
  const B = 4;
  const T = 5;
  const V = 7;
  const E = 4;
  const H = 3;
  MASKED_CASES.forEach((k, n) => {
    it(k.name, (t) => {
      const rng = new Rng(6000 + n);
      const emb = layers.embedding({ inputDim: V, outputDim: E, maskZero: true });
      const lstmArgs = { units: H, returnSequences: k.returnSequences };
      const rnn: Layer = k.bidirectional ? layers.bidirectional({ layer: layers.lstm(lstmArgs) }) : layers.lstm(lstmArgs);
      emb.build([T]);
      rnn.build([T, E]);
      const weights: FlatTensor[] = [...randomWeights(emb, rng, WEIGHT_RANGE), ...randomWeights(rnn, rng, WEIGHT_RANGE)];
      emb.setWeights([tensor(weights[0]!.data, weights[0]!.shape)]);
      rnn.setWeights(weights.slice(1).map((w) => tensor(w.data, w.shape)));
      const ids = paddedIds(B, T, V, rng);
      assert.ok(ids.includes(0), 'some padding');
      const outSize = B * (k.returnSequences ? T : 1) * (k.bidirectional ? 2 * H : H);
      const R = randomArray(outSize, rng);

      // ours: low-level forward/backward, the embedding's mask handed to the recurrent layer
      for (const w of [...emb.weights, ...rnn.weights]) w.grad.fill(0);
      const e = emb.forward(ids, B, T, true, null);
      const mask = emb.outputMask(null);
      assert.ok(mask !== null, 'maskZero gives a mask');
      assert.deepEqual(Array.from(mask.subarray(0, B * T)), Array.from(ids, (v) => (v === 0 ? 0 : 1)), 'mask = index != 0');
      const out = rnn.forward(e, B, T, true, mask).slice(0, outSize);
      const dE = rnn.backward(R.slice(), B, T, true)!;
      assert.equal(emb.backward(dE, B, T, false), null);
      const ourGrads = [...emb.weights, ...rnn.weights].map((w) => w.grad.slice());

      // tfjs: Sequential [embedding(maskZero), rnn], gradients with tf.variableGrads
      const model = tfl.sequential();
      let ref: { out: Float32Array; grads: Float32Array[]; unmasked: Float32Array };
      const tx = tf.tensor(ids, [B, T]);
      const rt = tf.tensor(R, k.returnSequences ? [B, T, k.bidirectional ? 2 * H : H] : [B, k.bidirectional ? 2 * H : H]);
      // Keras's Bidirectional sets zero_output_for_mask = return_sequences on both halves
      // (a returned sequence is zeros at masked steps); tfjs does not, so its output is masked here.
      const keep = k.bidirectional && k.returnSequences ? tf.tensor(Float32Array.from(ids, (v) => (v === 0 ? 0 : 1)), [B, T, 1]) : null;
      const kerasOut = (y: tf.Tensor): tf.Tensor => (keep === null ? y : tf.mul(y, keep));
      try {
        model.add(tfl.layers.embedding({ inputDim: V, outputDim: E, maskZero: true, inputLength: T, embeddingsInitializer: 'zeros' }));
        const tfLstm = tfl.layers.lstm({ ...lstmArgs, recurrentActivation: 'sigmoid', ...TF_ZERO_INIT });
        model.add(k.bidirectional ? tfl.layers.bidirectional({ layer: tfLstm as never }) : tfLstm);
        tf.tidy(() => model.setWeights(weights.map((w) => tf.tensor(w.data, [...w.shape]))));
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        assert.deepEqual(
          vars.map((v) => v.shape),
          weights.map((w) => [...w.shape]),
          'tfjs trainable weights in our order',
        );
        const refOut = tf.tidy(() => kerasOut(model.apply(tx) as tf.Tensor).dataSync() as Float32Array);
        // the same model without the mask, to show the padding matters
        const unmasked = tf.tidy(() => {
          const emb2 = model.layers[0]!.apply(tx) as tf.Tensor;
          return (model.layers[1]!.apply(emb2) as tf.Tensor).dataSync() as Float32Array;
        });
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(kerasOut(model.apply(tx) as tf.Tensor), rt)), vars);
        ref = {
          out: refOut,
          unmasked,
          grads: vars.map((v) => {
            const g = grads[v.name];
            if (g === undefined) throw new Error(`tfjs gave no gradient for ${v.name}`);
            return g.dataSync() as Float32Array;
          }),
        };
        value.dispose();
        tf.dispose(grads);
      } finally {
        model.dispose();
        tf.dispose([tx, rt, ...(keep === null ? [] : [keep])]);
      }

      const cmp = new Comparer(t, RTOL, ATOL);
      assert.equal(ref.out.length, outSize, 'tfjs output size');
      let maskEffect = 0;
      for (let i = 0; i < outSize; i++) maskEffect = Math.max(maskEffect, Math.abs(ref.out[i]! - ref.unmasked[i]!));
      assert.ok(maskEffect > 1e-3, `tfjs output hardly depends on the mask (${maskEffect})`);
      cmp.close(out, ref.out, 'output');
      const names = ['embeddings', ...rnn.weights.map((w, i) => `${w.name}[${i}]`)];
      assert.equal(ref.grads.length, ourGrads.length, 'number of weights');
      ourGrads.forEach((g, i) => cmp.close(g, ref.grads[i]!, `d${names[i]}`));
      // index 0 occurs only at masked steps, which must not reach the loss
      assert.ok(ourGrads[0]!.subarray(0, E).every((v) => v === 0), 'no gradient for the padding row');
      cmp.report();
      t.diagnostic(`mask effect on the tfjs output: ${maskEffect.toExponential(2)}`);
    });
  });
});

// ---------------------------------------------------------------------------------
// TimeDistributed(Dense)

describe('TimeDistributed(Dense) parity with tfjs (injected weights)', () => {
  const B = 3;
  const T = 4;
  const I = 5;
  const ACTIVATIONS = ['linear', 'tanh', 'relu', 'sigmoid', 'softmax'] as const;
  ACTIVATIONS.forEach((activation, n) => {
    it(`Dense(4, ${activation}) over [${B}, ${T}, ${I}]`, (t) => {
      const args = { units: 4, activation };
      const ours = layers.timeDistributed({ layer: layers.dense(args) });
      const theirs = tfl.layers.timeDistributed({ layer: tfl.layers.dense({ ...args, ...TF_ZERO_INIT_DENSE }) });
      layerParity(t, ours, theirs, B, T, [T, I], 7000 + n);
    });
  });
  it('Dense(2, linear, useBias=false)', (t) => {
    const args = { units: 2, useBias: false };
    const ours = layers.timeDistributed({ layer: layers.dense(args) });
    const theirs = tfl.layers.timeDistributed({ layer: tfl.layers.dense({ ...args, kernelInitializer: 'zeros' }) });
    layerParity(t, ours, theirs, B, T, [T, I], 7100);
  });
});
