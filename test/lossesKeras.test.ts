/**
 * The Keras 3 losses beyond the cross-entropies and MSE/MAE/Huber (mape, msle, log_cosh,
 * cosine_similarity, hinge, squared_hinge, categorical_hinge, kl_divergence, poisson,
 * binary/categorical focal cross-entropy), the reductions 'mean', 'mean_with_sample_weight'
 * and 'none' (perSample), and sparse ignoreClass:
 * - numbers from Keras 3's keras/src/losses/losses_test.py (test named in each comment) and
 *   from the docstrings of keras/src/losses/losses.py;
 * - float64 references written here, independently of the library, for every option
 *   combination and reduction, weighted and not;
 * - central-difference gradient checks of dPred for every loss and option combination;
 * - tfjs-layers parity where tfjs has the loss (its own functions, float32);
 * - names, configs (ours and Keras's snake_case), refused options, no allocation per call;
 * - fit/evaluate: compile refuses 'none'; ignoreClass and 'mean_with_sample_weight' through
 *   evaluate (with a time-step mask) against the formula on predict's outputs.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { youngGrowth } from './helpers/allocation.js';
import { tf, initTfjs } from './helpers/tfjs.js';
import {
  BinaryFocalCrossentropy,
  CategoricalFocalCrossentropy,
  EPSILON,
  Hinge,
  Loss,
  SparseCategoricalCrossentropy,
  checkTrainable,
  getLoss,
  lossFromConfig,
  losses,
  maskToWeights,
} from '../src/losses/index.js';
import { Sequential, layers, loadModel, tensor } from '../src/index.js';
import { artifactsOf } from './helpers/saving.js';

const f = Math.fround;
const EPS = EPSILON;
const HI = f(1 - 1e-7);

/** Small deterministic RNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(r: () => number, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

const F32 = (a: readonly number[]): Float32Array => Float32Array.from(a);

/** |got − want| ≤ tol·max(1, |want|). */
function close(got: number, want: number, what: string, tol = 1e-6): void {
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
}

/** Keras's assertAlmostEqual(x, y, places): |x − y| < 1.5·10^−places (numpy's rule). */
function almost(got: number, want: number, places: number, what: string): void {
  assert.ok(Math.abs(got - want) < 1.5 * 10 ** -places, `${what}: got ${got}, want ${want} (${places} places)`);
}

// ---------- float64 references, written independently of the library ----------

/** Per-row values of a loss before weighting and reduction. */
type Ref = (p: Float32Array, y: Float32Array, rows: number, cols: number) => number[];

const row = (a: Float32Array, r: number, cols: number): number[] => Array.from(a.subarray(r * cols, (r + 1) * cols));
const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const sumOf = (v: number[]): number => v.reduce((s, x) => s + x, 0);
const perRow = (g: (p: number[], y: number[]) => number): Ref => (p, y, rows, cols) =>
  Array.from({ length: rows }, (_, r) => g(row(p, r, cols), row(y, r, cols)));
const elementMean = (e: (p: number, y: number) => number): Ref => perRow((p, y) => mean(p.map((v, j) => e(v, y[j]!))));

const clip = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

const mapeRef = elementMean((p, y) => (100 * Math.abs(y - p)) / Math.max(Math.abs(y), EPS));
const msleRef = elementMean((p, y) => (Math.log(Math.max(p, EPS) + 1) - Math.log(Math.max(y, EPS) + 1)) ** 2);
const logcoshRef = elementMean((p, y) => Math.log(Math.cosh(p - y)));
const poissonRef = elementMean((p, y) => p - y * Math.log(p + EPS));
const kldRef = perRow((p, y) => sumOf(p.map((v, j) => {
  const t = clip(y[j]!, EPS, 1);
  return t * Math.log(t / clip(v, EPS, 1));
})));
const cosineRef = perRow((p, y) => {
  const e2 = f(1e-14);
  const np = Math.sqrt(Math.max(sumOf(p.map((v) => v * v)), e2));
  const nt = Math.sqrt(Math.max(sumOf(y.map((v) => v * v)), e2));
  return -sumOf(p.map((v, j) => (v / np) * (y[j]! / nt)));
});
/** Keras 3 converts 0/1 labels to ±1 when every label of the call is 0 or 1. */
const hingeRef = (squared: boolean): Ref => (p, y, rows, cols) => {
  const conv = y.every((v) => v === 0 || v === 1);
  return perRow((pr, yr) => mean(pr.map((v, j) => {
    const t = conv ? 2 * yr[j]! - 1 : yr[j]!;
    const m = Math.max(1 - t * v, 0);
    return squared ? m * m : m;
  })))(p, y, rows, cols);
};
const catHingeRef = perRow((p, y) => {
  const pos = sumOf(p.map((v, j) => v * y[j]!));
  const neg = Math.max(...p.map((v, j) => (1 - y[j]!) * v));
  return Math.max(neg - pos + 1, 0);
});
const binaryFocalRef = (o: { gamma: number; alpha: number; balance: boolean; logits: boolean; s: number }): Ref =>
  elementMean((z, y0) => {
    const y = y0 * (1 - o.s) + 0.5 * o.s;
    const p = o.logits ? sigmoid(z) : z;
    const c = clip(p, EPS, HI);
    const bce = -(y * Math.log(c) + (1 - y) * Math.log(1 - c));
    const pt = y * p + (1 - y) * (1 - p);
    const w = o.balance ? y * o.alpha + (1 - y) * (1 - o.alpha) : 1;
    return w * (1 - pt) ** o.gamma * bce;
  });
const catFocalRef = (o: { gamma: number; alpha: number | number[]; logits: boolean; s: number }): Ref =>
  perRow((z, y0) => {
    const k = z.length;
    const e = o.logits ? z.map((v) => Math.exp(v)) : z;
    const tot = sumOf(e);
    return sumOf(e.map((v, j) => {
      const c = clip(v / tot, EPS, HI);
      const y = y0[j]! * (1 - o.s) + o.s / k;
      const a = typeof o.alpha === 'number' ? o.alpha : o.alpha[j]!;
      return a * (1 - c) ** o.gamma * -y * Math.log(c);
    }));
  });

/** Keras reduce_values on the weighted values (Σw for mean_with_sample_weight). */
function reduceRef(values: number[], reduction: string, w: ArrayLike<number> | null): number {
  const s = values.reduce((a, v, r) => a + (w === null ? 1 : w[r]!) * v, 0);
  if (reduction === 'sum') return s;
  if (reduction === 'mean_with_sample_weight' && w !== null) {
    const sw = Array.from(w).slice(0, values.length).reduce((a, b) => a + b, 0);
    return sw === 0 ? 0 : s / sw;
  }
  return values.length === 0 ? 0 : s / values.length;
}

// ---------- cases: every loss and option combination ----------

interface Case {
  label: string;
  loss: Loss;
  yPred: Float32Array;
  yTrue: Float32Array;
  rows: number;
  cols: number;
  ref: Ref;
}

const ROWS = 5;
const COLS = 4;

/** Nudge predictions off the hinge kinks 1 − t·p = 0 (t the converted label). */
function offKinks(p: Float32Array, y: Float32Array, conv: boolean): Float32Array {
  for (let i = 0; i < p.length; i++) {
    const t = conv ? 2 * y[i]! - 1 : y[i]!;
    if (t !== 0 && Math.abs(1 - t * p[i]!) < 0.05) p[i] = p[i]! - 0.2 / t;
  }
  return p;
}

function buildCases(): Case[] {
  const r = rng(2024);
  const n = ROWS * COLS;
  const out: Case[] = [];
  const add = (label: string, loss: Loss, yPred: Float32Array, yTrue: Float32Array, ref: Ref): void => {
    out.push({ label, loss, yPred, yTrue, rows: ROWS, cols: COLS, ref });
  };
  for (const reduction of ['sum_over_batch_size', 'mean', 'sum', 'mean_with_sample_weight'] as const) {
    const o = { reduction };
    // mape: targets away from 0 (|y| ≥ 0.2), predictions away from the targets
    const ym = uniform(r, n, 0.2, 2).map((v) => (r() < 0.5 ? -v : v));
    add(`mape ${reduction}`, losses.meanAbsolutePercentageError(o), ym.map((v) => v + (r() < 0.5 ? -1 : 1) * (0.05 + r())), ym, mapeRef);
    // msle: one target below ε (clamped) and predictions above it
    const yl = uniform(r, n, 0, 3);
    yl[3] = -0.5;
    add(`msle ${reduction}`, losses.meanSquaredLogarithmicError(o), uniform(r, n, 0.05, 3), yl, msleRef);
    const yc = uniform(r, n, -1, 1);
    add(`logcosh ${reduction}`, losses.logcosh(o), yc.map((v) => v + 6 * (r() - 0.5)), yc, logcoshRef);
    // hinge: 0/1 labels (converted), ±1 labels, and mixed real labels (not converted)
    const y01 = new Float32Array(n).map(() => (r() < 0.5 ? 0 : 1));
    const ypm = new Float32Array(n).map(() => (r() < 0.5 ? -1 : 1));
    const yreal = uniform(r, n, -2, 2);
    for (const [kind, y, conv] of [['0/1', y01, true], ['±1', ypm, false], ['real', yreal, false]] as const) {
      add(`hinge ${kind} ${reduction}`, losses.hinge(o), offKinks(uniform(r, n, -2, 2), y, conv), y, hingeRef(false));
      add(`squaredHinge ${kind} ${reduction}`, losses.squaredHinge(o), offKinks(uniform(r, n, -2, 2), y, conv), y, hingeRef(true));
    }
    // categorical hinge: one-hot targets; rows whose margin is near 0 are moved off it
    const yh = new Float32Array(n);
    for (let k = 0; k < ROWS; k++) yh[k * COLS + Math.floor(r() * COLS)] = 1;
    const ph = uniform(r, n, -1, 1);
    const marg = catHingeRef(ph, yh, ROWS, COLS);
    marg.forEach((m, k) => {
      if (Math.abs(m) < 0.05) for (let j = 0; j < COLS; j++) if (yh[k * COLS + j] === 1) ph[k * COLS + j] += 0.3;
    });
    add(`categoricalHinge ${reduction}`, losses.categoricalHinge(o), ph, yh, catHingeRef);
    // kld: soft targets with a 0 (clipped to ε) and predictions inside (ε, 1)
    const yk = uniform(r, n, 0.05, 1);
    yk[2] = 0;
    add(`kld ${reduction}`, losses.kullbackLeiblerDivergence(o), uniform(r, n, 0.05, 0.95), yk, kldRef);
    add(`poisson ${reduction}`, losses.poisson(o), uniform(r, n, 0.1, 5), uniform(r, n, 0, 5), poissonRef);
    add(`cosine ${reduction}`, losses.cosineSimilarity(o), uniform(r, n, -1, 1), uniform(r, n, -1, 1), cosineRef);
  }
  // focal losses: every option combination, default reduction, then the other reductions once
  for (const fromLogits of [false, true]) {
    for (const [gamma, s] of [[2, 0], [0, 0.2], [1.5, 0.1]] as const) {
      for (const applyClassBalancing of [false, true]) {
        const alpha = 0.3;
        const yb = new Float32Array(n).map((_, i) => (i % 3 === 0 ? r() : r() < 0.5 ? 0 : 1));
        add(
          `binaryFocal logits=${fromLogits} γ=${gamma} s=${s} balance=${applyClassBalancing}`,
          losses.binaryFocalCrossentropy({ fromLogits, gamma, labelSmoothing: s, applyClassBalancing, alpha }),
          fromLogits ? uniform(r, n, -4, 4) : uniform(r, n, 0.05, 0.95),
          yb,
          binaryFocalRef({ gamma, alpha, balance: applyClassBalancing, logits: fromLogits, s }),
        );
      }
      for (const alpha of [0.25, [0.5, 1, 2, 0.1]]) {
        const yc = new Float32Array(n);
        for (let k = 0; k < ROWS; k++) {
          if (k % 2 === 1) yc[k * COLS + Math.floor(r() * COLS)] = 1;
          else for (let j = 0; j < COLS; j++) yc[k * COLS + j] = r();
        }
        add(
          `categoricalFocal logits=${fromLogits} γ=${gamma} s=${s} α=${JSON.stringify(alpha)}`,
          losses.categoricalFocalCrossentropy({ fromLogits, gamma, labelSmoothing: s, alpha }),
          fromLogits ? uniform(r, n, -3, 3) : uniform(r, n, 0.1, 1.5),
          yc,
          catFocalRef({ gamma, alpha, logits: fromLogits, s }),
        );
      }
    }
  }
  for (const reduction of ['sum', 'mean_with_sample_weight'] as const) {
    const yb = new Float32Array(n).map(() => (r() < 0.5 ? 0 : 1));
    add(`binaryFocal ${reduction}`, losses.binaryFocalCrossentropy({ reduction }), uniform(r, n, 0.05, 0.95), yb,
      binaryFocalRef({ gamma: 2, alpha: 0.25, balance: false, logits: false, s: 0 }));
    const yc = new Float32Array(n);
    for (let k = 0; k < ROWS; k++) yc[k * COLS + Math.floor(r() * COLS)] = 1;
    add(`categoricalFocal ${reduction}`, losses.categoricalFocalCrossentropy({ reduction }), uniform(r, n, 0.1, 1.5), yc,
      catFocalRef({ gamma: 2, alpha: 0.25, logits: false, s: 0 }));
  }
  return out;
}

const CASES = buildCases();

/** Random weights in [0.1, 3] with row 1 at exactly 0. */
function randomWeights(r: () => number, rows: number): Float32Array {
  const w = uniform(r, rows, 0.1, 3);
  w[1] = 0;
  return w;
}

/**
 * Central differences of the reduced loss in every yPred entry (float32 perturbations,
 * float64 loss), against dPred; relative error with a floor at 1% of the largest entry.
 */
function gradCheck(c: Case, weights: Float32Array | null): void {
  const { loss, yTrue, rows, cols } = c;
  const yPred = c.yPred.slice();
  const n = rows * cols;
  const analytic = new Float32Array(n).fill(Number.NaN); // must be overwritten
  const value = loss.compute(yPred, yTrue, analytic, rows, cols, weights);
  assert.ok(Number.isFinite(value), `${c.label}: loss not finite: ${value}`);
  assert.equal(loss.compute(yPred, yTrue, null, rows, cols, weights), value, `${c.label}: value differs with and without dPred`);
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(analytic[i]!));
  const floor = Math.max(1e-2 * maxAbs, 1e-12);
  for (let i = 0; i < n; i++) {
    const x = yPred[i]!;
    yPred[i] = x + 1e-3;
    const xp = yPred[i]!;
    const lp = loss.compute(yPred, yTrue, null, rows, cols, weights);
    yPred[i] = x - 1e-3;
    const xm = yPred[i]!;
    const lm = loss.compute(yPred, yTrue, null, rows, cols, weights);
    yPred[i] = x;
    const numeric = (lp - lm) / (xp - xm);
    const a = analytic[i]!;
    const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
    assert.ok(err <= 1e-3, `${c.label}${weights === null ? '' : ' weighted'}: gradient [${Math.floor(i / cols)}, ${i % cols}] analytic ${a}, numeric ${numeric}`);
  }
}

test('gradient check of dPred: every new loss and option combination, unweighted and weighted', () => {
  const r = rng(5);
  for (const c of CASES) {
    gradCheck(c, null);
    const w = randomWeights(r, c.rows);
    gradCheck(c, w);
    const d = new Float32Array(c.rows * c.cols).fill(Number.NaN);
    c.loss.compute(c.yPred, c.yTrue, d, c.rows, c.cols, w);
    for (let j = 0; j < c.cols; j++) assert.equal(d[c.cols + j], 0, `${c.label}: zero-weight row gradient`);
  }
});

test('values match the float64 references for every reduction, weighted and not', () => {
  const r = rng(6);
  for (const c of CASES) {
    const per = c.ref(c.yPred, c.yTrue, c.rows, c.cols);
    for (const w of [null, randomWeights(r, c.rows)]) {
      const got = c.loss.compute(c.yPred, c.yTrue, null, c.rows, c.cols, w);
      const want = reduceRef(per, c.loss.reduction, w);
      assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${c.label}${w ? ' weighted' : ''}: got ${got}, reference ${want}`);
    }
    // perSample: Keras's reduction 'none' values, w·ℓ rounded to float32, whatever the reduction
    const w = randomWeights(r, c.rows);
    const ps = c.loss.perSample(c.yPred, c.yTrue, c.rows, c.cols, w);
    assert.equal(ps.length, c.rows);
    per.forEach((v, k) => assert.ok(ps[k] === f(w[k]! * v), `${c.label}: perSample row ${k}: ${ps[k]} vs ${f(w[k]! * v)}`));
  }
});

test("reductions: 'mean' is 'sum_over_batch_size'; 'mean_with_sample_weight' is Σw·ℓ/Σw (0 when Σw = 0); 'none' has no scalar", () => {
  const yPred = F32([4, 8, 12, 8, 1, 3]);
  const yTrue = F32([1, 9, 2, -5, -2, 6]);
  const a = losses.meanAbsolutePercentageError().compute(yPred, yTrue, null, 2, 3);
  assert.equal(losses.meanAbsolutePercentageError({ reduction: 'mean' }).compute(yPred, yTrue, null, 2, 3), a);
  const mw = losses.meanAbsolutePercentageError({ reduction: 'mean_with_sample_weight' });
  // without weights: the mean over rows, as 'sum_over_batch_size'
  assert.equal(mw.compute(yPred, yTrue, null, 2, 3), a);
  const d = new Float32Array(6).fill(Number.NaN);
  assert.equal(mw.compute(yPred, yTrue, d, 2, 3, F32([0, 0])), 0);
  assert.deepEqual(Array.from(d), [0, 0, 0, 0, 0, 0]);
  const none = losses.meanAbsolutePercentageError({ reduction: 'none' });
  assert.throws(() => none.compute(yPred, yTrue, null, 2, 3), /reduction 'none' gives one value per row, not a scalar; read them with perSample/);
  assert.throws(() => none.computeInto(new Float64Array(1), yPred, yTrue, null, 2, 3, null), /perSample/);
  // losses_test.py MeanAbsolutePercentageErrorTest.test_no_reduction: [621.8518, 352.6666] with sample_weight 2.3
  const ps = none.perSample(yPred, yTrue, 2, 3, F32([2.3, 2.3]));
  almost(ps[0]!, 621.8518, 3, 'mape none [0]');
  almost(ps[1]!, 352.6666, 3, 'mape none [1]');
  // perSample into a given buffer, zero-weight rows not read
  const outBuf = new Float32Array(3).fill(7);
  const nanPred = yPred.slice();
  nanPred.fill(Number.NaN, 3, 6);
  assert.equal(none.perSample(nanPred, yTrue, 2, 3, F32([1, 0]), outBuf), outBuf);
  assert.deepEqual(Array.from(outBuf), [f(621.8518518518518 / 2.3), 0, 7]);
});

test('Keras 3 losses_test.py numbers', () => {
  // the shared regression data of losses_test.py
  const yT = F32([1, 9, 2, -5, -2, 6]);
  const yP = F32([4, 8, 12, 8, 1, 3]);
  const sw = F32([1.2, 3.4]);
  const ts = F32([3, 6, 5, 0, 4, 2]); // test_timestep_weighted: [2, 3, 1] values, rows = 6, cols = 1
  const mape = losses.meanAbsolutePercentageError();
  almost(mape.compute(yP, yT, null, 2, 3), 211.8518, 3, 'MeanAbsolutePercentageErrorTest.test_unweighted');
  almost(mape.compute(yP, yT, null, 2, 3, F32([2.3, 2.3])), 487.259, 3, 'MeanAbsolutePercentageErrorTest.test_scalar_weighted');
  almost(mape.compute(yP, yT, null, 2, 3, sw), 422.8888, 3, 'MeanAbsolutePercentageErrorTest.test_sample_weighted');
  almost(mape.compute(yP, yT, null, 6, 1, ts), 694.4444, 3, 'MeanAbsolutePercentageErrorTest.test_timestep_weighted');
  assert.equal(mape.compute(yP, yT, null, 2, 3, F32([0, 0])), 0, 'MeanAbsolutePercentageErrorTest.test_zero_weighted');
  assert.equal(mape.compute(yT, yT, null, 2, 3), 0, 'MeanAbsolutePercentageErrorTest.test_all_correct_unweighted');
  almost(losses.meanAbsolutePercentageError({ reduction: 'mean_with_sample_weight' }).compute(yP, yT, null, 2, 3, sw), 183.865, 3,
    'MeanAbsolutePercentageErrorTest.test_mean_with_sample_weight_reduction');
  const msle = losses.meanSquaredLogarithmicError();
  almost(msle.compute(yP, yT, null, 2, 3), 1.437, 3, 'MeanSquaredLogarithmicErrorTest.test_unweighted');
  almost(msle.compute(yP, yT, null, 2, 3, F32([2.3, 2.3])), 3.3051, 3, 'MeanSquaredLogarithmicErrorTest.test_scalar_weighted');
  almost(msle.compute(yP, yT, null, 2, 3, sw), 3.7856, 3, 'MeanSquaredLogarithmicErrorTest.test_sample_weighted');
  almost(msle.compute(yP, yT, null, 6, 1, ts), 2.647374, 5, 'MeanSquaredLogarithmicErrorTest.test_timestep_weighted');
  almost(losses.meanSquaredLogarithmicError({ reduction: 'mean_with_sample_weight' }).compute(yP, yT, null, 2, 3, sw), 1.646, 3,
    'MeanSquaredLogarithmicErrorTest.test_mean_with_sample_weight_reduction');
  // MeanSquaredErrorTest.test_mean_with_sample_weight_reduction and test_no_reduction (the base reduction on an old loss)
  close(losses.meanSquaredError({ reduction: 'mean_with_sample_weight' }).compute(yP, yT, null, 2, 3, sw), ((110 / 3) * 1.2 + (187 / 3) * 3.4) / (1.2 + 3.4), 'mse mean_with_sample_weight');
  const mseNone = losses.meanSquaredError({ reduction: 'none' }).perSample(yP, yT, 2, 3, F32([2.3, 2.3]));
  almost(mseNone[0]!, 84.3333, 3, 'MeanSquaredErrorTest.test_no_reduction [0]');
  almost(mseNone[1]!, 143.3666, 3, 'MeanSquaredErrorTest.test_no_reduction [1]');

  // Hinge / SquaredHinge / CategoricalHinge: y_true [[0, 1], [0, 0]] (0/1: converted), y_pred [[0.6, 0.4], [0.4, 0.6]]
  const hT = F32([0, 1, 0, 0]);
  const hP = F32([0.6, 0.4, 0.4, 0.6]);
  const w10 = F32([1, 0]);
  const table: [string, (o: { reduction?: 'sum' | 'none' }) => Loss, number, number, [number, number], number][] = [
    // [test class, factory, unweighted, sum, none, weighted [1, 0]]
    ['HingeTest', (o) => losses.hinge(o), 1.3, 2.6, [1.1, 1.5], 0.55],
    ['SquaredHingeTest', (o) => losses.squaredHinge(o), 1.86, 3.72, [1.46, 2.26], 0.73],
    ['CategoricalHingeTest', (o) => losses.categoricalHinge(o), 1.4, 2.8, [1.2, 1.6], 0.6],
  ];
  for (const [name, make, unweighted, sum, none, weighted] of table) {
    almost(make({}).compute(hP, hT, null, 2, 2), unweighted, 3, `${name}.test_unweighted`);
    almost(make({ reduction: 'sum' }).compute(hP, hT, null, 2, 2), sum, 3, `${name}.test_unweighted sum`);
    const ps = make({ reduction: 'none' }).perSample(hP, hT, 2, 2);
    almost(ps[0]!, none[0], 5, `${name}.test_unweighted none[0]`);
    almost(ps[1]!, none[1], 5, `${name}.test_unweighted none[1]`);
    almost(make({}).compute(hP, hT, null, 2, 2, w10), weighted, 3, `${name}.test_weighted`);
    almost(make({ reduction: 'sum' }).compute(hP, hT, null, 2, 2, w10), 2 * weighted, 3, `${name}.test_weighted sum`);
    assert.deepEqual(Array.from(make({ reduction: 'none' }).perSample(hP, hT, 2, 2, w10)), [f(none[0]), 0], `${name}.test_weighted none`);
    assert.equal(make({}).compute(hP, hT, null, 2, 2, F32([0, 0])), 0, `${name}.test_zero_weighted`);
  }

  // CosineSimilarityTest: −mean of the row cosines (3 places), weighted as Σw·ℓ/rows
  const cos = (a: number[], b: number[]): number => sumOf(a.map((v, j) => v * b[j]!)) / Math.hypot(...a) / Math.hypot(...b);
  const rowsCos = [cos([1, 9, 2], [4, 8, 12]), cos([-5, -2, 6], [8, 1, 3])];
  const cs = losses.cosineSimilarity();
  almost(cs.compute(yP, yT, null, 2, 3), -mean(rowsCos), 3, 'CosineSimilarityTest.test_unweighted');
  almost(cs.compute(yP, yT, null, 2, 3, sw), -(rowsCos[0]! * 1.2 + rowsCos[1]! * 3.4) / 2, 3, 'CosineSimilarityTest.test_sample_weighted');
  // test_timestep_weighted: one feature per step, so each cosine is sign(y·p) (or 0 for a zero vector)
  const tsCos = Array.from(yT).map((v, i) => Math.sign(v * yP[i]!));
  almost(cs.compute(yP, yT, null, 6, 1, ts), -sumOf(tsCos.map((v, i) => v * ts[i]!)) / 6, 3, 'CosineSimilarityTest.test_timestep_weighted');
  assert.equal(cs.compute(yP, yT, null, 2, 3, F32([0, 0])), 0, 'CosineSimilarityTest.test_zero_weighted');

  // LogCoshTest (expected from log((eˣ + e⁻ˣ)/2), 3 places)
  const lc = Array.from(yP).map((p, i) => Math.log((Math.exp(p - yT[i]!) + Math.exp(-(p - yT[i]!))) / 2));
  const logcosh = losses.logcosh();
  almost(logcosh.compute(yP, yT, null, 2, 3), sumOf(lc) / 6, 3, 'LogCoshTest.test_unweighted');
  almost(logcosh.compute(yP, yT, null, 2, 3, F32([2.3, 2.3])), (2.3 * sumOf(lc)) / 6, 3, 'LogCoshTest.test_scalar_weighted');
  almost(logcosh.compute(yP, yT, null, 2, 3, sw), sumOf(lc.map((v, i) => v * (i < 3 ? 1.2 : 3.4))) / 6, 3, 'LogCoshTest.test_sample_weighted');
  almost(logcosh.compute(yP, yT, null, 6, 1, ts), sumOf(lc.map((v, i) => v * ts[i]!)) / 6, 3, 'LogCoshTest.test_timestep_weighted');

  // KLDivergenceTest
  const kP = F32([0.4, 0.9, 0.12, 0.36, 0.3, 0.4]);
  const kT = F32([0.5, 0.8, 0.12, 0.7, 0.43, 0.8]);
  const kl = Array.from(kT).map((t, i) => t * Math.log(t / kP[i]!));
  const kld = losses.kullbackLeiblerDivergence();
  almost(kld.compute(kP, kT, null, 2, 3), sumOf(kl) / 2, 3, 'KLDivergenceTest.test_unweighted');
  almost(kld.compute(kP, kT, null, 2, 3, sw), sumOf(kl.map((v, i) => v * (i < 3 ? 1.2 : 3.4))) / 2, 3, 'KLDivergenceTest.test_sample_weighted');
  almost(kld.compute(kP, kT, null, 6, 1, ts), sumOf(kl.map((v, i) => v * ts[i]!)) / 6, 3, 'KLDivergenceTest.test_timestep_weighted');

  // PoissonTest
  const pP = F32([1, 9, 2, 5, 2, 6]);
  const pT = F32([4, 8, 12, 8, 1, 3]);
  const po = Array.from(pP).map((p, i) => p - pT[i]! * Math.log(p));
  const poisson = losses.poisson();
  almost(poisson.compute(pP, pT, null, 2, 3), sumOf(po) / 6, 3, 'PoissonTest.test_unweighted');
  almost(poisson.compute(pP, pT, null, 2, 3, sw), sumOf(po.map((v, i) => v * (i < 3 ? 1.2 : 3.4))) / 6, 3, 'PoissonTest.test_sample_weighted');
  almost(poisson.compute(pP, pT, null, 6, 1, ts), sumOf(po.map((v, i) => v * ts[i]!)) / 6, 3, 'PoissonTest.test_timestep_weighted');

  // BinaryFocalCrossentropyTest
  const bT = F32([1, 0, 1, 0]);
  const bP = F32([0.9, 0.8, 0.7, 0.2]);
  const bf = losses.binaryFocalCrossentropy({ gamma: 2 });
  assert.ok(losses.binaryFocalCrossentropy({ gamma: 1.5 }).compute(F32([1, 0, 0, 0, 1, 0, 0, 0, 1]), F32([1, 0, 0, 0, 1, 0, 0, 0, 1]), null, 3, 3) < 1.5e-3, 'test_all_correct_unweighted');
  almost(losses.binaryFocalCrossentropy({ gamma: 2, fromLogits: true }).compute(F32([100, -100, -100, -100, 100, -100, -100, -100, 100]), F32([1, 0, 0, 0, 1, 0, 0, 0, 1]), null, 3, 3), 0, 3, 'test_all_correct_unweighted logits');
  almost(bf.compute(bP, bT, null, 2, 2), 0.268, 3, 'BinaryFocalCrossentropyTest.test_unweighted');
  almost(bf.compute(bP, bT, null, 2, 2, F32([1.23, 1.23])), 0.3296, 3, 'BinaryFocalCrossentropyTest.test_scalar_weighted');
  almost(bf.compute(bP, bT, null, 2, 2, sw), 0.34415, 3, 'BinaryFocalCrossentropyTest.test_sample_weighted');
  const bNone = losses.binaryFocalCrossentropy({ gamma: 2, reduction: 'none' }).perSample(bP, bT, 2, 2);
  almost(bNone[0]!, 0.515547, 5, 'BinaryFocalCrossentropyTest.test_no_reduction [0]');
  almost(bNone[1]!, 0.020513, 5, 'BinaryFocalCrossentropyTest.test_no_reduction [1]');
  const lT = F32([1, 1, 0, 0, 1, 0]);
  const lZ = F32([1.5, -2.7, 2.9, -3.8, 1.2, -4.5]);
  const bfl = losses.binaryFocalCrossentropy({ gamma: 3, fromLogits: true });
  almost(bfl.compute(lZ, lT, null, 2, 3), 0.799, 3, 'BinaryFocalCrossentropyTest.test_unweighted logits');
  almost(bfl.compute(lZ, lT, null, 2, 3, F32([3.21, 3.21])), 2.565, 3, 'BinaryFocalCrossentropyTest.test_scalar_weighted logits');
  almost(bfl.compute(lZ, lT, null, 2, 3, sw), 0.95977, 3, 'BinaryFocalCrossentropyTest.test_sample_weighted logits');

  // CategoricalFocalCrossentropyTest
  const cT = F32([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const cP = F32([0.9, 0.05, 0.05, 0.5, 0.89, 0.6, 0.05, 0.01, 0.94]);
  const cZ = F32([8, 1, 1, 0, 9, 1, 2, 3, 5]);
  const cf = losses.categoricalFocalCrossentropy();
  const cfl = losses.categoricalFocalCrossentropy({ fromLogits: true });
  almost(losses.categoricalFocalCrossentropy({ alpha: 0.25, gamma: 2 }).compute(cT, cT, null, 3, 3), 0, 3, 'test_all_correct_unweighted');
  almost(cfl.compute(F32([10, 0, 0, 0, 10, 0, 0, 0, 10]), cT, null, 3, 3), 0, 3, 'test_all_correct_unweighted logits');
  almost(cf.compute(cP, cT, null, 3, 3), 0.02059, 3, 'CategoricalFocalCrossentropyTest.test_unweighted');
  almost(cfl.compute(cZ, cT, null, 3, 3), 0.000345, 3, 'CategoricalFocalCrossentropyTest.test_unweighted logits');
  almost(cf.compute(cP, cT, null, 3, 3, F32([2.3, 2.3, 2.3])), 0.047368, 3, 'CategoricalFocalCrossentropyTest.test_scalar_weighted');
  almost(cfl.compute(cZ, cT, null, 3, 3, F32([2.3, 2.3, 2.3])), 0.000794, 4, 'CategoricalFocalCrossentropyTest.test_scalar_weighted logits');
  almost(cf.compute(cP, cT, null, 3, 3, F32([1.2, 3.4, 5.6])), 0.06987, 3, 'CategoricalFocalCrossentropyTest.test_sample_weighted');
  almost(cfl.compute(cZ, cT, null, 3, 3, F32([1.2, 3.4, 5.6])), 0.001933, 3, 'CategoricalFocalCrossentropyTest.test_sample_weighted logits');
  const cNone = losses.categoricalFocalCrossentropy({ fromLogits: true, reduction: 'none' }).perSample(cZ, cT, 3, 3);
  const cWant = [1.5096224e-9, 2.4136547e-11, 1.0360638e-3];
  cWant.forEach((v, k) => assert.ok(Math.abs(cNone[k]! - v) <= 1e-6 * Math.abs(v) + 1e-12, `CategoricalFocalCrossentropyTest.test_no_reduction [${k}]: ${cNone[k]} vs ${v}`));
  almost(losses.categoricalFocalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }).compute(F32([4.9, -0.5, 2.05]), F32([1, 0, 0]), null, 1, 3), 0.06685, 3,
    'CategoricalFocalCrossentropyTest.test_label_smoothing');
});

test('Keras 3 docstring examples (losses.py)', () => {
  // BinaryFocalCrossentropy, example 1: one row of 4, logits
  const y1 = F32([0, 1, 0, 0]);
  const z1 = F32([-18.6, 0.51, 2.94, -12.8]);
  almost(losses.binaryFocalCrossentropy({ gamma: 2, fromLogits: true }).compute(z1, y1, null, 1, 4), 0.691, 3, 'bfce γ=2');
  almost(losses.binaryFocalCrossentropy({ applyClassBalancing: true, gamma: 2, fromLogits: true }).compute(z1, y1, null, 1, 4), 0.51, 2, 'bfce balanced γ=2');
  // example 2: two rows of 2
  const y2 = F32([0, 1, 0, 0]);
  const z2 = F32([-18.6, 0.51, 2.94, -12.8]);
  const g3 = losses.binaryFocalCrossentropy({ gamma: 3, fromLogits: true });
  const g3b = losses.binaryFocalCrossentropy({ applyClassBalancing: true, gamma: 3, fromLogits: true });
  almost(g3.compute(z2, y2, null, 2, 2), 0.647, 3, 'bfce γ=3');
  almost(g3b.compute(z2, y2, null, 2, 2), 0.482, 3, 'bfce balanced γ=3');
  almost(g3.compute(z2, y2, null, 2, 2, F32([0.8, 0.2])), 0.133, 3, 'bfce γ=3 weighted');
  almost(g3b.compute(z2, y2, null, 2, 2, F32([0.8, 0.2])), 0.097, 3, 'bfce balanced γ=3 weighted');
  almost(losses.binaryFocalCrossentropy({ gamma: 4, fromLogits: true, reduction: 'sum' }).compute(z2, y2, null, 2, 2), 1.222, 3, 'bfce γ=4 sum');
  almost(losses.binaryFocalCrossentropy({ applyClassBalancing: true, gamma: 4, fromLogits: true, reduction: 'sum' }).compute(z2, y2, null, 2, 2), 0.914, 3, 'bfce balanced γ=4 sum');
  const n5 = losses.binaryFocalCrossentropy({ gamma: 5, fromLogits: true, reduction: 'none' }).perSample(z2, y2, 2, 2);
  almost(n5[0]!, 0.0017, 4, 'bfce γ=5 none [0]');
  almost(n5[1]!, 1.1561, 4, 'bfce γ=5 none [1]');
  const n5b = losses.binaryFocalCrossentropy({ applyClassBalancing: true, gamma: 5, fromLogits: true, reduction: 'none' }).perSample(z2, y2, 2, 2);
  almost(n5b[0]!, 0.0004, 4, 'bfce balanced γ=5 none [0]');
  almost(n5b[1]!, 0.867, 4, 'bfce balanced γ=5 none [1]');
  // CategoricalFocalCrossentropy (a probability of exactly 0 is clipped to ε)
  const cT = F32([0, 1, 0, 0, 0, 1]);
  const cP = F32([0.05, 0.95, 0, 0.1, 0.8, 0.1]);
  almost(losses.categoricalFocalCrossentropy().compute(cP, cT, null, 2, 3), 0.23315276, 6, 'cfce');
  almost(losses.categoricalFocalCrossentropy().compute(cP, cT, null, 2, 3, F32([0.3, 0.7])), 0.1632, 4, 'cfce weighted');
  almost(losses.categoricalFocalCrossentropy({ reduction: 'sum' }).compute(cP, cT, null, 2, 3), 0.46631, 5, 'cfce sum');
  const cn = losses.categoricalFocalCrossentropy({ reduction: 'none' }).perSample(cP, cT, 2, 3);
  close(cn[0]!, 3.2058331e-5, 'cfce none [0]', 1e-5);
  close(cn[1]!, 4.6627346e-1, 'cfce none [1]', 1e-6);
  // cosine_similarity docstring: [-0., -0.99999994, 0.99999994] for [[0,1],[1,1],[1,1]] vs [[1,0],[1,1],[-1,-1]]
  const cs = losses.cosineSimilarity({ reduction: 'none' }).perSample(F32([1, 0, 1, 1, -1, -1]), F32([0, 1, 1, 1, 1, 1]), 3, 2);
  close(cs[0]!, 0, 'cos ⊥');
  close(cs[1]!, -1, 'cos =');
  close(cs[2]!, 1, 'cos opposite');
  // a zero vector: cosine 0 (norm clamped at ε), gradient −t/(‖t‖·ε) scaled by the reduction
  const d = new Float32Array(2);
  assert.equal(losses.cosineSimilarity().compute(F32([0, 0]), F32([3, 4]), d, 1, 2), 0);
  assert.deepEqual(Array.from(d), [f(-0.6 / EPS_NORM), f(-0.8 / EPS_NORM)]);
});
const EPS_NORM = Math.sqrt(f(1e-14));

test('hinge: 0/1 labels convert only when the whole call is 0/1 (Keras 3), also in perSample', () => {
  const p = F32([0.3, -0.2, 0.8, 0.5]);
  // all 0/1 → ±1
  close(losses.hinge().compute(p, F32([1, 0, 1, 1]), null, 2, 2), (0.7 + 0.8 + 0.2 + 0.5) / 4, 'converted');
  // one label 0.5 → none converted (a 0 label gives max(1, 0) = 1)
  close(losses.hinge().compute(p, F32([1, 0, 0.5, 1]), null, 2, 2), (0.7 + 1 + 0.6 + 0.5) / 4, 'not converted');
  // perSample decides over the whole batch, not per row: row 0 alone ([1, 0]) would convert
  const ps = losses.hinge().perSample(p, F32([1, 0, 0.5, 1]), 2, 2);
  assert.deepEqual(Array.from(ps), [f((0.7 + 1) / 2), f((0.6 + 0.5) / 2)]);
  const ps2 = losses.squaredHinge().perSample(p, F32([1, 0, 1, 1]), 2, 2);
  assert.deepEqual(Array.from(ps2), [f((0.49 + 0.64) / 2), f((0.04 + 0.25) / 2)]);
  // a NaN prediction stays visible instead of vanishing in max(·, 0)
  assert.ok(Number.isNaN(losses.hinge().compute(F32([Number.NaN, 0]), F32([1, 1]), null, 1, 2)));
  assert.ok(Number.isNaN(losses.categoricalHinge().compute(F32([Number.NaN, 0]), F32([1, 0]), null, 1, 2)));
});

test('clamps and clips: MSLE, MAPE, KLD (values and zero gradients where a clamp is active)', () => {
  const d = new Float32Array(2).fill(Number.NaN);
  // MSLE: a negative prediction is clamped to ε: value uses log(ε + 1), gradient 0
  const v = losses.meanSquaredLogarithmicError().compute(F32([-1, 1]), F32([0, 1]), d, 1, 2);
  close(v, (Math.log1p(EPS) - Math.log1p(EPS)) ** 2 / 2, 'msle clamp');
  assert.equal(d[0], 0);
  assert.equal(d[1], 0);
  // MAPE: a zero target divides by ε (Keras 3 and tfjs), so ŷ = 1e-7 gives 100·1e-7/ε ≈ 100
  close(losses.meanAbsolutePercentageError().compute(F32([1e-7]), F32([0]), null, 1, 1), (100 * f(1e-7)) / EPS, 'mape y = 0');
  // KLD: predictions above 1 or at 0 are clipped to [ε, 1], with no gradient there
  const dk = new Float32Array(3).fill(Number.NaN);
  const vk = losses.kullbackLeiblerDivergence().compute(F32([1.5, 0, 0.5]), F32([0.5, 0.25, 0.25]), dk, 1, 3);
  close(vk, 0.5 * Math.log(0.5 / 1) + 0.25 * Math.log(0.25 / EPS) + 0.25 * Math.log(0.25 / 0.5), 'kld clip');
  assert.deepEqual(Array.from(dk), [0, 0, f(-0.25 / 0.5)]);
});

test('sparse ignoreClass: Keras 3 numbers, divisor = kept rows, weights, reductions, gradient', () => {
  // losses_test.py SparseCategoricalCrossentropyTest.test_ignore_class
  const z = F32([0.854, 0.698, 0.598, 0.088, 0.86, 0.018]);
  const loss = losses.sparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: -1, reduction: 'none' });
  const ps = loss.perSample(z, F32([-1, 2]), 2, 3);
  assert.equal(ps[0], 0);
  almost(ps[1]!, 1.480129, 5, 'test_ignore_class');
  // the mean divides by the kept rows (Keras masks the ignored values: total/valid weights)
  const r = rng(11);
  const rows = 6;
  const cols = 3;
  const p = uniform(r, rows * cols, -2, 2);
  const y = F32([0, -1, 2, 1, -1, 0]);
  const plain = losses.sparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' });
  const kept = [0, 2, 3, 5];
  const yKept = y.map((v) => (v < 0 ? 0 : v));
  const per = Array.from(plain.perSample(p, yKept, rows, cols)).map((v, k) => (kept.includes(k) ? v : 0));
  const perD = kept.map((k) => {
    const row = Array.from(p.subarray(k * cols, (k + 1) * cols));
    const lse = Math.log(sumOf(row.map(Math.exp)));
    return lse - row[y[k]!]!;
  });
  const sw = F32([0.5, 2, 1.5, 3, 7, 0.25]);
  const swKept = kept.map((k) => sw[k]!);
  const want: Record<string, [number, number]> = {
    sum_over_batch_size: [sumOf(perD) / 4, sumOf(perD.map((v, i) => v * swKept[i]!)) / 4],
    mean: [sumOf(perD) / 4, sumOf(perD.map((v, i) => v * swKept[i]!)) / 4],
    sum: [sumOf(perD), sumOf(perD.map((v, i) => v * swKept[i]!))],
    mean_with_sample_weight: [sumOf(perD) / 4, sumOf(perD.map((v, i) => v * swKept[i]!)) / sumOf(swKept)],
  };
  for (const [reduction, [u, w]] of Object.entries(want)) {
    const l = losses.sparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: -1, reduction: reduction as 'sum' });
    close(l.compute(p, y, null, rows, cols), u, `ignoreClass ${reduction}`, 1e-12);
    close(l.compute(p, y, null, rows, cols, sw), w, `ignoreClass ${reduction} weighted`, 1e-12);
    gradCheck({ label: `ignoreClass ${reduction}`, loss: l, yPred: p, yTrue: y, rows, cols, ref: () => [] }, null);
    gradCheck({ label: `ignoreClass ${reduction}`, loss: l, yPred: p, yTrue: y, rows, cols, ref: () => [] }, sw);
  }
  assert.ok(per[1] === 0 && per[4] === 0);
  // ignored rows: gradient 0 and predictions never read; every row ignored: loss 0
  const l = losses.sparseCategoricalCrossentropy({ ignoreClass: 2 });
  const pn = F32([0.2, 0.3, 0.5, Number.NaN, Number.NaN, Number.NaN]);
  const d = new Float32Array(6).fill(Number.NaN);
  close(l.compute(pn, F32([1, 2]), d, 2, 3), -Math.log(f(0.3) / (f(0.2) + f(0.3) + f(0.5))), 'ignoreClass in range');
  assert.deepEqual(Array.from(d.subarray(3)), [0, 0, 0]);
  assert.equal(l.compute(pn, F32([2, 2]), null, 2, 3), 0);
  // validateTargets accepts the ignored label, out of range or not, and names it otherwise
  losses.sparseCategoricalCrossentropy({ ignoreClass: -1 }).validateTargets(F32([0, -1, 2]), 3, 3, 'fit');
  losses.sparseCategoricalCrossentropy({ ignoreClass: 255 }).validateTargets(F32([0, 255]), 2, 3, 'fit');
  assert.throws(() => losses.sparseCategoricalCrossentropy({ ignoreClass: -1 }).validateTargets(F32([0, 3]), 2, 3, 'fit'),
    /label at index 1 is 3; labels must be integers in \[0, 3\) \(or ignoreClass -1\)/);
  assert.throws(() => losses.sparseCategoricalCrossentropy().validateTargets(F32([0, -1]), 2, 3, 'fit'), /labels must be integers in \[0, 3\)$/);
  assert.throws(() => losses.sparseCategoricalCrossentropy({ ignoreClass: 0.5 }), /ignoreClass must be an integer or null, got 0.5/);
  assert.throws(() => losses.sparseCategoricalCrossentropy({ ignoreClass: '1' as unknown as number }), /ignoreClass must be an integer or null/);
  assert.equal(losses.sparseCategoricalCrossentropy({ ignoreClass: null }).ignoreClass, null);
  assert.ok(losses.sparseCategoricalCrossentropy({ ignoreClass: 0 }).unshardable?.includes('ignoreClass'));
  assert.equal(losses.sparseCategoricalCrossentropy().unshardable, null);
});

test('maskWeights: an output mask with ignoreClass gives Keras\'s Σ_valid w·ℓ / valid, valid = rows both masks keep', () => {
  const r = rng(12);
  const rows = 8;
  const cols = 3;
  const p = uniform(r, rows * cols, 0.1, 1);
  const y = F32([0, -1, 2, 1, -1, 0, 2, 1]);
  const mask = F32([1, 1, 1, 0, 0, 1, 1, 0]); // rows 0, 2, 5, 6 valid in both
  const sw = F32([2, 1, 0.5, 3, 1, 1.5, 0.25, 4]);
  const valid = [0, 2, 5, 6];
  const ce = (k: number): number => {
    const row = Array.from(p.subarray(k * cols, (k + 1) * cols));
    return -Math.log(row[y[k]!]! / sumOf(row));
  };
  for (const reduction of ['sum_over_batch_size', 'mean', 'sum', 'mean_with_sample_weight'] as const) {
    const l = losses.sparseCategoricalCrossentropy({ ignoreClass: -1, reduction });
    for (const weights of [null, sw]) {
      const w = new Float32Array(rows);
      l.maskWeights(mask, y, rows, w, weights);
      const num = sumOf(valid.map((k) => (weights === null ? 1 : weights[k]!) * ce(k)));
      const den = reduction === 'sum' ? 1 : reduction === 'mean_with_sample_weight' ? sumOf(valid.map((k) => (weights === null ? 1 : weights[k]!))) : valid.length;
      close(l.compute(p, y, null, rows, cols, w), num / den, `${reduction}${weights ? ' weighted' : ''}`, 1e-6);
    }
  }
  // without ignoreClass, maskWeights is maskToWeights with the loss's reduction
  const plain = losses.meanSquaredError();
  const a = new Float32Array(rows);
  const b = new Float32Array(rows);
  plain.maskWeights(mask, y, rows, a, sw);
  maskToWeights(mask, rows, b, sw, 'sum_over_batch_size');
  assert.deepEqual(a, b);
  // 'mean' folds like 'sum_over_batch_size'; 'mean_with_sample_weight' takes the mask as is
  maskToWeights(mask, rows, a, null, 'mean');
  maskToWeights(mask, rows, b, null, 'sum_over_batch_size');
  assert.deepEqual(a, b);
  maskToWeights(mask, rows, a, null, 'mean_with_sample_weight');
  assert.deepEqual(a, mask);
});

test('getLoss: Keras 3 names and aliases, legacy names, tfjs names', () => {
  const expect: Record<string, string> = {
    mean_absolute_percentage_error: 'MeanAbsolutePercentageError', meanAbsolutePercentageError: 'MeanAbsolutePercentageError', mape: 'MeanAbsolutePercentageError', MAPE: 'MeanAbsolutePercentageError',
    mean_squared_logarithmic_error: 'MeanSquaredLogarithmicError', meanSquaredLogarithmicError: 'MeanSquaredLogarithmicError', msle: 'MeanSquaredLogarithmicError', MSLE: 'MeanSquaredLogarithmicError',
    hinge: 'Hinge', squared_hinge: 'SquaredHinge', squaredHinge: 'SquaredHinge', categorical_hinge: 'CategoricalHinge', categoricalHinge: 'CategoricalHinge',
    log_cosh: 'LogCosh', logcosh: 'LogCosh', logCosh: 'LogCosh',
    kl_divergence: 'KLDivergence', kullback_leibler_divergence: 'KLDivergence', kullbackLeiblerDivergence: 'KLDivergence', klDivergence: 'KLDivergence', kld: 'KLDivergence', KLD: 'KLDivergence',
    poisson: 'Poisson',
    cosine_similarity: 'CosineSimilarity', cosineSimilarity: 'CosineSimilarity', cosineProximity: 'CosineSimilarity', cosine: 'CosineSimilarity',
    binary_focal_crossentropy: 'BinaryFocalCrossentropy', binaryFocalCrossentropy: 'BinaryFocalCrossentropy',
    categorical_focal_crossentropy: 'CategoricalFocalCrossentropy', categoricalFocalCrossentropy: 'CategoricalFocalCrossentropy',
    bce: 'BinaryCrossentropy', BCE: 'BinaryCrossentropy', MSE: 'MeanSquaredError', MAE: 'MeanAbsoluteError',
  };
  for (const [name, cls] of Object.entries(expect)) assert.equal(getLoss(name).className, cls, name);
  assert.equal(losses.cosineProximity, losses.cosineSimilarity);
  // Keras names of the instances (the `name` Keras gives each class)
  assert.deepEqual(
    ['mape', 'msle', 'hinge', 'squared_hinge', 'categorical_hinge', 'logcosh', 'kld', 'poisson', 'cosine', 'binary_focal_crossentropy', 'categorical_focal_crossentropy'].map((n) => getLoss(n).name),
    ['mean_absolute_percentage_error', 'mean_squared_logarithmic_error', 'hinge', 'squared_hinge', 'categorical_hinge', 'log_cosh', 'kl_divergence', 'poisson', 'cosine_similarity', 'binary_focal_crossentropy', 'categorical_focal_crossentropy'],
  );
});

test('options: defaults, unknown keys and invalid values are refused by name', () => {
  const bf = losses.binaryFocalCrossentropy();
  assert.deepEqual([bf.applyClassBalancing, bf.alpha, bf.gamma, bf.fromLogits, bf.labelSmoothing], [false, 0.25, 2, false, 0]);
  const cf = losses.categoricalFocalCrossentropy();
  assert.deepEqual([cf.alpha, cf.gamma, cf.fromLogits, cf.labelSmoothing], [0.25, 2, false, 0]);
  const factories: [string, (o: object) => Loss, string[]][] = [
    ['MeanAbsolutePercentageError', (o) => losses.meanAbsolutePercentageError(o), ['reduction']],
    ['MeanSquaredLogarithmicError', (o) => losses.meanSquaredLogarithmicError(o), ['reduction']],
    ['Hinge', (o) => losses.hinge(o), ['reduction']],
    ['SquaredHinge', (o) => losses.squaredHinge(o), ['reduction']],
    ['CategoricalHinge', (o) => losses.categoricalHinge(o), ['reduction']],
    ['LogCosh', (o) => losses.logcosh(o), ['reduction']],
    ['KLDivergence', (o) => losses.kullbackLeiblerDivergence(o), ['reduction']],
    ['Poisson', (o) => losses.poisson(o), ['reduction']],
    ['CosineSimilarity', (o) => losses.cosineSimilarity(o), ['reduction', 'axis']],
    ['BinaryFocalCrossentropy', (o) => losses.binaryFocalCrossentropy(o), ['reduction', 'applyClassBalancing', 'alpha', 'gamma', 'fromLogits', 'labelSmoothing', 'axis']],
    ['CategoricalFocalCrossentropy', (o) => losses.categoricalFocalCrossentropy(o), ['reduction', 'alpha', 'gamma', 'fromLogits', 'labelSmoothing', 'axis']],
  ];
  for (const [cls, make, valid] of factories) {
    assert.throws(() => make({ gama: 2 }), (e: unknown) =>
      e instanceof RangeError && e.message.startsWith(`${cls}: unknown option 'gama'; supported options: `) && valid.every((k) => e.message.includes(k)), cls);
    assert.throws(() => make({ dtype: 'float16' }), /option 'dtype' is not supported yet/);
    assert.throws(() => make({ name: 'my_loss' }), new RegExp(`^RangeError: ${cls}: option 'name' is not supported yet \\(a loss is named by its class`));
    assert.throws(() => make({ reduction: 'auto' }), /reduction "auto" is not supported/);
    assert.equal(make({ reduction: 'none' }).reduction, 'none');
  }
  for (const [cls, make] of [['CosineSimilarity', losses.cosineSimilarity], ['BinaryFocalCrossentropy', losses.binaryFocalCrossentropy], ['CategoricalFocalCrossentropy', losses.categoricalFocalCrossentropy]] as const) {
    assert.equal((make as (o: object) => Loss)({ axis: -1 }).className, cls);
    assert.throws(() => (make as (o: object) => Loss)({ axis: 1 }), new RegExp(`^RangeError: ${cls}: axis 1 is not supported`));
  }
  assert.throws(() => losses.binaryFocalCrossentropy({ gamma: -1 }), /gamma/);
  assert.throws(() => losses.binaryFocalCrossentropy({ gamma: Number.NaN }), /gamma/);
  assert.throws(() => losses.binaryFocalCrossentropy({ alpha: 1.5 }), /alpha/);
  assert.throws(() => losses.binaryFocalCrossentropy({ applyClassBalancing: 1 as unknown as boolean }), /applyClassBalancing must be true or false/);
  assert.throws(() => losses.binaryFocalCrossentropy({ labelSmoothing: 2 }), /labelSmoothing/);
  assert.throws(() => losses.categoricalFocalCrossentropy({ alpha: -0.1 }), /alpha/);
  assert.throws(() => losses.categoricalFocalCrossentropy({ alpha: [1, -1] }), /alpha\[1\]/);
  assert.throws(() => losses.categoricalFocalCrossentropy({ alpha: [] }), /alpha is an empty list/);
  assert.throws(() => losses.categoricalFocalCrossentropy({ gamma: Infinity }), /gamma/);
  // a per-class alpha must match the class count: at the boundary and in compute
  const per = losses.categoricalFocalCrossentropy({ alpha: [1, 2] });
  assert.throws(() => per.validateTargets(F32([1, 0, 0]), 1, 3, 'fit'), /^RangeError: fit: CategoricalFocalCrossentropy: alpha has 2 per-class weights but the output has 3 classes/);
  assert.throws(() => per.compute(F32([0.2, 0.3, 0.5]), F32([1, 0, 0]), null, 1, 3), /alpha has 2 per-class weights but the output has 3 classes/);
  assert.throws(() => losses.categoricalFocalCrossentropy().validateTargets(F32([2, 0, 0]), 1, 3, 'fit'), /categorical focal cross-entropy takes one-hot/);
  assert.throws(() => losses.binaryFocalCrossentropy().validateTargets(F32([0.5, -1]), 1, 2, 'fit'), /target 1 is -1; binary focal cross-entropy takes targets in \[0, 1\]/);
});

test('getConfig round trip; Keras snake_case configs (None reduction, ignore_class, axis -1)', () => {
  const all: Loss[] = [
    losses.meanAbsolutePercentageError({ reduction: 'sum' }),
    losses.meanSquaredLogarithmicError({ reduction: 'mean_with_sample_weight' }),
    losses.hinge({ reduction: 'none' }),
    losses.squaredHinge(),
    losses.categoricalHinge({ reduction: 'mean' }),
    losses.logcosh(),
    losses.kullbackLeiblerDivergence(),
    losses.poisson(),
    losses.cosineSimilarity({ reduction: 'sum' }),
    losses.binaryFocalCrossentropy({ applyClassBalancing: true, alpha: 0.6, gamma: 1.5, fromLogits: true, labelSmoothing: 0.1 }),
    losses.categoricalFocalCrossentropy({ alpha: [0.5, 1, 2], gamma: 0, fromLogits: true, labelSmoothing: 0.2 }),
    losses.categoricalFocalCrossentropy({ alpha: 0.7 }),
    losses.sparseCategoricalCrossentropy({ ignoreClass: -1, fromLogits: true }),
  ];
  for (const l of all) {
    const cfg = l.getConfig();
    assert.deepEqual(JSON.parse(JSON.stringify(cfg)), cfg);
    const back = lossFromConfig(l.className, cfg);
    assert.equal(back.className, l.className);
    assert.deepEqual(back.getConfig(), cfg);
  }
  assert.deepEqual(losses.binaryFocalCrossentropy().getConfig(), {
    name: 'binary_focal_crossentropy', reduction: 'sum_over_batch_size', applyClassBalancing: false, alpha: 0.25, gamma: 2, fromLogits: false, labelSmoothing: 0,
  });
  assert.deepEqual(losses.sparseCategoricalCrossentropy().getConfig(), { name: 'sparse_categorical_crossentropy', reduction: 'sum_over_batch_size', fromLogits: false });
  // Keras 3 get_config() outputs
  const bf = lossFromConfig('BinaryFocalCrossentropy', {
    name: 'bfce', reduction: 'sum_over_batch_size', from_logits: true, label_smoothing: 0.05, axis: -1, apply_class_balancing: true, alpha: 0.4, gamma: 3,
  });
  assert.deepEqual(bf.getConfig(), { name: 'binary_focal_crossentropy', reduction: 'sum_over_batch_size', applyClassBalancing: true, alpha: 0.4, gamma: 3, fromLogits: true, labelSmoothing: 0.05 });
  assert.equal(lossFromConfig('CosineSimilarity', { name: 'cosine_loss', reduction: 'sum', axis: -1 }).reduction, 'sum');
  assert.throws(() => lossFromConfig('CosineSimilarity', { name: 'cosine_loss', reduction: 'sum', axis: 2 }), /axis 2 is not supported/);
  assert.equal(lossFromConfig('LogCosh', { name: 'logcosh_loss', reduction: null }).reduction, 'none');
  const sc = lossFromConfig('SparseCategoricalCrossentropy', { name: 'x', reduction: 'sum_over_batch_size', from_logits: false, ignore_class: null, axis: -1 });
  assert.equal((sc as unknown as { ignoreClass: number | null }).ignoreClass, null);
  const sc2 = lossFromConfig('SparseCategoricalCrossentropy', { from_logits: true, ignore_class: 255 });
  assert.equal(sc2.getConfig().ignoreClass, 255);
  const cf = lossFromConfig('CategoricalFocalCrossentropy', { alpha: [0.1, 0.9], gamma: 2.0, from_logits: false, label_smoothing: 0.0, axis: -1, reduction: 'sum_over_batch_size', name: 'cfce' });
  assert.deepEqual(cf.getConfig().alpha, [0.1, 0.9]);
  assert.throws(() => lossFromConfig('Poisson', { reduction: 'sum', delta: 1 }), /Poisson: unknown option 'delta'/);
  // each class's static fromConfig reads the same configs
  const b2 = BinaryFocalCrossentropy.fromConfig({ gamma: 3, apply_class_balancing: true, name: 'x', axis: -1 });
  assert.ok(b2 instanceof BinaryFocalCrossentropy);
  assert.equal(b2.gamma, 3);
  assert.equal(b2.applyClassBalancing, true);
  assert.deepEqual(CategoricalFocalCrossentropy.fromConfig(losses.categoricalFocalCrossentropy({ alpha: [1, 2] }).getConfig()).alpha, [1, 2]);
  assert.equal(SparseCategoricalCrossentropy.fromConfig({ ignore_class: -1 }).ignoreClass, -1);
  assert.equal(Hinge.fromConfig({ reduction: null }).reduction, 'none');
  assert.throws(() => Hinge.fromConfig({ delta: 1 }), /^RangeError: Hinge: unknown option 'delta'/);
  assert.throws(() => Hinge.fromConfig([] as unknown as Record<string, unknown>), /^TypeError: Hinge: config must be an object, got \[\]/);
});

test('no allocation per call: computeInto of every new loss, weighted and not', async () => {
  const CALLS = 1000;
  const SLACK = 8192;
  const out = new Float64Array(1);
  const r = rng(13);
  const seen = new Set<string>();
  for (const c of CASES) {
    const key = `${c.loss.className} ${c.loss.reduction}`;
    // one case per class with the default reduction, and one with 'mean_with_sample_weight' (Σw, shared
    // by every class through the base class): keeps the test short
    const mw = c.loss.reduction === 'mean_with_sample_weight' && c.loss.className === 'MeanAbsolutePercentageError';
    if (seen.has(key) || (c.loss.reduction !== 'sum_over_batch_size' && !mw)) continue;
    seen.add(key);
    const d = new Float32Array(c.rows * c.cols);
    const w = randomWeights(r, c.rows);
    const grown = await youngGrowth(() => {
      for (let i = 0; i < CALLS; i++) {
        c.loss.computeInto(out, c.yPred, c.yTrue, d, c.rows, c.cols, null);
        c.loss.computeInto(out, c.yPred, c.yTrue, null, c.rows, c.cols, w);
      }
    }, SLACK);
    assert.ok(grown <= SLACK, `${key}: young generation grew by ${grown} bytes over ${CALLS} rounds`);
  }
  const ign = losses.sparseCategoricalCrossentropy({ ignoreClass: -1, fromLogits: true });
  const p = uniform(r, 12, -1, 1);
  const y = F32([0, -1, 2, 1]);
  const d = new Float32Array(12);
  const grown = await youngGrowth(() => {
    for (let i = 0; i < CALLS; i++) ign.computeInto(out, p, y, d, 4, 3, null);
  }, SLACK);
  assert.ok(grown <= SLACK, `ignoreClass: young generation grew by ${grown} bytes`);
});

test('tfjs-layers parity (its own loss functions, float32)', async () => {
  await initTfjs();
  const tfl = (await import('@tensorflow/tfjs-layers/dist/losses.js')) as unknown as Record<string, (a: unknown, b: unknown) => { dataSync(): Float32Array; dispose(): void }>;
  const r = rng(21);
  const rows = 4;
  const cols = 5;
  const n = rows * cols;
  const ypm = new Float32Array(n).map(() => (r() < 0.5 ? -1 : 1)); // tfjs hinge never converts 0/1 labels
  const onehot = new Float32Array(n);
  for (let k = 0; k < rows; k++) onehot[k * cols + Math.floor(r() * cols)] = 1;
  const cases: [string, Loss, Float32Array, Float32Array][] = [
    ['meanAbsolutePercentageError', losses.meanAbsolutePercentageError(), uniform(r, n, -2, 2), uniform(r, n, 0.5, 2)],
    ['meanSquaredLogarithmicError', losses.meanSquaredLogarithmicError(), uniform(r, n, -0.5, 3), uniform(r, n, 0, 3)],
    ['hinge', losses.hinge(), uniform(r, n, -2, 2), ypm],
    ['squaredHinge', losses.squaredHinge(), uniform(r, n, -2, 2), ypm],
    ['categoricalHinge', losses.categoricalHinge(), uniform(r, n, -1, 1), onehot],
    ['logcosh', losses.logcosh(), uniform(r, n, -3, 3), uniform(r, n, -1, 1)],
    // tfjs multiplies by the unclipped y: equal to Keras 3 for targets ≥ ε
    ['kullbackLeiblerDivergence', losses.kullbackLeiblerDivergence(), uniform(r, n, 0.01, 1), uniform(r, n, 0.01, 1)],
    ['poisson', losses.poisson(), uniform(r, n, 0.1, 4), uniform(r, n, 0, 4)],
    ['cosineProximity', losses.cosineSimilarity(), uniform(r, n, -1, 1), uniform(r, n, -1, 1)],
  ];
  for (const [name, loss, yPred, yTrue] of cases) {
    const yt = tf.tensor(yTrue, [rows, cols]);
    const yp = tf.tensor(yPred, [rows, cols]);
    const t = tfl[name]!(yt, yp);
    const theirs = t.dataSync();
    t.dispose();
    yt.dispose();
    yp.dispose();
    const ours = loss.perSample(yPred, yTrue, rows, cols);
    for (let k = 0; k < rows; k++) {
      assert.ok(Math.abs(ours[k]! - theirs[k]!) <= 2e-5 * Math.max(1, Math.abs(theirs[k]!)), `${name} row ${k}: rnnkit ${ours[k]}, tfjs ${theirs[k]}`);
    }
  }
});

test("compile refuses a loss with reduction 'none'; evaluate applies ignoreClass with a mask and 'mean_with_sample_weight'; workers > 1 refused for both", async () => {
  assert.throws(() => checkTrainable(losses.hinge({ reduction: 'none' }), 'Sequential: compile'),
    /^RangeError: Sequential: compile: loss hinge \(Hinge\) has reduction 'none', which gives one value per sample; training needs a scalar loss/);
  const m0 = new Sequential();
  m0.add(layers.dense({ units: 2, inputShape: [3] }));
  assert.throws(() => m0.compile({ optimizer: 'sgd', loss: losses.meanSquaredError({ reduction: 'none' }) }), /compile: loss mean_squared_error \(MeanSquaredError\) has reduction 'none'/);

  // Embedding(maskZero) → SimpleRNN(returnSequences) → Dense(softmax): time-step mask and ignoreClass together
  const B = 3;
  const T = 4;
  const K = 3;
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [T], seed: 1 }));
  m.add(layers.simpleRNN({ units: 4, returnSequences: true, seed: 2 }));
  m.add(layers.dense({ units: K, activation: 'softmax', seed: 3 }));
  const x = tensor(F32([1, 2, 3, 0, 4, 5, 0, 0, 2, 2, 5, 1]), [B, T]);
  const labels = F32([0, -1, 2, 1, 2, 1, 0, 0, -1, 1, 0, 2]);
  const y = tensor(labels, [B, T]);
  const probs = m.predict(x).data;
  const ce = (i: number): number => -Math.log(probs[i * K + labels[i]!]! / (probs[i * K]! + probs[i * K + 1]! + probs[i * K + 2]!));
  const valid = Array.from({ length: B * T }, (_, i) => i).filter((i) => x.data[i] !== 0 && labels[i] !== -1);
  assert.equal(valid.length, 7);
  m.compile({ optimizer: 'sgd', loss: losses.sparseCategoricalCrossentropy({ ignoreClass: -1 }) });
  const [got] = m.evaluate(x, y, { verbose: 0 });
  close(got!, sumOf(valid.map(ce)) / valid.length, 'evaluate: masked + ignoreClass mean over the rows both keep', 1e-5);
  const sw = [0.5, 2, 1];
  m.compile({ optimizer: 'sgd', loss: losses.sparseCategoricalCrossentropy({ ignoreClass: -1, reduction: 'mean_with_sample_weight' }) });
  const [gotW] = m.evaluate(x, y, { verbose: 0, sampleWeight: sw });
  const wOf = (i: number): number => sw[Math.floor(i / T)]!;
  close(gotW!, sumOf(valid.map((i) => wOf(i) * ce(i))) / sumOf(valid.map(wOf)), "evaluate: 'mean_with_sample_weight' with mask and ignoreClass", 1e-5);
  // a shard's part of these losses depends on the whole batch: data-parallel fit refuses them by name
  await assert.rejects(m.fit(x, y, { workers: 2, epochs: 1, verbose: 0 }),
    /^RangeError: fit: workers: 2: loss sparse_categorical_crossentropy uses ignoreClass, whose divisor is the whole batch's count of kept rows; use workers: 1/);
  m.compile({ optimizer: 'sgd', loss: losses.meanSquaredError({ reduction: 'mean_with_sample_weight' }) });
  await assert.rejects(m.fit(x, tensor(new Float32Array(B * T * K), [B, T, K]), { workers: 2, epochs: 1, verbose: 0 }),
    /loss mean_squared_error uses reduction 'mean_with_sample_weight', whose divisor is the whole batch's Σ weights; use workers: 1/);
});

test('a compiled model saves and loads its loss config (per-class alpha list, ignoreClass, reductions)', async () => {
  for (const loss of [
    losses.categoricalFocalCrossentropy({ alpha: [0.5, 1, 2], gamma: 1.5, reduction: 'sum' }),
    losses.sparseCategoricalCrossentropy({ ignoreClass: -1, reduction: 'mean_with_sample_weight' }),
    losses.cosineSimilarity({ reduction: 'mean' }),
  ]) {
    const m = new Sequential();
    m.add(layers.dense({ units: 3, activation: 'softmax', inputShape: [2] }));
    m.compile({ optimizer: 'sgd', loss });
    const a = await artifactsOf(m, true); // includeOptimizer: the training config goes with it
    const back = await loadModel({ modelJson: JSON.parse(JSON.stringify(a.modelJson)), weightData: a.weightData });
    assert.equal(back.loss?.className, loss.className);
    assert.deepEqual(back.loss?.getConfig(), loss.getConfig());
  }
});
