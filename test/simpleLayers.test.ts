/**
 * Embedding, Masking, Dropout, Activation, RepeatVector, Flatten: forward values against
 * hand computations, masks, dropout statistics and seeding, finite-difference gradients
 * (loss = Σ out ⊙ R with a random R), error messages, configs, and Sequential models
 * that use them (Embedding → LSTM training; Masking → SimpleRNN on padded sequences).
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, tensor, Tensor, type Layer } from '../src/index.js';
import { assertClose, randomArray } from './helpers/check.js';

const STEP = 1e-2;
const RTOL = 2e-3;
const ATOL = 2e-3;
/** Same numbers computed in a different order (float32 round-off only). */
const EXACT_ISH = 1e-6;

function outSize(layer: Layer, B: number, T: number): number {
  return B * layer.outputShape.reduce<number>((a, d) => a * (d ?? T), 1);
}

function lossOf(layer: Layer, x: Float32Array, B: number, T: number, R: Float32Array, mask: Float32Array | null): number {
  const out = layer.forward(x, B, T, false, mask);
  let s = 0;
  for (let i = 0; i < R.length; i++) s += out[i]! * R[i]!;
  return s;
}

/** Central differences of the loss w.r.t. each entry of `values` (skipped entries stay 0). */
function numeric(values: Float32Array, loss: () => number, skip: (i: number) => boolean = () => false): Float32Array {
  const g = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (skip(i)) continue;
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

/** Random input kept ≥ 0.1 away from 0 (no activation kink within a step). */
function awayFromZero(n: number, rng: Rng): Float32Array {
  const a = randomArray(n, rng);
  for (let i = 0; i < n; i++) a[i] = Math.sign(a[i]! || 1) * (0.1 + Math.abs(a[i]!));
  return a;
}

/** Finite-difference check of dInput for a weightless layer. */
function gradCheckInput(layer: Layer, B: number, T: number, inShape: (number | null)[], seed: number, what: string, x?: Float32Array): void {
  const rng = new Rng(seed);
  layer.build(inShape);
  const inSize = B * inShape.reduce<number>((a, d) => a * (d ?? T), 1);
  const xs = x ?? awayFromZero(inSize, rng);
  const R = randomArray(outSize(layer, B, T), rng);
  lossOf(layer, xs, B, T, R, null);
  const dx = layer.backward(R, B, T, true)!.slice(0, inSize);
  assertClose(dx, numeric(xs, () => lossOf(layer, xs, B, T, R, null)), RTOL, ATOL, `${what}: dInput`);
}

const ids = (values: number[]): Float32Array => Float32Array.from(values);

describe('Embedding', () => {
  it('looks rows up: [B, L] → [B, L, outputDim]', () => {
    const emb = layers.embedding({ inputDim: 4, outputDim: 2, inputLength: 3 });
    emb.build([3]);
    emb.setWeights([tensor([[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5]])]);
    assert.deepEqual(emb.outputShape, [3, 2]);
    const y = emb.apply(tensor([[1, 0, 3], [2, 2, 1]]));
    assert.deepEqual(y.shape, [2, 3, 2]);
    assert.deepEqual(Array.from(y.data), [1, 1.5, 0, 0.5, 3, 3.5, 2, 2.5, 2, 2.5, 1, 1.5]);
    assert.equal(emb.outputTime(3), 3);
  });

  it('takes [B, 1] input and defaults to U(-0.05, 0.05) weights named embeddings', () => {
    const emb = layers.embedding({ inputDim: 50, outputDim: 8, inputShape: [1], seed: 3 });
    const y = emb.apply(tensor([[7], [49]]));
    assert.deepEqual(y.shape, [2, 1, 8]);
    const w = emb.weights[0]!;
    assert.equal(w.name, 'embeddings');
    assert.deepEqual(w.shape, [50, 8]);
    assert.ok(w.value.every((v) => v >= -0.05 && v < 0.05), 'initial values in [-0.05, 0.05)');
    assert.ok(new Set(w.value).size > 300, 'initial values are random');
    assert.deepEqual(Array.from(y.data.slice(0, 8)), Array.from(w.value.slice(7 * 8, 8 * 8)));
  });

  it('maskZero passes on index != 0 as the [B, L] mask; without it no mask', () => {
    const emb = layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [4] });
    emb.build([4]);
    emb.forward(ids([3, 1, 0, 0, 0, 2, 4, 0]), 2, 4, false, null);
    assert.deepEqual(Array.from(emb.outputMask(null)!.slice(0, 8)), [1, 1, 0, 0, 0, 1, 1, 0]);
    const plain = layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [4] });
    plain.build([4]);
    plain.forward(ids([3, 1, 0, 0]), 1, 4, false, null);
    assert.equal(plain.outputMask(ids([1, 1, 1, 1])), null);
  });

  it('embeddings gradient by finite differences (repeated indices accumulate)', () => {
    const rng = new Rng(41);
    const emb = layers.embedding({ inputDim: 6, outputDim: 3, inputShape: [4] });
    emb.build([4]);
    const w = emb.weights[0]!;
    w.value.set(randomArray(w.value.length, rng, -0.6, 0.6));
    const x = ids([1, 4, 1, 0, 5, 5, 2, 1]); // B = 2, L = 4; row 3 unused
    const R = randomArray(outSize(emb, 2, 4), rng);
    w.grad.fill(0);
    lossOf(emb, x, 2, 4, R, null);
    assert.equal(emb.backward(R, 2, 4, false), null);
    assertClose(w.grad, numeric(w.value, () => lossOf(emb, x, 2, 4, R, null)), RTOL, ATOL, 'embedding: dEmbeddings');
    assert.deepEqual(Array.from(w.grad.slice(9, 12)), [0, 0, 0], 'an unused row gets no gradient');
  });

  it('rejects a bad index naming the layer, the value and its position', () => {
    const emb = layers.embedding({ inputDim: 10, outputDim: 2, inputShape: [3], name: 'tokens' });
    emb.build([3]);
    assert.throws(
      () => emb.forward(ids([1, 2, 3, 4, 12, 5]), 2, 3, false, null),
      (e: Error) => e instanceof RangeError && /Embedding 'tokens'/.test(e.message) && /index 12 at \[sample 1, step 1\]/.test(e.message) && /\[0, 10\)/.test(e.message),
    );
    assert.throws(() => emb.forward(ids([1, -1, 3]), 1, 3, false, null), /index -1 at \[sample 0, step 1\] is out of range/);
    assert.throws(() => emb.forward(ids([1, 2, 2.5]), 1, 3, false, null), /index 2\.5 at \[sample 0, step 2\] is not an integer/);
    assert.throws(() => emb.forward(ids([NaN, 2, 2]), 1, 3, false, null), /index NaN at \[sample 0, step 0\]/);
    assert.throws(() => emb.apply(tensor([[1, 2, 10]])), /index 10 at \[sample 0, step 2\]/);
  });

  it('refuses to produce an input gradient (it must be the first layer)', () => {
    const emb = layers.embedding({ inputDim: 3, outputDim: 2, inputShape: [2] });
    emb.build([2]);
    emb.forward(ids([1, 2]), 1, 2, true, null);
    assert.throws(() => emb.backward(new Float32Array(4), 1, 2, true), /Embedding '.*': an Embedding has no gradient for its input/);
  });

  it('validates options and shapes', () => {
    assert.throws(() => layers.embedding({ inputDim: 10, outputDim: 4, inputLenght: 3 } as never), /unknown option 'inputLenght'/);
    assert.throws(() => layers.embedding({ inputDim: 10, outputDim: 4, activityRegularizer: 'l2' } as never), /option 'activityRegularizer' is not supported yet/);
    assert.throws(() => layers.embedding({ inputDim: 10, outputDim: 4, sparse: true } as never), /option 'sparse' is not supported yet/);
    assert.throws(() => layers.embedding({ inputDim: 0, outputDim: 4 }), /inputDim must be a positive integer/);
    assert.throws(() => layers.embedding({ inputDim: 10 } as never), /outputDim must be a positive integer/);
    assert.throws(() => layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 3, inputShape: [4] }), /inputLength 3 disagrees/);
    // an open sequence length is fine: each batch brings its own
    assert.deepEqual(layers.embedding({ inputDim: 10, outputDim: 4, inputShape: [null] }).computeOutputShape([null]), [null, 4]);
    // other index shapes work as in Keras (test/kerasSurface.test.ts); only the first axis may be open
    assert.throws(() => layers.embedding({ inputDim: 10, outputDim: 4 }).build([3, null]), /only the first axis after the batch may be left open/);
  });

  it('inputLength declares the input shape; getConfig uses tfjs keys', () => {
    const emb = layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 7, maskZero: true, embeddingsRegularizer: 'l2', name: 'e' });
    assert.deepEqual(emb.batchInputShape, [null, 7]);
    const c = emb.getConfig();
    assert.equal(c.inputDim, 10);
    assert.equal(c.outputDim, 4);
    assert.equal(c.maskZero, true);
    assert.equal(c.inputLength, 7);
    assert.deepEqual(c.batchInputShape, [null, 7]);
    assert.deepEqual(c.embeddingsInitializer, { className: 'RandomUniform', config: { minval: -0.05, maxval: 0.05 } });
    assert.equal((c.embeddingsRegularizer as { className: string }).className, 'L2');
    assert.equal(c.embeddingsConstraint, null);
    // tfjs JSON carries inputLength beside batchInputShape: that must load.
    const again = layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 7, batchInputShape: [null, 7] });
    assert.deepEqual(again.batchInputShape, [null, 7]);
    emb.build([7]);
    assert.ok(emb.weights[0]!.regularizer !== null, 'the regularizer reaches the weight');
  });
});

describe('Masking', () => {
  // x [B=2, T=3, F=2]: sample 0 step 1 all zero; sample 1 step 0 half zero, step 2 all zero
  const x = ids([1, 2, 0, 0, 3, -4, 0, 5, 6, 7, 0, 0]);

  it('masks a step only when ALL its features equal maskValue, and zeroes it', () => {
    const m = layers.masking({ inputShape: [null, 2] });
    m.build([null, 2]);
    const y = m.forward(x, 2, 3, false, null);
    assert.deepEqual(Array.from(y.slice(0, 12)), Array.from(x));
    assert.deepEqual(Array.from(m.outputMask(null)!.slice(0, 6)), [1, 0, 1, 1, 1, 0]);
  });

  it('zeroes masked steps for a nonzero maskValue', () => {
    const m = layers.masking({ maskValue: -1 });
    m.build([2, 3]);
    const y = m.forward(ids([-1, -1, -1, 2, -1, -1]), 1, 2, false, null);
    assert.deepEqual(Array.from(y.slice(0, 6)), [0, 0, 0, 2, -1, -1]);
    assert.deepEqual(Array.from(m.outputMask(null)!.slice(0, 2)), [0, 1]);
    assert.equal(m.getConfig().maskValue, -1);
  });

  it('ANDs its mask with an incoming mask', () => {
    const m = layers.masking({});
    m.build([3, 2]);
    const incoming = ids([1, 1, 0, 0, 1, 1]);
    m.forward(x, 2, 3, false, incoming);
    assert.deepEqual(Array.from(m.outputMask(incoming)!.slice(0, 6)), [1, 0, 0, 0, 1, 0]);
  });

  it('input gradient by finite differences; exactly zero at masked steps', () => {
    const rng = new Rng(52);
    const B = 3;
    const T = 4;
    const F = 3;
    const xs = awayFromZero(B * T * F, rng);
    const maskedSteps = [1, 6, 7, 11];
    for (const s of maskedSteps) xs.fill(0, s * F, (s + 1) * F);
    xs[2 * F] = 0; // one zero feature does not mask a step
    const m = layers.masking({});
    m.build([T, F]);
    const R = randomArray(B * T * F, rng);
    lossOf(m, xs, B, T, R, null);
    const dx = m.backward(R, B, T, true)!.slice(0, xs.length);
    // Nudging one feature of a masked step unmasks it: the loss is discontinuous there.
    const isMasked = (i: number): boolean => maskedSteps.includes(Math.floor(i / F));
    assertClose(dx, numeric(xs, () => lossOf(m, xs, B, T, R, null), isMasked), RTOL, ATOL, 'masking: dInput');
    for (let i = 0; i < dx.length; i++) if (isMasked(i)) assert.equal(dx[i], 0, `dx[${i}] at a masked step`);
    assert.notEqual(dx[2 * F], 0);
  });

  it('rejects non-sequence input and unknown options', () => {
    assert.throws(() => layers.masking({}).build([4]), /expected input of rank 3 \[batch, time, features\]/);
    assert.throws(() => layers.masking({ maskValue: 0, mask_value: 0 } as never), /unknown option 'mask_value'/);
    assert.throws(() => layers.masking({ maskValue: '0' } as never), /maskValue must be a number/);
  });
});

describe('Dropout', () => {
  const N = 20000;

  it('is the identity in inference', () => {
    const d = layers.dropout({ rate: 0.5, seed: 1 });
    d.build([N]);
    const x = randomArray(N, new Rng(1));
    assert.deepEqual(d.forward(x, 1, 1, false, null).slice(0, N), x);
    const dx = d.backward(x, 1, 1, true)!;
    assert.deepEqual(dx.slice(0, N), x);
  });

  it('in training zeroes about `rate` of the entries and scales the rest by 1/(1 − rate)', () => {
    const rate = 0.3;
    const d = layers.dropout({ rate, seed: 2 });
    d.build([N]);
    const x = awayFromZero(N, new Rng(2));
    const y = d.forward(x, 1, 1, true, null);
    let zeros = 0;
    for (let i = 0; i < N; i++) {
      if (y[i] === 0) zeros++;
      // float32 scale, as tf.nn.dropout multiplies by a float32 1/(1 − rate)
      else assert.equal(y[i], Math.fround(x[i]! * Math.fround(1 / (1 - rate))), `kept entry ${i}`);
    }
    // ±4σ of a binomial(20000, 0.3) fraction is ±0.013
    assert.ok(Math.abs(zeros / N - rate) < 0.013, `dropped fraction ${zeros / N}, expected about ${rate}`);
    // out = x ⊙ noise  =>  dx = dy ⊙ noise = dy ⊙ out / x
    const R = randomArray(N, new Rng(3));
    const dx = d.backward(R, 1, 1, true)!;
    const expected = new Float32Array(N);
    for (let i = 0; i < N; i++) expected[i] = (R[i]! * y[i]!) / x[i]!;
    assertClose(dx.slice(0, N), expected, EXACT_ISH, EXACT_ISH, 'dropout: dInput');
  });

  it('same seed, same masks; a fresh mask every batch; rate 0 is the identity', () => {
    const x = new Float32Array(1000).fill(1);
    const a = layers.dropout({ rate: 0.5, seed: 9 });
    const b = layers.dropout({ rate: 0.5, seed: 9 });
    const c = layers.dropout({ rate: 0.5, seed: 10 });
    for (const l of [a, b, c]) l.build([1000]);
    const ya = a.forward(x, 1, 1, true, null).slice(0, 1000);
    assert.deepEqual(b.forward(x, 1, 1, true, null).slice(0, 1000), ya);
    assert.notDeepEqual(c.forward(x, 1, 1, true, null).slice(0, 1000), ya);
    assert.notDeepEqual(a.forward(x, 1, 1, true, null).slice(0, 1000), ya, 'the next batch draws a new mask');
    const z = layers.dropout({ rate: 0 });
    z.build([1000]);
    assert.deepEqual(z.forward(x, 1, 1, true, null).slice(0, 1000), x);
  });

  it('noiseShape [null, 1, F] shares one mask over time; [1, null, null] over the batch', () => {
    const B = 4;
    const T = 6;
    const F = 50;
    const x = new Float32Array(B * T * F).fill(1);
    const d = layers.dropout({ rate: 0.5, noiseShape: [null, 1, F], seed: 4 });
    d.build([T, F]);
    const y = d.forward(x, B, T, true, null);
    let zeros = 0;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const first = y[(b * T) * F + f]!;
        if (first === 0) zeros++;
        for (let t = 1; t < T; t++) assert.equal(y[(b * T + t) * F + f], first, `b ${b} t ${t} f ${f}`);
      }
    }
    assert.ok(zeros > 0.3 * B * F && zeros < 0.7 * B * F, `${zeros} of ${B * F} dropped`);
    let differ = false; // samples get their own masks
    for (let f = 0; f < F; f++) differ ||= y[f] !== y[T * F + f];
    assert.ok(differ);
    // the gradient uses the same broadcast mask
    const R = randomArray(B * T * F, new Rng(5));
    const dx = d.backward(R, B, T, true)!;
    for (let i = 0; i < B * T * F; i++) assert.equal(dx[i], Math.fround(R[i]! * y[i]!));

    const s = layers.dropout({ rate: 0.5, noiseShape: [1, null, null], seed: 6 });
    s.build([T, F]);
    const ys = s.forward(x, B, T, true, null);
    for (let b = 1; b < B; b++) for (let i = 0; i < T * F; i++) assert.equal(ys[b * T * F + i], ys[i]);
  });

  it('passes the step mask through and keeps the time axis', () => {
    const d = layers.dropout({ rate: 0.2 });
    d.build([3, 2]);
    const m = ids([1, 0, 1]);
    d.forward(new Float32Array(6), 1, 3, true, m);
    assert.equal(d.outputMask(m), m);
    assert.equal(d.outputTime(3), 3);
  });

  it('validates rate, noiseShape and options; getConfig', () => {
    assert.throws(() => layers.dropout({ rate: 1 }), /rate must be a number in \[0, 1\)/);
    assert.throws(() => layers.dropout({} as never), /rate must be a number/);
    assert.throws(() => layers.dropout({ rate: 0.5, noise_shape: [1] } as never), /unknown option 'noise_shape'/);
    assert.throws(() => layers.dropout({ rate: 0.5, noiseShape: [null, 1] }).build([3, 4]), /must have one entry per input axis/);
    assert.throws(() => layers.dropout({ rate: 0.5, noiseShape: [null, 2, 4] }).build([3, 4]), /does not broadcast/);
    assert.deepEqual(layers.dropout({ rate: 0.25, noiseShape: [null, 1, 4], seed: 3, name: 'drop' }).getConfig(), {
      name: 'drop',
      trainable: true,
      dtype: 'float32',
      seed: 3,
      rate: 0.25,
      noiseShape: [null, 1, 4],
    });
  });
});

describe('Activation', () => {
  it('softmax over the last axis and relu, by hand', () => {
    const a = layers.activation({ activation: 'softmax' });
    a.build([2, 3]);
    const y = a.forward(ids([0, 1, 2, 5, 5, 5]), 1, 2, false, null);
    const e = [1, Math.E, Math.E * Math.E];
    const s = e[0]! + e[1]! + e[2]!;
    assertClose(y.slice(0, 6), [e[0]! / s, e[1]! / s, e[2]! / s, 1 / 3, 1 / 3, 1 / 3], EXACT_ISH, EXACT_ISH, 'softmax');
    const r = layers.activation({ activation: 'relu' });
    assert.deepEqual(Array.from(r.apply(tensor([[-1, 0.5, 2]])).data), [0, 0.5, 2]);
  });

  const NAMES = ['linear', 'tanh', 'sigmoid', 'hardSigmoid', 'relu', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'softmax'] as const;
  for (const activation of NAMES) {
    it(`${activation}: input gradient by finite differences (2-D and 3-D)`, () => {
      gradCheckInput(layers.activation({ activation }), 3, 1, [5], 61, `${activation} 2-D`);
      gradCheckInput(layers.activation({ activation }), 2, 3, [3, 4], 62, `${activation} 3-D`);
    });
  }

  it('requires a known activation; getConfig', () => {
    assert.throws(() => layers.activation({} as never), /activation option is required/);
    assert.throws(() => layers.activation({ activation: 'sparsemax' } as never), /unknown activation "sparsemax"/);
    assert.throws(() => layers.activation({ activation: 'relu', alpha: 1 } as never), /unknown option 'alpha'/);
    assert.equal(layers.activation({ activation: 'hard_sigmoid' as never }).getConfig().activation, 'hardSigmoid');
  });
});

describe('RepeatVector', () => {
  it('[B, F] → [B, n, F] by hand', () => {
    const r = layers.repeatVector({ n: 3 });
    const y = r.apply(tensor([[1, 2], [3, 4]]));
    assert.deepEqual(y.shape, [2, 3, 2]);
    assert.deepEqual(Array.from(y.data), [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
    assert.equal(r.outputTime(1), 3);
    assert.equal(r.outputMask(null), null);
  });
  it('input gradient (sum over the copies) by finite differences', () => {
    gradCheckInput(layers.repeatVector({ n: 4 }), 3, 1, [5], 71, 'repeatVector');
  });
  it('validates n and the input rank; getConfig', () => {
    assert.throws(() => layers.repeatVector({ n: 0 }), /n must be a positive integer/);
    assert.throws(() => layers.repeatVector({ n: 2 }).build([3, 2]), /expected input of rank 2 \[batch, features\]/);
    assert.equal(layers.repeatVector({ n: 5 }).getConfig().n, 5);
  });
});

describe('Flatten', () => {
  it('[B, T, F] → [B, T·F]; 2-D passes as is; no mask leaves it', () => {
    const f = layers.flatten();
    const y = f.apply(tensor([[[1, 2], [3, 4], [5, 6]]]));
    assert.deepEqual(y.shape, [1, 6]);
    assert.deepEqual(Array.from(y.data), [1, 2, 3, 4, 5, 6]);
    assert.equal(f.outputMask(ids([1, 1, 0])), null);
    assert.equal(f.outputTime(3), 1);
    assert.deepEqual(layers.flatten().apply(tensor([[1, 2, 3]])).shape, [1, 3]);
  });
  it('input gradient by finite differences', () => {
    gradCheckInput(layers.flatten(), 2, 4, [4, 3], 81, 'flatten');
  });
  it('needs a known time length; only channelsLast', () => {
    assert.throws(() => layers.flatten().build([null, 3]), /every input dimension must be known/);
    assert.throws(() => layers.flatten({ dataFormat: 'channelsFirst' } as never), /dataFormat "channelsFirst" is not supported/);
    assert.equal(layers.flatten({ dataFormat: 'channelsLast' }).getConfig().dataFormat, 'channelsLast');
  });
});

describe('in a Sequential model', () => {
  it('Embedding(maskZero) → LSTM → Dense(softmax) compiles and fits; the padding row gets no update', async () => {
    const rng = new Rng(90);
    const N = 32;
    const L = 5;
    const x = new Float32Array(N * L);
    const y = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      const len = 2 + rng.int(L - 1); // right padding with 0 after len tokens
      for (let t = 0; t < len; t++) x[i * L + t] = 1 + rng.int(9);
      y[i] = x[i * L]! > 5 ? 1 : 0;
    }
    const model = new Sequential();
    model.add(layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [5], seed: 1 }));
    model.add(layers.lstm({ units: 3, seed: 2 }));
    model.add(layers.dense({ units: 2, activation: 'softmax', seed: 3 }));
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    assert.deepEqual(model.outputShape, [2]);
    const before = model.layers[0]!.getWeights()[0]!.data.slice();
    const history = await model.fit(tensor(x, [N, L]), tensor(y, [N]), { epochs: 3, batchSize: 8, verbose: 0, seed: 4 });
    const losses = history.history.loss as number[];
    assert.equal(losses.length, 3);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    const after = model.layers[0]!.getWeights()[0]!.data;
    assert.deepEqual(Array.from(after.slice(0, 4)), Array.from(before.slice(0, 4)), 'index 0 only appears at masked steps');
    assert.notDeepEqual(Array.from(after.slice(4)), Array.from(before.slice(4)), 'used rows are trained');
    const p = model.predict(tensor(x.slice(0, 2 * L), [2, L]));
    assert.deepEqual(p.shape, [2, 2]);
  });

  it('Masking → SimpleRNN: a right-padded sequence predicts like the unpadded one', () => {
    const model = new Sequential();
    model.add(layers.masking({ maskValue: 0, inputShape: [null, 2] }));
    model.add(layers.simpleRNN({ units: 4, seed: 5 }));
    model.add(layers.dense({ units: 1, seed: 6 }));
    const seq = [[0.5, -1], [0.25, 0.75], [-0.5, 0.1]];
    const padded = [...seq, [0, 0], [0, 0]];
    const a = model.predict(tensor([seq]));
    const b = model.predict(tensor([padded]));
    assert.deepEqual(b.shape, [1, 1]);
    assertClose(b.data, a.data, EXACT_ISH, EXACT_ISH, 'padded vs unpadded');
    // and the padding matters without the Masking layer (so the check above can fail)
    const bare = new Sequential();
    bare.add(layers.simpleRNN({ units: 4, seed: 5, inputShape: [null, 2] }));
    bare.add(layers.dense({ units: 1, seed: 6 }));
    bare.setWeights(model.getWeights());
    assertClose(bare.predict(tensor([seq])).data, a.data, EXACT_ISH, EXACT_ISH, 'same weights without masking');
    assert.ok(Math.abs(bare.predict(tensor([padded])).data[0]! - a.data[0]!) > 1e-4, 'padding changes an unmasked prediction');
  });

  it('Dense → RepeatVector → SimpleRNN(sequences) → Flatten → Activation → Dropout trains', async () => {
    const rng = new Rng(95);
    const N = 16;
    const x = tensor(Float32Array.from({ length: N * 3 }, () => rng.uniformIn(-1, 1)), [N, 3]);
    const y = tensor(Float32Array.from({ length: N * 2 }, () => rng.uniform()), [N, 2]);
    const model = new Sequential();
    model.add(layers.dense({ units: 4, inputShape: [3], seed: 1 }));
    model.add(layers.repeatVector({ n: 3 }));
    model.add(layers.simpleRNN({ units: 2, returnSequences: true, seed: 2 }));
    model.add(layers.flatten());
    model.add(layers.activation({ activation: 'tanh' }));
    model.add(layers.dropout({ rate: 0.2, seed: 3 }));
    model.add(layers.dense({ units: 2, seed: 4 }));
    model.compile({ optimizer: 'adam', loss: 'mse' });
    assert.deepEqual(model.layers.map((l) => l.outputShape), [[4], [3, 4], [3, 2], [6], [6], [6], [2]]);
    const h = await model.fit(x, y, { epochs: 20, batchSize: 8, verbose: 0, seed: 5 });
    const losses = h.history.loss as number[];
    assert.ok(losses[losses.length - 1]! < losses[0]!, `loss went ${losses[0]} → ${losses[losses.length - 1]}`);
    assert.ok(model.predict(x) instanceof Tensor);
  });
});
