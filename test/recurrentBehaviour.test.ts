/**
 * LSTM and GRU behaviour beyond single-pass numerics (recurrentParity.test.ts has those):
 * long-range learning, stateful chunking, dropout (masks, determinism, gradients),
 * returnState, masking of padded steps (outputs and gradients), regularizers and
 * constraints through the model.
 *
 * Finite differences: forward runs in float32, so central differences use a step of
 * 1e-2 and a tolerance set for float32 round-off plus the O(step²) truncation error; a
 * wrong gradient is off by O(1) (see gradcheck.test.ts).
 */
import { describe, it, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { Sequential, constraints, layers, optimizers, tensor, type Layer, type Tensor } from '../src/index.js';
import type { LSTM, Recurrent } from '../src/layers/index.js';
import { assertClose, randomArray } from './helpers/check.js';
import { runLongRange, type LongRangeConfig } from './helpers/longRange.js';

/** Finite differences (see the header). */
const FD_STEP = 1e-2;
const FD_RTOL = 2e-3;
const FD_ATOL = 2e-3;
/** The same computation arranged differently (other batch size, chunks, a model around it): float32 round-off only. */
const SAME_RTOL = 1e-5;
const SAME_ATOL = 1e-6;
/** Weights are drawn in [-WEIGHT_RANGE, WEIGHT_RANGE] where a test sets them. */
const WEIGHT_RANGE = 0.6;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function randomizeWeights(layer: Layer, rng: Rng, range = WEIGHT_RANGE): void {
  for (const w of layer.weights) w.value.set(randomArray(w.value.length, rng, -range, range));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += a[i]! * b[i]!;
  return s;
}

type RecurrentFactory = (extra: Record<string, unknown>) => Recurrent;

/** The cells under test, each with its own options. */
const CELLS: { name: string; make: RecurrentFactory }[] = [
  { name: 'LSTM', make: (extra) => layers.lstm({ units: 4, ...extra }) },
  { name: 'GRU', make: (extra) => layers.gru({ units: 4, ...extra }) },
  { name: 'GRU resetAfter=false', make: (extra) => layers.gru({ units: 4, resetAfter: false, ...extra }) },
];

// ---------------------------------------------------------------------------------
// Long-range learning

/**
 * The task (helpers/longRange.ts): x[0] = ±1, then 50 steps of U(−1, 1)·0.5 noise; label
 * x[0] > 0. Held-out accuracy must reach LONG_RANGE_ACCURACY, and negating x[0] alone must
 * flip at least LONG_RANGE_FLIP of the held-out predictions: the answer is carried over
 * all 50 noise steps.
 *
 * Measured before choosing the seeds (1000 training samples, ≤ 30 epochs, early stop at
 * 99 % training accuracy). Learning is a sudden jump after a plateau whose length depends
 * on the seeds:
 * - LSTM(16), adam 0.005, batch 32: 5 of 6 seed sets reached ≥ 0.95 (epochs 9–30);
 *   with adam 0.01 3 of 6. Keras's forget bias of 1 keeps ~0.73 of the cell per step at
 *   initialization, 0.73^50 ≈ 1e-7: the gradient that teaches the gate starts tiny.
 * - GRU(16), adam 0.03, batch 16: 6 of 6 (epochs 8–21); with batch 32 about half.
 * - SimpleRNN(16), any of these: 6 of 6 within 2 epochs. With Keras's orthogonal
 *   recurrent initializer a tanh RNN starts near-linear and norm-preserving, so it is no
 *   negative control here (checked independently with PyTorch and the same initializers:
 *   1.00 held-out accuracy after 1–2 epochs). Its test below asserts that it learns too.
 * Round-off decides more than the plateau's length: at the jump Adam can overshoot, and
 * the run then stalls near 0.6–0.7 (seen with ts and wasm alike, on different seeds: the
 * Dense forward moving into WebAssembly turned LSTM seed 14 from 1.00 at epoch 11 into
 * 0.71 after 30). So each cell gets a list of seed sets, tried in order until one
 * reaches the bar; a broken cell fails every one. (LSTM seeds 11–18, lr 0.005: 6 of 8
 * reach it on either Dense kernel, 18 by epoch 5.)
 */
const LONG_RANGE_ACCURACY = 0.95;
const LONG_RANGE_FLIP = 0.95;
const LONG_RANGE_BASE = { units: 16, T: 51, noise: 0.5, trainSamples: 1000, testSamples: 500, maxEpochs: 30, stopAtTrainAccuracy: 0.99 } as const;

/** Runs `c` with each seed in turn until one passes the bars; asserts on the last tried. */
async function longRange(t: TestContext, c: Omit<LongRangeConfig, 'seed'>, seeds: readonly number[]): Promise<void> {
  for (let i = 0; i < seeds.length; i++) {
    const seed = seeds[i]!;
    const r = await runLongRange({ ...c, seed });
    t.diagnostic(
      `${c.cell} seed ${seed}: ${r.epochs} epochs in ${r.seconds.toFixed(1)} s; held-out accuracy ${r.testAccuracy.toFixed(3)} (loss ${r.testLoss.toFixed(4)}); ` +
        `x[0] flips ${(100 * r.flipFraction).toFixed(1)} % of predictions; training accuracy per epoch ${r.trainAccuracy.map((a) => a.toFixed(2)).join(' ')}`,
    );
    if (r.testAccuracy >= LONG_RANGE_ACCURACY && r.flipFraction >= LONG_RANGE_FLIP) return;
    if (i < seeds.length - 1) continue;
    assert.ok(r.testAccuracy >= LONG_RANGE_ACCURACY, `${c.cell}: held-out accuracy ${r.testAccuracy} < ${LONG_RANGE_ACCURACY} after ${r.epochs} epochs with each of the seeds ${seeds.join(', ')}`);
    assert.ok(r.flipFraction >= LONG_RANGE_FLIP, `${c.cell}: negating x[0] flips only ${r.flipFraction} of the predictions (seeds ${seeds.join(', ')})`);
  }
}

describe('long-range learning: the sign of x[0] after 50 noise steps', () => {
  it(`LSTM(16) -> Dense(1, sigmoid) reaches held-out accuracy ≥ ${LONG_RANGE_ACCURACY}`, async (t) => {
    await longRange(t, { ...LONG_RANGE_BASE, cell: 'lstm', learningRate: 0.005, batchSize: 32 }, [18, 12, 13]);
  });
  it(`GRU(16) -> Dense(1, sigmoid) reaches held-out accuracy ≥ ${LONG_RANGE_ACCURACY}`, async (t) => {
    await longRange(t, { ...LONG_RANGE_BASE, cell: 'gru', learningRate: 0.03, batchSize: 16 }, [11, 12]);
  });
  it('SimpleRNN(16) learns it as well (Keras orthogonal init: no negative control; see the note above)', async (t) => {
    await longRange(t, { ...LONG_RANGE_BASE, cell: 'simpleRNN', learningRate: 0.005, batchSize: 32 }, [11, 12]);
  });
});

// ---------------------------------------------------------------------------------
// Stateful

describe('stateful LSTM', () => {
  const F = 3;
  const H = 4;
  const T1 = 3;
  const T2 = 4;
  const T = T1 + T2;
  const rng = new Rng(41);
  const xWhole = randomArray(2 * T * F, rng);
  /** Steps [from, from + len) of every sample. */
  const chunk = (from: number, len: number): Tensor => {
    const c = new Float32Array(2 * len * F);
    for (let b = 0; b < 2; b++) c.set(xWhole.subarray((b * T + from) * F, (b * T + from + len) * F), b * len * F);
    return tensor(c, [2, len, F]);
  };
  /** Output steps [from, from + len) of a [2, T, H] sequence output. */
  const steps = (out: Float32Array, from: number, len: number): Float32Array => {
    const c = new Float32Array(2 * len * H);
    for (let b = 0; b < 2; b++) c.set(out.subarray((b * T + from) * H, (b * T + from + len) * H), b * len * H);
    return c;
  };

  function pair(): { stateful: Sequential; plain: Sequential; layer: LSTM } {
    const stateful = new Sequential();
    const layer = layers.lstm({ units: H, stateful: true, batchInputShape: [2, null, F], returnSequences: true, seed: 42 });
    stateful.add(layer);
    const plain = new Sequential();
    plain.add(layers.lstm({ units: H, inputShape: [null, F], returnSequences: true, seed: 43 }));
    randomizeWeights(layer, new Rng(44));
    plain.setWeights(stateful.getWeights());
    return { stateful, plain, layer };
  }

  it('predict on two chunks (3 + 4 steps) equals the whole sequence; resetStates restores the zero state', (t) => {
    const { stateful, plain } = pair();
    const whole = plain.predict(tensor(xWhole, [2, T, F])).data;
    const first = stateful.predict(chunk(0, T1));
    const second = stateful.predict(chunk(T1, T2));
    assert.deepEqual([...second.shape], [2, T2, H]);
    assertClose(first.data, steps(whole, 0, T1), SAME_RTOL, SAME_ATOL, 'first chunk');
    assertClose(second.data, steps(whole, T1, T2), SAME_RTOL, SAME_ATOL, 'second chunk');
    // Without the carried state the second chunk would differ: the check above has teeth.
    const fresh = plain.predict(chunk(T1, T2)).data;
    assert.ok(maxAbsDiff(fresh, second.data) > 1e-3, 'the second chunk does not depend on the first');
    stateful.resetStates();
    const again = stateful.predict(chunk(0, T1));
    assert.deepEqual(again.data, first.data, 'after resetStates the first chunk gives the zero-state outputs again');
    t.diagnostic(`max |diff| vs whole: ${maxAbsDiff(second.data, steps(whole, T1, T2)).toExponential(2)}; without state: ${maxAbsDiff(fresh, second.data).toExponential(2)}`);
  });

  it('layer.apply chunk by chunk carries the state too, and getStates holds the final [h, c]', () => {
    const { plain } = pair();
    const layer = layers.lstm({ units: H, stateful: true, batchInputShape: [2, null, F], returnSequences: true, seed: 45 });
    layer.build([null, F]);
    layer.setWeights(plain.getWeights());
    const whole = plain.predict(tensor(xWhole, [2, T, F])).data;
    const a = layer.apply(chunk(0, T1));
    const b = layer.apply(chunk(T1, T2));
    assertClose(a.data, steps(whole, 0, T1), SAME_RTOL, SAME_ATOL, 'apply, first chunk');
    assertClose(b.data, steps(whole, T1, T2), SAME_RTOL, SAME_ATOL, 'apply, second chunk');
    const [h, c] = layer.getStates();
    assertClose(h!.data, steps(whole, T - 1, 1), SAME_RTOL, SAME_ATOL, 'carried h = last output');
    // c against a plain layer with returnState over the whole sequence
    const ref = layers.lstm({ units: H, returnState: true, seed: 46 });
    ref.build([T, F]);
    ref.setWeights(plain.getWeights());
    const [, hRef, cRef] = ref.apply(tensor(xWhole, [2, T, F])) as unknown as Tensor[];
    assertClose(h!.data, hRef!.data, SAME_RTOL, SAME_ATOL, 'carried h vs returnState h');
    assertClose(c!.data, cRef!.data, SAME_RTOL, SAME_ATOL, 'carried c vs returnState c');
    layer.resetStates();
    for (const s of layer.getStates()) assert.ok(s.data.every((v) => v === 0), 'resetStates zeroes h and c');
    assert.deepEqual(layer.apply(chunk(0, T1)).data, a.data, 'apply after resetStates');
  });

  it(
    'layer.apply on an unbuilt layer accepts chunks of other lengths (Keras: the time axis of an RNN input is free)',
    () => {
      const { plain } = pair();
      const layer = layers.lstm({ units: H, stateful: true, batchInputShape: [2, null, F], returnSequences: true, seed: 49 });
      const whole = plain.predict(tensor(xWhole, [2, T, F])).data;
      layer.apply(chunk(0, T1)); // builds the layer
      layer.setWeights(plain.getWeights());
      layer.resetStates();
      layer.apply(chunk(0, T1));
      const b = layer.apply(chunk(T1, T2)); // throws today: expected input of shape [*, 3, 3], got [*, 4, 3]
      assertClose(b.data, steps(whole, T1, T2), SAME_RTOL, SAME_ATOL, 'second chunk via apply on an unbuilt layer');
    },
  );

  it('a batch of another size is a clear error naming the layer', () => {
    const { stateful, layer } = pair();
    const three = tensor(randomArray(3 * T1 * F, new Rng(47)), [3, T1, F]);
    assert.throws(() => stateful.predict(three), (e: Error) => e instanceof RangeError && e.message.includes(`LSTM '${layer.name}'`) && /2/.test(e.message) && /3/.test(e.message));
    const alone = layers.lstm({ units: H, stateful: true, batchInputShape: [2, null, F], seed: 48 });
    assert.throws(
      () => alone.apply(three),
      (e: Error) => e instanceof RangeError && e.message.includes(`LSTM '${alone.name}'`) && /batches of 2 samples, got a batch of 3/.test(e.message),
    );
  });
});

// ---------------------------------------------------------------------------------
// Dropout

describe('dropout and recurrentDropout', () => {
  const B = 3;
  const T = 4;
  const I = 5;
  const RATE = 0.4;

  /** A fresh built layer with the given weights; its first training forward draws the same masks every time. */
  function fresh(make: RecurrentFactory, opts: Record<string, unknown>, weights: Float32Array[]): Recurrent {
    const l = make(opts);
    l.build([T, I]);
    l.weights.forEach((w, i) => w.value.set(weights[i]!));
    return l;
  }

  for (const cell of CELLS) {
    describe(cell.name, () => {
      const opts = { dropout: RATE, recurrentDropout: RATE, returnSequences: true, seed: 7 };
      const rng = new Rng(50);
      const base = cell.make(opts);
      base.build([T, I]);
      randomizeWeights(base, rng);
      const weights = base.weights.map((w) => w.value.slice());
      const x = randomArray(B * T * I, rng);
      const outSize = B * T * 4;
      const R = randomArray(outSize, rng);

      it('training outputs differ from inference; the same seed gives the same outputs; each call draws new masks', (t) => {
        const a = fresh(cell.make, opts, weights);
        const inference = a.forward(x, B, T, false, null).slice(0, outSize);
        const train1 = a.forward(x, B, T, true, null).slice(0, outSize);
        const train2 = a.forward(x, B, T, true, null).slice(0, outSize);
        const b = fresh(cell.make, opts, weights);
        const bTrain1 = b.forward(x, B, T, true, null).slice(0, outSize);
        const other = fresh(cell.make, { ...opts, seed: 8 }, weights).forward(x, B, T, true, null).slice(0, outSize);
        const noDropout = fresh(cell.make, { returnSequences: true, seed: 7 }, weights).forward(x, B, T, true, null).slice(0, outSize);
        t.diagnostic(`train vs inference ${maxAbsDiff(train1, inference).toExponential(2)}; call 2 vs call 1 ${maxAbsDiff(train2, train1).toExponential(2)}; seed 8 vs 7 ${maxAbsDiff(other, train1).toExponential(2)}`);
        assert.ok(maxAbsDiff(train1, inference) > 1e-2, 'training output equals inference output');
        assert.deepEqual(bTrain1, train1, 'same seed, same weights: different training outputs');
        assert.ok(maxAbsDiff(train2, train1) > 1e-2, 'the second training call reused the first masks');
        assert.ok(maxAbsDiff(other, train1) > 1e-2, 'another seed gave the same masks');
        assert.deepEqual(inference, noDropout, 'inference with dropout configured differs from a layer without dropout');
      });

      it('gradients with the masks fixed match finite differences; dropped input columns get zero dx', (t) => {
        const analytic = fresh(cell.make, opts, weights);
        for (const w of analytic.weights) w.grad.fill(0);
        analytic.forward(x, B, T, true, null);
        const dx = analytic.backward(R.slice(), B, T, true)!.slice(0, x.length);
        const grads = analytic.weights.map((w) => w.grad.slice());

        // Each evaluation builds a fresh layer with the same seed: the same masks.
        const lossAt = (ws: Float32Array[], xv: Float32Array): number => dot(fresh(cell.make, opts, ws).forward(xv, B, T, true, null), R);
        const numeric = (values: Float32Array, evalLoss: () => number): Float32Array => {
          const g = new Float32Array(values.length);
          for (let i = 0; i < values.length; i++) {
            const v = values[i]!;
            values[i] = v + FD_STEP;
            const up = evalLoss();
            values[i] = v - FD_STEP;
            const down = evalLoss();
            values[i] = v;
            g[i] = (up - down) / (2 * FD_STEP);
          }
          return g;
        };
        const ws = weights.map((w) => w.slice());
        const lines: string[] = [];
        analytic.weights.forEach((w, k) => {
          const num = numeric(ws[k]!, () => lossAt(ws, x));
          lines.push(`d${w.name} ${maxAbsDiff(grads[k]!, num).toExponential(2)}`);
          assertClose(grads[k]!, num, FD_RTOL, FD_ATOL, `${cell.name} with dropout: d${w.name}`);
        });
        const xv = x.slice();
        const numX = numeric(xv, () => lossAt(weights, xv));
        lines.push(`dInput ${maxAbsDiff(dx, numX).toExponential(2)}`);
        assertClose(dx, numX, FD_RTOL, FD_ATOL, `${cell.name} with dropout: dInput`);

        // Variational input dropout: one mask per (sample, feature), the same at every step.
        let dropped = 0;
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < I; i++) {
            let zeros = 0;
            for (let s = 0; s < T; s++) if (dx[(b * T + s) * I + i] === 0) zeros++;
            assert.ok(zeros === 0 || zeros === T, `sample ${b} feature ${i}: dx is zero at ${zeros} of ${T} steps (mask not constant over time)`);
            if (zeros === T) {
              dropped++;
              for (let s = 0; s < T; s++) assert.equal(numX[(b * T + s) * I + i], 0, `dropped input ${b},${s},${i} still changes the loss`);
            }
          }
        }
        assert.ok(dropped > 0 && dropped < B * I, `${dropped} of ${B * I} input columns dropped at rate ${RATE}`);
        t.diagnostic(`${lines.join('; ')}; ${dropped}/${B * I} input columns dropped`);
      });

      it('inverted input dropout: the training output equals inference on x ⊙ mask / (1 − rate)', () => {
        const inOpts = { dropout: RATE, returnSequences: true, seed: 9 };
        const l = fresh(cell.make, inOpts, weights);
        for (const w of l.weights) w.grad.fill(0);
        const train = l.forward(x, B, T, true, null).slice(0, outSize);
        const dx = l.backward(R.slice(), B, T, true)!;
        const keep = Math.fround(1 / (1 - RATE));
        const xm = new Float32Array(x.length);
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < I; i++) {
            const isDropped = dx[b * T * I + i] === 0;
            for (let s = 0; s < T; s++) xm[(b * T + s) * I + i] = isDropped ? 0 : x[(b * T + s) * I + i]! * keep;
          }
        }
        const inference = fresh(cell.make, inOpts, weights).forward(xm, B, T, false, null).slice(0, outSize);
        assertClose(train, inference, SAME_RTOL, SAME_ATOL, `${cell.name}: training output vs inference on the masked, rescaled input`);
      });
    });
  }
});

// ---------------------------------------------------------------------------------
// returnState

describe('returnState via layer.apply', () => {
  const B = 3;
  const T = 5;
  const I = 2;
  const H = 4;
  const x = tensor(randomArray(B * T * I, new Rng(60)), [B, T, I]);
  const cases = [
    { name: 'LSTM', states: 2, make: (o: Record<string, unknown>) => layers.lstm({ units: H, returnState: true, seed: 61, ...o }) },
    { name: 'GRU', states: 1, make: (o: Record<string, unknown>) => layers.gru({ units: H, returnState: true, seed: 61, ...o }) },
    { name: 'GRU resetAfter=false', states: 1, make: (o: Record<string, unknown>) => layers.gru({ units: H, returnState: true, resetAfter: false, seed: 61, ...o }) },
  ];
  for (const c of cases) {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`${c.name} returnSequences=${returnSequences} goBackwards=${goBackwards}: [output, h${c.states === 2 ? ', c' : ''}], h = last output`, () => {
          const layer = c.make({ returnSequences, goBackwards });
          const result = layer.apply(x) as unknown as Tensor[];
          assert.ok(Array.isArray(result), 'apply with returnState returns an array');
          assert.equal(result.length, 1 + c.states);
          const [out, h, ...rest] = result;
          assert.deepEqual([...out!.shape], returnSequences ? [B, T, H] : [B, H]);
          assert.deepEqual([...h!.shape], [B, H]);
          const last = returnSequences ? Float32Array.from({ length: B * H }, (_, i) => out!.data[(Math.floor(i / H) * T + T - 1) * H + (i % H)]!) : out!.data;
          assert.deepEqual(h!.data, last, 'h is the last output (in processing order)');
          // Without returnState: the same output, as a single tensor.
          const plain = c.make({ returnSequences, goBackwards, returnState: false });
          plain.build([T, I]);
          plain.setWeights(layer.getWeights());
          const single = plain.apply(x);
          assert.ok(!Array.isArray(single));
          assert.deepEqual(single.data, out!.data);
          if (c.states === 2) {
            const cState = rest[0]!;
            assert.deepEqual([...cState.shape], [B, H]);
            assert.ok(maxAbsDiff(cState.data, h!.data) > 1e-3, 'c is not a copy of h');
            // |h| = |o ⊙ tanh(c)| ≤ |tanh(c)|: h and c agree in sign wherever h ≠ 0.
            for (let i = 0; i < B * H; i++) {
              assert.ok(Math.abs(h!.data[i]!) <= Math.tanh(Math.abs(cState.data[i]!)) + 1e-6, `|h| > |tanh c| at ${i}`);
              assert.ok(h!.data[i]! * cState.data[i]! >= 0, `h and c differ in sign at ${i}`);
            }
          }
        });
      }
    }
  }
});

// ---------------------------------------------------------------------------------
// Masking

describe('masking right-padded batches: layer.forward with a [B, T] mask', () => {
  const T = 6;
  const I = 3;
  const LENGTHS = [6, 4, 2, 1];
  const B = LENGTHS.length;

  /** x [B, T, I] random everywhere (padding is garbage, not zeros), mask [B, T]. */
  function paddedBatch(rng: Rng): { x: Float32Array; mask: Float32Array } {
    const x = randomArray(B * T * I, rng, -2, 2);
    const mask = new Float32Array(B * T);
    LENGTHS.forEach((len, b) => mask.fill(1, b * T, b * T + len));
    return { x, mask };
  }

  for (const cell of CELLS) {
    for (const goBackwards of [false, true]) {
      it(`${cell.name}${goBackwards ? ' goBackwards' : ''}: the final output of each padded row equals that sequence alone`, (t) => {
        const rng = new Rng(70);
        const layer = cell.make({ goBackwards, seed: 71 });
        layer.build([null, I]);
        randomizeWeights(layer, rng);
        const { x, mask } = paddedBatch(rng);
        const out = layer.forward(x, B, T, false, mask).slice(0, B * 4);
        const unmasked = layer.forward(x, B, T, false, null).slice(0, B * 4);
        let worst = 0;
        LENGTHS.forEach((len, b) => {
          const alone = layer.forward(x.slice(b * T * I, (b * T + len) * I), 1, len, false, null).slice(0, 4);
          const row = out.slice(b * 4, b * 4 + 4);
          worst = Math.max(worst, maxAbsDiff(row, alone));
          assertClose(row, alone, SAME_RTOL, SAME_ATOL, `row ${b} (length ${len})`);
          if (len < T) assert.ok(maxAbsDiff(unmasked.slice(b * 4, b * 4 + 4), alone) > 1e-3, `row ${b}: the padding would have changed the output`);
        });
        t.diagnostic(`max |diff| vs unpadded: ${worst.toExponential(2)}`);
      });
    }

    it(`${cell.name} returnSequences: masked steps repeat the last valid output; a fully masked row outputs the zero state`, () => {
      const rng = new Rng(72);
      const H = 4;
      const layer = cell.make({ returnSequences: true, seed: 73 });
      layer.build([null, I]);
      randomizeWeights(layer, rng);
      const { x, mask } = paddedBatch(rng);
      mask.fill(0, (B - 1) * T, B * T); // the last row: no valid step at all
      const out = layer.forward(x, B, T, false, mask).slice(0, B * T * H);
      LENGTHS.forEach((len, b) => {
        for (let s = 0; s < T; s++) {
          const at = out.slice((b * T + s) * H, (b * T + s + 1) * H);
          if (b === B - 1) assert.ok(at.every((v) => v === 0), `fully masked row, step ${s}: ${Array.from(at)}`);
          else if (s >= len) assert.deepEqual(at, out.slice((b * T + len - 1) * H, (b * T + len) * H), `row ${b} step ${s} does not repeat step ${len - 1}`);
        }
      });
    });

    for (const returnSequences of [false, true]) {
      it(`${cell.name} returnSequences=${returnSequences}: gradients with a mask match finite differences; masked steps get zero dx`, (t) => {
        const rng = new Rng(74);
        const H = 4;
        const layer = cell.make({ returnSequences, seed: 75 });
        layer.build([null, I]);
        randomizeWeights(layer, rng);
        const { x, mask } = paddedBatch(rng);
        const outSize = B * (returnSequences ? T : 1) * H;
        const R = randomArray(outSize, rng);
        const lossOf = (xv: Float32Array): number => dot(layer.forward(xv, B, T, true, mask), R);

        for (const w of layer.weights) w.grad.fill(0);
        layer.forward(x, B, T, true, mask);
        const dx = layer.backward(R.slice(), B, T, true)!.slice(0, x.length);
        const grads = layer.weights.map((w) => w.grad.slice());
        const numeric = (values: Float32Array): Float32Array => {
          const g = new Float32Array(values.length);
          for (let i = 0; i < values.length; i++) {
            const v = values[i]!;
            values[i] = v + FD_STEP;
            const up = lossOf(x);
            values[i] = v - FD_STEP;
            const down = lossOf(x);
            values[i] = v;
            g[i] = (up - down) / (2 * FD_STEP);
          }
          return g;
        };
        const lines: string[] = [];
        layer.weights.forEach((w, k) => {
          const num = numeric(w.value);
          lines.push(`d${w.name} ${maxAbsDiff(grads[k]!, num).toExponential(2)}`);
          assertClose(grads[k]!, num, FD_RTOL, FD_ATOL, `${cell.name} masked: d${w.name}`);
        });
        const numX = numeric(x);
        lines.push(`dInput ${maxAbsDiff(dx, numX).toExponential(2)}`);
        assertClose(dx, numX, FD_RTOL, FD_ATOL, `${cell.name} masked: dInput`);
        LENGTHS.forEach((len, b) => {
          for (let s = len; s < T; s++) for (let i = 0; i < I; i++) assert.equal(dx[(b * T + s) * I + i], 0, `dx at masked step ${b},${s},${i}`);
        });

        if (!returnSequences) {
          // Padded steps contribute nothing: the batch gradient is the sum of each sequence's alone.
          const sum = layer.weights.map((w) => new Float32Array(w.value.length));
          LENGTHS.forEach((len, b) => {
            for (const w of layer.weights) w.grad.fill(0);
            layer.forward(x.slice(b * T * I, (b * T + len) * I), 1, len, true, null);
            const dxAlone = layer.backward(R.slice(b * H, (b + 1) * H), 1, len, true)!;
            assertClose(dx.slice(b * T * I, (b * T + len) * I), dxAlone.slice(0, len * I), SAME_RTOL, SAME_ATOL, `dx of row ${b} vs the sequence alone`);
            layer.weights.forEach((w, k) => {
              for (let i = 0; i < w.grad.length; i++) sum[k]![i] = sum[k]![i]! + w.grad[i]!;
            });
          });
          layer.weights.forEach((w, k) => assertClose(grads[k]!, sum[k]!, 1e-4, 1e-6, `d${w.name}: padded batch vs the sum over sequences alone`));
        }
        t.diagnostic(lines.join('; '));
      });
    }
  }
});

describe('masking through a model: Masking(0) -> LSTM/GRU on zero-padded sequences', () => {
  const T = 6;
  const I = 3;
  const H = 4;
  const LENGTHS = [6, 3, 5, 1];
  const B = LENGTHS.length;
  for (const cell of CELLS) {
    it(`${cell.name}: predict on the padded batch equals predict on each sequence alone`, (t) => {
      const rng = new Rng(90);
      const x = new Float32Array(B * T * I);
      LENGTHS.forEach((len, b) => x.set(randomArray(len * I, rng), b * T * I)); // zeros after each sequence
      const padded = new Sequential();
      padded.add(layers.masking({ maskValue: 0, inputShape: [T, I] }));
      const rnn = cell.make({ seed: 91 });
      padded.add(rnn);
      const alone = new Sequential();
      alone.add(cell.make({ inputShape: [null, I], seed: 92 }));
      randomizeWeights(alone.layers[0]!, rng);
      padded.setWeights(alone.getWeights());
      const out = padded.predict(tensor(x, [B, T, I])).data;
      let worst = 0;
      LENGTHS.forEach((len, b) => {
        const ref = alone.predict(tensor(x.slice(b * T * I, (b * T + len) * I), [1, len, I])).data;
        worst = Math.max(worst, maxAbsDiff(out.slice(b * H, (b + 1) * H), ref));
        assertClose(out.slice(b * H, (b + 1) * H), ref, SAME_RTOL, SAME_ATOL, `row ${b} (length ${len})`);
      });
      t.diagnostic(`max |diff| ${worst.toExponential(2)}`);
    });
  }
});

// ---------------------------------------------------------------------------------
// Regularizers and constraints through the model

describe('regularizers and constraints', () => {
  const N = 12;
  const T = 4;
  const I = 8;
  const H = 4;
  const rng = new Rng(80);
  const x = tensor(randomArray(N * T * I, rng), [N, T, I]);
  const y = tensor(randomArray(N * 2, rng), [N, 2]);

  function twin(rnn: (extra: Record<string, unknown>) => Layer, extra: Record<string, unknown>, seed: number): { withIt: Sequential; without: Sequential } {
    const build = (e: Record<string, unknown>): Sequential => {
      const m = new Sequential();
      m.add(rnn({ inputShape: [T, I], seed, ...e }));
      m.add(layers.dense({ units: 2, seed: seed + 1 }));
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      return m;
    };
    const withIt = build(extra);
    const without = build({});
    without.setWeights(withIt.getWeights());
    return { withIt, without };
  }

  const sumSq = (w: Float32Array): number => w.reduce((s, v) => s + v * v, 0);
  const sumAbs = (w: Float32Array): number => w.reduce((s, v) => s + Math.abs(v), 0);

  it("LSTM kernelRegularizer 'l2' adds 0.01·Σ kernel² to the evaluated loss, and 0.02·w to the kernel's gradient", async (t) => {
    const { withIt, without } = twin((e) => layers.lstm({ units: H, ...e }), { kernelRegularizer: 'l2' }, 81);
    const kernel = withIt.getWeights()[0]!.data;
    const penalty = 0.01 * sumSq(kernel);
    const [lossWith] = withIt.evaluate(x, y, { verbose: 0 });
    const [lossWithout] = without.evaluate(x, y, { verbose: 0 });
    t.diagnostic(`penalty ${penalty.toFixed(6)}; loss ${lossWithout!.toFixed(6)} -> ${lossWith!.toFixed(6)}; |diff - penalty| ${Math.abs(lossWith! - lossWithout! - penalty).toExponential(2)}`);
    assertClose([lossWith! - lossWithout!], [penalty], 1e-5, 1e-6, 'evaluate loss difference');
    // One full-batch SGD step: kernel_with − kernel_without = −lr · 0.02 · kernel_before
    await withIt.fit(x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
    await without.fit(x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
    const kWith = withIt.getWeights()[0]!.data;
    const kWithout = without.getWeights()[0]!.data;
    const diff = kWith.map((v, i) => v - kWithout[i]!);
    const expected = kernel.map((v) => -0.1 * 0.02 * v);
    assertClose(diff, expected, 1e-3, 1e-7, 'kernel after one SGD step: with minus without the regularizer');
    // The other weights do not feel the kernel's regularizer.
    assert.deepEqual(withIt.getWeights()[1]!.data, without.getWeights()[1]!.data, 'recurrent kernel');
  });

  it("GRU recurrentRegularizer 'l1' and biasRegularizer 'l2' add 0.01·Σ|U| + 0.01·Σb² to the evaluated loss", (t) => {
    const { withIt, without } = twin((e) => layers.gru({ units: H, biasInitializer: 'glorotUniform', ...e }), { recurrentRegularizer: 'l1', biasRegularizer: 'l2' }, 82);
    const w = withIt.getWeights();
    const penalty = 0.01 * sumAbs(w[1]!.data) + 0.01 * sumSq(w[2]!.data);
    assert.ok(sumSq(w[2]!.data) > 0, 'bias should be non-zero for the check to mean something');
    const [lossWith] = withIt.evaluate(x, y, { verbose: 0 });
    const [lossWithout] = without.evaluate(x, y, { verbose: 0 });
    t.diagnostic(`penalty ${penalty.toFixed(6)}; |diff - penalty| ${Math.abs(lossWith! - lossWithout! - penalty).toExponential(2)}`);
    assertClose([lossWith! - lossWithout!], [penalty], 1e-5, 1e-6, 'evaluate loss difference');
  });

  it('LSTM kernelConstraint maxNorm(0.5) keeps every kernel column norm ≤ 0.5 after fit (the unconstrained twin exceeds it)', async (t) => {
    const MAX = 0.5;
    const { withIt, without } = twin((e) => layers.lstm({ units: H, ...e }), { kernelConstraint: constraints.maxNorm({ maxValue: MAX }) }, 83);
    const adam = (m: Sequential): void => m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    adam(withIt);
    adam(without);
    await withIt.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, seed: 1 });
    await without.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, seed: 1 });
    const columnNorms = (k: Tensor): number[] => {
      const [rows, cols] = k.shape as [number, number];
      return Array.from({ length: cols }, (_, c) => Math.sqrt(Array.from({ length: rows }, (_, r) => k.data[r * cols + c]! ** 2).reduce((a, b) => a + b, 0)));
    };
    const normsWith = columnNorms(withIt.getWeights()[0]!);
    const normsWithout = columnNorms(without.getWeights()[0]!);
    t.diagnostic(`max column norm: constrained ${Math.max(...normsWith).toFixed(6)}, unconstrained ${Math.max(...normsWithout).toFixed(4)}`);
    assert.equal(normsWith.length, 4 * H);
    for (const [c, n] of normsWith.entries()) assert.ok(n <= MAX * (1 + 1e-6), `column ${c} norm ${n} > ${MAX}`);
    assert.ok(Math.max(...normsWithout) > MAX, 'the unconstrained twin never exceeds the bound: the check has no teeth');
  });

  it('GRU recurrentConstraint nonNeg keeps the recurrent kernel ≥ 0 after fit', async () => {
    const { withIt } = twin((e) => layers.gru({ units: H, ...e }), { recurrentConstraint: 'nonNeg' }, 84);
    withIt.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    await withIt.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, seed: 2 });
    const u = withIt.getWeights()[1]!.data;
    assert.ok(u.every((v) => v >= 0), `negative recurrent weight ${Math.min(...u)}`);
    assert.ok(u.some((v) => v > 0));
  });
});

